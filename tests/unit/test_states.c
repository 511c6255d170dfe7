/*
 * test_states.c - the lanes' states are one list (include/callsight/states.def): the table in
 * docs/protocol.md is that list row for row (lane, state, letter, tone), every state the daemon's
 * timeline can report is in it, and within a lane no two states share a fill pattern unless they
 * are aliases (same letter), so the TUI still tells them apart without colour.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "callsightd.h"

static const char *
doc_path(void)
{
	const char *dir = getenv("CS_DOCS");
	return dir && *dir ? dir : "docs/protocol.md";
}

/* "| `screen` | `unknown` | `?` | none | ... |" -> its four fields; false for any other line */
static bool
table_row(const char *line, char *lane, char *state, char *letter, char *tone)
{
	return sscanf(line, "| `%31[^`]` | `%31[^`]` | `%1[^`]` | %31[a-z] |", lane, state, letter, tone) == 4;
}

static void
test_doc_table_is_the_list(void **state)
{
	(void)state;
	FILE *f = fopen(doc_path(), "r");
	if (f == NULL)
		fail_msg("cannot open %s (set CS_DOCS to docs/protocol.md)", doc_path());
	char line[512];
	bool inside = false;
	int row = 0;
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, "<!-- states.def", 15) == 0) {
			inside = true;
			continue;
		}
		if (strncmp(line, "<!-- /states.def", 16) == 0)
			break;
		char lane[32], st[32], letter[2], tone[32];
		if (!inside || !table_row(line, lane, st, letter, tone))
			continue;
		assert_true(row < CS_STATE_COUNT);
		const struct cs_state_def *s = &cs_states[row];
		if (strcmp(lane, cs_lane_names[s->lane]) != 0 || strcmp(st, s->name) != 0 ||
		    letter[0] != s->letter || strcmp(tone, cs_tone_names[s->tone]) != 0)
			fail_msg("%s row %d says %s %s '%s' %s; states.def says %s %s '%c' %s", doc_path(),
			    row + 1, lane, st, letter, tone, cs_lane_names[s->lane], s->name, s->letter,
			    cs_tone_names[s->tone]);
		row++;
	}
	fclose(f);
	assert_true(inside);
	assert_int_equal(row, CS_STATE_COUNT);
}

/* a fresh timeline reports each lane's default, which the list knows */
static void
test_timeline_states_are_listed(void **state)
{
	(void)state;
	struct cs_timeline_options o = { 0 };
	struct cs_timeline *tl = cs_timeline_new(&o, NULL, NULL);
	for (int lane = 0; lane < CS_LANE_COUNT; lane++) {
		const char *name = cs_timeline_lane_state(tl, (enum cs_lane)lane);
		if (name[0] == '\0')	/* lanes the timeline does not keep (link: devices; none) */
			continue;
		int s = cs_state_find((enum cs_lane)lane, name);
		if (s < 0)
			fail_msg("the timeline reports %s '%s', which states.def does not list",
			    cs_lane_names[lane], name);
		assert_int_equal(s, cs_lane_default_state((enum cs_lane)lane));
	}
	cs_timeline_free(tl);
}

static void
test_patterns_tell_states_apart(void **state)
{
	(void)state;
	for (int i = 0; i < CS_STATE_COUNT; i++)
		for (int k = i + 1; k < CS_STATE_COUNT; k++)
			if (cs_states[i].lane == cs_states[k].lane && cs_states[i].pattern == cs_states[k].pattern &&
			    cs_states[i].letter != cs_states[k].letter)
				fail_msg("%s: '%s' and '%s' share a pattern", cs_lane_names[cs_states[i].lane],
				    cs_states[i].name, cs_states[k].name);
	assert_int_equal(cs_state_find(CS_LANE_app, "gone"), CS_ST_app_gone);
	assert_int_equal(cs_state_find(CS_LANE_screen, "gone"), -1);	/* states belong to a lane */
	assert_int_equal(cs_lane_find("call"), CS_LANE_call);
	assert_int_equal(cs_lane_find("nope"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_doc_table_is_the_list),
		cmocka_unit_test(test_timeline_states_are_listed),
		cmocka_unit_test(test_patterns_tell_states_apart),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

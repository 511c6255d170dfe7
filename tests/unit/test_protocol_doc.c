/*
 * test_protocol_doc.c - every record output.c builds has exactly the fields docs/protocol.md shows
 * for its type: the document's examples are read (a small scanner: they hold "…" where a value
 * goes, so they are not JSON) and each built record's top-level keys must equal one example's,
 * fields the document calls conditional aside. A field added in code and not in the document, or
 * documented and never sent, fails here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "callsightd.h"

#define MAX_EXAMPLES	64
#define MAX_KEYS	32

struct example {
	char	type[32];
	char	keys[MAX_KEYS][32];
	int	nkeys;
};

static struct example examples[MAX_EXAMPLES];
static int nexamples;

/* the top-level keys of the object starting at s (its '{'); returns where it ends */
static const char *
scan_object(const char *s, struct example *ex)
{
	int depth = 0;
	for (const char *p = s; *p; p++) {
		if (*p == '"') {
			const char *q = p + 1;
			while (*q && *q != '"')
				q += *q == '\\' && q[1] ? 2 : 1;
			if (depth == 1 && q[0] == '"' && q[1] == ':' && ex->nkeys < MAX_KEYS) {
				snprintf(ex->keys[ex->nkeys], sizeof ex->keys[0], "%.*s", (int)(q - p - 1), p + 1);
				if (strcmp(ex->keys[ex->nkeys], "type") == 0)
					sscanf(q + 2, "\"%31[^\"]\"", ex->type);
				ex->nkeys++;
			}
			p = *q ? q : q - 1;
		} else if (*p == '{' || *p == '[') {
			depth++;
		} else if (*p == '}' || *p == ']') {
			if (--depth == 0)
				return p;
		}
	}
	return s + strlen(s) - 1;
}

static int
load_examples(void **state)
{
	(void)state;
	const char *path = getenv("CS_DOCS");
	path = path && *path ? path : "docs/protocol.md";
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		fprintf(stderr, "cannot open %s (set CS_DOCS to docs/protocol.md)\n", path);
		return -1;
	}
	static char doc[1 << 20];
	size_t n = fread(doc, 1, sizeof doc - 1, f);
	fclose(f);
	doc[n] = '\0';
	nexamples = 0;
	for (const char *p = doc; (p = strstr(p, "{\"type\":\"")) != NULL && nexamples < MAX_EXAMPLES;) {
		struct example *ex = &examples[nexamples++];
		memset(ex, 0, sizeof *ex);
		p = scan_object(p, ex) + 1;
	}
	return nexamples > 0 ? 0 : -1;
}

static bool
has_key(const struct example *ex, const char *key)
{
	for (int i = 0; i < ex->nkeys; i++)
		if (strcmp(ex->keys[i], key) == 0)
			return true;
	return false;
}

/* the record's keys equal some example's of its type; optional: keys either may lack */
static void
check_record(json_t *rec, const char *const *optional)
{
	const char *type = json_string_value(json_object_get(rec, "type"));
	assert_non_null(type);
	bool found = false;
	char why[512] = "";
	for (int e = 0; e < nexamples && !found; e++) {
		const struct example *ex = &examples[e];
		if (strcmp(ex->type, type) != 0)
			continue;
		bool same = true;
		const char *key;
		json_t *v;
		json_object_foreach(rec, key, v) {
			bool opt = false;
			for (int o = 0; optional && optional[o]; o++)
				opt |= strcmp(optional[o], key) == 0;
			if (!has_key(ex, key) && !opt) {
				snprintf(why, sizeof why, "'%s' sends \"%s\", which its example lacks", type, key);
				same = false;
			}
		}
		for (int i = 0; i < ex->nkeys; i++) {
			bool opt = false;
			for (int o = 0; optional && optional[o]; o++)
				opt |= strcmp(optional[o], ex->keys[i]) == 0;
			if (json_object_get(rec, ex->keys[i]) == NULL && !opt) {
				snprintf(why, sizeof why, "'%s' documents \"%s\", which the record lacks", type,
				    ex->keys[i]);
				same = false;
			}
		}
		found = same;
	}
	if (!found)
		fail_msg("docs/protocol.md: %s", why[0] ? why : "no example of this type");
	json_decref(rec);
}

static void
test_records_match_the_doc(void **state)
{
	(void)state;
	struct cs_device_info info = { .udid = "U1", .name = "Ana's iPhone", .state = "attached" };
	check_record(cs_device_json(&info, 0), NULL);
	struct cs_line line = { .number = 57, .process = "SpringBoard", .image = "FrontBoard", .pid = 59,
		.level = "Notice", .message = "hello", .message_len = 5 };
	check_record(cs_line_json("U1", &line), NULL);
	const char *const mark_opt[] = { "lost", NULL };
	check_record(cs_mark_json(3, 0, "U1", "locked the phone here", -1), NULL);
	check_record(cs_mark_json(4, 0, "", "store gap", 12), mark_opt);
	check_record(cs_hello_json(false), NULL);
	check_record(cs_store_error_json(0, "disk full", 3), NULL);
	json_t *id = json_integer(7);
	check_record(cs_reply_json("ok", id), NULL);
	check_record(cs_reply_json("pong", id), NULL);
	check_record(cs_error_json(id, "unknown request 'foo'"), NULL);
	const char *const end_opt[] = { "error", "unreadable", NULL };
	check_record(cs_end_json(id, 10), end_opt);
	check_record(cs_report_reply_json(id, "/tmp/x"), NULL);
	json_t *devices = cs_reply_json("devices", id);
	json_object_set_new(devices, "devices", json_pack("[o]", cs_device_entry_json(&info, 1)));
	check_record(devices, NULL);
	json_decref(id);
	struct cs_app_facts facts = { .mode_audio = true, .microphone_usage = true };
	const char *const app_opt[] = { "device", "sdk", NULL };	/* device: live only; sdk: once known */
	check_record(cs_app_json("U1", "com.example.VideoCall", &facts, NULL), app_opt);
	struct cs_summary sum = { .lines = 10, .format = "syslog", .date_source = "--year" };
	check_record(cs_summary_json(&sum), NULL);
	const char *const sum_opt[] = { "date_source", NULL };	/* only when stamps lacked a date */
	struct cs_summary store_sum = { .lines = 10, .format = "store" };
	check_record(cs_summary_json(&store_sum), sum_opt);
	check_record(cs_replay_report_json(2, "DIR/x"), NULL);
	check_record(cs_log_json(0, "error", "SIGHUP: rules not reloaded"), NULL);
}

/* the scanner itself: it must see a documented type and a field a record lacks */
static void
test_scanner_catches_a_difference(void **state)
{
	(void)state;
	int hello = -1;
	for (int e = 0; e < nexamples; e++)
		if (strcmp(examples[e].type, "hello") == 0)
			hello = e;
	assert_true(hello >= 0);
	assert_true(has_key(&examples[hello], "protocol"));
	assert_false(has_key(&examples[hello], "message"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_records_match_the_doc),
		cmocka_unit_test(test_scanner_catches_a_difference),
	};
	return cmocka_run_group_tests(tests, load_examples, NULL);
}

/*
 * states.c - the lanes (lanes.def) and the states each can be in (states.def) as tables both
 * programs read: the daemon names the states it sends from them, the TUI draws them and the HTML
 * report colours them, so a state added in one place is known everywhere.
 */
#include <string.h>

#include <callsight/common.h>

const struct cs_state_def cs_states[CS_STATE_COUNT] = {
#define CS_STATE(lane, id, letter, tone, pattern) \
	{ CS_LANE_##lane, #id, letter, CS_TONE_##tone, CS_PAT_##pattern },
#include <callsight/states.def>
#undef CS_STATE
};

const char *const cs_lane_names[CS_LANE_COUNT] = {
#define CS_LANE(id, label) #id,
#include <callsight/lanes.def>
#undef CS_LANE
};

const char *const cs_lane_labels[CS_LANE_COUNT] = {
#define CS_LANE(id, label) label,
#include <callsight/lanes.def>
#undef CS_LANE
};

const char *const cs_tone_names[CS_TONE_COUNT] = { "none", "good", "note", "warn", "bad", "dark" };

int
cs_state_find(enum cs_lane lane, const char *name)
{
	for (int i = 0; name != NULL && i < CS_STATE_COUNT; i++)
		if (cs_states[i].lane == lane && strcmp(cs_states[i].name, name) == 0)
			return i;
	return -1;
}

int
cs_lane_default_state(enum cs_lane lane)
{
	for (int i = 0; i < CS_STATE_COUNT; i++)
		if (cs_states[i].lane == lane)
			return i;
	return -1;
}

int
cs_lane_find(const char *name)
{
	for (int i = 0; name != NULL && i < CS_LANE_COUNT; i++)
		if (strcmp(cs_lane_names[i], name) == 0)
			return i;
	return -1;
}

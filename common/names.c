/*
 * names.c - the lookup tables generated from the X-macro lists in include/callsight/: event kinds
 * and causes by id, name, label and advice, for the daemon (by enum) and the TUI (by the names in
 * records). No other file spells these out; lanes and their states are in states.c.
 */
#include <string.h>

#include <callsight/common.h>

static const struct {
	const char	*name;
	const char	*label;
	enum cs_lane	 lane;
} event_table[] = {
#define CS_EVENT(id, lane, label) { #id, label, CS_LANE_##lane },
#include <callsight/events.def>
#undef CS_EVENT
};

static const struct {
	const char	*name;
	const char	*label;
	const char	*advice;
	enum cs_severity severity;
} cause_table[] = {
#define CS_CAUSE(id, severity, label, advice) { #id, label, advice, CS_SEV_##severity },
#include <callsight/causes.def>
#undef CS_CAUSE
};

const char *cs_lane_name(enum cs_lane lane) { return lane < CS_LANE_COUNT ? cs_lane_names[lane] : "?"; }
const char *cs_lane_label(enum cs_lane lane) { return lane < CS_LANE_COUNT ? cs_lane_labels[lane] : "?"; }

const char *
cs_event_name(enum cs_event_kind kind)
{
	return kind < CS_EV_COUNT ? event_table[kind].name : "?";
}

const char *
cs_event_label(enum cs_event_kind kind)
{
	return kind < CS_EV_COUNT ? event_table[kind].label : "?";
}

enum cs_lane
cs_event_lane(enum cs_event_kind kind)
{
	return kind < CS_EV_COUNT ? event_table[kind].lane : CS_LANE_none;
}

int
cs_event_from_name(const char *name)
{
	for (int i = 0; i < CS_EV_COUNT; i++)
		if (strcmp(event_table[i].name, name) == 0)
			return i;
	return -1;
}

const char *cs_cause_name(enum cs_cause c) { return c < CS_CAUSE_COUNT ? cause_table[c].name : "?"; }
const char *cs_cause_label(enum cs_cause c) { return c < CS_CAUSE_COUNT ? cause_table[c].label : "?"; }
const char *cs_cause_advice(enum cs_cause c) { return c < CS_CAUSE_COUNT ? cause_table[c].advice : ""; }

enum cs_severity
cs_cause_severity(enum cs_cause cause)
{
	return cause < CS_CAUSE_COUNT ? cause_table[cause].severity : CS_SEV_disconnect;
}

const char *
cs_severity_name(enum cs_severity severity)
{
	return severity == CS_SEV_warning ? "warning" : "disconnect";
}

int
cs_cause_from_name(const char *name)
{
	for (int i = 0; i < CS_CAUSE_COUNT; i++)
		if (strcmp(cause_table[i].name, name) == 0)
			return i;
	return -1;
}


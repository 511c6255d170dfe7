/*
 * common.h - what callsightd and callsight share, built once in common/ and linked by both: memory
 * that cannot run out quietly, bounded strings, error messages, the clocks, ISO 8601 times and the
 * place of the daemon's socket. One fact, one place: a second copy in daemon/ or tui/ drifts (the
 * TUI and the daemon once disagreed on which XDG_RUNTIME_DIR counts and on time zones).
 */
#ifndef CALLSIGHT_COMMON_H
#define CALLSIGHT_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct timespec;

/* ---------------------------------------------------------------- memory and strings (util.c) */

void *cs_xmalloc(size_t size);
void *cs_xcalloc(size_t n, size_t size);
void *cs_xrealloc(void *ptr, size_t size);
char *cs_xstrdup(const char *s);
char *cs_xstrndup(const char *s, size_t n);
size_t cs_strlcpy(char *dst, const char *src, size_t size);
/* err/errlen as every fallible function here takes them (NULL or 0: no message) */
void cs_set_error(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---------------------------------------------------------------- time (time.c) */

/* Format µs since the epoch as ISO 8601 UTC with milliseconds: 2026-11-25T17:20:05.123Z */
void cs_format_time(int64_t time_us, char *out, size_t outlen);
/* ISO 8601 "2026-11-25T17:20:05Z" (date alone, fraction, ±HH:MM zone optional; no zone = UTC) to
 * µs since the epoch; every field range-checked; -1 with a message naming the field */
int cs_parse_iso_time(const char *s, int64_t *time_us, char *err, size_t errlen);
int64_t cs_wall_us(void);	/* realtime, µs: what records are stamped with */
int64_t cs_mono_ms(void);	/* monotonic, ms: for timeouts and intervals */
void cs_sleep_ms(int ms);
/* now + ms on CLOCK_REALTIME: the deadline pthread_cond_timedwait takes */
void cs_realtime_after_ms(struct timespec *ts, int ms);

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). Inline: the
 * reader calls it for every new date it meets. */
static inline int64_t
cs_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The Gregorian date of a day number since 1970-01-01 (the inverse of cs_days_from_civil). Inline
 * beside it: every record's time is written with it (cs_format_time). */
static inline void
cs_civil_from_days(int64_t z, int *year, int *month, int *day)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*day = (int)(doy - (153 * mp + 2) / 5 + 1);
	*month = (int)(mp < 10 ? mp + 3 : mp - 9);
	*year = (int)(yoe + era * 400 + (*month <= 2));
}

/* ---------------------------------------------------------------- the socket's place (paths.c) */

/* $XDG_RUNTIME_DIR/callsight/sock when XDG_RUNTIME_DIR is an absolute path (the XDG spec says to
 * ignore any other), else $TMPDIR (absolute, or /tmp)/callsight-UID/sock. 0 ok, -1 too long. */
int cs_socket_default_path(char *out, size_t outlen);

/* ---------------------------------------------------------------- the client's framing (ndjson.c) */

/* A record from the daemon longer than this is garbage (a 64 KiB log line, escaped, is far less) */
#define CS_RECORD_MAX	(1024 * 1024)

/* Lines in from the daemon's socket: feed what read() gave, take complete lines. */
struct cs_ndjson {
	char	*buf;
	size_t	 len, cap, start;	/* start: the first byte not yet handed out */
	size_t	 max_line;		/* a longer line is dropped whole */
	size_t	 dropped;		/* lines dropped so */
	bool	 discarding;		/* inside a dropped line, until its newline */
};
void cs_ndjson_init(struct cs_ndjson *n, size_t max_line);
void cs_ndjson_free(struct cs_ndjson *n);
void cs_ndjson_feed(struct cs_ndjson *n, const char *data, size_t len);
/* the next complete line without its newline (NUL-terminated, valid until the next feed), or NULL */
char *cs_ndjson_next(struct cs_ndjson *n, size_t *linelen);
/* a hello record's "type" and "protocol": 0 when this client can talk to it, else -1 and why */
int cs_hello_check(const char *type, bool has_protocol, long long protocol, char *err, size_t errlen);

/* ---------------------------------------------------------------- lanes and their states (states.c) */

enum cs_lane {
#define CS_LANE(id, label) CS_LANE_##id,
#include <callsight/lanes.def>
#undef CS_LANE
	CS_LANE_COUNT
};

enum cs_state {
#define CS_STATE(lane, id, letter, tone, pattern) CS_ST_##lane##_##id,
#include <callsight/states.def>
#undef CS_STATE
	CS_STATE_COUNT
};

enum cs_tone { CS_TONE_none, CS_TONE_good, CS_TONE_note, CS_TONE_warn, CS_TONE_bad, CS_TONE_dark,
	CS_TONE_COUNT };
enum cs_pattern { CS_PAT_solid, CS_PAT_dark, CS_PAT_medium, CS_PAT_light, CS_PAT_line, CS_PAT_dot,
	CS_PAT_blank, CS_PAT_COUNT };

struct cs_state_def {
	enum cs_lane	 lane;
	const char	*name;
	char		 letter;
	enum cs_tone	 tone;
	enum cs_pattern	 pattern;
};

extern const struct cs_state_def cs_states[CS_STATE_COUNT];	/* states.def, in its order */
extern const char *const cs_lane_names[CS_LANE_COUNT];		/* "screen", ... */
extern const char *const cs_lane_labels[CS_LANE_COUNT];		/* "Screen", ... */
extern const char *const cs_tone_names[CS_TONE_COUNT];		/* "none", "good", ... */

/* the state's index in cs_states, or -1 for a state this build does not know in that lane */
int cs_state_find(enum cs_lane lane, const char *name);
/* the state a lane is in until something is known: the first states.def lists for it */
int cs_lane_default_state(enum cs_lane lane);
/* lanes.def: the lane's index, or -1 */
int cs_lane_find(const char *name);
static inline const char *
cs_state_name(enum cs_state s)
{
	return cs_states[s].name;
}

/* ---------------------------------------------------------------- event kinds and causes (names.c) */

enum cs_event_kind {
#define CS_EVENT(id, lane, label) CS_EV_##id,
#include <callsight/events.def>
#undef CS_EVENT
	CS_EV_COUNT
};

enum cs_severity { CS_SEV_disconnect, CS_SEV_warning };

enum cs_cause {
#define CS_CAUSE(id, severity, label, advice) CS_CAUSE_##id,
#include <callsight/causes.def>
#undef CS_CAUSE
	CS_CAUSE_COUNT
};

const char *cs_lane_name(enum cs_lane lane);
const char *cs_lane_label(enum cs_lane lane);
const char *cs_event_name(enum cs_event_kind kind);
const char *cs_event_label(enum cs_event_kind kind);
enum cs_lane cs_event_lane(enum cs_event_kind kind);
int cs_event_from_name(const char *name);	/* -1 when unknown */
const char *cs_cause_name(enum cs_cause cause);
const char *cs_cause_label(enum cs_cause cause);
const char *cs_cause_advice(enum cs_cause cause);
enum cs_severity cs_cause_severity(enum cs_cause cause);
const char *cs_severity_name(enum cs_severity severity);
int cs_cause_from_name(const char *name);	/* -1 when unknown */

#endif

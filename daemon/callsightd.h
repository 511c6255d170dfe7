/*
 * callsightd.h - the whole model of the daemon in one header (as tmux.h is for tmux).
 *
 * The flow runs one way:  bytes -> reader (parse.c) -> line -> rules (rules.c) -> event
 *                         -> timeline (timeline.c) -> flag -> output / store / server.
 * reader, rules and timeline are pure: no I/O, no clocks, no globals. Fed the same bytes they give
 * the same lines, events and flags, which is what makes replay, tests and live capture agree.
 */
#ifndef CALLSIGHTD_H
#define CALLSIGHTD_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "callsight/common.h"
#include "callsight/version.h"

/* kinds, lanes, states and causes: include/callsight/common.h (common/names.c, common/states.c) */
/* ---------------------------------------------------------------- line (reader output) */

/* The source format a line was read in. */
#define CS_FORMATS(X)                                                              \
	X(unknown,  "unknown")                                                     \
	X(syslog,   "syslog")   /* Mon dd HH:MM:SS[.us] [device] proc(img)[pid] <L>: */ \
	X(console,  "console")  /* Console.app copy: TAB-separated columns */          \
	X(xcode,    "xcode")    /* YYYY-MM-DD HH:MM:SS.us+zzzz Proc[pid:tid] msg */    \
	X(logshow,  "logshow")  /* log show: YYYY-MM-DD ... host proc[pid]: msg */     \
	X(pymd3,    "pymobiledevice3") /* YYYY-MM-DD HH:MM:SS proc{img}[pid] <LVL>: */ \
	X(plain,    "plain")    /* no header: the whole line is the message */
enum cs_format {
#define X(id, name) CS_FMT_##id,
	CS_FORMATS(X)
#undef X
	CS_FMT_COUNT
};
const char *cs_format_name(enum cs_format fmt);
/* The largest n' <= n that does not cut a UTF-8 sequence of the valid text s (len bytes). */
size_t cs_utf8_cut(const char *s, size_t n, size_t len);

enum cs_line_flags {
	CS_LINE_UNPARSED  = 1u << 0,	/* no header could be split: raw text kept as the message */
	CS_LINE_TRUNCATED = 1u << 1,	/* longer than CS_MAX_RECORD: cut, with a marker */
	CS_LINE_SANITIZED = 1u << 2,	/* invalid UTF-8 / control bytes were replaced */
	CS_LINE_CONTINUED = 1u << 3,	/* continuation lines were joined into this record */
	CS_LINE_HAS_ZONE  = 1u << 4,	/* the stamp carried a UTC offset */
	CS_LINE_NO_TIME   = 1u << 5,	/* no stamp at all (time inherited from the line before) */
};

/* What the scan-first pass (Vectorscan over each chunk, cs_rules_scan) said about a record. */
enum cs_scan {
	CS_SCAN_NONE = 0,	/* not scanned (or could not tell): a candidate, the rules run */
	CS_SCAN_MISS,		/* parsed, but no rule literal occurs in its text: no rule can match */
	CS_SCAN_SKIPPED,	/* not built: only number, offset, times, format, pid, device and udid
				 * are set (the other strings are ""); for the timeline's clock */
};

/* One log record. All strings are NUL-terminated valid UTF-8, owned by the reader and valid only
 * during the callback that hands the line out. Empty fields are "" (never NULL). */
struct cs_line {
	uint64_t	number;		/* 1-based physical line number where the record starts */
	uint64_t	offset;		/* byte offset of the record in the source */
	int64_t		time_us;	/* the timeline's time, µs since the epoch, UTC: the device's
					 * stamp kept in order across clock jumps, and for live
					 * devices anchored to the host clock */
	int64_t		device_us;	/* the line's own stamp (year and zone inferred) */
	int64_t		recv_us;	/* host receive time (live), or 0 */
	enum cs_format	format;
	unsigned	flags;		/* enum cs_line_flags */
	const char     *device;		/* device name field, "" when absent */
	const char     *process;	/* process name */
	const char     *image;		/* sender image / subsystem in parentheses, "" when absent */
	long		pid;		/* -1 when unknown */
	const char     *level;		/* Notice, Info, Debug, Error, Fault, Warning, default, ...; "" */
	const char     *message;	/* the message text (continuations joined with '\n') */
	size_t		message_len;
	const char     *raw;		/* the whole record as read (sanitized), for evidence */
	size_t		raw_len;
	const char     *udid;		/* device UDID for live capture, "" otherwise */
	enum cs_scan	scan;		/* what the scan-first pass said (cs_reader_feed_hits) */
	const uint32_t *scan_ids;	/* the scan literals found in it (cs_rules_scan's ids), when it
					 * is one clean physical line the scan read: the rules take
					 * their candidates from these; NULL: they read the message */
	size_t		nscan_ids;
};

#define CS_MAX_RECORD	(64 * 1024)	/* longer records are truncated with a marker */

/* ---------------------------------------------------------------- reader (parse.c) */

struct cs_reader;
typedef void (*cs_line_cb)(const struct cs_line *line, void *ctx);

struct cs_reader_options {
	int		year;		/* year of the first zone/year-less stamp; 0 = infer from ref_time */
	int64_t		ref_time;	/* unix seconds: the capture was written no later than this */
	int		utc_offset_min;	/* offset applied to stamps with no zone (minutes east of UTC) */
	const char     *udid;		/* copied into every line; may be NULL */
	bool		time_from_recv;	/* live: the device stamp anchored to the receive time
					 * (cs_reader_set_recv_time); see anchor_stamp() in parse.c */
	int		date_year;	/* --date: the day of time-only stamps (and the year of */
	int		date_month;	/* year-less ones); 0 = not given */
	int		date_day;
};

struct cs_reader_stats {
	uint64_t	bytes;		/* bytes fed */
	uint64_t	lines;		/* records handed out */
	uint64_t	physical_lines;	/* newline-separated lines seen */
	uint64_t	unparsed;	/* records with CS_LINE_UNPARSED */
	uint64_t	truncated;	/* records cut at CS_MAX_RECORD */
	uint64_t	sanitized;	/* records with replaced bytes */
	uint64_t	nul_bytes;	/* NUL bytes skipped (record separators in relay streams) */
	uint64_t	garbage_bytes;	/* binary bytes (controls other than TAB) skipped */
	uint64_t	clock_jumps;	/* stamps that went back >= a minute: the order was kept */
	uint64_t	held_lines;	/* headerless lines before the first stamp, timed by it */
	const char     *date_source;	/* where year-less / date-less stamps got their date:
					 * "--date", "--year", "the file's time", "today"; "" = none */
	int64_t		anchor_us;	/* live: device stamp -> timeline offset chosen (0 = none) */
	uint64_t	per_format[CS_FMT_COUNT];
	uint64_t	scan_missed;	/* records with no rule literal (CS_SCAN_MISS or _SKIPPED) */
	uint64_t	scan_skipped;	/* ... of which were never built (CS_SCAN_SKIPPED) */
};

struct cs_reader *cs_reader_new(const struct cs_reader_options *options, cs_line_cb cb, void *ctx);
void cs_reader_feed(struct cs_reader *reader, const void *buf, size_t len);
/* Feed a chunk with the scan-first result: hits are the chunk offsets (ascending) of bytes where a
 * rule literal ends. Records with no hit come out as CS_SCAN_MISS, or, when light is set and it is
 * safe (a clean syslog line followed by another header), as CS_SCAN_SKIPPED without being built.
 * Every record keeps the number, time and order it has with cs_reader_feed. */
void cs_reader_feed_hits(struct cs_reader *reader, const void *buf, size_t len, const size_t *hits,
    size_t nhits, bool light);
/* Scan ahead (replay.c): what the reader needs of each line of a chunk that its bytes alone decide
 * (its end, the first byte to clean, its syslog head), built on another thread beside the scan
 * (cs_line_index_build reads no reader state); cs_reader_feed_ahead feeds the chunk it was built
 * on (hits set: with the scan's hits, as cs_reader_feed_hits; NULL: as cs_reader_feed). The records
 * are those of the same feed without the index. */
struct cs_line_index;
struct cs_line_index *cs_line_index_new(void);
void cs_line_index_build(struct cs_line_index *ix, const char *buf, size_t len);
void cs_line_index_free(struct cs_line_index *ix);
/* The scan's domain: a line's message, where a syslog header ends, else the whole line (a literal
 * in a header makes a candidate of nothing). cs_line_index_text writes the index's chunk as the
 * scan reads it - each line's domain and a '\n' (at most the chunk's length + 1 bytes) - and
 * returns its length; cs_line_index_locate turns a hit's end in that text into its end in the
 * chunk and the chunk offset of its line's end. cs_scan_domain: the offset in buf[0..len) where the
 * domain of the line holding buf[at] starts, for a scan of the chunk itself (ix: its stamp memo). */
size_t cs_line_index_text(struct cs_line_index *ix, char *text);
void cs_line_index_locate(struct cs_line_index *ix, size_t end, size_t *chunk_end, size_t *line_end);
size_t cs_scan_domain(struct cs_line_index *ix, const char *buf, size_t len, size_t at);
/* What the scan found in a chunk: for each line a literal occurs in (ascending), the chunk offset
 * just past its first literal (end) and where its literals' scan ids start in ids (first; the last
 * line's run to nids). */
struct cs_scan_hits {
	const size_t	*end;
	const uint32_t	*first;
	size_t		 n;
	const uint32_t	*ids;
	size_t		 nids;
};
void cs_reader_feed_ahead(struct cs_reader *reader, const void *buf, size_t len,
    const struct cs_scan_hits *hits, bool light, const struct cs_line_index *ix);
void cs_reader_set_recv_time(struct cs_reader *reader, int64_t recv_us);	/* for what is fed next */
void cs_reader_forget_scan_ids(struct cs_reader *reader);	/* the rules changed (reload) */
void cs_reader_flush(struct cs_reader *reader);	/* hand out a pending record (idle / end) */
const struct cs_reader_stats *cs_reader_stats(const struct cs_reader *reader);
enum cs_format cs_reader_format(const struct cs_reader *reader);	/* most frequent so far */
void cs_reader_free(struct cs_reader *reader);

/* ---------------------------------------------------------------- events (rules.c) */

#define CS_MAX_ATTRS	8

struct cs_attr {
	const char     *name;
	const char     *value;
};

struct cs_event {
	enum cs_event_kind	kind;
	const struct cs_line   *line;
	const char	       *rule;		/* "file:line" of the rule that matched */
	size_t			nattrs;
	struct cs_attr		attrs[CS_MAX_ATTRS];
};

const char *cs_event_attr(const struct cs_event *event, const char *name);	/* NULL if absent */

struct cs_rules;
typedef void (*cs_event_cb)(const struct cs_event *event, void *ctx);

struct cs_rules *cs_rules_new(void);
/* Load the rules compiled into the binary (daemon/rules/\*.rules). 0 ok, -1 with err filled. */
int cs_rules_load_builtin(struct cs_rules *rules, char *err, size_t errlen);
/* JIT-compile every rule now (a rule is otherwise compiled at its first line to match): the live
 * daemon does, so that no device's line waits for the compiler */
void cs_rules_jit_all(struct cs_rules *rules);
/* Load a rules file: its rules are added; a rule with the same name as an earlier one replaces it. */
int cs_rules_load_file(struct cs_rules *rules, const char *path, char *err, size_t errlen);
int cs_rules_load_text(struct cs_rules *rules, const char *source_name, const char *text, size_t len,
    char *err, size_t errlen);
size_t cs_rules_count(const struct cs_rules *rules);
/* Match one line; cb is called once per event (a line may give several, or none). */
void cs_rules_match(struct cs_rules *rules, const struct cs_line *line, cs_event_cb cb, void *ctx);
void cs_rules_free(struct cs_rules *rules);
/* The SDKs the rules know ("sdk" and "advice" directives, callsight.rules(5)): an SDK's layer (0
 * system call UI such as CallKit, 1 transport such as WebRTC, 2 a call SDK; -1 unknown), its advice
 * for a cause (NULL: the cause's own), and the list of their names. */
#define CS_SDK_NAME_MAX	32
int cs_rules_sdk_layer(const struct cs_rules *rules, const char *sdk);
const char *cs_rules_sdk_advice(const struct cs_rules *rules, const char *sdk, enum cs_cause cause);
size_t cs_rules_sdk_count(const struct cs_rules *rules);
const char *cs_rules_sdk_name(const struct cs_rules *rules, size_t i);

/* ---------------------------------------------------------------- crash and jetsam reports (crashreport.c) */

/* What the phone wrote when it killed or crashed a process: iOS 15+ .ips (bug_type 309 crash, 298
 * JetsamEvent, others kept as context), older JetsamEvent JSON, plain-text .crash. */
#define CS_REPORT_VICTIMS	8	/* processes a JetsamEvent killed, kept per report */
#define CS_REPORT_FRAMES	8	/* top frames of the crashed thread */

struct cs_report_victim {
	char		process[64];
	char		bundle[128];	/* "" when the report does not say */
	long		pid;		/* -1 when unknown */
	enum cs_cause	cause;		/* app_killed_jetsam / _watchdog / app_crash / user_hangup;
					 * unknown = the report does not explain a kill */
	char		reason[160];	/* one phrase: "per-process-limit, footprint 1.40 GB" */
	uint64_t	footprint;	/* bytes resident at a jetsam kill, 0 when unknown */
};

struct cs_crash_report {
	char		file[128];	/* base name */
	char		bug_type[16];	/* "309", "298", "385", ...; "crash" for plain text */
	const char     *format;		/* "ips", "json" (header-less JetsamEvent), "text" */
	int64_t		time_us;	/* when it happened (the report's zone applied); 0 unknown */
	char		os_version[64];
	char		exception[96];	/* "EXC_CRASH (SIGKILL)" */
	char		termination[256];	/* "FRONTBOARD 0x8badf00d: scene-update watchdog ..." */
	char		largest_process[64];	/* JetsamEvent: the biggest process at the time */
	size_t		nvictims;
	struct cs_report_victim victims[CS_REPORT_VICTIMS];
	size_t		nframes;
	char		frames[CS_REPORT_FRAMES][160];	/* "0 libsystem_kernel.dylib mach_msg_trap + 8" */
};

#define CS_REPORT_MAX_BYTES	(16 * 1024 * 1024)	/* bigger files are not reports */

/* Parse one report held in memory. 0 ok; -1 with err naming what is wrong (never crashes). */
int cs_crash_report_parse(const char *text, size_t len, const char *file, struct cs_crash_report *out,
    char *err, size_t errlen);
/* Read and parse one file. 0 ok; -1 with err filled. */
int cs_crash_report_load(const char *path, struct cs_crash_report *out, char *err, size_t errlen);
/* The victim that is this app (bundle id, process name, pid; any may be ""/-1), or NULL. */
const struct cs_report_victim *cs_crash_report_victim(const struct cs_crash_report *r,
    const char *bundle, const char *process, long pid);
/* Does a file name look like a report (.ips, .crash, .json, with iOS 5's .synced)? */
bool cs_crash_report_name(const char *name);
/* Every report file in dir (and its sub-folders): cb gets each parsed report, bad gets each file that
 * is not one (path, why). -1 with err when dir cannot be read. */
typedef void (*cs_crash_report_cb)(const struct cs_crash_report *r, const char *path, void *ctx);
typedef void (*cs_crash_bad_cb)(const char *path, const char *why, void *ctx);
int cs_crash_dir_load(const char *dir, cs_crash_report_cb cb, cs_crash_bad_cb bad, void *ctx,
    char *err, size_t errlen);
/* Scan-first: one Vectorscan pass over buf calls hit(offset just past a literal) for every match of
 * any rule literal, line by line: every hit in a line before any in a later one, and within a line
 * in no set order (a non-zero return stops it). Returns 0, or -1 when a scan
 * cannot decide which lines are candidates (built without Vectorscan, CALLSIGHT_NO_VECTORSCAN set,
 * a rule without literal): then every line is a candidate, as before. */
typedef int (*cs_scan_hit_cb)(size_t end, unsigned id, void *ctx);	/* id: which scan literal */
bool cs_rules_can_scan(const struct cs_rules *rules);
const char *cs_rules_scan_literal(const struct cs_rules *rules, unsigned id);	/* NULL: no such id */
void cs_rules_scan_engine(char *out, size_t outlen);	/* "Vectorscan 5.4.9 ...", or "off (...)" */
int cs_rules_scan(struct cs_rules *rules, const char *buf, size_t len, cs_scan_hit_cb hit, void *ctx);
size_t cs_rules_scan_literal_len(const struct cs_rules *rules, unsigned id);	/* 0: no such id */
/* Which part of each literal the scan looks for (scanprefix.c): the trigram counts in text
 * (daemon/scan/trigrams.txt's form; NULL with err when a line is not `COUNT "abc"`), a trigram's
 * count (0: not listed), and the length of lit's prefix that ends on its rarest trigram (at least
 * CS_SCAN_PREFIX_MIN bytes; len when the literal is no longer, or t is NULL). */
#define CS_SCAN_PREFIX_MIN 6
struct cs_trigram_counts;
struct cs_trigram_counts *cs_trigram_counts_parse(const char *text, char *err, size_t errlen);
void cs_trigram_counts_free(struct cs_trigram_counts *t);
uint32_t cs_trigram_count(const struct cs_trigram_counts *t, const char *trigram);
size_t cs_scan_prefix_len(const struct cs_trigram_counts *t, const char *lit, size_t len);
/* Whether the scan database was loaded as built with callsightd (the builtin rules' literals)
 * rather than compiled at load; and that database serialized (malloc'd *bytes, free()) with the
 * key of its literal list, for the build-time tool tools/scandb.c. -1: no database. */
bool cs_rules_scan_prebuilt(const struct cs_rules *rules);
int cs_rules_scan_serialize(const struct cs_rules *rules, char **bytes, size_t *len, uint64_t *key);
/* The literals the rule at index i (load order) needs, for tests and `callsightd --list-literals`:
 * NULL past the end; *n gets the count. */
const char *cs_rules_name(const struct cs_rules *rules, size_t i);
char *const *cs_rules_literals(const struct cs_rules *rules, size_t i, size_t *n);

/* ---------------------------------------------------------------- timeline and flags (timeline.c) */

#define CS_MAX_EVIDENCE 12
#define CS_MAX_ALTERNATIVES 3

struct cs_evidence {
	uint64_t		line;		/* line number in the source */
	enum cs_event_kind	kind;
	int64_t			time_us;
	char		       *text;		/* the raw line (owned by the flag) */
};

struct cs_flag {
	uint64_t		id;		/* 1, 2, ... per timeline */
	enum cs_cause		cause;
	double			confidence;	/* 0..1 */
	int64_t			time_us;	/* when the call dropped (or the warning happened) */
	uint64_t		line;		/* the line that raised it */
	bool			inferred;	/* no disconnect line: the drop was inferred */
	char			device[64];
	char			app[128];	/* bundle id or process of the app under test */
	char			detail[256];	/* one sentence: what in the evidence decided the cause */
	char			sdk[CS_SDK_NAME_MAX];	/* the app's call SDK ("" unknown) */
	const char	       *advice;		/* the SDK's advice (borrowed), NULL: the cause's */
	size_t			nevidence;
	struct cs_evidence	evidence[CS_MAX_EVIDENCE];
	size_t			nreports;	/* the phone's crash/jetsam reports that decided it */
	struct cs_flag_report {
		char		file[128];
		char		bug_type[16];
		char		reason[160];
		int64_t		time_us;
	}			reports[4];
	size_t			nalternatives;	/* the runner-up causes, most likely first */
	struct cs_alternative {
		enum cs_cause	cause;
		double		confidence;
		const char     *settle;		/* static: what would tell it from the cause */
	}			alternatives[CS_MAX_ALTERNATIVES];
};

/* What the phone says about the installed app (appcheck.c, from installation_proxy). */
struct cs_app_facts {
	bool	known;
	bool	mode_audio;
	bool	mode_voip;
	bool	microphone_usage;
	bool	camera_usage;
};

/* A lane of the app under test (or of the device: screen, network) changed state. */
struct cs_state_change {
	enum cs_lane	 lane;
	const char	*state;		/* a static name: "locked", "suspended", "connected", ... */
	int64_t		 time_us;
	uint64_t	 line;
	const char	*device;
	const char	*app;
};

struct cs_timeline;
typedef void (*cs_flag_cb)(const struct cs_flag *flag, void *ctx);
typedef void (*cs_state_cb)(const struct cs_state_change *change, void *ctx);

struct cs_timeline_options {
	const char	*app;		/* --app: bundle id or process name; NULL = find it */
	cs_state_cb	 state;		/* lane changes (may be NULL); called with the flag ctx */
	const char	*device;	/* the device's id for flags (live: the UDID); NULL = from lines */
	bool		 await_reports;	/* live with report fetching: a kill's verdict waits for the
					 * phone's report (cs_timeline_report / _reports_done) */
	const struct cs_rules *rules;	/* the SDK catalogue (layers, advice); may be NULL */
	const char	*sdk;		/* --sdk: name this SDK whatever the lines show; NULL = learn */
};

struct cs_timeline *cs_timeline_new(const struct cs_timeline_options *options, cs_flag_cb cb,
    void *ctx);
void cs_timeline_event(struct cs_timeline *tl, const struct cs_event *event);
void cs_timeline_line(struct cs_timeline *tl, const struct cs_line *line);	/* every line, for time */
void cs_timeline_app_facts(struct cs_timeline *tl, const char *bundle, const struct cs_app_facts *f);
void cs_timeline_finish(struct cs_timeline *tl);	/* end of input: settle pending disconnects */
const char *cs_timeline_app(const struct cs_timeline *tl);	/* the app under test, "" if none */
const char *cs_timeline_sdk(const struct cs_timeline *tl);	/* its call SDK, "" if unknown */
void cs_timeline_set_rules(struct cs_timeline *tl, const struct cs_rules *rules);	/* reload */
const char *cs_timeline_lane_state(const struct cs_timeline *tl, enum cs_lane lane);
uint64_t cs_timeline_flag_count(const struct cs_timeline *tl);
int64_t cs_timeline_now(const struct cs_timeline *tl);	/* time of the latest line */
const char *cs_timeline_device(const struct cs_timeline *tl);	/* the device the lines name, or "" */
void cs_timeline_free(struct cs_timeline *tl);
/* A crash or jetsam report from the phone (copied): a kill it matches (app, pid, time) takes its
 * cause from it. Replay hands them all in before the lines; live, as they are fetched. */
void cs_timeline_report(struct cs_timeline *tl, const struct cs_crash_report *report);
/* live: the fetch after a kill is over; kills still waiting for a report are decided without one */
void cs_timeline_reports_done(struct cs_timeline *tl);


/* ---------------------------------------------------------------- records (output.c) */

/* The NDJSON records of docs/protocol.md, as jansson objects (the caller owns the reference).
 * Every record is written with CS_JSON_DUMP: compact, fields in build order, and reals with at most
 * CS_JSON_REAL_DIGITS significant digits (a confidence of 0.85 prints as 0.85, not as the nearest
 * double's 0.84999999999999998). */
#define CS_JSON_REAL_DIGITS	6
#define CS_JSON_DUMP		(JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(CS_JSON_REAL_DIGITS))
struct json_t;
struct json_t *cs_event_json(const struct cs_event *event);
struct json_t *cs_flag_json(const struct cs_flag *flag);
const char *cs_flag_advice(const struct cs_flag *flag);	/* the SDK's advice, else the cause's */
struct json_t *cs_state_json(const struct cs_state_change *change);
const char *cs_line_device(const struct cs_line *line);	/* the UDID, else the name the line gives */
/* The "app" record: what the app declares (live check or --app-info); device NULL = none named;
 * background_modes_json NULL = the modes the facts give (audio, voip). */
struct json_t *cs_app_json(const char *device, const char *bundle, const struct cs_app_facts *facts,
    const char *background_modes_json);
/* ... from the modes already read (a JSON array, whose reference it takes) */
struct json_t *cs_app_record(const char *device, const char *bundle, const struct cs_app_facts *facts,
    struct json_t *modes);
/* The hot records (events, states, flags) as text: the line json_dumps gives for cs_event_json /
 * cs_state_json / cs_flag_json, with its '\n', appended to a growing buffer (the caller empties
 * it). tests/unit/test_output.c holds them to jansson byte for byte. */
struct cs_text {
	char	*buf;
	size_t	 len, cap;
};
void cs_event_text(struct cs_text *t, const struct cs_event *event);
void cs_state_text(struct cs_text *t, const struct cs_state_change *change);
void cs_flag_text(struct cs_text *t, const struct cs_flag *flag);
void cs_text_free(struct cs_text *t);
/* Write one record as a line of compact JSON; consumes the reference. */
void cs_json_write(FILE *out, struct json_t *record);
/* The other records of docs/protocol.md (the caller owns the reference). */
struct cs_device_info;
struct json_t *cs_background_modes_json(const char *background_modes_json, const struct cs_app_facts *facts);
struct json_t *cs_line_json(const char *device, const struct cs_line *line);
struct json_t *cs_device_json(const struct cs_device_info *info, int64_t time_us);
struct json_t *cs_mark_json(int64_t id, int64_t time_us, const char *device, const char *note,
    int64_t lost);	/* lost < 0: no "lost" field */
struct json_t *cs_hello_json(bool replay);
struct json_t *cs_store_error_json(int64_t time_us, const char *message, uint64_t lost);
struct json_t *cs_reply_json(const char *type, struct json_t *id);	/* ok, pong, devices, ... */
struct json_t *cs_error_json(struct json_t *id, const char *message);
struct json_t *cs_end_json(struct json_t *id, uint64_t count);
struct json_t *cs_report_reply_json(struct json_t *id, const char *path);
struct json_t *cs_device_entry_json(const struct cs_device_info *info, uint64_t flags);
struct cs_summary {
	uint64_t	 lines, events, flags, disconnects, warnings, unparsed, truncated, garbage_bytes;
	uint64_t	 candidates, matched, clock_jumps;
	const char	*format, *app, *sdk, *date_source;	/* NULL or "": not known */
};
struct json_t *cs_summary_json(const struct cs_summary *summary);
struct json_t *cs_replay_report_json(uint64_t flag, const char *path);
struct json_t *cs_log_json(int64_t time_us, const char *level, const char *message);

struct cs_text_style {
	bool	color;		/* ANSI colours (off for --no-colors, NO_COLOR, not a tty) */
};
void cs_flag_print(FILE *out, const struct cs_flag *flag, const struct cs_text_style *style);

/* ---------------------------------------------------------------- pipeline (replay.c) */

/* Where the pipeline's results go: the daemon's outputs (stdout, store, clients) implement it. */
struct cs_sink {
	void	(*line)(const struct cs_line *line, void *ctx);		/* may be NULL */
	void	(*event)(const struct cs_event *event, void *ctx);	/* may be NULL */
	void	(*flag)(const struct cs_flag *flag, void *ctx);		/* may be NULL */
	void	(*state)(const struct cs_state_change *change, void *ctx);	/* may be NULL */
	void	 *ctx;
};

struct cs_pipeline_options {
	const char	*app;		/* --app */
	int		 year;		/* --year */
	int		 date_year, date_month, date_day;	/* --date (0: not given) */
	int64_t		 ref_time;	/* unix seconds the capture was written by (file mtime) */
	int		 utc_offset_min;
	const char	*udid;		/* live devices */
	const char	*sdk;		/* --sdk */
	bool		 live;		/* time lines by their arrival (cs_pipeline_set_clock) */
	bool		 await_reports;	/* see cs_timeline_options */
};

struct cs_pipeline_stats {
	uint64_t	lines;
	uint64_t	events;
	uint64_t	flags;
	uint64_t	disconnects;
	uint64_t	warnings;
	uint64_t	candidates;	/* records the rules ran on */
	uint64_t	matched;	/* records that gave at least one event */
};

struct cs_pipeline;
/* rules are borrowed (shared by every device's pipeline) */
struct cs_pipeline *cs_pipeline_new(struct cs_rules *rules, const struct cs_pipeline_options *options,
    const struct cs_sink *sink);
void cs_pipeline_feed(struct cs_pipeline *p, const void *buf, size_t len);
void cs_pipeline_set_rules(struct cs_pipeline *p, struct cs_rules *rules);	/* SIGHUP reload */
void cs_pipeline_set_clock(struct cs_pipeline *p, int64_t now_us);	/* live: bytes fed next arrived now */
void cs_pipeline_app_facts(struct cs_pipeline *p, const char *bundle, const struct cs_app_facts *f);
void cs_pipeline_flush(struct cs_pipeline *p);		/* idle: hand out a pending record */
void cs_pipeline_finish(struct cs_pipeline *p);		/* end of input */
const struct cs_reader_stats *cs_pipeline_reader_stats(const struct cs_pipeline *p);
const struct cs_pipeline_stats *cs_pipeline_stats(const struct cs_pipeline *p);
enum cs_format cs_pipeline_format(const struct cs_pipeline *p);	/* the capture's main format */
struct cs_timeline *cs_pipeline_timeline(struct cs_pipeline *p);
void cs_pipeline_free(struct cs_pipeline *p);
void cs_pipeline_report(struct cs_pipeline *p, const struct cs_crash_report *report);
void cs_pipeline_reports_done(struct cs_pipeline *p);
/* Every report in dir (crashreport.c) to the pipeline, before its lines; a file that is no report is
 * named on stderr and skipped. The number of reports, or -1 (err) when dir cannot be read. */
int cs_pipeline_crash_dir(struct cs_pipeline *p, const char *dir, char *err, size_t errlen);

/* Read a whole file (or "-" for stdin) through a pipeline. 0 ok; -1 with err filled (cannot read). */
int cs_replay_fd(struct cs_pipeline *p, int fd, char *err, size_t errlen);
/* A replay reads its capture CS_REPLAY_CHUNK bytes at a time, each with cs_replay_read: read()
 * once, retrying a signal (>0 bytes, 0 at the end, -1 with errno set). tests/bench/floor.c reads
 * the same chunks. */
#define CS_REPLAY_CHUNK (256 * 1024)
ssize_t cs_replay_read(int fd, char *buf, size_t len);


/* ---------------------------------------------------------------- store (store.c) */

/* One SQLite file (WAL): devices, lines, events, states, flags, marks. Writes go into an open
 * transaction that cs_store_commit() closes (the daemon calls it at least every 250 ms): what was
 * committed survives kill -9. Created 0600. */
struct cs_store;

struct cs_store_options {
	const char	*path;		/* ":memory:" for a private replay daemon */
	int64_t		 max_bytes;	/* 0 = unbounded; oldest data pruned first */
	int64_t		 max_age_us;	/* 0 = unbounded */
	bool		 read_only;	/* replaying a store (maybe someone else's): open it to read only */
	bool		 no_check;	/* skip the integrity check at open (a second connection to a store
					 * the daemon checked when it opened it) */
};

enum cs_record_type {	/* bits for history queries */
	CS_REC_EVENT = 1u << 0, CS_REC_STATE = 1u << 1, CS_REC_FLAG = 1u << 2, CS_REC_MARK = 1u << 3,
	CS_REC_DEVICE = 1u << 4, CS_REC_LINE = 1u << 5, CS_REC_APP = 1u << 6,
};
#define CS_REC_DEFAULT (CS_REC_EVENT | CS_REC_STATE | CS_REC_FLAG | CS_REC_MARK | CS_REC_DEVICE | CS_REC_APP)

struct cs_store *cs_store_open(const struct cs_store_options *options, char *err, size_t errlen);
bool cs_store_is_store_file(const char *path);		/* starts with the SQLite header */
int cs_store_device(struct cs_store *s, const char *udid, const char *name, const char *product_version,
    const char *product_type, const char *state, const char *detail, int64_t time_us);
int cs_store_app(struct cs_store *s, const char *udid, const char *bundle, const struct cs_app_facts *f,
    const char *background_modes_json);
int cs_store_line(struct cs_store *s, const char *device, const struct cs_line *line);
int cs_store_event(struct cs_store *s, const char *device, const struct cs_event *event);
int cs_store_state(struct cs_store *s, const struct cs_state_change *change);
int cs_store_flag(struct cs_store *s, const struct cs_flag *flag);
int64_t cs_store_mark(struct cs_store *s, const char *device, int64_t time_us, const char *note);
int cs_store_commit(struct cs_store *s);
int cs_store_prune(struct cs_store *s, int64_t now_us);
/* Stored records as protocol objects (docs/protocol.md), in time order; the callback takes the
 * reference; a non-zero return stops the walk. device NULL = all; since/until 0 = open. */
typedef int (*cs_record_cb)(struct json_t *record, void *ctx);
int cs_store_history(struct cs_store *s, const char *device, int64_t since_us, int64_t until_us,
    unsigned types, size_t limit, cs_record_cb cb, void *ctx);
/* The same, a part at a time (a long answer is sent as the client reads): call again with the same
 * cursor (zeroed the first time) until it returns 0; 1 = cb returned non-zero after taking a record
 * (a pause); -1 = error (cs_store_error says why). limit 0 = all. A paused cursor keeps its SQLite
 * statement (one sort for the whole answer); cs_store_history_release() ends it, so a pause that
 * lasts does not pin the WAL, and the next call goes on from the last record handed out. */
struct cs_history_cursor {
	bool		 started, apps_done;
	int64_t		 time_us;	/* the last record handed out: (time, table, id) */
	int		 table;
	int64_t		 id;
	uint64_t	 unreadable;	/* stored records that could not be read back */
	void		*stmt;		/* sqlite3_stmt while paused */
};
int cs_store_history_page(struct cs_store *s, const char *device, int64_t since_us, int64_t until_us,
    unsigned types, struct cs_history_cursor *cur, size_t limit, cs_record_cb cb, void *ctx);
void cs_store_history_release(struct cs_history_cursor *cur);
/* The stored raw lines of one device (NULL: every device, grouped by device) in capture order. */
typedef void (*cs_raw_line_cb)(const char *device, const char *raw, size_t len, int64_t time_us,
    void *ctx);
int cs_store_raw_lines(struct cs_store *s, const char *device, int64_t since_us, int64_t until_us,
    cs_raw_line_cb cb, void *ctx);
int64_t cs_store_size(struct cs_store *s);
/* Forwarding: records of one type (a CS_REC_ bit: flag, device, app, event, line) with a row id
 * after after_id, in id order, at most limit; cb takes the reference, non-zero stops. */
typedef int (*cs_row_cb)(struct json_t *record, int64_t id, void *ctx);
int cs_store_forward_rows(struct cs_store *s, unsigned type, int64_t after_id, size_t limit, cs_row_cb cb,
    void *ctx);
/* The collector's cursor: the last row id of a type it acknowledged (0: none yet). */
int cs_store_forward_get(struct cs_store *s, const char *target, unsigned type, int64_t *acked);
int cs_store_forward_set(struct cs_store *s, const char *target, unsigned type, int64_t acked);
const char *cs_store_record_type_name(unsigned type);	/* "flag", ...; NULL if not forwardable */
/* The latest non-empty name a device record gave the UDID ("" if none). */
int cs_store_device_name(struct cs_store *s, const char *udid, char *out, size_t outlen);
const char *cs_store_path(const struct cs_store *s);	/* resolved; NULL for ":memory:" */
const char *cs_store_error(const struct cs_store *s);	/* the last error, with SQLite's words */
bool cs_store_check_partial(const struct cs_store *s);	/* the check at open ran out of time */
uint64_t cs_store_take_lost(struct cs_store *s);	/* rows not stored since the last call */
void cs_store_close(struct cs_store *s);	/* commits what is open */

/* ---------------------------------------------------------------- reports (report.c, redact.c) */

struct cs_report_options {
	const char	*out_dir;	/* parent folder; the bundle is a new folder (or .tar.gz) in it */
	const char	*name;		/* bundle name; NULL = callsight-<device>-<time> */
	const char	*device;	/* NULL = the flag's device, or all */
	uint64_t	 flag_id;	/* 0 = use since/until */
	int64_t		 since_us, until_us;	/* window; with a flag: default ±2 min around it */
	bool		 tar;		/* one .tar.gz instead of a folder */
	bool		 redact;	/* default true: tokens, secrets, e-mails, phones, IPs */
	const char	*crash_dir;	/* where the phone's reports a flag names are (NULL: none) */
};
/* Writes report.html, flags.json, events.ndjson, syslog.txt, and crash-<file> for each of the phone's
 * reports a flag names (found in crash_dir); path_out gets the bundle's path. */
int cs_report_write(struct cs_store *store, const struct cs_report_options *options, char *path_out,
    size_t pathlen, char *err, size_t errlen);

/* Redact secrets in text, keeping its line structure (never changes the number of lines). Returns a
 * new string the caller frees. */
char *cs_redact(const char *text, size_t len);
/* Stable per-bundle pseudonyms for phone names and UDIDs (pseudonym.c): NULL when no random key */
struct cs_pseudonyms;
struct cs_pseudonyms *cs_pseudonyms_new(void);
void cs_pseudonyms_add_device(struct cs_pseudonyms *p, const char *udid, const char *name);
char *cs_pseudonyms_apply(const struct cs_pseudonyms *p, const char *s);	/* NULL: unchanged */
void cs_pseudonyms_free(struct cs_pseudonyms *p);


/* ---------------------------------------------------------------- socket (server.c) */

struct cs_server;
struct cs_client;
struct event_base;
typedef void (*cs_request_cb)(struct cs_client *c, const char *request, struct json_t *req, void *ctx);
typedef void (*cs_client_cb)(struct cs_client *c, void *ctx);

int cs_private_dir(const char *path, char *err, size_t errlen);	/* the socket's dir: 0700, ours */
int cs_peer_uid(int fd, uid_t *uid);
bool cs_socket_alive(const char *path);
/* hello is sent to every client on connect (the server keeps the reference) */
struct cs_server *cs_server_new(struct event_base *base, const char *path, struct json_t *hello,
    cs_request_cb on_request, cs_client_cb on_leave, void *ctx, char *err, size_t errlen);
/* send a record to every subscriber of device (NULL: every subscriber); consumes the reference */
void cs_server_broadcast(struct cs_server *s, const char *device, bool is_line, struct json_t *record);
bool cs_server_wants_lines(const struct cs_server *s);
size_t cs_server_clients(const struct cs_server *s);
const char *cs_server_path(const struct cs_server *s);
void cs_client_send(struct cs_client *c, struct json_t *record);	/* consumes the reference */
void cs_client_error(struct cs_client *c, struct json_t *id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void cs_client_subscribe(struct cs_client *c, const char *device, bool lines);
/* Flow control for long answers (history): queue the final reply of a request even when the
 * queue is full (a little past it: the client must learn the answer ended); whether the queue has
 * room for another page; cb is called whenever the queue drains below its low mark (NULL: stop). */
void cs_client_send_final(struct cs_client *c, struct json_t *record);	/* consumes the reference */
bool cs_client_has_room(const struct cs_client *c);
void cs_client_on_drained(struct cs_client *c, cs_client_cb cb, void *ctx);
uint64_t cs_client_id(const struct cs_client *c);
struct cs_client *cs_server_client(const struct cs_server *s, uint64_t id);	/* NULL: it left */
size_t cs_server_queued(const struct cs_server *s);	/* bytes queued for every client */
void cs_server_free(struct cs_server *s);


/* ---------------------------------------------------------------- live devices (device.c, appcheck.c) */

struct cs_device_info {
	char	udid[64];
	char	name[128];
	char	product_version[32];
	char	product_type[32];
	char	state[16];	/* attached, streaming, detached, locked, stalled, error */
	char	detail[160];
	bool	network;
};

struct cs_device_options {
	const char	*udid;		/* -u: follow only this device */
	bool		 network;	/* -n: network devices too */
	int		 stall_timeout_s;	/* 0 = never */
	const char	*app;		/* --app: check this app when a device attaches */
	const char	*crash_dir;	/* where fetched reports are copied (a folder per device) */
	int64_t		 crash_since_s;	/* reports older than this (the daemon's start) are ignored */
};

/* Called on the main loop's thread. */
struct cs_device_hooks {
	void	(*state)(const struct cs_device_info *info, void *ctx);
	void	(*bytes)(const char *udid, const char *buf, size_t len, void *ctx);
	void	(*idle)(const char *udid, void *ctx);	/* the stream paused: flush pending records */
	void	(*app)(const char *udid, const char *bundle, const struct cs_app_facts *facts,
		    const char *background_modes_json, void *ctx);
	/* a crash/jetsam report fetched after cs_devices_want_reports (copied to path) */
	void	(*report)(const char *udid, const char *path, const struct cs_crash_report *r, void *ctx);
	void	(*reports_done)(const char *udid, void *ctx);	/* that fetch is over */
	void	 *ctx;
};

struct cs_devices;
struct cs_devices *cs_devices_start(struct event_base *base, const struct cs_device_options *options,
    const struct cs_device_hooks *hooks, char *err, size_t errlen);
void cs_devices_want_app(struct cs_devices *ds, const char *udid, const char *bundle_or_process);
void cs_devices_stop(struct cs_devices *ds);
/* The app under test died: fetch the phone's new reports about it (and JetsamEvents) for a while,
 * on the device's capture thread; results come through hooks.report / hooks.reports_done. */
void cs_devices_want_reports(struct cs_devices *ds, const char *udid, const char *app, const char *bundle,
    const char *process, long pid);

struct idevice_private;
/* One pass over a phone's crash reports (crashfetch.c), as idevicecrashreport -k does: mover, ping,
 * AFC walk. Never removes anything. The number of files handed to got, or -1 (err). */
struct cs_crash_fetch {
	int64_t	  since_s;	/* files older than this (st_mtime) are skipped */
	bool	(*known)(const char *path, void *ctx);	/* seen before: not read again */
	bool	(*got)(const char *path, const char *data, size_t len, void *ctx);	/* true: kept */
	void	 *ctx;
};
int cs_crash_fetch(struct idevice_private *dev, struct cs_crash_fetch *f, char *err, size_t errlen);

/* Read the installed app's UIBackgroundModes and privacy strings through installation_proxy.
 * want: bundle id or executable name. 0 ok (found_bundle, facts, modes as a JSON array text). */
struct idevice_private;
int cs_appcheck(struct idevice_private *device, const char *want, char *found_bundle, size_t foundlen,
    struct cs_app_facts *facts, char *modes_json, size_t modeslen, char *err, size_t errlen);
/* The facts of one app's declarations (a plist_t dict: an installation_proxy entry or an Info.plist):
 * used by cs_appcheck and cs_appinfo_load alike. bundle gets CFBundleIdentifier ("" when absent). */
void cs_app_facts_read(void *app_dict, struct cs_app_facts *facts, char *bundle, size_t bundlelen,
    char *modes_json, size_t modeslen);
/* --app-info PATH (appinfo.c): the app's facts from an Info.plist (XML or binary), an .app folder or
 * an .ipa. 0 ok; -1 with err naming the file and what is wrong with it. */
int cs_appinfo_load(const char *path, char *bundle, size_t bundlelen, struct cs_app_facts *facts,
    char *modes_json, size_t modeslen, char *err, size_t errlen);


/* ---------------------------------------------------------------- the service (daemon.c) */

#define MAX_RULE_FILES 16
#define MAX_FORWARDS 8

struct cs_daemon_options {
	const char	*replay;	/* --replay FILE */
	bool		 serve;		/* --serve: keep serving a replay on the socket */
	bool		 json;		/* --json: NDJSON records on stdout */
	bool		 events;	/* text replay: list events */
	bool		 no_colors;
	bool		 verbose;
	const char	*app;
	const char	*rule_files[MAX_RULE_FILES];
	int		 nrule_files;
	int		 year;
	int		 date_year, date_month, date_day;	/* --date */
	int		 utc_offset_min;
	bool		 utc_offset_given;	/* else live devices use the host's zone */
	const char	*udid;		/* -u */
	bool		 network;	/* -n */
	bool		 daemonize;	/* -d */
	bool		 exit_on_detach;	/* -x */
	const char	*socket;	/* --socket */
	bool		 no_socket;	/* --no-socket */
	const char	*store;		/* --store */
	bool		 no_store;	/* --no-store */
	int64_t		 max_store_mb;	/* --max-store-mb */
	int64_t		 max_age_us;	/* --max-age */
	const char	*auto_report;	/* --auto-report DIR */
	bool		 no_redact;	/* --no-redact (auto reports) */
	int		 stall_timeout_s;	/* --stall-timeout */
	const char	*metrics;	/* --metrics [ADDR:]PORT */
	const char	*forward[MAX_FORWARDS];	/* --forward URL (repeatable) */
	int		 nforward;
	const char	*forward_ca;	/* --forward-ca FILE (syslog+tls) */
	bool		 forward_events;	/* --forward-events */
	bool		 forward_lines;	/* --forward-lines */
	const char	*crash_dir;	/* --crash-dir: replay reads the phone's reports from it; live
					 * copies them into it (default: next to the store) */
	bool		 no_crash_reports;	/* --no-crash-reports: live, fetch none */
	const char	*sdk;		/* --sdk NAME: the call SDK to name when the log is ambiguous */
	const char	*app_info;	/* --app-info PATH: Info.plist, .app or .ipa (replay) */
	const char	*report_dir;	/* --report DIR: a bundle per flag of the replay */
	bool		 report_tar;	/* --tar: the bundles as .tar.gz */
};

/* Run the service until SIGTERM/SIGINT (or, with --serve, until its client leaves). Takes the
 * rules. ready_fd (or -1) gets a byte once the socket listens (-d waits for it). */
int cs_daemon_run(const struct cs_daemon_options *options, struct cs_rules *rules, int ready_fd);

/* ---------------------------------------------------------------- .tar.gz (tar.c) */

/* final (a .tar.gz path) gets the folder top/ holding src_dir's files, in that order; 0 or -1 + err */
int cs_tar_write(const char *out_dir, const char *final, const char *top, const char *src_dir,
    const char *const *files, size_t nfiles, char *err, size_t errlen);

/* ---------------------------------------------------------------- the log (log.c) */

enum cs_log_level { CS_LOG_ERROR, CS_LOG_WARN, CS_LOG_INFO, CS_LOG_DEBUG };
typedef void (*cs_log_hook)(enum cs_log_level level, const char *message, void *arg);
/* say something: stderr in the foreground ("callsightd: ..."), the log file with -d */
void cs_log(enum cs_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cs_log_set_level(enum cs_log_level max);	/* the daemon: info; -v: debug */
/* stderr becomes this file (0600, no symlink), lines get a time and a level, errors go to syslog */
int cs_log_to_file(const char *path, char *err, size_t errlen);
/* called with every warning and error (whatever the level), e.g. to tell the clients */
void cs_log_set_hook(cs_log_hook hook, void *arg);
const char *cs_log_level_name(enum cs_log_level level);
void cs_log_close(void);				/* back to stderr, no hook (tests, exit) */

/* ---------------------------------------------------------------- utilities (util.c) */

/* mkdir -p; the folders created are 0700. what names the folder in messages ("store", "report") */
int cs_make_dirs(const char *dir, const char *what, char *err, size_t errlen);
/* "PORT", "HOST:PORT", "[V6]:PORT" (host defaults to default_host); 0 ok, -1 malformed */
int cs_parse_host_port(const char *spec, const char *default_host, char *host, size_t hostlen,
    unsigned *port);

/* ---------------------------------------------------------------- lab: metrics (metrics.c, metrics_http.c) */

enum cs_metric_id {
#define CS_METRIC(id, type, labels, help) CS_M_##id,
#include "callsight/metrics.def"
#undef CS_METRIC
	CS_M_COUNT
};

/* Counters and gauges by family and label values (in metrics.def's label order; NULL = ""). */
struct cs_metrics;
struct cs_metrics *cs_metrics_new(size_t max_series);
size_t cs_metrics_label_count(enum cs_metric_id id);
void cs_metrics_add(struct cs_metrics *m, enum cs_metric_id id, const char *const *labels, double delta);
void cs_metrics_set(struct cs_metrics *m, enum cs_metric_id id, const char *const *labels, double value);
double cs_metrics_get(struct cs_metrics *m, enum cs_metric_id id, const char *const *labels);
/* The Prometheus text exposition (0.0.4) of every family; the caller frees it. NULL on no memory. */
char *cs_metrics_render(const struct cs_metrics *m, size_t *len);
void cs_metrics_free(struct cs_metrics *m);

/* GET /metrics on the loop; gather (may be NULL) refreshes scrape-time gauges first. */
struct cs_metrics_http;
typedef void (*cs_metrics_gather_cb)(void *ctx);
struct cs_metrics_http *cs_metrics_http_new(struct event_base *base, const char *spec,
    struct cs_metrics *metrics, cs_metrics_gather_cb gather, void *ctx, char *err, size_t errlen);
void cs_metrics_http_free(struct cs_metrics_http *h);

/* ---------------------------------------------------------------- lab: forwarding (forward.c) */

struct cs_forward_options {
	const char	*url;		/* relp://, syslog+tcp://, syslog+tls:// HOST:PORT */
	const char	*ca_file;	/* syslog+tls: the CA file (NULL: the system's) */
	unsigned	 types;		/* CS_REC_ bits: flag, device, app, event, line */
	bool		 redact;
};
/* Starts the collector's thread; the store is read and written on the loop only (tick). */
struct cs_forwarder;
struct cs_forwarder *cs_forwarder_new(struct cs_store *store, const struct cs_forward_options *o,
    char *err, size_t errlen);
void cs_forwarder_tick(struct cs_forwarder *f);	/* on the loop: store acks, refill the window */
void cs_forwarder_free(struct cs_forwarder *f);	/* stops the thread (a clean close first) */

#endif /* CALLSIGHTD_H */

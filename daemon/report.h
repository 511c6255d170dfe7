/*
 * report.h - what report.c (gather, redact, stream the bundle) and report-html.c (draw its page)
 * share: the model of one bundle and the small readers of its records. Private to those two files;
 * the rest of the daemon knows cs_report_write() (callsightd.h).
 */
#ifndef CALLSIGHT_REPORT_H
#define CALLSIGHT_REPORT_H

#include <limits.h>
#include <stdio.h>

#include <jansson.h>

#include "callsightd.h"

#define SEC			1000000LL
#define FLAG_WINDOW_US		(120 * SEC)	/* default window: ±2 min around a flag */
/* A bundle is streamed from the store (issue 14 §2: an open report on a 1 GB store took 2 GB when it
 * was built in memory): these bound what one report holds, whatever the window's size. */
#define RECORD_PAGE		2000		/* event/state records redacted and written at once */
#define LINE_PAGE		5000		/* raw lines redacted and written at once ... */
#define LINE_PAGE_BYTES		(1 << 20)	/* ... or this many bytes of them */
#define HTML_MAX_RECORDS	10000		/* records the page's timeline draws: the newest */
#define PLOT_LANES		5		/* Screen, App, Audio, Call, Network */

static const enum cs_lane plot_lanes[PLOT_LANES] = {	/* one table, in this header */
	CS_LANE_screen, CS_LANE_app, CS_LANE_audio, CS_LANE_call, CS_LANE_network
};

#define MAX_CRASH_FILES	8	/* the phone's reports a bundle carries */

/* one crash/jetsam report a flag names ("reports"), copied into the bundle (redacted like the rest) */
struct crash_file {
	char			 name[192];	/* in the bundle: crash-<file> */
	char			*text;
	size_t			 len;
	bool			 parsed;
	struct cs_crash_report	 rep;		/* read from the (redacted) text */
	long long		 flag_id;	/* the flag that named it first */
	char			 flag_reason[160];	/* the report's reason as that flag gives it */
};

/* the model of one bundle: protocol records, raw lines and the window */
struct report {
	const struct cs_report_options *opt;
	const char	*device;	/* the device reported on; NULL = every device (redacted with the rest) */
	char		*store_device;	/* the same as the store knows it: what the streams read */
	int64_t		 since, until;	/* the window as asked (0 = open) */
	int64_t		 t_start, t_end;	/* the window drawn (data extents when open) */
	json_t		*focus;		/* the flag asked for (borrowed from flags), or NULL */
	json_t		*flags;		/* flag records in the window */
	json_t		*records;	/* the event and state records the timeline draws: the newest
					 * HTML_MAX_RECORDS of the window (all are in events.ndjson) */
	json_t		*marks;
	json_t		*devices;	/* udid -> the latest device record */
	json_t		*apps;		/* app records */
	json_t		*prior;		/* "udid\nlane" -> the last state record before the drawn records */
	json_t		*udids;		/* the devices of the records, in order of appearance */
	size_t		 nlines, nrecords;	/* written to syslog.txt, events.ndjson */
	int64_t		 plot_from;	/* the timeline starts here: older records were not kept (0: t_start) */
	/* streaming (each page is redacted and written, then freed) */
	struct cs_pseudonyms *ps;	/* redacting: the phones' pseudonyms, one key for the bundle */
	char		 partial[PATH_MAX];	/* the hidden folder the files are written into */
	FILE		*events, *syslog;
	json_t		*page;		/* records read, not yet written */
	json_t		**ring;		/* the newest HTML_MAX_RECORDS records (redacted), oldest at ring_head */
	size_t		 ring_head, ring_n;
	char		*lines;		/* raw lines read, not yet written */
	size_t		 lines_len, lines_cap, lines_n;
	int		 stream_rc;	/* -1 once writing a page failed (err says why) */
	char		*err;
	size_t		 errlen;
	struct crash_file crash[MAX_CRASH_FILES];
	size_t		 ncrash;
};


/* record fields */

static inline const char *
jstr(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s ? s : "";
}

static inline int64_t
jint(const json_t *obj, const char *key)
{
	return (int64_t)json_integer_value(json_object_get(obj, key));
}

/* "2026-03-04T12:00:02.123Z" -> µs since the epoch (0 when it does not parse) */
static inline int64_t
record_time(const json_t *record)
{
	int64_t us;
	const char *iso = jstr(record, "time");
	return iso != NULL && cs_parse_iso_time(iso, &us, NULL, 0) == 0 ? us : 0;
}

/* the key of the last state of a lane before the window */
static inline void
device_lane_key(const char *device, const char *lane, char *key, size_t len)
{
	snprintf(key, len, "%s\n%s", device, lane);
}

/* a phone's name as the bundle shows it (its pseudonym when redacted), else its id */
static inline const char *
device_name(const struct report *r, const char *udid)
{
	const char *name = jstr(json_object_get(r->devices, udid), "name");
	return name[0] ? name : udid[0] ? udid : "(unnamed device)";
}

/* report.html from the model (report-html.c) */
void report_render_html(FILE *out, const struct report *r);

#endif

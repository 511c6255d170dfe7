/*
 * report.c - the bug-report bundle a developer attaches to an issue: a folder (or one .tar.gz)
 * holding report.html (stands alone: inline CSS and SVG, no JavaScript, no network), flags.json,
 * events.ndjson (event and state records) and syslog.txt (the raw lines of the window).
 *
 * How it is built (streamed: the daemon's memory stays flat whatever the window's size, issue 14 §2):
 *  1. gather: what is small is read into a model of protocol records (jansson): the flags and marks
 *     of the window (±2 min around a flag, or since/until; open: the whole store), the device and
 *     app facts, the lane states before the window;
 *  2. redact: every string of the model goes through one cs_redact() call (redaction never changes
 *     the number of lines, so the strings are joined and split back), after the phones' names and
 *     UDIDs became pseudonyms (one key for the whole bundle, kept for the streams below);
 *  3. stream: the event/state records (events.ndjson) and the raw lines (syslog.txt) are read from
 *     the store a page at a time, each page pseudonymised, redacted and appended to its file, then
 *     freed; the page keeps the newest HTML_MAX_RECORDS records for its timeline;
 *  4. render: report.html and flags.json are written from the model; all files go into a hidden
 *     temporary folder that is renamed into place (or archived into a .tar.gz that is): a bundle
 *     is complete or absent, never half.
 *
 * The .tar.gz is written by tar.c; the page's HTML and SVG by report-html.c.
 *
 * Every log text is hostile: it is HTML-escaped (& < > " ') wherever it is written, and the page
 * carries a Content-Security-Policy that forbids scripts and network fetches anyway.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "callsightd.h"
#include "report_assets.h"

/* the page's CSS and SVG pattern definitions: daemon/report/, embedded at build (tools/embed.sh) */
static const char *
report_asset(const char *name)
{
	for (const struct cs_embedded_file *f = cs_report_assets; f->name != NULL; f++)
		if (strcmp(f->name, name) == 0)
			return f->text;
	return "";
}

#define SEC			1000000LL
#define FLAG_WINDOW_US		(120 * SEC)	/* default window: ±2 min around a flag */
/* A bundle is streamed from the store (issue 14 §2: an open report on a 1 GB store took 2 GB when it
 * was built in memory): these bound what one report holds, whatever the window's size. */
#define RECORD_PAGE		2000		/* event/state records redacted and written at once */
#define LINE_PAGE		5000		/* raw lines redacted and written at once ... */
#define LINE_PAGE_BYTES		(1 << 20)	/* ... or this many bytes of them */
#define HTML_MAX_RECORDS	10000		/* records the page's timeline draws: the newest */
#define PLOT_LANES		5		/* Screen, App, Audio, Call, Network */

static const enum cs_lane plot_lanes[PLOT_LANES] = {
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


/* dir/name+ext into out; -1 when it does not fit */
static int
path_join(char *out, size_t len, const char *dir, const char *name, const char *ext)
{
	int n = snprintf(out, len, "%s/%s%s", dir, name, ext);
	return n >= 0 && (size_t)n < len ? 0 : -1;
}

/* ---------------------------------------------------------------- record fields */

static const char *
jstr(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s ? s : "";
}

static int64_t
jint(const json_t *obj, const char *key)
{
	return (int64_t)json_integer_value(json_object_get(obj, key));
}

/* "2026-03-04T12:00:02.123Z" -> µs since the epoch (0 when it does not parse) */
static int64_t
record_time(const json_t *record)
{
	int64_t us;
	const char *iso = jstr(record, "time");
	return iso != NULL && cs_parse_iso_time(iso, &us, NULL, 0) == 0 ? us : 0;
}

/* the key of the last state of a lane before the window */
static void
device_lane_key(const char *device, const char *lane, char *key, size_t len)
{
	snprintf(key, len, "%s\n%s", device, lane);
}

/* ---------------------------------------------------------------- gather */

struct flag_search {
	uint64_t	 id;
	json_t		*found;		/* the most recent flag with that id */
};

static int
on_flag_search(json_t *record, void *ctx)
{
	struct flag_search *fs = ctx;
	if ((uint64_t)jint(record, "id") == fs->id) {
		json_decref(fs->found);
		fs->found = record;
	} else {
		json_decref(record);
	}
	return 0;
}

/* Flag ids restart with each timeline, so the most recent flag with the id is the one meant.
 * -1: the store could not be read (not the same as no such flag). */
static int
find_flag(struct cs_store *store, const char *device, uint64_t id, json_t **found)
{
	struct flag_search fs = { .id = id };
	if (cs_store_history(store, device, 0, 0, CS_REC_FLAG, 0, on_flag_search, &fs) < 0) {
		json_decref(fs.found);
		*found = NULL;
		return -1;
	}
	*found = fs.found;
	return 0;
}

static int
on_window_record(json_t *record, void *ctx)
{
	struct report *r = ctx;
	json_array_append_new(strcmp(jstr(record, "type"), "flag") == 0 ? r->flags : r->marks, record);
	return 0;
}

static int
on_fact_record(json_t *record, void *ctx)
{
	struct report *r = ctx;
	if (strcmp(jstr(record, "type"), "app") == 0)
		json_array_append_new(r->apps, record);
	else	/* device records come in time order: the last one wins */
		json_object_set_new(r->devices, jstr(record, "device"), record);
	return 0;
}

static int
on_prior_state(json_t *record, void *ctx)
{
	struct report *r = ctx;
	char key[256];
	device_lane_key(jstr(record, "device"), jstr(record, "lane"), key, sizeof key);
	json_object_set_new(r->prior, key, record);
	return 0;
}

/* an open window is drawn over the data it holds */
static void
widen(struct report *r, int64_t t)
{
	if (r->since == 0 && t && (r->t_start == 0 || t < r->t_start))
		r->t_start = t;
	if (r->until == 0 && t > r->t_end)
		r->t_end = t;
}

/* The drawn window: as asked, or the extents of the records and lines when open (the streamed
 * records and lines widened it as they went by). */
static void
settle_drawn_window(struct report *r)
{
	json_t *lists[] = { r->flags, r->marks };
	for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
		size_t k;
		json_t *rec;
		json_array_foreach(lists[i], k, rec)
			widen(r, record_time(rec));
	}
	if (r->since)
		r->t_start = r->since;
	if (r->until)
		r->t_end = r->until;
	if (r->t_end <= r->t_start) {	/* nothing, or one instant: show a minute around it */
		int64_t mid = r->t_start ? r->t_start : r->t_end;
		r->t_start = mid - 30 * SEC;
		r->t_end = mid + 30 * SEC;
	}
}

/* What a bundle holds in memory whatever the window's size: the flags and marks of the window,
 * the device and app facts, the lane states before it. The records and the lines are streamed
 * (stream_records, stream_lines). */
static int
gather(struct report *r, struct cs_store *store)
{
	const struct cs_report_options *opt = r->opt;
	r->flags = json_array();
	r->records = json_array();
	r->marks = json_array();
	r->devices = json_object();
	r->apps = json_array();
	r->prior = json_object();
	r->udids = json_array();
	r->since = opt->since_us;
	r->until = opt->until_us;

	json_t *focus = NULL;
	if (opt->flag_id) {
		if (find_flag(store, opt->device, opt->flag_id, &focus) < 0) {
			cs_set_error(r->err, r->errlen, "cannot read the store for the report: %s",
			    cs_store_error(store));
			return -1;
		}
		if (focus == NULL) {
			cs_set_error(r->err, r->errlen, "no flag %llu in the store%s%s", (unsigned long long)opt->flag_id,
			    opt->device ? " for device " : "", opt->device ? opt->device : "");
			return -1;
		}
		int64_t t = record_time(focus);
		if (!r->since)
			r->since = t - FLAG_WINDOW_US;
		if (!r->until)
			r->until = t + FLAG_WINDOW_US;
	}
	/* the device reported on, copied: focus is released below */
	const char *asked = opt->device ? opt->device : focus ? jstr(focus, "device") : NULL;
	char *device = asked ? cs_xstrdup(asked) : NULL;
	r->device = device;
	r->store_device = asked ? cs_xstrdup(asked) : NULL;

	int rc = 0;
	if (cs_store_history(store, device, r->since, r->until, CS_REC_FLAG | CS_REC_MARK, 0, on_window_record,
	    r) < 0 ||
	    cs_store_history(store, device, 0, 0, CS_REC_DEVICE | CS_REC_APP, 0, on_fact_record, r) < 0 ||
	    (r->since > 0 && cs_store_history(store, device, 0, r->since - 1, CS_REC_STATE, 0, on_prior_state,
	    r) < 0)) {
		cs_set_error(r->err, r->errlen, "cannot read the store for the report: %s", cs_store_error(store));
		rc = -1;
	}
	/* the focus flag is the window's own copy, so it is redacted with the rest */
	if (focus) {
		size_t i;
		json_t *f;
		json_array_foreach(r->flags, i, f) {
			if (jint(f, "id") == jint(focus, "id") && strcmp(jstr(f, "device"), jstr(focus, "device")) == 0
			    && strcmp(jstr(f, "time"), jstr(focus, "time")) == 0)
				r->focus = f;
		}
		if (r->focus == NULL) {	/* outside an explicit window: show it anyway */
			json_array_append(r->flags, focus);
			r->focus = focus;
		}
		json_decref(focus);
	}
	return rc;
}

static void
report_free(struct report *r)
{
	json_decref(r->flags);
	json_decref(r->records);
	json_decref(r->marks);
	json_decref(r->devices);
	json_decref(r->apps);
	json_decref(r->prior);
	json_decref(r->udids);
	json_decref(r->page);
	for (size_t i = 0; i < r->ring_n; i++)
		json_decref(r->ring[(r->ring_head + i) % HTML_MAX_RECORDS]);
	free(r->ring);
	free(r->lines);
	if (r->events)
		fclose(r->events);
	if (r->syslog)
		fclose(r->syslog);
	if (r->ps)
		cs_pseudonyms_free(r->ps);
	free((char *)r->device);
	free(r->store_device);
	for (size_t i = 0; i < r->ncrash; i++)
		free(r->crash[i].text);
}

/* ---------------------------------------------------------------- the phone's crash reports */

/* a report file named by a flag: in the folder, or one or two folders down (live copies go to
 * <crash dir>/<udid>/, idevicecrashreport keeps Retired/ and the like) */
static char *
read_crash_file(const char *dir, const char *file, int depth, size_t *len)
{
	char path[PATH_MAX];
	if (path_join(path, sizeof path, dir, file, "") == 0) {
		FILE *f = fopen(path, "rb");
		if (f) {
			char *buf = NULL;
			size_t cap = 0;
			FILE *mem = open_memstream(&buf, &cap);
			char chunk[8192];
			size_t n, total = 0;
			while (mem && (n = fread(chunk, 1, sizeof chunk, f)) > 0 && total <= CS_REPORT_MAX_BYTES) {
				fwrite(chunk, 1, n, mem);
				total += n;
			}
			fclose(f);
			if (mem && fclose(mem) == 0 && total <= CS_REPORT_MAX_BYTES) {
				*len = cap;
				return buf;
			}
			free(buf);
			return NULL;
		}
	}
	if (depth >= 2)
		return NULL;
	DIR *d = opendir(dir);
	if (d == NULL)
		return NULL;
	char *found = NULL;
	struct dirent *e;
	while (found == NULL && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || path_join(path, sizeof path, dir, e->d_name, "") < 0)
			continue;
		struct stat st;
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			found = read_crash_file(path, file, depth + 1, len);
	}
	closedir(d);
	return found;
}

/* every report the window's flags name, once, redacted when the bundle is */
static void
gather_crash(struct report *r)
{
	if (r->opt->crash_dir == NULL)
		return;
	size_t i, k;
	json_t *f, *rep;
	json_array_foreach(r->flags, i, f) {
		json_array_foreach(json_object_get(f, "reports"), k, rep) {
			const char *file = jstr(rep, "file");
			if (file[0] == '\0' || file[0] == '.' || strchr(file, '/') || r->ncrash == MAX_CRASH_FILES)
				continue;
			char name[192];
			snprintf(name, sizeof name, "crash-%s", file);
			for (char *p = name; *p; p++)	/* a plain file name in the bundle */
				if (!strchr("._-", *p) && !(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
				    !(*p >= '0' && *p <= '9'))
					*p = '_';
			bool dup = false;
			for (size_t j = 0; j < r->ncrash; j++)
				dup |= strcmp(r->crash[j].name, name) == 0;
			size_t len = 0;
			char *text = dup ? NULL : read_crash_file(r->opt->crash_dir, file, 0, &len);
			if (text == NULL)
				continue;
			if (r->opt->redact) {	/* fails closed: no redaction, no file */
				char *red = cs_redact(text, len);
				free(text);
				if (red == NULL)
					continue;
				text = red;
				len = strlen(red);
			}
			struct crash_file *c = &r->crash[r->ncrash++];
			cs_strlcpy(c->name, name, sizeof c->name);
			c->text = text;
			c->len = len;
			c->parsed = cs_crash_report_parse(text, len, file, &c->rep, NULL, 0) == 0;
			c->flag_id = (long long)jint(f, "id");
			cs_strlcpy(c->flag_reason, jstr(rep, "reason"), sizeof c->flag_reason);
		}
	}
}

/* ---------------------------------------------------------------- redaction */

struct string_list {
	json_t	**v;
	size_t	  n, cap;
};

static void
collect_strings(json_t *j, struct string_list *l)
{
	if (json_is_string(j)) {
		if (l->n == l->cap) {
			l->cap = l->cap ? l->cap * 2 : 256;
			l->v = cs_xrealloc(l->v, l->cap * sizeof *l->v);
		}
		l->v[l->n++] = j;
	} else if (json_is_array(j)) {
		size_t i;
		json_t *item;
		json_array_foreach(j, i, item)
			collect_strings(item, l);
	} else if (json_is_object(j)) {
		const char *key;
		json_t *value;
		json_object_foreach(j, key, value)
			collect_strings(value, l);
	}
}

/* Redact every string of the model in one cs_redact call: the strings are joined with '\n' and,
 * since redaction never changes the number of lines, split back by counting lines. */
static int
redact_strings(struct string_list *l)
{
	size_t total = 1;
	for (size_t i = 0; i < l->n; i++)
		total += strlen(json_string_value(l->v[i])) + 1;
	char *joined = cs_xmalloc(total), *p = joined;
	for (size_t i = 0; i < l->n; i++) {
		const char *s = json_string_value(l->v[i]);
		size_t len = strlen(s);
		memcpy(p, s, len);
		p += len;
		*p++ = '\n';
	}
	*p = '\0';
	char *out = cs_redact(joined, (size_t)(p - joined));
	free(joined);
	if (out == NULL)
		return -1;
	char *cur = out;
	for (size_t i = 0; i < l->n; i++) {
		size_t lines = 1;	/* this string's lines in the joined text */
		for (const char *s = json_string_value(l->v[i]); *s; s++)
			lines += *s == '\n';
		char *end = cur;
		for (size_t k = 0; k < lines; k++) {
			end = strchr(end, '\n');
			if (end == NULL) {
				free(out);
				return -1;	/* the line structure changed: refuse rather than mix up */
			}
			if (k + 1 < lines)
				end++;
		}
		*end = '\0';
		json_string_set(l->v[i], cur);
		cur = end + 1;
	}
	free(out);
	return 0;
}

/* The lookups keyed by device (devices, prior states) keyed again by the redacted values. */
static json_t *
rekey(json_t *old, bool with_lane)
{
	json_t *fresh = json_object();
	const char *key;
	json_t *value;
	json_object_foreach(old, key, value) {
		char k[256];
		if (with_lane)
			device_lane_key(jstr(value, "device"), jstr(value, "lane"), k, sizeof k);
		else
			cs_strlcpy(k, jstr(value, "device"), sizeof k);
		json_object_set(fresh, k, value);
	}
	json_decref(old);
	return fresh;
}

/* every string of the list with the phones' names and UDIDs made their pseudonyms */
static void
apply_pseudonyms(struct cs_pseudonyms *ps, struct string_list *l)
{
	char *s;
	for (size_t i = 0; i < l->n; i++)
		if ((s = cs_pseudonyms_apply(ps, json_string_value(l->v[i]))) != NULL) {
			json_string_set(l->v[i], s);
			free(s);
		}
}

/* Every phone's name and UDID replaced by its pseudonym (pseudonym.c) in the strings and the
 * device asked for; the pseudonyms are kept (r->ps) for the records and lines streamed later, so a
 * phone reads the same in the whole bundle. -1 when no key could be drawn (then no bundle: fail
 * closed). */
static int
pseudonymise(struct report *r, struct string_list *l, json_t *device)
{
	struct cs_pseudonyms *ps = r->ps = cs_pseudonyms_new();
	if (ps == NULL)
		return -1;
	const char *key;
	json_t *value;
	json_object_foreach(r->devices, key, value)
		cs_pseudonyms_add_device(ps, key, jstr(value, "name"));
	if (r->device)
		cs_pseudonyms_add_device(ps, r->device, NULL);
	apply_pseudonyms(ps, l);
	char *s;
	if (device && (s = cs_pseudonyms_apply(ps, json_string_value(device))) != NULL) {
		json_string_set(device, s);
		free(s);
	}
	return 0;
}

static int
redact_model(struct report *r)
{
	struct string_list l = { 0 };
	json_t *device = r->device ? json_string(r->device) : NULL;
	json_t *trees[] = { r->flags, r->marks, r->devices, r->apps, r->prior, device };
	for (size_t i = 0; i < sizeof trees / sizeof trees[0]; i++)
		collect_strings(trees[i], &l);
	int rc = pseudonymise(r, &l, device);
	if (rc == 0)
		rc = redact_strings(&l);
	free(l.v);
	if (rc == 0 && device) {
		free((char *)r->device);
		r->device = cs_xstrdup(json_string_value(device));
	}
	json_decref(device);
	r->devices = rekey(r->devices, false);
	r->prior = rekey(r->prior, true);
	if (rc < 0)
		cs_set_error(r->err, r->errlen, "redaction failed: no report written");
	return rc;
}

/* ---------------------------------------------------------------- stream: records and lines */

/* A member file of the bundle, created in the partial folder (0600, must not exist). */
static FILE *
create_member(struct report *r, const char *name)
{
	char path[PATH_MAX];
	if (path_join(path, sizeof path, r->partial, name, "") < 0) {
		cs_set_error(r->err, r->errlen, "path too long: %s/%s", r->partial, name);
		return NULL;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "w");
	if (f == NULL) {
		cs_set_error(r->err, r->errlen, "cannot create %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	return f;
}

/* Close a member file; -1 (err filled) when any write to it failed (a full disk says so here). */
static int
close_member(struct report *r, FILE **f, const char *name)
{
	int bad = ferror(*f);
	errno = 0;
	if (fclose(*f) != 0 || bad) {
		if (r->stream_rc == 0 || !r->err[0])
			cs_set_error(r->err, r->errlen, "cannot write %s/%s: %s", r->partial, name,
			    errno ? strerror(errno) : "write error");
		*f = NULL;
		return -1;
	}
	*f = NULL;
	return 0;
}

static void
stream_failed(struct report *r, const char *fmt, const char *what)
{
	if (r->stream_rc == 0)
		cs_set_error(r->err, r->errlen, fmt, what);
	r->stream_rc = -1;
}

/* A record the timeline may draw: kept among the newest HTML_MAX_RECORDS. One that falls out hands
 * its lane state on to prior (the lanes then start right) and moves the timeline's start. */
static void
keep_for_page(struct report *r, json_t *rec)
{
	if (r->ring_n < HTML_MAX_RECORDS) {
		r->ring[(r->ring_head + r->ring_n++) % HTML_MAX_RECORDS] = json_incref(rec);
		return;
	}
	json_t *old = r->ring[r->ring_head];
	if (strcmp(jstr(old, "type"), "state") == 0) {
		char key[256];
		device_lane_key(jstr(old, "device"), jstr(old, "lane"), key, sizeof key);
		json_object_set(r->prior, key, old);
	}
	r->plot_from = record_time(old);
	json_decref(old);
	r->ring[r->ring_head] = json_incref(rec);
	r->ring_head = (r->ring_head + 1) % HTML_MAX_RECORDS;
}

/* The page of records read: redacted (one cs_redact call), written to events.ndjson, the newest
 * kept for the page, then freed. */
static void
flush_records(struct report *r)
{
	size_t i;
	json_t *rec;
	if (r->stream_rc == 0 && r->opt->redact) {
		struct string_list l = { 0 };
		collect_strings(r->page, &l);
		apply_pseudonyms(r->ps, &l);
		if (redact_strings(&l) < 0)
			stream_failed(r, "redaction failed: no report written%s", "");
		free(l.v);
	}
	json_array_foreach(r->page, i, rec) {
		if (r->stream_rc < 0)
			break;
		char *text = json_dumps(rec, CS_JSON_DUMP);
		if (text) {
			fputs(text, r->events);
			fputc('\n', r->events);
			free(text);
		}
		const char *dev = jstr(rec, "device");
		bool seen = false;	/* few devices: a linear look */
		size_t k;
		json_t *u;
		json_array_foreach(r->udids, k, u)
			seen |= strcmp(json_string_value(u), dev) == 0;
		if (!seen)
			json_array_append_new(r->udids, json_string(dev));
		keep_for_page(r, rec);
	}
	if (r->stream_rc == 0 && ferror(r->events))
		stream_failed(r, "cannot write events.ndjson in %s", r->partial);
	json_array_clear(r->page);
}

static int
on_stream_record(json_t *record, void *ctx)
{
	struct report *r = ctx;
	r->nrecords++;
	widen(r, record_time(record));
	json_array_append_new(r->page, record);
	return json_array_size(r->page) >= RECORD_PAGE;	/* a full page: pause the reading */
}

/* events.ndjson: the window's event and state records in time order, a page at a time. The
 * store's cursor keeps its statement between pages (one sort for the whole window, which SQLite
 * spills to a temporary file when it is large): the records of all devices come merged in time
 * order, as the protocol's history gives them. */
static int
stream_records(struct report *r, struct cs_store *store)
{
	r->page = json_array();
	r->ring = cs_xcalloc(HTML_MAX_RECORDS, sizeof *r->ring);
	if ((r->events = create_member(r, "events.ndjson")) == NULL)
		return -1;
	struct cs_history_cursor cur = { 0 };
	int rc;
	do {
		rc = cs_store_history_page(store, r->store_device, r->since, r->until, CS_REC_EVENT | CS_REC_STATE, &cur,
		    0, on_stream_record, r);
		flush_records(r);
	} while (rc == 1 && r->stream_rc == 0);
	cs_store_history_release(&cur);
	if (rc < 0)
		stream_failed(r, "cannot read the store for the report: %s", cs_store_error(store));
	if (close_member(r, &r->events, "events.ndjson") < 0)
		r->stream_rc = -1;
	/* the records the page draws, oldest first */
	for (size_t i = 0; i < r->ring_n; i++)
		json_array_append_new(r->records, r->ring[(r->ring_head + i) % HTML_MAX_RECORDS]);
	r->ring_n = 0;
	return r->stream_rc;
}

/* The lines read so far: pseudonyms, then redaction (one cs_redact call), then syslog.txt. */
static void
flush_lines(struct report *r)
{
	if (r->lines_len == 0 || r->stream_rc < 0)
		return;
	char *text = r->lines, *owned = NULL;
	size_t len = r->lines_len;
	if (r->opt->redact) {
		char *named = cs_pseudonyms_apply(r->ps, text);
		owned = cs_redact(named ? named : text, named ? strlen(named) : len);
		free(named);
		if (owned == NULL) {
			stream_failed(r, "redaction failed: no report written%s", "");
			return;
		}
		text = owned;
		len = strlen(owned);
	}
	if (fwrite(text, 1, len, r->syslog) != len)
		stream_failed(r, "cannot write syslog.txt in %s", r->partial);
	free(owned);
	r->lines_len = 0;
	r->lines_n = 0;
	r->lines[0] = '\0';
}

static void
on_raw_line(const char *device, const char *raw, size_t len, int64_t time_us, void *ctx)
{
	struct report *r = ctx;
	if (r->stream_rc < 0)
		return;
	if (r->lines_len + len + 2 > r->lines_cap) {
		r->lines_cap = (r->lines_len + len + 2) * 2;
		r->lines = cs_xrealloc(r->lines, r->lines_cap);
	}
	memcpy(r->lines + r->lines_len, raw, len);
	r->lines_len += len;
	r->lines[r->lines_len++] = '\n';
	r->lines[r->lines_len] = '\0';
	r->nlines++;
	widen(r, time_us);
	if (++r->lines_n >= LINE_PAGE || r->lines_len >= LINE_PAGE_BYTES)
		flush_lines(r);
}

/* syslog.txt: every raw line of the window (grouped by device, each in capture order), read from
 * the store a page at a time (store.c's keyset cursor) and written a page at a time. */
static int
stream_lines(struct report *r, struct cs_store *store)
{
	if ((r->syslog = create_member(r, "syslog.txt")) == NULL)
		return -1;
	if (cs_store_raw_lines(store, r->store_device, r->since, r->until, on_raw_line, r) < 0)
		stream_failed(r, "cannot read the store for the report: %s", cs_store_error(store));
	flush_lines(r);
	if (close_member(r, &r->syslog, "syslog.txt") < 0)
		r->stream_rc = -1;
	return r->stream_rc;
}

/* ---------------------------------------------------------------- html helpers */

static void
html(FILE *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default: fputc(*s, out);
		}
	}
}

/* "12:00:02.123" (UTC) */
static void
clock_text(int64_t time_us, char *buf, size_t len, bool ms)
{
	char iso[40];
	cs_format_time(time_us, iso, sizeof iso);
	snprintf(buf, len, "%.*s", ms ? 12 : 8, iso + 11);
}

static void
day_time_text(int64_t time_us, char *buf, size_t len)
{
	char iso[40];
	cs_format_time(time_us, iso, sizeof iso);
	snprintf(buf, len, "%.10s %.12s UTC", iso, iso + 11);
}

static bool
is_warning(const json_t *flag)
{
	return strcmp(jstr(flag, "severity"), "warning") == 0;
}

static const char *
device_name(const struct report *r, const char *udid)
{
	const char *name = jstr(json_object_get(r->devices, udid), "name");
	return name[0] ? name : udid[0] ? udid : "(unnamed device)";
}

/* ---------------------------------------------------------------- html: style and header */


static void
write_head(FILE *out, const struct report *r)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n", out);
	/* no scripts, no network: everything the page needs is in it */
	fputs("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	    "style-src 'unsafe-inline'; img-src data:\">\n", out);
	fputs("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>callsight report", out);
	if (r->focus) {
		fputs(" — ", out);
		html(out, jstr(r->focus, "cause"));
	}
	if (r->device) {
		fputs(" — ", out);
		html(out, device_name(r, r->device));
	}
	fprintf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n", report_asset("report.css"));
}

/* The flag the report leads with: the one asked for, else the first drop, else the first warning. */
static const json_t *
lead_flag(const struct report *r)
{
	if (r->focus)
		return r->focus;
	size_t i;
	json_t *f;
	json_array_foreach(r->flags, i, f) {
		if (!is_warning(f))
			return f;
	}
	return json_array_get(r->flags, 0);
}

static void
write_verdict(FILE *out, const struct report *r)
{
	size_t disconnects = 0, warnings = 0, i;
	json_t *f;
	json_array_foreach(r->flags, i, f) {
		if (is_warning(f))
			warnings++;
		else
			disconnects++;
	}
	const json_t *lead = lead_flag(r);
	const char *klass = lead == NULL ? "clear" : is_warning(lead) ? "warning" : "disconnect";
	fprintf(out, "<header class=\"verdict %s\">\n<div class=\"brand\">callsight · bug report</div>\n<h1>", klass);
	if (lead == NULL) {
		fputs("No dropped call in this window</h1>\n<p>", out);
	} else {
		fputs(is_warning(lead) ? "Warning: " : "Call dropped: ", out);
		html(out, jstr(lead, "label"));
		fputs("</h1>\n<p>Cause <code>", out);
		html(out, jstr(lead, "cause"));
		char when[64];
		day_time_text(record_time(lead), when, sizeof when);
		fprintf(out, "</code> · confidence %.0f%% · %s", json_number_value(json_object_get(lead,
		    "confidence")) * 100, when);
		if (json_is_true(json_object_get(lead, "inferred")))
			fputs(" · inferred: the app never reported the drop", out);
		fputs("<br>", out);
	}
	fprintf(out, "%zu dropped call%s and %zu warning%s in the window", disconnects, disconnects == 1 ? "" : "s",
	    warnings, warnings == 1 ? "" : "s");
	if (r->device) {
		fputs(" · ", out);
		html(out, device_name(r, r->device));
	}
	fputs("</p>\n</header>\n", out);
}

/* ---------------------------------------------------------------- html: facts */

static void
fact(FILE *out, const char *label, const char *value)
{
	fprintf(out, "<div><dt>%s</dt><dd>", label);
	html(out, value[0] ? value : "—");
	fputs("</dd></div>\n", out);
}

/* The call SDK the bundle is about: the focus flag's, else the first flag's that names one, else the
 * app record's; "" when the log never showed it. */
static const char *
report_sdk(const struct report *r, const json_t *app)
{
	if (r->focus && jstr(r->focus, "sdk")[0])
		return jstr(r->focus, "sdk");
	size_t i;
	json_t *f;
	json_array_foreach(r->flags, i, f)
		if (jstr(f, "sdk")[0])
			return jstr(f, "sdk");
	return app ? jstr(app, "sdk") : "";
}

static void
fact_bool(FILE *out, const char *label, bool yes, const char *yes_text, const char *no_text)
{
	fprintf(out, "<div><dt>%s</dt><dd class=\"%s\">%s %s</dd></div>\n", label, yes ? "yes" : "no",
	    yes ? "✓" : "✗", yes ? yes_text : no_text);
}

static bool
has_mode(const json_t *app, const char *mode)
{
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(app, "background_modes"), i, m) {
		if (json_is_string(m) && strcmp(json_string_value(m), mode) == 0)
			return true;
	}
	return false;
}

/* the app under test: the focus flag's, else the first flag's, else the first app known */
static const json_t *
app_of_interest(const struct report *r, const char **bundle)
{
	const json_t *flag = r->focus ? r->focus : json_array_get(r->flags, 0);
	*bundle = flag ? jstr(flag, "app") : "";
	size_t i;
	json_t *app;
	json_array_foreach(r->apps, i, app) {
		if ((*bundle)[0] == '\0' || strcmp(jstr(app, "bundle"), *bundle) == 0) {
			*bundle = jstr(app, "bundle");
			return app;
		}
	}
	return NULL;
}

static void
write_facts(FILE *out, const struct report *r)
{
	fputs("<section>\n<h2>Device and app</h2>\n<dl class=\"facts\">\n", out);
	const json_t *dev = r->device ? json_object_get(r->devices, r->device) : NULL;
	if (dev == NULL && json_object_size(r->devices) == 1)
		dev = json_object_iter_value(json_object_iter(r->devices));
	fact(out, "Device", dev ? jstr(dev, "name") : r->device ? r->device : "all devices");
	fact(out, "UDID", dev ? jstr(dev, "device") : r->device ? r->device : "");
	char os[96];
	snprintf(os, sizeof os, "%s%s%s", dev && jstr(dev, "product_version")[0] ? "iOS " : "",
	    dev ? jstr(dev, "product_version") : "", "");
	fact(out, "iOS", os);
	fact(out, "Model", dev ? jstr(dev, "product_type") : "");

	const char *bundle;
	const json_t *app = app_of_interest(r, &bundle);
	fact(out, "App", bundle);
	fact(out, "Call SDK", report_sdk(r, app));
	if (app) {
		bool audio = has_mode(app, "audio"), voip = has_mode(app, "voip");
		fact_bool(out, "Background modes", audio && voip, "audio + voip",
		    audio ? "no voip" : voip ? "no audio" : "no audio, no voip");
		fact_bool(out, "Microphone usage", json_is_true(json_object_get(app, "microphone_usage")),
		    "declared", "missing");
		fact_bool(out, "Camera usage", json_is_true(json_object_get(app, "camera_usage")), "declared",
		    "missing");
	} else {
		fact(out, "Background modes", "not read from the phone");
		fact(out, "Microphone usage", "");
		fact(out, "Camera usage", "");
	}
	char from[64], to[64], counts[160];
	day_time_text(r->t_start, from, sizeof from);
	day_time_text(r->t_end, to, sizeof to);
	fact(out, "Window from", from);
	fact(out, "Window to", to);
	int n = snprintf(counts, sizeof counts, "%zu lines · %zu records", r->nlines, r->nrecords);
	if (r->plot_from && n > 0 && (size_t)n < sizeof counts)
		snprintf(counts + n, sizeof counts - (size_t)n, " (the timeline draws the newest %d; all are in "
		    "events.ndjson)", HTML_MAX_RECORDS);
	fact(out, "Captured", counts);
	fact(out, "Secrets", r->opt->redact ? "redacted" : "NOT redacted");
	fputs("</dl>\n</section>\n", out);
}

/* ---------------------------------------------------------------- html: timeline (SVG) */

#define SVG_W		1140
#define SVG_LEFT	96	/* lane labels */
#define SVG_RIGHT	24
#define LANE_H		24
#define LANE_GAP	6
#define FLAG_ROW	34	/* flag labels above the lanes */
#define AXIS_H		30

/* What a lane state means (states.def's tone), for colour and pattern (greyscale keeps the pattern
 * and the label); the legend names every state of a tone from the same list. */
static const struct { const char *fill, *text, *pattern; } tone_style[CS_TONE_COUNT] = {
	[CS_TONE_none] = { "#eceff1", "#78838f", NULL },
	[CS_TONE_good] = { "#66bb6a", "#0d2e10", NULL },
	[CS_TONE_note] = { "#90caf9", "#0d2a45", NULL },
	[CS_TONE_warn] = { "#ffb74d", "#4a2a00", "url(#dots)" },
	[CS_TONE_bad] = { "#e57373", "#4a0b0b", "url(#hatch)" },
	[CS_TONE_dark] = { "#455a64", "#ffffff", NULL },
};

static enum cs_tone
state_tone(enum cs_lane lane, const char *state)
{
	int s = cs_state_find(lane, state);
	return s < 0 ? CS_TONE_none : cs_states[s].tone;
}

struct axis {
	int64_t	t0, t1;
	double	x0, x1;
};

static double
x_of(const struct axis *a, int64_t t)
{
	if (t < a->t0)
		t = a->t0;
	if (t > a->t1)
		t = a->t1;
	return a->x0 + (a->x1 - a->x0) * (double)(t - a->t0) / (double)(a->t1 - a->t0);
}

static void
svg_defs(FILE *out)
{
	fputs(report_asset("svg-defs.svg"), out);
}

/* one span of a lane: a filled (maybe patterned) box with the state's name when it fits */
static void
svg_span(FILE *out, double x0, double x1, double y, enum cs_lane lane, const char *state)
{
	if (x1 - x0 < 0.5)
		return;
	enum cs_tone tone = state_tone(lane, state);
	const char *fill = tone_style[tone].pattern ? tone_style[tone].pattern : tone_style[tone].fill;
	fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"%s\" stroke=\"#fff\" "
	    "stroke-width=\"1\"><title>", x0, y, x1 - x0, LANE_H, fill);
	html(out, state);
	fputs("</title></rect>", out);
	double need = (double)strlen(state) * 6.6 + 10;
	if (x1 - x0 >= need) {
		fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11.5\" font-weight=\"600\" fill=\"%s\"%s>",
		    x0 + 6, y + LANE_H / 2.0 + 4, tone_style[tone].text,
		    tone_style[tone].pattern ? " paint-order=\"stroke\" stroke=\"#fff\" stroke-width=\"3\"" : "");
		html(out, state);
		fputs("</text>", out);
	}
	fputc('\n', out);
}

/* one lane of one device: the state before the window, then each change */
static void
svg_lane(FILE *out, const struct report *r, const struct axis *a, const char *udid, enum cs_lane lane,
    double y)
{
	const char *lane_name = cs_lane_name(lane);
	fprintf(out, "<text x=\"%d\" y=\"%.1f\" font-size=\"12.5\" font-weight=\"600\" fill=\"#1d2330\" "
	    "text-anchor=\"end\">%s</text>\n", SVG_LEFT - 12, y + LANE_H / 2.0 + 4, cs_lane_label(lane));
	fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"#f7f8fa\" stroke=\"#e2e5ea\"/>\n",
	    a->x0, y, a->x1 - a->x0, LANE_H);
	char key[256];
	device_lane_key(udid, lane_name, key, sizeof key);
	const json_t *prior = json_object_get(r->prior, key);
	const char *state = prior ? jstr(prior, "state") : NULL;
	int64_t from = a->t0;
	size_t i;
	json_t *rec;
	json_array_foreach(r->records, i, rec) {
		if (strcmp(jstr(rec, "type"), "state") != 0 || strcmp(jstr(rec, "lane"), lane_name) != 0 ||
		    strcmp(jstr(rec, "device"), udid) != 0)
			continue;
		int64_t t = record_time(rec);
		if (state)
			svg_span(out, x_of(a, from), x_of(a, t), y, lane, state);
		state = jstr(rec, "state");
		from = t;
	}
	if (state)
		svg_span(out, x_of(a, from), a->x1, y, lane, state);
	/* events of this lane: small ticks along the lane's foot */
	json_array_foreach(r->records, i, rec) {
		if (strcmp(jstr(rec, "type"), "event") != 0 || strcmp(jstr(rec, "lane"), lane_name) != 0 ||
		    strcmp(jstr(rec, "device"), udid) != 0)
			continue;
		fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"2\" height=\"6\" fill=\"#1d2330\"><title>",
		    x_of(a, record_time(rec)) - 1, y + LANE_H - 6);
		html(out, jstr(rec, "kind"));
		fputs(" ", out);
		html(out, jstr(rec, "time"));
		fputs("</title></rect>\n", out);
	}
}

/* a tick every 1, 2, 5, 10, 15, 30 s, 1, 2, 5, 10, 15, 30 min, 1, 2, 6, 12 h: about 8 of them */
static int64_t
tick_step(int64_t span_us)
{
	static const int64_t steps[] = { 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200,
		21600, 43200, 86400 };
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
		if (span_us / (steps[i] * SEC) <= 9)
			return steps[i] * SEC;
	return span_us / 8 + 1;
}

static void
svg_axis(FILE *out, const struct axis *a, double top, double bottom)
{
	int64_t step = tick_step(a->t1 - a->t0);
	int64_t first = (a->t0 / step + (a->t0 % step ? 1 : 0)) * step;
	for (int64_t t = first; t <= a->t1; t += step) {
		char label[16];
		clock_text(t, label, sizeof label, false);
		double x = x_of(a, t);
		fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#cfd4db\" "
		    "stroke-dasharray=\"2 3\"/><text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#5d6675\" "
		    "text-anchor=\"middle\">%s</text>\n", x, top, x, bottom + 4, x, bottom + 18, label);
	}
}

/* flags: a line over the lanes and the cause id above them; marks: a dashed blue line */
static void
svg_markers(FILE *out, const struct report *r, const struct axis *a, const char *udid, double top,
    double bottom)
{
	size_t i;
	json_t *m;
	json_array_foreach(r->marks, i, m) {
		if (strcmp(jstr(m, "device"), udid) != 0)
			continue;
		double x = x_of(a, record_time(m));
		fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#1565c0\" "
		    "stroke-width=\"1.5\" stroke-dasharray=\"5 3\"><title>mark: ", x, top, x, bottom);
		html(out, jstr(m, "note"));
		fputs("</title></line>\n", out);
	}
	double last_label_end = -1e9;
	int row = 0;
	json_array_foreach(r->flags, i, m) {
		if (strcmp(jstr(m, "device"), udid) != 0)
			continue;
		bool warn = is_warning(m);
		const char *colour = warn ? "#c77700" : "#c62828";
		double x = x_of(a, record_time(m));
		char label[160];
		snprintf(label, sizeof label, "#%lld %s", (long long)jint(m, "id"), jstr(m, "cause"));
		double width = (double)strlen(label) * 7.3 + 14;
		row = x < last_label_end ? (row + 1) % 2 : 0;	/* two rows, so close flags stay legible */
		double ly = top - FLAG_ROW + 2 + row * 15;
		double lx = x + width > a->x1 + SVG_RIGHT ? x - width : x;
		fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2.5\"/>"
		    "<path d=\"M%.1f %.1f l-5 -7 h10 z\" fill=\"%s\"/>", x, ly + 12, x, bottom, colour, x, top,
		    colour);
		fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"14\" rx=\"3\" fill=\"%s\"/>"
		    "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" font-weight=\"700\" fill=\"#fff\">",
		    lx, ly, width, colour, lx + 8, ly + 10.5);
		html(out, label);
		fputs("<title>", out);
		html(out, jstr(m, "label"));
		fputs("</title></text>\n", out);
		if (row == 0 || lx + width > last_label_end)
			last_label_end = lx + width;
	}
}

/* the devices to draw: the one asked for, else each device with records */
static json_t *
timeline_devices(const struct report *r)
{
	json_t *udids = json_array();
	if (r->device) {
		json_array_append_new(udids, json_string(r->device));
		return udids;
	}
	json_t *seen = json_object();
	size_t i;
	json_t *rec;
	json_array_foreach(r->udids, i, rec) {	/* the streamed records' devices, in order */
		json_object_set_new(seen, json_string_value(rec), json_true());
		json_array_append(udids, rec);
	}
	json_array_foreach(r->flags, i, rec) {
		const char *d = jstr(rec, "device");
		if (json_object_get(seen, d) == NULL) {
			json_object_set_new(seen, d, json_true());
			json_array_append_new(udids, json_string(d));
		}
	}
	json_decref(seen);
	if (json_array_size(udids) == 0)
		json_array_append_new(udids, json_string(""));
	return udids;
}

/* One SVG: a block of lanes per device, the axis, flags and marks; zoom (may be NULL) is outlined. */
static void
svg_timeline(FILE *out, const struct report *r, const struct axis *a, json_t *udids, bool defs,
    const struct axis *zoom)
{
	size_t ndev = json_array_size(udids);
	double block = FLAG_ROW + PLOT_LANES * (LANE_H + LANE_GAP) + AXIS_H + (ndev > 1 ? 20 : 0);
	fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %.0f\" role=\"img\" "
	    "aria-label=\"lanes over time\" font-family=\"-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif\">\n",
	    SVG_W, block * (double)ndev + 8);
	if (defs)
		svg_defs(out);
	for (size_t d = 0; d < ndev; d++) {
		const char *udid = json_string_value(json_array_get(udids, d));
		double y0 = block * (double)d + (ndev > 1 ? 20 : 0);
		if (ndev > 1) {
			fprintf(out, "<text x=\"0\" y=\"%.1f\" font-size=\"13\" font-weight=\"700\" fill=\"#1d2330\">",
			    y0 - 4);
			html(out, device_name(r, udid));
			fputs("</text>\n", out);
		}
		double top = y0 + FLAG_ROW, bottom = top + PLOT_LANES * (LANE_H + LANE_GAP) - LANE_GAP;
		for (int l = 0; l < PLOT_LANES; l++)
			svg_lane(out, r, a, udid, plot_lanes[l], top + l * (LANE_H + LANE_GAP));
		svg_axis(out, a, top, bottom);
		if (zoom) {
			double zx0 = x_of(a, zoom->t0), zx1 = x_of(a, zoom->t1);
			fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#1d2330\" "
			    "fill-opacity=\"0.06\" stroke=\"#1d2330\" stroke-width=\"1.2\" stroke-dasharray=\"4 3\" rx=\"3\">"
			    "<title>shown zoomed below</title></rect>\n", zx0 - 2, top - 4, zx1 - zx0 + 4,
			    bottom - top + 8);
		}
		svg_markers(out, r, a, udid, top, bottom);
	}
	fputs("</svg>\n", out);
}

/* The stretch the lead flag's evidence covers, when it is a small part of the window. */
static bool
zoom_range(const struct report *r, struct axis *zoom)
{
	const json_t *f = lead_flag(r);
	if (f == NULL)
		return false;
	int64_t t0 = record_time(f), t1 = t0;
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(f, "evidence"), i, e) {
		int64_t t = record_time(e);
		if (t && t < t0)
			t0 = t;
		if (t > t1)
			t1 = t;
	}
	int64_t pad = (t1 - t0) / 10 > 5 * SEC ? (t1 - t0) / 10 : 5 * SEC;
	int64_t start = r->plot_from ? r->plot_from : r->t_start;
	t0 = t0 - pad < start ? start : t0 - pad;
	t1 = t1 + pad > r->t_end ? r->t_end : t1 + pad;
	if (t1 <= t0 || (t1 - t0) * 10 > (r->t_end - start) * 6)
		return false;
	zoom->t0 = t0;
	zoom->t1 = t1;
	zoom->x0 = SVG_LEFT;
	zoom->x1 = SVG_W - SVG_RIGHT;
	return true;
}

/* one legend entry of a tone: the states that have it, each once ("unknown / none / inactive") */
static void
legend_tone(FILE *out, enum cs_tone tone)
{
	fprintf(out, "<span><i style=\"background:%s\"></i>", tone_style[tone].fill);
	int said = 0;
	for (int i = 0; i < CS_STATE_COUNT; i++) {
		bool seen = false;
		for (int k = 0; k < i && !seen; k++)
			seen = cs_states[k].tone == tone && strcmp(cs_states[k].name, cs_states[i].name) == 0;
		if (cs_states[i].tone == tone && !seen)
			fprintf(out, "%s%s", said++ ? ", " : "", cs_states[i].name);
	}
	fputs("</span>", out);
}

static void
svg_legend(FILE *out)
{
	fputs("<div class=\"legend\">", out);
	for (int t = CS_TONE_good; t < CS_TONE_COUNT; t++)
		legend_tone(out, (enum cs_tone)t);
	legend_tone(out, CS_TONE_none);
	fputs("<span><i style=\"background:#c62828;width:4px\"></i>drop (cause id)</span>"
	    "<span><i style=\"background:#c77700;width:4px\"></i>warning</span>"
	    "<span><i style=\"background:#1565c0;width:4px\"></i>mark</span>"
	    "<span><i style=\"background:#1d2330;width:2px\"></i>event</span>"
	    "<span class=\"muted\">bad states are hatched, warnings dotted</span>"
	    "</div>\n", out);
}

static void
write_timeline(FILE *out, const struct report *r)
{
	json_t *udids = timeline_devices(r);
	/* when the window held more records than the page draws, the timeline starts at the oldest drawn */
	struct axis all = { .t0 = r->plot_from && r->plot_from < r->t_end ? r->plot_from : r->t_start, .t1 = r->t_end,
	    .x0 = SVG_LEFT, .x1 = SVG_W - SVG_RIGHT };
	struct axis zoom;
	bool zoomed = zoom_range(r, &zoom);
	fputs("<section>\n<h2>Timeline (UTC)</h2>\n", out);
	svg_timeline(out, r, &all, udids, true, zoomed ? &zoom : NULL);
	if (zoomed) {
		char from[16], to[16];
		clock_text(zoom.t0, from, sizeof from, false);
		clock_text(zoom.t1, to, sizeof to, false);
		fprintf(out, "<h3 class=\"zoom\">Around the drop: %s – %s UTC</h3>\n", from, to);
		json_t *one = json_array();
		json_array_append_new(one, json_string(jstr(lead_flag(r), "device")));
		svg_timeline(out, r, &zoom, one, false, NULL);
		json_decref(one);
	}
	svg_legend(out);
	fputs("</section>\n", out);
	json_decref(udids);
}

/* ---------------------------------------------------------------- html: flags and evidence */

static void
write_flag(FILE *out, const struct report *r, const json_t *f)
{
	bool warn = is_warning(f);
	char when[64];
	day_time_text(record_time(f), when, sizeof when);
	double conf = json_number_value(json_object_get(f, "confidence"));
	fprintf(out, "<article class=\"flag%s%s\" id=\"flag-%lld\">\n<div class=\"top\"><span class=\"badge\">%s</span>"
	    "<span>#%lld</span><span>%s</span><code>", warn ? " warning" : "", f == r->focus ? " focus" : "",
	    (long long)jint(f, "id"), warn ? "WARNING" : "DISCONNECT", (long long)jint(f, "id"), when);
	html(out, jstr(f, "cause"));
	fprintf(out, "</code><span class=\"conf\">confidence <b><i style=\"width:%.0f%%\"></i></b> %.0f%%</span>",
	    conf * 100, conf * 100);
	if (json_is_true(json_object_get(f, "inferred")))
		fputs("<span>inferred</span>", out);
	fputs("</div>\n<h3>", out);
	html(out, jstr(f, "label"));
	fputs("</h3>\n<p class=\"detail\">", out);
	html(out, jstr(f, "detail")[0] ? jstr(f, "detail") : "(no detail recorded)");
	fputs("</p>\n<p class=\"muted\">App <code>", out);
	html(out, jstr(f, "app")[0] ? jstr(f, "app") : "?");
	if (jstr(f, "sdk")[0]) {
		fputs("</code> · SDK <code>", out);
		html(out, jstr(f, "sdk"));
	}
	fprintf(out, "</code> · raised at line %lld · %zu evidence line%s</p>\n", (long long)jint(f, "line"),
	    json_array_size(json_object_get(f, "evidence")),
	    json_array_size(json_object_get(f, "evidence")) == 1 ? "" : "s");
	fputs("<div class=\"advice\"><strong>Fix: </strong>", out);
	html(out, jstr(f, "advice"));
	fputs("</div>\n", out);
	json_t *alts = json_object_get(f, "alternatives");
	if (json_array_size(alts) > 0) {
		fputs("<div class=\"alternatives\"><strong>Could also be</strong><ul>\n", out);
		size_t i;
		json_t *a;
		json_array_foreach(alts, i, a) {
			fputs("<li><code>", out);
			html(out, jstr(a, "cause"));
			fprintf(out, "</code> %.0f%%: to tell them apart, ",
			    json_number_value(json_object_get(a, "confidence")) * 100);
			html(out, jstr(a, "settle"));
			fputs("</li>\n", out);
		}
		fputs("</ul></div>\n", out);
	}
	fputs("</article>\n", out);
}

static void
write_flags(FILE *out, const struct report *r)
{
	fprintf(out, "<section>\n<h2>Flags (%zu)</h2>\n", json_array_size(r->flags));
	if (json_array_size(r->flags) == 0)
		fputs("<p class=\"muted\">callsight raised no flag in this window.</p>\n", out);
	if (r->focus)
		write_flag(out, r, r->focus);
	size_t i;
	json_t *f;
	json_array_foreach(r->flags, i, f) {
		if (f != r->focus)
			write_flag(out, r, f);
	}
	fputs("</section>\n", out);
}

static void
crash_fact(FILE *out, const char *label, const char *value)
{
	if (value == NULL || value[0] == '\0')
		return;
	fputs("<dt>", out);
	html(out, label);
	fputs("</dt><dd>", out);
	html(out, value);
	fputs("</dd>\n", out);
}

static void
write_victim(FILE *out, const struct cs_report_victim *vic, bool other)
{
	char buf[256];
	crash_fact(out, other ? "Also killed" : "Verdict", vic->cause == CS_CAUSE_unknown ?
	    "not a kill (a diagnostic)" : cs_cause_name(vic->cause));
	crash_fact(out, "Reason", vic->reason);
	if (vic->pid > 0)
		snprintf(buf, sizeof buf, "%s [%ld]", vic->process, vic->pid);
	else
		cs_strlcpy(buf, vic->process, sizeof buf);
	crash_fact(out, "Process", buf);
	crash_fact(out, "Bundle", vic->bundle);
	if (vic->footprint && !other) {
		snprintf(buf, sizeof buf, "%.1f MB", (double)vic->footprint / (1024.0 * 1024));
		crash_fact(out, "Footprint", buf);
	}
}

/* a section per report: what decides first (who, when, why), the frames below */
static void
write_crash_reports(FILE *out, const struct report *r)
{
	if (r->ncrash == 0)
		return;
	fputs("<section class=\"crash\">\n<h2>The phone's crash and jetsam reports</h2>\n<p class=\"muted\">"
	    "Reports the phone wrote about the app's death, tied to a flag by process, pid and time. Each is in "
	    "the bundle as its own file.</p>\n", out);
	for (size_t i = 0; i < r->ncrash; i++) {
		const struct crash_file *c = &r->crash[i];
		const struct cs_crash_report *rep = &c->rep;
		fputs("<article class=\"flag\">\n<h3><code>", out);
		html(out, c->name);
		fputs("</code></h3>\n", out);
		if (!c->parsed) {
			fputs("<p class=\"muted\">The file is in the bundle, but it does not read as a report.</p>\n"
			    "</article>\n", out);
			continue;
		}
		fputs("<dl class=\"facts\">\n", out);
		char buf[256];
		snprintf(buf, sizeof buf, "#%lld", c->flag_id);
		crash_fact(out, "Decides flag", buf);
		/* the victim the flag stands on first, then whoever else the report names */
		for (int pass = 0; pass < 2; pass++)
			for (size_t v = 0; v < rep->nvictims; v++) {
				const struct cs_report_victim *vic = &rep->victims[v];
				if ((strcmp(vic->reason, c->flag_reason) == 0) != (pass == 0))
					continue;
				if (vic->cause == CS_CAUSE_unknown && rep->nvictims > 1)
					continue;
				write_victim(out, vic, pass == 1);
			}
		crash_fact(out, "Exception", rep->exception);
		crash_fact(out, "Termination", rep->termination);
		crash_fact(out, "Largest process", rep->largest_process);
		if (rep->time_us) {
			day_time_text(rep->time_us, buf, sizeof buf);
			crash_fact(out, "Time (UTC)", buf);
		}
		snprintf(buf, sizeof buf, "%s (%s)", rep->bug_type, rep->format);
		crash_fact(out, "bug_type", buf);
		crash_fact(out, "OS", rep->os_version);
		fputs("</dl>\n", out);
		if (rep->nframes) {
			fputs("<h3>Crashed thread, top frames</h3>\n<pre class=\"raw\">", out);
			for (size_t k = 0; k < rep->nframes; k++) {
				html(out, rep->frames[k]);
				fputc('\n', out);
			}
			fputs("</pre>\n", out);
		}
		fputs("</article>\n", out);
	}
	fputs("</section>\n", out);
}

static void
write_evidence_of(FILE *out, const json_t *f)
{
	fprintf(out, "<h3>#%lld <code>", (long long)jint(f, "id"));
	html(out, jstr(f, "cause"));
	fputs("</code></h3>\n<table>\n<tr><th>Line</th><th>Time (UTC)</th><th>Event</th><th>Log line</th></tr>\n", out);
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(f, "evidence"), i, e) {
		char when[20];
		clock_text(record_time(e), when, sizeof when, true);
		fprintf(out, "<tr><td class=\"n\">%lld</td><td class=\"n\">%s</td><td class=\"n\">", (long long)jint(e, "line"),
		    when);
		html(out, jstr(e, "kind"));
		fputs("</td><td class=\"raw\">", out);
		html(out, jstr(e, "text"));
		fputs("</td></tr>\n", out);
	}
	if (json_array_size(json_object_get(f, "evidence")) == 0)
		fputs("<tr><td colspan=\"4\" class=\"muted\">no evidence lines recorded</td></tr>\n", out);
	fputs("</table>\n", out);
}

static void
write_evidence(FILE *out, const struct report *r)
{
	if (json_array_size(r->flags) == 0)
		return;
	fputs("<section class=\"evidence\">\n<h2>Evidence</h2>\n<p class=\"muted\">The log lines each "
	    "verdict rests on, in log order. The whole window is in <code>syslog.txt</code>.</p>\n", out);
	if (r->focus)
		write_evidence_of(out, r->focus);
	size_t i;
	json_t *f;
	json_array_foreach(r->flags, i, f) {
		if (f != r->focus)
			write_evidence_of(out, f);
	}
	fputs("</section>\n", out);
}

static void
write_footer(FILE *out, const struct report *r)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	char now[64];
	day_time_text((int64_t)ts.tv_sec * SEC, now, sizeof now);
	fprintf(out, "<footer>Generated by callsight %s on %s. This bundle also holds <code>flags.json</code>, "
	    "<code>events.ndjson</code> and <code>syslog.txt</code>%s.</footer>\n</main>\n</body>\n</html>\n",
	    CALLSIGHT_VERSION, now, r->opt->redact ? "; tokens, keys, e-mails, phone numbers and IP "
	    "addresses are redacted" : "; NOT redacted: check it for secrets before you share it");
}

/* ---------------------------------------------------------------- the files */

static void
render_html(FILE *out, const struct report *r)
{
	write_head(out, r);
	write_verdict(out, r);
	write_facts(out, r);
	write_timeline(out, r);
	write_flags(out, r);
	write_crash_reports(out, r);
	write_evidence(out, r);
	write_footer(out, r);
}

static void
render_flags(FILE *out, const struct report *r)
{
	char *text = json_dumps(r->flags, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(CS_JSON_REAL_DIGITS));
	fputs(text ? text : "[]", out);
	fputc('\n', out);
	free(text);
}

/* The bundle's files in their order (the tar's too); events.ndjson and syslog.txt are streamed
 * (stream_records, stream_lines), the others are written from the model at the end. */
static const struct {
	const char	*name;
	void		(*render)(FILE *out, const struct report *r);	/* NULL: streamed */
} bundle_files[] = {
	{ "report.html", render_html },
	{ "flags.json", render_flags },
	{ "events.ndjson", NULL },
	{ "syslog.txt", NULL },
};
#define NFILES (sizeof bundle_files / sizeof bundle_files[0])

/* the files written from the model, and the phone's crash reports, into the partial folder */
static int
write_rest(struct report *r)
{
	for (size_t i = 0; i < NFILES; i++) {
		if (bundle_files[i].render == NULL)
			continue;
		FILE *f = create_member(r, bundle_files[i].name);
		if (f == NULL)
			return -1;
		bundle_files[i].render(f, r);
		if (close_member(r, &f, bundle_files[i].name) < 0)
			return -1;
	}
	for (size_t i = 0; i < r->ncrash; i++) {
		FILE *f = create_member(r, r->crash[i].name);
		if (f == NULL)
			return -1;
		fwrite(r->crash[i].text, 1, r->crash[i].len, f);
		if (close_member(r, &f, r->crash[i].name) < 0)
			return -1;
	}
	return 0;
}

static void
remove_partial_dir(const char *dir, const struct report *r)
{
	for (size_t i = 0; i < r->ncrash; i++) {
		char path[PATH_MAX];
		if (path_join(path, sizeof path, dir, r->crash[i].name, "") == 0)
			unlink(path);
	}
	for (size_t i = 0; i < NFILES; i++) {
		char path[PATH_MAX];
		if (path_join(path, sizeof path, dir, bundle_files[i].name, "") == 0)
			unlink(path);
	}
	rmdir(dir);
}

/* ---------------------------------------------------------------- writing: .tar.gz */

/* The bundle as one .tar.gz (tar.c): the partial folder's files, under the bundle's name. */
static int
write_tar(const char *out_dir, const char *name, const char *final, const struct report *r, char *err,
    size_t errlen)
{
	const char *files[NFILES + MAX_CRASH_FILES];
	size_t n = 0;
	for (size_t i = 0; i < NFILES; i++)
		files[n++] = bundle_files[i].name;
	for (size_t i = 0; i < r->ncrash; i++)
		files[n++] = r->crash[i].name;
	return cs_tar_write(out_dir, final, name, r->partial, files, n, err, errlen);
}

/* ---------------------------------------------------------------- names and places */

/* mkdir -p, folders we create 0700 */
static int
make_dirs(const char *dir, char *err, size_t errlen)
{
	if (cs_make_dirs(dir, "report", err, errlen) < 0)
		return -1;
	if (access(dir, W_OK) != 0) {
		cs_set_error(err, errlen, "cannot write in the report folder %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* callsight-<device>-<YYYYmmddTHHMMSSZ>; the device kept to [A-Za-z0-9._-] */
static void
default_name(const struct report *r, char *name, size_t len)
{
	char dev[64] = "all";
	if (r->device && r->device[0]) {
		size_t i = 0;
		for (const char *p = device_name(r, r->device); *p && i < sizeof dev - 1; p++)
			dev[i++] = (strchr("._-", *p) || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			    (*p >= '0' && *p <= '9')) ? *p : '-';
		dev[i] = '\0';
	}
	int64_t t = r->focus ? record_time(r->focus) : r->since ? r->since : r->t_start;
	time_t secs = (time_t)(t / SEC);
	struct tm tm;
	gmtime_r(&secs, &tm);
	char stamp[32];
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	snprintf(name, len, "callsight-%s-%s", dev, stamp);
}

static bool
valid_name(const char *name)
{
	return name[0] && strchr(name, '/') == NULL && strcmp(name, ".") != 0 && strcmp(name, "..") != 0 &&
	    strlen(name) < 90;
}

/* The bundle's path; a default name that exists gets -2, -3, …; a chosen one is an error. */
static int
choose_path(const struct report *r, char *name, size_t namelen, char *path, size_t pathlen)
{
	const struct cs_report_options *opt = r->opt;
	const char *ext = opt->tar ? ".tar.gz" : "";
	char base[128];
	if (opt->name)
		cs_strlcpy(base, opt->name, sizeof base);
	else
		default_name(r, base, sizeof base);
	if (!valid_name(base)) {
		cs_set_error(r->err, r->errlen, "bad report name '%s': a file name under 90 characters, no '/'", base);
		return -1;
	}
	for (int n = 1; n < 100; n++) {
		if (n == 1)
			snprintf(name, namelen, "%s", base);
		else
			snprintf(name, namelen, "%s-%d", base, n);
		if (path_join(path, pathlen, opt->out_dir, name, ext) < 0) {
			cs_set_error(r->err, r->errlen, "report path too long in %s", opt->out_dir);
			return -1;
		}
		struct stat st;
		if (lstat(path, &st) != 0)
			return 0;
		if (opt->name) {
			cs_set_error(r->err, r->errlen, "the report %s exists already", path);
			return -1;
		}
	}
	cs_set_error(r->err, r->errlen, "too many reports named %s in %s", base, opt->out_dir);
	return -1;
}

/* ---------------------------------------------------------------- the whole */

int
cs_report_write(struct cs_store *store, const struct cs_report_options *options, char *path_out,
    size_t pathlen, char *err, size_t errlen)
{
	if (options == NULL || options->out_dir == NULL || options->out_dir[0] == '\0') {
		cs_set_error(err, errlen, "no report folder given");
		return -1;
	}
	if (make_dirs(options->out_dir, err, errlen) < 0)
		return -1;
	struct report r = { .opt = options, .err = err, .errlen = errlen };
	char name[160], path[PATH_MAX];
	bool partial = false;
	int rc = gather(&r, store);
	if (rc == 0)
		gather_crash(&r);
	if (rc == 0 && options->redact)
		rc = redact_model(&r);
	if (rc == 0) {	/* the files are written into a hidden folder: the bundle is complete or absent */
		if (path_join(r.partial, sizeof r.partial, options->out_dir, ".callsight-partial-XXXXXX", "") < 0 ||
		    mkdtemp(r.partial) == NULL) {
			cs_set_error(err, errlen, "cannot create a folder in %s: %s", options->out_dir, strerror(errno));
			rc = -1;
		} else {
			partial = true;
		}
	}
	if (rc == 0)
		rc = stream_records(&r, store);
	if (rc == 0)
		rc = stream_lines(&r, store);
	if (rc == 0) {
		settle_drawn_window(&r);
		rc = choose_path(&r, name, sizeof name, path, sizeof path);
	}
	if (rc == 0)
		rc = write_rest(&r);
	if (rc == 0 && options->tar) {
		rc = write_tar(options->out_dir, name, path, &r, err, errlen);
	} else if (rc == 0) {
		if (rename(r.partial, path) != 0) {
			cs_set_error(err, errlen, "cannot move the report to %s: %s", path, strerror(errno));
			rc = -1;
		} else {
			partial = false;
		}
	}
	if (partial)	/* a failure, or the tar's files */
		remove_partial_dir(r.partial, &r);
	if (rc == 0 && path_out && pathlen)
		cs_strlcpy(path_out, path, pathlen);
	report_free(&r);
	return rc;
}

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
#include "report.h"


/* dir/name+ext into out; -1 when it does not fit */
static int
path_join(char *out, size_t len, const char *dir, const char *name, const char *ext)
{
	int n = snprintf(out, len, "%s/%s%s", dir, name, ext);
	return n >= 0 && (size_t)n < len ? 0 : -1;
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

/* ---------------------------------------------------------------- the files */

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
	{ "report.html", report_render_html },
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

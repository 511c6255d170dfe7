/*
 * replay.c - the pipeline that every source feeds: bytes -> reader -> rules -> timeline -> sink.
 * A capture file, stdin and (later) each live device own one pipeline; the rules are shared.
 * Nothing here knows where the bytes come from or where the records go.
 *
 * Scan first: each chunk fed is scanned once for every rule literal (cs_rules_scan, Vectorscan);
 * the reader then builds only the records a literal occurs in, and the rules run only on those.
 * The others still reach the timeline (its clock) and are counted; when nobody asked for line
 * records (no store, no line subscribers: sink.line NULL) they are not even built.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "callsightd.h"

struct cs_pipeline {
	struct cs_reader	*reader;
	struct cs_rules		*rules;		/* borrowed */
	struct cs_timeline	*timeline;
	struct cs_sink		 sink;
	struct cs_pipeline_stats stats;
	char			 udid[64];
	size_t			*hits;		/* scan first: the chunk's hits, one per line */
	size_t			 nhits, hits_cap;
	size_t			 hit_line_end;	/* the chunk offset where the last hit's line ends */
	const char		*scan_buf;
	size_t			 scan_len;
	uint64_t		 last_event_line;
};

static void
on_flag(const struct cs_flag *flag, void *ctx)
{
	struct cs_pipeline *p = ctx;
	p->stats.flags++;
	if (cs_cause_severity(flag->cause) == CS_SEV_warning)
		p->stats.warnings++;
	else
		p->stats.disconnects++;
	if (p->sink.flag)
		p->sink.flag(flag, p->sink.ctx);
}

static void
on_state(const struct cs_state_change *change, void *ctx)
{
	struct cs_pipeline *p = ctx;
	if (p->sink.state)
		p->sink.state(change, p->sink.ctx);
}

static void
on_event(const struct cs_event *event, void *ctx)
{
	struct cs_pipeline *p = ctx;
	if (p->stats.events == 0 || p->last_event_line != event->line->number) {
		p->stats.matched++;
		p->last_event_line = event->line->number;
	}
	p->stats.events++;
	if (p->sink.event)
		p->sink.event(event, p->sink.ctx);
	cs_timeline_event(p->timeline, event);
}

static void
on_line(const struct cs_line *line, void *ctx)
{
	struct cs_pipeline *p = ctx;
	p->stats.lines++;
	if (p->sink.line && line->scan != CS_SCAN_SKIPPED)
		p->sink.line(line, p->sink.ctx);
	if (line->scan == CS_SCAN_NONE) {
		p->stats.candidates++;
		cs_rules_match(p->rules, line, on_event, p);
	}
	cs_timeline_line(p->timeline, line);
}

/* A literal ends at chunk offset end: keep one hit per line (the reader asks line by line). */
static int
on_hit(size_t end, void *ctx)
{
	struct cs_pipeline *p = ctx;
	if (p->nhits > 0 && end <= p->hit_line_end)
		return 0;
	if (p->nhits == p->hits_cap) {
		p->hits_cap = p->hits_cap ? p->hits_cap * 2 : 1024;
		p->hits = cs_xrealloc(p->hits, p->hits_cap * sizeof *p->hits);
	}
	p->hits[p->nhits++] = end;
	const char *nl = end < p->scan_len ? memchr(p->scan_buf + end, '\n', p->scan_len - end) : NULL;
	p->hit_line_end = nl ? (size_t)(nl - p->scan_buf) : p->scan_len;
	return 0;
}

struct cs_pipeline *
cs_pipeline_new(struct cs_rules *rules, const struct cs_pipeline_options *options,
    const struct cs_sink *sink)
{
	struct cs_pipeline *p = cs_xcalloc(1, sizeof *p);
	struct cs_reader_options ropt = { 0 };
	struct cs_timeline_options topt = { 0 };
	if (options) {
		ropt.year = options->year;
		ropt.ref_time = options->ref_time;
		ropt.utc_offset_min = options->utc_offset_min;
		ropt.date_year = options->date_year;
		ropt.date_month = options->date_month;
		ropt.date_day = options->date_day;
		if (options->udid) {
			cs_strlcpy(p->udid, options->udid, sizeof p->udid);
			ropt.udid = p->udid;
		}
		topt.app = options->app;
		topt.sdk = options->sdk;
		topt.device = options->udid;
		ropt.time_from_recv = options->live;
		topt.await_reports = options->await_reports;
	}
	topt.state = on_state;
	topt.rules = rules;
	p->rules = rules;
	if (sink)
		p->sink = *sink;
	p->timeline = cs_timeline_new(&topt, on_flag, p);
	p->reader = cs_reader_new(&ropt, on_line, p);
	return p;
}

void
cs_pipeline_set_rules(struct cs_pipeline *p, struct cs_rules *rules)
{
	p->rules = rules;
	cs_timeline_set_rules(p->timeline, rules);
}

void
cs_pipeline_set_clock(struct cs_pipeline *p, int64_t now_us)
{
	cs_reader_set_recv_time(p->reader, now_us);
}

void
cs_pipeline_feed(struct cs_pipeline *p, const void *buf, size_t len)
{
	p->nhits = 0;
	p->hit_line_end = 0;
	p->scan_buf = buf;
	p->scan_len = len;
	if (cs_rules_can_scan(p->rules) && cs_rules_scan(p->rules, buf, len, on_hit, p) == 0)
		cs_reader_feed_hits(p->reader, buf, len, p->hits, p->nhits, p->sink.line == NULL);
	else
		cs_reader_feed(p->reader, buf, len);
}

void
cs_pipeline_app_facts(struct cs_pipeline *p, const char *bundle, const struct cs_app_facts *f)
{
	cs_timeline_app_facts(p->timeline, bundle, f);
}

void
cs_pipeline_flush(struct cs_pipeline *p)
{
	cs_reader_flush(p->reader);
}

void
cs_pipeline_finish(struct cs_pipeline *p)
{
	cs_reader_flush(p->reader);
	cs_timeline_finish(p->timeline);
}

void
cs_pipeline_report(struct cs_pipeline *p, const struct cs_crash_report *report)
{
	cs_timeline_report(p->timeline, report);
}

void
cs_pipeline_reports_done(struct cs_pipeline *p)
{
	cs_timeline_reports_done(p->timeline);
}

struct crash_feed {
	struct cs_pipeline	*p;
	int			 good, bad;
};

static void
crash_feed_good(const struct cs_crash_report *r, const char *path, void *ctx)
{
	struct crash_feed *f = ctx;
	cs_pipeline_report(f->p, r);
	f->good++;
}

static void
crash_feed_bad(const char *path, const char *why, void *ctx)
{
	struct crash_feed *f = ctx;
	fprintf(stderr, "callsightd: crash report %s: %s (skipped)\n", path, why);
	f->bad++;
}

int
cs_pipeline_crash_dir(struct cs_pipeline *p, const char *dir, char *err, size_t errlen)
{
	struct crash_feed f = { .p = p };
	if (cs_crash_dir_load(dir, crash_feed_good, crash_feed_bad, &f, err, errlen) < 0)
		return -1;
	return f.good;
}

const struct cs_reader_stats *
cs_pipeline_reader_stats(const struct cs_pipeline *p)
{
	return cs_reader_stats(p->reader);
}

const struct cs_pipeline_stats *
cs_pipeline_stats(const struct cs_pipeline *p)
{
	return &p->stats;
}

enum cs_format
cs_pipeline_format(const struct cs_pipeline *p)
{
	return cs_reader_format(p->reader);
}

struct cs_timeline *
cs_pipeline_timeline(struct cs_pipeline *p)
{
	return p->timeline;
}

void
cs_pipeline_free(struct cs_pipeline *p)
{
	if (p == NULL)
		return;
	cs_reader_free(p->reader);
	cs_timeline_free(p->timeline);
	free(p->hits);
	free(p);
}

#define REPLAY_CHUNK (256 * 1024)

int
cs_replay_fd(struct cs_pipeline *p, int fd, char *err, size_t errlen)
{
	char *buf = cs_xmalloc(REPLAY_CHUNK);
	int rc = 0;
	for (;;) {
		ssize_t n = read(fd, buf, REPLAY_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s", strerror(errno));
			rc = -1;
			break;
		}
		if (n == 0)
			break;
		cs_pipeline_feed(p, buf, (size_t)n);
	}
	free(buf);
	cs_pipeline_finish(p);
	return rc;
}

/*
 * replay.c - the pipeline that every source feeds: bytes -> reader -> rules -> timeline -> sink.
 * A capture file, stdin and (later) each live device own one pipeline; the rules are shared.
 * Nothing here knows where the bytes come from or where the records go.
 *
 * Scan first: each chunk fed is scanned once for every rule literal (cs_rules_scan, Vectorscan)
 * in its lines' messages (scan_chunk); the reader then builds only the records a literal occurs
 * in, and the rules run only on those.
 * The others still reach the timeline (its clock) and are counted; when nobody asked for line
 * records (no store, no line subscribers: sink.line NULL) they are not even built.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "callsightd.h"

/* The scan's hits in one chunk: per line a literal occurs in, the chunk offset just past the first
 * one and where its literals' ids start in ids (struct cs_scan_hits); id_end: where each ends. */
struct hit_list {
	size_t		*v;
	uint32_t	*first;
	size_t		 n, cap;
	uint32_t	*ids;
	size_t		*id_end;
	size_t		 nids, ids_cap;
	size_t		 line_end;	/* the chunk offset where the last hit's line ends */
	const char	*buf;
	size_t		 len;
	struct cs_line_index *ix;	/* the chunk's index, when its scan text was scanned */
};

struct cs_pipeline {
	struct cs_reader	*reader;
	struct cs_rules		*rules;		/* borrowed */
	struct cs_timeline	*timeline;
	struct cs_sink		 sink;
	struct cs_pipeline_stats stats;
	char			 udid[64];
	struct hit_list		 hits;		/* scan first: the chunk being fed */
	struct cs_line_index	*scan_memo;	/* its stamp memo, for the scan's domains */
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

/* A literal (scan id) ends at chunk offset end: one entry per line, with the ids of its literals.
 * line_end: the chunk offset of its line's end, or SIZE_MAX (found here, for a new line only). */
static void
add_hit(struct hit_list *h, size_t end, unsigned id, size_t line_end)
{
	if (h->nids == h->ids_cap) {
		h->ids_cap = h->ids_cap ? h->ids_cap * 2 : 1024;
		h->ids = cs_xrealloc(h->ids, h->ids_cap * sizeof *h->ids);
		h->id_end = cs_xrealloc(h->id_end, h->ids_cap * sizeof *h->id_end);
	}
	h->id_end[h->nids] = end;
	h->ids[h->nids++] = id;
	if (h->n > 0 && end <= h->line_end)
		return;
	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 1024;
		h->v = cs_xrealloc(h->v, h->cap * sizeof *h->v);
		h->first = cs_xrealloc(h->first, h->cap * sizeof *h->first);
	}
	h->first[h->n] = (uint32_t)(h->nids - 1);
	h->v[h->n++] = end;
	if (line_end == SIZE_MAX) {
		const char *nl = end < h->len ? memchr(h->buf + end, '\n', h->len - end) : NULL;
		line_end = nl ? (size_t)(nl - h->buf) : h->len;
	}
	h->line_end = line_end;
}

/* A hit in the chunk itself. */
static int
on_hit(size_t end, unsigned id, void *ctx)
{
	add_hit(ctx, end, id, SIZE_MAX);
	return 0;
}

/* A hit in the index's scan text: where it is in the chunk. */
static int
on_text_hit(size_t end, unsigned id, void *ctx)
{
	struct hit_list *h = ctx;
	size_t chunk_end, line_end;
	cs_line_index_locate(h->ix, end, &chunk_end, &line_end);
	add_hit(h, chunk_end, id, line_end);
	return 0;
}

/*
 * After a scan of the chunk itself: the hits that start before their line's scan domain (in a
 * syslog header) go, so that it found what a scan of the index's text finds (cs_scan_domain).
 * Only lines with a hit are read, on ix's stamp memo.
 */
static void
drop_header_hits(struct hit_list *h, struct cs_rules *rules, struct cs_line_index *ix)
{
	size_t nv = 0, nid = 0;
	for (size_t i = 0; i < h->n; i++) {
		size_t from = h->first[i], to = i + 1 < h->n ? h->first[i + 1] : h->nids;
		/* the line holding the first hit's last byte (a literal holds no '\n') */
		size_t domain = cs_scan_domain(ix, h->buf, h->len, h->v[i] - 1);
		size_t kept = nid;
		for (size_t k = from; k < to; k++) {
			if (h->id_end[k] - cs_rules_scan_literal_len(rules, h->ids[k]) < domain)
				continue;
			h->ids[nid] = h->ids[k];
			h->id_end[nid++] = h->id_end[k];
		}
		if (nid > kept) {
			h->first[nv] = (uint32_t)kept;
			h->v[nv++] = h->id_end[kept];
		}
	}
	h->n = nv;
	h->nids = nid;
}

static void
hit_list_free(struct hit_list *h)
{
	free(h->v);
	free(h->first);
	free(h->ids);
	free(h->id_end);
}

/*
 * The scan of one chunk into h: 0, or -1 when the rules cannot say which lines are candidates.
 * With text (room for len + 1 bytes) and ix built on the chunk: the index's scan text is scanned
 * (each line's message alone: a syslog header is four tenths of a line, and the scan's time goes
 * with its bytes); otherwise the chunk itself, and the hits in headers are dropped. Either way
 * the same hits (ix: for its stamp memo only, if not built on the chunk).
 */
static int
scan_chunk(struct cs_rules *rules, const char *buf, size_t len, struct hit_list *h,
    struct cs_line_index *ix, char *text)
{
	h->n = 0;
	h->nids = 0;
	h->line_end = 0;
	h->buf = buf;
	h->len = len;
	h->ix = ix;
	if (!cs_rules_can_scan(rules))
		return -1;
	if (text != NULL)
		return cs_rules_scan(rules, text, cs_line_index_text(ix, text), on_text_hit, h);
	if (cs_rules_scan(rules, buf, len, on_hit, h) < 0)
		return -1;
	drop_header_hits(h, rules, ix);
	return 0;
}

/* A chunk with its scan (scanned false: every line is a candidate) and its line index, if any. */
static void
feed_scanned(struct cs_pipeline *p, const char *buf, size_t len, const struct hit_list *h,
    bool scanned, const struct cs_line_index *ix)
{
	struct cs_scan_hits hits = { h->v, h->first, h->n, h->ids, h->nids };
	cs_reader_feed_ahead(p->reader, buf, len, scanned ? &hits : NULL, p->sink.line == NULL, ix);
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
	p->scan_memo = cs_line_index_new();
	return p;
}

void
cs_pipeline_set_rules(struct cs_pipeline *p, struct cs_rules *rules)
{
	p->rules = rules;
	cs_reader_forget_scan_ids(p->reader);	/* they name the old rules' literals */
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
	bool scanned = scan_chunk(p->rules, buf, len, &p->hits, p->scan_memo, NULL) == 0;
	feed_scanned(p, buf, len, &p->hits, scanned, NULL);
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
	hit_list_free(&p->hits);
	cs_line_index_free(p->scan_memo);
	free(p);
}

#define AHEAD_SLOTS  4		/* chunks read and scanned ahead of the pipeline */

/*
 * Scan ahead (issue 12): a capture is read and scanned by a second thread while the pipeline works
 * through the chunks before, so the literal scan (a quarter to a third of a replay's CPU) and the
 * read() copy run beside the rest instead of before it. The scan needs nothing of the pipeline's
 * state, and each chunk is the bytes one read() returned, scanned alone, exactly as the one-thread
 * loop (replay_sequential) does: the same chunks with the same hits give the same records.
 * A ring of AHEAD_SLOTS chunks under one mutex: the reader thread fills slot `filled % SLOTS` once
 * the pipeline has `taken` it back, the pipeline takes them in order. The rules' scan scratch is
 * used by the reader thread alone while it runs: nothing else scans during a replay (the daemon's
 * replay runs before its event loop, so no reload or device can come in between).
 */

/* When the reader thread builds a chunk's line index (CALLSIGHT_SCAN_AHEAD=index: always, for
 * tests; the records are the same either way). */
enum ahead_index { INDEX_WHEN_BEHIND, INDEX_ALWAYS };

struct ahead_slot {
	char		*buf;
	size_t		 len;		/* 0: end of input */
	int		 error;		/* errno of a failed read (ends the input) */
	bool		 scanned;
	struct hit_list	 hits;
	struct cs_line_index *index;	/* its lines' ends, stamps, process blocks (parse.c) */
	bool		 indexed;
};

struct ahead {
	pthread_mutex_t	 lock;
	pthread_cond_t	 changed;
	struct ahead_slot slot[AHEAD_SLOTS];
	uint64_t	 filled, taken;	/* slots filled by the reader, handed back by the pipeline */
	bool		 stop;		/* the pipeline gave up: the reader ends */
	enum ahead_index index;
	int		 fd;
	struct cs_rules	*rules;
	char		*text;		/* the scan text of the chunk being indexed (CS_REPLAY_CHUNK + 1) */
};

ssize_t
cs_replay_read(int fd, char *buf, size_t len)
{
	ssize_t n;
	while ((n = read(fd, buf, len)) < 0 && errno == EINTR)
		;
	return n;
}

/*
 * Whether to index the chunk just read (and scan its index's text, which is shorter than the
 * chunk). The line index moves work from the pipeline's thread to this one, which pays only while
 * the pipeline is the slower of the two: when a chunk already waits for it beside the one it works
 * on (a dense capture: rules and timeline have work on many lines). When it keeps up (a sparse
 * capture: the scan is the longer part), the chunk is scanned whole and goes at once, and the
 * pipeline reads its lines itself. Either way the hits and the records are the same.
 */
static bool
index_now(struct ahead *a)
{
	if (a->index == INDEX_ALWAYS)
		return true;
	pthread_mutex_lock(&a->lock);
	bool busy = a->filled - a->taken >= 2;
	pthread_mutex_unlock(&a->lock);
	return busy;
}

static void *
ahead_reader(void *arg)
{
	struct ahead *a = arg;
	for (;;) {
		pthread_mutex_lock(&a->lock);
		while (!a->stop && a->filled - a->taken == AHEAD_SLOTS)
			pthread_cond_wait(&a->changed, &a->lock);
		bool stop = a->stop;
		struct ahead_slot *s = &a->slot[a->filled % AHEAD_SLOTS];
		pthread_mutex_unlock(&a->lock);
		if (stop)
			return NULL;
		ssize_t n = cs_replay_read(a->fd, s->buf, CS_REPLAY_CHUNK);
		s->error = n < 0 ? errno : 0;
		s->len = n > 0 ? (size_t)n : 0;
		s->indexed = s->len > 0 && index_now(a);
		if (s->indexed)
			cs_line_index_build(s->index, s->buf, s->len);
		s->scanned = s->len > 0 && scan_chunk(a->rules, s->buf, s->len, &s->hits, s->index,
		    s->indexed ? a->text : NULL) == 0;
		pthread_mutex_lock(&a->lock);
		a->filled++;
		pthread_cond_broadcast(&a->changed);
		pthread_mutex_unlock(&a->lock);
		if (s->len == 0)
			return NULL;
	}
}

static int
replay_sequential(struct cs_pipeline *p, int fd, char *err, size_t errlen)
{
	char *buf = cs_xmalloc(CS_REPLAY_CHUNK);
	int rc = 0;
	for (;;) {
		ssize_t n = cs_replay_read(fd, buf, CS_REPLAY_CHUNK);
		if (n < 0) {
			snprintf(err, errlen, "%s", strerror(errno));
			rc = -1;
		}
		if (n <= 0)
			break;
		cs_pipeline_feed(p, buf, (size_t)n);
	}
	free(buf);
	return rc;
}

static void
ahead_free(struct ahead *a)
{
	for (int i = 0; i < AHEAD_SLOTS; i++) {
		free(a->slot[i].buf);
		hit_list_free(&a->slot[i].hits);
		cs_line_index_free(a->slot[i].index);
	}
	free(a->text);
	pthread_cond_destroy(&a->changed);
	pthread_mutex_destroy(&a->lock);
}

/* The pipeline's side of scan ahead; -2 when the reader thread cannot start (nothing read yet). */
static int
replay_ahead(struct cs_pipeline *p, int fd, enum ahead_index index, char *err, size_t errlen)
{
	struct ahead a = { .fd = fd, .rules = p->rules, .index = index };
	pthread_t thread;
	int rc = 0;
	if (pthread_mutex_init(&a.lock, NULL) != 0)
		return -2;
	if (pthread_cond_init(&a.changed, NULL) != 0) {
		pthread_mutex_destroy(&a.lock);
		return -2;
	}
	for (int i = 0; i < AHEAD_SLOTS; i++) {
		a.slot[i].buf = cs_xmalloc(CS_REPLAY_CHUNK);
		a.slot[i].index = cs_line_index_new();
	}
	a.text = cs_xmalloc(CS_REPLAY_CHUNK + 1);
	if (pthread_create(&thread, NULL, ahead_reader, &a) != 0) {
		ahead_free(&a);
		return -2;
	}
	for (;;) {
		pthread_mutex_lock(&a.lock);
		while (a.filled == a.taken)
			pthread_cond_wait(&a.changed, &a.lock);
		struct ahead_slot *s = &a.slot[a.taken % AHEAD_SLOTS];
		pthread_mutex_unlock(&a.lock);
		if (s->len == 0) {
			if (s->error != 0) {
				snprintf(err, errlen, "%s", strerror(s->error));
				rc = -1;
			}
			break;
		}
		feed_scanned(p, s->buf, s->len, &s->hits, s->scanned, s->indexed ? s->index : NULL);
		pthread_mutex_lock(&a.lock);
		a.taken++;
		pthread_cond_broadcast(&a.changed);
		pthread_mutex_unlock(&a.lock);
	}
	pthread_mutex_lock(&a.lock);
	a.stop = true;
	pthread_cond_broadcast(&a.changed);
	pthread_mutex_unlock(&a.lock);
	pthread_join(thread, NULL);
	ahead_free(&a);
	return rc;
}

int
cs_replay_fd(struct cs_pipeline *p, int fd, char *err, size_t errlen)
{
	/* CALLSIGHT_SCAN_AHEAD=0: read and scan in the pipeline's thread; =index: index every chunk
	 * (tests compare the three ways) */
	const char *how = getenv("CALLSIGHT_SCAN_AHEAD");
	int rc = -2;
	if (cs_rules_can_scan(p->rules) && (how == NULL || strcmp(how, "0") != 0))
		rc = replay_ahead(p, fd, how && strcmp(how, "index") == 0 ? INDEX_ALWAYS :
		    INDEX_WHEN_BEHIND, err, errlen);
	if (rc == -2)
		rc = replay_sequential(p, fd, err, errlen);
	cs_pipeline_finish(p);
	return rc;
}

/*
 * daemon.c - callsightd as a service: the libevent loop that owns everything the daemon keeps
 * (rules, store, socket server, live devices, one pipeline per device) and fans each record out to
 * where it goes: stdout (--json), the store, subscribed clients, auto-report bundles.
 * It answers the clients' requests (docs/protocol.md). Capture threads (device.c) hand bytes in
 * through the loop; nothing else runs off the loop's thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <jansson.h>

#include "callsightd.h"

#define COMMIT_MS		250		/* what the store acknowledged survives kill -9 */
#define RECENT_FLAGS		200		/* flags in a subscriber's snapshot */
#define REPORT_AFTER_US		(120LL * 1000000)	/* auto-report waits for the window after a flag */
#define REPORT_WINDOW_US	(120LL * 1000000)	/* ... which is ±2 min around it (report.c's) */
#define REPORT_SPAN_US		(600LL * 1000000)	/* flags within 10 min share one bundle */
#define REPORTS_MAX		8			/* auto-reports waiting, at most */
#define EXIT_REPORTS_MS		10000			/* on SIGTERM, pending bundles get this long */
#define SERVE_IDLE_MS		60000		/* --serve: quit when no client came for this long */

struct dev_entry {
	char			 udid[64];
	struct cs_device_info	 info;
	int64_t			 info_us;	/* when info last changed (a replay: the capture's end) */
	struct cs_pipeline	*pipeline;
	const char		*states[CS_LANE_COUNT];	/* last state of each lane (static names) */
	int64_t			 state_us[CS_LANE_COUNT];	/* when it began */
	uint64_t		 state_line[CS_LANE_COUNT];
	char			 app[128];		/* the app under test, as the timeline names it */
	uint64_t		 flags;
	char			 app_checked[128];	/* the app we asked the phone about */
	json_t			*app_record;
	struct dev_entry	*next;
};

/* An auto-report to write once the window after its flags has passed. Flags of one device close
 * together share one bundle (a flag storm wrote one bundle per flag: issue 14 §6). */
struct pending_report {
	uint64_t		 flag_id;	/* the first flag; alone, the bundle is about it */
	size_t			 nflags;
	char			 device[64];
	int64_t			 first_us, last_us;	/* flag times */
	int64_t			 due_us;	/* wall clock */
	int64_t			 latest_due_us;	/* a storm does not put it off for ever */
	struct pending_report	*next;
};

struct cs_daemon {
	const struct cs_daemon_options *opt;
	struct event_base	*base;
	struct cs_rules		*rules;
	struct cs_store		*store;
	struct cs_server	*server;
	struct cs_devices	*devices;
	struct dev_entry	*devs;
	struct event		*commit_timer;
	struct event		*signals[4];
	struct event		*serve_timer;
	bool			 had_client;
	json_t			*recent_flags[RECENT_FLAGS];
	size_t			 recent_head;
	struct pending_report	*reports;
	uint64_t		 reports_dropped;	/* flags not bundled: the queue was full */
	uint64_t		 gap_lost;	/* records the store lost in the open gap */
	int64_t			 gap_start_us;	/* 0: no gap open */
	char			 store_said[256];	/* the store error last logged (said once) */
	struct history_job	*histories;	/* history answers being paged out */
	struct report_job	*report_jobs;	/* reports being written by threads */
	int			 exit_code;
	char			 crash_dir[1024];	/* live: where fetched reports go ("" = none) */
	struct cs_metrics	*metrics;	/* --metrics */
	struct cs_metrics_http	*metrics_http;
	struct cs_forwarder	*forwarders[MAX_FORWARDS];	/* --forward */
	int			 nforwarders;
	struct event		*forward_timer;
};



/* ---------------------------------------------------------------- metrics (--metrics) */

#define METRICS_MAX_SERIES	20000

static void
metrics_flag(struct cs_daemon *d, const struct dev_entry *e, const struct cs_flag *flag, json_t *rec)
{
	if (d->metrics == NULL)
		return;
	/* the sdk field (issue 9) when the record carries one */
	const char *sdk = json_string_value(json_object_get(rec, "sdk"));
	const char *labels[] = { e->udid, e->info.name, flag->app, sdk ? sdk : "", cs_cause_name(flag->cause) };
	cs_metrics_add(d->metrics, cs_cause_severity(flag->cause) == CS_SEV_disconnect ?
	    CS_M_disconnects_total : CS_M_warnings_total, labels, 1);
}

static void
metrics_call(struct cs_daemon *d, const struct dev_entry *e, const struct cs_state_change *change,
    const char *before)
{
	if (d->metrics == NULL || change->lane != CS_LANE_call)
		return;
	const char *labels[] = { e->udid, change->app };
	const char *connected = cs_state_name(CS_ST_call_connected);
	bool up = strcmp(change->state, connected) == 0;
	if (up && (before == NULL || strcmp(before, connected) != 0))
		cs_metrics_add(d->metrics, CS_M_calls_total, labels, 1);
	cs_metrics_set(d->metrics, CS_M_call_up, labels, up);
}

/* device_connected and stream_state follow the device's records; a renamed phone or a new iOS
 * version leaves its old series at 0 */
static bool
same_device_labels(const struct cs_device_info *a, const struct cs_device_info *b)
{
	return strcmp(a->name, b->name) == 0 && strcmp(a->product_version, b->product_version) == 0;
}

static void
metrics_device(struct cs_daemon *d, const struct cs_device_info *old, const struct cs_device_info *info)
{
	if (d->metrics == NULL)
		return;
	const char *was[] = { old->udid, old->name, old->product_version };
	const char *now[] = { info->udid, info->name, info->product_version };
	const char *old_state[] = { old->udid, old->state };
	const char *new_state[] = { info->udid, info->state };
	if (!same_device_labels(old, info) && cs_metrics_get(d->metrics, CS_M_device_connected, was) != 0)
		cs_metrics_set(d->metrics, CS_M_device_connected, was, 0);
	cs_metrics_set(d->metrics, CS_M_device_connected, now, strcmp(info->state, cs_state_name(CS_ST_link_detached)) != 0);
	if (strcmp(old->state, info->state) != 0 && cs_metrics_get(d->metrics, CS_M_stream_state, old_state))
		cs_metrics_set(d->metrics, CS_M_stream_state, old_state, 0);
	cs_metrics_set(d->metrics, CS_M_stream_state, new_state, 1);
}

/* the gauges read at scrape time */
static void
metrics_gather(void *arg)
{
	struct cs_daemon *d = arg;
	const char *version[] = { CALLSIGHT_VERSION };
	cs_metrics_set(d->metrics, CS_M_build_info, version, 1);
	cs_metrics_set(d->metrics, CS_M_store_bytes, NULL, d->store ? (double)cs_store_size(d->store) : 0);
	cs_metrics_set(d->metrics, CS_M_clients, NULL, d->server ? (double)cs_server_clients(d->server) : 0);
}

static int
open_metrics(struct cs_daemon *d)
{
	char err[512];
	d->metrics = cs_metrics_new(METRICS_MAX_SERIES);
	d->metrics_http = cs_metrics_http_new(d->base, d->opt->metrics, d->metrics, metrics_gather, d, err,
	    sizeof err);
	if (d->metrics_http == NULL) {
		cs_log(CS_LOG_ERROR, "%s", err);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- forwarding (--forward) */

#define FORWARD_TICK_MS		50

static void
on_forward_timer(evutil_socket_t fd, short what, void *arg)
{
	struct cs_daemon *d = arg;
	for (int i = 0; i < d->nforwarders; i++)
		cs_forwarder_tick(d->forwarders[i]);
}

static int
open_forwarders(struct cs_daemon *d)
{
	if (d->opt->nforward == 0)
		return 0;
	if (d->store == NULL) {
		cs_log(CS_LOG_ERROR, "--forward reads from the store: give --store, not --no-store");
		return -1;
	}
	unsigned types = CS_REC_FLAG | CS_REC_DEVICE | CS_REC_APP | (d->opt->forward_events ? CS_REC_EVENT : 0)
	    | (d->opt->forward_lines ? CS_REC_LINE : 0);
	for (int i = 0; i < d->opt->nforward; i++) {
		char err[512];
		struct cs_forward_options fo = {
			.url = d->opt->forward[i], .ca_file = d->opt->forward_ca, .types = types,
			.redact = !d->opt->no_redact,
		};
		d->forwarders[i] = cs_forwarder_new(d->store, &fo, err, sizeof err);
		if (d->forwarders[i] == NULL) {
			cs_log(CS_LOG_ERROR, "%s", err);
			return -1;
		}
		d->nforwarders = i + 1;
	}
	d->forward_timer = event_new(d->base, -1, EV_PERSIST, on_forward_timer, d);
	struct timeval tv = { 0, FORWARD_TICK_MS * 1000 };
	event_add(d->forward_timer, &tv);
	return 0;
}

/* ---------------------------------------------------------------- fan-out */

/* A record to stdout (--json), to subscribers; consumes the reference. */
static void
publish(struct cs_daemon *d, const char *device, bool is_line, json_t *record)
{
	if (d->opt->json && !is_line) {
		cs_json_write(stdout, json_incref(record));
		fflush(stdout);
	}
	if (d->server)
		cs_server_broadcast(d->server, device, is_line, json_incref(record));
	json_decref(record);
}

static void want_crash_reports(struct cs_daemon *d, struct dev_entry *e, const struct cs_event *event);
static int default_store_path(char *out, size_t outlen);

/* The sink's ctx is a small pair: the daemon and the device entry. */
struct sink_ctx {
	struct cs_daemon	*daemon;
	struct dev_entry	*dev;
};

static void
sink_line(const struct cs_line *line, void *arg)
{
	struct sink_ctx *sc = arg;
	struct cs_daemon *d = sc->daemon;
	if (d->store)
		cs_store_line(d->store, sc->dev->udid, line);
	if (d->metrics) {
		const char *labels[] = { sc->dev->udid };
		cs_metrics_add(d->metrics, CS_M_lines_total, labels, 1);
	}
	if (d->server && cs_server_wants_lines(d->server))
		publish(d, sc->dev->udid, true, cs_line_json(sc->dev->udid, line));
}

static void
sink_event(const struct cs_event *event, void *arg)
{
	struct sink_ctx *sc = arg;
	struct cs_daemon *d = sc->daemon;
	if (d->store)
		cs_store_event(d->store, sc->dev->udid, event);
	if (d->opt->json || d->server)
		publish(d, sc->dev->udid, false, cs_event_json(event));
	want_crash_reports(d, sc->dev, event);
}

/* The app under test died (a kill, a crash or a bare termination): ask the phone for its reports.
 * The timeline holds the verdict until they come or the fetch gives up. */
static void
want_crash_reports(struct cs_daemon *d, struct dev_entry *e, const struct cs_event *event)
{
	switch (event->kind) {
	case CS_EV_app_terminated: case CS_EV_app_killed_jetsam: case CS_EV_app_killed_watchdog:
	case CS_EV_app_crashed:
		break;
	default:
		return;
	}
	if (d->devices == NULL || d->crash_dir[0] == '\0')
		return;
	const char *app = cs_timeline_app(cs_pipeline_timeline(e->pipeline));
	const char *bundle = cs_event_attr(event, "bundle");
	const char *process = cs_event_attr(event, "process");
	const char *pid = cs_event_attr(event, "pid");
	if (process == NULL && bundle == NULL && pid == NULL)
		process = event->line->process;	/* the app's own line */
	bool ours = app[0] && ((bundle && strcasecmp(bundle, app) == 0) ||
	    (process && strcasecmp(process, app) == 0));
	if (!ours)
		return;
	cs_devices_want_reports(d->devices, e->udid, app, bundle, process, pid ? strtol(pid, NULL, 10) :
	    (bundle ? -1 : event->line->pid));
}

static void
sink_state(const struct cs_state_change *change, void *arg)
{
	struct sink_ctx *sc = arg;
	struct cs_daemon *d = sc->daemon;
	metrics_call(d, sc->dev, change, sc->dev->states[change->lane]);
	sc->dev->states[change->lane] = change->state;
	sc->dev->state_us[change->lane] = change->time_us;
	sc->dev->state_line[change->lane] = change->line;
	cs_strlcpy(sc->dev->app, change->app, sizeof sc->dev->app);
	if (d->store)
		cs_store_state(d->store, change);
	publish(d, sc->dev->udid, false, cs_state_json(change));
	/* the timeline found the app under test: ask the phone what the app declares */
	if (d->devices && change->app[0] && strcmp(sc->dev->app_checked, change->app) != 0) {
		cs_strlcpy(sc->dev->app_checked, change->app, sizeof sc->dev->app_checked);
		cs_devices_want_app(d->devices, sc->dev->udid, change->app);
	}
}

static void
remember_flag(struct cs_daemon *d, json_t *record)
{
	json_decref(d->recent_flags[d->recent_head]);
	d->recent_flags[d->recent_head] = json_incref(record);
	d->recent_head = (d->recent_head + 1) % RECENT_FLAGS;
}

static void
schedule_report(struct cs_daemon *d, const struct cs_flag *flag, const char *device)
{
	int64_t now = cs_wall_us();
	size_t pending = 0;
	for (struct pending_report *r = d->reports; r; r = r->next, pending++) {
		if (strcmp(r->device, device) != 0 || flag->time_us - r->first_us > REPORT_SPAN_US ||
		    flag->time_us < r->first_us)
			continue;
		r->nflags++;	/* close to a pending one: the same bundle, a wider window */
		if (flag->time_us > r->last_us)
			r->last_us = flag->time_us;
		r->due_us = now + REPORT_AFTER_US < r->latest_due_us ? now + REPORT_AFTER_US : r->latest_due_us;
		return;
	}
	if (pending >= REPORTS_MAX) {
		if (d->reports_dropped++ == 0)
			cs_log(CS_LOG_WARN, "auto-report: %d bundles already wait to be written; flags "
			    "are not bundled until one is (counted; said once)", REPORTS_MAX);
		return;
	}
	struct pending_report *r = cs_xcalloc(1, sizeof *r);
	r->flag_id = flag->id;
	r->nflags = 1;
	cs_strlcpy(r->device, device, sizeof r->device);
	r->first_us = r->last_us = flag->time_us;
	r->due_us = now + REPORT_AFTER_US;
	r->latest_due_us = now + REPORT_SPAN_US + REPORT_AFTER_US;
	r->next = d->reports;
	d->reports = r;
}

/* The app record names the call SDK once the log has shown it (a flag carries the latest word):
 * a changed SDK re-sends the record so clients and the store see it. */
static void
note_app_sdk(struct cs_daemon *d, struct dev_entry *e, const char *sdk)
{
	if (e->app_record == NULL || sdk[0] == '\0')
		return;
	json_t *old = json_object_get(e->app_record, "sdk");
	if (old && strcmp(json_string_value(old) ? json_string_value(old) : "", sdk) == 0)
		return;
	json_object_set_new(e->app_record, "sdk", json_string(sdk));
	publish(d, e->udid, false, json_incref(e->app_record));
}

static void
sink_flag(const struct cs_flag *flag, void *arg)
{
	struct sink_ctx *sc = arg;
	struct cs_daemon *d = sc->daemon;
	sc->dev->flags++;
	if (d->store)
		cs_store_flag(d->store, flag);
	note_app_sdk(d, sc->dev, flag->sdk);
	json_t *rec = cs_flag_json(flag);
	metrics_flag(d, sc->dev, flag, rec);
	remember_flag(d, rec);
	publish(d, sc->dev->udid, false, rec);
	if (d->opt->auto_report && cs_cause_severity(flag->cause) == CS_SEV_disconnect)
		schedule_report(d, flag, sc->dev->udid);
	if (!d->opt->json && !d->server && d->opt->replay == NULL) {
		struct cs_text_style style = { .color = false };
		cs_flag_print(stdout, flag, &style);
		fflush(stdout);
	}
}

/* ---------------------------------------------------------------- devices */

static int
host_utc_offset_min(void)
{
	time_t now = time(NULL);
	struct tm tm;
	if (localtime_r(&now, &tm) == NULL)
		return 0;
	return (int)(tm.tm_gmtoff / 60);
}

static struct dev_entry *
dev_get(struct cs_daemon *d, const char *udid)
{
	for (struct dev_entry *e = d->devs; e; e = e->next)
		if (strcmp(e->udid, udid) == 0)
			return e;
	struct dev_entry *e = cs_xcalloc(1, sizeof *e + sizeof(struct sink_ctx));
	cs_strlcpy(e->udid, udid, sizeof e->udid);
	cs_strlcpy(e->info.udid, udid, sizeof e->info.udid);
	cs_strlcpy(e->info.state, cs_state_name(CS_ST_link_attached), sizeof e->info.state);
	struct sink_ctx *sc = (struct sink_ctx *)(e + 1);
	sc->daemon = d;
	sc->dev = e;
	struct cs_sink sink = {
		.line = sink_line, .event = sink_event, .state = sink_state, .flag = sink_flag, .ctx = sc,
	};
	/* a replayed capture was written by its file's time, as a plain --replay reads it (the year of
	 * stamps without one, which the phone's reports must agree with) */
	struct stat st;
	int64_t ref_time = time(NULL);
	if (d->opt->replay && strcmp(d->opt->replay, "-") != 0 && stat(d->opt->replay, &st) == 0)
		ref_time = st.st_mtime;
	struct cs_pipeline_options popt = {
		.app = d->opt->app, .sdk = d->opt->sdk, .year = d->opt->year, .ref_time = ref_time,
		.utc_offset_min = d->opt->utc_offset_min, .udid = udid,
		.date_year = d->opt->date_year, .date_month = d->opt->date_month,
		.date_day = d->opt->date_day,
	};
	/* a live phone: its stamps (read in the host's zone unless --utc-offset) give the lines'
	 * spacing and order, anchored once to the host clock (parse.c anchor_stamp), so a backlog or
	 * a burst is diagnosed as it happened, not as it arrived; the arrival is kept as recv_us */
	if (d->opt->replay == NULL) {
		popt.live = true;
		popt.await_reports = d->crash_dir[0] != '\0';
		if (!d->opt->utc_offset_given)
			popt.utc_offset_min = host_utc_offset_min();
	}
	e->pipeline = cs_pipeline_new(d->rules, &popt, &sink);
	char err[512];
	if (d->opt->replay && d->opt->crash_dir &&
	    cs_pipeline_crash_dir(e->pipeline, d->opt->crash_dir, err, sizeof err) < 0)
		cs_log(CS_LOG_ERROR, "--crash-dir: cannot read %s", err);
	if (d->opt->app)	/* device.c checks --app at attach: no second check when it shows up */
		cs_strlcpy(e->app_checked, d->opt->app, sizeof e->app_checked);
	e->next = d->devs;
	d->devs = e;
	return e;
}

static void
on_device_state(const struct cs_device_info *info, void *ctx)
{
	struct cs_daemon *d = ctx;
	struct dev_entry *e = dev_get(d, info->udid);
	const char *detached_name = cs_state_name(CS_ST_link_detached);
	bool was_gone = strcmp(e->info.state, detached_name) == 0;
	bool detached = strcmp(info->state, detached_name) == 0;
	metrics_device(d, &e->info, info);
	cs_log(CS_LOG_DEBUG, "device %s (%s): %s%s%s", info->udid, info->name[0] ? info->name : "no name yet",
	    info->state, info->detail[0] ? ", " : "", info->detail);
	int64_t now = cs_wall_us();
	e->info = *info;
	e->info_us = now;
	if (detached || was_gone)
		cs_pipeline_flush(e->pipeline);
	if (d->store) {
		cs_store_device(d->store, info->udid, info->name, info->product_version, info->product_type,
		    info->state, info->detail, now);
	}
	publish(d, info->udid, false, cs_device_json(info, now));
	if (d->opt->exit_on_detach && detached && strcmp(info->detail, "unplugged") == 0)
		event_base_loopexit(d->base, NULL);
}

static void
on_device_bytes(const char *udid, const char *buf, size_t len, void *ctx)
{
	struct cs_daemon *d = ctx;
	struct cs_pipeline *p = dev_get(d, udid)->pipeline;
	cs_pipeline_set_clock(p, cs_wall_us());
	cs_pipeline_feed(p, buf, len);
}

static void
on_device_idle(const char *udid, void *ctx)
{
	struct cs_daemon *d = ctx;
	cs_pipeline_flush(dev_get(d, udid)->pipeline);
}

static void
on_device_app(const char *udid, const char *bundle, const struct cs_app_facts *facts,
    const char *modes_json, void *ctx)
{
	struct cs_daemon *d = ctx;
	struct dev_entry *e = dev_get(d, udid);
	cs_strlcpy(e->app_checked, bundle, sizeof e->app_checked);	/* asked and answered */
	cs_pipeline_app_facts(e->pipeline, bundle, facts);
	if (d->store)
		cs_store_app(d->store, udid, bundle, facts, modes_json);
	json_t *rec = cs_app_json(udid, bundle, facts, modes_json);
	json_object_set_new(rec, "sdk", json_string(cs_timeline_sdk(cs_pipeline_timeline(e->pipeline))));
	json_decref(e->app_record);
	e->app_record = json_incref(rec);
	publish(d, udid, false, rec);
}

static void
on_device_report(const char *udid, const char *path, const struct cs_crash_report *r, void *ctx)
{
	struct cs_daemon *d = ctx;
	cs_log(CS_LOG_DEBUG, "%s: copied the phone's report %s (bug_type %s) to %s", udid, r->file,
	    r->bug_type, path);
	cs_pipeline_report(dev_get(d, udid)->pipeline, r);
}

static void
on_device_reports_done(const char *udid, void *ctx)
{
	struct cs_daemon *d = ctx;
	cs_pipeline_reports_done(dev_get(d, udid)->pipeline);
}

/* live: fetched reports go to --crash-dir, else a crash-reports folder next to the store */
static void
choose_crash_dir(struct cs_daemon *d)
{
	d->crash_dir[0] = '\0';
	if (d->opt->no_crash_reports)
		return;
	if (d->opt->crash_dir) {
		cs_strlcpy(d->crash_dir, d->opt->crash_dir, sizeof d->crash_dir);
		return;
	}
	char store[1024];
	const char *p = d->opt->store;
	if (p == NULL || strcmp(p, ":memory:") == 0) {
		if (default_store_path(store, sizeof store) < 0)
			return;
		p = store;
	}
	const char *slash = strrchr(p, '/');
	if (slash == NULL)
		snprintf(d->crash_dir, sizeof d->crash_dir, "crash-reports");
	else
		snprintf(d->crash_dir, sizeof d->crash_dir, "%.*s/crash-reports", (int)(slash - p), p);
}

/* ---------------------------------------------------------------- requests */

/* A request's since/until: absent or null is 0 (open); anything else must be a valid ISO 8601
 * time (cs_parse_iso_time checks every field's range), or the request is refused naming why. */
static int
request_time(struct cs_client *c, json_t *id, const char *what, json_t *req, const char *key,
    int64_t *out)
{
	json_t *v = json_object_get(req, key);
	*out = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	const char *s = json_string_value(v);
	char err[160];
	if (s == NULL) {
		cs_client_error(c, id, "%s: \"%s\" must be a time such as 2026-11-25T17:20:05Z", what, key);
		return -1;
	}
	if (cs_parse_iso_time(s, out, err, sizeof err) < 0) {
		cs_client_error(c, id, "%s: \"%s\" '%.40s' is not a time such as 2026-11-25T17:20:05Z: %s",
		    what, key, s, err);
		return -1;
	}
	return 0;
}

static unsigned
parse_types(json_t *types)
{
	static const struct { const char *name; unsigned bit; } names[] = {
		{ "event", CS_REC_EVENT }, { "state", CS_REC_STATE }, { "flag", CS_REC_FLAG },
		{ "mark", CS_REC_MARK }, { "device", CS_REC_DEVICE }, { "line", CS_REC_LINE },
		{ "app", CS_REC_APP },
	};
	if (!json_is_array(types))
		return CS_REC_DEFAULT;
	unsigned mask = 0;
	size_t i;
	json_t *t;
	json_array_foreach(types, i, t) {
		const char *s = json_string_value(t);
		for (size_t k = 0; s && k < sizeof names / sizeof names[0]; k++)
			if (strcmp(s, names[k].name) == 0)
				mask |= names[k].bit;
	}
	return mask ? mask : CS_REC_DEFAULT;
}

static void
req_subscribe(struct cs_daemon *d, struct cs_client *c, json_t *req, json_t *id)
{
	const char *device = json_string_value(json_object_get(req, "device"));
	cs_client_subscribe(c, device, json_is_true(json_object_get(req, "lines")));
	cs_client_send(c, cs_reply_json("ok", id));
	int64_t now = cs_wall_us();
	for (struct dev_entry *e = d->devs; e; e = e->next) {
		if (device && strcmp(device, e->udid) != 0)
			continue;
		cs_client_send(c, cs_device_json(&e->info, e->info_us ? e->info_us : now));
		if (e->app_record)
			cs_client_send(c, json_incref(e->app_record));
		for (int lane = 0; lane < CS_LANE_COUNT; lane++) {
			if (e->states[lane] == NULL)
				continue;
			struct cs_state_change sc = {
				.lane = lane, .state = e->states[lane], .time_us = e->state_us[lane],
				.line = e->state_line[lane], .device = e->udid, .app = e->app,
			};
			cs_client_send(c, cs_state_json(&sc));
		}
	}
	for (size_t i = 0; i < RECENT_FLAGS; i++) {
		json_t *f = d->recent_flags[(d->recent_head + i) % RECENT_FLAGS];
		if (f == NULL)
			continue;
		const char *fd = json_string_value(json_object_get(f, "device"));
		if (device == NULL || (fd && strcmp(fd, device) == 0))
			cs_client_send(c, json_incref(f));
	}
}

/* Log a store error once per cause (a failing store must not flood stderr either). */
static bool
say_store_error(struct cs_daemon *d, const char *why)
{
	if (strcmp(why, d->store_said) == 0)
		return false;
	cs_strlcpy(d->store_said, why, sizeof d->store_said);
	cs_log(CS_LOG_ERROR, "store: %s", why);
	return true;
}

/* A history answer in flight: sent a page at a time as the client's queue drains (a long answer
 * built at once overflowed the queue and lost its end record: issue 14 §3). One per client. */
struct history_job {
	struct cs_daemon	*d;
	struct cs_client	*client;
	json_t			*id;
	char			*device;
	int64_t			 since, until;
	unsigned		 types;
	size_t			 limit, count;
	struct cs_history_cursor cur;
	int64_t			 paused_ms;
	struct history_job	*next;
};

#define HISTORY_PAUSE_MS	2000	/* a paused answer keeps its statement this long */

static int
send_history_record(json_t *record, void *arg)
{
	struct history_job *h = arg;
	h->count++;
	cs_client_send(h->client, record);
	/* pause when the queue is getting full or the limit is reached: the rest follows as it drains */
	return (h->limit && h->count >= h->limit) || !cs_client_has_room(h->client);
}

static void
history_job_free(struct cs_daemon *d, struct history_job *h)
{
	for (struct history_job **pp = &d->histories; *pp; pp = &(*pp)->next) {
		if (*pp == h) {
			*pp = h->next;
			break;
		}
	}
	cs_store_history_release(&h->cur);
	json_decref(h->id);
	free(h->device);
	free(h);
}

/* A client that stopped reading must not pin the store's WAL with an open statement: after a
 * while its answer goes on from the cursor with a new one (commit timer). */
static void
release_paused_histories(struct cs_daemon *d)
{
	int64_t now = cs_mono_ms();
	for (struct history_job *h = d->histories; h; h = h->next)
		if (h->cur.stmt && now - h->paused_ms > HISTORY_PAUSE_MS)
			cs_store_history_release(&h->cur);
}

static struct history_job *
history_job_of(struct cs_daemon *d, const struct cs_client *c)
{
	for (struct history_job *h = d->histories; h; h = h->next)
		if (h->client == c)
			return h;
	return NULL;
}

/* Send pages while the client has room; at the end (or on an error) the final records. */
static void
history_pump(struct cs_client *c, void *arg)
{
	struct history_job *h = arg;
	struct cs_daemon *d = h->d;
	int rc = 1;
	if (cs_client_has_room(c) && !(h->limit && h->count >= h->limit))
		rc = cs_store_history_page(d->store, h->device, h->since, h->until, h->types, &h->cur,
		    h->limit ? h->limit - h->count : 0, send_history_record, h);
	bool done = rc <= 0 || (h->limit && h->count >= h->limit);
	if (!done) {
		h->paused_ms = cs_mono_ms();
		return;		/* called again when the queue drains */
	}
	if (rc < 0) {
		cs_client_error(c, h->id, "history: the store could not be read: %s",
		    cs_store_error(d->store));
		say_store_error(d, cs_store_error(d->store));
	}
	json_t *end = cs_end_json(h->id, h->count);
	if (rc < 0)
		json_object_set_new(end, "error", json_string(cs_store_error(d->store)));
	if (h->cur.unreadable)
		json_object_set_new(end, "unreadable", json_integer((json_int_t)h->cur.unreadable));
	cs_client_send_final(c, end);
	cs_client_on_drained(c, NULL, NULL);
	history_job_free(d, h);
}

static void
req_history(struct cs_daemon *d, struct cs_client *c, json_t *req, json_t *id)
{
	if (d->store == NULL) {
		cs_client_error(c, id, "this daemon keeps no store (started with --no-store)");
		return;
	}
	if (history_job_of(d, c)) {
		cs_client_error(c, id, "history: the answer to the previous history request is still being "
		    "sent; ask again after its end record");
		return;
	}
	int64_t since_us, until_us;
	if (request_time(c, id, "history", req, "since", &since_us) < 0 ||
	    request_time(c, id, "history", req, "until", &until_us) < 0)
		return;
	cs_store_commit(d->store);
	json_t *lim = json_object_get(req, "limit");
	const char *device = json_string_value(json_object_get(req, "device"));
	struct history_job *h = cs_xcalloc(1, sizeof *h);
	h->d = d;
	h->client = c;
	h->id = json_incref(id);
	h->device = device ? cs_xstrdup(device) : NULL;
	h->since = since_us;
	h->until = until_us;
	if (h->until == 0 && d->opt->replay == NULL)	/* live: the answer ends with what is stored
							 * now (lines are timed by arrival), not with the stream */
		h->until = cs_wall_us();
	h->types = parse_types(json_object_get(req, "types"));
	h->limit = json_is_integer(lim) && json_integer_value(lim) > 0 ? (size_t)json_integer_value(lim) : 0;
	h->next = d->histories;
	d->histories = h;
	cs_client_on_drained(c, history_pump, h);
	history_pump(c, h);
}

static void
req_devices(struct cs_daemon *d, struct cs_client *c, json_t *req, json_t *id)
{
	json_t *list = json_array();
	for (struct dev_entry *e = d->devs; e; e = e->next)
		json_array_append_new(list, cs_device_entry_json(&e->info, e->flags));
	json_t *answer = cs_reply_json("devices", id);
	json_object_set_new(answer, "devices", list);
	cs_client_send(c, answer);
}

static void
req_mark(struct cs_daemon *d, struct cs_client *c, json_t *req, json_t *id)
{
	const char *device = json_string_value(json_object_get(req, "device"));
	const char *note = json_string_value(json_object_get(req, "note"));
	int64_t now = cs_wall_us();
	int64_t mark = d->store ? cs_store_mark(d->store, device ? device : "", now, note ? note : "") : 0;
	if (mark < 0) {
		cs_client_error(c, id, "mark: the store could not be written");
		return;
	}
	json_t *ok = cs_reply_json("ok", id);
	json_object_set_new(ok, "mark", json_integer(mark));
	cs_client_send(c, ok);
	publish(d, device, false, cs_mark_json(mark, now, device, note, -1));
}

static int
stop_at_first(json_t *record, void *arg)
{
	json_decref(record);
	*(bool *)arg = true;
	return 1;
}

/* A report request that cannot make a meaningful bundle is refused with the reason (rather than
 * writing an empty bundle): a flag id that is not a positive integer, since after until, a device
 * the store has never seen, an `out` that is not absolute (the client resolves it: the daemon's
 * working folder is not the user's). 0 when fine. */
static int
check_report_request(struct cs_daemon *d, struct cs_client *c, json_t *req, json_t *id,
    int64_t since_us, int64_t until_us)
{
	json_t *flag = json_object_get(req, "flag");
	const char *out = json_string_value(json_object_get(req, "out"));
	const char *device = json_string_value(json_object_get(req, "device"));
	if (flag != NULL && !(json_is_integer(flag) && json_integer_value(flag) > 0)) {
		char *text = json_dumps(flag, JSON_ENCODE_ANY | CS_JSON_DUMP);
		cs_client_error(c, id, "report: \"flag\" must be a flag id (a positive integer), not %.40s",
		    text ? text : "that");
		free(text);
		return -1;
	}
	if (since_us && until_us && since_us > until_us) {
		cs_client_error(c, id, "report: \"since\" is after \"until\": nothing to report");
		return -1;
	}
	if (out != NULL && out[0] != '/') {
		cs_client_error(c, id, "report: \"out\" must be an absolute folder (got '%.200s'): "
		    "the daemon's working folder is not yours", out);
		return -1;
	}
	bool known = false;
	if (device != NULL && (cs_store_history(d->store, device, 0, 0, CS_REC_DEVICE | CS_REC_EVENT |
	    CS_REC_FLAG, 1, stop_at_first, &known) < 0 || !known)) {
		cs_client_error(c, id, "report: no device %.64s in the store (see the `devices` request)",
		    device);
		return -1;
	}
	return 0;
}

/* A client's report is written off the loop (issue 14 §2: a big one blocked every client for
 * half a minute): a thread reads the store through a connection of its own (read-only; the WAL
 * lets it read while the loop writes) and wakes the loop when done, which answers the client if it
 * is still there. A store in memory (a --serve replay, small) is written on the loop. */
struct report_job {
	struct cs_daemon	*d;
	uint64_t		 client;	/* cs_client_id: the client may leave meanwhile */
	json_t			*id;
	char			*out, *device, *crash_dir;
	struct cs_report_options ro;
	char			 store_path[PATH_MAX];
	char			 path[1024], err[512];
	int			 rc;
	pthread_t		 thread;
	struct event		*done;
	struct report_job	*next;
};

#define REPORT_THREADS	2	/* reports written at once; more are refused, not queued */

static void *
report_thread(void *arg)
{
	struct report_job *j = arg;
	struct cs_store_options so = { .path = j->store_path, .read_only = true, .no_check = true };
	struct cs_store *store = cs_store_open(&so, j->err, sizeof j->err);
	j->rc = store ? cs_report_write(store, &j->ro, j->path, sizeof j->path, j->err, sizeof j->err) : -1;
	cs_store_close(store);
	event_active(j->done, EV_TIMEOUT, 0);	/* thread-safe: evthread_use_pthreads() */
	return NULL;
}

static void
report_job_free(struct cs_daemon *d, struct report_job *j)
{
	for (struct report_job **pp = &d->report_jobs; *pp; pp = &(*pp)->next) {
		if (*pp == j) {
			*pp = j->next;
			break;
		}
	}
	pthread_join(j->thread, NULL);
	event_free(j->done);
	json_decref(j->id);
	free(j->out);
	free(j->device);
	free(j->crash_dir);
	free(j);
}

static void
on_report_done(evutil_socket_t fd, short what, void *arg)
{
	struct report_job *j = arg;
	struct cs_daemon *d = j->d;
	struct cs_client *c = d->server ? cs_server_client(d->server, j->client) : NULL;
	if (c && j->rc < 0)
		cs_client_error(c, j->id, "report: %s", j->err);
	else if (c)
		cs_client_send_final(c, cs_report_reply_json(j->id, j->path));
	if (j->rc < 0 && strstr(j->err, "cannot read the store"))
		say_store_error(d, j->err);
	report_job_free(d, j);
}

static void
req_report(struct cs_daemon *d, struct cs_client *c, json_t *req, json_t *id)
{
	if (d->store == NULL) {
		cs_client_error(c, id, "report: this daemon keeps no store");
		return;
	}
	cs_store_commit(d->store);
	int64_t since_us, until_us;
	if (request_time(c, id, "report", req, "since", &since_us) < 0 ||
	    request_time(c, id, "report", req, "until", &until_us) < 0 ||
	    check_report_request(d, c, req, id, since_us, until_us) < 0)
		return;
	const char *out = json_string_value(json_object_get(req, "out"));
	json_t *redact = json_object_get(req, "redact");
	struct cs_report_options ro = {
		.out_dir = out ? out : ".",
		.device = json_string_value(json_object_get(req, "device")),
		.flag_id = (uint64_t)json_integer_value(json_object_get(req, "flag")),
		.since_us = since_us,
		.until_us = until_us,
		.tar = json_is_true(json_object_get(req, "tar")),
		.redact = redact == NULL || json_is_true(redact),
		.crash_dir = d->crash_dir[0] ? d->crash_dir : d->opt->crash_dir,
	};
	const char *store_path = cs_store_path(d->store);
	size_t running = 0;
	for (struct report_job *j = d->report_jobs; j; j = j->next)
		running++;
	if (store_path && running >= REPORT_THREADS) {
		cs_client_error(c, id, "report: %zu reports are being written; ask again when one is done",
		    running);
		return;
	}
	if (store_path) {
		struct report_job *j = cs_xcalloc(1, sizeof *j);
		j->d = d;
		j->client = cs_client_id(c);
		j->id = json_incref(id);
		j->ro = ro;
		j->ro.out_dir = j->out = cs_xstrdup(ro.out_dir);
		j->ro.device = j->device = ro.device ? cs_xstrdup(ro.device) : NULL;
		j->ro.crash_dir = j->crash_dir = ro.crash_dir ? cs_xstrdup(ro.crash_dir) : NULL;
		cs_strlcpy(j->store_path, store_path, sizeof j->store_path);
		j->done = event_new(d->base, -1, 0, on_report_done, j);
		if (pthread_create(&j->thread, NULL, report_thread, j) == 0) {
			j->next = d->report_jobs;
			d->report_jobs = j;
			return;
		}
		event_free(j->done);	/* no thread: write it here, as for a store in memory */
		json_decref(j->id);
		free(j->out);
		free(j->device);
		free(j->crash_dir);
		free(j);
	}
	char path[1024], err[512];
	if (cs_report_write(d->store, &ro, path, sizeof path, err, sizeof err) < 0) {
		cs_client_error(c, id, "report: %s", err);
		if (strstr(err, "cannot read the store"))
			say_store_error(d, cs_store_error(d->store));
		return;
	}
	cs_client_send(c, cs_report_reply_json(id, path));
}

static void
req_ping(struct cs_daemon *d, struct cs_client *c, json_t *req, json_t *id)
{
	cs_client_send(c, cs_reply_json("pong", id));
}

typedef void (*request_fn)(struct cs_daemon *d, struct cs_client *c, json_t *req, json_t *id);
static const struct {
	const char	*name;
	request_fn	 fn;
} requests[] = {
	{ "subscribe", req_subscribe },
	{ "history", req_history },
	{ "devices", req_devices },
	{ "mark", req_mark },
	{ "report", req_report },
	{ "ping", req_ping },
};

static void
on_request(struct cs_client *c, const char *name, json_t *req, void *ctx)
{
	struct cs_daemon *d = ctx;
	d->had_client = true;
	json_t *id = json_object_get(req, "id");
	for (size_t i = 0; i < sizeof requests / sizeof requests[0]; i++) {
		if (strcmp(requests[i].name, name) == 0) {
			requests[i].fn(d, c, req, id);
			return;
		}
	}
	cs_client_error(c, id, "unknown request '%s'", name);
}

static void
on_client_leave(struct cs_client *c, void *ctx)
{
	struct cs_daemon *d = ctx;
	struct history_job *h = history_job_of(d, c);
	if (h)
		history_job_free(d, h);
	d->had_client = true;
	/* a private replay daemon lives as long as its client */
	if (d->opt->serve && d->server && cs_server_clients(d->server) == 0)
		event_base_loopexit(d->base, NULL);
}

/* ---------------------------------------------------------------- timers and signals */

/* Write the reports that are due (all: every one, as the daemon stops, until deadline_ms on the
 * monotonic clock; what is left then is said, not silently lost). */
static void
write_due_reports(struct cs_daemon *d, bool all, int64_t deadline_ms)
{
	int64_t now = cs_wall_us();
	for (struct pending_report **pp = &d->reports; *pp;) {
		struct pending_report *r = *pp;
		if (!all && r->due_us > now) {
			pp = &r->next;
			continue;
		}
		*pp = r->next;
		if (deadline_ms && cs_mono_ms() > deadline_ms) {
			cs_log(CS_LOG_ERROR, "auto-report for flag %llu (%zu flags) not written: stopping",
			    (unsigned long long)r->flag_id, r->nflags);
			free(r);
			continue;
		}
		cs_store_commit(d->store);
		struct cs_report_options ro = {
			.out_dir = d->opt->auto_report, .device = r->device, .flag_id = r->flag_id,
			.redact = !d->opt->no_redact,
			.crash_dir = d->crash_dir[0] ? d->crash_dir : d->opt->crash_dir,
		};
		if (r->nflags > 1) {	/* coalesced: the window around all of them */
			ro.flag_id = 0;
			ro.since_us = r->first_us - REPORT_WINDOW_US;
			ro.until_us = r->last_us + REPORT_WINDOW_US;
		}
		char path[1024], err[512];
		if (cs_report_write(d->store, &ro, path, sizeof path, err, sizeof err) < 0)
			cs_log(CS_LOG_ERROR, "auto-report for flag %llu: %s",
			    (unsigned long long)r->flag_id, err);
		else
			cs_log(CS_LOG_DEBUG, "wrote %s (%zu flags)", path, r->nflags);
		free(r);
	}
}

/* Store errors are never silent (issue 14 §7): each new cause is logged once and sent to the
 * clients as a store_error record; while writes fail the lost records are counted, and when the
 * store takes writes again the gap is marked in it (a mark record, also sent live). The live
 * stream goes on throughout. */
static void
check_store_health(struct cs_daemon *d)
{
	uint64_t lost = cs_store_take_lost(d->store);
	int64_t now = cs_wall_us();
	if (lost) {
		const char *why = cs_store_error(d->store);
		if (d->gap_start_us == 0)
			d->gap_start_us = now;
		d->gap_lost += lost;
		if (strcmp(why, d->store_said) != 0) {
			cs_strlcpy(d->store_said, why, sizeof d->store_said);
			cs_log(CS_LOG_ERROR, "store: %s: records are not being stored (%llu lost so far); "
			    "live clients are still served", why, (unsigned long long)d->gap_lost);
			publish(d, NULL, false, cs_store_error_json(now, why, d->gap_lost));
		}
		return;
	}
	if (d->gap_start_us == 0)
		return;
	char from[40], to[40], note[512];
	cs_format_time(d->gap_start_us, from, sizeof from);
	cs_format_time(now, to, sizeof to);
	snprintf(note, sizeof note, "store gap: %llu records not stored from %s to %s (%s)",
	    (unsigned long long)d->gap_lost, from, to, d->store_said);
	int64_t mark = cs_store_mark(d->store, "", now, note);
	if (mark >= 0 && cs_store_commit(d->store) == 0) {
		cs_log(CS_LOG_INFO, "store: writing again; %s", note);
		publish(d, NULL, false, cs_mark_json(mark, now, "", note, (int64_t)d->gap_lost));
		d->gap_start_us = 0;
		d->gap_lost = 0;
		d->store_said[0] = '\0';
	} else {
		d->gap_lost += cs_store_take_lost(d->store);	/* not yet: the gap stays open */
	}
}

static void
on_commit_timer(evutil_socket_t fd, short what, void *arg)
{
	struct cs_daemon *d = arg;
	if (d->store) {
		cs_store_commit(d->store);
		release_paused_histories(d);
		/* every tick: the prune's budget follows what was written since (issue 14 §1) */
		cs_store_prune(d->store, cs_wall_us());
		cs_store_commit(d->store);
		check_store_health(d);
	}
	if (d->reports)
		write_due_reports(d, false, 0);
}

static void
on_serve_timer(evutil_socket_t fd, short what, void *arg)
{
	struct cs_daemon *d = arg;
	if (!d->had_client)
		event_base_loopexit(d->base, NULL);
}

static void
reload_rules(struct cs_daemon *d)
{
	char err[512];
	struct cs_rules *rules = cs_rules_new();
	int rc = cs_rules_load_builtin(rules, err, sizeof err);
	for (int i = 0; rc == 0 && i < d->opt->nrule_files; i++)
		rc = cs_rules_load_file(rules, d->opt->rule_files[i], err, sizeof err);
	if (rc < 0) {
		cs_log(CS_LOG_ERROR, "SIGHUP: rules not reloaded: %s", err);
		cs_rules_free(rules);
		return;
	}
	cs_rules_jit_all(rules);
	for (struct dev_entry *e = d->devs; e; e = e->next)
		cs_pipeline_set_rules(e->pipeline, rules);
	cs_rules_free(d->rules);
	d->rules = rules;
	cs_log(CS_LOG_INFO, "rules reloaded (%zu rules)", cs_rules_count(rules));
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct cs_daemon *d = arg;
	if (sig == SIGHUP) {
		reload_rules(d);
		return;
	}
	event_base_loopexit(d->base, NULL);
}

/* ---------------------------------------------------------------- set-up */

static int
default_store_path(char *out, size_t outlen)
{
	const char *home = getenv("HOME");
#ifdef __APPLE__
	if (home == NULL)
		return -1;
	snprintf(out, outlen, "%s/Library/Application Support/callsight/capture.db", home);
#else
	const char *state = getenv("XDG_STATE_HOME");
	if (state && state[0] == '/')
		snprintf(out, outlen, "%s/callsight/capture.db", state);
	else if (home)
		snprintf(out, outlen, "%s/.local/state/callsight/capture.db", home);
	else
		return -1;
#endif
	return 0;
}


static int
open_store(struct cs_daemon *d)
{
	char path[1024], err[512];
	const char *p = d->opt->store;
	if (d->opt->no_store)
		return 0;
	if (p == NULL && d->opt->serve)
		p = ":memory:";
	if (p == NULL) {
		if (default_store_path(path, sizeof path) < 0) {
			cs_log(CS_LOG_ERROR, "no HOME: give --store PATH");
			return -1;
		}
		p = path;
	}
	struct cs_store_options so = {
		.path = p, .max_bytes = d->opt->max_store_mb * 1024 * 1024, .max_age_us = d->opt->max_age_us,
	};
	d->store = cs_store_open(&so, err, sizeof err);
	if (d->store == NULL) {
		if (strstr(err, p))	/* the store's message names it already */
			cs_log(CS_LOG_ERROR, "%s", err);
		else
			cs_log(CS_LOG_ERROR, "store %s: %s", p, err);
		return -1;
	}
	if (cs_store_check_partial(d->store))
		cs_log(CS_LOG_WARN, "store %s: the integrity check at start covered the file's start only "
		    "(it is large); damage further in is reported when it is read", p);
	return 0;
}

static int
open_server(struct cs_daemon *d)
{
	char path[1024], err[512];
	const char *p = d->opt->socket;
	if (p == NULL) {
		if (cs_socket_default_path(path, sizeof path) < 0) {
			cs_log(CS_LOG_ERROR, "cannot build the socket path");
			return -1;
		}
		p = path;
	}
	json_t *hello = cs_hello_json(d->opt->replay != NULL);
	d->server = cs_server_new(d->base, p, hello, on_request, on_client_leave, d, err, sizeof err);
	if (d->server == NULL) {
		json_decref(hello);
		char pidfile[1100];
		snprintf(pidfile, sizeof pidfile, "%s.pid", p);
		int pfd = open(pidfile, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		FILE *f = pfd >= 0 ? fdopen(pfd, "r") : NULL;
		long pid = 0;
		if (f) {
			if (fscanf(f, "%ld", &pid) != 1)
				pid = 0;
			fclose(f);
		} else if (pfd >= 0) {
			close(pfd);
		}
		if (pid > 0 && strstr(err, "another callsightd"))
			cs_log(CS_LOG_ERROR, "%s (pid %ld)", err, pid);
		else
			cs_log(CS_LOG_ERROR, "%s", err);
		return -1;
	}
	return 0;	/* the server wrote path.pid (no-follow) and removes it on exit */
}

static void
add_signal(struct cs_daemon *d, int i, int sig)
{
	d->signals[i] = evsignal_new(d->base, sig, on_signal, d);
	event_add(d->signals[i], NULL);
}

/* Replay a capture (or a store) through the service: --replay FILE --serve */
static int
replay_into(struct cs_daemon *d)
{
	const char *file = d->opt->replay;
	const char *base = strrchr(file, '/');
	base = base ? base + 1 : file;
	struct dev_entry *e = dev_get(d, base);
	cs_strlcpy(e->info.name, base, sizeof e->info.name);
	cs_strlcpy(e->info.state, cs_state_name(CS_ST_link_replay), sizeof e->info.state);
	int fd = strcmp(file, "-") == 0 ? 0 : open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		cs_log(CS_LOG_ERROR, "cannot read %s: %s", file, strerror(errno));
		return 1;
	}
	char err[256];
	int rc = cs_replay_fd(e->pipeline, fd, err, sizeof err);
	if (fd != 0)
		close(fd);
	if (rc < 0) {
		cs_log(CS_LOG_ERROR, "cannot read %s: %s", file, err);
		return 1;
	}
	/* a replayed device lives in the capture's time, not the wall clock's */
	struct cs_timeline *tl = cs_pipeline_timeline(e->pipeline);
	int64_t end_us = cs_timeline_now(tl);
	e->info_us = end_us;
	if (cs_timeline_device(tl)[0])	/* the name the log gives the phone beats the file's */
		cs_strlcpy(e->info.name, cs_timeline_device(tl), sizeof e->info.name);
	if (d->store)
		cs_store_device(d->store, e->udid, e->info.name, "", "", "replay", "", end_us);
	return 0;
}

static void
daemon_free(struct cs_daemon *d)
{
	/* the devices stop and the pipelines flush first, so that flags raised by the final flush join
	 * the pending bundles (the queue's bound holds); then every pending bundle gets until deadline */
	int64_t deadline = cs_mono_ms() + EXIT_REPORTS_MS;
	cs_devices_stop(d->devices);
	for (struct dev_entry *e = d->devs; e;) {
		struct dev_entry *next = e->next;
		cs_pipeline_finish(e->pipeline);
		cs_pipeline_free(e->pipeline);
		json_decref(e->app_record);
		free(e);
		e = next;
	}
	if (d->reports && d->store)
		write_due_reports(d, true, deadline);
	if (d->reports_dropped)
		cs_log(CS_LOG_WARN, "auto-report: %llu flags were not bundled (the queue was full)",
		    (unsigned long long)d->reports_dropped);
	cs_server_free(d->server);
	if (d->forward_timer)
		event_free(d->forward_timer);
	for (int i = 0; i < d->nforwarders; i++)	/* before the store: they write their cursors */
		cs_forwarder_free(d->forwarders[i]);
	cs_metrics_http_free(d->metrics_http);
	cs_metrics_free(d->metrics);
	cs_store_close(d->store);
	for (size_t i = 0; i < RECENT_FLAGS; i++)
		json_decref(d->recent_flags[i]);
	for (size_t i = 0; i < sizeof d->signals / sizeof d->signals[0]; i++)
		if (d->signals[i])
			event_free(d->signals[i]);
	if (d->commit_timer)
		event_free(d->commit_timer);
	if (d->serve_timer)
		event_free(d->serve_timer);
	if (d->base)
		event_base_free(d->base);
	cs_rules_free(d->rules);
}

/* -d: the log file's place, callsightd.log beside the store, else beside the socket */
static int
daemon_log_path(const struct cs_daemon *d, char *out, size_t outlen)
{
	const char *beside = d->store ? cs_store_path(d->store) : d->server ? cs_server_path(d->server) : NULL;
	if (beside == NULL)
		return -1;
	const char *slash = strrchr(beside, '/');
	int n = slash ? snprintf(out, outlen, "%.*s/callsightd.log", (int)(slash - beside), beside)
	    : snprintf(out, outlen, "callsightd.log");
	return n > 0 && (size_t)n < outlen ? 0 : -1;
}

/* warnings and errors reach the clients too (a `log` record): the TUI's status line shows them,
 * so a failing auto-report or rules reload is seen without reading the log */
static void
log_to_clients(enum cs_log_level level, const char *message, void *arg)
{
	struct cs_daemon *d = arg;
	if (d->server)
		cs_server_broadcast(d->server, NULL, false, cs_log_json(cs_wall_us(), cs_log_level_name(level),
		    message));
}

int
cs_daemon_run(const struct cs_daemon_options *opt, struct cs_rules *rules, int ready_fd)
{
	cs_log_set_level(opt->verbose ? CS_LOG_DEBUG : CS_LOG_INFO);
	struct cs_daemon d = { .opt = opt, .rules = rules };
	cs_rules_jit_all(rules);	/* before any device: a first line must not wait for it */
	signal(SIGPIPE, SIG_IGN);
	/* capture threads wake the loop: libevent must have its locks before the base exists */
	if (evthread_use_pthreads() < 0) {
		cs_log(CS_LOG_ERROR, "libevent has no pthreads support");
		cs_rules_free(rules);
		return 1;
	}
	d.base = event_base_new();
	int rc = 1;
	if (d.base == NULL || open_store(&d) < 0)
		goto out;
	if (!opt->no_socket && open_server(&d) < 0)
		goto out;
	if (opt->metrics && open_metrics(&d) < 0)
		goto out;
	if (open_forwarders(&d) < 0)
		goto out;
	add_signal(&d, 0, SIGTERM);
	add_signal(&d, 1, SIGINT);
	add_signal(&d, 2, SIGHUP);
	d.commit_timer = event_new(d.base, -1, EV_PERSIST, on_commit_timer, &d);
	struct timeval tv = { 0, COMMIT_MS * 1000 };
	event_add(d.commit_timer, &tv);

	if (opt->replay) {
		if ((rc = replay_into(&d)) != 0)
			goto out;
		cs_pipeline_finish(d.devs->pipeline);
		if (d.store)
			cs_store_commit(d.store);
		d.serve_timer = event_new(d.base, -1, 0, on_serve_timer, &d);
		struct timeval idle = { SERVE_IDLE_MS / 1000, 0 };
		event_add(d.serve_timer, &idle);
	} else {
		char err[256];
		choose_crash_dir(&d);
		struct cs_device_options dopt = {
			.udid = opt->udid, .network = opt->network, .stall_timeout_s = opt->stall_timeout_s,
			.app = opt->app, .crash_dir = d.crash_dir[0] ? d.crash_dir : NULL,
			.crash_since_s = (int64_t)time(NULL),
		};
		struct cs_device_hooks hooks = {
			.state = on_device_state, .bytes = on_device_bytes, .idle = on_device_idle,
			.app = on_device_app, .report = on_device_report, .reports_done = on_device_reports_done,
			.ctx = &d,
		};
		d.devices = cs_devices_start(d.base, &dopt, &hooks, err, sizeof err);
		if (d.devices == NULL) {
			cs_log(CS_LOG_ERROR, "%s", err);
			goto out;
		}
		if (ready_fd < 0) {	/* in the foreground: say what we wait for, and where */
			const char *mux = getenv("USBMUXD_SOCKET_ADDRESS");
			cs_log(CS_LOG_INFO, "following %s through usbmuxd at %s%s%s",
			    opt->udid ? opt->udid : "every attached iPhone",
			    mux && mux[0] ? mux : "/var/run/usbmuxd",
			    d.server ? "; clients: callsight --socket " : "",
			    d.server ? cs_server_path(d.server) : "");
		}
	}
	if (ready_fd >= 0) {	/* -d: tell the parent we are serving */
		ssize_t ignored = write(ready_fd, "ok", 2);
		(void)ignored;
		close(ready_fd);
		/* detached: the terminal is no longer ours to write to; what the daemon says from now
		 * on goes to its log, beside the store (or the socket), and errors to syslog */
		char logfile[PATH_MAX + 32], err[PATH_MAX + 64];
		if (daemon_log_path(&d, logfile, sizeof logfile) < 0 ||
		    cs_log_to_file(logfile, err, sizeof err) < 0) {
			int null = open("/dev/null", O_WRONLY);
			if (null >= 0) {
				dup2(null, STDERR_FILENO);
				close(null);
			}
		}
	}
	cs_log_set_hook(log_to_clients, &d);
	event_base_dispatch(d.base);
	rc = 0;
out:
	cs_log_set_hook(NULL, NULL);
	daemon_free(&d);	/* frees the rules too: a reload may have replaced them */
	cs_log_close();
	return rc;
}

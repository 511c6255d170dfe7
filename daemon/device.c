/*
 * device.c - live iPhones: follows hot-plug through libimobiledevice's event subscription and gives
 * each attached device a capture thread that streams com.apple.syslog_relay into the main loop.
 *
 * The service is started through lockdownd as idevicesyslog does, but the bytes are read with
 * idevice_connection_receive_timeout() in 64 KiB reads rather than through syslog_relay's capture
 * callback: libimobiledevice 1.3.0 reads that one byte per call, which caps a busy phone's stream.
 * The capture thread never touches the pipeline: it appends bytes to its device's inbox and wakes
 * the main loop (libevent, pthreads-enabled), which owns everything else. A device that is
 * passcode-locked, stalls, or vanishes is retried every second and reported as a state, never a hang.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <libimobiledevice/libimobiledevice.h>
#include <libimobiledevice/lockdown.h>
#include <usbmuxd.h>

#include "callsightd.h"

#define READ_CHUNK	(64 * 1024)
#define INBOX_MAX	(8 * 1024 * 1024)	/* bytes waiting for the main loop; the thread waits beyond */
#define DRAIN_SLICE	(128 * 1024)	/* bytes fed per loop turn: clients and timers get their turn too */
#define RETRY_MS	1000
#define POLL_MS		200
/* reports appear seconds after a kill (ReportCrash writes them): look again for a while */
#define CRASH_FIRST_MS	1500
#define CRASH_EVERY_MS	3000
#define CRASH_FOR_MS	60000

/* a fetched report on its way to the main loop */
struct crash_item {
	char			 path[1024];
	struct cs_crash_report	 report;
	struct crash_item	*next;
};

struct device {
	struct cs_devices	*owner;
	char			 udid[64];
	bool			 network;
	pthread_t		 thread;
	bool			 running;	/* thread started and not joined */

	/* shared with the capture thread, under owner->lock */
	bool			 stop;
	char			*inbox;
	size_t			 inbox_off;	/* consumed by the main loop */
	size_t			 inbox_len;
	size_t			 inbox_cap;
	bool			 idle_pending;	/* no bytes for a while: flush the reader */
	struct cs_device_info	 info;
	bool			 info_changed;
	char			 app_wanted[128];	/* the main loop asks for an app check */
	bool			 app_ready;
	char			 app_bundle[128];
	struct cs_app_facts	 app_facts;
	char			 app_modes[256];
	/* crash report fetching (under owner->lock, except seen: the thread's own) */
	bool			 crash_wanted;
	int64_t			 crash_next_ms, crash_until_ms;
	char			 crash_app[128], crash_bundle[128], crash_process[64];
	long			 crash_pid;
	struct crash_item	*crash_ready;	/* newest first */
	bool			 crash_done;
	char			**crash_seen;	/* phone paths already read (capture thread only) */
	size_t			 ncrash_seen;

	struct device		*next;
};

enum hotplug_kind { HOTPLUG_ADD, HOTPLUG_REMOVE };
struct hotplug {
	enum hotplug_kind	 kind;
	char			 udid[64];
	bool			 network;
	struct hotplug		*next;
};

struct cs_devices {
	struct event_base	*base;
	struct event		*wake;
	struct cs_device_options opt;
	struct cs_device_hooks	 hooks;
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;		/* inbox space, stop */
	struct hotplug		*hotplug;	/* queued by libimobiledevice's thread */
	struct device		*devices;
	bool			 subscribed;
	char			*slice;		/* the main loop's copy of the bytes it feeds */
	struct event		*again;		/* more bytes wait: drain on the next turn */
};


static void
wake_main(struct cs_devices *ds)
{
	event_active(ds->wake, EV_READ, 0);
}

/* ---------------------------------------------------------------- capture thread */

/* Wait ms or until told to stop; true when stopping. Called with the lock held. */
static bool
wait_or_stop(struct device *d, int ms)
{
	struct timespec until;
	cs_realtime_after_ms(&until, ms);
	while (!d->stop)
		if (pthread_cond_timedwait(&d->owner->cond, &d->owner->lock, &until) == ETIMEDOUT)
			break;
	return d->stop;
}

static bool
pause_or_stop(struct device *d, int ms)
{
	pthread_mutex_lock(&d->owner->lock);
	bool stop = wait_or_stop(d, ms);
	pthread_mutex_unlock(&d->owner->lock);
	return stop;
}

static void
set_state(struct device *d, const char *state, const char *detail)
{
	pthread_mutex_lock(&d->owner->lock);
	bool changed = strcmp(d->info.state, state) != 0 || strcmp(d->info.detail, detail) != 0;
	cs_strlcpy(d->info.state, state, sizeof d->info.state);
	cs_strlcpy(d->info.detail, detail, sizeof d->info.detail);
	d->info_changed |= changed;
	pthread_mutex_unlock(&d->owner->lock);
	if (changed)
		wake_main(d->owner);
}

static void
read_string(lockdownd_client_t lc, const char *key, char *out, size_t outlen)
{
	plist_t node = NULL;
	if (lockdownd_get_value(lc, NULL, key, &node) == LOCKDOWN_E_SUCCESS && node &&
	    plist_get_node_type(node) == PLIST_STRING) {
		char *v = NULL;
		plist_get_string_val(node, &v);
		if (v)
			cs_strlcpy(out, v, outlen);
		free(v);
	}
	plist_free(node);
}

static void
read_identity(struct device *d, lockdownd_client_t lc)
{
	struct cs_device_info info;
	pthread_mutex_lock(&d->owner->lock);
	info = d->info;
	pthread_mutex_unlock(&d->owner->lock);
	read_string(lc, "DeviceName", info.name, sizeof info.name);
	read_string(lc, "ProductVersion", info.product_version, sizeof info.product_version);
	read_string(lc, "ProductType", info.product_type, sizeof info.product_type);
	pthread_mutex_lock(&d->owner->lock);
	cs_strlcpy(d->info.name, info.name, sizeof d->info.name);
	cs_strlcpy(d->info.product_version, info.product_version, sizeof d->info.product_version);
	cs_strlcpy(d->info.product_type, info.product_type, sizeof d->info.product_type);
	pthread_mutex_unlock(&d->owner->lock);
}

/* Hand bytes to the main loop; wait while the inbox is full (the device link slows down, the
 * daemon's memory does not grow). False when stopping. */
static bool
push_bytes(struct device *d, const char *buf, size_t len)
{
	struct cs_devices *ds = d->owner;
	pthread_mutex_lock(&ds->lock);
	while (!d->stop && d->inbox_len - d->inbox_off + len > INBOX_MAX)
		wait_or_stop(d, POLL_MS);
	if (d->stop) {
		pthread_mutex_unlock(&ds->lock);
		return false;
	}
	if (d->inbox_off > 0 && d->inbox_len + len > d->inbox_cap) {	/* reclaim what was read */
		memmove(d->inbox, d->inbox + d->inbox_off, d->inbox_len - d->inbox_off);
		d->inbox_len -= d->inbox_off;
		d->inbox_off = 0;
	}
	if (d->inbox_len + len > d->inbox_cap) {
		size_t cap = d->inbox_cap ? d->inbox_cap : READ_CHUNK;
		while (cap < d->inbox_len + len)
			cap *= 2;
		d->inbox = cs_xrealloc(d->inbox, cap);
		d->inbox_cap = cap;
	}
	memcpy(d->inbox + d->inbox_len, buf, len);
	bool was_empty = d->inbox_len == d->inbox_off;
	d->inbox_len += len;
	pthread_mutex_unlock(&ds->lock);
	if (was_empty)
		wake_main(ds);
	return true;
}

static void
maybe_check_app(struct device *d, idevice_t dev)
{
	char bundle[128];
	pthread_mutex_lock(&d->owner->lock);
	cs_strlcpy(bundle, d->app_wanted, sizeof bundle);
	d->app_wanted[0] = '\0';
	pthread_mutex_unlock(&d->owner->lock);
	if (bundle[0] == '\0')
		return;
	struct cs_app_facts facts;
	char found[128], modes[256], err[256];
	if (cs_appcheck(dev, bundle, found, sizeof found, &facts, modes, sizeof modes, err, sizeof err) < 0)
		return;	/* not installed / service refused: the diagnosis goes on without it */
	pthread_mutex_lock(&d->owner->lock);
	cs_strlcpy(d->app_bundle, found, sizeof d->app_bundle);
	d->app_facts = facts;
	cs_strlcpy(d->app_modes, modes, sizeof d->app_modes);
	d->app_ready = true;
	pthread_mutex_unlock(&d->owner->lock);
	wake_main(d->owner);
}

/* ---------------------------------------------------------------- crash reports (capture thread) */

struct crash_pass {
	struct device	*d;
	char		 app[128], bundle[128], process[64];
	long		 pid;
	bool		 matched;	/* a report about the app itself: the search is over */
	struct crash_item *items;
};

static bool
crash_known(const char *path, void *ctx)
{
	struct crash_pass *cp = ctx;
	for (size_t i = 0; i < cp->d->ncrash_seen; i++)
		if (strcmp(cp->d->crash_seen[i], path) == 0)
			return true;
	return false;
}

/* write the copy: 0600 in the daemon's 0700 folder (reports carry device ids and paths) */
static bool
save_copy(const char *dir, const char *name, const char *data, size_t len, char *path, size_t pathlen)
{
	char err[256];
	if (cs_make_dirs(dir, "crash report", err, sizeof err) < 0 ||
	    snprintf(path, pathlen, "%s/%s", dir, name) >= (int)pathlen)
		return false;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return false;
	size_t off = 0;
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	return off == len;
}

static bool
crash_got(const char *path, const char *data, size_t len, void *ctx)
{
	struct crash_pass *cp = ctx;
	struct device *d = cp->d;
	d->crash_seen = cs_xrealloc(d->crash_seen, (d->ncrash_seen + 1) * sizeof *d->crash_seen);
	d->crash_seen[d->ncrash_seen++] = cs_xstrdup(path);
	const char *name = strrchr(path, '/');
	name = name ? name + 1 : path;
	struct crash_item *it = cs_xcalloc(1, sizeof *it);
	char err[256];
	if (cs_crash_report_parse(data, len, name, &it->report, err, sizeof err) < 0) {
		free(it);
		return false;
	}
	/* only reports written since the daemon started, about the app (or any JetsamEvent) */
	const struct cs_report_victim *v = cs_crash_report_victim(&it->report, cp->app[0] ? cp->app :
	    cp->bundle, cp->process, cp->pid);
	if (v == NULL && cp->bundle[0])
		v = cs_crash_report_victim(&it->report, cp->bundle, cp->process, cp->pid);
	bool fresh = it->report.time_us == 0 || it->report.time_us / 1000000 >= d->owner->opt.crash_since_s;
	if (!fresh || (v == NULL && strcmp(it->report.bug_type, "298") != 0)) {
		free(it);
		return false;
	}
	char dir[1024];
	if (snprintf(dir, sizeof dir, "%s/%s", d->owner->opt.crash_dir, d->udid) >= (int)sizeof dir ||
	    !save_copy(dir, name, data, len, it->path, sizeof it->path)) {
		free(it);
		return false;
	}
	if (v && v->cause != CS_CAUSE_unknown)
		cp->matched = true;
	it->next = cp->items;
	cp->items = it;
	return true;
}

static void
maybe_fetch_reports(struct device *d, idevice_t dev)
{
	struct crash_pass cp = { .d = d };
	int64_t now = cs_mono_ms();
	pthread_mutex_lock(&d->owner->lock);
	bool due = d->crash_wanted && now >= d->crash_next_ms;
	if (due) {
		cs_strlcpy(cp.app, d->crash_app, sizeof cp.app);
		cs_strlcpy(cp.bundle, d->crash_bundle, sizeof cp.bundle);
		cs_strlcpy(cp.process, d->crash_process, sizeof cp.process);
		cp.pid = d->crash_pid;
	}
	pthread_mutex_unlock(&d->owner->lock);
	if (!due || d->owner->opt.crash_dir == NULL)
		return;
	struct cs_crash_fetch f = { .since_s = d->owner->opt.crash_since_s, .known = crash_known,
		.got = crash_got, .ctx = &cp };
	char err[256];
	cs_crash_fetch(dev, &f, err, sizeof err);	/* a phone without the services: tried again */
	now = cs_mono_ms();
	pthread_mutex_lock(&d->owner->lock);
	while (cp.items) {	/* oldest first into the newest-first list: keep the phone's order */
		struct crash_item *it = cp.items;
		cp.items = it->next;
		it->next = d->crash_ready;
		d->crash_ready = it;
	}
	if (cp.matched || now >= d->crash_until_ms) {
		d->crash_wanted = false;
		d->crash_done = true;
	} else {
		d->crash_next_ms = now + CRASH_EVERY_MS;
	}
	pthread_mutex_unlock(&d->owner->lock);
	wake_main(d->owner);
}

/* Stream until the connection fails, stalls or we are told to stop. */
static void
stream(struct device *d, idevice_t dev, idevice_connection_t conn)
{
	char *buf = cs_xmalloc(READ_CHUNK);
	int64_t last_bytes = cs_mono_ms();
	bool idle_told = false;
	int stall_ms = d->owner->opt.stall_timeout_s * 1000;
	for (;;) {
		pthread_mutex_lock(&d->owner->lock);
		bool stop = d->stop;
		pthread_mutex_unlock(&d->owner->lock);
		if (stop)
			break;
		maybe_check_app(d, dev);
		maybe_fetch_reports(d, dev);
		uint32_t got = 0;
		idevice_error_t e = idevice_connection_receive_timeout(conn, buf, READ_CHUNK, &got, POLL_MS);
		if (got > 0) {
			if (!push_bytes(d, buf, got))
				break;
			last_bytes = cs_mono_ms();
			idle_told = false;
			continue;
		}
		if (e != IDEVICE_E_SUCCESS && e != IDEVICE_E_TIMEOUT) {
			set_state(d, cs_state_name(CS_ST_link_detached), "the syslog connection closed");
			break;
		}
		int64_t silent = cs_mono_ms() - last_bytes;
		if (!idle_told && silent >= POLL_MS) {	/* let the reader hand out a pending record */
			pthread_mutex_lock(&d->owner->lock);
			d->idle_pending = true;
			pthread_mutex_unlock(&d->owner->lock);
			wake_main(d->owner);
			idle_told = true;
		}
		if (stall_ms > 0 && silent > stall_ms) {
			char detail[96];
			snprintf(detail, sizeof detail, "no bytes for %d s: reconnecting",
			    d->owner->opt.stall_timeout_s);
			set_state(d, cs_state_name(CS_ST_link_stalled), detail);
			break;
		}
	}
	free(buf);
}

/* One attempt: connect, start the service, stream. Returns when it ends. */
static void
capture_once(struct device *d)
{
	idevice_t dev = NULL;
	lockdownd_client_t lc = NULL;
	lockdownd_service_descriptor_t svc = NULL;
	idevice_connection_t conn = NULL;
	enum idevice_options lookup = IDEVICE_LOOKUP_USBMUX;
	if (d->network)
		lookup = IDEVICE_LOOKUP_NETWORK;

	if (idevice_new_with_options(&dev, d->udid, lookup) != IDEVICE_E_SUCCESS) {
		set_state(d, cs_state_name(CS_ST_link_detached), "not reachable through usbmuxd");
		return;
	}
	lockdownd_error_t le = lockdownd_client_new_with_handshake(dev, &lc, "callsightd");
	if (le != LOCKDOWN_E_SUCCESS) {
		char detail[128];
		if (le == LOCKDOWN_E_PASSWORD_PROTECTED)
			snprintf(detail, sizeof detail, "passcode protected: unlock the phone");
		else if (le == LOCKDOWN_E_PAIRING_DIALOG_RESPONSE_PENDING)
			snprintf(detail, sizeof detail, "tap Trust on the phone");
		else
			snprintf(detail, sizeof detail, "lockdownd handshake failed (%d)", (int)le);
		set_state(d, cs_state_name(le == LOCKDOWN_E_PASSWORD_PROTECTED ? CS_ST_link_locked : CS_ST_link_error),
		    detail);
		idevice_free(dev);
		return;
	}
	read_identity(d, lc);
	le = lockdownd_start_service(lc, "com.apple.syslog_relay", &svc);
	lockdownd_client_free(lc);
	if (le != LOCKDOWN_E_SUCCESS) {
		if (le == LOCKDOWN_E_PASSWORD_PROTECTED)
			set_state(d, cs_state_name(CS_ST_link_locked), "passcode protected: unlock the phone to stream its log");
		else {
			char detail[96];
			snprintf(detail, sizeof detail, "could not start com.apple.syslog_relay (%d)", (int)le);
			set_state(d, cs_state_name(CS_ST_link_error), detail);
		}
		idevice_free(dev);
		return;
	}
	if (idevice_connect(dev, svc->port, &conn) != IDEVICE_E_SUCCESS ||
	    (svc->ssl_enabled && idevice_connection_enable_ssl(conn) != IDEVICE_E_SUCCESS)) {
		set_state(d, cs_state_name(CS_ST_link_error), "could not connect to com.apple.syslog_relay");
	} else {
		set_state(d, cs_state_name(CS_ST_link_streaming), "");
		stream(d, dev, conn);
	}
	if (conn)
		idevice_disconnect(conn);
	lockdownd_service_descriptor_free(svc);
	idevice_free(dev);
}

static void *
capture_thread(void *arg)
{
	struct device *d = arg;
	for (;;) {
		capture_once(d);
		if (pause_or_stop(d, RETRY_MS))
			break;
	}
	return NULL;
}

/* ---------------------------------------------------------------- main loop side */

static struct device *
find_device(struct cs_devices *ds, const char *udid)
{
	for (struct device *d = ds->devices; d; d = d->next)
		if (strcmp(d->udid, udid) == 0)
			return d;
	return NULL;
}

static void
stop_thread(struct device *d)
{
	if (!d->running)
		return;
	pthread_mutex_lock(&d->owner->lock);
	d->stop = true;
	pthread_cond_broadcast(&d->owner->cond);
	pthread_mutex_unlock(&d->owner->lock);
	pthread_join(d->thread, NULL);
	d->running = false;
}

static void
start_thread(struct cs_devices *ds, struct device *d)
{
	if (d->running)
		return;
	d->stop = false;
	if (pthread_create(&d->thread, NULL, capture_thread, d) == 0)
		d->running = true;
}

static void
device_added(struct cs_devices *ds, const struct hotplug *h)
{
	if (ds->opt.udid && ds->opt.udid[0] && strcmp(ds->opt.udid, h->udid) != 0)
		return;
	if (h->network && !ds->opt.network)
		return;
	struct device *d = find_device(ds, h->udid);
	if (d == NULL) {
		d = cs_xcalloc(1, sizeof *d);
		d->owner = ds;
		cs_strlcpy(d->udid, h->udid, sizeof d->udid);
		cs_strlcpy(d->info.udid, h->udid, sizeof d->info.udid);
		d->network = h->network;
		d->next = ds->devices;
		ds->devices = d;
		if (ds->opt.app)
			cs_strlcpy(d->app_wanted, ds->opt.app, sizeof d->app_wanted);
	}
	d->info.network = h->network;
	cs_strlcpy(d->info.state, cs_state_name(CS_ST_link_attached), sizeof d->info.state);
	d->info.detail[0] = '\0';
	if (ds->hooks.state)
		ds->hooks.state(&d->info, ds->hooks.ctx);
	start_thread(ds, d);
}

static void
device_removed(struct cs_devices *ds, const struct hotplug *h)
{
	struct device *d = find_device(ds, h->udid);
	if (d == NULL)
		return;
	stop_thread(d);
	cs_strlcpy(d->info.state, cs_state_name(CS_ST_link_detached), sizeof d->info.state);
	cs_strlcpy(d->info.detail, "unplugged", sizeof d->info.detail);
	d->info_changed = false;
	if (ds->hooks.idle)
		ds->hooks.idle(d->udid, ds->hooks.ctx);
	if (ds->hooks.state)
		ds->hooks.state(&d->info, ds->hooks.ctx);
}

/* Drain a slice of one device's inbox and its news into the hooks (main thread). True when more
 * bytes wait: the caller comes back after the loop has served everything else once. */
static bool
drain_device(struct cs_devices *ds, struct device *d, char *slice)
{
	size_t len = 0;
	bool more;
	bool idle, info_changed, app_ready;
	struct cs_device_info info;
	char bundle[128], modes[256];
	struct cs_app_facts facts;

	pthread_mutex_lock(&ds->lock);
	if (d->inbox_len > d->inbox_off) {
		len = d->inbox_len - d->inbox_off;
		if (len > DRAIN_SLICE)
			len = DRAIN_SLICE;
		memcpy(slice, d->inbox + d->inbox_off, len);
		d->inbox_off += len;
		if (d->inbox_off == d->inbox_len)
			d->inbox_off = d->inbox_len = 0;
		pthread_cond_broadcast(&ds->cond);
	}
	more = d->inbox_len > d->inbox_off;
	idle = d->idle_pending;
	d->idle_pending = false;
	info_changed = d->info_changed;
	d->info_changed = false;
	info = d->info;
	app_ready = d->app_ready;
	d->app_ready = false;
	cs_strlcpy(bundle, d->app_bundle, sizeof bundle);
	cs_strlcpy(modes, d->app_modes, sizeof modes);
	facts = d->app_facts;
	struct crash_item *reports = d->crash_ready;
	d->crash_ready = NULL;
	bool reports_done = d->crash_done;
	d->crash_done = false;
	pthread_mutex_unlock(&ds->lock);

	if (info_changed && ds->hooks.state)
		ds->hooks.state(&info, ds->hooks.ctx);
	/* the app's facts were read before these bytes were analysed: they come first */
	if (app_ready && ds->hooks.app)
		ds->hooks.app(d->udid, bundle, &facts, modes, ds->hooks.ctx);
	if (len && ds->hooks.bytes)
		ds->hooks.bytes(d->udid, slice, len, ds->hooks.ctx);
	/* the phone's reports, oldest first (the list is newest first) */
	struct crash_item *ordered = NULL;
	while (reports) {
		struct crash_item *next = reports->next;
		reports->next = ordered;
		ordered = reports;
		reports = next;
	}
	while (ordered) {
		struct crash_item *it = ordered;
		ordered = it->next;
		if (ds->hooks.report)
			ds->hooks.report(d->udid, it->path, &it->report, ds->hooks.ctx);
		free(it);
	}
	if (reports_done && ds->hooks.reports_done)
		ds->hooks.reports_done(d->udid, ds->hooks.ctx);
	if (idle && !more && ds->hooks.idle)
		ds->hooks.idle(d->udid, ds->hooks.ctx);
	if (idle && more) {	/* the pause comes after the bytes that are still waiting */
		pthread_mutex_lock(&ds->lock);
		d->idle_pending = true;
		pthread_mutex_unlock(&ds->lock);
	}
	return more;
}

static void
on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct cs_devices *ds = arg;
	pthread_mutex_lock(&ds->lock);
	struct hotplug *list = ds->hotplug;
	ds->hotplug = NULL;
	pthread_mutex_unlock(&ds->lock);

	/* the queue is newest first: reverse it to apply in order */
	struct hotplug *ordered = NULL;
	while (list) {
		struct hotplug *next = list->next;
		list->next = ordered;
		ordered = list;
		list = next;
	}
	while (ordered) {
		struct hotplug *h = ordered;
		ordered = h->next;
		if (h->kind == HOTPLUG_ADD)
			device_added(ds, h);
		else
			device_removed(ds, h);
		free(h);
	}
	bool more = false;
	for (struct device *d = ds->devices; d; d = d->next)
		more |= drain_device(ds, d, ds->slice);
	if (more) {	/* a zero timer: the loop polls clients and signals before coming back */
		struct timeval now = { 0, 0 };
		evtimer_add(ds->again, &now);
	}
}

/* libimobiledevice's event thread */
static void
on_idevice_event(const idevice_event_t *event, void *arg)
{
	struct cs_devices *ds = arg;
	if (event->event != IDEVICE_DEVICE_ADD && event->event != IDEVICE_DEVICE_REMOVE)
		return;
	struct hotplug *h = cs_xcalloc(1, sizeof *h);
	h->kind = event->event == IDEVICE_DEVICE_ADD ? HOTPLUG_ADD : HOTPLUG_REMOVE;
	cs_strlcpy(h->udid, event->udid ? event->udid : "", sizeof h->udid);
	h->network = event->conn_type == CONNECTION_NETWORK;
	pthread_mutex_lock(&ds->lock);
	h->next = ds->hotplug;
	ds->hotplug = h;
	pthread_mutex_unlock(&ds->lock);
	wake_main(ds);
}

void
cs_devices_want_app(struct cs_devices *ds, const char *udid, const char *bundle)
{
	struct device *d = find_device(ds, udid);
	if (d == NULL)
		return;
	pthread_mutex_lock(&ds->lock);
	cs_strlcpy(d->app_wanted, bundle, sizeof d->app_wanted);
	pthread_mutex_unlock(&ds->lock);
}

void
cs_devices_want_reports(struct cs_devices *ds, const char *udid, const char *app, const char *bundle,
    const char *process, long pid)
{
	struct device *d = find_device(ds, udid);
	if (d == NULL || ds->opt.crash_dir == NULL)
		return;
	int64_t now = cs_mono_ms();
	pthread_mutex_lock(&ds->lock);
	if (!d->crash_wanted)
		d->crash_next_ms = now + CRASH_FIRST_MS;
	d->crash_wanted = true;
	d->crash_until_ms = now + CRASH_FOR_MS;
	cs_strlcpy(d->crash_app, app ? app : "", sizeof d->crash_app);
	cs_strlcpy(d->crash_bundle, bundle ? bundle : "", sizeof d->crash_bundle);
	cs_strlcpy(d->crash_process, process ? process : "", sizeof d->crash_process);
	d->crash_pid = pid;
	pthread_mutex_unlock(&ds->lock);
}

struct cs_devices *
cs_devices_start(struct event_base *base, const struct cs_device_options *options,
    const struct cs_device_hooks *hooks, char *err, size_t errlen)
{
	/* the caller turned on libevent's pthreads locking before it created the base */
	if (evthread_make_base_notifiable(base) < 0) {
		snprintf(err, errlen, "cannot make the event loop notifiable from threads");
		return NULL;
	}
	struct cs_devices *ds = cs_xcalloc(1, sizeof *ds);
	ds->base = base;
	ds->opt = *options;
	ds->hooks = *hooks;
	pthread_mutex_init(&ds->lock, NULL);
	pthread_cond_init(&ds->cond, NULL);
	ds->wake = event_new(base, -1, 0, on_wake, ds);
	ds->slice = cs_xmalloc(DRAIN_SLICE);
	ds->again = evtimer_new(base, on_wake, ds);
	/* poll for usbmuxd instead of waiting on /var/run/usbmuxd with inotify: the socket may be
	 * elsewhere (USBMUXD_SOCKET_ADDRESS) and may come back after a restart */
	libusbmuxd_set_use_inotify(0);
	if (idevice_event_subscribe(on_idevice_event, ds) != IDEVICE_E_SUCCESS) {
		snprintf(err, errlen, "cannot subscribe to device events (is usbmuxd running?)");
		cs_devices_stop(ds);
		return NULL;
	}
	ds->subscribed = true;
	return ds;
}

void
cs_devices_stop(struct cs_devices *ds)
{
	if (ds == NULL)
		return;
	if (ds->subscribed)
		idevice_event_unsubscribe();
	for (struct device *d = ds->devices; d; d = d->next)
		stop_thread(d);
	while (ds->devices) {
		struct device *d = ds->devices;
		ds->devices = d->next;
		free(d->inbox);
		while (d->crash_ready) {
			struct crash_item *it = d->crash_ready;
			d->crash_ready = it->next;
			free(it);
		}
		for (size_t i = 0; i < d->ncrash_seen; i++)
			free(d->crash_seen[i]);
		free(d->crash_seen);
		free(d);
	}
	while (ds->hotplug) {
		struct hotplug *h = ds->hotplug;
		ds->hotplug = h->next;
		free(h);
	}
	if (ds->wake)
		event_free(ds->wake);
	free(ds->slice);
	if (ds->again)
		event_free(ds->again);
	pthread_mutex_destroy(&ds->lock);
	pthread_cond_destroy(&ds->cond);
	free(ds);
}

/*
 * timeline.c - lanes and diagnosis: turns events into per-app state over time and flags each
 * dropped call with its most likely cause.
 *
 * Every app the log talks about gets a record (identities merge: a bundle id from runningboardd,
 * a pid from FrontBoard, a process name from the app's own NSLog lines or mediaserverd's
 * 'sid:…, Name(pid)'). An app becomes "under test" when it logs call events (or when --app names
 * it). A call drop is either seen (the app's own disconnect / error 1022 callbacks) or inferred (the
 * call was up and the app was suspended or killed). A suspended app's callbacks arrive in a burst
 * after unlock: the burst closes the pending drop instead of raising a second flag.
 *
 * The cause is decided by a table of predicates (cause_rules[] below) tried in order of
 * specificity; each looks at the app's recent events and returns the evidence it relied on. The
 * predicates after the winner that also hold are its alternatives ("could also be"), each with
 * what would tell the two apart. The reasoning principles are shared/causes.md's: a consequence
 * of a suspension is not its cause; nobody presses a hang-up control within seconds of leaving
 * the app; an app that vanishes mid-call dropped the call; helper processes are not the app.
 * Pure: no I/O, no clock; the time is the lines' time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ctype.h>

#include "callsightd.h"

#define MAX_APPS	32		/* app records kept; the least recently seen is recycled */
#define RING_EVENTS	96		/* recent events kept per app and for the device */
#define TEXT_MAX	600		/* evidence text kept per event (raw line, cut) */
#define SEC		1000000LL

/* Timing facts (shared/causes.md): ~5 s after background the app is suspended unless a mode or a
 * task keeps it; a background task lasts ~30 s. */
#define BACKGROUND_GRACE	(10 * SEC)	/* background -> own disconnect while running */
#define RESUME_GRACE		(15 * SEC)	/* resumed with a pending drop: callbacks due by then */
#define LOCK_BUTTON_WINDOW	(3 * SEC)	/* lock press -> CallKit end-call */
#define REMOTE_LEFT_GRACE	(3 * SEC)	/* remote stream gone without a local drop */
#define EVIDENCE_WINDOW		(180 * SEC)	/* how far back before a drop evidence is looked for */
#define CALLKIT_LOOKBACK	(60 * SEC)	/* CallKit answers before the session connects */
#define TERMINATION_GRACE	(2 * SEC)	/* a termination's exit reason follows it closely */
#define SUSPEND_NEIGHBOUR	(2 * SEC)	/* an interruption this close to a suspension is its echo */
#define MAX_REPORTS		32		/* crash/jetsam reports kept for matching */
#define REPORT_WINDOW		(120 * SEC)	/* a report is about a kill this close to the drop */
#define REPORT_WAIT		(90 * SEC)	/* live: how long a kill's verdict waits for its report */
#define ZONE_STEP		(15 * 60 * SEC)	/* zones are whole quarter hours: a syslog read in the
						 * wrong zone is off by a multiple of this */
#define HANGUP_LOOKBACK		(5 * SEC)	/* an in-app hang-up this long before a CallKit end */
#define MIN_ALTERNATIVE		0.1		/* runner-ups less likely than this are not shown */

/* AVAudioSession error codes as FourCC ('!pri') and as the OSStatus number apps print */
#define AUDIO_ERR_INSUFFICIENT_PRIORITY	561017449L	/* '!pri': CallKit owns the session */

struct tl_event {
	enum cs_event_kind	kind;
	int64_t			time_us;
	uint64_t		line;
	long			code;		/* attr code, or 0 */
	char			reason[64];	/* attr reason/type/options, condensed */
	bool			was_suspended;	/* an interruption reported as appWasSuspended */
	bool			own;		/* logged by the app itself (not a system line about it) */
	char			*text;
};

struct tl_ring {
	struct tl_event	ev[RING_EVENTS];
	size_t		head;		/* next slot */
	size_t		count;
};

enum call_state { CALL_NONE, CALL_CONNECTING, CALL_CONNECTED, CALL_RECONNECTING, CALL_DISCONNECTED };
static const enum cs_state call_states[] = {	/* the timeline's call states as states.def names them */
	CS_ST_call_none, CS_ST_call_connecting, CS_ST_call_connected, CS_ST_call_reconnecting,
	CS_ST_call_disconnected
};
enum app_state { APP_UNKNOWN, APP_FOREGROUND, APP_BACKGROUND, APP_SUSPENDED, APP_GONE };
static const enum cs_state app_states[] = {
	CS_ST_app_unknown, CS_ST_app_foreground, CS_ST_app_background, CS_ST_app_suspended, CS_ST_app_gone
};
enum audio_state { AUDIO_UNKNOWN, AUDIO_ACTIVE, AUDIO_INTERRUPTED, AUDIO_INACTIVE };
static const enum cs_state audio_states[] = {
	CS_ST_audio_unknown, CS_ST_audio_active, CS_ST_audio_interrupted, CS_ST_audio_inactive
};

struct tl_app {
	bool		used;
	uint64_t	last_seen;	/* sequence number, for recycling */
	uint64_t	merged_at;	/* cs_timeline.identities when merge_duplicates last ran on it */
	char		bundle[128];
	char		process[64];
	long		pid;
	bool		under_test;	/* logs call events, or named by --app */
	bool		anonymous;	/* lines with no process or pid (headerless app output) */
	bool		call_seen;	/* any call event ever */
	char		sdk[CS_SDK_NAME_MAX];	/* the call SDK its lines show (highest layer wins) */
	int		sdk_layer;

	enum call_state	call;
	enum app_state	state;
	enum audio_state audio;
	int64_t		last_log_us;	/* last line the app itself logged */

	/* a drop that is inferred but not yet settled (the app is suspended, callbacks may follow) */
	bool		pending;
	int64_t		pending_us;	/* when the call died (the suspension) */
	uint64_t	pending_line;
	int64_t		resumed_us;	/* resumed while pending: callbacks are due */
	int64_t		terminated_us;	/* terminated with a call up: the exit reason may follow */
	uint64_t	terminated_line;
	bool		ended_by_termination;	/* diagnosing a termination: see diagnose() */

	int64_t		call_start_us;	/* connecting/connected time of the current call */
	int64_t		remote_gone_us;	/* remote stream gone, waiting to see if we drop too */
	uint64_t	remote_gone_line;
	bool		warned[CS_CAUSE_COUNT];	/* warnings: once per app */
	struct cs_app_facts facts;
	bool		facts_due;	/* facts came: warn about them at the next line (time, device) */
	bool		facts_warned;	/* a missing usage string is the app's, not a call's: once */
	struct tl_ring	ring;
};

struct cs_timeline {
	struct cs_timeline_options opt;
	char		app_opt[128];
	char		sdk_opt[CS_SDK_NAME_MAX];	/* --sdk */
	cs_flag_cb	cb;
	void	       *ctx;
	uint64_t	seq;
	uint64_t	identities;	/* bumped when any app's bundle, process or pid is set, an app
					 * is taken, or two merge: merge_duplicates has news only then */
	uint64_t	flags;
	int64_t		now_us;		/* time of the latest line */
	char		device[64];
	char		device_name[64];	/* the name the lines give the phone */
	enum { SCREEN_UNKNOWN, SCREEN_UNLOCKED, SCREEN_LOCKED } screen;
	bool		network_down;
	struct tl_ring	ring;		/* device-wide events: screen, lock button, network */
	struct tl_app	apps[MAX_APPS];
	uint64_t	tested;		/* bit i: apps[i] may be under test (set with under_test; a
					 * stale bit is cleared where it is read): cs_timeline_line,
					 * run for every line, visits only these instead of all apps */
	/* cs_timeline_line's quiet path. An app record is ~11 KB, so visiting each app under test on
	 * every line is a cache miss per app per line; between two changes (every other entry point
	 * sets lines_slow) a line can only record the app's last log line, unless the clock passes
	 * the earliest grace an app waits on (lines_due_us). What the full pass would read for that
	 * is kept here, small and together, after each full pass. */
	bool		lines_slow;
	int64_t		lines_due_us;
	int		nline_apps;
	long		line_pid[MAX_APPS];
	int		line_app[MAX_APPS];
	uint64_t	line_pid_bits;	/* bit pid % 64 of each line_pid: most lines' pids are none */
	int		front;		/* apps[] index the system last put in front, or -1 */
	const char     *reported[CS_LANE_COUNT];	/* lane states last reported (static names) */
	/* facts read from the phone before the app showed up in the log */
	char		facts_bundle[128];
	struct cs_app_facts facts;
	/* the phone's crash/jetsam reports (crashreport.c), oldest first */
	struct cs_crash_report *reports[MAX_REPORTS];
	size_t		nreports;
	bool		reports_done;	/* live: the fetch after the last kill is over */
	int64_t		clock_offset_us;	/* timeline time - the phone's own stamp, latest line
						 * (the live anchor, clock jumps): a report's time, on
						 * the phone's clock, is moved by it */
	const struct cs_crash_report *flag_report;	/* the report behind the flag being emitted */
	const struct cs_report_victim *flag_victim;
};

static const struct tl_app *focus_app(const struct cs_timeline *tl);
static const char *lane_state(const struct cs_timeline *tl, const struct tl_app *a,
    enum cs_lane lane);
static void settle_pending(struct cs_timeline *tl, struct tl_app *app);

/* ---------------------------------------------------------------- rings */

static void
ring_push(struct tl_ring *ring, const struct cs_event *event, const char *reason, long code,
    bool was_suspended, bool own)
{
	struct tl_event *slot = &ring->ev[ring->head];
	free(slot->text);
	const struct cs_line *line = event->line;
	size_t n = line->raw_len < TEXT_MAX ? line->raw_len : TEXT_MAX;
	slot->text = cs_xstrndup(line->raw, n);
	slot->kind = event->kind;
	slot->time_us = line->time_us;
	slot->line = line->number;
	slot->code = code;
	slot->was_suspended = was_suspended;
	slot->own = own;
	cs_strlcpy(slot->reason, reason ? reason : "", sizeof slot->reason);
	ring->head = (ring->head + 1) % RING_EVENTS;
	if (ring->count < RING_EVENTS)
		ring->count++;
}

/* i = 0 is the oldest kept event */
static const struct tl_event *
ring_at(const struct tl_ring *ring, size_t i)
{
	size_t start = (ring->head + RING_EVENTS - ring->count) % RING_EVENTS;
	return &ring->ev[(start + i) % RING_EVENTS];
}

static void
ring_free(struct tl_ring *ring)
{
	for (size_t i = 0; i < RING_EVENTS; i++) {
		free(ring->ev[i].text);
		ring->ev[i].text = NULL;
	}
	ring->count = ring->head = 0;
}

/* ---------------------------------------------------------------- app identity */

/* mediaserverd names sessions by the process name cut to 16 characters */
static bool
process_matches(const char *known, const char *seen)
{
	if (known[0] == '\0' || seen[0] == '\0')
		return false;
	if (strcasecmp(known, seen) == 0)
		return true;
	size_t n = strlen(seen);
	return n == 16 && strncasecmp(known, seen, 16) == 0;
}

/*
 * A bundle id whose last part is the executable's name (com.acme.peercall and PeerCall): Xcode's
 * default, and what links a system line that gives only the bundle (an old SpringBoard exit, a
 * jetsam line) to an app known only by its own lines. Letters and digits, case aside.
 */
static bool
bundle_names_process(const char *bundle, const char *process)
{
	const char *tail = strrchr(bundle, '.');
	tail = tail ? tail + 1 : bundle;
	if (tail[0] == '\0' || process[0] == '\0')
		return false;
	const char *a = tail, *b = process;
	for (;;) {
		while (*a && !isalnum((unsigned char)*a))
			a++;
		while (*b && !isalnum((unsigned char)*b))
			b++;
		if (*a == '\0' || *b == '\0')
			return *a == *b;
		if (tolower((unsigned char)*a++) != tolower((unsigned char)*b++))
			return false;
	}
}

static bool
names_app_option_str(const struct cs_timeline *tl, const char *name)
{
	return tl->app_opt[0] != '\0' && strcasecmp(name, tl->app_opt) == 0;
}

static bool
names_app_option(const struct cs_timeline *tl, const struct tl_app *app)
{
	if (tl->app_opt[0] == '\0')
		return false;
	return strcasecmp(app->bundle, tl->app_opt) == 0 || process_matches(app->process, tl->app_opt)
	    || process_matches(tl->app_opt, app->process);
}

static struct tl_app *
find_app(struct cs_timeline *tl, const char *bundle, long pid, const char *process)
{
	for (int i = 0; i < MAX_APPS; i++) {
		struct tl_app *a = &tl->apps[i];
		if (!a->used)
			continue;
		if (bundle && bundle[0] && strcmp(a->bundle, bundle) == 0)
			return a;
	}
	for (int i = 0; i < MAX_APPS; i++) {
		struct tl_app *a = &tl->apps[i];
		if (!a->used)
			continue;
		if (pid > 0 && a->pid == pid && (!bundle || !bundle[0] || !a->bundle[0]))
			return a;
		if (process && process_matches(a->process, process) &&
		    (!bundle || !bundle[0] || !a->bundle[0]))
			return a;
	}
	for (int i = 0; i < MAX_APPS; i++) {	/* the weakest link last: bundle <-> executable */
		struct tl_app *a = &tl->apps[i];
		bool pid_agrees = pid <= 0 || a->pid <= 0 || a->pid == pid;
		if (!a->used || !pid_agrees)
			continue;
		if (bundle && bundle[0] && !a->bundle[0] && bundle_names_process(bundle, a->process))
			return a;
		if (process && process[0] && a->bundle[0] && !a->process[0] &&
		    bundle_names_process(a->bundle, process))
			return a;
	}
	return NULL;
}

_Static_assert(MAX_APPS <= 64, "cs_timeline.tested has one bit per app");

static void
set_under_test(struct cs_timeline *tl, struct tl_app *a)
{
	a->under_test = true;
	tl->tested |= UINT64_C(1) << (a - tl->apps);
}

static void
reset_app(struct tl_app *a)
{
	ring_free(&a->ring);
	memset(a, 0, sizeof *a);
	a->pid = -1;
}

static void merge_duplicates(struct cs_timeline *tl, struct tl_app *a);

static struct tl_app *
get_app(struct cs_timeline *tl, const char *bundle, long pid, const char *process)
{
	struct tl_app *a = find_app(tl, bundle, pid, process);
	if (a == NULL) {
		struct tl_app *victim = NULL;
		for (int i = 0; i < MAX_APPS; i++) {
			struct tl_app *c = &tl->apps[i];
			if (!c->used) {
				victim = c;
				break;
			}
			/* never recycle an app with a call */
			if (!c->under_test && (victim == NULL || c->last_seen < victim->last_seen))
				victim = c;
		}
		if (victim == NULL)
			victim = &tl->apps[0];
		reset_app(victim);
		victim->used = true;
		a = victim;
		tl->identities++;
	}
	if (bundle && bundle[0] && a->bundle[0] == '\0') {
		cs_strlcpy(a->bundle, bundle, sizeof a->bundle);
		tl->identities++;
	}
	if (pid > 0 && a->pid != pid) {
		a->pid = pid;
		tl->identities++;
	}
	if (process && process[0] && (a->process[0] == '\0' || strlen(a->process) < strlen(process))) {
		cs_strlcpy(a->process, process, sizeof a->process);
		tl->identities++;
	}
	if (!a->facts.known && tl->facts.known && a->bundle[0] && strcmp(a->bundle, tl->facts_bundle) == 0)
		a->facts = tl->facts;
	if (names_app_option(tl, a))
		set_under_test(tl, a);
	a->last_seen = ++tl->seq;
	merge_duplicates(tl, a);
	return a;
}

/* Two records turned out to be one app (a bundle id learnt from one line, the process name or
 * pid from another): fold `from` into `into`, keeping every event in log order. */
static int
tl_event_cmp(const void *x, const void *y)
{
	const struct tl_event *a = x, *b = y;
	return a->line < b->line ? -1 : a->line > b->line;
}

static void
merge_rings(struct tl_ring *into, struct tl_ring *from)
{
	struct tl_event *all = cs_xcalloc(into->count + from->count, sizeof *all);
	size_t n = 0;
	for (size_t i = 0; i < into->count; i++)
		all[n++] = *ring_at(into, i);
	for (size_t i = 0; i < from->count; i++)
		all[n++] = *ring_at(from, i);
	qsort(all, n, sizeof *all, tl_event_cmp);
	size_t skip = n > RING_EVENTS ? n - RING_EVENTS : 0;
	for (size_t i = 0; i < skip; i++)
		free(all[i].text);
	memset(into, 0, sizeof *into);
	memset(from, 0, sizeof *from);	/* its texts now belong to `into` */
	for (size_t i = skip; i < n; i++)
		into->ev[into->count++] = all[i];
	into->head = into->count % RING_EVENTS;
	free(all);
}

static void
merge_app(struct cs_timeline *tl, struct tl_app *into, struct tl_app *from)
{
	tl->identities++;
	if (into->bundle[0] == '\0')
		cs_strlcpy(into->bundle, from->bundle, sizeof into->bundle);
	if (into->process[0] == '\0')
		cs_strlcpy(into->process, from->process, sizeof into->process);
	if (into->pid <= 0)
		into->pid = from->pid;
	if (from->under_test)
		set_under_test(tl, into);
	if (from->sdk[0] && (into->sdk[0] == '\0' || from->sdk_layer > into->sdk_layer)) {
		cs_strlcpy(into->sdk, from->sdk, sizeof into->sdk);
		into->sdk_layer = from->sdk_layer;
	}
	if (from->call_seen && !into->call_seen) {
		into->call_seen = true;
		into->call = from->call;
		into->call_start_us = from->call_start_us;
		into->pending = from->pending;
		into->pending_us = from->pending_us;
		into->pending_line = from->pending_line;
		into->resumed_us = from->resumed_us;
		into->remote_gone_us = from->remote_gone_us;
		into->remote_gone_line = from->remote_gone_line;
	}
	if (into->state == APP_UNKNOWN)
		into->state = from->state;
	if (into->audio == AUDIO_UNKNOWN)
		into->audio = from->audio;
	if (!into->facts.known) {
		into->facts = from->facts;
		into->facts_due |= from->facts_due;
		into->facts_warned |= from->facts_warned;
	}
	if (from->last_log_us > into->last_log_us)
		into->last_log_us = from->last_log_us;
	for (int c = 0; c < CS_CAUSE_COUNT; c++)
		into->warned[c] |= from->warned[c];
	merge_rings(&into->ring, &from->ring);
	if (from->last_seen > into->last_seen)
		into->last_seen = from->last_seen;
	reset_app(from);
}

static bool
same_app(const struct tl_app *a, const struct tl_app *b)
{
	if (a->bundle[0] && b->bundle[0] && strcmp(a->bundle, b->bundle) != 0)
		return false;
	return (a->pid > 0 && a->pid == b->pid) || process_matches(a->process, b->process) ||
	    process_matches(b->process, a->process);
}

/* Fold into a every other app that turns out to be it (same_app). Nothing can have become a
 * duplicate of it while no app's identity changed since a pass over them found none to fold
 * (merged_at; after a fold, a's new identity may match an app the pass had gone by, as it did
 * before: the next call looks again). */
static void
merge_duplicates(struct cs_timeline *tl, struct tl_app *a)
{
	uint64_t before = tl->identities;
	if (before != 0 && a->merged_at == before)
		return;
	for (int i = 0; i < MAX_APPS; i++) {
		struct tl_app *b = &tl->apps[i];
		if (b != a && b->used && !b->anonymous && same_app(a, b))
			merge_app(tl, a, b);
	}
	a->merged_at = tl->identities == before ? before : 0;
}

/* headerless lines (an app's print output, an SDK banner) belong to the app under test */
static struct tl_app *
anonymous_app(struct cs_timeline *tl)
{
	for (int i = 0; i < MAX_APPS; i++)
		if (tl->apps[i].used && tl->apps[i].anonymous)
			return &tl->apps[i];
	return NULL;
}

static void
adopt_anonymous(struct cs_timeline *tl, struct tl_app *app)
{
	struct tl_app *anon = anonymous_app(tl);
	if (anon && anon != app)
		merge_app(tl, app, anon);
}

static const char *
app_name(const struct tl_app *a)
{
	return a->bundle[0] ? a->bundle : a->process[0] ? a->process : "(unnamed app)";
}

/* ---------------------------------------------------------------- flags */

struct evidence_set {
	size_t			n;
	const struct tl_event  *ev[CS_MAX_EVIDENCE];
};

static void
evidence_add(struct evidence_set *set, const struct tl_event *ev)
{
	if (ev == NULL)
		return;
	for (size_t i = 0; i < set->n; i++)
		if (set->ev[i] == ev)
			return;
	if (set->n < CS_MAX_EVIDENCE)
		set->ev[set->n++] = ev;
}

static int
evidence_cmp(const void *a, const void *b)
{
	const struct cs_evidence *x = a, *y = b;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* The SDK a flag names: --sdk, else the one the app's lines showed. */
static const char *
app_sdk(const struct cs_timeline *tl, const struct tl_app *app)
{
	if (tl->opt.sdk && tl->opt.sdk[0])
		return tl->opt.sdk;
	return app ? app->sdk : "";
}

/* An event from an SDK's rules (attribute sdk) tells which SDK the app calls with. When an app
 * uses several (WebRTC under CallKit, a call SDK over WebRTC) the highest layer names it; the call
 * lane is one per app whatever SDK its events come from. */
static void
note_sdk(const struct cs_timeline *tl, struct tl_app *app, const struct cs_event *event)
{
	const char *sdk = cs_event_attr(event, "sdk");
	if (sdk == NULL || sdk[0] == '\0' || strcmp(sdk, app->sdk) == 0)
		return;
	int layer = cs_rules_sdk_layer(tl->opt.rules, sdk);
	if (layer < 0)
		layer = 2;	/* an sdk attribute from a rule with no sdk directive: a call SDK */
	if (app->sdk[0] == '\0' || layer > app->sdk_layer) {
		cs_strlcpy(app->sdk, sdk, sizeof app->sdk);
		app->sdk_layer = layer;
	}
}

static void
emit_flag(struct cs_timeline *tl, struct tl_app *app, enum cs_cause cause, double confidence,
    int64_t time_us, uint64_t line, bool inferred, const struct evidence_set *set, const char *detail,
    const struct cs_alternative *alts, size_t nalts)
{
	struct cs_flag flag;
	memset(&flag, 0, sizeof flag);
	flag.id = ++tl->flags;
	flag.cause = cause;
	flag.confidence = confidence;
	flag.time_us = time_us;
	flag.line = line;
	flag.inferred = inferred;
	cs_strlcpy(flag.device, tl->device, sizeof flag.device);
	cs_strlcpy(flag.app, app ? app_name(app) : "", sizeof flag.app);
	cs_strlcpy(flag.detail, detail ? detail : "", sizeof flag.detail);
	cs_strlcpy(flag.sdk, app_sdk(tl, app), sizeof flag.sdk);
	flag.advice = cs_rules_sdk_advice(tl->opt.rules, flag.sdk, cause);	/* NULL: the cause's */
	for (size_t i = 0; set && i < set->n; i++) {
		struct cs_evidence *e = &flag.evidence[flag.nevidence++];
		e->line = set->ev[i]->line;
		e->kind = set->ev[i]->kind;
		e->time_us = set->ev[i]->time_us;
		e->text = set->ev[i]->text;	/* borrowed for the callback */
	}
	qsort(flag.evidence, flag.nevidence, sizeof flag.evidence[0], evidence_cmp);
	if (tl->flag_report) {
		struct cs_flag_report *fr = &flag.reports[flag.nreports++];
		cs_strlcpy(fr->file, tl->flag_report->file, sizeof fr->file);
		cs_strlcpy(fr->bug_type, tl->flag_report->bug_type, sizeof fr->bug_type);
		cs_strlcpy(fr->reason, tl->flag_victim->reason, sizeof fr->reason);
		fr->time_us = tl->flag_report->time_us;
		tl->flag_report = NULL;
	}
	for (size_t i = 0; i < nalts && i < CS_MAX_ALTERNATIVES; i++)
		flag.alternatives[flag.nalternatives++] = alts[i];
	if (tl->cb)
		tl->cb(&flag, tl->ctx);
}

/* ---------------------------------------------------------------- diagnosis */

/* What the predicates look at: the app's and the device's events between the call's start (or
 * EVIDENCE_WINDOW before the drop) and the drop. */
struct drop {
	struct cs_timeline	*tl;
	struct tl_app		*app;
	int64_t			 died_us;	/* when the call died (suspension/kill/disconnect) */
	int64_t			 seen_us;	/* when the disconnect was reported (== died if live) */
	bool			 seen;		/* a disconnect callback was logged */
	const struct tl_event	*disconnect;	/* the callback / error that reported it */
	int64_t			 from_us;
	long			 new_pid;	/* the app vanished: a new instance (this pid) started */
	struct evidence_set	 evidence;
	double			 confidence;
	char			 detail[256];
	const struct cs_crash_report  *report;	/* the phone's report on this kill, if any */
	const struct cs_report_victim *victim;
};

/* the latest event of one of the kinds in [from, until] in the app's ring (or the device's) */
static const struct tl_event *
last_of(const struct tl_ring *ring, const enum cs_event_kind *kinds, size_t nkinds, int64_t from,
    int64_t until)
{
	for (size_t i = ring->count; i-- > 0;) {
		const struct tl_event *ev = ring_at(ring, i);
		if (ev->time_us < from || ev->time_us > until)
			continue;
		for (size_t k = 0; k < nkinds; k++)
			if (ev->kind == kinds[k])
				return ev;
	}
	return NULL;
}

static const struct tl_event *
first_of(const struct tl_ring *ring, const enum cs_event_kind *kinds, size_t nkinds, int64_t from,
    int64_t until)
{
	for (size_t i = 0; i < ring->count; i++) {
		const struct tl_event *ev = ring_at(ring, i);
		if (ev->time_us < from || ev->time_us > until)
			continue;
		for (size_t k = 0; k < nkinds; k++)
			if (ev->kind == kinds[k])
				return ev;
	}
	return NULL;
}

#define KINDS(...) (const enum cs_event_kind[]){ __VA_ARGS__ }, \
	sizeof((const enum cs_event_kind[]){ __VA_ARGS__ }) / sizeof(enum cs_event_kind)

static const struct tl_event *
app_last(const struct drop *d, const enum cs_event_kind *kinds, size_t n, int64_t until)
{
	return last_of(&d->app->ring, kinds, n, d->from_us, until);
}

static const struct tl_event *
app_first(const struct drop *d, const enum cs_event_kind *kinds, size_t n, int64_t from, int64_t until)
{
	return first_of(&d->app->ring, kinds, n, from, until);
}

static const struct tl_event *
device_last(const struct drop *d, const enum cs_event_kind *kinds, size_t n, int64_t until)
{
	return last_of(&d->tl->ring, kinds, n, d->from_us, until);
}

/* the suspension that killed the call: the first suspension after the last foreground */
static const struct tl_event *
suspension(const struct drop *d)
{
	const struct tl_event *fg = app_last(d, KINDS(CS_EV_app_foreground), d->died_us);
	int64_t from = fg ? fg->time_us : d->from_us;
	const struct tl_event *s = app_first(d, KINDS(CS_EV_app_suspended), from, d->died_us);
	if (s == NULL)	/* resumed already: the last suspension before the report */
		s = app_last(d, KINDS(CS_EV_app_suspended), d->seen_us);
	return s;
}

static const struct tl_event *
background_before(const struct drop *d, int64_t until)
{
	return app_last(d, KINDS(CS_EV_app_background), until);
}

static const struct tl_event *
lock_before(const struct drop *d, int64_t until)
{
	const struct tl_event *dev = device_last(d, KINDS(CS_EV_screen_locked, CS_EV_lock_button), until);
	const struct tl_event *own = app_last(d, KINDS(CS_EV_screen_locked), until);
	if (dev && own)
		return dev->time_us >= own->time_us ? dev : own;
	return dev ? dev : own;
}

/* the latest event of the kinds logged before `before` (stream order: stamps share seconds) */
static const struct tl_event *
last_before(const struct tl_ring *ring, const enum cs_event_kind *kinds, size_t nkinds,
    int64_t from, const struct tl_event *before)
{
	for (size_t i = ring->count; i-- > 0;) {
		const struct tl_event *ev = ring_at(ring, i);
		if (ev->line >= before->line || ev->time_us < from)
			continue;
		for (size_t k = 0; k < nkinds; k++)
			if (ev->kind == kinds[k])
				return ev;
	}
	return NULL;
}

/*
 * Was the app in front when ev was logged - could a person have touched its UI? The app's last
 * lifecycle event before it says so; without one, an unlocked screen counts as in front.
 */
static bool
app_in_front_at(const struct drop *d, const struct tl_event *ev)
{
	const struct tl_event *life = last_before(&d->app->ring, KINDS(CS_EV_app_foreground,
	    CS_EV_app_launched, CS_EV_app_background, CS_EV_app_inactive, CS_EV_app_suspended),
	    d->from_us - CALLKIT_LOOKBACK, ev);
	if (life)
		return life->kind == CS_EV_app_foreground || life->kind == CS_EV_app_launched;
	const struct tl_event *screen = last_before(&d->tl->ring, KINDS(CS_EV_screen_locked,
	    CS_EV_screen_unlocked, CS_EV_lock_button), d->from_us - CALLKIT_LOOKBACK, ev);
	return screen == NULL || screen->kind == CS_EV_screen_unlocked;
}

/*
 * Audio the app stopped itself before the suspension: its own setActive(false), unpublish or
 * category change, or the audio server's record of one well before. The server stopping a session
 * because the app is being suspended ("... because client is background suspended", a
 * `cmsSetIsActive ... going inactive` in the same second) is the suspension's consequence and does
 * not count.
 */
static const struct tl_event *
stopped_by_app_before(const struct drop *d, const struct tl_event *s)
{
	for (size_t i = d->app->ring.count; i-- > 0;) {
		const struct tl_event *ev = ring_at(&d->app->ring, i);
		if (ev->time_us < d->from_us || ev->time_us > s->time_us)
			continue;
		if (ev->kind != CS_EV_audio_inactive && ev->kind != CS_EV_publisher_unpublished &&
		    ev->kind != CS_EV_audio_category_change)
			continue;
		if (ev->was_suspended)
			continue;
		if (!ev->own && s->time_us - ev->time_us <= SUSPEND_NEIGHBOUR)
			continue;
		return ev;
	}
	return NULL;
}

/* The app's background modes are known to include audio or voip (live app check, --app-info, or
 * the audio server's 'Background entitlement: YES'). */
static bool
modes_declared(const struct drop *d)
{
	const struct cs_app_facts *f = &d->app->facts;
	if (f->known)
		return f->mode_audio || f->mode_voip;
	return app_last(d, KINDS(CS_EV_app_bg_entitlement), d->seen_us) != NULL &&
	    app_last(d, KINDS(CS_EV_app_no_bg_entitlement), d->seen_us) == NULL;
}

static bool
modes_missing(const struct drop *d)
{
	const struct cs_app_facts *f = &d->app->facts;
	if (f->known)
		return !f->mode_audio && !f->mode_voip;
	return app_last(d, KINDS(CS_EV_app_no_bg_entitlement), d->seen_us) != NULL;
}

static void
add_context(struct drop *d)
{
	evidence_add(&d->evidence, app_last(d, KINDS(CS_EV_call_connected), d->died_us));
	evidence_add(&d->evidence, lock_before(d, d->died_us));
	evidence_add(&d->evidence, d->disconnect);
}

struct cause_rule;
typedef bool (*cause_test)(struct drop *d, const struct cause_rule *rule);

/* A cause decided by one event of the app's (a kill, a crash, the server's word): the rule's
 * kind, confidence and detail say it all. */
struct cause_rule {
	enum cs_cause		 cause;
	cause_test		 test;
	enum cs_event_kind	 kind;		/* test_decisive_event: the event that decides */
	double			 confidence;
	const char		*detail;	/* one %s: the event's reason, after `join` */
	const char		*join;
};

static bool
test_decisive_event(struct drop *d, const struct cause_rule *rule)
{
	const struct tl_event *ev = last_of(&d->app->ring, &rule->kind, 1, d->from_us, d->seen_us);
	if (!ev)
		return false;
	evidence_add(&d->evidence, ev);
	d->confidence = rule->confidence;
	char reason[64] = "";
	if (ev->reason[0])
		snprintf(reason, sizeof reason, "%s%s", rule->join, ev->reason);
	snprintf(d->detail, sizeof d->detail, rule->detail, reason);
	return true;
}

/* The phone's own report on the kill decides (crashreport.c read it): the syslog's guess, if any,
 * is confirmed or corrected. Rows per cause, so the table keeps one cause per row. */
static bool
test_report(struct drop *d, const struct cause_rule *rule)
{
	if (d->victim == NULL || d->victim->cause != rule->cause)
		return false;
	/* the syslog saw the same kill: both agree */
	const struct tl_event *same = rule->kind != CS_EV_COUNT ?
	    last_of(&d->app->ring, &rule->kind, 1, d->from_us, d->seen_us) : NULL;
	evidence_add(&d->evidence, same ? same : last_of(&d->app->ring, KINDS(CS_EV_app_terminated),
	    d->from_us, d->seen_us));
	d->confidence = same ? 0.99 : rule->confidence;
	snprintf(d->detail, sizeof d->detail, "the phone's report %.60s says: %.160s", d->report->file,
	    d->victim->reason);
	return true;
}

/* the app's report whose time falls in the drop's window (or off by whole zones when the pid
 * matches too: a syslog stamp read in the wrong zone) */
static bool
report_time_fits(const struct drop *d, const struct cs_crash_report *r, bool pid_match)
{
	int64_t lo = d->from_us - REPORT_WINDOW / 12;
	int64_t hi = (d->seen_us > d->died_us ? d->seen_us : d->died_us) + REPORT_WINDOW;
	if (r->time_us == 0)
		return pid_match;
	int64_t at = r->time_us + d->tl->clock_offset_us;	/* onto the timeline, as the lines */
	if (at >= lo && at <= hi)
		return true;
	if (!pid_match)
		return false;
	int64_t delta = at - d->died_us;
	if (delta < -14 * 3600 * SEC || delta > 14 * 3600 * SEC)
		return false;
	int64_t off = (delta >= 0 ? delta + ZONE_STEP / 2 : delta - ZONE_STEP / 2) / ZONE_STEP * ZONE_STEP;
	return at - off >= lo && at - off <= hi;
}

static void
find_report(struct drop *d)
{
	const struct tl_app *a = d->app;
	for (size_t i = d->tl->nreports; i-- > 0;) {
		const struct cs_crash_report *r = d->tl->reports[i];
		const struct cs_report_victim *v = cs_crash_report_victim(r, a->bundle, a->process, a->pid);
		if (v == NULL || v->cause == CS_CAUSE_unknown)
			continue;
		if (report_time_fits(d, r, a->pid > 0 && v->pid == a->pid)) {
			d->report = r;
			d->victim = v;
			return;
		}
	}
}

/* CallKit acts before the session connects (answer) and around it: look a little further back */
static const struct tl_event *
callkit_last(const struct drop *d, const enum cs_event_kind *kinds, size_t n, int64_t until)
{
	return last_of(&d->app->ring, kinds, n, d->from_us - CALLKIT_LOOKBACK, until);
}

static bool
test_lock_button(struct drop *d, const struct cause_rule *rule)
{
	const struct tl_event *end = callkit_last(d, KINDS(CS_EV_callkit_end_call), d->seen_us);
	if (!end)
		return false;
	const struct tl_event *lock = lock_before(d, end->time_us);
	const struct tl_event *resign = app_last(d, KINDS(CS_EV_app_inactive, CS_EV_app_background),
	    end->time_us);
	bool locked = lock && end->time_us - lock->time_us <= LOCK_BUTTON_WINDOW;
	bool resigned = resign && end->time_us - resign->time_us <= LOCK_BUTTON_WINDOW;
	if (!locked && !resigned)
		return false;
	const struct tl_event *trigger = locked ? lock : resign;
	/* a person hangs up in the app only while it is in front, before it left: a hang-up line
	 * logged after that is the app's code answering CallKit's end action, not a tap */
	const struct tl_event *hangup = app_last(d, KINDS(CS_EV_call_user_hangup), end->time_us);
	if (hangup && end->time_us - hangup->time_us <= HANGUP_LOOKBACK &&
	    hangup->line < trigger->line && app_in_front_at(d, hangup))
		return false;
	if (app_last(d, KINDS(CS_EV_call_error), end->time_us))
		return false;	/* an error before the end-call explains it otherwise */
	evidence_add(&d->evidence, trigger);
	evidence_add(&d->evidence, end);
	d->confidence = locked ? 0.85 : 0.75;
	snprintf(d->detail, sizeof d->detail,
	    "CallKit's end-call action came %.1f s after the %s: no person reaches a hang-up control "
	    "that fast", (double)(end->time_us - trigger->time_us) / SEC,
	    locked ? "lock button" : "app left the foreground (the side button locks the phone)");
	return true;
}

static bool
test_callkit_audio(struct drop *d, const struct cause_rule *rule)
{
	const struct tl_event *deact = callkit_last(d, KINDS(CS_EV_callkit_audio_deactivated,
	    CS_EV_callkit_reset), d->seen_us);
	/* a deactivation that follows the app's own end-call is the normal ending, not a fault */
	if (deact && !callkit_last(d, KINDS(CS_EV_callkit_end_call, CS_EV_call_user_hangup),
	    deact->time_us)) {
		evidence_add(&d->evidence, deact);
		d->confidence = 0.75;
		snprintf(d->detail, sizeof d->detail,
		    "CallKit deactivated the audio session (or reset) before the call ended");
		return true;
	}
	/* '!pri' (561017449): the app activated the session itself while CallKit owns it */
	const struct tl_event *callkit = callkit_last(d, KINDS(CS_EV_callkit_answer,
	    CS_EV_callkit_end_call, CS_EV_callkit_audio_activated, CS_EV_callkit_audio_deactivated,
	    CS_EV_callkit_reset), d->seen_us);
	for (size_t i = d->app->ring.count; callkit && i-- > 0;) {
		const struct tl_event *ev = ring_at(&d->app->ring, i);
		if (ev->kind != CS_EV_audio_start_failed || ev->code != AUDIO_ERR_INSUFFICIENT_PRIORITY ||
		    ev->time_us < d->from_us - CALLKIT_LOOKBACK || ev->time_us > d->seen_us)
			continue;
		evidence_add(&d->evidence, callkit);
		evidence_add(&d->evidence, ev);
		d->confidence = 0.8;
		snprintf(d->detail, sizeof d->detail,
		    "the app uses CallKit and its own audio activation failed with '!pri' (insufficient "
		    "priority): CallKit, not the app, activates the session");
		return true;
	}
	const struct tl_event *answer = callkit_last(d, KINDS(CS_EV_callkit_answer), d->seen_us);
	if (!answer)
		return false;
	if (app_first(d, KINDS(CS_EV_callkit_audio_activated), answer->time_us, d->seen_us))
		return false;
	const struct tl_event *fail = app_first(d, KINDS(CS_EV_audio_start_failed), answer->time_us,
	    d->seen_us);
	if (!fail)
		return false;
	evidence_add(&d->evidence, answer);
	evidence_add(&d->evidence, fail);
	d->confidence = 0.8;
	snprintf(d->detail, sizeof d->detail,
	    "the call was answered through CallKit but didActivate never came and audio failed to start");
	return true;
}

static bool
test_user_hangup(struct drop *d, const struct cause_rule *rule)
{
	const struct tl_event *h = app_last(d, KINDS(CS_EV_call_user_hangup), d->seen_us);
	if (!h || d->seen_us - h->time_us > 30 * SEC)
		return false;
	if (app_first(d, KINDS(CS_EV_call_error), h->time_us, d->seen_us))
		return false;
	/* a person can only have tapped it with the app in front, unless the line names the tap */
	if (!app_in_front_at(d, h) && strcmp(h->reason, "ui") != 0)
		return false;
	evidence_add(&d->evidence, h);
	d->confidence = 0.85;
	snprintf(d->detail, sizeof d->detail, "the user ended the call in the app");
	return true;
}

/* The app's own code disconnects within seconds of going to background, while still running. */
static bool
test_disconnect_on_background(struct drop *d, const struct cause_rule *rule)
{
	if (!d->seen)
		return false;
	const struct tl_event *bg = background_before(d, d->seen_us);
	if (!bg || d->seen_us - bg->time_us > BACKGROUND_GRACE)
		return false;
	if (app_first(d, KINDS(CS_EV_app_suspended, CS_EV_app_foreground), bg->time_us, d->seen_us))
		return false;
	if (app_first(d, KINDS(CS_EV_call_error, CS_EV_call_reconnecting), bg->time_us, d->seen_us))
		return false;
	evidence_add(&d->evidence, bg);
	evidence_add(&d->evidence, app_first(d, KINDS(CS_EV_call_disconnect_requested,
	    CS_EV_publisher_unpublished), bg->time_us, d->seen_us));
	d->confidence = 0.85;
	snprintf(d->detail, sizeof d->detail,
	    "the app disconnected %.1f s after going to background, while still running, with no error",
	    (double)(d->seen_us - bg->time_us) / SEC);
	return true;
}

static bool
test_background_task(struct drop *d, const struct cause_rule *rule)
{
	/* suspended when the task ran out - or, on older iOS, killed for holding its assertion
	 * beyond the permitted time */
	const struct tl_event *s = suspension(d);
	if (!s)
		s = app_last(d, KINDS(CS_EV_app_terminated), d->seen_us);
	if (!s)
		return false;
	const struct tl_event *bg = background_before(d, s->time_us);
	int64_t from = bg ? bg->time_us : d->from_us;
	const struct tl_event *task = app_first(d, KINDS(CS_EV_app_bg_task_expiring), from, s->time_us);
	if (!task) {
		const struct tl_event *begin = app_first(d, KINDS(CS_EV_app_bg_task_begin), from,
		    s->time_us);
		if (!begin || s->time_us - from < 20 * SEC)
			return false;
		task = begin;
	}
	evidence_add(&d->evidence, bg);
	evidence_add(&d->evidence, task);
	evidence_add(&d->evidence, s);
	d->confidence = 0.8;
	snprintf(d->detail, sizeof d->detail,
	    "the app ran on a background task that expired; %s %.0f s after going to background",
	    s->kind == CS_EV_app_suspended ? "suspended" : "ended", (double)(s->time_us - from) / SEC);
	return true;
}

/* An interruption (phone call, Siri, alarm) that was never followed by a reactivation. The late
 * "appWasSuspended" interruption delivered after unlock is a consequence, not a cause. */
static bool
test_interruption(struct drop *d, const struct cause_rule *rule)
{
	int64_t until = d->died_us;
	const struct tl_event *began = NULL;
	for (size_t i = d->app->ring.count; i-- > 0;) {
		const struct tl_event *ev = ring_at(&d->app->ring, i);
		if (ev->time_us < d->from_us || ev->time_us > until)
			continue;
		if (ev->kind != CS_EV_audio_interruption_began || ev->was_suspended)
			continue;
		/* the audio server stops a session that is being suspended: that interruption is the
		 * suspension's consequence, not a phone call's */
		if (app_first(d, KINDS(CS_EV_app_suspended), ev->time_us - SUSPEND_NEIGHBOUR,
		    ev->time_us + SUSPEND_NEIGHBOUR))
			continue;
		began = ev;
		break;
	}
	if (!began)
		return false;
	const struct tl_event *reactivated = app_first(d, KINDS(CS_EV_audio_active,
	    CS_EV_callkit_audio_activated), began->time_us + 1, d->seen_us);
	const struct tl_event *ended = app_first(d, KINDS(CS_EV_audio_interruption_ended),
	    began->time_us, d->seen_us);
	const struct tl_event *failed = app_first(d, KINDS(CS_EV_audio_start_failed), began->time_us,
	    d->seen_us);
	if (reactivated && !failed)
		return false;
	evidence_add(&d->evidence, began);
	evidence_add(&d->evidence, ended);
	evidence_add(&d->evidence, failed);
	evidence_add(&d->evidence, suspension(d));
	d->confidence = failed ? 0.9 : 0.75;
	snprintf(d->detail, sizeof d->detail, "the audio session was interrupted%s and never reactivated%s",
	    ended ? " (the interruption ended)" : "", failed ? "; audio I/O then failed to start" : "");
	return true;
}

static bool
suspended_in_background(struct drop *d, const struct tl_event **s_out, const struct tl_event **bg_out)
{
	const struct tl_event *s = suspension(d);
	if (!s)
		return false;
	*s_out = s;
	*bg_out = background_before(d, s->time_us);
	return true;
}

static bool
test_missing_mode(struct drop *d, const struct cause_rule *rule)
{
	const struct tl_event *s, *bg;
	if (!suspended_in_background(d, &s, &bg))
		return false;
	const struct cs_app_facts *f = &d->app->facts;
	if (modes_declared(d))
		return false;	/* the phone or the audio server says the modes are there */
	const struct tl_event *noent = app_last(d, KINDS(CS_EV_app_no_bg_entitlement), d->seen_us);
	/* audio the app stopped itself before the suspension: without a mode known missing, "no
	 * live audio" fits better (an audio server stopping it *because* of the suspension is the
	 * suspension's consequence, and leaves the session active up to it: the mode is missing) */
	if (!modes_missing(d) && stopped_by_app_before(d, s))
		return false;
	evidence_add(&d->evidence, bg);
	evidence_add(&d->evidence, noent);
	evidence_add(&d->evidence, s);
	if (f->known) {
		d->confidence = 0.97;
		snprintf(d->detail, sizeof d->detail,
		    "suspended in background while the call was up; the installed app declares no "
		    "audio/voip background mode");
	} else if (noent) {
		d->confidence = 0.9;
		snprintf(d->detail, sizeof d->detail,
		    "suspended in background while the call was up; the audio server reports "
		    "'Background entitlement: NO'");
	} else {
		d->confidence = 0.7;
		snprintf(d->detail, sizeof d->detail,
		    "suspended %s while the call was up: an app with the audio/voip modes and live audio "
		    "is not suspended", bg ? "shortly after going to background" : "in background");
	}
	return true;
}

static bool
test_no_active_audio(struct drop *d, const struct cause_rule *rule)
{
	const struct tl_event *s, *bg;
	if (!suspended_in_background(d, &s, &bg))
		return false;
	if (modes_missing(d))
		return false;
	/* it needs audio stopped by the app before the suspension, or the modes known declared */
	const struct tl_event *stopped = stopped_by_app_before(d, s);
	bool declared = modes_declared(d);
	if (!stopped && !declared)
		return false;
	evidence_add(&d->evidence, bg);
	evidence_add(&d->evidence, stopped);
	evidence_add(&d->evidence, s);
	d->confidence = stopped && declared ? 0.85 : stopped ? 0.7 : 0.6;
	snprintf(d->detail, sizeof d->detail, "suspended in background %s: %s",
	    declared ? "although the app declares audio/voip" : "after its audio stopped",
	    stopped ? "the app stopped its audio before the suspension" : "no audio was running");
	return true;
}

/* Real network loss: reconnecting / errors / network down while the app keeps running. */
static bool
test_network(struct drop *d, const struct cause_rule *rule)
{
	if (!d->seen)
		return false;
	if (suspension(d))
		return false;
	const struct tl_event *rec = app_last(d, KINDS(CS_EV_call_reconnecting), d->seen_us);
	const struct tl_event *down = device_last(d, KINDS(CS_EV_network_down), d->seen_us);
	const struct tl_event *own_down = app_last(d, KINDS(CS_EV_network_down, CS_EV_socket_aborted),
	    d->seen_us);
	const struct tl_event *err = app_last(d, KINDS(CS_EV_call_error), d->seen_us);
	bool dropped_code = err && (err->code == 1022 || err->code == 1021 || err->code == 1006);
	if (!rec && !down && !own_down && !dropped_code)
		return false;
	evidence_add(&d->evidence, down ? down : own_down);
	evidence_add(&d->evidence, rec);
	evidence_add(&d->evidence, err);
	d->confidence = (rec || down || own_down) ? 0.8 : 0.6;
	snprintf(d->detail, sizeof d->detail,
	    "the connection dropped in real time while the app kept running%s",
	    rec ? " (it tried to reconnect)" : "");
	return true;
}

static bool
test_unknown(struct drop *d, const struct cause_rule *rule)
{
	d->confidence = 0.3;
	if (d->new_pid > 0)
		snprintf(d->detail, sizeof d->detail, "the app vanished mid-call (a new instance started, "
		    "pid %ld) and no kill, crash or suspension was logged", d->new_pid);
	else
		snprintf(d->detail, sizeof d->detail, "%s", d->seen ?
		    "the app reported the disconnect, but no lifecycle, audio or network event explains it" :
		    "the call stopped with no callback, and nothing in the log explains it");
	return true;
}

#define DECISIVE(kind) test_decisive_event, CS_EV_##kind
#define REPORT(kind) test_report, kind
static const struct cause_rule cause_rules[] = {
	{ CS_CAUSE_app_killed_watchdog, REPORT(CS_EV_app_killed_watchdog), 0.98, NULL, NULL },
	{ CS_CAUSE_app_killed_jetsam, REPORT(CS_EV_app_killed_jetsam), 0.98, NULL, NULL },
	{ CS_CAUSE_app_crash, REPORT(CS_EV_app_crashed), 0.97, NULL, NULL },
	{ CS_CAUSE_user_hangup, REPORT(CS_EV_COUNT), 0.95, NULL, NULL },
	{ CS_CAUSE_app_killed_watchdog, DECISIVE(app_killed_watchdog), 0.95,
	  "a watchdog killed the app while the call was up%s", ": " },
	{ CS_CAUSE_app_killed_jetsam, DECISIVE(app_killed_jetsam), 0.95,
	  "jetsam killed the app (memory) while the call was up%s", ": " },
	{ CS_CAUSE_app_crash, DECISIVE(app_crashed), 0.9,
	  "the app exited abnormally%s while the call was up", " with " },
	{ CS_CAUSE_callkit_lock_button_end,	   test_lock_button, 0, 0, NULL, NULL },
	{ CS_CAUSE_server_side_disconnect, DECISIVE(call_force_disconnected), 0.9,
	  "the server ended the session%s", ": " },
	{ CS_CAUSE_callkit_audio_mismanaged,	   test_callkit_audio, 0, 0, NULL, NULL },
	{ CS_CAUSE_user_hangup,			   test_user_hangup, 0, 0, NULL, NULL },
	{ CS_CAUSE_app_disconnect_on_background,   test_disconnect_on_background, 0, 0, NULL, NULL },
	{ CS_CAUSE_background_task_expiry,	   test_background_task, 0, 0, NULL, NULL },
	{ CS_CAUSE_audio_interruption_not_resumed, test_interruption, 0, 0, NULL, NULL },
	{ CS_CAUSE_missing_background_mode,	   test_missing_mode, 0, 0, NULL, NULL },
	{ CS_CAUSE_no_active_audio_in_background,  test_no_active_audio, 0, 0, NULL, NULL },
	{ CS_CAUSE_network_loss,		   test_network, 0, 0, NULL, NULL },
	{ CS_CAUSE_unknown,			   test_unknown, 0, 0, NULL, NULL },
};
#undef DECISIVE
#undef REPORT

#define NCAUSE_RULES (sizeof cause_rules / sizeof cause_rules[0])

/* What would tell a runner-up from the cause that won: the evidence to look for or to add. */
static const char *const settle_text[CS_CAUSE_COUNT] = {
	[CS_CAUSE_missing_background_mode] = "the installed app's UIBackgroundModes: attach the "
	    "phone or pass --app-info (no audio/voip: this cause)",
	[CS_CAUSE_no_active_audio_in_background] = "whether the app declares audio/voip (attach the "
	    "phone or pass --app-info) and stops its audio on background (log setActive, unpublish)",
	[CS_CAUSE_audio_interruption_not_resumed] = "log AVAudioSession.interruptionNotification with "
	    "its type, reason and options, and the result of every setActive",
	[CS_CAUSE_app_disconnect_on_background] = "log each call to disconnect/unpublish and "
	    "applicationDidEnterBackground",
	[CS_CAUSE_callkit_lock_button_end] = "log who requests CXEndCallAction; a lock-button line "
	    "(SpringBoard) just before it",
	[CS_CAUSE_callkit_audio_mismanaged] = "log provider(_:didActivate:) and didDeactivate, and "
	    "every setActive call",
	[CS_CAUSE_background_task_expiry] = "log beginBackgroundTask and its expiration handler",
	[CS_CAUSE_app_killed_jetsam] = "the phone's JetsamEvent report (Settings > Privacy > "
	    "Analytics Data, or --crash-dir)",
	[CS_CAUSE_app_killed_watchdog] = "the phone's crash report and its termination code "
	    "(--crash-dir)",
	[CS_CAUSE_app_crash] = "the phone's crash report (--crash-dir) or the Xcode console",
	[CS_CAUSE_network_loss] = "the SDK's reconnecting callbacks and network path changes "
	    "(NWPathMonitor), logged as they happen",
	[CS_CAUSE_server_side_disconnect] = "the server side's record of the session "
	    "(forceDisconnect, session monitoring callbacks)",
	[CS_CAUSE_user_hangup] = "a log line in the app's hang-up button action",
};

/*
 * A winner that rests on a fact the log does not have: its rival is as consistent with the lines,
 * and that fact would decide between them. (A predicate that needs the fact cannot hold without
 * it, so the table below names these pairs.)
 */
static bool
modes_unknown(const struct drop *d)
{
	return !modes_missing(d) && !modes_declared(d);
}

static const struct {
	enum cs_cause	 winner, rival;
	bool		(*unsettled)(const struct drop *d);
} unsettled_rivals[] = {
	{ CS_CAUSE_missing_background_mode, CS_CAUSE_no_active_audio_in_background, modes_unknown },
};

static int
alternative_cmp(const void *a, const void *b)
{
	const struct cs_alternative *x = a, *y = b;
	return x->confidence < y->confidence ? 1 : x->confidence > y->confidence ? -1 :
	    (int)x->cause - (int)y->cause;
}

/*
 * The predicates after the winner (less specific) that hold too are its alternatives. The winner's
 * confidence is taken as its share; a runner-up gets its own confidence, capped at what the
 * winner leaves over, and is dropped below MIN_ALTERNATIVE.
 */
static size_t
find_alternatives(const struct drop *won, size_t winner, double confidence,
    struct cs_alternative *alts)
{
	size_t n = 0;
	struct cs_alternative found[NCAUSE_RULES + sizeof unsettled_rivals / sizeof unsettled_rivals[0]];
	for (size_t i = winner + 1; i < NCAUSE_RULES; i++) {
		if (cause_rules[i].cause == CS_CAUSE_unknown)
			continue;
		struct drop d = *won;
		memset(&d.evidence, 0, sizeof d.evidence);
		d.confidence = 0;
		if (!cause_rules[i].test(&d, &cause_rules[i]))
			continue;
		double c = d.confidence < 1.0 - confidence ? d.confidence : 1.0 - confidence;
		if (c < MIN_ALTERNATIVE)
			continue;
		found[n++] = (struct cs_alternative){ cause_rules[i].cause, c,
		    settle_text[cause_rules[i].cause] ? settle_text[cause_rules[i].cause] : "" };
	}
	for (size_t i = 0; i < sizeof unsettled_rivals / sizeof unsettled_rivals[0]; i++) {
		enum cs_cause rival = unsettled_rivals[i].rival;
		bool listed = false;
		for (size_t k = 0; k < n; k++)
			listed |= found[k].cause == rival;
		if (unsettled_rivals[i].winner == cause_rules[winner].cause && !listed &&
		    unsettled_rivals[i].unsettled(won) && 1.0 - confidence >= MIN_ALTERNATIVE)
			found[n++] = (struct cs_alternative){ rival, 1.0 - confidence, settle_text[rival] };
	}
	qsort(found, n, sizeof found[0], alternative_cmp);
	if (n > CS_MAX_ALTERNATIVES)
		n = CS_MAX_ALTERNATIVES;
	memcpy(alts, found, n * sizeof found[0]);
	return n;
}

static void
diagnose(struct cs_timeline *tl, struct tl_app *app, int64_t died_us, uint64_t line,
    const struct tl_event *disconnect, long new_pid)
{
	struct drop d;
	memset(&d, 0, sizeof d);
	d.tl = tl;
	d.app = app;
	d.died_us = died_us;
	d.seen = disconnect != NULL;
	d.disconnect = disconnect;
	d.new_pid = new_pid;
	d.seen_us = disconnect ? disconnect->time_us : (tl->now_us > died_us ? tl->now_us : died_us);
	/* a termination is judged on the lines up to its grace, however long the verdict waited
	 * (live, for the phone's report): the same verdict at any speed */
	if (app->ended_by_termination && d.seen_us > died_us + TERMINATION_GRACE)
		d.seen_us = died_us + TERMINATION_GRACE;
	d.from_us = app->call_start_us ? app->call_start_us : died_us - EVIDENCE_WINDOW;
	if (died_us - d.from_us > EVIDENCE_WINDOW * 20)
		d.from_us = died_us - EVIDENCE_WINDOW * 20;

	find_report(&d);
	struct drop start = d;
	enum cs_cause cause = CS_CAUSE_unknown;
	size_t winner = NCAUSE_RULES - 1;
	for (size_t i = 0; i < NCAUSE_RULES; i++) {
		if (cause_rules[i].test(&d, &cause_rules[i])) {
			cause = cause_rules[i].cause;
			winner = i;
			break;
		}
	}
	add_context(&d);
	if (!d.seen && d.confidence > 0.5)
		d.confidence -= 0.1;	/* inferred: nothing from the app confirmed the drop */
	struct cs_alternative alts[CS_MAX_ALTERNATIVES];
	size_t nalts = find_alternatives(&start, winner, d.confidence, alts);
	if (d.report && d.victim->cause == cause) {	/* the flag names the report it stands on */
		tl->flag_report = d.report;
		tl->flag_victim = d.victim;
	}
	emit_flag(tl, app, cause, d.confidence, died_us, line, !d.seen, &d.evidence, d.detail, alts,
	    nalts);
	tl->flag_report = NULL;
}

/* ---------------------------------------------------------------- warnings */

static int
version_cmp(const char *a, const char *b)
{
	while (*a || *b) {
		long x = strtol(a, (char **)&a, 10), y = strtol(b, (char **)&b, 10);
		if (x != y)
			return x < y ? -1 : 1;
		if (*a == '.')
			a++;
		if (*b == '.')
			b++;
		if ((*a < '0' || *a > '9') && (*b < '0' || *b > '9'))
			break;
	}
	return 0;
}

static void
warn_once(struct cs_timeline *tl, struct tl_app *app, enum cs_cause cause, const struct tl_event *ev,
    double confidence, const char *detail)
{
	if (app->warned[cause])
		return;
	app->warned[cause] = true;
	struct evidence_set set = { 0 };
	evidence_add(&set, ev);
	emit_flag(tl, app, cause, confidence, ev ? ev->time_us : tl->now_us, ev ? ev->line : 0, false,
	    &set, detail, NULL, 0);
}

#define OLDEST_GOOD_SDK "2.21.3"

static void
check_warnings(struct cs_timeline *tl, struct tl_app *app, const struct cs_event *event,
    const struct tl_event *ev)
{
	char detail[256];
	switch (event->kind) {
	case CS_EV_camera_interrupted:
		if (app->state == APP_FOREGROUND && tl->screen != SCREEN_LOCKED)
			return;
		warn_once(tl, app, CS_CAUSE_camera_interrupted_background, ev, 0.9,
		    "the camera was interrupted while the app was in background; the call went on");
		return;
	case CS_EV_permission_denied:
		warn_once(tl, app, CS_CAUSE_permission_denied, ev, 0.9,
		    "the system denied microphone or camera access");
		return;
	case CS_EV_sdk_version: {
		const char *v = cs_event_attr(event, "version");
		if (v == NULL || version_cmp(v, OLDEST_GOOD_SDK) >= 0)
			return;
		snprintf(detail, sizeof detail, "OpenTok SDK %s is older than %s", v, OLDEST_GOOD_SDK);
		warn_once(tl, app, CS_CAUSE_outdated_sdk, ev, 0.95, detail);
		return;
	}
	default:
		return;
	}
}

static void
check_facts_warning(struct cs_timeline *tl, struct tl_app *app)
{
	const struct cs_app_facts *f = &app->facts;
	if (!f->known || (f->microphone_usage && f->camera_usage) || !app->under_test ||
	    app->facts_warned)
		return;
	app->facts_warned = true;
	char detail[256];
	snprintf(detail, sizeof detail, "the installed app has no %s%s%s in its Info.plist",
	    f->microphone_usage ? "" : "NSMicrophoneUsageDescription",
	    !f->microphone_usage && !f->camera_usage ? " and no " : "",
	    f->camera_usage ? "" : "NSCameraUsageDescription");
	app->warned[CS_CAUSE_permission_denied] = false;	/* facts_warned is the guard here */
	warn_once(tl, app, CS_CAUSE_permission_denied, NULL, 0.95, detail);
}

/* ---------------------------------------------------------------- state machine */

static bool
call_up(const struct tl_app *app)
{
	return app->call == CALL_CONNECTED || app->call == CALL_RECONNECTING;
}

static void
start_pending(struct tl_app *app, const struct tl_event *ev)
{
	if (app->pending || !call_up(app))
		return;
	app->pending = true;
	app->pending_us = ev->time_us;
	app->pending_line = ev->line;
	app->resumed_us = 0;
}

/* the call ended: seen (disconnect != NULL) or inferred */
static void
call_dropped_as(struct cs_timeline *tl, struct tl_app *app, const struct tl_event *disconnect,
    int64_t died_us, uint64_t line, long new_pid)
{
	if (app->pending) {
		died_us = app->pending_us;
		line = disconnect ? disconnect->line : app->pending_line;
	}
	app->pending = false;
	app->terminated_us = 0;
	app->call = CALL_DISCONNECTED;
	app->remote_gone_us = 0;
	if (app->under_test)
		diagnose(tl, app, died_us, line, disconnect, new_pid);
}

static void
call_dropped(struct cs_timeline *tl, struct tl_app *app, const struct tl_event *disconnect,
    int64_t died_us, uint64_t line)
{
	call_dropped_as(tl, app, disconnect, died_us, line, 0);
}

/*
 * A new instance of the app under test (another pid for the same bundle or executable, or a
 * launch) while its call was up: the old one is gone, and the call with it - even when nothing
 * said why. The drop is timed at the old instance's last line.
 */
static void
check_new_instance(struct cs_timeline *tl, struct tl_app *app, long pid, bool launched,
    uint64_t line)
{
	if (!app->under_test || !(call_up(app) || app->pending))
		return;
	if (!launched && (pid <= 0 || app->pid <= 0 || pid == app->pid))
		return;
	if (app->terminated_us) {	/* its end was seen: that is the drop, decided now */
		settle_pending(tl, app);
		return;
	}
	int64_t died = app->pending ? app->pending_us : app->last_log_us ? app->last_log_us : tl->now_us;
	call_dropped_as(tl, app, NULL, died, app->pending ? app->pending_line : line, pid);
	app->state = APP_GONE;
}

static void
settle_pending(struct cs_timeline *tl, struct tl_app *app)
{
	if (app->terminated_us) {
		int64_t at = app->terminated_us;
		app->terminated_us = 0;
		tl->reports_done = false;	/* the next kill waits for its report again */
		if (call_up(app) || app->pending) {
			app->ended_by_termination = true;
			call_dropped(tl, app, NULL, at, app->terminated_line);
			app->ended_by_termination = false;
		}
		return;
	}
	if (!app->pending)
		return;
	call_dropped(tl, app, NULL, app->pending_us, app->pending_line);
}

static void
on_call_event(struct cs_timeline *tl, struct tl_app *app, const struct cs_event *event,
    const struct tl_event *ev)
{
	app->call_seen = true;
	if (tl->app_opt[0] == '\0' || names_app_option(tl, app))
		set_under_test(tl, app);
	if (app->under_test && !app->anonymous)
		adopt_anonymous(tl, app);
	switch (event->kind) {
	case CS_EV_call_connecting:
		if (!call_up(app)) {
			app->call = CALL_CONNECTING;
			app->call_start_us = ev->time_us;
		}
		break;
	case CS_EV_call_connected:
		if (app->call != CALL_CONNECTED && app->call != CALL_RECONNECTING) {
			if (app->call != CALL_CONNECTING)
				app->call_start_us = ev->time_us;
			memset(app->warned, 0, sizeof app->warned);
		}
		app->pending = false;
		app->call = CALL_CONNECTED;
		break;
	case CS_EV_call_reconnecting:
		if (app->call != CALL_DISCONNECTED)
			app->call = CALL_RECONNECTING;
		break;
	case CS_EV_call_reconnected:
		if (app->call == CALL_RECONNECTING || app->pending) {
			app->pending = false;
			app->call = CALL_CONNECTED;
		}
		break;
	case CS_EV_call_disconnected:
		if (call_up(app) || app->pending) {
			call_dropped(tl, app, ev, ev->time_us, ev->line);
		} else if (app->call == CALL_NONE) {	/* the capture began mid-call */
			app->call = CALL_CONNECTED;
			call_dropped(tl, app, ev, ev->time_us, ev->line);
		} else {	/* a failed connect, or the rest of a burst already flagged */
			app->call = CALL_DISCONNECTED;
		}
		break;
	case CS_EV_call_error:
		/* 1022 OTConnectionDropped is the mid-call drop itself */
		if (ev->code == 1022 && (call_up(app) || app->pending))
			call_dropped(tl, app, ev, ev->time_us, ev->line);
		else if (app->call == CALL_CONNECTING)
			app->call = CALL_DISCONNECTED;
		break;
	case CS_EV_remote_stream_gone:
		if (call_up(app)) {
			app->remote_gone_us = ev->time_us;
			app->remote_gone_line = ev->line;
		}
		break;
	default:
		break;
	}
}

/* live: a kill of the app under test waits for the phone's report until the fetch is over */
static bool
awaiting_report(const struct cs_timeline *tl, const struct tl_app *app)
{
	return tl->opt.await_reports && !tl->reports_done && app->under_test;
}

static void
on_app_event(struct cs_timeline *tl, struct tl_app *app, const struct cs_event *event,
    const struct tl_event *ev)
{
	switch (event->kind) {
	case CS_EV_app_launched:
	case CS_EV_app_foreground:
	case CS_EV_app_resumed:
		if (event->kind != CS_EV_app_resumed || app->state == APP_SUSPENDED)
			app->state = event->kind == CS_EV_app_resumed ? APP_BACKGROUND : APP_FOREGROUND;
		if (app->pending && app->resumed_us == 0)
			app->resumed_us = ev->time_us;
		break;
	case CS_EV_app_background:
		if (app->state != APP_SUSPENDED && app->state != APP_GONE)
			app->state = APP_BACKGROUND;
		break;
	case CS_EV_app_suspended:
		app->state = APP_SUSPENDED;
		start_pending(app, ev);
		break;
	case CS_EV_app_terminated:
		/* wait a moment: the exit reason (crash signal, jetsam, watchdog) often follows */
		app->state = APP_GONE;
		if ((call_up(app) || app->pending) && app->terminated_us == 0) {
			app->terminated_us = ev->time_us;
			app->terminated_line = ev->line;
		}
		break;
	case CS_EV_app_killed_jetsam:
	case CS_EV_app_killed_watchdog:
	case CS_EV_app_crashed:
		/* settled TERMINATION_GRACE later in the log's time (or when the phone's report came,
		 * live): the same lines are seen whatever the speed, and a second tool's line about the
		 * same kill counts once */
		app->state = APP_GONE;
		if ((call_up(app) || app->pending) && app->terminated_us == 0) {
			app->terminated_us = ev->time_us;
			app->terminated_line = ev->line;
		}
		break;
	case CS_EV_audio_active:
	case CS_EV_callkit_audio_activated:
		app->audio = AUDIO_ACTIVE;
		break;
	case CS_EV_audio_interruption_began:
		app->audio = AUDIO_INTERRUPTED;
		break;
	case CS_EV_audio_inactive:
	case CS_EV_callkit_audio_deactivated:
		app->audio = AUDIO_INACTIVE;
		break;
	default:
		break;
	}
}

static bool
device_wide(enum cs_event_kind kind)
{
	enum cs_lane lane = cs_event_lane(kind);
	return lane == CS_LANE_screen || lane == CS_LANE_link || kind == CS_EV_network_up ||
	    kind == CS_EV_network_down;
}

static void
on_device_event(struct cs_timeline *tl, const struct cs_event *event)
{
	switch (event->kind) {
	case CS_EV_screen_locked:
	case CS_EV_lock_button:
		tl->screen = SCREEN_LOCKED;
		break;
	case CS_EV_screen_unlocked:
		tl->screen = SCREEN_UNLOCKED;
		break;
	case CS_EV_network_down:
		tl->network_down = true;
		break;
	case CS_EV_network_up:
		tl->network_down = false;
		break;
	default:
		break;
	}
}

static long
attr_long(const struct cs_event *event, const char *name)
{
	const char *v = cs_event_attr(event, name);
	return v ? strtol(v, NULL, 0) : 0;
}

/* An error code: the `code` attribute, or an OSStatus FourCC ('!pri') in `reason` as its number. */
static long
event_code(const struct cs_event *event)
{
	long code = attr_long(event, "code");
	const char *r = cs_event_attr(event, "reason");
	if (code == 0 && r && strlen(r) == 4)
		code = (long)((unsigned long)(unsigned char)r[0] << 24 | (unsigned long)(unsigned char)r[1] << 16 |
		    (unsigned long)(unsigned char)r[2] << 8 | (unsigned long)(unsigned char)r[3]);
	return code;
}

/*
 * Helper processes are not the app: a WKWebView's WebContent, the networking and GPU processes,
 * app extensions. Their call lines are the host app's (attributed as headerless lines are).
 */
static bool
is_helper_process(const char *name)
{
	static const char *const parts[] = {
		"com.apple.WebKit", "WebContent", "WebKit.Networking", "WebKit.GPU", ".appex",
		"Extension", "NotificationService", "BroadcastUpload", "BroadcastSetupUI", "Widget",
	};
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
		if (strstr(name, parts[i]) != NULL)
			return true;
	return false;
}

static bool
attr_says_suspended(const struct cs_event *event)
{
	const char *keys[] = { "reason", "type", "options", "state" };
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		const char *v = cs_event_attr(event, keys[i]);
		if (v && (strcasestr(v, "suspend") || (strcmp(keys[i], "reason") == 0 && strcmp(v, "1") == 0)))
			return true;
	}
	return false;
}

static void
condense_reason(const struct cs_event *event, char *out, size_t outlen)
{
	out[0] = '\0';
	const char *keys[] = { "reason", "type", "state", "version", "domain" };
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		const char *v = cs_event_attr(event, keys[i]);
		if (v && v[0]) {
			cs_strlcpy(out, v, outlen);
			return;
		}
	}
}

static void timeline_event(struct cs_timeline *tl, const struct cs_event *event);
static void report_states(struct cs_timeline *tl, const struct cs_line *line);

void
cs_timeline_event(struct cs_timeline *tl, const struct cs_event *event)
{
	tl->lines_slow = true;
	timeline_event(tl, event);
	report_states(tl, event->line);
}

static void
timeline_event(struct cs_timeline *tl, const struct cs_event *event)
{
	const struct cs_line *line = event->line;
	if (!(line->flags & CS_LINE_NO_TIME) && line->time_us > tl->now_us)
		tl->now_us = line->time_us;
	if (tl->device[0] == '\0')
		cs_strlcpy(tl->device, line->udid[0] ? line->udid : line->device, sizeof tl->device);

	char reason[40];
	condense_reason(event, reason, sizeof reason);
	long code = event_code(event);
	bool was_suspended = (event->kind == CS_EV_audio_interruption_began ||
	    event->kind == CS_EV_audio_inactive) && attr_says_suspended(event);

	if (device_wide(event->kind)) {
		ring_push(&tl->ring, event, reason, code, was_suspended, false);
		on_device_event(tl, event);
		/* an app's own lock callback (protected data) is also the app's evidence */
		if (!(event->kind == CS_EV_screen_locked || event->kind == CS_EV_screen_unlocked))
			return;
	}

	const char *bundle = cs_event_attr(event, "bundle");
	const char *process = cs_event_attr(event, "process");
	const char *target = cs_event_attr(event, "target");
	long pid = attr_long(event, "pid");
	bool about_other = (bundle && bundle[0]) || (process && process[0]) || pid > 0;
	struct tl_app *app = NULL;
	/* a system line about "the call's app" that names none (callservicesd's identities are
	 * <private>): the app under test's, if there is one */
	if (!about_other && target && strcmp(target, "call_app") == 0) {
		if ((app = (struct tl_app *)focus_app(tl)) == NULL)
			return;
		about_other = true;
	}
	if (!about_other) {	/* the app's own line */
		process = line->process;
		pid = line->pid;
		bool headerless = process[0] == '\0' && pid <= 0;
		if (device_wide(event->kind) && (headerless || find_app(tl, NULL, pid, process) == NULL))
			return;	/* a system daemon's screen line: not an app's */
		if (headerless || is_helper_process(process)) {
			app = (struct tl_app *)focus_app(tl);
			if (app == NULL && !headerless && tl->front >= 0 && tl->apps[tl->front].used)
				app = &tl->apps[tl->front];	/* a helper of the app in front */
			if (app == NULL && (app = anonymous_app(tl)) == NULL) {
				app = get_app(tl, NULL, -1, NULL);
				app->anonymous = true;
			}
		}
	}
	if (app == NULL) {
		struct tl_app *known = find_app(tl, bundle, pid, process);
		if (known)
			check_new_instance(tl, known, pid, event->kind == CS_EV_app_launched && about_other,
			    line->number);
		app = get_app(tl, bundle, pid, process);
	}
	/* the system shows the app in front: the phone is unlocked, whether or not a line said so */
	if (about_other && (event->kind == CS_EV_app_foreground || event->kind == CS_EV_app_launched)) {
		if (event->kind == CS_EV_app_foreground)
			tl->screen = SCREEN_UNLOCKED;
		tl->front = (int)(app - tl->apps);
	}
	ring_push(&app->ring, event, reason, code, was_suspended, !about_other);
	const struct tl_event *ev = ring_at(&app->ring, app->ring.count - 1);

	if (!about_other)
		note_sdk(tl, app, event);
	switch (event->kind) {
	case CS_EV_call_connecting: case CS_EV_call_connected: case CS_EV_call_reconnecting:
	case CS_EV_call_reconnected: case CS_EV_call_disconnected: case CS_EV_call_error:
	case CS_EV_remote_stream_gone: case CS_EV_sdk_version:
		if (!about_other)
			on_call_event(tl, app, event, ev);
		break;
	default:
		on_app_event(tl, app, event, ev);
		break;
	}
	if (app->under_test || tl->app_opt[0] == '\0')
		check_warnings(tl, app, event, ev);
}


/* Tell the state callback which lanes changed since the last report. */
static void
report_states(struct cs_timeline *tl, const struct cs_line *line)
{
	if (tl->opt.state == NULL)
		return;
	static const enum cs_lane lanes[] = {
		CS_LANE_screen, CS_LANE_app, CS_LANE_audio, CS_LANE_call, CS_LANE_network
	};
	const struct tl_app *a = focus_app(tl);
	for (size_t i = 0; i < sizeof lanes / sizeof lanes[0]; i++) {
		const char *state = lane_state(tl, a, lanes[i]);
		if (state == tl->reported[lanes[i]])
			continue;
		if (tl->reported[lanes[i]] == NULL &&
		    cs_state_find(lanes[i], state) == cs_lane_default_state(lanes[i])) {
			tl->reported[lanes[i]] = state;	/* nothing to say yet */
			continue;
		}
		tl->reported[lanes[i]] = state;
		struct cs_state_change c = {
			.lane = lanes[i], .state = state, .time_us = line->time_us, .line = line->number,
			.device = tl->device, .app = a ? app_name(a) : "",
		};
		tl->opt.state(&c, tl->ctx);
	}
}

/* Time moves on with every line: settle what waited for it. */
/* After a full pass of cs_timeline_line: what the next lines need to know to skip it. */
static void
lines_quiet_path(struct cs_timeline *tl)
{
	int64_t due = INT64_MAX;
	bool slow = false;
	int n = 0;
	uint64_t bits = 0;
	for (uint64_t rest = tl->tested; rest != 0; rest &= rest - 1) {
		int i = __builtin_ctzll(rest);
		const struct tl_app *a = &tl->apps[i];
		if (!a->used || !a->under_test)
			continue;
		tl->line_pid[n] = a->pid;
		tl->line_app[n++] = i;
		bits |= UINT64_C(1) << ((unsigned long)a->pid % 64);
		slow = slow || a->facts_due;
		/* the full pass acts when now_us - t > grace, i.e. when now_us > t + grace */
		if (a->terminated_us) {
			int64_t t = a->terminated_us +
			    (awaiting_report(tl, a) ? REPORT_WAIT : TERMINATION_GRACE);
			due = t < due ? t : due;
		}
		if (a->pending && a->resumed_us && a->resumed_us + RESUME_GRACE < due)
			due = a->resumed_us + RESUME_GRACE;
		if (a->remote_gone_us && a->remote_gone_us + REMOTE_LEFT_GRACE < due)
			due = a->remote_gone_us + REMOTE_LEFT_GRACE;
	}
	tl->nline_apps = n;
	tl->line_pid_bits = bits;
	tl->lines_due_us = due;
	tl->lines_slow = slow;
}

static void lines_full_pass(struct cs_timeline *tl, const struct cs_line *line);

void
cs_timeline_line(struct cs_timeline *tl, const struct cs_line *line)
{
	if (!(line->flags & CS_LINE_NO_TIME) && line->time_us > tl->now_us)
		tl->now_us = line->time_us;
	if (!(line->flags & CS_LINE_NO_TIME) && line->device_us != 0)
		tl->clock_offset_us = line->time_us - line->device_us;
	if (tl->device[0] == '\0' && (line->udid[0] || line->device[0]))
		cs_strlcpy(tl->device, line->udid[0] ? line->udid : line->device, sizeof tl->device);
	if (tl->device_name[0] == '\0' && line->device[0])
		cs_strlcpy(tl->device_name, line->device, sizeof tl->device_name);
	if (!tl->lines_slow && tl->now_us <= tl->lines_due_us) {
		/* the full pass below would only set last_log_us: no grace has run out, no facts are
		 * due, and nothing changed since it last ran */
		if (line->pid > 0 && ((tl->line_pid_bits >> ((unsigned long)line->pid % 64)) & 1))
			for (int k = 0; k < tl->nline_apps; k++)
				if (tl->line_pid[k] == line->pid)
					tl->apps[tl->line_app[k]].last_log_us = line->time_us;
		return;
	}
	lines_full_pass(tl, line);
}

/* cs_timeline_line's pass over the apps under test (apart, so that the quiet path, nearly every
 * line, pays for no more than it uses) */
static void __attribute__((noinline))
lines_full_pass(struct cs_timeline *tl, const struct cs_line *line)
{
	uint64_t flags_before = tl->flags;
	/* in index order, as a loop over every app would go (tl->tested read afresh: settling one
	 * app may put a later one under test) */
	for (int i = 0; i < MAX_APPS; i++) {
		uint64_t rest = tl->tested >> i;
		if (rest == 0)
			break;
		i += __builtin_ctzll(rest);
		struct tl_app *a = &tl->apps[i];
		if (!a->used || !a->under_test) {
			tl->tested &= ~(UINT64_C(1) << i);
			continue;
		}
		/* (a new instance is noticed by its events, not here: a line the scan did not build
		 * has no process name, and the verdict must not depend on the scan) */
		if (line->pid > 0 && line->pid == a->pid)
			a->last_log_us = line->time_us;
		if (a->facts_due) {
			a->facts_due = false;
			check_facts_warning(tl, a);
		}
		if (a->terminated_us && tl->now_us - a->terminated_us >
		    (awaiting_report(tl, a) ? REPORT_WAIT : TERMINATION_GRACE))
			settle_pending(tl, a);
		if (a->pending && a->resumed_us && tl->now_us - a->resumed_us > RESUME_GRACE)
			settle_pending(tl, a);
		if (a->remote_gone_us && tl->now_us - a->remote_gone_us > REMOTE_LEFT_GRACE) {
			if (call_up(a)) {
				const struct tl_event *ev = last_of(&a->ring, KINDS(CS_EV_remote_stream_gone),
				    a->remote_gone_us, a->remote_gone_us);
				warn_once(tl, a, CS_CAUSE_remote_party_left, ev, 0.8,
				    "the other side's stream went away while this session stayed connected");
			}
			a->remote_gone_us = 0;
		}
	}
	if (tl->flags != flags_before)
		report_states(tl, line);
	lines_quiet_path(tl);
}

void
cs_timeline_app_facts(struct cs_timeline *tl, const char *bundle, const struct cs_app_facts *f)
{
	tl->lines_slow = true;
	cs_strlcpy(tl->facts_bundle, bundle, sizeof tl->facts_bundle);
	tl->facts = *f;
	tl->facts.known = true;
	struct tl_app *app = find_app(tl, bundle, -1, NULL);
	if (app == NULL && names_app_option_str(tl, bundle))
		app = get_app(tl, bundle, -1, NULL);
	if (app) {
		app->facts = tl->facts;
		app->facts_due = true;	/* checked at the next line, which gives the warning its time */
	}
}

void
cs_timeline_finish(struct cs_timeline *tl)
{
	tl->lines_slow = true;
	for (int i = 0; i < MAX_APPS; i++) {
		struct tl_app *a = &tl->apps[i];
		if (a->used && a->under_test) {
			settle_pending(tl, a);
			check_facts_warning(tl, a);
		}
	}
}

static const struct tl_app *
focus_app(const struct cs_timeline *tl)
{
	const struct tl_app *best = NULL;
	/* the apps under test are among tl->tested's bits: visited in index order, as all would be */
	for (int i = 0; i < MAX_APPS; i++) {
		uint64_t rest = tl->tested >> i;
		if (rest == 0)
			break;
		i += __builtin_ctzll(rest);
		const struct tl_app *a = &tl->apps[i];
		if (a->used && a->under_test && (best == NULL || a->last_seen > best->last_seen))
			best = a;
	}
	return best;
}

const char *
cs_timeline_app(const struct cs_timeline *tl)
{
	const struct tl_app *a = focus_app(tl);
	return a ? app_name(a) : "";
}

const char *
cs_timeline_sdk(const struct cs_timeline *tl)
{
	return app_sdk(tl, focus_app(tl));
}

void
cs_timeline_set_rules(struct cs_timeline *tl, const struct cs_rules *rules)
{
	tl->lines_slow = true;
	tl->opt.rules = rules;
}

const char *
cs_timeline_lane_state(const struct cs_timeline *tl, enum cs_lane lane)
{
	return lane_state(tl, focus_app(tl), lane);
}

/* A lane's state with a the app in focus (focus_app's answer, looked up once by the caller). */
static const char *
lane_state(const struct cs_timeline *tl, const struct tl_app *a, enum cs_lane lane)
{
	switch (lane) {
	case CS_LANE_screen:
		return cs_state_name(tl->screen == SCREEN_LOCKED ? CS_ST_screen_locked
		    : tl->screen == SCREEN_UNLOCKED ? CS_ST_screen_unlocked : CS_ST_screen_unknown);
	case CS_LANE_network:
		return cs_state_name(tl->network_down ? CS_ST_network_down : CS_ST_network_up);
	case CS_LANE_app:
		return cs_state_name(a ? app_states[a->state] : CS_ST_app_unknown);
	case CS_LANE_audio:
		return cs_state_name(a ? audio_states[a->audio] : CS_ST_audio_unknown);
	case CS_LANE_call:
		return cs_state_name(a ? call_states[a->call] : CS_ST_call_none);
	default:
		return "";
	}
}

const char *
cs_timeline_device(const struct cs_timeline *tl)
{
	return tl->device_name;
}

int64_t
cs_timeline_now(const struct cs_timeline *tl)
{
	return tl->now_us;
}

uint64_t
cs_timeline_flag_count(const struct cs_timeline *tl)
{
	return tl->flags;
}

void
cs_timeline_report(struct cs_timeline *tl, const struct cs_crash_report *report)
{
	tl->lines_slow = true;
	if (tl->nreports == MAX_REPORTS) {	/* the oldest goes */
		free(tl->reports[0]);
		memmove(tl->reports, tl->reports + 1, (MAX_REPORTS - 1) * sizeof tl->reports[0]);
		tl->nreports--;
	}
	struct cs_crash_report *copy = cs_xmalloc(sizeof *copy);
	*copy = *report;
	tl->reports[tl->nreports++] = copy;
	/* a kill waiting for this report is decided now */
	for (int i = 0; i < MAX_APPS; i++) {
		struct tl_app *a = &tl->apps[i];
		if (a->used && a->under_test && a->terminated_us &&
		    cs_crash_report_victim(copy, a->bundle, a->process, a->pid))
			settle_pending(tl, a);
	}
}

void
cs_timeline_reports_done(struct cs_timeline *tl)
{
	/* the fetch is over: the kill is settled now (a quiet phone sends no line to wait for; the
	 * verdict still reads only the lines up to the kill's grace, see diagnose());
	 * settle_pending() re-arms the wait for the next kill */
	tl->lines_slow = true;
	tl->reports_done = true;
	for (int i = 0; i < MAX_APPS; i++) {
		struct tl_app *a = &tl->apps[i];
		if (a->used && a->under_test && a->terminated_us)
			settle_pending(tl, a);
	}
	tl->reports_done = false;
}

struct cs_timeline *
cs_timeline_new(const struct cs_timeline_options *options, cs_flag_cb cb, void *ctx)
{
	struct cs_timeline *tl = cs_xcalloc(1, sizeof *tl);
	tl->lines_slow = true;
	if (options)
		tl->opt = *options;
	if (options && options->app)
		cs_strlcpy(tl->app_opt, options->app, sizeof tl->app_opt);
	if (options && options->sdk)
		cs_strlcpy(tl->sdk_opt, options->sdk, sizeof tl->sdk_opt);
	tl->opt.sdk = tl->sdk_opt;
	if (options && options->device)
		cs_strlcpy(tl->device, options->device, sizeof tl->device);
	tl->opt.app = tl->app_opt;
	tl->cb = cb;
	tl->ctx = ctx;
	for (int i = 0; i < MAX_APPS; i++)
		tl->apps[i].pid = -1;
	tl->front = -1;
	return tl;
}

void
cs_timeline_free(struct cs_timeline *tl)
{
	if (tl == NULL)
		return;
	ring_free(&tl->ring);
	for (int i = 0; i < MAX_APPS; i++)
		ring_free(&tl->apps[i].ring);
	for (size_t i = 0; i < tl->nreports; i++)
		free(tl->reports[i]);
	free(tl);
}

/*
 * model.c - what the TUI knows, built from the daemon's records alone (docs/protocol.md): devices,
 * their lanes as lists of state changes (a span runs from one change to the next), and one
 * time-sorted list of items (events, flags, marks) per device that the views draw. Memory is
 * bounded: past a cap per device the oldest items and changes are dropped. The subscribe snapshot,
 * the history answer and the live stream overlap, so every insert drops exact duplicates.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tui.h"

/* ---------------------------------------------------------------- the shared lists */

/* A state's colour is its tone's (states.def): the same meaning as the HTML report's colours. */
enum tui_colour
tui_state_colour(int state)
{
	static const enum tui_colour tone_colour[CS_TONE_COUNT] = {
		[CS_TONE_none] = COL_DIM, [CS_TONE_good] = COL_GREEN, [CS_TONE_note] = COL_CYAN,
		[CS_TONE_warn] = COL_YELLOW, [CS_TONE_bad] = COL_RED, [CS_TONE_dark] = COL_BLUE,
	};
	return state >= 0 && state < CS_STATE_COUNT ? tone_colour[cs_states[state].tone] : COL_NONE;
}

/* labels and advice for the names records carry (common/names.c), or NULL for a name this build
 * does not know (a newer daemon's) */
const char *
tui_event_label(const char *kind)
{
	int k = kind ? cs_event_from_name(kind) : -1;
	return k < 0 ? NULL : cs_event_label((enum cs_event_kind)k);
}

const char *
tui_cause_label(const char *cause)
{
	int c = cause ? cs_cause_from_name(cause) : -1;
	return c < 0 ? NULL : cs_cause_label((enum cs_cause)c);
}

const char *
tui_cause_advice(const char *cause)
{
	int c = cause ? cs_cause_from_name(cause) : -1;
	return c < 0 ? NULL : cs_cause_advice((enum cs_cause)c);
}

/* ---------------------------------------------------------------- time */

/* a record's ISO time (common/time.c, the daemon's own parser) -> ms since the epoch; 0 if malformed */
int64_t
tui_parse_time(const char *s)
{
	int64_t us;
	if (s == NULL || cs_parse_iso_time(s, &us, NULL, 0) < 0)
		return 0;
	return us / 1000;
}

/* local wall-clock time, as the person beside the phone reads it */
void
tui_format_time(int64_t t, char *buf, size_t len, bool ms)
{
	time_t secs = (time_t)(t / 1000);
	struct tm tm;
	localtime_r(&secs, &tm);
	if (ms)
		snprintf(buf, len, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec,
		    (int)(t % 1000));
	else
		snprintf(buf, len, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* ---------------------------------------------------------------- json helpers */

static const char *
jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static long
jint(json_t *o, const char *key, long dflt)
{
	json_t *v = json_object_get(o, key);
	if (json_is_integer(v))
		return (long)json_integer_value(v);
	if (json_is_string(v))
		return strtol(json_string_value(v), NULL, 10);
	return dflt;
}

static char *
xstrdup(const char *s)
{
	return s == NULL ? NULL : cs_xstrdup(s);
}

static void
set_str(char **dst, const char *s)
{
	if (s == NULL || (*dst != NULL && strcmp(*dst, s) == 0))
		return;
	free(*dst);
	*dst = strdup(s);
}

/* A record's "sdk" (flags, app records): "" means unknown, as absent does. */
static const char *
record_sdk(json_t *rec)
{
	const char *sdk = jstr(rec, "sdk");
	return sdk != NULL && sdk[0] ? sdk : NULL;
}

/* ---------------------------------------------------------------- devices */

static void
item_free(struct tui_item *it)
{
	if (it == NULL)
		return;
	for (size_t i = 0; i < it->nev; i++) {
		free(it->ev[i].kind);
		free(it->ev[i].text);
	}
	free(it->ev);
	for (size_t i = 0; i < it->nreports; i++)
		free(it->reports[i]);
	free(it->reports);
	for (size_t i = 0; i < it->nalts; i++)
		free(it->alts[i]);
	free(it->alts);
	free(it->kind);
	free(it->text);
	free(it->label);
	free(it->detail);
	free(it->advice);
	free(it->sdk);
	free(it);
}

static void
device_free(struct tui_device *d)
{
	for (size_t i = 0; i < d->nitems; i++)
		item_free(d->items[i]);
	free(d->items);
	for (int l = 0; l < NLANES; l++)
		free(d->lanes[l].v);
	free(d->id);
	free(d->name);
	free(d->ios);
	free(d->product);
	free(d->link);
	free(d->app);
	free(d->bgmodes);
	free(d->sdk);
	memset(d, 0, sizeof *d);
}

void
model_init(struct tui_model *m, size_t cap_items)
{
	memset(m, 0, sizeof *m);
	m->cap_items = cap_items ? cap_items : TUI_ITEMS_PER_DEVICE;
}

void
model_clear(struct tui_model *m)
{
	for (size_t i = 0; i < m->ndev; i++)
		device_free(&m->dev[i]);
	free(m->app_hint);
	size_t cap = m->cap_items;
	uint64_t seq = m->next_seq;
	model_init(m, cap);
	m->next_seq = seq;
}

struct tui_device *
model_device(struct tui_model *m, const char *id, bool create)
{
	if (id == NULL)
		id = "";
	for (size_t i = 0; i < m->ndev; i++)
		if (strcmp(m->dev[i].id, id) == 0)
			return &m->dev[i];
	if (!create || m->ndev == TUI_MAX_DEVICES)
		return NULL;
	struct tui_device *d = &m->dev[m->ndev++];
	memset(d, 0, sizeof *d);
	d->id = strdup(id);
	d->daemon_flags = -1;
	if (m->app_hint != NULL)
		d->app = strdup(m->app_hint);
	return d;
}

static void
extent(struct tui_device *d, int64_t t)
{
	if (t == 0)
		return;
	if (d->tmin == 0 || t < d->tmin)
		d->tmin = t;
	if (t > d->tmax)
		d->tmax = t;
}

/* ---------------------------------------------------------------- lanes */

/* first change with time > t */
static size_t
lane_upper(const struct tui_lanebuf *lb, int64_t t)
{
	size_t lo = 0, hi = lb->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (lb->v[mid].t <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int
model_lane_at(const struct tui_device *d, int lane, int64_t t)
{
	if (lane < 0 || lane >= NLANES)
		return -1;
	const struct tui_lanebuf *lb = &d->lanes[lane];
	size_t i = lane_upper(lb, t);
	return i == 0 ? -1 : lb->v[i - 1].state;
}

static void
lane_add(struct tui_device *d, int lane, int64_t t, int state)
{
	struct tui_lanebuf *lb = &d->lanes[lane];
	size_t i = lane_upper(lb, t);
	/* a duplicate (snapshot + history) or no change at all: nothing to add */
	for (size_t j = i; j > 0 && lb->v[j - 1].t == t; j--)
		if (lb->v[j - 1].state == state)
			return;
	if (i > 0 && lb->v[i - 1].state == state)
		return;
	if (lb->n == TUI_CHANGES_PER_LANE) {
		size_t drop = TUI_CHANGES_PER_LANE / 10;
		memmove(lb->v, lb->v + drop, (lb->n - drop) * sizeof *lb->v);
		lb->n -= drop;
		i = i > drop ? i - drop : 0;
	}
	if (lb->n == lb->cap) {
		size_t cap = lb->cap ? lb->cap * 2 : 64;
		struct tui_change *v = realloc(lb->v, cap * sizeof *v);
		if (v == NULL)
			return;
		lb->v = v;
		lb->cap = cap;
	}
	memmove(lb->v + i + 1, lb->v + i, (lb->n - i) * sizeof *lb->v);
	lb->v[i] = (struct tui_change){ t, state };
	lb->n++;
	extent(d, t);
}

/* ---------------------------------------------------------------- items */

size_t
model_item_index(const struct tui_device *d, int64_t t)
{
	size_t lo = 0, hi = d->nitems;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (d->items[mid]->t <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool
same_item(const struct tui_item *a, const struct tui_item *b)
{
	if (a->type != b->type || a->t != b->t || a->line != b->line)
		return false;
	if (a->type != ITEM_EVENT)
		return a->id == b->id;
	return a->kind != NULL && b->kind != NULL && strcmp(a->kind, b->kind) == 0;
}

static void
count_flag(struct tui_device *d, const struct tui_item *it, int delta)
{
	if (it->type != ITEM_FLAG)
		return;
	if (it->disconnect)
		d->disconnects += delta;
	else
		d->warnings += delta;
}

static void
prune(struct tui_model *m, struct tui_device *d)
{
	size_t drop = m->cap_items / 10 + 1;
	if (drop > d->nitems)
		drop = d->nitems;
	for (size_t i = 0; i < drop; i++) {
		count_flag(d, d->items[i], -1);
		item_free(d->items[i]);
	}
	memmove(d->items, d->items + drop, (d->nitems - drop) * sizeof *d->items);
	d->nitems -= drop;
}

/* Insert, keeping time order (after items of the same time); takes it, frees a duplicate. */
static void
item_add(struct tui_model *m, struct tui_device *d, struct tui_item *it)
{
	size_t i = model_item_index(d, it->t);
	for (size_t j = i; j > 0 && d->items[j - 1]->t == it->t; j--)
		if (same_item(d->items[j - 1], it)) {
			item_free(it);
			return;
		}
	if (d->nitems >= m->cap_items) {
		prune(m, d);
		i = model_item_index(d, it->t);
	}
	if (d->nitems == d->capitems) {
		size_t cap = d->capitems ? d->capitems * 2 : 256;
		struct tui_item **v = realloc(d->items, cap * sizeof *v);
		if (v == NULL) {
			item_free(it);
			return;
		}
		d->items = v;
		d->capitems = cap;
	}
	memmove(d->items + i + 1, d->items + i, (d->nitems - i) * sizeof *d->items);
	d->items[i] = it;
	d->nitems++;
	it->seq = ++m->next_seq;
	count_flag(d, it, +1);
	extent(d, it->t);
}

static struct tui_item *
item_new(enum tui_item_type type, json_t *rec)
{
	struct tui_item *it = calloc(1, sizeof *it);
	if (it == NULL)
		return NULL;
	it->type = type;
	it->t = tui_parse_time(jstr(rec, "time"));
	it->line = jint(rec, "line", 0);
	it->lane = -1;
	return it;
}

/* ---------------------------------------------------------------- records */

static void
attrs_text(json_t *attrs, char *buf, size_t len)
{
	const char *key;
	json_t *v;
	size_t n = 0;
	buf[0] = '\0';
	json_object_foreach(attrs, key, v) {
		if (!json_is_string(v) || n >= len)
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%s%s=%s", n ? " " : "", key,
		    json_string_value(v));
	}
}

static int
on_event(struct tui_model *m, struct tui_device *d, json_t *rec)
{
	const char *kind = jstr(rec, "kind");
	if (kind == NULL)
		return -1;
	struct tui_item *it = item_new(ITEM_EVENT, rec);
	if (it == NULL)
		return -1;
	it->kind = strdup(kind);
	it->lane = cs_lane_find(jstr(rec, "lane"));
	char attrs[512], row[1024];
	attrs_text(json_object_get(rec, "attrs"), attrs, sizeof attrs);
	const char *label = tui_event_label(kind);
	const char *proc = jstr(rec, "process");
	long pid = jint(rec, "pid", 0);
	char who[128] = "";
	if (proc != NULL)
		snprintf(who, sizeof who, pid ? "%s[%ld]" : "%s", proc, pid);
	snprintf(row, sizeof row, "%-7s %-24s %s %s  (%s)", it->lane >= 0 && it->lane < NLANES ?
	    cs_lane_names[it->lane] : "-", kind, who, attrs, label ? label : kind);
	it->text = strdup(row);
	item_add(m, d, it);
	return 0;
}

static void
flag_evidence(struct tui_item *it, json_t *arr)
{
	size_t n = json_array_size(arr);
	if (n == 0 || (it->ev = calloc(n, sizeof *it->ev)) == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(arr, i);
		if (!json_is_object(e))
			continue;
		struct tui_evidence *ev = &it->ev[it->nev++];
		ev->line = jint(e, "line", 0);
		ev->t = tui_parse_time(jstr(e, "time"));
		ev->kind = xstrdup(jstr(e, "kind"));
		ev->text = xstrdup(jstr(e, "text"));
	}
}

/* "reports":[{"file","bug_type","reason","time"}]: one readable line each */
static void
flag_reports(struct tui_item *it, json_t *arr)
{
	size_t n = json_array_size(arr);
	if (n == 0 || (it->reports = calloc(n, sizeof *it->reports)) == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		json_t *r = json_array_get(arr, i);
		const char *file = jstr(r, "file"), *bug = jstr(r, "bug_type"), *reason = jstr(r, "reason");
		char tm[16] = "?", line[512];
		if (jstr(r, "time"))
			tui_format_time(tui_parse_time(jstr(r, "time")), tm, sizeof tm, true);
		snprintf(line, sizeof line, "%s (bug_type %s, %s): %s", file ? file : "?", bug ? bug : "?", tm,
		    reason ? reason : "");
		it->reports[it->nreports++] = xstrdup(line);
	}
}

/* "could also be": each runner-up cause as one line of text */
static void
flag_alternatives(struct tui_item *it, json_t *arr)
{
	size_t n = json_array_size(arr);
	if (n == 0 || (it->alts = calloc(n, sizeof *it->alts)) == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		json_t *a = json_array_get(arr, i);
		const char *cause = jstr(a, "cause"), *settle = jstr(a, "settle");
		json_t *conf = json_object_get(a, "confidence");
		if (cause == NULL)
			continue;
		char buf[512];
		snprintf(buf, sizeof buf, "%s (%.0f%%)%s%s", cause,
		    json_is_number(conf) ? json_number_value(conf) * 100 : 0.0,
		    settle && settle[0] ? ": to tell them apart, " : "", settle ? settle : "");
		it->alts[it->nalts++] = xstrdup(buf);
	}
}

static int
on_flag(struct tui_model *m, struct tui_device *d, json_t *rec)
{
	const char *cause = jstr(rec, "cause");
	if (cause == NULL)
		return -1;
	struct tui_item *it = item_new(ITEM_FLAG, rec);
	if (it == NULL)
		return -1;
	const char *sev = jstr(rec, "severity");
	json_t *conf = json_object_get(rec, "confidence");
	it->id = jint(rec, "id", 0);
	it->disconnect = sev == NULL || strcmp(sev, "warning") != 0;
	it->inferred = json_is_true(json_object_get(rec, "inferred"));
	it->confidence = json_is_number(conf) ? json_number_value(conf) : -1;
	it->kind = strdup(cause);
	const char *label = jstr(rec, "label");
	it->label = xstrdup(label ? label : tui_cause_label(cause));
	it->detail = xstrdup(jstr(rec, "detail"));
	const char *advice = jstr(rec, "advice");
	it->advice = xstrdup(advice ? advice : tui_cause_advice(cause));
	it->sdk = xstrdup(record_sdk(rec));
	set_str(&d->sdk, record_sdk(rec));
	flag_evidence(it, json_object_get(rec, "evidence"));
	flag_reports(it, json_object_get(rec, "reports"));
	flag_alternatives(it, json_object_get(rec, "alternatives"));
	char row[1024];
	snprintf(row, sizeof row, "%-7s %s  %s", it->disconnect ? "DROP" : "WARN", cause,
	    it->label ? it->label : "");
	it->text = strdup(row);
	set_str(&d->app, jstr(rec, "app"));
	item_add(m, d, it);
	return 0;
}

static int
on_mark(struct tui_model *m, struct tui_device *d, json_t *rec)
{
	struct tui_item *it = item_new(ITEM_MARK, rec);
	if (it == NULL)
		return -1;
	const char *note = jstr(rec, "note");
	it->id = jint(rec, "id", 0);
	it->label = strdup(note ? note : "");
	char row[512];
	snprintf(row, sizeof row, "%-7s %s", "MARK", it->label);
	it->text = strdup(row);
	item_add(m, d, it);
	return 0;
}

static int
on_state(struct tui_model *m, struct tui_device *d, json_t *rec)
{
	int lane = cs_lane_find(jstr(rec, "lane"));
	int64_t t = tui_parse_time(jstr(rec, "time"));
	if (lane < 0 || lane >= NLANES || t == 0)
		return -1;
	lane_add(d, lane, t, cs_state_find((enum cs_lane)lane, jstr(rec, "state")));
	set_str(&d->app, jstr(rec, "app"));
	return 0;
}

static int
on_device(struct tui_model *m, struct tui_device *d, json_t *rec)
{
	const char *state = jstr(rec, "state");
	set_str(&d->name, jstr(rec, "name"));
	set_str(&d->ios, jstr(rec, "product_version"));
	set_str(&d->product, jstr(rec, "product_type"));
	set_str(&d->link, state);
	int64_t t = tui_parse_time(jstr(rec, "time"));
	if (state != NULL && t != 0)
		lane_add(d, LANE_link, t, cs_state_find(CS_LANE_link, state));
	return 0;
}

static int
on_app(struct tui_model *m, struct tui_device *d, json_t *rec)
{
	json_t *modes = json_object_get(rec, "background_modes");
	set_str(&d->app, jstr(rec, "bundle"));
	set_str(&d->sdk, record_sdk(rec));
	if (json_is_array(modes)) {
		char buf[256] = "";
		size_t n = 0, i;
		json_t *v;
		json_array_foreach(modes, i, v)
			if (json_is_string(v) && n < sizeof buf)
				n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", n ? "," : "",
				    json_string_value(v));
		free(d->bgmodes);
		d->bgmodes = strdup(buf);
	}
	return 0;
}

static const struct {
	const char	*type;
	int		(*fn)(struct tui_model *, struct tui_device *, json_t *);
} handlers[] = {
	{ "event", on_event },
	{ "flag", on_flag },
	{ "state", on_state },
	{ "mark", on_mark },
	{ "device", on_device },
	{ "app", on_app },
};

int
model_apply(struct tui_model *m, json_t *rec)
{
	const char *type = jstr(rec, "type");
	if (type == NULL)
		return -1;
	if (strcmp(type, "summary") == 0) {
		set_str(&m->app_hint, jstr(rec, "app"));
		return 0;
	}
	for (size_t i = 0; i < sizeof handlers / sizeof handlers[0]; i++) {
		if (strcmp(handlers[i].type, type) != 0)
			continue;
		struct tui_device *d = model_device(m, jstr(rec, "device"), false);
		bool fresh = d == NULL;
		if (fresh && (d = model_device(m, jstr(rec, "device"), true)) == NULL)
			return -1;
		int r = handlers[i].fn(m, d, rec);
		if (r < 0 && fresh) {	/* a malformed record makes no device */
			device_free(d);
			m->ndev--;
		}
		return r;
	}
	return -1;
}

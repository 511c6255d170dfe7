/*
 * keys.c - what each key does, as one table of key -> command (the help overlay prints the same
 * table, so it cannot drift from the code), the prompt line of '/' and 'm', and the rules that keep
 * the cursor, the selected event and the visible window consistent with each other (lnav and less
 * habits: moving pauses the live follow, G or p resumes it).
 */
#include <ctype.h>
#include <limits.h>
#include <curses.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

#include "tui.h"

#define KEY_ESC		27
#define KEY_TAB		'\t'
#define CTRL(c)		((c) & 0x1f)
#define ZOOM_DEFAULT	3	/* tui_zooms[3]: 1 s a column */

/* ---------------------------------------------------------------- cursor and selection */

static int
plot_width(const struct tui *t)
{
	int w = t->lay.timeline.w - 9;
	return w < 10 ? 10 : w;
}

static void
select_index(struct tui *t, size_t i)
{
	struct tui_device *d = tui_device(t);
	if (d == NULL || d->nitems == 0)
		return;
	if (i >= d->nitems)
		i = d->nitems - 1;
	const struct tui_item *it = d->items[i];
	t->cursor = it->t;
	t->sel_seq = it->seq;
	if (it->type == ITEM_FLAG && it->id != t->detail_flag) {
		t->detail_flag = it->id;
		t->detail_scroll = 0;
	}
}

static void
pause_follow(struct tui *t)
{
	t->follow = false;
}

/* the zoom at which the whole capture fits the timeline */
static void
zoom_fit(struct tui *t)
{
	struct tui_device *d = tui_device(t);
	if (d == NULL || t->zoom_set || d->tmax == 0)
		return;
	int64_t span = d->tmax - d->tmin;
	t->zoom = ZOOM_DEFAULT;
	while ((size_t)t->zoom + 1 < tui_nzooms && span > tui_zooms[t->zoom] * (plot_width(t) - 2))
		t->zoom++;
}

void
keys_sync_view(struct tui *t)
{
	struct tui_device *d = tui_device(t);
	int64_t s = tui_zooms[t->zoom];
	int pw = plot_width(t);
	if (d == NULL)
		return;
	if (t->follow && d->tmax != 0) {
		t->cursor = d->tmax;
		if (d->nitems > 0)
			t->sel_seq = d->items[d->nitems - 1]->seq;
		t->view_t0 = t->cursor - (int64_t)(pw - 2) * s;
	} else if (t->cursor < t->view_t0 || t->cursor >= t->view_t0 + (int64_t)pw * s) {
		t->view_t0 = t->cursor - (int64_t)pw * s / 2;
	}
	/* everything fits: show it all, from the start */
	if (d->tmax - d->tmin < (int64_t)(pw - 2) * s && t->cursor >= d->tmin - s) {
		t->view_t0 = d->tmin - s;
		t->view_t0 -= ((t->view_t0 % s) + s) % s;
		return;
	}
	/* paused past the end (a wider terminal, a zoom out): the newest data at the right edge */
	int64_t fit = d->tmax - (int64_t)(pw - 2) * s;
	if (!t->follow && d->tmax != 0 && t->view_t0 > fit && t->view_t0 > d->tmin)
		t->view_t0 = fit > d->tmin - s ? fit : d->tmin - s;
	t->view_t0 -= ((t->view_t0 % s) + s) % s;	/* columns stay put as time flows */
}

/* ---------------------------------------------------------------- commands */

static void key_quit(struct tui *t)
{
	if (t->overlay != OVERLAY_NONE)
		t->overlay = OVERLAY_NONE;
	else
		t->quit = true;
}

static void key_help(struct tui *t)
{
	t->overlay = t->overlay == OVERLAY_HELP ? OVERLAY_NONE : OVERLAY_HELP;
}

static void
move_time(struct tui *t, int cols)
{
	struct tui_device *d = tui_device(t);
	if (d == NULL || d->tmax == 0)
		return;
	pause_follow(t);
	int64_t s = tui_zooms[t->zoom];
	t->cursor += cols * s;
	if (t->cursor < d->tmin)
		t->cursor = d->tmin;
	if (t->cursor > d->tmax)
		t->cursor = d->tmax;
	/* the event list follows: the last item in the cursor's column */
	size_t i = model_item_index(d, t->cursor + s - 1);
	if (i > 0)
		t->sel_seq = d->items[i - 1]->seq;
	if (i > 0 && d->items[i - 1]->type == ITEM_FLAG)
		t->detail_flag = d->items[i - 1]->id;
}

static void
move_rows(struct tui *t, int rows)
{
	if (t->overlay == OVERLAY_DEVICES) {
		if (rows < 0 && t->ovl_sel > 0)
			t->ovl_sel--;
		else if (rows > 0 && t->ovl_sel + 1 < t->model.ndev)
			t->ovl_sel++;
		return;
	}
	if (t->focus == PANE_DETAIL && t->lay.detail_shown) {
		t->detail_scroll += rows;
		if (t->detail_scroll < 0)
			t->detail_scroll = 0;
		return;
	}
	size_t i;
	if (tui_selected(t, &i) == NULL)
		return;
	pause_follow(t);
	if (rows < 0)
		select_index(t, (size_t)-rows > i ? 0 : i - (size_t)-rows);
	else
		select_index(t, i + (size_t)rows);
}

static void key_left(struct tui *t) { move_time(t, -1); }
static void key_right(struct tui *t) { move_time(t, 1); }
static void key_up(struct tui *t) { move_rows(t, -1); }
static void key_down(struct tui *t) { move_rows(t, 1); }
static void key_pgup(struct tui *t) { move_rows(t, -(t->lay.events.h > 3 ? t->lay.events.h - 2 : 1)); }
static void key_pgdown(struct tui *t) { move_rows(t, t->lay.events.h > 3 ? t->lay.events.h - 2 : 1); }

static void
key_start(struct tui *t)
{
	struct tui_device *d = tui_device(t);
	pause_follow(t);
	if (d != NULL && d->nitems > 0)
		select_index(t, 0);
	else if (d != NULL)
		t->cursor = d->tmin;
}

static void
key_end(struct tui *t)
{
	t->follow = true;
	keys_sync_view(t);
}

static void
goto_flag(struct tui *t, int dir)
{
	struct tui_device *d = tui_device(t);
	size_t i;
	if (tui_selected(t, &i) == NULL) {
		tui_status(t, true, "no events yet");
		return;
	}
	/* from the selection, or from the flag shown when the selection is that flag */
	for (size_t n = 1; n <= d->nitems; n++) {
		size_t j = dir > 0 ? i + n : i - n;
		if (j >= d->nitems)
			break;
		if (d->items[j]->type != ITEM_FLAG)
			continue;
		pause_follow(t);
		select_index(t, j);
		t->detail_flag = d->items[j]->id;
		t->detail_scroll = 0;
		t->detail_open = true;
		return;
	}
	/* none that way: wrap to the first (or last) flag, as a search does */
	for (size_t n = 0; n < d->nitems; n++) {
		size_t j = dir > 0 ? n : d->nitems - 1 - n;
		if (d->items[j]->type != ITEM_FLAG)
			continue;
		pause_follow(t);
		select_index(t, j);
		t->detail_flag = d->items[j]->id;
		t->detail_scroll = 0;
		t->detail_open = true;
		tui_status(t, false, dir > 0 ? "flags wrapped to the first" : "flags wrapped to the last");
		return;
	}
	tui_status(t, false, "no flag: no call dropped here");
}

static void key_next_flag(struct tui *t) { goto_flag(t, 1); }
static void key_prev_flag(struct tui *t) { goto_flag(t, -1); }

static bool
item_matches(const struct tui_item *it, const char *q)
{
	if ((it->text && strcasestr(it->text, q)) || (it->detail && strcasestr(it->detail, q)))
		return true;
	for (size_t i = 0; i < it->nev; i++)
		if (it->ev[i].text && strcasestr(it->ev[i].text, q))
			return true;
	return false;
}

static void
search(struct tui *t, int dir, bool include_current)
{
	struct tui_device *d = tui_device(t);
	size_t i;
	if (t->search[0] == '\0') {
		tui_status(t, true, "no search yet: press /");
		return;
	}
	if (tui_selected(t, &i) == NULL) {
		tui_status(t, true, "nothing to search");
		return;
	}
	for (size_t n = include_current ? 0 : 1; n <= d->nitems; n++) {
		size_t j = (i + d->nitems + (dir > 0 ? n : d->nitems - n)) % d->nitems;
		if (!item_matches(d->items[j], t->search))
			continue;
		pause_follow(t);
		select_index(t, j);
		bool wrapped = dir > 0 ? j < i : j > i;
		tui_status(t, false, "/%s%s", t->search, wrapped ? "  (search wrapped)" : "");
		return;
	}
	tui_status(t, true, "pattern not found: %s", t->search);
}

static void key_search(struct tui *t) { t->prompt = PROMPT_SEARCH; t->inputlen = 0; t->input[0] = '\0'; }
static void key_next_match(struct tui *t) { search(t, 1, false); }
static void key_prev_match(struct tui *t) { search(t, -1, false); }

static void
zoom_to(struct tui *t, int z)
{
	if (z < 0 || (size_t)z >= tui_nzooms) {
		tui_status(t, false, z < 0 ? "fully zoomed in" : "fully zoomed out");
		return;
	}
	int64_t s0 = tui_zooms[t->zoom], s1 = tui_zooms[z];
	int64_t col = (t->cursor - t->view_t0) / s0;	/* keep the cursor's column */
	t->zoom = z;
	t->zoom_set = true;
	t->view_t0 = t->cursor - col * s1;
	char buf[16];
	tui_zoom_label(s1, buf, sizeof buf);
	tui_status(t, false, "zoom %s per column", buf);
}

static void key_zoom_in(struct tui *t) { zoom_to(t, t->zoom - 1); }
static void key_zoom_out(struct tui *t) { zoom_to(t, t->zoom + 1); }

static void
key_pause(struct tui *t)
{
	t->follow = !t->follow;
	tui_status(t, false, t->follow ? "following new records" : "paused: the view stays put");
}

static void
key_tab(struct tui *t)
{
	do
		t->focus = (t->focus + 1) % PANE_COUNT;
	while (t->focus == PANE_DETAIL && !t->lay.detail_shown && !t->detail_open);
	if (t->focus == PANE_DETAIL)
		t->detail_open = true;
}

static void
key_devices(struct tui *t)
{
	if (t->overlay == OVERLAY_DEVICES) {
		t->overlay = OVERLAY_NONE;
		return;
	}
	t->overlay = OVERLAY_DEVICES;
	t->ovl_sel = t->devsel;
	if (t->client.state == CONN_UP)
		t->client.devices_id = client_request(t, json_pack("{s:s}", "request", "devices"));
}

static void key_mark(struct tui *t) { t->prompt = PROMPT_MARK; t->inputlen = 0; t->input[0] = '\0'; }

static void
key_report(struct tui *t)
{
	const struct tui_item *fl = tui_detail_item(t);
	struct tui_device *d = tui_device(t);
	if (fl == NULL) {
		tui_status(t, true, "no flag selected: press e to go to one");
		return;
	}
	char cwd[PATH_MAX];
	const char *out = t->report_dir;
	if (out == NULL || *out == '\0')
		out = getcwd(cwd, sizeof cwd) ? cwd : ".";
	else if (out[0] != '/' && realpath(out, cwd) != NULL)	/* ours, not the daemon's, folder */
		out = cwd;
	json_t *req = json_pack("{s:s, s:I, s:s, s:s}", "request", "report", "flag", (json_int_t)fl->id,
	    "device", d->id, "out", out);
	t->client.report_id = client_request(t, req);
	if (t->client.report_id > 0)
		tui_status(t, false, "writing the report of flag %ld…", fl->id);
}

static void
key_enter(struct tui *t)
{
	if (t->overlay == OVERLAY_DEVICES) {
		if (t->ovl_sel < t->model.ndev && t->ovl_sel != t->devsel) {
			t->devsel = t->ovl_sel;
			t->follow = true;
			t->detail_flag = -1;
			t->zoom_set = false;
			keys_sync_view(t);
		}
		t->overlay = OVERLAY_NONE;
		return;
	}
	const struct tui_item *it = tui_selected(t, NULL);
	if (it != NULL && it->type == ITEM_FLAG) {
		t->detail_flag = it->id;
		t->detail_open = true;
		t->detail_scroll = 0;
	}
}

static void
key_escape(struct tui *t)
{
	if (t->overlay != OVERLAY_NONE)
		t->overlay = OVERLAY_NONE;
	else if (t->detail_open) {
		t->detail_open = false;
		if (t->focus == PANE_DETAIL)
			t->focus = PANE_EVENTS;
	}
}

static void key_redraw(struct tui *t) { clearok(curscr, TRUE); }

const struct tui_binding tui_bindings[] = {
	{ 'q', "q", "quit / close the overlay", key_quit },
	{ '?', "?", "this help", key_help },
	{ KEY_LEFT, "\u2190 h", "cursor a column earlier", key_left },
	{ 'h', NULL, NULL, key_left },
	{ KEY_RIGHT, "\u2192 l", "cursor a column later", key_right },
	{ 'l', NULL, NULL, key_right },
	{ KEY_UP, "\u2191 k", "previous event / scroll", key_up },
	{ 'k', NULL, NULL, key_up },
	{ KEY_DOWN, "\u2193 j", "next event / scroll", key_down },
	{ 'j', NULL, NULL, key_down },
	{ KEY_PPAGE, "PgUp", "page up", key_pgup },
	{ KEY_NPAGE, "PgDn", "page down", key_pgdown },
	{ 'g', "g", "start of the timeline", key_start },
	{ KEY_HOME, NULL, NULL, key_start },
	{ 'G', "G", "end of the timeline, follow", key_end },
	{ KEY_END, NULL, NULL, key_end },
	{ 'e', "e", "next flag, with its detail", key_next_flag },
	{ 'E', "E", "previous flag", key_prev_flag },
	{ '/', "/", "search events", key_search },
	{ 'n', "n", "next match", key_next_match },
	{ 'N', "N", "previous match", key_prev_match },
	{ 'z', "z", "zoom in (less time/column)", key_zoom_in },
	{ 'Z', "Z", "zoom out (more time/column)", key_zoom_out },
	{ 'p', "p", "pause / follow new records", key_pause },
	{ KEY_TAB, "Tab", "next pane", key_tab },
	{ 'd', "d", "devices", key_devices },
	{ 'm', "m", "mark this moment (a note)", key_mark },
	{ 'r', "r", "report bundle of the flag", key_report },
	{ '\n', "Enter", "show flag / choose device", key_enter },
	{ KEY_ENTER, NULL, NULL, key_enter },
	{ '\r', NULL, NULL, key_enter },
	{ KEY_ESC, "Esc", "close detail or overlay", key_escape },
	{ CTRL('l'), "^L", "redraw the screen", key_redraw },
};
const size_t tui_nbindings = sizeof tui_bindings / sizeof tui_bindings[0];

/* ---------------------------------------------------------------- the prompt */

static void
prompt_done(struct tui *t)
{
	enum tui_prompt p = t->prompt;
	t->prompt = PROMPT_NONE;
	if (p == PROMPT_SEARCH) {
		if (t->inputlen > 0)
			snprintf(t->search, sizeof t->search, "%s", t->input);
		search(t, 1, true);
		return;
	}
	struct tui_device *d = tui_device(t);
	json_t *req = json_pack("{s:s, s:s}", "request", "mark", "note", t->input);
	if (d != NULL)
		json_object_set_new(req, "device", json_string(d->id));
	t->client.mark_id = client_request(t, req);
}

static void
prompt_key(struct tui *t, int ch, bool is_key)
{
	if (!is_key && (ch == '\n' || ch == '\r')) {
		prompt_done(t);
	} else if (!is_key && ch == KEY_ESC) {
		t->prompt = PROMPT_NONE;
	} else if ((is_key && ch == KEY_BACKSPACE) || (!is_key && (ch == 127 || ch == 8))) {
		while (t->inputlen > 0 && ((unsigned char)t->input[--t->inputlen] & 0xc0) == 0x80)
			;
		t->input[t->inputlen] = '\0';
	} else if (is_key && ch == KEY_ENTER) {
		prompt_done(t);
	} else if (!is_key && ch >= 0x20 && ch != 0x7f) {
		char mb[MB_LEN_MAX];
		mbstate_t st = { 0 };
		size_t n = wcrtomb(mb, (wchar_t)ch, &st);
		if (n != (size_t)-1 && t->inputlen + n < sizeof t->input) {
			memcpy(t->input + t->inputlen, mb, n);
			t->inputlen += n;
			t->input[t->inputlen] = '\0';
		}
	}
}

void
keys_handle(struct tui *t, int ch, bool is_key)
{
	t->dirty = true;
	if (t->prompt != PROMPT_NONE) {
		prompt_key(t, ch, is_key);
		return;
	}
	if (t->overlay == OVERLAY_HELP) {	/* any key closes the help, as in htop */
		t->overlay = OVERLAY_NONE;
		return;
	}
	if (is_key && ch == KEY_ENTER) {
		ch = '\n';
		is_key = false;
	}
	for (size_t i = 0; i < tui_nbindings; i++) {
		const struct tui_binding *b = &tui_bindings[i];
		bool fkey = b->key >= KEY_MIN;
		if (b->key == ch && fkey == is_key) {
			if (t->overlay == OVERLAY_DEVICES && b->fn != key_up && b->fn != key_down &&
			    b->fn != key_enter && b->fn != key_quit && b->fn != key_escape &&
			    b->fn != key_devices)
				return;
			b->fn(t);
			keys_sync_view(t);
			return;
		}
	}
}

void
tui_on_history_end(struct tui *t)
{
	if (t->devsel >= t->model.ndev)
		t->devsel = 0;
	zoom_fit(t);
	keys_sync_view(t);
}

void
tui_on_report(struct tui *t, const char *path)
{
	tui_status(t, false, "report written: %s", path);
}

/*
 * view-timeline.c - the per-call timeline neither lnav nor htop has: one row per lane, time left to
 * right at a zoom of 100 ms to 1 h per column, each state a coloured span that starts with its
 * letter and keeps its own fill pattern (so monochrome and ASCII still show every state), flags and
 * marks as markers on a row of their own, and the cursor as a highlighted column.
 */
#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "tui.h"

#define LABEL_W	9

/* tick steps in ms: the first that leaves room for a label between ticks */
static const int64_t ticks[] = {
	100, 200, 500, 1000, 2000, 5000, 10000, 15000, 30000, 60000, 120000, 300000, 600000, 900000,
	1800000, 3600000, 7200000, 10800000, 21600000, 43200000, 86400000,
};

static void
axis_row(struct tui *t, int y, int x, int pw, int64_t t0, int64_t s, int cc)
{
	int64_t step = ticks[sizeof ticks / sizeof ticks[0] - 1];
	for (size_t i = 0; i < sizeof ticks / sizeof ticks[0]; i++)
		if (ticks[i] >= s * 11) {
			step = ticks[i];
			break;
		}
	int dim = draw_attr(t, COL_DIM);
	int64_t k = (t0 + step - 1) / step * step;
	for (; k < t0 + pw * s; k += step) {
		int c = (int)((k - t0) / s);
		char lab[16];
		tui_format_time(k, lab, sizeof lab, step < 1000);
		const char *text = step < 1000 ? lab + 3 : lab;
		draw_text(t, y, x + c, 1, dim, draw_glyph(t, "\u2502", "|"));
		/* a label the cursor marker would land in is left out, never broken ("19:54\u25bc45") */
		if (c + 1 < pw && !(cc > c && cc <= c + (int)strlen(text)))
			draw_text(t, y, x + c + 1, pw - c - 1, dim, text);
	}
}

/* the state shown in one column: the highest-ranked state alive in it */
static int
column_state(const struct tui_lanebuf *lb, size_t *pos, int64_t c0, int64_t c1, int *first)
{
	while (*pos < lb->n && lb->v[*pos].t <= c0)
		(*pos)++;
	int best = *pos > 0 ? lb->v[*pos - 1].state : -2;	/* -2: no data yet */
	*first = best;
	for (size_t i = *pos; i < lb->n && lb->v[i].t < c1; i++) {
		int s = lb->v[i].state;
		if (best < 0 || (s >= 0 && s > best))
			best = s;
	}
	return best;
}

static void
lane_row(struct tui *t, const struct tui_device *d, int lane, int y, int x, int pw, int64_t t0,
    int64_t s, int cc)
{
	const struct tui_lanebuf *lb = &d->lanes[lane];
	draw_text(t, y, x - LABEL_W, LABEL_W - 1, draw_attr(t, COL_TITLE), cs_lane_labels[lane]);
	size_t pos = 0;
	int prev = -3;
	for (int c = 0; c < pw; c++) {
		int64_t c0 = t0 + c * s, c1 = c0 + s;
		int first, st = column_state(lb, &pos, c0, c1, &first);
		bool cursor = c == cc;
		if (st == -2 || c0 > d->tmax) {
			/* no data: a dim dotted baseline, so the lane is still there to read */
			int dim = draw_attr(t, COL_DIM) | (cursor ? A_REVERSE : 0);
			draw_text(t, y, x + c, 1, dim, draw_glyph(t, "\u00b7", "."));
			prev = -3;
			continue;
		}
		int attr = st >= 0 ? draw_attr(t, tui_state_colour(st)) : 0;
		const char *glyph;
		char letter[2] = { st >= 0 ? cs_states[st].letter : '?', '\0' };
		bool start = st != prev || c == 0;
		if (start) {
			glyph = letter;
			attr |= A_REVERSE | A_BOLD;
		} else {
			glyph = draw_fill(t, st >= 0 ? (enum tui_fill)cs_states[st].pattern : FILL_DOT);
		}
		if (cursor)
			attr ^= A_REVERSE;
		if (cursor && !start && st >= 0 && (enum tui_fill)cs_states[st].pattern == FILL_BLANK)
			glyph = letter;
		draw_text(t, y, x + c, 1, attr, glyph);
		prev = st;
	}
}

/* flags (disconnects red '!', warnings yellow) and marks (cyan '*'), the gravest per column */
static void
marker_row(struct tui *t, const struct tui_device *d, int y, int x, int pw, int64_t t0, int64_t s,
    int cc)
{
	draw_text(t, y, x - LABEL_W, LABEL_W - 1, draw_attr(t, COL_TITLE), "Flags");
	size_t i = model_item_index(d, t0 - 1);
	for (int c = 0; c < pw; c++) {
		int64_t c1 = t0 + (c + 1) * s;
		int best = 0;	/* 0 none, 1 mark, 2 warning, 3 disconnect */
		for (; i < d->nitems && d->items[i]->t < c1; i++) {
			const struct tui_item *it = d->items[i];
			int g = it->type == ITEM_MARK ? 1 : it->type == ITEM_FLAG ? (it->disconnect ? 3 : 2) : 0;
			if (g > best)
				best = g;
		}
		static const struct { const char *utf8, *ascii; enum tui_colour col; } look[] = {
			{ "\u00b7", ".", COL_DIM },
			{ "\u2605", "*", COL_CYAN },
			{ "\u25b2", "w", COL_YELLOW },
			{ "!", "!", COL_RED },
		};
		int attr = draw_attr(t, look[best].col) | (best ? A_BOLD : 0);	/* none: a dim baseline */
		if (c == cc)
			attr |= A_REVERSE;
		draw_text(t, y, x + c, 1, attr, draw_glyph(t, look[best].utf8, look[best].ascii));
	}
}

void
view_timeline(struct tui *t, struct tui_rect r)
{
	struct tui_device *d = tui_device(t);
	int64_t s = tui_zooms[t->zoom];
	int x = r.x + LABEL_W, pw = r.w - LABEL_W;
	char zl[16], title[160], a[16], b[16], cur[16];
	tui_zoom_label(s, zl, sizeof zl);
	tui_format_time(t->view_t0, a, sizeof a, false);
	tui_format_time(t->view_t0 + pw * s, b, sizeof b, false);
	tui_format_time(t->cursor, cur, sizeof cur, true);
	/* the cursor's time lives in the title (and the status line), not in the axis row's corner,
	 * where it stood out of line with the axis labels */
	snprintf(title, sizeof title, "Timeline  %s/col  %s \u2013 %s  cursor %s", zl, a, b, cur);
	if (!t->utf8)
		snprintf(title, sizeof title, "Timeline  %s/col  %s - %s  cursor %s", zl, a, b, cur);
	draw_box_title(t, r, title, t->focus == PANE_TIMELINE);
	if (d == NULL || pw < 4 || r.h < 3)
		return;
	int cc = (int)((t->cursor - t->view_t0) / s);
	if (t->cursor < t->view_t0)
		cc = -1;
	axis_row(t, r.y + 1, x, pw, t->view_t0, s, cc);
	if (cc >= 0 && cc < pw)
		draw_text(t, r.y + 1, x + cc, 1, A_BOLD, draw_glyph(t, "\u25bc", "v"));
	for (int lane = 0; lane < NLANES && 2 + lane < r.h; lane++)
		lane_row(t, d, lane, r.y + 2 + lane, x, pw, t->view_t0, s, cc);
	if (2 + NLANES < r.h)
		marker_row(t, d, r.y + 2 + NLANES, x, pw, t->view_t0, s, cc);
}

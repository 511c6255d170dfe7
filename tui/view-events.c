/*
 * view-events.c - the event list under the timeline, as lnav shows a log: one row per event, flag
 * and mark in time order, kept in step with the timeline cursor (the selected row is the last item
 * at or before it). Flags stand out in red (disconnect) or yellow (warning), marks in cyan.
 */
#include <curses.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "tui.h"

static int
item_attr(const struct tui *t, const struct tui_item *it)
{
	switch (it->type) {
	case ITEM_FLAG: return draw_attr(t, it->disconnect ? COL_RED : COL_YELLOW) | A_BOLD;
	case ITEM_MARK: return draw_attr(t, COL_CYAN) | A_BOLD;
	default: return 0;
	}
}

/* runs of blanks become one, so the message is what a narrow pane keeps */
static void
squeeze_spaces(char *s)
{
	char *o = s;
	for (const char *p = s; *p; p++)
		if (!(*p == ' ' && (p[1] == ' ' || o == s)))
			*o++ = *p;
	*o = '\0';
}

/* the columns the visible rows want (time, line number, text); ASCII in practice */
int
view_events_width(const struct tui *t, int rows)
{
	const struct tui_device *d = tui_device((struct tui *)t);
	int want = 0;
	for (size_t i = t->ev_top; d != NULL && i < d->nitems && i < t->ev_top + (size_t)rows; i++) {
		const char *text = d->items[i]->text;
		int w = 12 + 1 + 5 + 1 + (text ? (int)strlen(text) : 0);
		if (w > want)
			want = w;
	}
	return want;
}

void
view_events(struct tui *t, struct tui_rect r)
{
	struct tui_device *d = tui_device(t);
	size_t sel = 0;
	const struct tui_item *cur = tui_selected(t, &sel);
	char title[320];
	snprintf(title, sizeof title, "Events %zu%s%s", d ? d->nitems : (size_t)0,
	    t->search[0] ? "  /" : "", t->search);
	draw_box_title(t, r, title, t->focus == PANE_EVENTS);
	int rows = r.h - 1;
	if (d == NULL || cur == NULL || rows <= 0) {
		if (rows > 0)
			draw_text(t, r.y + 1, r.x + 1, r.w - 1, draw_attr(t, COL_DIM),
			    t->client.history_done ? "no events" : "loading…");
		return;
	}
	/* keep the selection in view, a few rows from the edges */
	size_t margin = rows > 6 ? 2 : 0;
	if (sel < t->ev_top + margin)
		t->ev_top = sel > margin ? sel - margin : 0;
	if (sel + margin >= t->ev_top + (size_t)rows)
		t->ev_top = sel + margin + 1 - (size_t)rows;
	if (t->ev_top + (size_t)rows > d->nitems)
		t->ev_top = d->nitems > (size_t)rows ? d->nitems - (size_t)rows : 0;
	/* too narrow for any visible row: every row's text gives up its column padding, so the rows
	 * stay alike (time and line number keep their columns) and the message is what shows */
	bool squeeze = view_events_width(t, rows) > r.w;
	for (int row = 0; row < rows && t->ev_top + (size_t)row < d->nitems; row++) {
		size_t i = t->ev_top + (size_t)row;
		const struct tui_item *it = d->items[i];
		char tm[16], text[1100], buf[1200];
		tui_format_time(it->t, tm, sizeof tm, true);
		snprintf(text, sizeof text, "%s", it->text ? it->text : "");
		if (squeeze)
			squeeze_spaces(text);
		snprintf(buf, sizeof buf, "%s %5ld %s", tm, it->line, text);
		int attr = item_attr(t, it);
		if (i == sel)
			attr |= A_REVERSE;
		int y = r.y + 1 + row;
		if (i == sel)
			draw_blank(y, r.x, r.w, attr);
		draw_text(t, y, r.x, r.w, attr, buf);
	}
}

/*
 * view-status.c - the bottom line, lnav style: the '/' or 'm' prompt while one is open, else the
 * latest message (errors in red: "daemon gone — reconnecting…"), else the connection and the
 * keys most needed; the cursor time and zoom on the right.
 */
#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "tui.h"

void
view_status(struct tui *t, struct tui_rect r)
{
	int attr = draw_attr(t, COL_STATUS);
	draw_blank(r.y, r.x, r.w, attr);
	if (t->prompt != PROMPT_NONE) {
		char buf[300];
		snprintf(buf, sizeof buf, "%s%s", t->prompt == PROMPT_SEARCH ? "/" : "mark note: ",
		    t->input);
		int used = draw_text(t, r.y, r.x, r.w - 1, A_NORMAL, buf);
		draw_blank(r.y, r.x + used, r.w - used, A_NORMAL);
		move(r.y, r.x + used);
		curs_set(1);
		return;
	}
	curs_set(0);
	char right[64], tm[16], zl[16];
	tui_format_time(t->cursor, tm, sizeof tm, true);
	tui_zoom_label(tui_zooms[t->zoom], zl, sizeof zl);
	int rn = snprintf(right, sizeof right, " %s  %s/col ", tm, zl);
	const char *msg = t->status[0] ? t->status : t->conn_msg;
	if (t->status[0] == '\0' && t->client.state == CONN_UP)
		msg = "? help  q quit  e/E flags  / search  z/Z zoom  p pause  d devices  m mark  r report";
	int a = t->status[0] && t->status_error ? (draw_attr(t, COL_RED) | (int)A_REVERSE) : attr;
	if (t->client.state != CONN_UP && t->status[0] == '\0')
		a = draw_attr(t, COL_RED) | (int)A_REVERSE;
	draw_text(t, r.y, r.x + 1, r.w - rn - 2, a, msg);
	if (r.w > rn + 20)
		draw_text(t, r.y, r.x + r.w - rn, rn, attr, right);
}

/*
 * view-header.c - the two header lines, htop style: which phone (name, iOS, model), which app, its
 * call SDK and its background modes, the LIVE / PAUSED / REPLAY indicator, then the state of every lane at the
 * cursor in its colour (so the header alone answers "is the call still up?"), and the flag counts.
 */
#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "tui.h"

static const char *
indicator(const struct tui *t, int *colour)
{
	bool replay = strcmp(t->client.mode, "replay") == 0;
	if (t->client.state != CONN_UP && !replay) {
		*colour = COL_RED;
		return " OFFLINE ";
	}
	if (!t->follow) {
		*colour = COL_YELLOW;
		return " PAUSED ";
	}
	*colour = COL_GREEN;
	return replay ? " REPLAY " : " LIVE ";
}

static void
identity_line(struct tui *t, struct tui_rect r, const struct tui_device *d)
{
	char buf[512];
	size_t n = (size_t)snprintf(buf, sizeof buf, " callsight ");
	if (d == NULL)
		snprintf(buf + n, sizeof buf - n, " waiting for records from %s",
		    t->client.replay ? t->client.replay : "the daemon");
	else {
		n += (size_t)snprintf(buf + n, sizeof buf - n, " %s", d->name ? d->name :
		    *d->id ? d->id : "(unnamed device)");
		if (d->ios != NULL && d->ios[0])
			n += (size_t)snprintf(buf + n, sizeof buf - n, "  iOS %s", d->ios);
		if (d->product != NULL && d->product[0])
			n += (size_t)snprintf(buf + n, sizeof buf - n, " (%s)", d->product);
		if (d->app != NULL)
			n += (size_t)snprintf(buf + n, sizeof buf - n, "  app %s", d->app);
		if (d->sdk != NULL && n < sizeof buf)
			n += (size_t)snprintf(buf + n, sizeof buf - n, " (%s)", d->sdk);
		if (d->bgmodes != NULL && n < sizeof buf)
			n += (size_t)snprintf(buf + n, sizeof buf - n, " [bg: %s]",
			    *d->bgmodes ? d->bgmodes : "none");
		if (t->model.ndev > 1 && n < sizeof buf)
			snprintf(buf + n, sizeof buf - n, "  (device %zu/%zu, d to switch)",
			    t->devsel + 1, t->model.ndev);
	}
	int hattr = draw_attr(t, COL_HEADER);
	int colour;
	const char *ind = indicator(t, &colour);
	int iw = (int)strlen(ind);
	draw_blank(r.y, r.x, r.w, hattr);
	draw_text(t, r.y, r.x, r.w - iw - 1, hattr, buf);
	draw_text(t, r.y, r.x + r.w - iw, iw, (t->colour ? draw_attr(t, colour) : 0) | A_REVERSE |
	    A_BOLD, ind);
}

static void
states_line(struct tui *t, struct tui_rect r, const struct tui_device *d)
{
	int x = r.x + 1;
	if (d == NULL) {
		draw_text(t, r.y, x, r.w - 1, draw_attr(t, COL_DIM), t->conn_msg);
		return;
	}
	for (int lane = 0; lane < NLANES && x < r.x + r.w; lane++) {
		int s = model_lane_at(d, lane, t->cursor);
		if (s < 0 && lane == LANE_link)
			continue;
		x += draw_text(t, r.y, x, r.x + r.w - x, draw_attr(t, COL_DIM), cs_lane_labels[lane]);
		x += draw_text(t, r.y, x, r.x + r.w - x, 0, " ");
		const char *name = s >= 0 ? cs_states[s].name : "?";
		int attr = s >= 0 ? draw_attr(t, tui_state_colour(s)) | A_BOLD : 0;
		x += draw_text(t, r.y, x, r.x + r.w - x, attr, name);
		x += draw_text(t, r.y, x, r.x + r.w - x, 0, "  ");
	}
	char flags[64];
	int n = snprintf(flags, sizeof flags, "%d dropped %d warn", d->disconnects, d->warnings);
	if (x + n + 1 <= r.x + r.w)
		draw_text(t, r.y, r.x + r.w - n - 1, n, d->disconnects ? draw_attr(t, COL_RED) :
		    draw_attr(t, COL_GREEN), flags);
}

void
view_header(struct tui *t, struct tui_rect r)
{
	struct tui_device *d = tui_device(t);
	identity_line(t, r, d);
	if (r.h > 1)
		states_line(t, (struct tui_rect){ r.y + 1, r.x, 1, r.w }, d);
}

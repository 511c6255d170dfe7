/*
 * view-devices.c - the device switcher: a centred overlay listing every phone the daemon knows,
 * with its iOS version, link state and flag counts, so a QA engineer with several phones sees at
 * a glance which one dropped a call. Enter switches the views to the chosen device.
 */
#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "tui.h"

void
view_devices(struct tui *t)
{
	int w = COLS - 4 < 100 ? COLS - 4 : 100;
	int h = (int)t->model.ndev + 4;
	if (h > LINES - 2)
		h = LINES - 2;
	int y = (LINES - h) / 2, x = (COLS - w) / 2;
	struct tui_rect r = { y, x, h, w };
	draw_frame(t, r, t->utf8 ? "Devices  (\u2191\u2193 choose, Enter switch, q close)" :
	    "Devices  (j/k choose, Enter switch, q close)");
	x++;
	w -= 2;
	char buf[512];
	snprintf(buf, sizeof buf, "  %-24s %-26s %-6s %-10s %5s %5s", "name", "device", "iOS", "link",
	    "drops", "warns");
	draw_text(t, y + 1, x, w, draw_attr(t, COL_DIM), buf);
	if (t->model.ndev == 0)
		draw_text(t, y + 2, x + 2, w - 2, 0, "no device yet");
	for (size_t i = 0; i < t->model.ndev && (int)i + 2 < h - 1; i++) {
		const struct tui_device *d = &t->model.dev[i];
		snprintf(buf, sizeof buf, "%c %-24s %-26s %-6s %-10s %5d %5d", i == t->devsel ? '*' : ' ',
		    d->name ? d->name : *d->id ? d->id : "(unnamed)", d->id, d->ios ? d->ios : "-",
		    d->link ? d->link : "-", d->disconnects, d->warnings);
		int attr = d->disconnects ? draw_attr(t, COL_RED) : 0;
		if (i == t->ovl_sel)
			attr |= A_REVERSE;
		draw_blank(y + 2 + (int)i, x, w, attr);
		draw_text(t, y + 2 + (int)i, x, w, attr, buf);
	}
}

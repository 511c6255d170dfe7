/*
 * view-help.c - the help overlay: every key, printed from the binding table in keys.c (so it is
 * always complete), plus what the timeline's letters and markers mean. Any key closes it.
 */
#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "tui.h"

static void
legend(struct tui *t, int y, int x, int w)
{
	for (int lane = 0; lane < NLANES; lane++, y++) {
		int cx = x;
		cx += draw_text(t, y, cx, 9, draw_attr(t, COL_TITLE), cs_lane_labels[lane]);
		cx = x + 9;
		for (size_t i = 0; i < CS_STATE_COUNT && cx < x + w; i++) {
			const struct cs_state_def *s = &cs_states[i];
			if ((int)s->lane != lane || (i > 0 && cs_states[i - 1].lane == s->lane &&
			    cs_states[i - 1].letter == s->letter))
				continue;	/* an alias (streaming = attached) */
			char l[2] = { s->letter, '\0' };
			int a = draw_attr(t, tui_state_colour((int)i));
			cx += draw_text(t, y, cx, 1, a | A_REVERSE | A_BOLD, l);
			cx += draw_text(t, y, cx, 2, a, draw_fill(t, (enum tui_fill)s->pattern));
			cx += draw_text(t, y, cx, 1, a, draw_fill(t, (enum tui_fill)s->pattern));
			cx += draw_text(t, y, cx, x + w - cx, 0, " ");
			cx += draw_text(t, y, cx, x + w - cx, 0, s->name);
			cx += draw_text(t, y, cx, x + w - cx, 0, "  ");
		}
	}
	char buf[128];
	snprintf(buf, sizeof buf, "Flags    %s disconnect  %s warning  %s mark", "!",
	    draw_glyph(t, "\u25b2", "w"), draw_glyph(t, "\u2605", "*"));
	draw_text(t, y, x, w, 0, buf);
}

void
view_help(struct tui *t)
{
	size_t nkeys = 0;
	for (size_t i = 0; i < tui_nbindings; i++)
		nkeys += tui_bindings[i].help != NULL;
	int w = COLS - 2 < 96 ? COLS - 2 : 96;
	int cols = w >= 64 ? 2 : 1;
	int rows = (int)(nkeys + (size_t)cols - 1) / cols;
	int h = rows + NLANES + 6;
	if (h > LINES)
		h = LINES;
	int y = (LINES - h) / 2, x = (COLS - w) / 2;
	draw_frame(t, (struct tui_rect){ y, x, h, w }, "Help  (any key closes)");
	int k = 0, cw = w / cols;
	for (size_t i = 0; i < tui_nbindings; i++) {
		const struct tui_binding *b = &tui_bindings[i];
		if (b->help == NULL)
			continue;
		int ry = y + 1 + k % rows, rx = x + 1 + (k / rows) * cw;
		k++;
		if (ry >= y + h)
			continue;
		const char *name = b->keyname;
		char ascii[16];
		if (!t->utf8 && (unsigned char)name[0] >= 0x80) {	/* the arrow glyph */
			snprintf(ascii, sizeof ascii, "%s", strchr(name, ' ') ? strchr(name, ' ') + 1 : "");
			name = ascii;
		}
		draw_text(t, ry, rx, 7, draw_attr(t, COL_CYAN) | A_BOLD, name);
		draw_text(t, ry, rx + 7, cw - 8, 0, b->help);
	}
	int ly = y + 2 + rows;
	if (ly + NLANES < y + h)
		legend(t, ly, x + 1, w - 2);
}

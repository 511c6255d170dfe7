/*
 * view-detail.c - the selected flag in full: the cause id and its label, confidence, when and at
 * which line, the detail sentence, the advice, the phone's crash/jetsam reports that decided it, the
 * causes it could also be (and what would tell them apart), and the evidence (the raw log lines, in
 * log order),
 * word-wrapped to the pane and scrollable. This is the answer the developer came for.
 */
#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "tui.h"

struct flow {
	struct tui	*t;
	struct tui_rect	 r;
	int		 row;		/* virtual row, before scrolling */
	int		 skip;		/* rows scrolled away */
};

/* one paragraph, wrapped at the pane's width less indent */
static void
para(struct flow *f, int indent, int attr, const char *s)
{
	int w = f->r.w - 1 - indent;
	if (s == NULL || w <= 0)
		return;
	int lines = draw_wrap_count(s, w);
	if (lines == 0)
		lines = 1;
	int skip = f->skip > f->row ? f->skip - f->row : 0;
	int y = f->row + (skip > 0 ? skip : 0) - f->skip;	/* first visible line's place */
	if (skip < lines && y < f->r.h - 1)
		draw_wrap(f->t, s, w, skip, f->r.y + 1 + y, f->r.x + 1 + indent, f->r.h - 1 - y, attr);
	f->row += lines;
}

void
view_detail(struct tui *t, struct tui_rect r)
{
	const struct tui_item *fl = tui_detail_item(t);
	char title[64];
	if (fl != NULL)
		snprintf(title, sizeof title, "Flag #%ld", fl->id);
	else
		snprintf(title, sizeof title, "Flag");
	draw_box_title(t, r, title, t->focus == PANE_DETAIL);
	if (r.h < 2)
		return;
	if (t->detail_scroll < 0)
		t->detail_scroll = 0;
	struct flow f = { t, r, 0, t->detail_scroll };
	if (fl == NULL) {
		para(&f, 0, draw_attr(t, COL_DIM), "No flag selected. Press e (next flag) or E (previous "
		    "flag) to see why a call dropped.");
		return;
	}
	char buf[512], tm[16];
	int sev = draw_attr(t, fl->disconnect ? COL_RED : COL_YELLOW) | A_BOLD;
	snprintf(buf, sizeof buf, "%s  %s", fl->disconnect ? "DISCONNECT" : "WARNING", fl->kind);
	para(&f, 0, sev, buf);
	para(&f, 0, A_BOLD, fl->label);
	tui_format_time(fl->t, tm, sizeof tm, true);
	int n = snprintf(buf, sizeof buf, "at %s  line %ld", tm, fl->line);
	if (fl->confidence >= 0)
		snprintf(buf + n, sizeof buf - (size_t)n, "  confidence %.0f%%%s", fl->confidence * 100,
		    fl->inferred ? "  (inferred: the app never reported the drop)" : "");
	para(&f, 0, draw_attr(t, COL_DIM), buf);
	if (fl->sdk != NULL) {
		snprintf(buf, sizeof buf, "call SDK: %s", fl->sdk);
		para(&f, 0, draw_attr(t, COL_DIM), buf);
	}
	if (fl->detail != NULL) {
		f.row++;
		para(&f, 0, 0, fl->detail);
	}
	/* the fix before the proof: it is what the developer came for */
	if (fl->advice != NULL) {
		f.row++;
		para(&f, 0, draw_attr(t, COL_TITLE), "Advice");
		para(&f, 1, draw_attr(t, COL_GREEN), fl->advice);
	}
	/* the phone's own crash/jetsam report: what decided the cause */
	if (fl->nreports > 0) {
		f.row++;
		para(&f, 0, draw_attr(t, COL_TITLE), "The phone's report");
	}
	for (size_t i = 0; i < fl->nreports; i++)
		para(&f, 1, draw_attr(t, COL_YELLOW), fl->reports[i]);
	if (fl->nalts > 0) {
		f.row++;
		para(&f, 0, draw_attr(t, COL_TITLE), "Could also be");
		for (size_t i = 0; i < fl->nalts; i++)
			para(&f, 1, draw_attr(t, COL_DIM), fl->alts[i]);
	}
	if (fl->nev > 0) {
		f.row++;
		para(&f, 0, draw_attr(t, COL_TITLE), "Evidence");
	}
	for (size_t i = 0; i < fl->nev; i++) {
		const struct tui_evidence *ev = &fl->ev[i];
		tui_format_time(ev->t, tm, sizeof tm, true);
		snprintf(buf, sizeof buf, "L%-5ld %s %s", ev->line, tm, ev->kind ? ev->kind : "");
		para(&f, 1, draw_attr(t, COL_CYAN), buf);
		para(&f, 3, 0, ev->text);
	}
	if (t->detail_scroll > 0 && t->detail_scroll >= f.row)
		t->detail_scroll = f.row > 0 ? f.row - 1 : 0;
}

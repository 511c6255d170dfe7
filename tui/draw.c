/*
 * draw.c - the few drawing primitives every view uses: colour pairs from one table (and the
 * attributes that stand in for them under NO_COLOR), span fill glyphs in UTF-8 with an ASCII
 * fallback, text clipped to a width in display columns (log lines carry any UTF-8, and a wide or
 * broken character must never spill into the next pane), and word wrapping for the detail pane.
 */
#include <curses.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "tui.h"

/* colour pairs: pair number = enum value; mono = the attribute used without colour */
static const struct {
	short	 fg, bg;
	int	 extra;		/* added in colour mode too */
	int	 mono;
} palette[COL_COUNT] = {
	[COL_NONE]        = { -1, -1, 0, A_NORMAL },
	[COL_GREEN]       = { COLOR_GREEN, -1, 0, A_NORMAL },
	[COL_YELLOW]      = { COLOR_YELLOW, -1, 0, A_NORMAL },
	[COL_RED]         = { COLOR_RED, -1, A_BOLD, A_BOLD },
	[COL_BLUE]        = { COLOR_BLUE, -1, 0, A_NORMAL },
	[COL_MAGENTA]     = { COLOR_MAGENTA, -1, 0, A_NORMAL },
	[COL_CYAN]        = { COLOR_CYAN, -1, 0, A_NORMAL },
	[COL_DIM]         = { -1, -1, A_DIM, A_DIM },
	[COL_HEADER]      = { COLOR_WHITE, COLOR_BLUE, A_BOLD, A_REVERSE },
	[COL_STATUS]      = { COLOR_BLACK, COLOR_CYAN, 0, A_REVERSE },
	[COL_TITLE]       = { COLOR_CYAN, -1, A_BOLD, A_BOLD },
	[COL_TITLE_FOCUS] = { COLOR_BLACK, COLOR_GREEN, A_BOLD, A_REVERSE | A_BOLD },
};

static const struct { const char *utf8, *ascii; } fills[FILL_COUNT] = {
	[FILL_SOLID]  = { "\u2588", "#" },
	[FILL_DARK]   = { "\u2593", "%" },
	[FILL_MEDIUM] = { "\u2592", "=" },
	[FILL_LIGHT]  = { "\u2591", ":" },
	[FILL_LINE]   = { "\u2500", "-" },
	[FILL_DOT]    = { "\u00b7", "." },
	[FILL_BLANK]  = { " ", " " },
};

void
draw_init(struct tui *t)
{
	if (!t->colour || !has_colors()) {
		t->colour = false;
		return;
	}
	start_color();
	use_default_colors();
	for (int i = 1; i < COL_COUNT; i++)
		init_pair((short)i, palette[i].fg, palette[i].bg);
}

int
draw_attr(const struct tui *t, enum tui_colour c)
{
	if (!t->colour)
		return palette[c].mono;
	return (c == COL_NONE ? 0 : (int)COLOR_PAIR(c)) | palette[c].extra;
}

const char *
draw_fill(const struct tui *t, enum tui_fill f)
{
	return t->utf8 ? fills[f].utf8 : fills[f].ascii;
}

const char *
draw_glyph(const struct tui *t, const char *utf8, const char *ascii)
{
	return t->utf8 ? utf8 : ascii;
}

/* the next character of s: its byte length and display width (a broken byte is one '?') */
static size_t
next_char(const struct tui *t, const char *s, int *width, bool *bad)
{
	*bad = false;
	if ((unsigned char)*s < 0x80) {
		*width = 1;
		*bad = (unsigned char)*s < 0x20 || *s == 0x7f;
		return 1;
	}
	if (!t->utf8) {
		*width = 1;
		*bad = true;
		return 1;
	}
	mbstate_t st = { 0 };
	wchar_t wc;
	size_t n = mbrtowc(&wc, s, MB_CUR_MAX, &st);
	if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
		*width = 1;
		*bad = true;
		return 1;
	}
	int w = wcwidth(wc);
	if (w < 0) {
		*width = 1;
		*bad = true;
		return n;
	}
	*width = w;
	return n;
}

int
draw_text(const struct tui *t, int y, int x, int w, int attr, const char *s)
{
	char buf[4096];
	size_t n = 0;
	int used = 0;
	if (s == NULL || w <= 0)
		return 0;
	while (*s != '\0' && n + 8 < sizeof buf) {
		int cw;
		bool bad;
		size_t len = next_char(t, s, &cw, &bad);
		if (used + cw > w)
			break;
		if (bad)
			buf[n++] = *s == '\t' ? ' ' : '?';
		else {
			memcpy(buf + n, s, len);
			n += len;
		}
		used += cw;
		s += len;
	}
	buf[n] = '\0';
	attrset(attr);
	mvaddstr(y, x, buf);
	attrset(A_NORMAL);
	return used;
}

void
draw_blank(int y, int x, int w, int attr)
{
	attrset(attr);
	for (int i = 0; i < w; i++)
		mvaddch(y, x + i, ' ');
	attrset(A_NORMAL);
}

void
draw_box_title(const struct tui *t, struct tui_rect r, const char *title, bool focus)
{
	int a = draw_attr(t, focus ? COL_TITLE_FOCUS : COL_TITLE);
	const char *rule = draw_glyph(t, "\u2500", "-");
	attrset(draw_attr(t, COL_DIM));
	for (int i = 0; i < r.w; i++)
		mvaddstr(r.y, r.x + i, rule);
	attrset(A_NORMAL);
	char buf[256];
	snprintf(buf, sizeof buf, " %s ", title);
	draw_text(t, r.y, r.x + 1, r.w - 2, a, buf);
}

/* one wrapped line of s in w columns: its byte length; *next = where the following line starts */
static size_t
wrap_line(const char *s, int w, const char **next)
{
	size_t len = 0, brk = 0;
	int cols = 0;
	while (s[len] != '\0' && s[len] != '\n') {
		/* UTF-8 continuation bytes take no column */
		if (((unsigned char)s[len] & 0xc0) != 0x80) {
			if (cols == w)
				break;
			cols++;
		}
		if (s[len] == ' ')
			brk = len;
		len++;
	}
	if (s[len] == '\0' || s[len] == '\n') {
		*next = s[len] == '\n' ? s + len + 1 : s + len;
		return len;
	}
	if (brk > 0) {
		*next = s + brk + 1;
		return brk;
	}
	*next = s + len;
	return len;
}

int
draw_wrap_count(const char *s, int w)
{
	int n = 0;
	if (s == NULL || w <= 0)
		return 0;
	while (*s != '\0') {
		const char *next;
		wrap_line(s, w, &next);
		s = next;
		n++;
	}
	return n;
}

int
draw_wrap(const struct tui *t, const char *s, int w, int skip, int y, int x, int h, int attr)
{
	int row = 0, drawn = 0;
	if (s == NULL || w <= 0)
		return 0;
	while (*s != '\0' && drawn < h) {
		const char *next;
		size_t len = wrap_line(s, w, &next);
		if (row++ >= skip) {
			char buf[4096];
			snprintf(buf, sizeof buf, "%.*s", (int)len, s);
			draw_text(t, y + drawn, x, w, attr, buf);
			drawn++;
		}
		s = next;
	}
	return drawn;
}

/* an overlay: cleared, ruled at top (with its title) and bottom, barred at the sides */
void
draw_frame(const struct tui *t, struct tui_rect r, const char *title)
{
	const char *bar = draw_glyph(t, "\u2502", "|"), *rule = draw_glyph(t, "\u2500", "-");
	for (int i = 0; i < r.h; i++)
		draw_blank(r.y + i, r.x, r.w, 0);
	draw_box_title(t, r, title, true);
	attrset(draw_attr(t, COL_DIM));
	for (int i = 0; i < r.w; i++)
		mvaddstr(r.y + r.h - 1, r.x + i, rule);
	for (int i = 1; i < r.h - 1; i++) {
		mvaddstr(r.y + i, r.x, bar);
		mvaddstr(r.y + i, r.x + r.w - 1, bar);
	}
	attrset(A_NORMAL);
}

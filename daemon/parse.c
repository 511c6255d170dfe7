/*
 * parse.c - the reader: turns the bytes of a device log (a raw syslog_relay stream, or the text of
 * idevicesyslog, Console.app, Xcode, `log show` or pymobiledevice3) into struct cs_line records.
 *
 * It is hand-written, not built on regexes or a scanner generator, for two reasons. It is the hot
 * path: every byte of a 500 MB capture passes through here before any rule runs, so line ends are
 * found with memchr, a word-at-a-time scan decides whether a line needs any care at all, and clean
 * lines are copied once and never touched byte by byte. And its input is hostile: chunks split
 * records at any byte, relay streams are full of NULs, captures contain binary garbage, megabyte
 * lines and invalid UTF-8. So nothing is allocated after cs_reader_new, every buffer is bounded by
 * CS_MAX_RECORD whatever the input, and every loop moves forward (linear time, no backtracking).
 *
 * Per physical line (cut at '\n' or NUL):
 *   clean      vis(3) decode (\M-b\M^@\M^T), drop control bytes, repair UTF-8 - only when the scan
 *              found a byte that needs it
 *   recognise  syslog, Console.app columns, or a dated header (Xcode / log show / pymobiledevice3),
 *              trying first the family that matched last (files are consistent)
 *   assemble   a header starts a new record and hands out the pending one; a line without a header
 *              joins the pending record as a continuation (multi-line messages), up to a bound
 *
 * Time: every stamp becomes µs since the epoch, UTC, with our own civil-date arithmetic (no mktime,
 * no TZ, no global state). A stamp without a zone is device-local time (options->utc_offset_min).
 * The year of syslog stamps and the date of Console time-only stamps are inferred; see
 * resolve_yearless() and resolve_dateless(). A line without a stamp takes the time before it; one
 * before the first stamp is held until that stamp (hold_line()), so no line is ever put in 1970.
 * The phone's clock may jump back (daylight-saving fall-back, a manual change): the stream's order
 * is kept (keep_order()). Live lines keep the phone's spacing and are anchored once to the host
 * clock (anchor_stamp()), so the same lines give the same times whatever speed they arrive at.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "callsightd.h"

#define LINE_CAP	  CS_MAX_RECORD		/* bytes of one physical line that are looked at */
#define MARKER_ROOM	  48			/* kept free for " …[truncated N bytes]" */
#define RECORD_CAP	  (CS_MAX_RECORD - MARKER_ROOM)	/* record text before the marker */
#define MAX_CONTINUATIONS 200			/* lines joined to one record; then plain records */
#define FIELD_CAP	  256			/* device, process, image, level (NUL included) */
#define ANCHOR_WINDOW	  256			/* "proc(image)[pid]" must start this close to the stamp */
#define CONSOLE_WINDOW	  256			/* a Console time column must start this close */
#define MAX_COLUMNS	  16			/* Console columns split; the rest stays in the last */
#define STAMP_MEMO	  64			/* bytes of a syslog stamp kept (stamp_again) */
#define MAX_SCAN_IDS	  32			/* a record's scan ids kept; more: the rules read it */

#define US_PER_SEC	  INT64_C(1000000)
#define US_PER_DAY	  (86400 * US_PER_SEC)
#define HALF_YEAR_US	  (183 * US_PER_DAY)
#define HALF_DAY_US	  (US_PER_DAY / 2)
#define MAX_YEAR	  9999			/* inferred years and days stay in 1..9999: no overflow */
#define MAX_DAY		  INT64_C(2932896)	/* cs_days_from_civil(9999, 12, 31) */
#define MAX_REF_TIME	  INT64_C(253402300799)	/* 9999-12-31T23:59:59Z */
#define CLOCK_JUMP_US	  (60 * US_PER_SEC)	/* a stamp this far back is a clock jump, not jitter */
#define HOLD_LINES	  256			/* headerless lines held before the first stamp ... */
#define HOLD_BYTES	  (1024 * 1024)		/* ... and their bytes; beyond, timed by the ref */
#define FRESH_US	  (10 * 60 * US_PER_SEC)	/* live: a stamp this close to arrival is right */
#define ZONE_STEP_US	  (15 * 60 * US_PER_SEC)	/* zones are whole quarter hours */
#define MAX_ZONE_US	  ((14 * 60 + 15) * 60 * US_PER_SEC)	/* UTC-12 .. UTC+14, and a skew */

enum field { F_DEVICE, F_PROCESS, F_IMAGE, F_LEVEL, F_COUNT };

struct span {
	const char	*p;
	size_t		 n;
};

/* A stamp as written. year 0: none (syslog); month 0: no date at all (Console time-only). */
struct stamp {
	int	year, month, day;
	int	hour, min, sec, usec;
	bool	has_zone;
	int	zone_sec;
};

/* What recognising a header line found; spans point into the (cleaned) line. */
struct header {
	enum cs_format	fmt;
	struct stamp	st;
	struct span	field[F_COUNT];
	long		pid;
	size_t		msg_off;	/* the message runs from here to the end of the line ... */
	struct span	msg_only;	/* ... unless this is set (a Console message column mid-row) */
};

/* A physical line ready for recognising: p is valid UTF-8 with no control bytes but TAB. */
struct text {
	const char	*p;
	size_t		 n;
	unsigned	 flags;		/* CS_LINE_SANITIZED */
	uint64_t	 dropped;	/* bytes of the line beyond LINE_CAP */
};

/* The record being assembled: handed out when the next header arrives, or on flush. */
struct record {
	bool		active;
	bool		parsed;		/* it has a header, so it takes continuation lines */
	enum cs_format	fmt;
	unsigned	flags;
	uint64_t	number;
	uint64_t	offset;
	int64_t		time_us;	/* the stamp, kept in order (keep_order) */
	int64_t		device_us;	/* the stamp as written (zone and year inferred) */
	int64_t		recv_us;	/* the caller's clock when the record's first line arrived */
	long		pid;
	char	       *raw;		/* CS_MAX_RECORD + 1 */
	size_t		raw_len;
	size_t		msg_off;	/* message = raw + msg_off, unless msg_separate */
	bool		msg_separate;
	char	       *msg;		/* CS_MAX_RECORD + 1 */
	size_t		msg_len;
	uint64_t	dropped;	/* bytes cut to stay within CS_MAX_RECORD */
	unsigned	continuations;
	unsigned	blank_lines;	/* blank lines after the last joined one: kept only if text follows */
	bool		hit;		/* one of its lines may hold a rule literal (scan first) */
	bool		ids_valid;	/* one clean physical line the scan read: its literals' ids */
	size_t		nids;
	uint32_t	ids[MAX_SCAN_IDS];
	char		field[F_COUNT][FIELD_CAP];
};

struct line_pre;

/*
 * The last syslog stamp read, as its bytes up to its seconds and what they parsed to (stamp_again):
 * consecutive lines mostly share their second, so a repeat is a memcmp, not a parse. A cache of a
 * pure function: the reader keeps one, the line index builder (another thread) its own.
 */
struct stamp_memo {
	char		bytes[STAMP_MEMO];
	size_t		len;		/* 0: none kept */
	struct stamp	st;
};

struct cs_reader {
	struct cs_reader_options opt;
	char		       *udid;
	cs_line_cb		cb;
	void		       *ctx;
	struct cs_reader_stats	stats;

	uint64_t		base;		/* stream offset of the chunk being fed */
	int64_t			recv_us;	/* cs_reader_set_recv_time: when these bytes arrived */

	/* a physical line split across chunks */
	char		       *partial;	/* LINE_CAP + 1: one byte more than is kept, as take_line cuts */
	size_t			partial_len;
	bool			partial_active;
	bool			partial_cr;	/* its last byte so far is '\r' */
	uint64_t		partial_dropped;
	uint64_t		partial_offset;

	char		       *clean;		/* LINE_CAP: vis decoded, controls dropped */
	char		       *repair;		/* LINE_CAP: UTF-8 repaired */

	struct record		rec;

	enum cs_format		last_fmt;	/* family recognised last: tried first */
	uint64_t		syslog_bare;	/* syslog lines read without a device name */
	uint64_t		syslog_named;	/* ... and with one */

	int64_t			ref_time;	/* options->ref_time, or time(NULL) when 0 */
	bool			year_known;
	int			year;
	int64_t			last_yearless_us;
	bool			day_known;
	int64_t			day;
	int64_t			last_dateless_us;
	int64_t			last_time_us;	/* inherited by records without a stamp */
	int64_t			last_device_us;	/* ... and their device time */
	bool			stamp_seen;	/* a stamped record was read */
	int64_t			last_stamp_us;	/* the last stamp as written, for keep_order() */
	int64_t			jump_us;	/* added to stamps since the clock went back */
	bool			anchored;	/* live: anchor_us chosen */
	int64_t			anchor_us;

	/* headerless records before the first stamp (hold_line) */
	struct held_line {
		char	       *raw;
		size_t		raw_len;
		uint64_t	number, offset;
		unsigned	flags;
		int64_t		recv_us;
	}			held[HOLD_LINES];
	size_t			nheld;
	size_t			held_bytes;
	int64_t			civil_key;	/* the date days_from_civil computed last ... */
	int64_t			civil_days;	/* ... and its day number: consecutive stamps share it */
	/* consecutive lines mostly share their second (a second holds dozens of lines), so the
	 * last syslog stamp read is kept as its bytes up to its seconds (stamp_again()), and the
	 * last stamp resolved with its time (resolve_time()): a repeat is a memcmp, not a parse
	 * and a date computation */
	struct stamp_memo	memo;
	bool			resolved_valid;
	struct stamp		resolved_st;	/* the argument of the last resolve_time() ... */
	int64_t			resolved_us;	/* ... and its result */

	/* scan first (cs_reader_feed_hits): the chunk's literal hits, for the feed in progress */
	const size_t	       *hits;		/* NULL: no scan, every line may hold a literal */
	size_t			nhits, hit_at;	/* hit_at: the first hit not behind the current line */
	const uint32_t	       *hit_first;	/* per hit line, where its ids start in hit_ids */
	const uint32_t	       *hit_ids;	/* NULL: no ids (cs_reader_feed_hits) */
	size_t			nhit_ids;
	bool			line_ids;	/* the line being taken is clean and whole, and its hit
						 * (hits[hit_at]) names its literals */
	bool			light;		/* lines with no hit may be skipped unbuilt */
	bool			line_hit;	/* the physical line being taken may hold a literal */
	char			skip_device[FIELD_CAP];	/* the device of the last skipped record */
	size_t			skip_device_len;
	struct cs_line		skip_tpl;	/* a skipped record: all but its place, times, pid */
	/* what skip_line found looking at the next line of the chunk being fed, so that line is not
	 * searched and parsed twice: where it starts, its '\n', its body's end and its syslog stamp
	 * (peek_stamp_end NULL: none). Valid during one cs_reader_feed only (peek_line NULL after). */
	const char	       *peek_line;
	const char	       *peek_nl;
	const char	       *peek_body;
	const char	       *peek_stamp_end;
	struct stamp		peek_st;
	/* scan ahead: the chunk's line index (cs_reader_feed_ahead), and the entry of the physical
	 * line being cut (NULL: not indexed, read it here). Valid during one feed only. */
	const struct cs_line_index *ix;
	const struct line_pre  *pre;
	size_t			ix_at;		/* the first entry not behind the line being cut */
};

/* ---------------------------------------------------------------- byte classes */

/*
 * 1: needs cleaning (control bytes other than TAB, DEL, bytes >= 0x80); 2: a backslash, which needs
 * cleaning only when it starts a vis(3) meta escape "\M".
 */
static const unsigned char byte_class[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

static bool
needs_cleaning(const char *p, const char *end)
{
	unsigned char c = (unsigned char)*p;

	if (byte_class[c] == 1)
		return true;
	return byte_class[c] == 2 && p + 1 < end && p[1] == 'M';
}

/*
 * Which of the 16 bytes at p may need cleaning (a control byte other than TAB, a high byte, DEL or
 * a backslash: needs_cleaning decides), as bits 0-15. Every byte of every line passes here, and no
 * library call answers "the bytes of this class" (memchr finds one value, strcspn stops at NUL and
 * walks a set), so: one compare mask with SSE2 on x86-64, the compiler's portable vector extension
 * elsewhere (NEON on arm64; GCC and clang), a table otherwise. The '\n' is a control byte: the line
 * index (cs_line_index_build) finds a line's end and its first special byte in the same pass.
 */
#if !defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__))
typedef unsigned char bytes16 __attribute__((vector_size(16)));
#endif

static inline unsigned
special_mask16(const char *p)
{
#if defined(__SSE2__)
	/* x - 0x20 (wrapping) is >= 0x5f, unsigned, exactly for the bytes below 0x20 and from DEL
	 * up; TAB is taken out, the backslash added */
	const __m128i space = _mm_set1_epi8(0x20), edge = _mm_set1_epi8(0x5f);
	const __m128i tab = _mm_set1_epi8('\t'), backslash = _mm_set1_epi8('\\');
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i t = _mm_sub_epi8(x, space);
	__m128i odd = _mm_cmpeq_epi8(_mm_max_epu8(t, edge), t);
	odd = _mm_or_si128(_mm_andnot_si128(_mm_cmpeq_epi8(x, tab), odd),
	    _mm_cmpeq_epi8(x, backslash));
	return (unsigned)_mm_movemask_epi8(odd);
#elif defined(__GNUC__) || defined(__clang__)
	bytes16 x, bad;
	unsigned char b[16];
	unsigned mask = 0;

	memcpy(&x, p, 16);
	/* unsigned: >= 0x7f is DEL and every high byte */
	bad = (bytes16)((x < 0x20) & (x != '\t')) | (bytes16)(x >= 0x7f) | (bytes16)(x == '\\');
	memcpy(b, &bad, 16);
	uint64_t w[2];
	memcpy(w, b, 16);
	if ((w[0] | w[1]) == 0)
		return 0;
	for (int i = 0; i < 16; i++)
		mask |= (unsigned)(b[i] & 1) << i;
	return mask;
#else
	unsigned mask = 0;

	for (int i = 0; i < 16; i++)
		mask |= (unsigned)(byte_class[(unsigned char)p[i]] != 0) << i;
	return mask;
#endif
}

/* special_mask16 of the bytes in [p, end), fewer than 16 or not: the bytes past end count as none. */
static unsigned
special_mask_upto(const char *p, const char *end)
{
	char pad[16];

	if (end - p >= 16)
		return special_mask16(p);
	memset(pad, 'a', sizeof pad);
	memcpy(pad, p, (size_t)(end - p));
	return special_mask16(pad) & ((1u << (end - p)) - 1);
}

/* The first byte in [p, end) that needs cleaning, or end. */
static const char *
find_special(const char *p, const char *end)
{
	for (; p < end; p += 16)
		for (unsigned mask = special_mask_upto(p, end); mask != 0; mask &= mask - 1)
			if (needs_cleaning(p + __builtin_ctz(mask), end))
				return p + __builtin_ctz(mask);
	return end;
}

/* ---------------------------------------------------------------- UTF-8 */

/* Length (1-4) of the well-formed UTF-8 sequence at s, or 0 if there is none. */
static size_t
utf8_sequence(const unsigned char *s, size_t n)
{
	unsigned c = s[0];

	if (c < 0x80)
		return 1;
	if (c < 0xc2 || c > 0xf4)
		return 0;
	if (c < 0xe0)
		return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c < 0xf0) {
		if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f))
			return 0;	/* overlong, or a UTF-16 surrogate */
		return 3;
	}
	if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
		return 0;
	if ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))
		return 0;	/* overlong, or beyond U+10FFFF */
	return 4;
}

/* The largest n' <= n that does not cut a UTF-8 sequence of the valid text s (len bytes). */
size_t
cs_utf8_cut(const char *s, size_t n, size_t len)
{
	if (n >= len)
		return len;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

/* ---------------------------------------------------------------- cleaning */

/*
 * vis(3) meta escapes, as syslog_relay sends every byte >= 0x80: "\M-x" is x|0x80 for a printable
 * x, "\M^x" is a meta-control, (x^0x40)|0x80 ("\M^@" 0x80 ... "\M^_" 0x9f, "\M^?" 0xff). Returns
 * the decoded byte, or -1 when s is not such an escape (it is then kept literally).
 */
static int
vis_meta(const char *s, const char *end)
{
	unsigned char x;

	if (end - s < 4 || s[0] != '\\' || s[1] != 'M')
		return -1;
	x = (unsigned char)s[3];
	if (s[2] == '-' && x >= 0x20 && x < 0x7f)
		return x | 0x80;
	if (s[2] == '^' && ((x >= '@' && x <= '_') || x == '?'))
		return (x ^ 0x40) | 0x80;
	return -1;
}

/* Replace invalid UTF-8 in t with U+FFFD, into the repair buffer. */
static void
repair_utf8(struct cs_reader *r, struct text *t)
{
	const unsigned char *s = (const unsigned char *)t->p;
	size_t i = 0, o = 0, len;
	char *out = r->repair;

	while (i < t->n) {
		if (s[i] < 0x80) {
			if (o == LINE_CAP)
				break;
			out[o++] = (char)s[i++];
		} else if ((len = utf8_sequence(s + i, t->n - i)) > 0) {
			if (o + len > LINE_CAP)
				break;
			memcpy(out + o, s + i, len);
			o += len;
			i += len;
		} else {
			if (o + 3 > LINE_CAP)
				break;
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	t->dropped += t->n - i;
	t->p = out;
	t->n = o;
	t->flags |= CS_LINE_SANITIZED;
}

static bool
utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0, len;

	while (i < n) {
		if (s[i] < 0x80)
			i++;
		else if ((len = utf8_sequence(s + i, n - i)) > 0)
			i += len;
		else
			return false;
	}
	return true;
}

/*
 * Make t safe: decode vis escapes, drop control bytes (counted as garbage), then repair UTF-8 if a
 * high byte is present. Only lines the scan flagged come here, so a plain byte loop is enough; it
 * must still be fast on binary garbage, where every line comes here.
 */
static void
clean_text(struct cs_reader *r, struct text *t)
{
	const unsigned char *p = (const unsigned char *)t->p, *end = p + t->n;
	unsigned char *out = (unsigned char *)r->clean;
	unsigned high = 0;
	size_t o = 0;
	int meta;

	while (p < end) {
		unsigned char c = *p;

		if ((c >= 0x20 && c != 0x7f && c != '\\') || c == '\t') {
			out[o++] = c;
			high |= c;
			p++;
		} else if (c == '\\') {
			if ((meta = vis_meta((const char *)p, (const char *)end)) >= 0) {
				out[o++] = (unsigned char)meta;
				high |= 0x80;
				p += 4;
			} else {
				out[o++] = *p++;
			}
		} else {
			r->stats.garbage_bytes++;
			t->flags |= CS_LINE_SANITIZED;
			p++;
		}
	}
	t->p = r->clean;
	t->n = o;
	if ((high & 0x80) && !utf8_valid(out, o))
		repair_utf8(r, t);
}

/* ---------------------------------------------------------------- small scanners */

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Exactly n digits at s (bounded by end) into *v. */
static bool
read_digits(const char *s, const char *end, int n, int *v)
{
	int x = 0;

	if (end - s < n)
		return false;
	for (int i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return false;
		x = x * 10 + (s[i] - '0');
	}
	*v = x;
	return true;
}

/* Spaces, TABs and '>' quote marks that pasting puts before a header. */
static const char *
skip_quote_prefix(const char *s, const char *end)
{
	while (s < end && (*s == ' ' || *s == '\t' || *s == '>'))
		s++;
	return s;
}

static const char *
skip_spaces(const char *s, const char *end)
{
	while (s < end && *s == ' ')
		s++;
	return s;
}

/* Three bytes as one number, to compare names with an integer compare: every stamp is read, and a
 * library memcmp call per name tried (19 of them for "Mon dd") cost more than the rest of it. */
static uint32_t
three(const char *s)
{
	return (uint32_t)(unsigned char)s[0] << 16 | (uint32_t)(unsigned char)s[1] << 8 |
	    (unsigned char)s[2];
}

#define THREE(a, b, c)	((uint32_t)(a) << 16 | (uint32_t)(b) << 8 | (uint32_t)(c))

/* "Thu " before a syslog stamp (pre-iOS-10 syslog as ASL and old Xcode Organizer printed it) */
static bool
is_weekday(const char *s, const char *end)
{
	static const uint32_t names[7] = {
		THREE('M', 'o', 'n'), THREE('T', 'u', 'e'), THREE('W', 'e', 'd'), THREE('T', 'h', 'u'),
		THREE('F', 'r', 'i'), THREE('S', 'a', 't'), THREE('S', 'u', 'n'),
	};

	if (end - s < 4 || s[3] != ' ')
		return false;
	uint32_t k = three(s);
	for (int i = 0; i < 7; i++)
		if (k == names[i])
			return true;
	return false;
}

/* s has 3 bytes */
static int
month_number(const char *s)
{
	static const uint32_t names[12] = {
		THREE('J', 'a', 'n'), THREE('F', 'e', 'b'), THREE('M', 'a', 'r'), THREE('A', 'p', 'r'),
		THREE('M', 'a', 'y'), THREE('J', 'u', 'n'), THREE('J', 'u', 'l'), THREE('A', 'u', 'g'),
		THREE('S', 'e', 'p'), THREE('O', 'c', 't'), THREE('N', 'o', 'v'), THREE('D', 'e', 'c'),
	};
	uint32_t k = three(s);

	for (int i = 0; i < 12; i++)
		if (k == names[i])
			return i + 1;
	return 0;
}

/* [.fraction] after the seconds at s, into st->usec; returns its end, or NULL. Fractions beyond µs
 * are read and dropped. */
static inline const char *
parse_fraction(const char *s, const char *end, struct stamp *st)
{
	int usec = 0, digits = 0;

	if (s < end && *s == '.') {
		s++;
		for (; s < end && is_digit(*s); s++, digits++)
			if (digits < 6)
				usec = usec * 10 + (*s - '0');
		if (digits == 0)
			return NULL;
		for (int i = digits; i < 6; i++)
			usec *= 10;
	}
	st->usec = usec;
	return s;
}

/* HH:MM:SS[.fraction]; returns the end, or NULL. */
static const char *
parse_clock(const char *s, const char *end, struct stamp *st)
{
	if (!read_digits(s, end, 2, &st->hour) || end - s < 8 || s[2] != ':' || s[5] != ':' ||
	    !read_digits(s + 3, end, 2, &st->min) || !read_digits(s + 6, end, 2, &st->sec))
		return NULL;
	if (st->hour > 23 || st->min > 59 || st->sec > 60)
		return NULL;
	return parse_fraction(s + 8, end, st);
}

/* A UTC offset: +hhmm, -hh:mm, +hh, or Z. Returns the end, or NULL. */
static const char *
parse_zone(const char *s, const char *end, struct stamp *st)
{
	int sign, hh, mm = 0;

	if (s < end && *s == 'Z') {
		st->has_zone = true;
		st->zone_sec = 0;
		return s + 1;
	}
	if (s >= end || (*s != '+' && *s != '-') || !read_digits(s + 1, end, 2, &hh))
		return NULL;
	sign = *s == '-' ? -1 : 1;
	s += 3;
	if (s < end && *s == ':')
		s++;
	if (read_digits(s, end, 2, &mm))
		s += 2;
	if (hh > 23 || mm > 59)
		return NULL;
	st->has_zone = true;
	st->zone_sec = sign * (hh * 3600 + mm * 60);
	return s;
}

/* YYYY-MM-DD; returns the end, or NULL. */
static const char *
parse_iso_date(const char *s, const char *end, struct stamp *st)
{
	if (!read_digits(s, end, 4, &st->year) || end - s < 10 || s[4] != '-' || s[7] != '-' ||
	    !read_digits(s + 5, end, 2, &st->month) || !read_digits(s + 8, end, 2, &st->day))
		return NULL;
	if (st->year < 1 || st->month < 1 || st->month > 12 || st->day < 1 || st->day > 31)
		return NULL;
	return s + 10;
}

/* A zone after a clock: glued (+0100) or after one space ( +0530, older Console). */
static const char *
parse_optional_zone(const char *s, const char *end, struct stamp *st)
{
	const char *z;

	if (s < end && (*s == '+' || *s == '-' || *s == 'Z') && (z = parse_zone(s, end, st)) != NULL)
		return z;
	if (end - s >= 2 && s[0] == ' ' && (s[1] == '+' || s[1] == '-') &&
	    (z = parse_zone(s + 1, end, st)) != NULL)
		return z;
	return s;
}

/* "YYYY-MM-DD HH:MM:SS[.f][zone]"; returns the end, or NULL. */
static const char *
parse_dated_stamp(const char *s, const char *end, struct stamp *st)
{
	if ((s = parse_iso_date(s, end, st)) == NULL || s >= end || (*s != ' ' && *s != 'T'))
		return NULL;
	if ((s = parse_clock(s + 1, end, st)) == NULL)
		return NULL;
	return parse_optional_zone(s, end, st);
}

static bool
has_colon_space(const char *s, size_t n)
{
	const char *end = s + n, *c;

	for (; (c = memchr(s, ':', (size_t)(end - s))) != NULL; s = c + 1)
		if (c + 1 < end && c[1] == ' ')
			return true;
	return false;
}

/* ---------------------------------------------------------------- process block */

/* "name(image)[pid] <Level>: " and its relatives, as found after a stamp. */
struct proc_block {
	struct span	name;		/* device and/or process, before the image */
	struct span	image;
	char		image_open;	/* '(' or '{' or 0 */
	long		pid;
	bool		has_tid;	/* [pid:tid]: Xcode */
	bool		colon;		/* "]:" or "] <Level>:" */
	struct span	level;
	const char     *msg;
};

/* [digits] or [digits:digits] at s; returns the end after ']', or NULL. */
static const char *
parse_pid(const char *s, const char *end, struct proc_block *pb)
{
	long pid = 0;
	int digits = 0;

	for (s++; s < end && is_digit(*s) && digits < 10; s++, digits++)
		pid = pid * 10 + (*s - '0');
	if (digits == 0)
		return NULL;
	pb->has_tid = false;
	if (s < end && *s == ':') {
		for (digits = 0, s++; s < end && is_digit(*s) && digits < 20; s++)
			digits++;
		if (digits == 0)
			return NULL;
		pb->has_tid = true;
	}
	if (s >= end || *s != ']')
		return NULL;
	pb->pid = pid;
	return s + 1;
}

/* The bytes of a level name ("Notice", "Error", "default"): letters and '_'. A table, as every
 * syslog line has one (is_alpha and two tests per byte: ~90 of a skipped line's ~1000 instructions). */
static const bool level_byte[256] = {
	['_'] = true,
#define L(c) [c] = true, [c - 'a' + 'A'] = true
	L('a'), L('b'), L('c'), L('d'), L('e'), L('f'), L('g'), L('h'), L('i'), L('j'), L('k'),
	L('l'), L('m'), L('n'), L('o'), L('p'), L('q'), L('r'), L('s'), L('t'), L('u'), L('v'),
	L('w'), L('x'), L('y'), L('z'),
#undef L
};

/* What follows the pid: ":", " <Level>:", or (Xcode) a space; sets pb->msg. */
static bool
parse_after_pid(const char *s, const char *end, struct proc_block *pb)
{
	const char *w;

	pb->colon = false;
	pb->level.p = "";
	pb->level.n = 0;
	if (s < end && *s == ':') {
		pb->colon = true;
		s++;
	} else if (end - s >= 2 && s[0] == ' ' && s[1] == ':') {	/* "proc[pid] : msg" (ASL) */
		pb->colon = true;
		s += 2;
	} else if (end - s >= 2 && s[0] == ' ' && s[1] == '<') {
		const char *wlim = end - s > 34 ? s + 34 : end;

		for (w = s + 2; w < wlim && level_byte[(unsigned char)*w]; w++)
			;
		if (w == s + 2 || end - w < 2 || w[0] != '>' || w[1] != ':')
			return false;
		pb->level.p = s + 2;
		pb->level.n = (size_t)(w - (s + 2));
		pb->colon = true;
		s = w + 2;
	} else if (!pb->has_tid || (s < end && *s != ' ')) {
		return false;
	}
	if (s < end && *s == ' ')
		s++;
	pb->msg = s;
	return true;
}

/* The last c in s[0..n), or NULL (memrchr is a GNU extension: glibc's where there is one). */
static const char *
find_last(const char *s, char c, size_t n)
{
#ifdef __GLIBC__
	return memrchr(s, c, n);
#else
	while (n > 0)
		if (s[--n] == c)
			return s + n;
	return NULL;
#endif
}

/* Split a trailing "(image)" or "{image}" off pb->name. */
static void
split_image(struct proc_block *pb)
{
	const char *s = pb->name.p, *open;
	size_t n = pb->name.n;
	char close = n > 0 ? s[n - 1] : 0;

	pb->image.p = "";
	pb->image.n = 0;
	pb->image_open = 0;
	if (close != ')' && close != '}')
		return;
	open = find_last(s, close == ')' ? '(' : '{', n - 1);
	if (open == NULL || open == s)
		return;
	pb->image.p = open + 1;
	pb->image.n = (size_t)(s + n - 1 - (open + 1));
	pb->image_open = *open;
	pb->name.n = (size_t)(open - s);
}

/*
 * Find the "[pid]" anchor in the first ANCHOR_WINDOW bytes of s: the first '[' followed by digits,
 * ']' (or ':tid]') and ':' or " <Level>:" is it. Everything before is the name part; a candidate
 * whose name part contains ": " is message text, not a header, and is passed over.
 */
static bool
scan_proc_block(const char *s, const char *end, struct proc_block *pb)
{
	const char *lim = end - s > ANCHOR_WINDOW ? s + ANCHOR_WINDOW : end;
	const char *b = s, *q;

	while ((b = memchr(b, '[', (size_t)(lim - b))) != NULL) {
		if (b > s && b[-1] != ' ' && (q = parse_pid(b, end, pb)) != NULL &&
		    parse_after_pid(q, end, pb) && !has_colon_space(s, (size_t)(b - s))) {
			pb->name.p = s;
			pb->name.n = (size_t)(b - s);
			split_image(pb);
			return pb->name.n > 0;
		}
		b++;
	}
	return false;
}

/* ---------------------------------------------------------------- recognisers */

/* Field by field rather than memset: this runs for every line, and is most of a short one. */
static void
header_init(struct header *h, enum cs_format fmt)
{
	h->fmt = fmt;
	h->st.year = h->st.month = h->st.day = 0;
	h->st.usec = 0;
	h->st.has_zone = false;
	h->st.zone_sec = 0;
	for (int i = 0; i < F_COUNT; i++) {
		h->field[i].p = "";
		h->field[i].n = 0;
	}
	h->pid = -1;
	h->msg_off = 0;
	h->msg_only.p = NULL;
	h->msg_only.n = 0;
}

static void
set_field(struct header *h, enum field f, const char *p, size_t n)
{
	h->field[f].p = p;
	h->field[f].n = n;
}

/*
 * syslog: is the first word of "iPad runningboardd" a device name? The relay always sends one;
 * idevicesyslog >= 1.3 drops it; and a process name may itself contain spaces ("My App"). A name
 * part without a space is certainly bare. A stream is consistent, so a spaced one starts with a
 * device name while no bare line was seen, or while device-named lines outnumber bare ones; in a
 * bare stream "My App" is a process with a space. (Before any evidence, the first word of "My App"
 * is taken as a device: the relay, the commonest source, always sends one.)
 */
static inline struct span
split_syslog_name(struct cs_reader *r, struct span name, const char *sp, struct span *process)
{
	static const struct span none = { "", 0 };

	/* sp: name's first space, or NULL (syslog_head_rest found it) */
	if (sp == NULL) {
		r->syslog_bare++;
		*process = name;
		return none;
	}
	if (r->syslog_bare > 0 && r->syslog_named <= r->syslog_bare) {
		*process = name;
		return none;
	}
	r->syslog_named++;
	struct span device = { name.p, (size_t)(sp - name.p) };
	sp = skip_spaces(sp, name.p + name.n);
	process->p = sp;
	process->n = (size_t)(name.p + name.n - sp);
	return device;
}

/*
 * "Mon dd HH:MM:SS[.us] [device] proc[(image)][pid][ <Level>]: msg" - syslog_relay, idevicesyslog
 * 1.3 (no device), 1.4 (µs), pre-iOS-10 (no level). A valid stamp without a process block is still
 * a header: the message is what follows the stamp.
 */
/* The syslog stamp "Mon dd HH:MM:SS[.us]" at the start of a line, followed by a blank or the end:
 * returns where it ends (and *seconds_end, where its seconds end: stamp_again), or NULL. A valid
 * stamp alone makes a syslog header (parse_syslog); the scan-first skip asks the same question of
 * the line after the one it skips (skip_line). */
static const char *
syslog_stamp(const char *line, const char *end, struct stamp *st, const char **seconds_end)
{
	const char *s = skip_quote_prefix(line, end), *q;
	int day;

	if (is_weekday(s, end) && end - s >= 19 && month_number(s + 4) != 0)
		s += 4;
	if (end - s < 15 || s[3] != ' ' || !is_alpha(s[0]))
		return NULL;
	st->year = st->month = st->day = 0;
	st->usec = 0;
	st->has_zone = false;
	st->zone_sec = 0;
	if ((st->month = month_number(s)) == 0)
		return NULL;
	q = s + 4;
	if (*q == ' ')
		q++;
	if (read_digits(q, end, 2, &day))
		q += 2;
	else if (read_digits(q, end, 1, &day))
		q += 1;
	else
		return NULL;
	if (day < 1 || day > 31 || q >= end || *q != ' ')
		return NULL;
	st->day = day;
	*seconds_end = q + 1 + 8;	/* "HH:MM:SS", as parse_clock read it */
	if ((q = parse_clock(q + 1, end, st)) == NULL || (q < end && *q != ' '))
		return NULL;
	return q;
}

/* memcmp(a, b, n) == 0, for 8 to 16 bytes (a stamp up to its seconds, most device names) as two
 * words (their first and last eight, which overlap): a library call was most of the test */
static inline bool
same_bytes(const char *a, const char *b, size_t n)
{
	uint64_t x0, y0, x1, y1;

	if (n < 8 || n > 16)
		return memcmp(a, b, n) == 0;
	memcpy(&x0, a, 8);
	memcpy(&y0, b, 8);
	memcpy(&x1, a + n - 8, 8);
	memcpy(&y1, b + n - 8, 8);
	return x0 == y0 && x1 == y1;
}

/*
 * syslog_stamp, for a line that may repeat the last stamp read up to its seconds. Up to the end of
 * the seconds, syslog_stamp reads only those bytes (its length checks are met by any line that
 * holds them: a weekday is skipped only before a whole stamp, and the names of weekdays and months
 * differ), so a line that starts with the same bytes has the same date and clock; what follows
 * (a fraction, then a blank or the end) is read here as syslog_stamp reads it.
 */
static const char *
stamp_again(struct stamp_memo *m, const char *line, const char *end, struct stamp *st)
{
	size_t k = m->len;
	const char *q, *sec = line;

	if (k > 0 && (size_t)(end - line) >= k && same_bytes(line, m->bytes, k)) {
		*st = m->st;
		if ((q = parse_fraction(line + k, end, st)) == NULL || (q < end && *q != ' '))
			return NULL;
		return q;
	}
	q = syslog_stamp(line, end, st, &sec);
	m->len = 0;
	if (q != NULL && (size_t)(sec - line) <= STAMP_MEMO) {
		m->len = (size_t)(sec - line);
		memcpy(m->bytes, line, m->len);
		m->st = *st;
	}
	return q;
}

/*
 * What parse_syslog reads of a line without the reader's state: the stamp, the process block
 * parse_syslog takes (not Xcode's "[pid:tid]", not a "{image}"), and where the message starts.
 * The line index (scan ahead) reads it for every line of a chunk on the other thread.
 */
struct syslog_head {
	const char	   *stamp_end;	/* NULL: no syslog stamp, so no syslog header */
	struct stamp	    st;
	bool		    block;
	struct proc_block   pb;
	const char	   *name_sp;	/* the first space in pb.name, or NULL (split_syslog_name) */
	const char	   *msg;
};

/* The rest of a syslog head, after its stamp (sh->stamp_end, sh->st) was read. */
static void
syslog_head_rest(struct syslog_head *sh, const char *end)
{
	const char *q = skip_spaces(sh->stamp_end, end);

	sh->block = scan_proc_block(q, end, &sh->pb) && !sh->pb.has_tid && sh->pb.image_open != '{';
	sh->name_sp = sh->block ? memchr(sh->pb.name.p, ' ', sh->pb.name.n) : NULL;
	sh->msg = sh->block ? sh->pb.msg : q;
}

static const struct syslog_head *indexed_head(const struct cs_reader *r, const char *line,
    const char *end);

/* The syslog head of line..end (a line's text), read with the stamp memo m. */
static void
read_syslog_head(struct stamp_memo *m, const char *line, const char *end, struct syslog_head *sh)
{
	sh->stamp_end = stamp_again(m, line, end, &sh->st);
	if (sh->stamp_end != NULL)
		syslog_head_rest(sh, end);
}

/* The syslog head of line..end: the index's entry, or read here (into *own). */
static const struct syslog_head *
syslog_head_of(struct cs_reader *r, const char *line, const char *end, struct syslog_head *own)
{
	const struct syslog_head *sh = indexed_head(r, line, end);

	if (sh != NULL)
		return sh;
	if (line != r->peek_line || end != r->peek_body) {
		own->stamp_end = stamp_again(&r->memo, line, end, &own->st);
	} else {
		own->stamp_end = r->peek_stamp_end;	/* skip_line read its stamp already */
		own->st = r->peek_st;
	}
	if (own->stamp_end != NULL)
		syslog_head_rest(own, end);
	return own;
}

static bool
parse_syslog(struct cs_reader *r, const char *line, size_t n, struct header *h)
{
	struct syslog_head own;
	const struct syslog_head *sh = syslog_head_of(r, line, line + n, &own);

	header_init(h, CS_FMT_syslog);
	if (sh->stamp_end == NULL)
		return false;
	h->st = sh->st;
	if (sh->block) {
		h->field[F_DEVICE] = split_syslog_name(r, sh->pb.name, sh->name_sp, &h->field[F_PROCESS]);
		set_field(h, F_IMAGE, sh->pb.image.p, sh->pb.image.n);
		set_field(h, F_LEVEL, sh->pb.level.p, sh->pb.level.n);
		h->pid = sh->pb.pid;
	}
	h->msg_off = (size_t)(sh->msg - line);
	return true;
}

static bool is_console_type(struct span col);
static bool is_ident(struct span col);

/*
 * A Console.app row whose TABs became spaces (pasted into a web form or a chat) - "default
 * 14:02:14.123456+0100 VideoCall message" - or an Xcode line without the date. Before the stamp:
 * the type word, if any (h->field[F_LEVEL] is set). Returns where the stamp starts.
 */
static const char *
skip_console_type(const char *s, const char *end, struct header *h)
{
	const char *sp = memchr(s, ' ', (size_t)(end - s) < 16 ? (size_t)(end - s) : 16);

	if (sp == NULL || !is_console_type((struct span){ s, (size_t)(sp - s) }))
		return s;
	set_field(h, F_LEVEL, s, (size_t)(sp - s));
	return skip_spaces(sp, end);
}

/* "[type] process [message]" after a stamp with no process block: the Console row's columns. */
static const char *
spaced_console_columns(const char *q, const char *end, struct header *h)
{
	const char *sp = memchr(q, ' ', (size_t)(end - q));
	struct span word = { q, (size_t)((sp ? sp : end) - q) };

	if (!is_ident(word) || word.p[word.n - 1] == ':')
		return q;
	set_field(h, F_PROCESS, word.p, word.n);
	h->fmt = CS_FMT_console;
	return sp ? skip_spaces(sp, end) : end;
}

/*
 * "YYYY-MM-DD HH:MM:SS.us[zone] ..." - the family is decided by the process block:
 *   Proc[pid:tid] msg                        Xcode console
 *   proc{image}[pid] <LEVEL>: msg            pymobiledevice3 (also proc[pid] <Level>: with a date)
 *   host proc[pid]: [(image)] [subsys] msg   log show / log stream
 * A dated line without a process block is an Xcode line with its metadata hidden.
 */
static bool
parse_dated(const char *line, size_t n, struct header *h)
{
	const char *end = line + n, *s = skip_quote_prefix(line, end), *q, *sp;
	struct proc_block pb;
	bool typed, time_only;

	if (end - s < 8)
		return false;
	header_init(h, CS_FMT_xcode);
	s = skip_console_type(s, end, h);
	typed = h->field[F_LEVEL].n > 0;
	time_only = end - s >= 8 && is_digit(s[0]) && s[2] == ':';
	if (time_only) {
		if ((q = parse_clock(s, end, &h->st)) == NULL)
			return false;
		q = parse_optional_zone(q, end, &h->st);
		h->st.month = 0;	/* no date: resolve_dateless() */
	} else {
		if (end - s < 19 || !is_digit(s[0]) || s[4] != '-')
			return false;
		q = parse_dated_stamp(s, end, &h->st);
	}
	if (q == NULL || (q < end && *q != ' '))
		return false;
	q = skip_spaces(q, end);
	if (!scan_proc_block(q, end, &pb)) {
		/* a bare clock starts many a sentence: a time-only header needs the type word, or
		 * the fraction and zone that Xcode and Console print */
		if (time_only && !typed && !(h->st.has_zone && q - s > 9))
			return false;
		if (typed)
			q = spaced_console_columns(q, end, h);
		h->msg_off = (size_t)(q - line);
		return true;
	}
	h->pid = pb.pid;
	set_field(h, F_IMAGE, pb.image.p, pb.image.n);
	set_field(h, F_LEVEL, pb.level.p, pb.level.n);
	set_field(h, F_PROCESS, pb.name.p, pb.name.n);
	q = pb.msg;
	if (pb.has_tid) {
		h->fmt = CS_FMT_xcode;
	} else if (pb.image_open == '{' || pb.level.n > 0) {
		h->fmt = CS_FMT_pymd3;
	} else {
		h->fmt = CS_FMT_logshow;
		if ((sp = memchr(pb.name.p, ' ', pb.name.n)) != NULL) {
			set_field(h, F_DEVICE, pb.name.p, (size_t)(sp - pb.name.p));
			sp = skip_spaces(sp, pb.name.p + pb.name.n);
			set_field(h, F_PROCESS, sp, (size_t)(pb.name.p + pb.name.n - sp));
		}
		/* "(SpringBoard) [subsys:cat] msg": the sender image leads the message */
		if (pb.image.n == 0 && q < end && *q == '(') {
			const char *close = memchr(q, ')', (size_t)(end - q) < 128 ? (size_t)(end - q) : 128);

			if (close != NULL && close + 1 < end && close[1] == ' ') {
				set_field(h, F_IMAGE, q + 1, (size_t)(close - q - 1));
				q = close + 2;
			}
		}
	}
	h->msg_off = (size_t)(q - line);
	return true;
}

/* A whole Console time column: "HH:MM:SS.us[zone]" or "YYYY-MM-DD HH:MM:SS.us [zone]". */
static bool
parse_console_time(struct span col, struct stamp *st)
{
	const char *end = col.p + col.n, *q;

	memset(st, 0, sizeof *st);
	if (col.n >= 8 && col.p[2] == ':')
		q = parse_clock(col.p, end, st);
	else if (col.n >= 19 && col.p[4] == '-')
		q = parse_dated_stamp(col.p, end, st);
	else
		return false;
	if (q == NULL)
		return false;
	if (q < end && !st->has_zone)
		q = parse_optional_zone(q, end, st);
	return skip_spaces(q, end) == end;
}

static bool
is_console_type(struct span col)
{
	static const char *const types[] = { "default", "info", "debug", "error", "fault", "notice",
	    "activity" };

	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (col.n == strlen(types[i]) && strncasecmp(col.p, types[i], col.n) == 0)
			return true;
	return false;
}

/* One word, as process, library and subsystem columns are (a message usually has spaces). */
static bool
is_ident(struct span col)
{
	if (col.n == 0 || col.n > 128)
		return false;
	for (size_t i = 0; i < col.n; i++)
		if ((unsigned char)col.p[i] <= ' ')
			return false;
	return true;
}

/* The first Console column (of the first 4, within CONSOLE_WINDOW bytes) shaped like a time. */
static int
find_console_time(const char *line, const char *end, struct stamp *st)
{
	const char *p = line, *tab;
	size_t room;

	for (int i = 0; i < 4 && p < end; i++) {
		room = (size_t)(end - p);
		tab = memchr(p, '\t', room < CONSOLE_WINDOW ? room : CONSOLE_WINDOW);
		if (tab == NULL && i == 0)
			return -1;	/* no TAB near the start: not a Console row */
		if (parse_console_time((struct span){ p, (size_t)((tab ? tab : end) - p) }, st))
			return i;
		if (tab == NULL)
			return -1;
		p = tab + 1;
	}
	return -1;
}

/*
 * Console.app copies: TAB-separated columns in the user's order. The time column is found by its
 * shape, the type column by its words (default, error, ...). The rest, in order, is decided so:
 *  - A = the columns after the time, B = those before (type left out of both).
 *  - Custom order (3.12: time, category, message, subsystem, library, type, process): the first A
 *    column with a space is followed only by one-word columns, two or more of them or the type
 *    among them. Then that column is the message, the last one-word column the process and the
 *    one before it the image (library).
 *  - Otherwise the standard order: A[0] is the process; a one-word A[1] that is not the last
 *    column is the library/subsystem (image); the message is the rest of the row, TABs and all. A
 *    one-word column before the time (5.3: libnetwork.dylib first) is the image when A has none.
 *  - With a single A column, it is the message and the process is unknown.
 * The level is the type column's word, "" without one. pid is unknown (-1).
 */
static bool
parse_console(const char *line, size_t n, struct header *h)
{
	const char *end = line + n, *p = line, *tab;
	struct span col[MAX_COLUMNS], a[MAX_COLUMNS], b[MAX_COLUMNS];
	int ncol = 0, na = 0, nb = 0, t, type = -1, type_a = -1, m = -1, next;
	struct stamp st;

	if ((t = find_console_time(line, end, &st)) < 0)
		return false;
	while (ncol < MAX_COLUMNS - 1 && (tab = memchr(p, '\t', (size_t)(end - p))) != NULL) {
		col[ncol++] = (struct span){ p, (size_t)(tab - p) };
		p = tab + 1;
	}
	col[ncol++] = (struct span){ p, (size_t)(end - p) };

	header_init(h, CS_FMT_console);
	h->st = st;
	for (int i = 0; i < ncol; i++) {
		if (i != t && type < 0 && is_console_type(col[i])) {
			type = i;
			set_field(h, F_LEVEL, col[i].p, col[i].n);
			if (i > t)
				type_a = na;
		} else if (i > t) {
			a[na++] = col[i];
		} else if (i < t) {
			b[nb++] = col[i];
		}
	}
	if (na == 0) {
		h->msg_off = n;
		return true;
	}
	for (int i = 0; i < na && m < 0; i++)
		if (!is_ident(a[i]))
			m = i;
	if (m >= 0 && m < na - 1) {
		bool trailing_idents = true;

		for (int i = m + 1; i < na; i++)
			trailing_idents = trailing_idents && is_ident(a[i]);
		if (trailing_idents && (na - m - 1 >= 2 || type_a > m)) {
			set_field(h, F_PROCESS, a[na - 1].p, a[na - 1].n);
			if (na - 2 > m)
				set_field(h, F_IMAGE, a[na - 2].p, a[na - 2].n);
			h->msg_only = a[m];
			h->msg_off = (size_t)(a[m].p - line);
			return true;
		}
	}
	if (na == 1) {
		h->msg_off = (size_t)(a[0].p - line);
		return true;
	}
	set_field(h, F_PROCESS, a[0].p, a[0].n);
	next = 1;
	if (na >= 3 && is_ident(a[1])) {
		set_field(h, F_IMAGE, a[1].p, a[1].n);
		next = 2;
	}
	for (int i = 0; i < nb && h->field[F_IMAGE].n == 0; i++)
		if (is_ident(b[i]))
			set_field(h, F_IMAGE, b[i].p, b[i].n);
	h->msg_off = (size_t)(a[next].p - line);
	return true;
}

/* Recognise a header, trying first the family that matched last. */
static bool
recognise_header(struct cs_reader *r, const struct text *t, struct header *h)
{
	static const enum cs_format orders[3][3] = {
		{ CS_FMT_syslog, CS_FMT_xcode, CS_FMT_console },
		{ CS_FMT_xcode, CS_FMT_syslog, CS_FMT_console },
		{ CS_FMT_console, CS_FMT_syslog, CS_FMT_xcode },
	};
	int which = r->last_fmt == CS_FMT_console ? 2 : r->last_fmt == CS_FMT_syslog ? 0 :
	    r->last_fmt == CS_FMT_unknown ? 0 : 1;
	bool ok = false;

	for (int i = 0; i < 3 && !ok; i++) {
		switch (orders[which][i]) {
		case CS_FMT_syslog:
			ok = parse_syslog(r, t->p, t->n, h);
			break;
		case CS_FMT_console:
			ok = parse_console(t->p, t->n, h);
			break;
		default:
			ok = parse_dated(t->p, t->n, h);
			break;
		}
	}
	if (ok)
		r->last_fmt = h->fmt;
	return ok;
}

/* ---------------------------------------------------------------- time */

static int
year_from_days(int64_t z)
{
	int y, m, d;

	cs_civil_from_days(z, &y, &m, &d);
	return y;
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* The stamp's zone in seconds: its own, or the device's (options->utc_offset_min). */
static int
stamp_zone(const struct cs_reader *r, const struct stamp *st)
{
	return st->has_zone ? st->zone_sec : r->opt.utc_offset_min * 60;
}

static int64_t
stamp_at_day(const struct cs_reader *r, const struct stamp *st, int64_t days)
{
	int64_t secs = days * 86400 + st->hour * 3600 + st->min * 60 + st->sec - stamp_zone(r, st);

	return secs * US_PER_SEC + st->usec;
}

static int64_t
stamp_in_year(struct cs_reader *r, const struct stamp *st, int year)
{
	int64_t key = ((int64_t)year * 16 + st->month) * 32 + st->day;

	if (key != r->civil_key) {
		r->civil_key = key;
		r->civil_days = cs_days_from_civil(year, st->month, st->day);
	}
	return stamp_at_day(r, st, r->civil_days);
}

/*
 * syslog stamps have no year. The first one gets options->year, or else the latest year that does
 * not put it after ref_time (the capture was written no later than that; ref_time 0 means now, the
 * reader's only look at a clock, made once in cs_reader_new). After it, a stamp more
 * than half a year before the previous one has crossed Dec 31 -> Jan 1 (the year advances); one
 * more than half a year after it is a late line from the year before (the year stays).
 */
/* Which option or clock gave year-less and date-less stamps their date (for the summary). */
static const char *
date_source(const struct cs_reader *r)
{
	if (r->opt.date_year != 0)
		return "--date";
	if (r->opt.year != 0)
		return "--year";
	return r->opt.ref_time != 0 ? "the file's time" : "today";
}

static int64_t
resolve_yearless(struct cs_reader *r, const struct stamp *st)
{
	int64_t t;

	if (!r->year_known) {
		int zone = stamp_zone(r, st);
		int given = r->opt.year != 0 ? r->opt.year : r->opt.date_year;

		r->year = given != 0 ? given : year_from_days(floor_div(r->ref_time + zone, 86400));
		t = stamp_in_year(r, st, r->year);
		if (given == 0 && t > r->ref_time * US_PER_SEC)
			t = stamp_in_year(r, st, --r->year);
		r->year_known = true;
		r->stats.date_source = date_source(r);
	} else {
		t = stamp_in_year(r, st, r->year);
		if (t < r->last_yearless_us - HALF_YEAR_US && r->year < MAX_YEAR)
			t = stamp_in_year(r, st, ++r->year);
		else if (t > r->last_yearless_us + HALF_YEAR_US)
			t = stamp_in_year(r, st, r->year - 1);
	}
	r->last_yearless_us = t;
	return t;
}

/*
 * Console and Xcode time-only stamps have no date. The first one gets options->date (--date); else
 * the day of ref_time (in the stamp's zone), or the day before if that would put it after
 * ref_time, moved into options->year when that was given (Jan 1 of it without a ref_time). After
 * it, a time more than 12 h before the previous one has crossed midnight (the day advances); more
 * than 12 h after it, it is a late row from the day before. (A clock that goes back by less - a
 * daylight-saving fall-back - is keep_order()'s.)
 */
static int64_t
resolve_dateless(struct cs_reader *r, const struct stamp *st)
{
	int64_t t;

	if (!r->day_known) {
		if (r->opt.date_year != 0) {
			r->day = cs_days_from_civil(r->opt.date_year, r->opt.date_month, r->opt.date_day);
			t = stamp_at_day(r, st, r->day);
		} else if (r->opt.ref_time == 0 && r->opt.year != 0) {
			r->day = cs_days_from_civil(r->opt.year, 1, 1);
			t = stamp_at_day(r, st, r->day);
		} else {
			r->day = floor_div(r->ref_time + stamp_zone(r, st), 86400);
			t = stamp_at_day(r, st, r->day);
			if (t > r->ref_time * US_PER_SEC)
				t = stamp_at_day(r, st, --r->day);
			if (r->opt.year != 0) {
				int y, m, d;

				cs_civil_from_days(r->day, &y, &m, &d);
				if (m == 2 && d == 29)
					d = 28;
				r->day = cs_days_from_civil(r->opt.year, m, d);
				t = stamp_at_day(r, st, r->day);
			}
		}
		r->day_known = true;
		r->stats.date_source = date_source(r);
	} else {
		t = stamp_at_day(r, st, r->day);
		if (t < r->last_dateless_us - HALF_DAY_US && r->day < MAX_DAY)
			t = stamp_at_day(r, st, ++r->day);
		else if (t > r->last_dateless_us + HALF_DAY_US)
			t = stamp_at_day(r, st, r->day - 1);
	}
	r->last_dateless_us = t;
	return t;
}

/* The same second: all but the fraction. */
static bool
same_second(const struct stamp *a, const struct stamp *b)
{
	return a->year == b->year && a->month == b->month && a->day == b->day &&
	    a->hour == b->hour && a->min == b->min && a->sec == b->sec &&
	    a->has_zone == b->has_zone && a->zone_sec == b->zone_sec;
}

/*
 * A stamp's time. A stamp in the same second as the last one resolved is that time moved by the
 * difference of their fractions (under a second), with no date computed: only the resolve_*
 * functions change the date state, and for such a stamp each would take the branch that put the
 * last one where it is - a time under a second from the last one of resolve_yearless or
 * resolve_dateless neither crosses into the next year or day (half a year or day away) nor is a
 * late line (the year or day before, whose times are a whole year or day apart from these, lies
 * on the same side) - and remember the new time as its last; a dated stamp is a pure function.
 */
static int64_t resolve_new_second(struct cs_reader *r, const struct stamp *st);

static inline int64_t
resolve_time(struct cs_reader *r, const struct stamp *st)
{
	int64_t t;

	if (r->resolved_valid && same_second(st, &r->resolved_st)) {
		t = r->resolved_us + (st->usec - r->resolved_st.usec);
		if (st->month == 0)
			r->last_dateless_us = t;
		else if (st->year == 0)
			r->last_yearless_us = t;
		r->resolved_st.usec = st->usec;
		r->resolved_us = t;
		return t;
	}
	return resolve_new_second(r, st);
}

/* resolve_time for a stamp in another second than the last (apart: most stamps are not, and the
 * test above is then inlined where every line is read) */
static int64_t __attribute__((noinline))
resolve_new_second(struct cs_reader *r, const struct stamp *st)
{
	int64_t t;

	if (st->month == 0)
		t = resolve_dateless(r, st);
	else if (st->year == 0)
		t = resolve_yearless(r, st);
	else
		t = stamp_in_year(r, st, st->year);
	r->resolved_valid = true;
	r->resolved_st = *st;
	r->resolved_us = t;
	return t;
}

/*
 * The phone's clock went back (daylight-saving fall-back, a manual change, a late NTP fix): a stamp
 * at least CLOCK_JUMP_US before the previous one. The stream's order is the truth then - a
 * suspended app's last line and its burst after unlock must not trade places - so from here on the
 * stamps are moved forward by the jump and the timeline goes on where it was. Smaller steps back
 * are the jitter of lines from different processes; steps of half a day or more are another
 * capture pasted after this one (or a late line of another day): both are left alone. A jump
 * forward cannot be told from a quiet phone and is kept as written.
 */
static int64_t
keep_order(struct cs_reader *r, int64_t stamp)
{
	if (r->stamp_seen && stamp + CLOCK_JUMP_US <= r->last_stamp_us &&
	    stamp + HALF_DAY_US > r->last_stamp_us) {
		r->jump_us += r->last_stamp_us - stamp;
		r->stats.clock_jumps++;
	}
	r->stamp_seen = true;
	r->last_stamp_us = stamp;
	return stamp + r->jump_us;
}

/*
 * Live: where the phone's time sits on the host's clock, chosen once, at the first stamped line
 * (re-chosen never: a later change would make the verdict depend on how fast lines arrive). The
 * stamps keep their spacing, so a backlog flushed at connect or after a USB stall lands where it
 * happened. The offset d = arrival - stamp (stamp read in the zone the daemon was given, the host's
 * by default) says which case this is:
 *   |d| <= FRESH_US      the phone shares the host's zone and clock: the stamp is the time
 *   |d| <= MAX_ZONE_US   the phone is in another zone: d rounded to a quarter hour
 *   beyond               a clock far off (or an emulator replaying an old capture): the first
 *                        line is placed at its arrival and the rest follow by the stamps
 */
static int64_t
anchor_stamp(int64_t recv_us, int64_t stamp_us)
{
	int64_t d = recv_us - stamp_us;
	int64_t mag = d < 0 ? -d : d;

	if (mag <= FRESH_US)
		return 0;
	if (mag <= MAX_ZONE_US)
		return floor_div(d + ZONE_STEP_US / 2, ZONE_STEP_US) * ZONE_STEP_US;
	return d;
}

/* The timeline's time of a record (stamped: it has a header): live ones are anchored. */
static inline int64_t
timeline_time(struct cs_reader *r, int64_t time_us, int64_t recv_us, bool stamped)
{
	if (!r->opt.time_from_recv)
		return time_us;
	if (!r->anchored && stamped && recv_us != 0) {
		r->anchored = true;
		r->anchor_us = anchor_stamp(recv_us, time_us);
		r->stats.anchor_us = r->anchor_us;
	}
	if (r->anchored)
		return time_us + r->anchor_us;
	return recv_us != 0 ? recv_us : time_us;
}

static void release_held(struct cs_reader *r, int64_t t);

static int64_t take_new_stamp(struct cs_reader *r, int64_t device_us);

/* A stamp read from a header: kept in order, held lines released, remembered for what follows. */
static inline int64_t
take_stamp(struct cs_reader *r, int64_t device_us)
{
	/* the same stamp again (most lines): keep_order, the times and the held lines stay as
	 * they are (nothing is held once a stamp was seen) */
	if (r->stamp_seen && device_us == r->last_stamp_us && r->last_device_us == device_us &&
	    r->nheld == 0 && r->last_time_us == device_us + r->jump_us)
		return r->last_time_us;
	return take_new_stamp(r, device_us);
}

/* take_stamp for a stamp other than the last (apart, as resolve_new_second) */
static int64_t __attribute__((noinline))
take_new_stamp(struct cs_reader *r, int64_t device_us)
{
	int64_t t = keep_order(r, device_us);
	r->last_time_us = t;
	r->last_device_us = device_us;
	release_held(r, t);
	return t;
}

/* ---------------------------------------------------------------- records */

/* Append up to what fits below RECORD_CAP, at a UTF-8 boundary; the rest is counted as dropped. */
static void
append_bounded(char *buf, size_t *len, const char *s, size_t n, uint64_t *dropped)
{
	size_t room = *len < RECORD_CAP ? RECORD_CAP - *len : 0;
	size_t take = cs_utf8_cut(s, room, n);

	memcpy(buf + *len, s, take);
	*len += take;
	buf[*len] = '\0';
	*dropped += n - take;
}

/* A byte loop: fields are a few bytes long, too short for memcpy to pay off. */
static void
copy_field(char *dst, struct span s)
{
	size_t n = cs_utf8_cut(s.p, FIELD_CAP - 1, s.n);

	for (size_t i = 0; i < n; i++)
		dst[i] = s.p[i];
	dst[n] = '\0';
}

static void
count_record(struct cs_reader *r, enum cs_format fmt, unsigned flags)
{
	r->stats.lines++;
	r->stats.per_format[fmt]++;
	if (flags & CS_LINE_UNPARSED)
		r->stats.unparsed++;
	if (flags & CS_LINE_TRUNCATED)
		r->stats.truncated++;
	if (flags & CS_LINE_SANITIZED)
		r->stats.sanitized++;
}

/* ---------------------------------------------------------------- lines before the first stamp */

/* Hand out one held headerless record at time t (plain: its message is its whole text). */
static void
emit_held(struct cs_reader *r, struct held_line *h, int64_t t)
{
	struct cs_line line = {
		.number = h->number, .offset = h->offset, .time_us = t, .device_us = t,
		.recv_us = h->recv_us, .format = CS_FMT_plain, .flags = h->flags, .device = "",
		.process = "", .image = "", .pid = -1, .level = "", .message = h->raw,
		.message_len = h->raw_len, .raw = h->raw, .raw_len = h->raw_len, .udid = r->udid,
	};

	count_record(r, CS_FMT_plain, h->flags);
	if (r->cb != NULL)
		r->cb(&line, r->ctx);
	free(h->raw);
	h->raw = NULL;
}

/* The held records take time t (the first stamp's, or the fallback), in their order. */
static void
release_held(struct cs_reader *r, int64_t t)
{
	for (size_t i = 0; i < r->nheld; i++)
		emit_held(r, &r->held[i], t);
	r->nheld = 0;
	r->held_bytes = 0;
}

/* No stamp at all, or too much before it: --date's midnight (device time), else the ref time. */
static int64_t
fallback_time(const struct cs_reader *r)
{
	if (r->opt.date_year != 0)
		return (cs_days_from_civil(r->opt.date_year, r->opt.date_month, r->opt.date_day) * 86400 -
		    r->opt.utc_offset_min * 60) * US_PER_SEC;
	return r->ref_time * US_PER_SEC;
}

/*
 * A headerless record (stdout, an lldb message, a pasted fragment) before any stamp has no time
 * yet: keep it until the first stamp and give it that stamp's time, rather than 1970. Bounded by
 * HOLD_LINES / HOLD_BYTES; beyond, the held ones go out at fallback_time(). Returns false when the
 * record is not to be held (it goes out as usual).
 */
static bool
hold_line(struct cs_reader *r, const struct record *rec)
{
	if (r->stamp_seen || r->opt.time_from_recv || rec->parsed)
		return false;
	if (r->nheld == HOLD_LINES || r->held_bytes + rec->raw_len > HOLD_BYTES) {
		release_held(r, fallback_time(r));
		r->last_time_us = r->last_device_us = fallback_time(r);
		return false;
	}
	struct held_line *h = &r->held[r->nheld++];
	h->raw = cs_xstrndup(rec->raw, rec->raw_len);
	h->raw_len = rec->raw_len;
	h->number = rec->number;
	h->offset = rec->offset;
	h->flags = rec->flags;
	h->recv_us = rec->recv_us;
	r->held_bytes += rec->raw_len;
	r->stats.held_lines++;
	return true;
}

/* Hand out the pending record, if any. */
static void
emit_record(struct cs_reader *r)
{
	struct record *rec = &r->rec;
	struct cs_line line;

	if (!rec->active)
		return;
	rec->active = false;
	if (rec->dropped > 0) {
		char marker[MARKER_ROOM];
		int n = snprintf(marker, sizeof marker, " \xe2\x80\xa6[truncated %llu bytes]",
		    (unsigned long long)rec->dropped);

		memcpy(rec->raw + rec->raw_len, marker, (size_t)n + 1);
		rec->raw_len += (size_t)n;
		if (rec->msg_separate) {
			memcpy(rec->msg + rec->msg_len, marker, (size_t)n + 1);
			rec->msg_len += (size_t)n;
		}
		rec->flags |= CS_LINE_TRUNCATED;
	}
	if (hold_line(r, rec))
		return;
	line = (struct cs_line){
		.number = rec->number,
		.offset = rec->offset,
		.time_us = timeline_time(r, rec->time_us, rec->recv_us, rec->parsed),
		.device_us = rec->device_us,
		.recv_us = rec->recv_us,
		.format = rec->fmt,
		.flags = rec->flags,
		.device = rec->field[F_DEVICE],
		.process = rec->field[F_PROCESS],
		.image = rec->field[F_IMAGE],
		.pid = rec->pid,
		.level = rec->field[F_LEVEL],
		.message = rec->msg_separate ? rec->msg : rec->raw + rec->msg_off,
		.message_len = rec->msg_separate ? rec->msg_len : rec->raw_len - rec->msg_off,
		.raw = rec->raw,
		.raw_len = rec->raw_len,
		.udid = r->udid,
		.scan = rec->hit ? CS_SCAN_NONE : CS_SCAN_MISS,
		.scan_ids = rec->ids_valid ? rec->ids : NULL,
		.nscan_ids = rec->ids_valid ? rec->nids : 0,
	};
	count_record(r, rec->fmt, rec->flags);
	if (!rec->hit)
		r->stats.scan_missed++;
	if (r->cb != NULL)
		r->cb(&line, r->ctx);
}

/* Start a record from a line; h NULL makes it a plain record (no header, time inherited). */
static void
start_record(struct cs_reader *r, const struct text *t, const struct header *h, uint64_t number,
    uint64_t offset)
{
	struct record *rec = &r->rec;

	rec->active = true;
	rec->parsed = h != NULL;
	rec->recv_us = r->recv_us;
	rec->number = number;
	rec->offset = offset;
	rec->flags = t->flags;
	rec->dropped = t->dropped;
	rec->continuations = 0;
	rec->blank_lines = 0;
	rec->hit = r->line_hit;
	rec->ids_valid = false;
	if (r->line_ids && r->line_hit) {
		size_t from = r->hit_first[r->hit_at];
		size_t to = r->hit_at + 1 < r->nhits ? r->hit_first[r->hit_at + 1] : r->nhit_ids;
		if (to - from <= MAX_SCAN_IDS) {
			memcpy(rec->ids, r->hit_ids + from, (to - from) * sizeof *rec->ids);
			rec->nids = to - from;
			rec->ids_valid = true;
		}
	}
	rec->raw_len = 0;
	append_bounded(rec->raw, &rec->raw_len, t->p, t->n, &rec->dropped);
	rec->msg_separate = false;
	if (h == NULL) {
		rec->fmt = CS_FMT_plain;
		rec->flags |= CS_LINE_UNPARSED | CS_LINE_NO_TIME;
		rec->time_us = r->last_time_us;
		rec->device_us = r->last_device_us;
		rec->pid = -1;
		rec->msg_off = 0;
		for (int i = 0; i < F_COUNT; i++)
			rec->field[i][0] = '\0';
		return;
	}
	rec->fmt = h->fmt;
	rec->pid = h->pid;
	rec->msg_off = h->msg_off < rec->raw_len ? cs_utf8_cut(rec->raw, h->msg_off, rec->raw_len) :
	    rec->raw_len;
	if (h->msg_only.p != NULL) {
		uint64_t ignored = 0;

		rec->msg_separate = true;
		rec->msg_len = 0;
		append_bounded(rec->msg, &rec->msg_len, h->msg_only.p, h->msg_only.n, &ignored);
	}
	for (int i = 0; i < F_COUNT; i++)
		copy_field(rec->field[i], h->field[i]);
	if (h->st.has_zone)
		rec->flags |= CS_LINE_HAS_ZONE;
	rec->device_us = resolve_time(r, &h->st);
	rec->time_us = take_stamp(r, rec->device_us);
}

/* Join a continuation line (and the blank lines held before it) to the pending record. */
static void
join_continuation(struct cs_reader *r, const struct text *t)
{
	struct record *rec = &r->rec;
	uint64_t ignored = 0;

	rec->continuations += rec->blank_lines + 1;
	for (; rec->blank_lines > 0; rec->blank_lines--) {
		append_bounded(rec->raw, &rec->raw_len, "\n", 1, &rec->dropped);
		if (rec->msg_separate)
			append_bounded(rec->msg, &rec->msg_len, "\n", 1, &ignored);
	}
	append_bounded(rec->raw, &rec->raw_len, "\n", 1, &rec->dropped);
	append_bounded(rec->raw, &rec->raw_len, t->p, t->n, &rec->dropped);
	if (rec->msg_separate) {
		append_bounded(rec->msg, &rec->msg_len, "\n", 1, &ignored);
		append_bounded(rec->msg, &rec->msg_len, t->p, t->n, &ignored);
	}
	rec->dropped += t->dropped;
	rec->flags |= CS_LINE_CONTINUED | t->flags;
	rec->hit = rec->hit || r->line_hit;
	rec->ids_valid = false;		/* two lines: the rules read the joined message */
}

static bool
is_blank(const struct text *t)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->p[i] != ' ' && t->p[i] != '\t')
			return false;
	return true;
}

static bool
takes_continuation(const struct record *rec)
{
	return rec->active && rec->parsed && rec->continuations + rec->blank_lines < MAX_CONTINUATIONS;
}

/* One physical line, cleaned: a header, a continuation, a blank, or a plain record. */
static void
assemble_line(struct cs_reader *r, const struct text *t, uint64_t number, uint64_t offset)
{
	struct header h;

	if (recognise_header(r, t, &h)) {
		emit_record(r);
		start_record(r, t, &h, number, offset);
	} else if (is_blank(t)) {
		if (takes_continuation(&r->rec))
			r->rec.blank_lines++;
	} else if (takes_continuation(&r->rec)) {
		join_continuation(r, t);
	} else {
		emit_record(r);
		start_record(r, t, NULL, number, offset);
		emit_record(r);	/* a plain record never takes continuations: out at once */
	}
}

/*
 * A complete physical line (without its terminator). known_clean: the scan already found nothing
 * to clean. Lines beyond LINE_CAP are cut (at a UTF-8 boundary when the text allows).
 */
static void
take_line(struct cs_reader *r, const char *s, size_t n, bool known_clean, uint64_t dropped,
    uint64_t offset)
{
	struct text t = { s, n, 0, dropped };

	r->stats.physical_lines++;
	if (n > LINE_CAP) {
		size_t cut = LINE_CAP;

		for (int i = 0; i < 3 && cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80; i++)
			cut--;
		t.n = cut;
		t.dropped += n - cut;
	}
	if (!known_clean)
		clean_text(r, &t);
	assemble_line(r, &t, r->stats.physical_lines, offset);
}

/* Keep the start of a line whose end has not arrived yet (bounded by LINE_CAP). */
static void
stash_partial(struct cs_reader *r, const char *p, size_t n, uint64_t offset)
{
	size_t room, take;

	if (!r->partial_active) {
		r->partial_active = true;
		r->partial_len = 0;
		r->partial_dropped = 0;
		r->partial_offset = offset;
	}
	if (n == 0)
		return;
	room = LINE_CAP + 1 - r->partial_len;
	take = n < room ? n : room;
	memcpy(r->partial + r->partial_len, p, take);
	r->partial_len += take;
	r->partial_dropped += n - take;
	r->partial_cr = p[n - 1] == '\r';
}

/*
 * Hand the stashed line on; a '\r' before its '\n' (or at the end of input) is a CRLF line end.
 * Same result as take_line on the whole line in one chunk: the CR is not counted as dropped.
 */
static void
take_partial(struct cs_reader *r, bool newline)
{
	size_t n = r->partial_len;

	if (newline && r->partial_cr) {
		if (r->partial_dropped > 0)
			r->partial_dropped--;
		else
			n--;
	}
	r->partial_active = false;
	take_line(r, r->partial, n, false, r->partial_dropped, r->partial_offset);
}

/* Continue a line started in an earlier chunk; returns where this chunk's next line starts. */
static const char *
finish_partial(struct cs_reader *r, const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	const char *lim = nl ? nl : end;
	const char *nul = memchr(p, '\0', (size_t)(lim - p));
	const char *le = nul ? nul : lim;

	stash_partial(r, p, (size_t)(le - p), 0);
	if (nul == NULL && nl == NULL)
		return end;
	take_partial(r, nul == NULL);
	if (nul != NULL) {
		r->stats.nul_bytes++;
		emit_record(r);
	}
	return le + 1;
}

/* Where the text of the line at p ends, given its '\n' (nl; NULL: none before end): before a
 * "\r\n" or "\n", or at end. */
static const char *
line_body(const char *p, const char *nl, const char *end)
{
	if (nl == NULL)
		return end;
	return nl > p && nl[-1] == '\r' ? nl - 1 : nl;
}

/* The line at p: its '\n' (NULL: none before end), and in *body where its text ends (before a
 * "\r\n" or "\n"; end when there is no '\n'). The one place a line's end is found: cut_line,
 * skip_line's look at the next line and cs_scan_domain ask it; the line index, which finds the
 * '\n' in its own walk, asks line_body. */
static const char *
line_end(const char *p, const char *end, const char **body)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	*body = line_body(p, nl, end);
	return nl;
}

/* ---------------------------------------------------------------- the line index (scan ahead) */

/*
 * What the reader needs of a physical line that its bytes alone decide: where it ends, the first
 * byte that needs cleaning, its syslog head. The scan-ahead thread (replay.c) builds this for every
 * line of a chunk beside the literal scan, while the reader works through the chunk before; the
 * reader then looks these up instead of reading them (cut_line, skip_line, parse_syslog). Each
 * entry is what those functions would compute from the same bytes (the same functions compute it),
 * so a line found in the index and one read here give the same record. An entry is used only for
 * the exact bytes it was made from: a line starting where an entry starts (not after a NUL, not
 * a partial line's stash) and, for its head, ending where the entry's body ends (not cut).
 */
struct line_pre {
	const char	   *start;
	const char	   *nl;		/* its '\n', or NULL: none before the chunk ends */
	const char	   *body;	/* its end before the "\r\n" or "\n" (nl NULL: the chunk's end) */
	const char	   *special;	/* find_special(start, body) */
	struct syslog_head  head;	/* read when nl is set (head.stamp_end NULL otherwise) */
	const char	   *text_from;	/* where its scan domain starts (cs_line_index_text) ... */
	size_t		    text_at;	/* ... and where that is in the scan text */
	bool		    lean;	/* skip_line's tests of its bytes pass: clean, whole, not too
					 * long, a syslog head, and the next line one too */
	bool		    hit;	/* the scan of the text found a literal in it */
};

struct cs_line_index {
	const char	   *buf;	/* the chunk it was built on */
	size_t		    len;
	struct line_pre	   *v;
	size_t		    n, cap;
	struct stamp_memo   memo;	/* this builder's own (another thread's) */
	size_t		    locate_at;	/* cs_line_index_locate's cursor */
	bool		    hits_marked;	/* the entries' hit says what the scan found */
};

struct cs_line_index *
cs_line_index_new(void)
{
	return cs_xcalloc(1, sizeof(struct cs_line_index));
}

void
cs_line_index_free(struct cs_line_index *ix)
{
	if (ix == NULL)
		return;
	free(ix->v);
	free(ix);
}

/*
 * The line index's walk over a chunk's special bytes (special_mask16), 64 bytes at a time: each
 * line's '\n' is one of them, so a line's end and its first byte that needs cleaning come from one
 * pass instead of memchr's and find_special's.
 */
struct special_walk {
	const char	   *blk;	/* the block the mask is of */
	const char	   *next;	/* the block after it */
	uint64_t	    mask;	/* its candidates not yet looked at */
};

static uint64_t
special_mask64(const char *p)
{
	return (uint64_t)special_mask16(p) | (uint64_t)special_mask16(p + 16) << 16 |
	    (uint64_t)special_mask16(p + 32) << 32 | (uint64_t)special_mask16(p + 48) << 48;
}

/* The next candidate byte before end, or NULL. */
static inline const char *
walk_next(struct special_walk *sc, const char *end)
{
	while (sc->mask == 0) {
		if (end - sc->next >= 64) {
			sc->blk = sc->next;
			sc->mask = special_mask64(sc->blk);
			sc->next += 64;
		} else if (sc->next < end) {	/* the chunk's last bytes, as if what follows were none */
			char pad[64];
			size_t n = (size_t)(end - sc->next);

			memset(pad, 'a', sizeof pad);
			memcpy(pad, sc->next, n);
			sc->blk = sc->next;
			sc->mask = special_mask64(pad) & ((UINT64_C(1) << n) - 1);
			sc->next = end;
		} else {
			return NULL;
		}
	}
	const char *c = sc->blk + __builtin_ctzll(sc->mask);
	sc->mask &= sc->mask - 1;
	return c;
}

/*
 * e->nl, e->body and e->special of the line at e->start, as line_end and find_special(start, body)
 * give them: the first candidate before the '\n' that needs_cleaning takes (a "\r\n"'s '\r', if it
 * is the first, is where the body ends: find_special's "none"; a backslash's "M" is before the
 * body's end whichever end it is tested against).
 */
static void
index_line_end(struct special_walk *sc, struct line_pre *e, const char *end)
{
	const char *c, *special = NULL;

	e->nl = NULL;
	while ((c = walk_next(sc, end)) != NULL) {
		if (*c == '\n') {
			e->nl = c;
			break;
		}
		if (special == NULL && needs_cleaning(c, end))
			special = c;
	}
	e->body = line_body(e->start, e->nl, end);
	e->special = special != NULL ? special : e->body;
}

/* Index every line of buf (each starts at buf or after a '\n'); reads no reader state. */
void
cs_line_index_build(struct cs_line_index *ix, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;
	struct special_walk sc = { buf, buf, 0 };

	ix->buf = buf;
	ix->len = len;
	ix->n = 0;
	while (p < end) {
		if (ix->n == ix->cap) {
			ix->cap = ix->cap ? ix->cap * 2 : 1024;
			ix->v = cs_xrealloc(ix->v, ix->cap * sizeof *ix->v);
		}
		struct line_pre *e = &ix->v[ix->n++];
		e->start = p;
		index_line_end(&sc, e, end);
		e->head.stamp_end = NULL;
		e->hit = false;
		e->lean = false;
		if (e->nl == NULL)
			break;
		read_syslog_head(&ix->memo, p, e->body, &e->head);
		/* lean: its own bytes pass here, the next line's when that one is read */
		e->lean = e->special == e->body && e->head.stamp_end != NULL &&
		    (size_t)(e->body - e->start) <= RECORD_CAP;
		if (ix->n >= 2 && e->head.stamp_end == NULL)
			e[-1].lean = false;
		p = e->nl + 1;
	}
	/* the last line has no next line here (nor the one before a line the chunk cuts) */
	if (ix->n >= 1)
		ix->v[ix->n - 1].lean = false;
	if (ix->n >= 2 && ix->v[ix->n - 1].nl == NULL)
		ix->v[ix->n - 2].lean = false;
	ix->hits_marked = false;
}

/*
 * The scan's domain (scan first): a line's message, where a syslog header ends, else the whole
 * line. The rules' literals are message text (their prefilter reads the message): a literal in a
 * header (a device or process named like one) made a candidate of nothing. Both ways a chunk is
 * scanned agree on it: whole (replay.c drops the hits that start before a line's domain, asking
 * cs_scan_domain) or as the index's scan text (cs_line_index_text, each line's domain alone).
 */
static const char *
domain_start(const struct syslog_head *sh, const char *line)
{
	return sh->stamp_end != NULL ? sh->msg : line;
}

size_t
cs_scan_domain(struct cs_line_index *ix, const char *buf, size_t len, size_t at)
{
	const char *before = find_last(buf, '\n', at), *body;
	const char *line = before != NULL ? before + 1 : buf;
	struct syslog_head sh;

	if (line_end(line, buf + len, &body) == NULL)	/* the chunk cuts it: the index has no head */
		return (size_t)(line - buf);
	read_syslog_head(&ix->memo, line, body, &sh);
	return (size_t)(domain_start(&sh, line) - buf);
}

size_t
cs_line_index_text(struct cs_line_index *ix, char *text)
{
	size_t n = 0;

	for (size_t i = 0; i < ix->n; i++) {
		struct line_pre *e = &ix->v[i];
		const char *to = e->nl != NULL ? e->nl : ix->buf + ix->len;

		e->text_from = domain_start(&e->head, e->start);
		e->text_at = n;
		memcpy(text + n, e->text_from, (size_t)(to - e->text_from));
		n += (size_t)(to - e->text_from);
		text[n++] = '\n';
	}
	ix->locate_at = 0;
	ix->hits_marked = true;
	return n;
}

void
cs_line_index_locate(struct cs_line_index *ix, size_t end, size_t *chunk_end, size_t *line_end)
{
	size_t i = ix->locate_at;

	if (i >= ix->n || ix->v[i].text_at >= end)	/* hits come in order; if not, from the top */
		i = 0;
	while (i + 1 < ix->n && ix->v[i + 1].text_at < end)
		i++;
	ix->locate_at = i;
	struct line_pre *e = &ix->v[i];
	e->hit = true;
	*chunk_end = (size_t)(e->text_from - ix->buf) + (end - e->text_at);
	*line_end = e->nl != NULL ? (size_t)(e->nl - ix->buf) : ix->len;
}

/* The entry of the line starting at p, or NULL (the cursor only moves forward: lines are cut in
 * order). */
static const struct line_pre *
indexed_line(struct cs_reader *r, const char *p)
{
	const struct cs_line_index *ix = r->ix;

	if (ix == NULL)
		return NULL;
	while (r->ix_at < ix->n && ix->v[r->ix_at].start < p)
		r->ix_at++;
	return r->ix_at < ix->n && ix->v[r->ix_at].start == p ? &ix->v[r->ix_at] : NULL;
}

/* The head of the line being cut, when line..end are the very bytes it was read from. */
static const struct syslog_head *
indexed_head(const struct cs_reader *r, const char *line, const char *end)
{
	const struct line_pre *e = r->pre;

	return e != NULL && e->start == line && e->body == end && e->nl != NULL ? &e->head : NULL;
}

/* The entry of the line after the one being cut, if it starts at next. */
static const struct line_pre *
indexed_next(const struct cs_reader *r, const char *next)
{
	const struct line_pre *e = r->pre;

	if (e == NULL || e + 1 >= r->ix->v + r->ix->n || e[1].start != next)
		return NULL;
	return e + 1;
}

/* ---------------------------------------------------------------- scan first */

/* Whether a rule literal ends inside the line [start, nl) of the chunk (hits ascending). */
static bool
line_has_hit(struct cs_reader *r, size_t start, size_t nl)
{
	while (r->hit_at < r->nhits && r->hits[r->hit_at] <= start)
		r->hit_at++;
	return r->hit_at < r->nhits && r->hits[r->hit_at] <= nl;
}

/*
 * A clean, whole line no literal occurs in, handed out as CS_SCAN_SKIPPED without building the
 * record, when that provably changes nothing: the stream is syslog (recognise_header tries
 * parse_syslog first and it succeeds here, so the same header is found, with the same effect on
 * the device-name counters), the record has no continuation (the next line in this chunk starts
 * with a syslog stamp: a header whatever cleaning it needs, as the stamp bytes need none), it is not
 * cut, and its time is resolved here exactly as start_record would (year inference state).
 */
static void skip_finish(struct cs_reader *r, const struct syslog_head *sh, uint64_t offset);

static bool
skip_line(struct cs_reader *r, const char *p, const char *body, const char *next, const char *end,
    uint64_t offset)
{
	struct stamp st;
	const char *next_nl, *next_body, *stamp_end;
	const struct line_pre *ne;
	const struct syslog_head *sh;
	struct syslog_head own;

	if (r->last_fmt != CS_FMT_syslog || (size_t)(body - p) > RECORD_CAP || next >= end)
		return false;
	if ((ne = indexed_next(r, next)) != NULL) {
		/* the index read the next line (its entry serves it when it is cut) */
		if (ne->nl == NULL || ne->head.stamp_end == NULL ||
		    (sh = syslog_head_of(r, p, body, &own))->stamp_end == NULL)
			return false;
	} else {
		if ((next_nl = line_end(next, end, &next_body)) == NULL)
			return false;
		/* the next line's stamp first (the head's name split counts device names: it runs
		 * once per line, here or in take_line); kept for that line only once this one has
		 * used its own */
		if ((stamp_end = stamp_again(&r->memo, next, next_body, &st)) == NULL ||
		    (sh = syslog_head_of(r, p, body, &own))->stamp_end == NULL)
			return false;
		r->peek_line = next;
		r->peek_nl = next_nl;
		r->peek_body = next_body;
		r->peek_stamp_end = stamp_end;
		r->peek_st = st;
	}
	skip_finish(r, sh, offset);
	return true;
}

/* A line skip_line (or cut_line, for an indexed lean one) skips, with its syslog head sh: of the
 * header, what parse_syslog would take and the timeline reads - the device name (counted as
 * parse_syslog counts it), the pid, the stamp - and the bare record the timeline gets. */
static inline void
skip_finish(struct cs_reader *r, const struct syslog_head *sh, uint64_t offset)
{
	struct span device = { "", 0 }, process;
	long pid = -1;
	if (sh->block) {
		device = split_syslog_name(r, sh->pb.name, sh->name_sp, &process);
		pid = sh->pb.pid;
	}
	if (r->rec.active)	/* the record before (most often nothing: the line before was skipped) */
		emit_record(r);
	r->stats.physical_lines++;
	take_stamp(r, resolve_time(r, &sh->st));
	if (device.n >= FIELD_CAP || device.n != r->skip_device_len ||
	    !same_bytes(r->skip_device, device.p, device.n)) {
		copy_field(r->skip_device, device);
		r->skip_device_len = device.n;
	}
	/* the rest of a skipped record is not built: skip_tpl holds what every one says */
	struct cs_line *line = &r->skip_tpl;
	line->number = r->stats.physical_lines;
	line->offset = offset;
	line->time_us = timeline_time(r, r->last_time_us, r->recv_us, true);
	line->device_us = r->last_device_us;
	line->recv_us = r->recv_us;
	line->pid = pid;
	r->stats.lines++;
	r->stats.per_format[CS_FMT_syslog]++;
	r->stats.scan_missed++;
	r->stats.scan_skipped++;
	if (r->cb != NULL)
		r->cb(line, r->ctx);
}

/* What skip_line would find out of an indexed line, the index knew (lean) and the scan marked
 * (hit): it is handed out as skipped (skip_finish). */
static inline bool
skip_indexed(const struct cs_reader *r, const struct line_pre *e)
{
	return e->lean && !e->hit && r->ix->hits_marked && r->hits != NULL && r->light &&
	    r->last_fmt == CS_FMT_syslog;
}

/*
 * The skipped lines from r->pre on, one after another in the index, each handed out by
 * skip_finish as cut_line would: most lines of a capture, so cut_line's own tests (a NUL, the
 * index's entry) are not made again for each. Returns where the line after the last starts.
 */
static const char *
skip_run(struct cs_reader *r, const char *chunk)
{
	const struct line_pre *e = r->pre, *last = r->ix->v + r->ix->n - 1;

	for (;;) {
		skip_finish(r, &e->head, r->base + (uint64_t)(e->start - chunk));
		if (e == last || !skip_indexed(r, e + 1))	/* e[1] starts at e->nl + 1 */
			break;
		e++;
	}
	r->pre = e;
	r->ix_at = (size_t)(e - r->ix->v);
	return e->nl + 1;
}

/* Cut one line at p; returns where the next starts. */
static const char *
cut_line(struct cs_reader *r, const char *chunk, const char *p, const char *end)
{
	const char *nl, *lim, *body, *sp, *nul;

	while (p < end && *p == '\0') {	/* relay separators ("\n\0") and stray NULs: no lines */
		r->stats.nul_bytes++;
		p++;
		/* a NUL ends a relay record, continuation lines included: hand it out now, not when
		 * the next line starts (a live stream may pause for seconds) */
		emit_record(r);
	}
	if (p == end)
		return p;
	if ((r->pre = indexed_line(r, p)) != NULL) {
		if (skip_indexed(r, r->pre))
			return skip_run(r, chunk);
		nl = r->pre->nl;
		body = r->pre->body;
		sp = r->pre->special;
	} else {
		if (p == r->peek_line) {
			nl = r->peek_nl;
			body = r->peek_body;
		} else {
			nl = line_end(p, end, &body);
		}
		sp = find_special(p, body);
	}
	lim = nl ? nl : end;
	r->line_hit = true;	/* unless the scan proves otherwise for a clean, whole line */
	r->line_ids = false;
	if (sp == body) {
		if (nl == NULL) {
			stash_partial(r, p, (size_t)(end - p), r->base + (uint64_t)(p - chunk));
			return end;
		}
		if (r->hits != NULL) {
			r->line_hit = line_has_hit(r, (size_t)(p - chunk), (size_t)(nl - chunk));
			r->line_ids = r->hit_ids != NULL;
			if (!r->line_hit && r->light && skip_line(r, p, body, nl + 1, end,
			    r->base + (uint64_t)(p - chunk)))
				return nl + 1;
		}
		take_line(r, p, (size_t)(body - p), true, 0, r->base + (uint64_t)(p - chunk));
		r->line_ids = false;
		return nl + 1;
	}
	if ((nul = memchr(sp, '\0', (size_t)(lim - sp))) != NULL) {
		take_line(r, p, (size_t)(nul - p), false, 0, r->base + (uint64_t)(p - chunk));
		r->stats.nul_bytes++;
		emit_record(r);
		return nul + 1;
	}
	if (nl == NULL) {
		stash_partial(r, p, (size_t)(end - p), r->base + (uint64_t)(p - chunk));
		return end;
	}
	take_line(r, p, (size_t)(body - p), false, 0, r->base + (uint64_t)(p - chunk));
	return nl + 1;
}

/* ---------------------------------------------------------------- API */

struct cs_reader *
cs_reader_new(const struct cs_reader_options *options, cs_line_cb cb, void *ctx)
{
	struct cs_reader *r = cs_xcalloc(1, sizeof *r);

	if (options != NULL)
		r->opt = *options;
	/* out-of-range options are ignored rather than allowed to overflow the µs arithmetic */
	if (r->opt.year < 1 || r->opt.year > MAX_YEAR)
		r->opt.year = 0;
	if (r->opt.ref_time < 0 || r->opt.ref_time > MAX_REF_TIME)
		r->opt.ref_time = 0;
	if (r->opt.utc_offset_min < -24 * 60 || r->opt.utc_offset_min > 24 * 60)
		r->opt.utc_offset_min = 0;
	if (r->opt.date_year < 1 || r->opt.date_year > MAX_YEAR || r->opt.date_month < 1 ||
	    r->opt.date_month > 12 || r->opt.date_day < 1 || r->opt.date_day > 31)
		r->opt.date_year = r->opt.date_month = r->opt.date_day = 0;
	r->udid = cs_xstrdup(options != NULL && options->udid != NULL ? options->udid : "");
	r->opt.udid = r->udid;
	r->skip_tpl = (struct cs_line){
		.format = CS_FMT_syslog, .device = r->skip_device, .process = "", .image = "",
		.level = "", .message = "", .raw = "", .udid = r->udid, .scan = CS_SCAN_SKIPPED,
	};
	r->cb = cb;
	r->ctx = ctx;
	/* the only clock read: with no ref_time, "the capture was written no later than now" */
	r->ref_time = r->opt.ref_time != 0 ? r->opt.ref_time : (int64_t)time(NULL);
	r->partial = cs_xmalloc(LINE_CAP + 1);
	r->clean = cs_xmalloc(LINE_CAP);
	r->repair = cs_xmalloc(LINE_CAP);
	r->rec.raw = cs_xmalloc(CS_MAX_RECORD + 1);
	r->rec.msg = cs_xmalloc(CS_MAX_RECORD + 1);
	r->last_fmt = CS_FMT_unknown;
	r->line_hit = true;
	return r;
}

/* The caller's clock for the bytes fed next (live capture): the reader itself reads no clock. */
void
cs_reader_set_recv_time(struct cs_reader *r, int64_t recv_us)
{
	r->recv_us = recv_us;
}

void
cs_reader_feed(struct cs_reader *r, const void *buf, size_t len)
{
	const char *chunk = buf, *p = chunk, *end = chunk + len;

	if (r == NULL || buf == NULL || len == 0)
		return;
	r->stats.bytes += len;
	if (r->partial_active) {
		r->line_hit = true;
		p = finish_partial(r, p, end);
	}
	r->peek_line = NULL;	/* a new chunk may reuse the last one's buffer */
	r->pre = NULL;
	r->ix_at = 0;
	while (p < end)
		p = cut_line(r, chunk, p, end);
	r->peek_line = NULL;
	r->pre = NULL;
	r->base += len;
}

void
cs_reader_feed_hits(struct cs_reader *r, const void *buf, size_t len, const size_t *hits,
    size_t nhits, bool light)
{
	struct cs_scan_hits h = { .end = hits, .n = hits != NULL ? nhits : 0 };

	cs_reader_feed_ahead(r, buf, len, &h, light, NULL);
}

void
cs_reader_feed_ahead(struct cs_reader *r, const void *buf, size_t len,
    const struct cs_scan_hits *hits, bool light, const struct cs_line_index *ix)
{
	static const size_t none = 0;

	if (r == NULL)
		return;
	if (hits != NULL) {
		r->hits = hits->n > 0 ? hits->end : &none;
		r->nhits = hits->n;
		r->hit_at = 0;
		r->hit_first = hits->first;
		r->hit_ids = hits->n > 0 && hits->first != NULL ? hits->ids : NULL;
		r->nhit_ids = hits->nids;
		r->light = light;
	}
	r->ix = ix != NULL && ix->buf == buf && ix->len == len ? ix : NULL;
	cs_reader_feed(r, buf, len);
	r->ix = NULL;
	r->hits = NULL;
	r->hit_ids = NULL;
	r->line_hit = true;
	r->line_ids = false;
}

/* The rules changed (a reload): the pending record's scan ids name the old ones' literals, so the
 * new rules read its message instead. */
void
cs_reader_forget_scan_ids(struct cs_reader *r)
{
	if (r != NULL)
		r->rec.ids_valid = false;
}

/*
 * End of input or idle: a line still missing its terminator is taken as complete, and the pending
 * record is handed out. (A live stream that goes idle mid-line has its line split; syslog_relay
 * writes whole records, so this does not happen in practice.)
 */
void
cs_reader_flush(struct cs_reader *r)
{
	if (r == NULL)
		return;
	r->line_hit = true;
	if (r->partial_active)
		take_partial(r, true);
	emit_record(r);
	if (!r->opt.time_from_recv && r->nheld > 0 && r->stats.bytes > 0)
		release_held(r, fallback_time(r));
}

const struct cs_reader_stats *
cs_reader_stats(const struct cs_reader *r)
{
	return &r->stats;
}

/* The most frequent format of the records handed out; plain only if nothing else was read. */
enum cs_format
cs_reader_format(const struct cs_reader *r)
{
	enum cs_format best = CS_FMT_unknown;
	uint64_t most = 0;

	for (int f = CS_FMT_unknown + 1; f < CS_FMT_COUNT; f++) {
		if (f != CS_FMT_plain && r->stats.per_format[f] > most) {
			most = r->stats.per_format[f];
			best = (enum cs_format)f;
		}
	}
	if (best == CS_FMT_unknown && r->stats.per_format[CS_FMT_plain] > 0)
		best = CS_FMT_plain;
	return best;
}

void
cs_reader_free(struct cs_reader *r)
{
	if (r == NULL)
		return;
	free(r->partial);
	free(r->clean);
	free(r->repair);
	free(r->rec.raw);
	free(r->rec.msg);
	free(r->udid);
	for (size_t i = 0; i < r->nheld; i++)
		free(r->held[i].raw);
	free(r);
}

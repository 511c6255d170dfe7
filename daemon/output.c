/*
 * output.c - callsight's records: events and flags as NDJSON objects (the public contract in
 * docs/protocol.md, built with jansson), and the readable text a developer sees without --json.
 *
 * The records that come by the thousand in a replay (events and states) are also written straight
 * as text (cs_event_text, cs_state_text): building and freeing a jansson object per record was the
 * biggest cost of `--replay --json` after the rules. The text is byte for byte what json_dumps
 * gives for cs_event_json / cs_state_json (test_output.c holds the two together over hostile
 * strings); the rare records (flags, summary) stay with jansson.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <jansson.h>

#include "callsightd.h"

static void
set_time(json_t *obj, const char *key, int64_t time_us)
{
	char buf[40];
	cs_format_time(time_us, buf, sizeof buf);
	json_object_set_new(obj, key, json_string(buf));
}

/* every string that reaches a record is valid UTF-8 (the reader guarantees it); this guards the
 * contract anyway: a string jansson refuses becomes a lossy copy rather than a missing field */
static json_t *
json_text(const char *s)
{
	json_t *j = json_string(s);
	if (j == NULL)
		j = json_string("(invalid text)");
	return j;
}

const char *
cs_line_device(const struct cs_line *line)
{
	return line->udid[0] ? line->udid : line->device;
}

json_t *
cs_event_json(const struct cs_event *event)
{
	const struct cs_line *line = event->line;
	json_t *obj = json_object();
	json_object_set_new(obj, "type", json_string("event"));
	set_time(obj, "time", line->time_us);
	json_object_set_new(obj, "device", json_text(cs_line_device(line)));
	json_object_set_new(obj, "kind", json_string(cs_event_name(event->kind)));
	json_object_set_new(obj, "lane", json_string(cs_lane_name(cs_event_lane(event->kind))));
	json_object_set_new(obj, "process", json_text(line->process));
	json_object_set_new(obj, "pid", json_integer(line->pid));
	json_object_set_new(obj, "line", json_integer((json_int_t)line->number));
	if (line->device_us && line->device_us != line->time_us)
		set_time(obj, "device_time", line->device_us);
	json_t *attrs = json_object();
	for (size_t i = 0; i < event->nattrs; i++)
		json_object_set_new(attrs, event->attrs[i].name, json_text(event->attrs[i].value));
	json_object_set_new(obj, "attrs", attrs);
	if (event->rule)
		json_object_set_new(obj, "rule", json_text(event->rule));
	return obj;
}

const char *
cs_flag_advice(const struct cs_flag *flag)
{
	return flag->advice ? flag->advice : cs_cause_advice(flag->cause);
}

/* The confidence a record carries: two decimals. */
static double
rounded_confidence(double c)
{
	return (double)(int)(c * 100 + 0.5) / 100;
}

json_t *
cs_flag_json(const struct cs_flag *flag)
{
	json_t *obj = json_object();
	json_object_set_new(obj, "type", json_string("flag"));
	json_object_set_new(obj, "id", json_integer((json_int_t)flag->id));
	set_time(obj, "time", flag->time_us);
	json_object_set_new(obj, "device", json_text(flag->device));
	json_object_set_new(obj, "app", json_text(flag->app));
	json_object_set_new(obj, "severity", json_string(cs_severity_name(cs_cause_severity(flag->cause))));
	json_object_set_new(obj, "cause", json_string(cs_cause_name(flag->cause)));
	json_object_set_new(obj, "label", json_string(cs_cause_label(flag->cause)));
	json_object_set_new(obj, "confidence", json_real(rounded_confidence(flag->confidence)));
	json_object_set_new(obj, "inferred", json_boolean(flag->inferred));
	json_object_set_new(obj, "line", json_integer((json_int_t)flag->line));
	json_object_set_new(obj, "detail", json_text(flag->detail));
	json_t *evidence = json_array();
	for (size_t i = 0; i < flag->nevidence; i++) {
		const struct cs_evidence *e = &flag->evidence[i];
		json_t *item = json_object();
		json_object_set_new(item, "line", json_integer((json_int_t)e->line));
		json_object_set_new(item, "kind", json_string(cs_event_name(e->kind)));
		set_time(item, "time", e->time_us);
		json_object_set_new(item, "text", json_text(e->text ? e->text : ""));
		json_array_append_new(evidence, item);
	}
	json_object_set_new(obj, "evidence", evidence);
	json_t *alts = json_array();
	for (size_t i = 0; i < flag->nalternatives; i++) {
		const struct cs_alternative *a = &flag->alternatives[i];
		json_t *item = json_object();
		json_object_set_new(item, "cause", json_string(cs_cause_name(a->cause)));
		json_object_set_new(item, "confidence", json_real(rounded_confidence(a->confidence)));
		json_object_set_new(item, "settle", json_text(a->settle ? a->settle : ""));
		json_array_append_new(alts, item);
	}
	json_object_set_new(obj, "alternatives", alts);
	json_object_set_new(obj, "advice", json_text(cs_flag_advice(flag)));
	if (flag->nreports) {	/* the phone's crash/jetsam reports that decided the cause */
		json_t *reports = json_array();
		for (size_t i = 0; i < flag->nreports; i++) {
			const struct cs_flag_report *r = &flag->reports[i];
			json_t *item = json_object();
			json_object_set_new(item, "file", json_text(r->file));
			json_object_set_new(item, "bug_type", json_text(r->bug_type));
			json_object_set_new(item, "reason", json_text(r->reason));
			if (r->time_us)
				set_time(item, "time", r->time_us);
			else
				json_object_set_new(item, "time", json_null());
			json_array_append_new(reports, item);
		}
		json_object_set_new(obj, "reports", reports);
	}
	json_object_set_new(obj, "sdk", json_text(flag->sdk));
	return obj;
}

json_t *
cs_state_json(const struct cs_state_change *c)
{
	json_t *obj = json_object();
	json_object_set_new(obj, "type", json_string("state"));
	set_time(obj, "time", c->time_us);
	json_object_set_new(obj, "device", json_text(c->device));
	json_object_set_new(obj, "app", json_text(c->app));
	json_object_set_new(obj, "lane", json_string(cs_lane_name(c->lane)));
	json_object_set_new(obj, "state", json_string(c->state));
	json_object_set_new(obj, "line", json_integer((json_int_t)c->line));
	return obj;
}

/* ---------------------------------------------------------------- records as text */

static void
text_reserve(struct cs_text *t, size_t more)
{
	if (t->len + more + 1 <= t->cap)
		return;
	size_t cap = t->cap ? t->cap : 1024;
	while (cap < t->len + more + 1)
		cap *= 2;
	t->buf = cs_xrealloc(t->buf, cap);
	t->cap = cap;
}

static void
text_put(struct cs_text *t, const char *s, size_t n)
{
	text_reserve(t, n);
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
}

static void
text_puts(struct cs_text *t, const char *s)
{
	text_put(t, s, strlen(s));
}

/* The length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, surrogates or > U+10FFFF),
 * 0 if there is none: jansson refuses a string holding one (json_text's "(invalid text)"). */
static size_t
utf8_len(const unsigned char *s)
{
	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	if (s[0] < 0xe0)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (s[0] < 0xf0) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[0] == 0xe0 && s[1] < 0xa0) ||
		    (s[0] == 0xed && s[1] > 0x9f))
			return 0;
		return 3;
	}
	if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80 ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 0;
	return 4;
}

/*
 * The length of the run at s[0..n) that a JSON string holds as it is (printable ASCII but '"' and
 * '\\', DEL included). Record strings are mostly such runs (a log line, a name), so on x86-64 sixteen
 * bytes are tested at once: x - 0x20 (wrapping) is >= 0x60, unsigned, exactly for the controls and
 * the high bytes.
 */
#ifdef __SSE2__
/* The bytes of s[0..16) a JSON string cannot hold as they are, as bits. */
static inline unsigned
odd_mask16(const unsigned char *s)
{
	const __m128i space = _mm_set1_epi8(0x20), edge = _mm_set1_epi8(0x60);
	const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)s);
	__m128i t = _mm_sub_epi8(x, space);
	__m128i odd = _mm_or_si128(_mm_cmpeq_epi8(_mm_max_epu8(t, edge), t),
	    _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, backslash)));
	return (unsigned)_mm_movemask_epi8(odd);
}
#endif

static size_t
plain_run(const unsigned char *s, size_t n)
{
	size_t run = 0;
#ifdef __SSE2__
	for (; n - run >= 16; run += 16) {
		unsigned mask = odd_mask16(s + run);
		if (mask != 0)
			return run + (size_t)__builtin_ctz(mask);
	}
	if (run < n) {	/* the last bytes (most keys and names are all tail): padded with plain ones */
		unsigned char pad[16];
		memset(pad, 'a', sizeof pad);
		memcpy(pad, s + run, n - run);
		unsigned mask = odd_mask16(pad);
		return mask != 0 ? run + (size_t)__builtin_ctz(mask) : n;
	}
	return run;
#else
	while (run < n && s[run] >= 0x20 && s[run] < 0x80 && s[run] != '"' && s[run] != '\\')
		run++;
	return run;
#endif
}

/* A JSON string as jansson's compact dump writes it: \" \\ \b \t \n \f \r, \u00XX for other
 * controls, everything else (DEL, '/', UTF-8) as it is; invalid UTF-8 makes "(invalid text)".
 * Written in place after one reservation for the worst case (every byte a six-byte escape). */
static void
text_string(struct cs_text *t, const char *str)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *s = (const unsigned char *)str;
	size_t left = strlen(str);
	text_reserve(t, 6 * left + 2);
	char *o = t->buf + t->len;
	*o++ = '"';
	for (;;) {
		size_t run = plain_run(s, left);
		memcpy(o, s, run);
		o += run;
		s += run;
		left -= run;
		if (left == 0)
			break;
		if (*s >= 0x80) {
			size_t n = utf8_len(s);
			if (n == 0) {
				t->buf[t->len] = '\0';
				text_puts(t, "\"(invalid text)\"");
				return;
			}
			memcpy(o, s, n);
			o += n;
			s += n;
			left -= n;
			continue;
		}
		*o++ = '\\';
		switch (*s) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '\b': *o++ = 'b'; break;
		case '\t': *o++ = 't'; break;
		case '\n': *o++ = 'n'; break;
		case '\f': *o++ = 'f'; break;
		case '\r': *o++ = 'r'; break;
		default:
			memcpy(o, "u00", 3);
			o[3] = hex[*s >> 4];
			o[4] = hex[*s & 15];
			o += 5;
		}
		s++;
		left--;
	}
	*o++ = '"';
	*o = '\0';
	t->len = (size_t)(o - t->buf);
}

/* ,"key": then the value's writer, for a key that is data (a rule's attribute name): plain text is
 * written as it is, anything else through text_string */
static void
text_key(struct cs_text *t, const char *key, bool first)
{
	size_t n = strlen(key);
	if (plain_run((const unsigned char *)key, n) != n) {
		if (!first)
			text_put(t, ",", 1);
		text_string(t, key);
		text_put(t, ":", 1);
		return;
	}
	text_reserve(t, n + 4);
	char *o = t->buf + t->len;
	if (!first)
		*o++ = ',';
	*o++ = '"';
	memcpy(o, key, n);
	o += n;
	memcpy(o, "\":", 3);	/* with the NUL */
	t->len = (size_t)(o + 2 - t->buf);
}

/* ,"key": and "key": for a key in the code: a string literal, plain text (the compiler joins the
 * punctuation to it; nine keys an event, measuring and testing each was a third of the record) */
#define TEXT_KEY(t, key)	text_put((t), ",\"" key "\":", sizeof ",\"" key "\":" - 1)
#define TEXT_FIRST_KEY(t, key)	text_put((t), "\"" key "\":", sizeof "\"" key "\":" - 1)

/* ,"key":"value" */
#define text_field(t, key, value)	(TEXT_KEY(t, key), text_string((t), (value)))

/* "s" for a string that is JSON text as it is: the program's own names (event kinds, lanes, causes
 * and severities are identifiers: test_output checks every one against jansson) and a formatted
 * time */
static void
text_plain(struct cs_text *t, const char *s)
{
	size_t n = strlen(s);
	text_reserve(t, n + 2);
	char *o = t->buf + t->len;
	*o++ = '"';
	memcpy(o, s, n);
	o += n;
	*o++ = '"';
	*o = '\0';
	t->len = (size_t)(o - t->buf);
}

/* Digits written here: snprintf("%lld") was a sixth of an event record's cost. */
static void
text_int(struct cs_text *t, long long v)
{
	char num[24];
	size_t i = sizeof num;
	unsigned long long u = v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;
	do {
		num[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		num[--i] = '-';
	text_put(t, num + i, sizeof num - i);
}

static void
text_time(struct cs_text *t, int64_t time_us)
{
	char buf[40];
	cs_format_time(time_us, buf, sizeof buf);
	text_plain(t, buf);
}

void
cs_event_text(struct cs_text *t, const struct cs_event *event)
{
	const struct cs_line *line = event->line;
	text_puts(t, "{\"type\":\"event\",\"time\":");
	text_time(t, line->time_us);
	text_field(t, "device", cs_line_device(line));
	TEXT_KEY(t, "kind");
	text_plain(t, cs_event_name(event->kind));
	TEXT_KEY(t, "lane");
	text_plain(t, cs_lane_name(cs_event_lane(event->kind)));
	text_field(t, "process", line->process);
	TEXT_KEY(t, "pid");
	text_int(t, line->pid);
	TEXT_KEY(t, "line");
	text_int(t, (long long)line->number);
	if (line->device_us && line->device_us != line->time_us) {
		TEXT_KEY(t, "device_time");
		text_time(t, line->device_us);
	}
	TEXT_KEY(t, "attrs");
	text_put(t, "{", 1);
	/* a JSON object keeps one value per key: a repeated name keeps its first place, last value */
	for (size_t i = 0; i < event->nattrs; i++) {
		bool later = false;
		for (size_t k = 0; k < i && !later; k++)
			later = strcmp(event->attrs[k].name, event->attrs[i].name) == 0;
		if (later)
			continue;
		const char *value = event->attrs[i].value;
		for (size_t k = i + 1; k < event->nattrs; k++)
			if (strcmp(event->attrs[k].name, event->attrs[i].name) == 0)
				value = event->attrs[k].value;
		text_key(t, event->attrs[i].name, i == 0);
		text_string(t, value);
	}
	text_put(t, "}", 1);
	if (event->rule) {
		text_field(t, "rule", event->rule);
	}
	text_put(t, "}\n", 2);
}

void
cs_state_text(struct cs_text *t, const struct cs_state_change *c)
{
	text_puts(t, "{\"type\":\"state\",\"time\":");
	text_time(t, c->time_us);
	text_field(t, "device", c->device);
	text_field(t, "app", c->app);
	TEXT_KEY(t, "lane");
	text_plain(t, cs_lane_name(c->lane));
	text_field(t, "state", c->state);
	TEXT_KEY(t, "line");
	text_int(t, (long long)c->line);
	text_put(t, "}\n", 2);
}

/* A real as jansson writes it under CS_JSON_DUMP (its own dump of the number: the digits, the ".0"
 * of a whole number, the exponent's form are jansson's). */
static void
text_real(struct cs_text *t, double v)
{
	json_t *real = json_real(v);
	char *num = real ? json_dumps(real, JSON_ENCODE_ANY | CS_JSON_DUMP) : NULL;
	text_puts(t, num ? num : "null");
	free(num);
	json_decref(real);
}

/* The i-th object of an array: "{", or ",{" after the first. */
static void
text_item(struct cs_text *t, size_t i)
{
	text_put(t, i ? ",{" : "{", i ? 2 : 1);
}

void
cs_flag_text(struct cs_text *t, const struct cs_flag *flag)
{
	text_puts(t, "{\"type\":\"flag\",\"id\":");
	text_int(t, (long long)flag->id);
	TEXT_KEY(t, "time");
	text_time(t, flag->time_us);
	text_field(t, "device", flag->device);
	text_field(t, "app", flag->app);
	TEXT_KEY(t, "severity");
	text_plain(t, cs_severity_name(cs_cause_severity(flag->cause)));
	TEXT_KEY(t, "cause");
	text_plain(t, cs_cause_name(flag->cause));
	text_field(t, "label", cs_cause_label(flag->cause));
	TEXT_KEY(t, "confidence");
	text_real(t, rounded_confidence(flag->confidence));
	TEXT_KEY(t, "inferred");
	text_puts(t, flag->inferred ? "true" : "false");
	TEXT_KEY(t, "line");
	text_int(t, (long long)flag->line);
	text_field(t, "detail", flag->detail);
	TEXT_KEY(t, "evidence");
	text_put(t, "[", 1);
	for (size_t i = 0; i < flag->nevidence; i++) {
		const struct cs_evidence *e = &flag->evidence[i];
		text_item(t, i);
		TEXT_FIRST_KEY(t, "line");
		text_int(t, (long long)e->line);
		TEXT_KEY(t, "kind");
		text_plain(t, cs_event_name(e->kind));
		TEXT_KEY(t, "time");
		text_time(t, e->time_us);
		text_field(t, "text", e->text ? e->text : "");
		text_put(t, "}", 1);
	}
	text_put(t, "]", 1);
	TEXT_KEY(t, "alternatives");
	text_put(t, "[", 1);
	for (size_t i = 0; i < flag->nalternatives; i++) {
		const struct cs_alternative *a = &flag->alternatives[i];
		text_item(t, i);
		TEXT_FIRST_KEY(t, "cause");
		text_plain(t, cs_cause_name(a->cause));
		TEXT_KEY(t, "confidence");
		text_real(t, rounded_confidence(a->confidence));
		text_field(t, "settle", a->settle ? a->settle : "");
		text_put(t, "}", 1);
	}
	text_put(t, "]", 1);
	text_field(t, "advice", cs_flag_advice(flag));
	if (flag->nreports) {
		TEXT_KEY(t, "reports");
		text_put(t, "[", 1);
		for (size_t i = 0; i < flag->nreports; i++) {
			const struct cs_flag_report *r = &flag->reports[i];
			text_item(t, i);
			TEXT_FIRST_KEY(t, "file");
			text_string(t, r->file);
			text_field(t, "bug_type", r->bug_type);
			text_field(t, "reason", r->reason);
			TEXT_KEY(t, "time");
			if (r->time_us)
				text_time(t, r->time_us);
			else
				text_puts(t, "null");
			text_put(t, "}", 1);
		}
		text_put(t, "]", 1);
	}
	text_field(t, "sdk", flag->sdk);
	text_put(t, "}\n", 2);
}

void
cs_text_free(struct cs_text *t)
{
	free(t->buf);
	*t = (struct cs_text){ 0 };
}

void
cs_json_write(FILE *out, json_t *record)
{
	char *text = json_dumps(record, CS_JSON_DUMP);
	if (text) {
		fputs(text, out);
		fputc('\n', out);
		free(text);
	}
	json_decref(record);
}

/* ---------------------------------------------------------------- text */

#define RED	"\033[1;31m"
#define YELLOW	"\033[1;33m"
#define DIM	"\033[2m"
#define BOLD	"\033[1m"
#define RESET	"\033[0m"

/* print text wrapped at width, each line indented */
static void
print_wrapped(FILE *out, const char *text, const char *indent, size_t width)
{
	size_t col = 0;
	const char *p = text;
	fputs(indent, out);
	while (*p) {
		const char *word_end = p;
		while (*word_end && *word_end != ' ')
			word_end++;
		size_t len = (size_t)(word_end - p);
		if (col > 0 && col + 1 + len > width) {
			fputc('\n', out);
			fputs(indent, out);
			col = 0;
		} else if (col > 0) {
			fputc(' ', out);
			col++;
		}
		fwrite(p, 1, len, out);
		col += len;
		p = word_end;
		while (*p == ' ')
			p++;
	}
	fputc('\n', out);
}

void
cs_flag_print(FILE *out, const struct cs_flag *flag, const struct cs_text_style *style)
{
	bool warn = cs_cause_severity(flag->cause) == CS_SEV_warning;
	const char *on = style->color ? (warn ? YELLOW : RED) : "";
	const char *bold = style->color ? BOLD : "", *dim = style->color ? DIM : "";
	const char *off = style->color ? RESET : "";
	char when[40];
	cs_format_time(flag->time_us, when, sizeof when);

	fprintf(out, "%s[%llu] %s  %s  %s%s  (confidence %.2f%s)\n", on, (unsigned long long)flag->id,
	    warn ? "WARNING" : "DISCONNECT", when, cs_cause_name(flag->cause), off, flag->confidence,
	    flag->inferred ? ", inferred" : "");
	fprintf(out, "    %s%s%s\n", bold, cs_cause_label(flag->cause), off);
	if (flag->app[0] || flag->device[0])
		fprintf(out, "    app: %s   device: %s   line: %llu\n", flag->app[0] ? flag->app : "-",
		    flag->device[0] ? flag->device : "-", (unsigned long long)flag->line);
	if (flag->sdk[0])
		fprintf(out, "    sdk: %s\n", flag->sdk);
	if (flag->detail[0])
		fprintf(out, "    why: %s\n", flag->detail);
	if (flag->nevidence) {
		fprintf(out, "    evidence:\n");
		for (size_t i = 0; i < flag->nevidence; i++) {
			const struct cs_evidence *e = &flag->evidence[i];
			const char *text = e->text ? e->text : "";
			int textlen = (int)strcspn(text, "\n");
			if (textlen > 160) {
				textlen = 160;
				while (textlen > 0 && ((unsigned char)text[textlen] & 0xC0) == 0x80)
					textlen--;	/* never cut inside a UTF-8 sequence */
			}
			fprintf(out, "      %sL%-6llu %-26s%s %.*s%s\n", dim, (unsigned long long)e->line,
			    cs_event_name(e->kind), off, textlen, text, strlen(text) > (size_t)textlen ? " …" : "");
		}
	}
	for (size_t i = 0; i < flag->nreports; i++) {
		char at[40] = "-";
		if (flag->reports[i].time_us)
			cs_format_time(flag->reports[i].time_us, at, sizeof at);
		fprintf(out, "    report: %s (bug_type %s, %s): %s\n", flag->reports[i].file,
		    flag->reports[i].bug_type, at, flag->reports[i].reason);
	}
	for (size_t i = 0; i < flag->nalternatives; i++) {
		const struct cs_alternative *a = &flag->alternatives[i];
		char line[512];
		snprintf(line, sizeof line, "%s (%.2f): to tell them apart, %s", cs_cause_name(a->cause),
		    a->confidence, a->settle ? a->settle : "");
		fprintf(out, "%s", i == 0 ? "    could also be:\n" : "");
		print_wrapped(out, line, "      ", 92);
	}
	fprintf(out, "    fix:\n");
	print_wrapped(out, cs_flag_advice(flag), "      ", 92);
	fputc('\n', out);
}

/* background_modes_json: a JSON array of strings (NULL when it is not one); NULL text = derive
 * audio/voip from the facts */
json_t *
cs_background_modes_json(const char *background_modes_json, const struct cs_app_facts *facts)
{
	if (background_modes_json) {
		json_t *modes = json_loads(background_modes_json, 0, NULL);
		if (json_is_array(modes))
			return modes;
		json_decref(modes);
		return NULL;
	}
	json_t *modes = json_array();
	if (facts && facts->mode_audio)
		json_array_append_new(modes, json_string("audio"));
	if (facts && facts->mode_voip)
		json_array_append_new(modes, json_string("voip"));
	return modes;
}

json_t *
cs_app_json(const char *device, const char *bundle, const struct cs_app_facts *facts,
    const char *background_modes_json)
{
	json_t *modes = cs_background_modes_json(background_modes_json, facts);
	return cs_app_record(device, bundle, facts, modes ? modes : json_array());	/* not an array: none known */
}

json_t *
cs_app_record(const char *device, const char *bundle, const struct cs_app_facts *facts, json_t *modes)
{
	json_t *rec = json_object();
	json_object_set_new(rec, "type", json_string("app"));
	if (device)
		json_object_set_new(rec, "device", json_text(device));
	json_object_set_new(rec, "bundle", json_text(bundle ? bundle : ""));
	json_object_set_new(rec, "background_modes", modes);
	json_object_set_new(rec, "microphone_usage", json_boolean(facts && facts->microphone_usage));
	json_object_set_new(rec, "camera_usage", json_boolean(facts && facts->camera_usage));
	return rec;
}

/* ---------------------------------------------------------------- the other records */

/* The rest of docs/protocol.md's records, each built here and nowhere else (test_output.c checks
 * every one against the fields the document lists). */

json_t *
cs_line_json(const char *device, const struct cs_line *line)
{
	json_t *obj = json_object();
	json_object_set_new(obj, "type", json_string("line"));
	set_time(obj, "time", line->time_us);
	json_object_set_new(obj, "device", json_text(device ? device : ""));
	json_object_set_new(obj, "line", json_integer((json_int_t)line->number));
	json_object_set_new(obj, "process", json_text(line->process ? line->process : ""));
	json_object_set_new(obj, "image", json_text(line->image ? line->image : ""));
	json_object_set_new(obj, "pid", json_integer(line->pid));
	json_object_set_new(obj, "level", json_text(line->level ? line->level : ""));
	json_t *message = json_stringn(line->message ? line->message : "", line->message ? line->message_len : 0);
	json_object_set_new(obj, "message", message ? message : json_string("(invalid text)"));
	return obj;
}

json_t *
cs_device_json(const struct cs_device_info *info, int64_t time_us)
{
	json_t *obj = json_object();
	json_object_set_new(obj, "type", json_string("device"));
	set_time(obj, "time", time_us);
	json_object_set_new(obj, "device", json_text(info->udid));
	json_object_set_new(obj, "name", json_text(info->name));
	json_object_set_new(obj, "product_version", json_text(info->product_version));
	json_object_set_new(obj, "product_type", json_text(info->product_type));
	json_object_set_new(obj, "state", json_text(info->state));
	json_object_set_new(obj, "detail", json_text(info->detail));
	json_object_set_new(obj, "network", json_boolean(info->network));
	return obj;
}

json_t *
cs_mark_json(int64_t id, int64_t time_us, const char *device, const char *note, int64_t lost)
{
	json_t *obj = json_object();
	json_object_set_new(obj, "type", json_string("mark"));
	json_object_set_new(obj, "id", json_integer(id));
	set_time(obj, "time", time_us);
	json_object_set_new(obj, "device", json_text(device ? device : ""));
	json_object_set_new(obj, "note", json_text(note ? note : ""));
	if (lost >= 0)	/* a gap the store could not write (issue 14 §7) */
		json_object_set_new(obj, "lost", json_integer(lost));
	return obj;
}

json_t *
cs_hello_json(bool replay)
{
	return json_pack("{s:s, s:i, s:s, s:I, s:s}", "type", "hello", "protocol", CALLSIGHT_PROTOCOL,
	    "version", CALLSIGHT_VERSION, "pid", (json_int_t)getpid(), "mode", replay ? "replay" : "live");
}

json_t *
cs_store_error_json(int64_t time_us, const char *message, uint64_t lost)
{
	json_t *obj = json_object();
	json_object_set_new(obj, "type", json_string("store_error"));
	set_time(obj, "time", time_us);
	json_object_set_new(obj, "message", json_text(message));
	json_object_set_new(obj, "lost", json_integer((json_int_t)lost));
	return obj;
}

/* an answer to a request: its type and the request's id (absent when the request had none) */
json_t *
cs_reply_json(const char *type, json_t *id)
{
	return json_pack("{s:s, s:O?}", "type", type, "id", id);
}

json_t *
cs_error_json(json_t *id, const char *message)
{
	json_t *obj = cs_reply_json("error", id);
	json_object_set_new(obj, "message", json_text(message));
	return obj;
}

json_t *
cs_end_json(json_t *id, uint64_t count)
{
	json_t *obj = cs_reply_json("end", id);
	json_object_set_new(obj, "count", json_integer((json_int_t)count));
	return obj;
}

json_t *
cs_report_reply_json(json_t *id, const char *path)
{
	json_t *obj = cs_reply_json("report", id);
	json_object_set_new(obj, "path", json_text(path));
	return obj;
}

/* one entry of the devices answer */
json_t *
cs_device_entry_json(const struct cs_device_info *info, uint64_t flags)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:I}", "device", json_text(info->udid), "name",
	    json_text(info->name), "product_version", json_text(info->product_version), "state",
	    json_text(info->state), "flags", (json_int_t)flags);
}

/* the summary a replay ends with; a store replay knows fewer figures (its strings "" or NULL) */
json_t *
cs_summary_json(const struct cs_summary *s)
{
	json_t *obj = json_object();
	json_object_set_new(obj, "type", json_string("summary"));
	json_object_set_new(obj, "lines", json_integer((json_int_t)s->lines));
	json_object_set_new(obj, "events", json_integer((json_int_t)s->events));
	json_object_set_new(obj, "flags", json_integer((json_int_t)s->flags));
	json_object_set_new(obj, "disconnects", json_integer((json_int_t)s->disconnects));
	json_object_set_new(obj, "warnings", json_integer((json_int_t)s->warnings));
	json_object_set_new(obj, "unparsed", json_integer((json_int_t)s->unparsed));
	json_object_set_new(obj, "truncated", json_integer((json_int_t)s->truncated));
	json_object_set_new(obj, "garbage_bytes", json_integer((json_int_t)s->garbage_bytes));
	json_object_set_new(obj, "format", json_text(s->format ? s->format : ""));
	json_object_set_new(obj, "app", json_text(s->app ? s->app : ""));
	json_object_set_new(obj, "sdk", json_text(s->sdk ? s->sdk : ""));
	/* scan first (issue 12): records the rules ran on, and those that gave an event */
	json_object_set_new(obj, "candidates", json_integer((json_int_t)s->candidates));
	json_object_set_new(obj, "matched", json_integer((json_int_t)s->matched));
	if (s->date_source && s->date_source[0])
		json_object_set_new(obj, "date_source", json_text(s->date_source));
	json_object_set_new(obj, "clock_jumps", json_integer((json_int_t)s->clock_jumps));
	return obj;
}

/* a bundle `--replay --report DIR` wrote for one flag */
json_t *
cs_replay_report_json(uint64_t flag, const char *path)
{
	json_t *obj = json_object();
	json_object_set_new(obj, "type", json_string("report"));
	json_object_set_new(obj, "flag", json_integer((json_int_t)flag));
	json_object_set_new(obj, "path", json_text(path));
	return obj;
}

/* something the daemon logged at warning or error level, for its clients' status lines */
json_t *
cs_log_json(int64_t time_us, const char *level, const char *message)
{
	json_t *obj = json_object();
	json_object_set_new(obj, "type", json_string("log"));
	set_time(obj, "time", time_us);
	json_object_set_new(obj, "level", json_text(level));
	json_object_set_new(obj, "message", json_text(message));
	return obj;
}

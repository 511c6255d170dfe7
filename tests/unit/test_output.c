/*
 * test_output.c - the records written straight as text (cs_event_text, cs_state_text, cs_flag_text in
 * daemon/output.c) against jansson's own dump of the same record (cs_event_json / cs_state_json /
 * cs_flag_json
 * through json_dumps, as cs_json_write writes it): byte for byte, over hostile strings (every
 * control byte, quotes, backslashes, '/', DEL, multi-byte and invalid UTF-8, U+2028, empty) in
 * every string field, and over random ones. The text path exists for speed only; jansson decides
 * what is right.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "callsightd.h"

static const char *const hostile[] = {
	"",
	"plain text",
	"quote \" backslash \\ slash / end",
	"\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18"
	    "\x19\x1a\x1b\x1c\x1d\x1e\x1f\x7f",
	"caf\xc3\xa9 \xe2\x80\xa6 \xf0\x9f\x93\x9e \xe2\x80\xa8 line sep",	/* é … 📞 U+2028 */
	"bad \xff byte",
	"truncated \xe2\x80",
	"overlong \xc0\xaf",
	"surrogate \xed\xa0\x80",
	"too big \xf4\x90\x80\x80",
	"{\"json\":[1,2]}",
	"\\u0000 looks like an escape",
};
#define NHOSTILE (sizeof hostile / sizeof hostile[0])

/* jansson's text of a record, with cs_json_write's newline */
static char *
jansson_text(json_t *record)
{
	char *text = json_dumps(record, CS_JSON_DUMP);
	json_decref(record);
	assert_non_null(text);
	size_t n = strlen(text);
	char *line = malloc(n + 2);
	memcpy(line, text, n);
	line[n] = '\n';
	line[n + 1] = '\0';
	free(text);
	return line;
}

static void
check_event(const struct cs_event *ev)
{
	struct cs_text t = { 0 };
	cs_event_text(&t, ev);
	char *want = jansson_text(cs_event_json(ev));
	assert_string_equal(t.buf, want);
	assert_int_equal(t.len, strlen(want));
	free(want);
	cs_text_free(&t);
}

static void
check_state(const struct cs_state_change *c)
{
	struct cs_text t = { 0 };
	cs_state_text(&t, c);
	char *want = jansson_text(cs_state_json(c));
	assert_string_equal(t.buf, want);
	free(want);
	cs_text_free(&t);
}

static void
check_flag(const struct cs_flag *f)
{
	struct cs_text t = { 0 };
	cs_flag_text(&t, f);
	char *want = jansson_text(cs_flag_json(f));
	size_t at = 0;
	while (t.buf[at] && t.buf[at] == want[at])
		at++;
	if (t.buf[at] != want[at])
		print_message("differs at %zu:\n text %.80s\n want %.80s\n", at, t.buf + (at > 20 ? at - 20 : 0),
		    want + (at > 20 ? at - 20 : 0));
	assert_string_equal(t.buf, want);
	free(want);
	cs_text_free(&t);
}

static struct cs_line
line_with(const char *device, const char *udid, const char *process)
{
	return (struct cs_line){
		.number = 42, .time_us = INT64_C(1764000000123456), .device_us = INT64_C(1764000000123456),
		.device = device, .udid = udid, .process = process, .image = "", .level = "",
		.message = "m", .message_len = 1, .raw = "m", .raw_len = 1, .pid = 412,
	};
}

static void
test_event_fields(void **state)
{
	(void)state;
	for (size_t i = 0; i < NHOSTILE; i++) {
		for (size_t k = 0; k < NHOSTILE; k++) {
			struct cs_line line = line_with(hostile[i], "", hostile[k]);
			struct cs_event ev = { .kind = CS_EV_call_connected, .line = &line,
				.rule = hostile[(i + k) % NHOSTILE], .nattrs = 2 };
			ev.attrs[0] = (struct cs_attr){ "reason", hostile[k] };
			ev.attrs[1] = (struct cs_attr){ "code", hostile[i] };
			check_event(&ev);
		}
	}
}

static void
test_event_shapes(void **state)
{
	(void)state;
	struct cs_line line = line_with("iPhone", "00008030-001A2D1E3C02802E", "PeerCall");
	struct cs_event ev = { .kind = CS_EV_app_suspended, .line = &line };
	check_event(&ev);			/* no attrs, no rule */
	ev.rule = "30-app-state.rules:12";
	line.device_us = line.time_us - 5000000;	/* a live line: its own stamp differs */
	line.pid = -1;
	check_event(&ev);
	ev.nattrs = CS_MAX_ATTRS;		/* every slot, one name twice (jansson keeps the last) */
	const char *names[CS_MAX_ATTRS] = { "bundle", "pid", "process", "code", "domain", "reason",
		"code", "state" };
	for (size_t i = 0; i < CS_MAX_ATTRS; i++)
		ev.attrs[i] = (struct cs_attr){ names[i], hostile[i % NHOSTILE] };
	check_event(&ev);
	line.time_us = 0;			/* the epoch and negative times format too */
	line.device_us = -1;
	check_event(&ev);
	line.time_us = INT64_C(-62198755200000000);	/* before year 0: snprintf's digits */
	check_event(&ev);
	ev.nattrs = 0;				/* every kind's and lane's name is plain JSON text */
	for (int k = 0; k < CS_EV_COUNT; k++) {
		ev.kind = (enum cs_event_kind)k;
		check_event(&ev);
	}
}

static void
test_state_fields(void **state)
{
	(void)state;
	for (size_t i = 0; i < NHOSTILE; i++) {
		struct cs_state_change c = { .lane = CS_LANE_call, .state = "connected",
			.time_us = INT64_C(1764000000999999), .line = 7, .device = hostile[i],
			.app = hostile[NHOSTILE - 1 - i] };
		check_state(&c);
	}
	for (int l = 0; l < CS_LANE_COUNT; l++) {	/* every lane's name is plain JSON text */
		struct cs_state_change c = { .lane = (enum cs_lane)l, .state = "on", .device = "d",
			.app = "a" };
		check_state(&c);
	}
}

static void
test_random_strings(void **state)
{
	(void)state;
	srand(12);
	char a[64], b[64];
	for (int round = 0; round < 20000; round++) {
		size_t na = (size_t)rand() % (sizeof a - 1), nb = (size_t)rand() % (sizeof b - 1);
		for (size_t i = 0; i < na; i++)
			a[i] = (char)(1 + rand() % 255);
		for (size_t i = 0; i < nb; i++)	/* mostly text with a few specials */
			b[i] = (char)(rand() % 8 ? 0x20 + rand() % 0x5f : 1 + rand() % 255);
		a[na] = b[nb] = '\0';
		struct cs_line line = line_with(a, "", b);
		struct cs_event ev = { .kind = CS_EV_network_down, .line = &line, .rule = "r", .nattrs = 1 };
		ev.attrs[0] = (struct cs_attr){ "reason", round % 2 ? a : b };
		check_event(&ev);
	}
}

/* Each kind of byte that is not written as it is (and the high and DEL bytes that are), at every
 * offset of a string from 0 to 40: the text path tests sixteen bytes at once (output.c
 * plain_run), so a special byte must be found in every place of a block and after it. */
static void
test_special_at_every_offset(void **state)
{
	(void)state;
	static const char *const kinds[] = { "\"", "\\", "\x01", "\n", "\x1f", "\x7f", " ", "~",
		"\xc3\xa9", "\xff", "\xe2\x80", "/" };
	char text[128];
	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
		for (size_t at = 0; at <= 40; at++)
			for (size_t after = 0; after <= 20; after += 5) {
				memset(text, 'a', at);
				snprintf(text + at, sizeof text - at, "%s%.*s", kinds[k], (int)after,
				    "bbbbbbbbbbbbbbbbbbbbb");
				struct cs_line line = line_with("iPhone", "", text);
				struct cs_event ev = { .kind = CS_EV_call_error, .line = &line, .rule = text,
					.nattrs = 1 };
				ev.attrs[0] = (struct cs_attr){ "reason", text };
				check_event(&ev);
			}
}

/* Flags: every string field hostile, every shape (no evidence to the most, alternatives, reports
 * with and without a time, an SDK's advice), confidences that round and that do not. */
static void
test_flag_fields(void **state)
{
	(void)state;
	static const double confidences[] = { 0, 1, 0.85, 0.333, 0.999, 0.005, 0.125, 0.7049999 };
	char texts[CS_MAX_EVIDENCE][64];
	for (size_t i = 0; i < NHOSTILE; i++) {
		struct cs_flag f = { .id = 7 + i, .cause = (enum cs_cause)(i % CS_CAUSE_COUNT),
			.confidence = confidences[i % 8], .time_us = INT64_C(1764000000123456) + (int64_t)i,
			.line = 1000 + i, .inferred = i % 2 };
		snprintf(f.device, sizeof f.device, "%s", hostile[i]);
		snprintf(f.app, sizeof f.app, "%s", hostile[NHOSTILE - 1 - i]);
		snprintf(f.detail, sizeof f.detail, "%s", hostile[(i + 3) % NHOSTILE]);
		snprintf(f.sdk, sizeof f.sdk, "%s", i % 3 ? "opentok" : "");
		f.advice = i % 4 == 1 ? hostile[(i + 5) % NHOSTILE] : NULL;
		f.nevidence = i % (CS_MAX_EVIDENCE + 1);
		for (size_t k = 0; k < f.nevidence; k++) {
			snprintf(texts[k], sizeof texts[k], "%s", hostile[(i + k) % NHOSTILE]);
			f.evidence[k] = (struct cs_evidence){ .line = 10 * k, .kind = CS_EV_call_error,
				.time_us = INT64_C(1764000000000000) - (int64_t)k, .text = k == 2 ? NULL : texts[k] };
		}
		f.nalternatives = i % (CS_MAX_ALTERNATIVES + 1);
		for (size_t k = 0; k < f.nalternatives; k++)
			f.alternatives[k] = (struct cs_alternative){ .cause = (enum cs_cause)((i + k) %
			    CS_CAUSE_COUNT), .confidence = confidences[(i + k) % 8],
			    .settle = k == 1 ? NULL : hostile[(i + k) % NHOSTILE] };
		f.nreports = i % 5;
		for (size_t k = 0; k < f.nreports; k++) {
			snprintf(f.reports[k].file, sizeof f.reports[k].file, "%s", hostile[(i + k) % NHOSTILE]);
			snprintf(f.reports[k].bug_type, sizeof f.reports[k].bug_type, "%zu", 298 + k);
			snprintf(f.reports[k].reason, sizeof f.reports[k].reason, "%s", hostile[k]);
			f.reports[k].time_us = k % 2 ? 0 : INT64_C(1764000000000001);
		}
		check_flag(&f);
	}
	/* every cause's name and severity, as flag and as alternative, and every kind's name as
	 * evidence, are plain JSON text */
	for (int c = 0; c < CS_CAUSE_COUNT || c < CS_EV_COUNT; c++) {
		struct cs_flag f = { .id = 1, .cause = (enum cs_cause)(c % CS_CAUSE_COUNT), .nevidence = 1,
			.nalternatives = 1 };
		f.evidence[0] = (struct cs_evidence){ .kind = (enum cs_event_kind)(c % CS_EV_COUNT),
			.text = texts[0] };
		f.alternatives[0] = (struct cs_alternative){ .cause = (enum cs_cause)((c + 1) %
		    CS_CAUSE_COUNT), .confidence = 0.5 };
		check_flag(&f);
	}
}

static void
test_buffer_appends(void **state)
{
	(void)state;
	/* records append: a buffer holds several, each with its newline, and grows as needed */
	struct cs_text t = { 0 };
	struct cs_line line = line_with("iPhone", "", "PeerCall");
	struct cs_event ev = { .kind = CS_EV_call_connected, .line = &line, .rule = "r" };
	for (int i = 0; i < 1000; i++)
		cs_event_text(&t, &ev);
	size_t lines = 0;
	for (size_t i = 0; i < t.len; i++)
		lines += t.buf[i] == '\n';
	assert_int_equal(lines, 1000);
	assert_int_equal(strlen(t.buf), t.len);
	cs_text_free(&t);
	assert_null(t.buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_fields),
		cmocka_unit_test(test_event_shapes),
		cmocka_unit_test(test_state_fields),
		cmocka_unit_test(test_random_strings),
		cmocka_unit_test(test_special_at_every_offset),
		cmocka_unit_test(test_flag_fields),
		cmocka_unit_test(test_buffer_appends),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

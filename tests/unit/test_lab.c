/*
 * test_lab.c - the lab pieces below the servers (issue 11): the metrics registry and its Prometheus
 * text (every family with HELP and TYPE, label values escaped, text that is not UTF-8 replaced,
 * counters that add up, the series bound), and the store's side of --forward (rows read after a
 * cursor in id order, the cursor kept per collector and type across a reopen, device names).
 * The servers themselves: tests/e2e/lab-prometheus.sh and lab-rsyslog.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "callsightd.h"

#define SEC	1000000LL
#define T0	(1772625600LL * SEC)	/* 2026-03-04T12:00:00Z */

/* ---------------------------------------------------------------- metrics */

static void
test_metrics_families_and_escaping(void **state)
{
	struct cs_metrics *m = cs_metrics_new(100);
	const char *drop[] = { "U1", "Anna's \"QA\" \\ phone\nline2", "com.example.VideoCall", "opentok",
	    "missing_background_mode" };
	cs_metrics_add(m, CS_M_disconnects_total, drop, 1);
	cs_metrics_add(m, CS_M_disconnects_total, drop, 1);
	const char *bad_utf8[] = { "U2", "caf\xc3 \xff", "app", "", "kill" };
	cs_metrics_add(m, CS_M_disconnects_total, bad_utf8, 1);
	cs_metrics_set(m, CS_M_store_bytes, NULL, 4096);
	size_t len = 0;
	char *text = cs_metrics_render(m, &len);
	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	static const char *const families[] = { "disconnects_total counter", "warnings_total counter",
		"calls_total counter", "call_up gauge", "device_connected gauge", "stream_state gauge",
		"lines_total counter", "store_bytes gauge", "clients gauge", "build_info gauge" };
	for (size_t i = 0; i < sizeof families / sizeof families[0]; i++) {
		char want[128];
		snprintf(want, sizeof want, "# TYPE callsight_%s\n", families[i]);
		assert_non_null(strstr(text, want));
		snprintf(want, sizeof want, "# HELP callsight_%.*s ", (int)strcspn(families[i], " "), families[i]);
		assert_non_null(strstr(text, want));
	}
	assert_non_null(strstr(text, "callsight_disconnects_total{udid=\"U1\",device=\"Anna's \\\"QA\\\" "
	    "\\\\ phone\\nline2\",app=\"com.example.VideoCall\",sdk=\"opentok\",cause=\"missing_background_mode\"} 2\n"));
	assert_non_null(strstr(text, "callsight_disconnects_total{udid=\"U2\",device=\"(invalid UTF-8)\",app=\"app\","
	    "sdk=\"\",cause=\"kill\"} 1\n"));
	assert_non_null(strstr(text, "\ncallsight_store_bytes 4096\n"));
	/* no raw newline inside a sample line: every line is a comment or name{...} value */
	for (char *line = text; *line; line = strchr(line, '\n') + 1) {
		assert_true(line[0] == '#' || strncmp(line, "callsight_", 10) == 0);
		assert_non_null(strchr(line, '\n'));
	}
	free(text);
	assert_true(cs_metrics_get(m, CS_M_disconnects_total, drop) == 2);
	assert_int_equal(cs_metrics_label_count(CS_M_disconnects_total), 5);
	assert_int_equal(cs_metrics_label_count(CS_M_clients), 0);
	cs_metrics_free(m);
}

static void
test_metrics_series_bound(void **state)
{
	struct cs_metrics *m = cs_metrics_new(3);
	char udid[16];
	for (int i = 0; i < 10; i++) {
		snprintf(udid, sizeof udid, "U%d", i);
		const char *labels[] = { udid };
		cs_metrics_add(m, CS_M_lines_total, labels, 1);
	}
	char *text = cs_metrics_render(m, NULL);
	assert_non_null(strstr(text, "callsight_lines_total{udid=\"U2\"} 1"));
	assert_null(strstr(text, "callsight_lines_total{udid=\"U3\"}"));	/* past the bound */
	free(text);
	const char *first[] = { "U0" };
	cs_metrics_add(m, CS_M_lines_total, first, 5);	/* an existing series still counts */
	assert_true(cs_metrics_get(m, CS_M_lines_total, first) == 6);
	cs_metrics_free(m);
}

static void
test_parse_host_port(void **state)
{
	char host[64];
	unsigned port;
	assert_int_equal(cs_parse_host_port("9477", "127.0.0.1", host, sizeof host, &port), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 9477);
	assert_int_equal(cs_parse_host_port("0.0.0.0:80", "x", host, sizeof host, &port), 0);
	assert_string_equal(host, "0.0.0.0");
	assert_int_equal(cs_parse_host_port("[::1]:2514", "x", host, sizeof host, &port), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 2514);
	static const char *const bad[] = { "", "0", "65536", "host:", ":80", "host:80x", "[::1", "[]:1",
		"a:b:c", "99999999999999999999" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(cs_parse_host_port(bad[i], "x", host, sizeof host, &port), -1);
}

/* ---------------------------------------------------------------- the store's forward cursor */

struct tmp {
	char dir[64];
	char path[128];
};

static struct cs_store *
open_tmp_store(struct tmp *t, bool fresh)
{
	if (fresh) {
		snprintf(t->dir, sizeof t->dir, "/tmp/cs-lab-XXXXXX");
		assert_non_null(mkdtemp(t->dir));
		snprintf(t->path, sizeof t->path, "%s/store.db", t->dir);
	}
	char err[512] = "";
	struct cs_store_options o = { .path = t->path };
	struct cs_store *s = cs_store_open(&o, err, sizeof err);
	if (s == NULL)
		fprintf(stderr, "%s\n", err);
	assert_non_null(s);
	return s;
}

static void
rm_tmp(struct tmp *t)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->dir);
	assert_int_equal(system(cmd), 0);
}

struct rows {
	int64_t	 ids[64];
	char	*text[64];
	size_t	 n;
};

static int
collect_row(json_t *record, int64_t id, void *arg)
{
	struct rows *r = arg;
	r->ids[r->n] = id;
	r->text[r->n++] = json_dumps(record, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(record);
	return 0;
}

static void
rows_free(struct rows *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->text[i]);
	r->n = 0;
}

static void
add_flag(struct cs_store *s, uint64_t id, const char *udid)
{
	struct cs_flag f = { .id = id, .cause = CS_CAUSE_missing_background_mode, .confidence = 0.9,
		.time_us = T0 + (int64_t)id * SEC, .line = id };
	cs_strlcpy(f.device, udid, sizeof f.device);
	cs_strlcpy(f.app, "com.example.VideoCall", sizeof f.app);
	assert_int_equal(cs_store_flag(s, &f), 0);
}

static void
test_forward_rows_and_cursor(void **state)
{
	struct tmp t;
	struct cs_store *s = open_tmp_store(&t, true);
	assert_int_equal(cs_store_device(s, "U1", "", "17.5", "iPhone15,2", "attached", "", T0), 0);
	assert_int_equal(cs_store_device(s, "U1", "QA-7", "17.5", "iPhone15,2", "streaming", "", T0 + SEC), 0);
	assert_int_equal(cs_store_device(s, "U1", "", "17.5", "iPhone15,2", "detached", "", T0 + 2 * SEC), 0);
	for (uint64_t i = 1; i <= 5; i++)
		add_flag(s, i, "U1");
	assert_int_equal(cs_store_commit(s), 0);

	struct rows r = { .n = 0 };
	assert_int_equal(cs_store_forward_rows(s, CS_REC_FLAG, 0, 100, collect_row, &r), 0);
	assert_int_equal(r.n, 5);
	for (size_t i = 0; i < r.n; i++) {
		assert_true(i == 0 || r.ids[i] > r.ids[i - 1]);	/* id order */
		assert_non_null(strstr(r.text[i], "\"type\":\"flag\""));
		assert_non_null(strstr(r.text[i], "\"cause\":\"missing_background_mode\""));
	}
	int64_t second = r.ids[1];
	rows_free(&r);
	assert_int_equal(cs_store_forward_rows(s, CS_REC_FLAG, second, 2, collect_row, &r), 0);
	assert_int_equal(r.n, 2);	/* after the cursor, at most the limit */
	assert_true(r.ids[0] > second);
	rows_free(&r);
	assert_int_equal(cs_store_forward_rows(s, CS_REC_DEVICE, 0, 100, collect_row, &r), 0);
	assert_int_equal(r.n, 3);
	rows_free(&r);
	assert_int_equal(cs_store_forward_rows(s, CS_REC_MARK, 0, 100, collect_row, &r), -1);	/* not forwarded */

	/* the latest non-empty name */
	char name[64];
	assert_int_equal(cs_store_device_name(s, "U1", name, sizeof name), 0);
	assert_string_equal(name, "QA-7");
	assert_int_equal(cs_store_device_name(s, "nope", name, sizeof name), 0);
	assert_string_equal(name, "");

	/* cursors: per target and type, 0 until set, kept across a reopen */
	int64_t acked = -1;
	assert_int_equal(cs_store_forward_get(s, "relp://a:1", CS_REC_FLAG, &acked), 0);
	assert_int_equal(acked, 0);
	assert_int_equal(cs_store_forward_set(s, "relp://a:1", CS_REC_FLAG, 3), 0);
	assert_int_equal(cs_store_forward_set(s, "relp://a:1", CS_REC_FLAG, 4), 0);
	assert_int_equal(cs_store_forward_set(s, "relp://a:1", CS_REC_DEVICE, 2), 0);
	assert_int_equal(cs_store_forward_set(s, "syslog+tcp://b:2", CS_REC_FLAG, 1), 0);
	cs_store_close(s);
	s = open_tmp_store(&t, false);
	assert_int_equal(cs_store_forward_get(s, "relp://a:1", CS_REC_FLAG, &acked), 0);
	assert_int_equal(acked, 4);
	assert_int_equal(cs_store_forward_get(s, "relp://a:1", CS_REC_DEVICE, &acked), 0);
	assert_int_equal(acked, 2);
	assert_int_equal(cs_store_forward_get(s, "syslog+tcp://b:2", CS_REC_FLAG, &acked), 0);
	assert_int_equal(acked, 1);
	assert_int_equal(cs_store_forward_get(s, "relp://a:1", CS_REC_LINE, &acked), 0);
	assert_int_equal(acked, 0);
	assert_string_equal(cs_store_record_type_name(CS_REC_APP), "app");
	assert_null(cs_store_record_type_name(CS_REC_STATE));
	cs_store_close(s);
	rm_tmp(&t);
}

static void
test_forward_line_rows(void **state)
{
	struct tmp t;
	struct cs_store *s = open_tmp_store(&t, true);
	const char *raw = "Mar  4 12:00:01 iPhone App(Foundation)[4242] <Notice>: hello \"quoted\" caf\xc3\xa9";
	struct cs_line line = {
		.number = 7, .time_us = T0, .format = CS_FMT_syslog, .device = "iPhone", .process = "App",
		.image = "Foundation", .pid = 4242, .level = "Notice", .raw = raw, .raw_len = strlen(raw),
		.udid = "U1",
	};
	line.message = strstr(raw, "hello");
	line.message_len = strlen(line.message);
	assert_int_equal(cs_store_line(s, "U1", &line), 0);
	assert_int_equal(cs_store_commit(s), 0);
	struct rows r = { .n = 0 };
	assert_int_equal(cs_store_forward_rows(s, CS_REC_LINE, 0, 10, collect_row, &r), 0);
	assert_int_equal(r.n, 1);
	assert_non_null(strstr(r.text[0], "\"message\":\"hello \\\"quoted\\\" caf\xc3\xa9\""));
	assert_non_null(strstr(r.text[0], "\"type\":\"line\""));
	assert_non_null(strstr(r.text[0], "\"line\":7"));
	rows_free(&r);
	cs_store_close(s);
	rm_tmp(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metrics_families_and_escaping),
		cmocka_unit_test(test_metrics_series_bound),
		cmocka_unit_test(test_parse_host_port),
		cmocka_unit_test(test_forward_rows_and_cursor),
		cmocka_unit_test(test_forward_line_rows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_tui_model.c - the TUI's model (tui/model.c) is pure: records in, devices, lanes and items
 * out. These tests feed it records as the daemon sends them (docs/protocol.md) and check the
 * parts the views rely on: time parsing, lane state lookup, time order, the duplicates that the
 * subscribe snapshot and the history answer overlap on, malformed records, and the memory cap.
 * The model is compiled in directly: the TUI shares no library with the daemon.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../tui/model.c"

static int
feed(struct tui_model *m, const char *json)
{
	json_t *rec = json_loads(json, 0, NULL);
	int r = rec != NULL ? model_apply(m, rec) : -1;
	json_decref(rec);
	return r;
}

static void
test_time(void **state)
{
	(void)state;
	assert_int_equal(tui_parse_time("1970-01-01T00:00:01.500Z"), 1500);
	assert_int_equal(tui_parse_time("1970-01-01T00:00:01Z"), 1000);
	assert_int_equal(tui_parse_time("1970-01-01T01:00:00.000+01:00"), 0 + 0);
	assert_int_equal(tui_parse_time("garbage"), 0);
	assert_int_equal(tui_parse_time(NULL), 0);
	assert_true(tui_parse_time("2026-11-25T17:20:05.123Z") % 1000 == 123);
}

static void
test_lanes(void **state)
{
	(void)state;
	struct tui_model m;
	model_init(&m, 0);
	assert_int_equal(feed(&m, "{\"type\":\"state\",\"time\":\"2026-03-04T12:00:10.000Z\","
	    "\"device\":\"P\",\"lane\":\"app\",\"state\":\"suspended\"}"), 0);
	assert_int_equal(feed(&m, "{\"type\":\"state\",\"time\":\"2026-03-04T12:00:00.000Z\","
	    "\"device\":\"P\",\"lane\":\"app\",\"state\":\"foreground\"}"), 0);
	/* the same state again (snapshot + history): no new change */
	assert_int_equal(feed(&m, "{\"type\":\"state\",\"time\":\"2026-03-04T12:00:10.000Z\","
	    "\"device\":\"P\",\"lane\":\"app\",\"state\":\"suspended\"}"), 0);
	struct tui_device *d = model_device(&m, "P", false);
	assert_non_null(d);
	assert_int_equal(d->lanes[LANE_app].n, 2);
	int64_t t0 = tui_parse_time("2026-03-04T12:00:00.000Z");
	assert_int_equal(model_lane_at(d, LANE_app, t0 - 1), -1);
	assert_string_equal(cs_states[model_lane_at(d, LANE_app, t0 + 5000)].name, "foreground");
	assert_string_equal(cs_states[model_lane_at(d, LANE_app, t0 + 10000)].name, "suspended");
	assert_int_equal(d->tmin, t0);
	assert_int_equal(d->tmax, t0 + 10000);
	model_clear(&m);
}

static void
test_items(void **state)
{
	(void)state;
	struct tui_model m;
	model_init(&m, 0);
	const char *flag = "{\"type\":\"flag\",\"id\":1,\"time\":\"2026-03-04T12:00:31.000Z\","
	    "\"device\":\"P\",\"severity\":\"disconnect\",\"cause\":\"missing_background_mode\","
	    "\"confidence\":0.9,\"line\":212,\"evidence\":[{\"line\":88,\"kind\":\"app_background\","
	    "\"time\":\"2026-03-04T12:00:20.000Z\",\"text\":\"raw line\"}]}";
	assert_int_equal(feed(&m, flag), 0);
	assert_int_equal(feed(&m, flag), 0);	/* duplicate: dropped */
	assert_int_equal(feed(&m, "{\"type\":\"event\",\"time\":\"2026-03-04T12:00:02.000Z\","
	    "\"device\":\"P\",\"kind\":\"call_connected\",\"lane\":\"call\",\"line\":12,"
	    "\"attrs\":{\"code\":\"7\"}}"), 0);
	assert_int_equal(feed(&m, "{\"type\":\"mark\",\"id\":3,\"time\":\"2026-03-04T12:00:40.000Z\","
	    "\"device\":\"P\",\"note\":\"locked here\"}"), 0);
	struct tui_device *d = model_device(&m, "P", false);
	assert_int_equal(d->nitems, 3);
	assert_int_equal(d->disconnects, 1);
	assert_int_equal(d->items[0]->type, ITEM_EVENT);	/* time order */
	assert_int_equal(d->items[1]->type, ITEM_FLAG);
	assert_int_equal(d->items[2]->type, ITEM_MARK);
	/* the label and advice come from causes.def when the record has none */
	assert_string_equal(d->items[1]->label, tui_cause_label("missing_background_mode"));
	assert_non_null(d->items[1]->advice);
	assert_int_equal(d->items[1]->nev, 1);
	assert_string_equal(d->items[1]->ev[0].text, "raw line");
	assert_non_null(strstr(d->items[0]->text, "code=7"));
	assert_int_equal(model_item_index(d, d->items[1]->t), 2);
	assert_null(d->items[1]->sdk);	/* a record without "sdk" names none */
	assert_null(d->sdk);
	model_clear(&m);
}

/* "sdk" on flags and app records: the flag keeps its own, the device the latest known; "" is unknown */
static void
test_sdk(void **state)
{
	(void)state;
	struct tui_model m;
	model_init(&m, 0);
	assert_int_equal(feed(&m, "{\"type\":\"app\",\"device\":\"P\",\"bundle\":\"com.x\","
	    "\"background_modes\":[\"audio\"],\"sdk\":\"\"}"), 0);
	struct tui_device *d = model_device(&m, "P", false);
	assert_null(d->sdk);
	assert_int_equal(feed(&m, "{\"type\":\"flag\",\"id\":1,\"time\":\"2026-03-04T12:00:31.000Z\","
	    "\"device\":\"P\",\"severity\":\"disconnect\",\"cause\":\"network_loss\","
	    "\"advice\":\"LiveKit words\",\"sdk\":\"livekit\",\"evidence\":[]}"), 0);
	assert_string_equal(d->sdk, "livekit");
	assert_string_equal(d->items[0]->sdk, "livekit");
	assert_string_equal(d->items[0]->advice, "LiveKit words");
	assert_int_equal(feed(&m, "{\"type\":\"app\",\"device\":\"P\",\"bundle\":\"com.x\","
	    "\"sdk\":\"twilio-video\"}"), 0);
	assert_string_equal(d->sdk, "twilio-video");
	assert_string_equal(d->items[0]->sdk, "livekit");
	model_clear(&m);
}

/* a flag's "reports" (the phone's crash/jetsam reports) become one readable line each */
static void
test_reports(void **state)
{
	(void)state;
	struct tui_model m;
	model_init(&m, 0);
	assert_int_equal(feed(&m, "{\"type\":\"flag\",\"id\":1,\"time\":\"2024-09-30T15:28:10.000Z\","
	    "\"device\":\"P\",\"severity\":\"disconnect\",\"cause\":\"app_killed_jetsam\",\"evidence\":[],"
	    "\"reports\":[{\"file\":\"JetsamEvent-1.ips\",\"bug_type\":\"298\",\"reason\":\"jetsam "
	    "per-process-limit\",\"time\":\"2024-09-30T15:28:10.120Z\"},{\"file\":7}]}"), 0);
	struct tui_device *d = model_device(&m, "P", false);
	assert_int_equal(d->items[0]->nreports, 2);
	assert_non_null(strstr(d->items[0]->reports[0], "JetsamEvent-1.ips (bug_type 298, "));
	assert_non_null(strstr(d->items[0]->reports[0], "): jetsam per-process-limit"));
	assert_non_null(strstr(d->items[0]->reports[1], "? (bug_type ?"));	/* malformed: no crash */
	model_clear(&m);
}

static void
test_malformed(void **state)
{
	(void)state;
	struct tui_model m;
	model_init(&m, 0);
	assert_int_equal(feed(&m, "{\"type\":\"event\",\"time\":\"x\"}"), -1);	/* no kind */
	assert_int_equal(feed(&m, "{\"type\":\"state\",\"lane\":\"nope\"}"), -1);
	assert_int_equal(feed(&m, "{\"type\":\"unknown_future_type\"}"), -1);
	assert_int_equal(feed(&m, "{\"no\":\"type\"}"), -1);
	assert_int_equal(m.ndev, 0);	/* a malformed record makes no device */
	model_clear(&m);
}

static void
test_cap(void **state)
{
	(void)state;
	struct tui_model m;
	model_init(&m, 100);
	char buf[256];
	for (int i = 0; i < 1000; i++) {
		snprintf(buf, sizeof buf, "{\"type\":\"event\",\"time\":\"2026-03-04T12:%02d:%02d.000Z\","
		    "\"device\":\"P\",\"kind\":\"network_up\",\"lane\":\"network\",\"line\":%d}",
		    i / 60 % 60, i % 60, i);
		assert_int_equal(feed(&m, buf), 0);
	}
	struct tui_device *d = model_device(&m, "P", false);
	assert_true(d->nitems <= 100);
	assert_int_equal(d->items[d->nitems - 1]->line, 999);	/* the newest are kept */
	model_clear(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_lanes),
		cmocka_unit_test(test_items),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_sdk),
		cmocka_unit_test(test_reports),
	};
	return cmocka_run_group_tests_name("tui model", tests, NULL, NULL);
}

/*
 * test_timeline.c - the cause predicates and the drop state machine, fed synthetic events directly
 * (no reader, no rules): each test tells one story and checks the one flag (or none) it must give.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "callsightd.h"

#define SEC 1000000LL
#define T0  (1700000000LL * SEC)
#define MAX_FLAGS 8

struct story {
	struct cs_timeline	*tl;
	int			 nflags;
	enum cs_cause		 causes[MAX_FLAGS];
	double			 confidence[MAX_FLAGS];
	bool			 inferred[MAX_FLAGS];
	int64_t			 time_us[MAX_FLAGS];
	size_t			 nevidence[MAX_FLAGS];
	char			 sdk[MAX_FLAGS][32];
	const char		*advice[MAX_FLAGS];	/* the flag's advice (static: rules or causes) */
	uint64_t		 line;
	int			 nstates;
	char			 last_app_state[32];
};

static void
on_flag(const struct cs_flag *flag, void *ctx)
{
	struct story *s = ctx;
	assert_true(s->nflags < MAX_FLAGS);
	s->causes[s->nflags] = flag->cause;
	s->confidence[s->nflags] = flag->confidence;
	s->inferred[s->nflags] = flag->inferred;
	s->time_us[s->nflags] = flag->time_us;
	s->nevidence[s->nflags] = flag->nevidence;
	cs_strlcpy(s->sdk[s->nflags], flag->sdk, sizeof s->sdk[0]);
	s->advice[s->nflags] = cs_flag_advice(flag);
	s->nflags++;
}

static void
on_state(const struct cs_state_change *c, void *ctx)
{
	struct story *s = ctx;
	s->nstates++;
	if (c->lane == CS_LANE_app)
		cs_strlcpy(s->last_app_state, c->state, sizeof s->last_app_state);
}

static struct story *
story_new(const char *app)
{
	struct story *s = calloc(1, sizeof *s);
	struct cs_timeline_options o = { .app = app, .state = on_state };
	s->tl = cs_timeline_new(&o, on_flag, s);
	return s;
}

static void
story_free(struct story *s)
{
	cs_timeline_free(s->tl);
	free(s);
}

/* One event at second `at`: logged by `process`[pid]; attrs as "k=v" strings, NULL-terminated. */
static void
ev(struct story *s, double at, const char *process, long pid, enum cs_event_kind kind, ...)
{
	struct cs_line line = {
		.number = ++s->line, .time_us = T0 + (int64_t)(at * SEC), .device = "iPhone",
		.process = process, .image = "", .pid = pid, .level = "Notice", .message = "m",
		.message_len = 1, .raw = "raw line", .raw_len = 8, .udid = "",
	};
	struct cs_event e = { .kind = kind, .line = &line, .rule = "test" };
	char store[CS_MAX_ATTRS][64];
	va_list ap;
	va_start(ap, kind);
	const char *kv;
	while ((kv = va_arg(ap, const char *)) != NULL && e.nattrs < CS_MAX_ATTRS) {
		cs_strlcpy(store[e.nattrs], kv, sizeof store[0]);
		char *eq = strchr(store[e.nattrs], '=');
		assert_non_null(eq);
		*eq = '\0';
		e.attrs[e.nattrs].name = store[e.nattrs];
		e.attrs[e.nattrs].value = eq + 1;
		e.nattrs++;
	}
	va_end(ap);
	cs_timeline_line(s->tl, &line);
	cs_timeline_event(s->tl, &e);
}

/* a plain line (no event) at second `at`: lets time pass */
static void
tick(struct story *s, double at)
{
	struct cs_line line = {
		.number = ++s->line, .time_us = T0 + (int64_t)(at * SEC), .device = "iPhone",
		.process = "kernel", .image = "", .pid = 0, .level = "", .message = "noise",
		.message_len = 5, .raw = "noise", .raw_len = 5, .udid = "",
	};
	cs_timeline_line(s->tl, &line);
}

#define APP "VideoCall", 4242L
#define SB "SpringBoard", 59L
#define RB "runningboardd", 33L
#define MS "mediaserverd", 110L
#define BUNDLE "bundle=com.example.VideoCall"

static void
expect_one(struct story *s, enum cs_cause cause)
{
	cs_timeline_finish(s->tl);
	if (s->nflags != 1 || s->causes[0] != cause)
		fail_msg("expected one flag %s, got %d (first: %s)", cs_cause_name(cause), s->nflags,
		    s->nflags ? cs_cause_name(s->causes[0]) : "-");
}

static void
connected(struct story *s)
{
	ev(s, 0, APP, CS_EV_call_connected, NULL);
}

static void
lock_and_background(struct story *s, double at)
{
	ev(s, at, APP, CS_EV_screen_locked, NULL);
	ev(s, at + 0.2, SB, CS_EV_app_background, BUNDLE, "pid=4242", NULL);
}

static void
test_missing_mode_burst_is_one_flag(void **state)
{
	struct story *s = story_new(NULL);
	connected(s);
	lock_and_background(s, 10);
	ev(s, 11, RB, CS_EV_app_suspended, BUNDLE, "pid=4242", NULL);
	ev(s, 11.1, MS, CS_EV_app_no_bg_entitlement, BUNDLE, "pid=4242", NULL);
	tick(s, 40);
	ev(s, 45, SB, CS_EV_app_foreground, BUNDLE, "pid=4242", NULL);
	ev(s, 45.1, RB, CS_EV_app_resumed, BUNDLE, "pid=4242", NULL);
	/* the burst after unlock */
	ev(s, 45.5, APP, CS_EV_socket_aborted, NULL);
	ev(s, 45.6, APP, CS_EV_audio_interruption_began, "reason=1", NULL);
	ev(s, 45.7, APP, CS_EV_call_error, "code=1022", "domain=OTSessionErrorDomain", NULL);
	ev(s, 45.8, APP, CS_EV_call_disconnected, NULL);
	ev(s, 45.9, APP, CS_EV_call_disconnected, NULL);
	expect_one(s, CS_CAUSE_missing_background_mode);
	assert_true(s->confidence[0] >= 0.85);
	assert_false(s->inferred[0]);
	assert_int_equal(s->time_us[0], T0 + 11 * SEC);	/* timed at the suspension, not the burst */
	assert_true(s->nevidence[0] >= 4);
	story_free(s);
}

static void
test_missing_mode_certain_with_facts(void **state)
{
	struct story *s = story_new(NULL);
	struct cs_app_facts f = { .known = true, .microphone_usage = true, .camera_usage = true };
	cs_timeline_app_facts(s->tl, "com.example.VideoCall", &f);
	ev(s, 0, RB, CS_EV_app_foreground, BUNDLE, "pid=4242", NULL);
	ev(s, 0.5, "VideoCall", 4242, CS_EV_call_connected, NULL);
	lock_and_background(s, 10);
	ev(s, 12, RB, CS_EV_app_suspended, BUNDLE, "pid=4242", NULL);
	expect_one(s, CS_CAUSE_missing_background_mode);
	assert_true(s->confidence[0] >= 0.85);
	assert_true(s->inferred[0]);	/* the app never said: capture ended while suspended */
	story_free(s);
}

static void
test_modes_present_means_no_active_audio(void **state)
{
	struct story *s = story_new(NULL);
	struct cs_app_facts f = { .known = true, .mode_audio = true, .mode_voip = true,
		.microphone_usage = true, .camera_usage = true };
	cs_timeline_app_facts(s->tl, "com.example.VideoCall", &f);
	ev(s, 0, RB, CS_EV_app_foreground, BUNDLE, "pid=4242", NULL);
	ev(s, 0.5, APP, CS_EV_call_connected, NULL);
	lock_and_background(s, 10);
	ev(s, 10.5, MS, CS_EV_audio_inactive, "process=VideoCall", "pid=4242", NULL);
	ev(s, 12, RB, CS_EV_app_suspended, BUNDLE, "pid=4242", NULL);
	ev(s, 40, SB, CS_EV_app_foreground, BUNDLE, "pid=4242", NULL);
	ev(s, 40.5, APP, CS_EV_call_disconnected, NULL);
	expect_one(s, CS_CAUSE_no_active_audio_in_background);
	story_free(s);
}

static void
test_disconnect_on_background(void **state)
{
	struct story *s = story_new(NULL);
	connected(s);
	ev(s, 10, APP, CS_EV_app_background, NULL);	/* applicationDidEnterBackground */
	ev(s, 10.5, APP, CS_EV_call_disconnect_requested, NULL);
	ev(s, 11, APP, CS_EV_call_disconnected, NULL);
	expect_one(s, CS_CAUSE_app_disconnect_on_background);
	story_free(s);
}

static void
test_interruption_not_resumed(void **state)
{
	struct story *s = story_new(NULL);
	connected(s);
	ev(s, 20, APP, CS_EV_audio_interruption_began, "type=began", NULL);
	ev(s, 50, APP, CS_EV_audio_interruption_ended, NULL);
	ev(s, 51, APP, CS_EV_audio_start_failed, "code=561145187", NULL);
	ev(s, 80, APP, CS_EV_call_disconnected, NULL);
	expect_one(s, CS_CAUSE_audio_interruption_not_resumed);
	assert_true(s->confidence[0] >= 0.85);
	story_free(s);
}

static void
test_interruption_resumed_is_not_the_cause(void **state)
{
	struct story *s = story_new(NULL);
	connected(s);
	ev(s, 20, APP, CS_EV_audio_interruption_began, NULL);
	ev(s, 30, APP, CS_EV_audio_interruption_ended, NULL);
	ev(s, 30.2, APP, CS_EV_audio_active, NULL);
	ev(s, 60, APP, CS_EV_call_reconnecting, NULL);
	ev(s, 70, APP, CS_EV_call_error, "code=1022", NULL);
	expect_one(s, CS_CAUSE_network_loss);
	story_free(s);
}

static void
test_late_was_suspended_interruption_ignored(void **state)
{
	struct story *s = story_new(NULL);
	connected(s);
	lock_and_background(s, 10);
	ev(s, 12, RB, CS_EV_app_suspended, BUNDLE, "pid=4242", NULL);
	ev(s, 40, RB, CS_EV_app_resumed, BUNDLE, "pid=4242", NULL);
	ev(s, 40.5, APP, CS_EV_audio_interruption_began, "reason=appWasSuspended", NULL);
	ev(s, 40.6, APP, CS_EV_call_disconnected, NULL);
	expect_one(s, CS_CAUSE_missing_background_mode);
	story_free(s);
}

static void
test_lock_button_callkit(void **state)
{
	struct story *s = story_new(NULL);
	connected(s);
	ev(s, 10, "backboardd", 60, CS_EV_lock_button, NULL);
	ev(s, 10.4, APP, CS_EV_callkit_end_call, NULL);
	ev(s, 10.6, APP, CS_EV_call_disconnected, NULL);
	expect_one(s, CS_CAUSE_callkit_lock_button_end);
	story_free(s);
}

static void
test_callkit_deactivate(void **state)
{
	struct story *s = story_new(NULL);
	connected(s);
	ev(s, 10, APP, CS_EV_callkit_audio_deactivated, NULL);
	ev(s, 11, APP, CS_EV_call_disconnected, NULL);
	expect_one(s, CS_CAUSE_callkit_audio_mismanaged);
	story_free(s);
}

static void
test_background_task_expiry(void **state)
{
	struct story *s = story_new(NULL);
	connected(s);
	lock_and_background(s, 10);
	ev(s, 10.5, APP, CS_EV_app_bg_task_begin, NULL);
	ev(s, 35, RB, CS_EV_app_bg_task_expiring, BUNDLE, "pid=4242", NULL);
	ev(s, 40, RB, CS_EV_app_suspended, BUNDLE, "pid=4242", NULL);
	ev(s, 90, RB, CS_EV_app_resumed, BUNDLE, "pid=4242", NULL);
	ev(s, 90.5, APP, CS_EV_call_disconnected, NULL);
	expect_one(s, CS_CAUSE_background_task_expiry);
	story_free(s);
}

static void
test_kills(void **state)
{
	static const struct { enum cs_event_kind kind; enum cs_cause cause; } kills[] = {
		{ CS_EV_app_killed_jetsam, CS_CAUSE_app_killed_jetsam },
		{ CS_EV_app_killed_watchdog, CS_CAUSE_app_killed_watchdog },
		{ CS_EV_app_crashed, CS_CAUSE_app_crash },
	};
	for (size_t i = 0; i < sizeof kills / sizeof kills[0]; i++) {
		struct story *s = story_new(NULL);
		connected(s);
		ev(s, 10, "kernel", 0, kills[i].kind, "process=VideoCall", "pid=4242", NULL);
		expect_one(s, kills[i].cause);
		assert_true(s->inferred[0]);
		story_free(s);
	}
}

static void
test_network_loss_in_foreground(void **state)
{
	struct story *s = story_new(NULL);
	connected(s);
	ev(s, 30, "wifid", 80, CS_EV_network_down, NULL);
	ev(s, 30.5, APP, CS_EV_call_reconnecting, NULL);
	ev(s, 60, APP, CS_EV_call_error, "code=1022", NULL);
	ev(s, 60.1, APP, CS_EV_call_disconnected, NULL);
	expect_one(s, CS_CAUSE_network_loss);
	story_free(s);
}

static void
test_reconnect_that_recovers(void **state)
{
	struct story *s = story_new(NULL);
	connected(s);
	ev(s, 30, APP, CS_EV_call_reconnecting, NULL);
	ev(s, 35, APP, CS_EV_call_reconnected, NULL);
	tick(s, 100);
	cs_timeline_finish(s->tl);
	assert_int_equal(s->nflags, 0);
	assert_string_equal(cs_timeline_lane_state(s->tl, CS_LANE_call), "connected");
	story_free(s);
}

static void
test_lock_without_call(void **state)
{
	struct story *s = story_new(NULL);
	lock_and_background(s, 10);
	ev(s, 12, RB, CS_EV_app_suspended, BUNDLE, "pid=4242", NULL);
	ev(s, 40, SB, CS_EV_app_foreground, BUNDLE, "pid=4242", NULL);
	cs_timeline_finish(s->tl);
	assert_int_equal(s->nflags, 0);
	story_free(s);
}

static void
test_server_side_user_hangup_unknown(void **state)
{
	struct story *s = story_new(NULL);
	connected(s);
	ev(s, 10, APP, CS_EV_call_force_disconnected, "reason=forceDisconnected", NULL);
	ev(s, 10.2, APP, CS_EV_call_disconnected, NULL);
	expect_one(s, CS_CAUSE_server_side_disconnect);
	story_free(s);

	s = story_new(NULL);
	connected(s);
	ev(s, 10, APP, CS_EV_call_user_hangup, NULL);
	ev(s, 10.2, APP, CS_EV_call_disconnected, NULL);
	expect_one(s, CS_CAUSE_user_hangup);
	story_free(s);

	s = story_new(NULL);
	connected(s);
	ev(s, 100, APP, CS_EV_call_disconnected, NULL);
	expect_one(s, CS_CAUSE_unknown);
	assert_true(s->confidence[0] < 0.5);
	story_free(s);
}

static void
test_warnings(void **state)
{
	struct story *s = story_new(NULL);
	connected(s);
	ev(s, 1, APP, CS_EV_sdk_version, "version=2.16.3", NULL);
	lock_and_background(s, 10);
	ev(s, 10.3, APP, CS_EV_camera_interrupted, "reason=1", NULL);
	ev(s, 10.4, APP, CS_EV_camera_interrupted, "reason=1", NULL);	/* once */
	cs_timeline_finish(s->tl);
	assert_int_equal(s->nflags, 2);
	assert_int_equal(s->causes[0], CS_CAUSE_outdated_sdk);
	assert_int_equal(s->causes[1], CS_CAUSE_camera_interrupted_background);
	story_free(s);

	s = story_new(NULL);
	connected(s);
	ev(s, 1, APP, CS_EV_sdk_version, "version=2.27.2", NULL);
	ev(s, 5, APP, CS_EV_remote_stream_gone, NULL);
	tick(s, 20);
	cs_timeline_finish(s->tl);
	assert_int_equal(s->nflags, 1);
	assert_int_equal(s->causes[0], CS_CAUSE_remote_party_left);
	story_free(s);
}

static void
test_app_option_filters(void **state)
{
	struct story *s = story_new("com.other.App");
	connected(s);
	ev(s, 100, APP, CS_EV_call_disconnected, NULL);
	cs_timeline_finish(s->tl);
	assert_int_equal(s->nflags, 0);	/* not the app under test */
	story_free(s);

	s = story_new("VideoCall");
	connected(s);
	ev(s, 100, APP, CS_EV_call_disconnected, NULL);
	expect_one(s, CS_CAUSE_unknown);
	assert_string_equal(cs_timeline_app(s->tl), "VideoCall");
	story_free(s);
}

static void
test_identity_merge_by_truncated_name(void **state)
{
	/* mediaserverd names sessions by the first 16 characters of the process name */
	struct story *s = story_new(NULL);
	ev(s, 0, "liveninjaMessenger", 2145, CS_EV_call_connected, NULL);
	lock_and_background(s, 10);
	ev(s, 12, MS, CS_EV_app_suspended, "process=liveninjaMesseng", NULL);
	expect_one(s, CS_CAUSE_missing_background_mode);
	story_free(s);
}

static void
test_two_calls_two_flags(void **state)
{
	struct story *s = story_new(NULL);
	connected(s);
	ev(s, 30, APP, CS_EV_call_reconnecting, NULL);
	ev(s, 40, APP, CS_EV_call_disconnected, NULL);
	ev(s, 100, APP, CS_EV_call_connected, NULL);
	lock_and_background(s, 110);
	ev(s, 112, RB, CS_EV_app_suspended, BUNDLE, "pid=4242", NULL);
	ev(s, 150, RB, CS_EV_app_resumed, BUNDLE, "pid=4242", NULL);
	ev(s, 150.5, APP, CS_EV_call_disconnected, NULL);
	cs_timeline_finish(s->tl);
	assert_int_equal(s->nflags, 2);
	assert_int_equal(s->causes[0], CS_CAUSE_network_loss);
	assert_int_equal(s->causes[1], CS_CAUSE_missing_background_mode);
	assert_true(s->nstates > 4);
	story_free(s);
}

/* The SDK a flag names comes from the sdk attribute of the app's events: the highest layer of the
 * rules' catalogue wins (WebRTC over CallKit, a call SDK over both), whatever the order; the events
 * of several SDKs drive one call lane (one drop, not two); --sdk overrides; the advice is the SDK's
 * when it has one, else the cause's. */
static void
run_two_sdk_drop(struct story *s)
{
	ev(s, 1, APP, CS_EV_callkit_answer, "sdk=callkit", NULL);
	ev(s, 2, APP, CS_EV_call_connected, "sdk=callkit", NULL);
	ev(s, 3, APP, CS_EV_call_connected, "sdk=webrtc", NULL);
	ev(s, 20, APP, CS_EV_call_reconnecting, "sdk=webrtc", NULL);
	ev(s, 21, "kernel", 0L, CS_EV_network_down, NULL);
	ev(s, 30, APP, CS_EV_call_disconnected, "sdk=webrtc", NULL);
	ev(s, 30.1, APP, CS_EV_call_disconnected, "sdk=callkit", NULL);
	ev(s, 30.2, APP, CS_EV_callkit_end_call, "sdk=callkit", NULL);
	cs_timeline_finish(s->tl);
}

static void
test_sdk_layers_one_lane(void **state)
{
	(void)state;
	struct cs_rules *rules = cs_rules_new();
	char err[256];
	assert_int_equal(cs_rules_load_builtin(rules, err, sizeof err), 0);

	struct story *s = calloc(1, sizeof *s);
	struct cs_timeline_options o = { .state = on_state, .rules = rules };
	s->tl = cs_timeline_new(&o, on_flag, s);
	run_two_sdk_drop(s);
	expect_one(s, CS_CAUSE_network_loss);
	assert_string_equal(s->sdk[0], "webrtc");
	assert_string_equal(cs_timeline_sdk(s->tl), "webrtc");
	assert_string_equal(s->advice[0], cs_rules_sdk_advice(rules, "webrtc", CS_CAUSE_network_loss));
	assert_non_null(strstr(s->advice[0], "ICE"));
	story_free(s);

	/* a call SDK seen after WebRTC still names the app; CallKit after it does not */
	s = calloc(1, sizeof *s);
	s->tl = cs_timeline_new(&o, on_flag, s);
	ev(s, 1, APP, CS_EV_call_connected, "sdk=webrtc", NULL);
	ev(s, 2, APP, CS_EV_call_connected, "sdk=twilio-video", NULL);
	ev(s, 3, APP, CS_EV_callkit_audio_activated, "sdk=callkit", NULL);
	assert_string_equal(cs_timeline_sdk(s->tl), "twilio-video");
	story_free(s);

	/* --sdk names it whatever the lines say; OpenTok's advice is the cause's own */
	s = calloc(1, sizeof *s);
	o.sdk = "opentok";
	s->tl = cs_timeline_new(&o, on_flag, s);
	run_two_sdk_drop(s);
	expect_one(s, CS_CAUSE_network_loss);
	assert_string_equal(s->sdk[0], "opentok");
	assert_string_equal(s->advice[0], cs_cause_advice(CS_CAUSE_network_loss));
	story_free(s);

	/* no rules (no catalogue): the SDK is still named, the advice is the cause's */
	s = calloc(1, sizeof *s);
	struct cs_timeline_options bare = { .state = on_state };
	s->tl = cs_timeline_new(&bare, on_flag, s);
	run_two_sdk_drop(s);
	expect_one(s, CS_CAUSE_network_loss);
	assert_string_equal(s->advice[0], cs_cause_advice(CS_CAUSE_network_loss));
	story_free(s);
	cs_rules_free(rules);
}

static void
test_names_tables(void **state)
{
	assert_int_equal(cs_event_from_name("call_connected"), CS_EV_call_connected);
	assert_int_equal(cs_event_from_name("nope"), -1);
	assert_int_equal(cs_cause_from_name("missing_background_mode"), CS_CAUSE_missing_background_mode);
	assert_int_equal(cs_cause_severity(CS_CAUSE_outdated_sdk), CS_SEV_warning);
	assert_string_equal(cs_lane_name(cs_event_lane(CS_EV_screen_locked)), "screen");
	for (int c = 0; c < CS_CAUSE_COUNT; c++)
		assert_true(strlen(cs_cause_advice(c)) > 20);
	char buf[40];
	cs_format_time(T0 + 123456, buf, sizeof buf);
	assert_string_equal(buf, "2023-11-14T22:13:20.123Z");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing_mode_burst_is_one_flag),
		cmocka_unit_test(test_missing_mode_certain_with_facts),
		cmocka_unit_test(test_modes_present_means_no_active_audio),
		cmocka_unit_test(test_disconnect_on_background),
		cmocka_unit_test(test_interruption_not_resumed),
		cmocka_unit_test(test_interruption_resumed_is_not_the_cause),
		cmocka_unit_test(test_late_was_suspended_interruption_ignored),
		cmocka_unit_test(test_lock_button_callkit),
		cmocka_unit_test(test_callkit_deactivate),
		cmocka_unit_test(test_background_task_expiry),
		cmocka_unit_test(test_kills),
		cmocka_unit_test(test_network_loss_in_foreground),
		cmocka_unit_test(test_reconnect_that_recovers),
		cmocka_unit_test(test_lock_without_call),
		cmocka_unit_test(test_server_side_user_hangup_unknown),
		cmocka_unit_test(test_warnings),
		cmocka_unit_test(test_app_option_filters),
		cmocka_unit_test(test_identity_merge_by_truncated_name),
		cmocka_unit_test(test_two_calls_two_flags),
		cmocka_unit_test(test_names_tables),
		cmocka_unit_test(test_sdk_layers_one_lane),
	};
	return cmocka_run_group_tests_name("timeline", tests, NULL, NULL);
}

/*
 * test_crashreport.c - the crash/jetsam report parser (daemon/crashreport.c) reads every format the
 * phone writes (tests/crash/: iOS 17 .ips crash and JetsamEvent, iOS 14 .ips with a text body,
 * header-less JetsamEvent JSON, plain .crash) into the facts that decide a cause, matches the right
 * victim, and turns malformed files into clear errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "callsightd.h"

#define DIR "tests/crash/"

static struct cs_crash_report *
load(const char *path)
{
	struct cs_crash_report *r = cs_xmalloc(sizeof *r);
	char err[256];
	if (cs_crash_report_load(path, r, err, sizeof err) != 0)
		fail_msg("%s: %s", path, err);
	return r;
}

static void
test_ips_watchdog(void **state)
{
	struct cs_crash_report *r = load(DIR "watchdog/Meetly-2024-09-30-172810.ips");
	assert_string_equal(r->bug_type, "309");
	assert_string_equal(r->format, "ips");
	assert_string_equal(r->exception, "EXC_CRASH (SIGKILL)");
	assert_non_null(strstr(r->termination, "FRONTBOARD 0x8badf00d"));
	/* captureTime 17:28:10.4031 +0200 */
	char when[40];
	cs_format_time(r->time_us, when, sizeof when);
	assert_string_equal(when, "2024-09-30T15:28:10.403Z");
	assert_int_equal(r->nvictims, 1);
	const struct cs_report_victim *v = &r->victims[0];
	assert_string_equal(v->process, "Meetly");
	assert_string_equal(v->bundle, "com.meetly.app");
	assert_int_equal(v->pid, 867);
	assert_int_equal(v->cause, CS_CAUSE_app_killed_watchdog);
	assert_non_null(strstr(v->reason, "0x8badf00d"));
	/* the faulting thread's frames, with their images */
	assert_true(r->nframes >= 4);
	assert_string_equal(r->frames[0], "0 libsystem_kernel.dylib mach_msg2_trap + 8");
	assert_string_equal(r->frames[2], "2 libsqlite3.dylib sqlite3_step + 1204");
	assert_string_equal(r->frames[3], "3 Meetly 0x100000");
	free(r);
}

static void
test_ips_jetsam(void **state)
{
	struct cs_crash_report *r = load(DIR "jetsam/JetsamEvent-2024-09-30-172810.ips");
	assert_string_equal(r->bug_type, "298");
	assert_string_equal(r->largest_process, "Meetly");
	/* only the processes jetsam killed (with a reason) are victims */
	assert_int_equal(r->nvictims, 2);
	const struct cs_report_victim *v = cs_crash_report_victim(r, "com.meetly.app", "Meetly", 867);
	assert_non_null(v);
	assert_int_equal(v->cause, CS_CAUSE_app_killed_jetsam);
	assert_int_equal(v->footprint, 89600ull * 16384);
	assert_non_null(strstr(v->reason, "per-process-limit"));
	assert_non_null(strstr(v->reason, "1.37 GB"));
	assert_null(cs_crash_report_victim(r, "", "EnforcementService", 85307));	/* not killed */
	v = cs_crash_report_victim(r, NULL, "photoanalysisd", -1);
	assert_non_null(v);
	assert_non_null(strstr(v->reason, "vm-pageshortage"));
	/* same name, another pid: another instance of the app, not this kill */
	assert_null(cs_crash_report_victim(r, "com.meetly.app", "Meetly", 900));
	free(r);
}

static void
test_old_jetsam_json(void **state)
{
	struct cs_crash_report *r = load(DIR "others/JetsamEvent-2024-09-30-171500.json");
	assert_string_equal(r->bug_type, "298");
	assert_string_equal(r->format, "json");
	assert_int_equal(r->nvictims, 1);
	assert_string_equal(r->victims[0].process, "Photos");
	assert_int_equal(r->victims[0].footprint, 20480ull * 16384);	/* top-level pageSize */
	assert_non_null(strstr(r->victims[0].reason, "highwater"));
	assert_null(cs_crash_report_victim(r, "com.meetly.app", "Meetly", 867));	/* listed, not killed */
	free(r);
}

static void
test_text_crash(void **state)
{
	struct cs_crash_report *r = load(DIR "formats/Meetly-deadlock.crash");
	assert_string_equal(r->bug_type, "crash");
	assert_string_equal(r->format, "text");
	assert_int_equal(r->victims[0].pid, 1204);
	assert_string_equal(r->victims[0].process, "Meetly");
	assert_string_equal(r->victims[0].bundle, "com.meetly.app");
	assert_int_equal(r->victims[0].cause, CS_CAUSE_app_killed_watchdog);
	assert_non_null(strstr(r->victims[0].reason, "0xdead10cc"));
	assert_non_null(strstr(r->victims[0].reason, "file lock"));
	char when[40];
	cs_format_time(r->time_us, when, sizeof when);	/* -0700 */
	assert_string_equal(when, "2023-03-14T16:12:44.512Z");
	assert_int_equal(r->nframes, 4);
	assert_string_equal(r->frames[2], "2 libsqlite3.dylib sqlite3_exec + 120");
	free(r);

	r = load(DIR "others/MobileSafari-2024-09-30-172805.crash");
	assert_int_equal(r->victims[0].cause, CS_CAUSE_app_crash);
	assert_string_equal(r->exception, "EXC_BAD_ACCESS (SIGSEGV)");
	assert_string_equal(r->frames[0], "0 libobjc.A.dylib objc_msgSend + 32");
	assert_int_equal(r->nframes, 3);	/* thread 1 is not the crashed one */
	free(r);
}

static void
test_ios14_ips_text_body(void **state)
{
	struct cs_crash_report *r = load(DIR "formats/Meetly-2020-11-02-081530.ips");
	assert_string_equal(r->bug_type, "109");
	assert_int_equal(r->victims[0].pid, 2231);
	assert_int_equal(r->victims[0].cause, CS_CAUSE_app_killed_watchdog);
	assert_non_null(strstr(r->victims[0].reason, "0xbaadca11"));
	assert_non_null(strstr(r->victims[0].reason, "CallKit"));
	assert_non_null(strstr(r->termination, "SPRINGBOARD"));
	free(r);
}

static void
test_ips_segv_frames(void **state)
{
	struct cs_crash_report *r = load(DIR "formats/Meetly-2024-10-01-101010.ips");
	assert_int_equal(r->victims[0].cause, CS_CAUSE_app_crash);
	assert_string_equal(r->exception, "EXC_BAD_ACCESS (SIGSEGV)");
	assert_non_null(strstr(r->frames[0], "OpenTok webrtc::AudioDeviceIOS::OnGetPlayoutData"));
	assert_string_equal(r->frames[1], "1 OpenTok 0xc3d34");
	free(r);
}

static void
test_diagnostic_is_not_a_kill(void **state)
{
	struct cs_crash_report *r = load(DIR "others/ExcUserFault_Meetly-2024-09-30-172809.ips");
	assert_string_equal(r->bug_type, "385");
	const struct cs_report_victim *v = cs_crash_report_victim(r, "com.meetly.app", "Meetly", 867);
	assert_non_null(v);
	assert_int_equal(v->cause, CS_CAUSE_unknown);
	free(r);
}

static void
expect_error(const char *text, const char *want)
{
	struct cs_crash_report r;
	char err[256] = "";
	assert_int_equal(cs_crash_report_parse(text, strlen(text), "x.ips", &r, err, sizeof err), -1);
	if (strstr(err, want) == NULL)
		fail_msg("parse(\"%.40s…\"): error '%s', want '%s'", text, err, want);
}

static void
test_malformed(void **state)
{
	expect_error("", "empty");
	expect_error("{\"bug_type\":\"309\"}\n{\"procName\":\"X\",\"exc", "not valid JSON");
	expect_error("{\"bug_type\":\"309\",\"app_name\":\"X\"}\n", "no report body");
	expect_error("{\"hello\":1}", "neither a crash");
	expect_error("{broken", "first line is not valid JSON");
	expect_error("hello\nworld\n", "not a crash report");
	expect_error("Process: X [1]\n", "Exception Type");
	expect_error("[1,2,3]", "not a crash report");
	struct cs_crash_report r;
	char err[256];
	static const char nul[] = "Process: a\0b";
	assert_int_equal(cs_crash_report_parse(nul, sizeof nul - 1, "x", &r, err, sizeof err), -1);
	assert_non_null(strstr(err, "NUL"));
	assert_int_equal(cs_crash_report_load(DIR "no-such-file.ips", &r, err, sizeof err), -1);
	assert_non_null(strstr(err, "cannot open"));
}

struct dir_count {
	int	good, bad;
	char	last_bad[256];
};

static void
count_good(const struct cs_crash_report *r, const char *path, void *ctx)
{
	((struct dir_count *)ctx)->good++;
}

static void
count_bad(const char *path, const char *why, void *ctx)
{
	struct dir_count *c = ctx;
	c->bad++;
	snprintf(c->last_bad, sizeof c->last_bad, "%s: %s", path, why);
}

static void
test_dir(void **state)
{
	struct dir_count c = { 0 };
	char err[256];
	assert_int_equal(cs_crash_dir_load(DIR "bad", count_good, count_bad, &c, err, sizeof err), 0);
	assert_int_equal(c.good, 0);
	assert_int_equal(c.bad, 5);
	memset(&c, 0, sizeof c);
	assert_int_equal(cs_crash_dir_load("tests/crash", count_good, count_bad, &c, err, sizeof err), 0);
	assert_int_equal(c.good, 8);	/* sub-folders too */
	assert_int_equal(c.bad, 5);
	assert_int_equal(cs_crash_dir_load(DIR "nope", count_good, count_bad, &c, err, sizeof err), -1);
	assert_non_null(strstr(err, "nope"));
	assert_true(cs_crash_report_name("JetsamEvent-2024.ips"));
	assert_true(cs_crash_report_name("x.ips.synced"));
	assert_false(cs_crash_report_name("README.md"));
	assert_false(cs_crash_report_name(".hidden.ips"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ips_watchdog),
		cmocka_unit_test(test_ips_jetsam),
		cmocka_unit_test(test_old_jetsam_json),
		cmocka_unit_test(test_text_crash),
		cmocka_unit_test(test_ios14_ips_text_body),
		cmocka_unit_test(test_ips_segv_frames),
		cmocka_unit_test(test_diagnostic_is_not_a_kill),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_dir),
	};
	return cmocka_run_group_tests_name("crashreport", tests, NULL, NULL);
}

/*
 * test_isotime.c - cs_parse_iso_time, the parser of the `since`/`until` a client sends with
 * history and report requests: every accepted spelling gives the right µs, and every field out of
 * its range is refused with its name - never wrapped or overflowed (issue 14: an hour of 999999
 * made UBSan abort). Table-driven.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "callsightd.h"

#define SEC	INT64_C(1000000)

static const struct {
	const char	*text;
	int64_t		 us;
} good[] = {
	{ "1970-01-01", 0 },
	{ "1970-01-01T00:00:01Z", SEC },
	{ "2026-11-25T17:20:05Z", INT64_C(1795627205) * SEC },
	{ "2026-11-25T17:20:05.123Z", INT64_C(1795627205) * SEC + 123000 },
	{ "2026-11-25T17:20:05.1234567Z", INT64_C(1795627205) * SEC + 123456 },
	{ "2026-11-25 17:20:05", INT64_C(1795627205) * SEC },
	{ "2026-11-25T17:20", INT64_C(1795627200) * SEC },
	{ "2026-11-25T19:20:05+02:00", INT64_C(1795627205) * SEC },
	{ "2026-11-25T12:20:05-0500", INT64_C(1795627205) * SEC },
	{ "2024-02-29T00:00:00Z", INT64_C(1709164800) * SEC },
	{ "2000-02-29", INT64_C(951782400) * SEC },
	{ "9999-12-31T23:59:59Z", INT64_C(253402300799) * SEC },
};

static const struct {
	const char	*text, *says;
} bad[] = {
	{ "2026-01-01T999999:00:00", "hour" },
	{ "2026-01-01T24:00:00", "hour" },
	{ "2026-01-01T23:60:00", "minute" },
	{ "2026-01-01T23:59:61", "second" },
	{ "2026-13-01", "month" },
	{ "2026-00-10", "month" },
	{ "2026-04-31", "day" },
	{ "2026-02-29", "February 29" },
	{ "1900-02-29", "February 29" },
	{ "99999-01-01", "year" },
	{ "0000-01-01", "year" },
	{ "-2026-01-01", "year" },
	{ "2026-1-01", "month" },
	{ "2026-01-01T10", "HH:MM" },
	{ "2026-01-01T10:00:00+25:00", "zone hour" },
	{ "2026-01-01T10:00:00Zjunk", "unexpected" },
	{ "", "year" },
	{ "yesterday", "year" },
};

static void
test_good_times(void **state)
{
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		int64_t us = -1;
		char err[160] = "";
		if (cs_parse_iso_time(good[i].text, &us, err, sizeof err) != 0 || us != good[i].us)
			fail_msg("'%s': got %lld (%s), want %lld", good[i].text, (long long)us, err,
			    (long long)good[i].us);
	}
}

static void
test_bad_times_refused(void **state)
{
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int64_t us = 42;
		char err[160] = "";
		if (cs_parse_iso_time(bad[i].text, &us, err, sizeof err) != -1 || strstr(err, bad[i].says) == NULL)
			fail_msg("'%s': want refused naming '%s', got '%s'", bad[i].text, bad[i].says, err);
	}
}

/* cs_format_time writes its digits itself: the same text as gmtime_r + snprintf, for times from
 * before 1970 to past year 9999 (where it hands over to snprintf) and every millisecond part. */
static void
test_format_time_as_snprintf(void **state)
{
	(void)state;
	const int64_t fixed[] = { 0, 1, 999, 1000, 999999, -1, -1000, -1000000, INT64_C(1764547200123456),
	    INT64_C(253402300799999999) /* 9999-12-31T23:59:59.999 */, INT64_C(253402300800000000),
	    INT64_C(-62135596800000000) /* 0001-01-01 */, INT64_C(-62198755200000000) /* year 0 */,
	    INT64_C(-62230291200000000) /* year -1 */ };
	uint64_t x = 88172645463325252u;
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0] + 20000; i++) {
		int64_t t;
		if (i < sizeof fixed / sizeof fixed[0]) {
			t = fixed[i];
		} else {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			t = (int64_t)(x % UINT64_C(300000000000000000)) - INT64_C(30000000000000000);
		}
		int64_t secs = t / 1000000, us = t % 1000000;
		if (us < 0) {
			us += 1000000;
			secs -= 1;
		}
		time_t tt = (time_t)secs;
		struct tm tm;
		char want[64], got[64];
		assert_non_null(gmtime_r(&tt, &tm));
		snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(us / 1000));
		cs_format_time(t, got, sizeof got);
		assert_string_equal(got, want);
	}
	char small[10];
	cs_format_time(0, small, sizeof small);		/* cut, never overrun */
	assert_string_equal(small, "1970-01-0");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_times),
		cmocka_unit_test(test_bad_times_refused),
		cmocka_unit_test(test_format_time_as_snprintf),
	};
	return cmocka_run_group_tests_name("isotime", tests, NULL, NULL);
}

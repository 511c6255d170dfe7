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
#include <string.h>

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_times),
		cmocka_unit_test(test_bad_times_refused),
	};
	return cmocka_run_group_tests_name("isotime", tests, NULL, NULL);
}

/*
 * test_scanprefix.c - the trigram counts (daemon/scan/trigrams.txt's form) are read or refused with
 * the line that is wrong, and each literal's scan prefix ends on its rarest trigram, at least
 * CS_SCAN_PREFIX_MIN bytes long (daemon/scanprefix.c). That the scan then finds exactly the same
 * literals is test_rules.c's test_scan_prefix_exact.
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
#include "scan_trigrams.h"

static void
test_parse_and_count(void **state)
{
	(void)state;
	char err[160] = "";
	/* comments, an empty line, any order, a quote and a space inside the quotes */
	const char *text = "# how often\n\n12 \"ion\"\n4294967295 \"\"\"\"\"\n7 \"ed \"\n0 \"zzz\"\n3 \"aaa\"";
	struct cs_trigram_counts *t = cs_trigram_counts_parse(text, err, sizeof err);
	if (t == NULL)
		fail_msg("%s", err);
	assert_int_equal(cs_trigram_count(t, "ion"), 12);
	assert_int_equal(cs_trigram_count(t, "\"\"\""), 4294967295u);
	assert_int_equal(cs_trigram_count(t, "ed "), 7);
	assert_int_equal(cs_trigram_count(t, "aaa"), 3);		/* the last line, without '\n' */
	assert_int_equal(cs_trigram_count(t, "zzz"), 0);
	assert_int_equal(cs_trigram_count(t, "qqq"), 0);		/* not listed */
	assert_int_equal(cs_trigram_count(t, "ioo"), 0);
	cs_trigram_counts_free(t);
	t = cs_trigram_counts_parse("", err, sizeof err);	/* nothing listed: every count 0 */
	assert_non_null(t);
	assert_int_equal(cs_trigram_count(t, "ion"), 0);
	cs_trigram_counts_free(t);
	cs_trigram_counts_free(NULL);
}

static void
test_parse_errors(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		const char *says;
	} bad[] = {
		{ "1 \"abc\"\n12 abc\n", "line 2: not COUNT \"abc\": '12 abc'" },
		{ "x \"abc\"\n", "line 1:" },			/* no count */
		{ "\"abc\"\n", "line 1:" },
		{ "# c\n5 \"ab\"\n", "line 2:" },		/* two bytes */
		{ "5 \"abcd\"\n", "line 1:" },			/* four */
		{ "5  \"abc\"\n", "line 1:" },			/* two spaces */
		{ "5 \"abc\" \n", "line 1:" },			/* something after */
		{ "4294967296 \"abc\"\n", "line 1:" },		/* past 32 bits */
		{ "99999999999999999999999 \"abc\"\n", "line 1:" },
		{ " 5 \"abc\"\n", "line 1:" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char err[160] = "";
		struct cs_trigram_counts *t = cs_trigram_counts_parse(bad[i].text, err, sizeof err);
		if (t != NULL || strstr(err, bad[i].says) == NULL)
			fail_msg("'%s': %s", bad[i].text, err);
	}
}

static void
test_prefix_ends_on_rarest_trigram(void **state)
{
	(void)state;
	char err[160];
	/* "abcdefghij": the trigrams ending at 6..10 are def efg fgh ghi hij */
	struct cs_trigram_counts *t = cs_trigram_counts_parse(
	    "5 \"def\"\n1 \"efg\"\n9 \"fgh\"\n3 \"ghi\"\n7 \"hij\"\n2 \"abc\"\n", err, sizeof err);
	assert_non_null(t);
	assert_int_equal(cs_scan_prefix_len(t, "abcdefghij", 10), 7);		/* ...efg */
	assert_int_equal(cs_scan_prefix_len(t, "abcdefgh", 8), 7);
	assert_int_equal(cs_scan_prefix_len(t, "abcdef", 6), 6);		/* no shorter */
	assert_int_equal(cs_scan_prefix_len(t, "abc", 3), 3);
	/* bcd and cde are not listed (0): the longer of them; abc (2) is not the rarest */
	assert_int_equal(cs_scan_prefix_len(t, "xxxabcdef", 9), 8);
	/* only trigrams ending at CS_SCAN_PREFIX_MIN or later count: efg (1) ends at 4 here */
	assert_int_equal(cs_scan_prefix_len(t, "efghijkl", 8), 8);
	/* of equals, the longest */
	assert_int_equal(cs_scan_prefix_len(t, "zzzzzzzzzz", 10), 10);
	/* a literal with a '\n' (rules cannot make one) is looked for whole */
	assert_int_equal(cs_scan_prefix_len(t, "abcdefg\nij", 10), 10);
	cs_trigram_counts_free(t);
	/* without counts, whole */
	assert_int_equal(cs_scan_prefix_len(NULL, "abcdefghij", 10), 10);
}

/* The embedded counts are read, and say what a device log says often. */
static void
test_embedded_counts(void **state)
{
	(void)state;
	char err[160] = "";
	assert_non_null(cs_scan_trigrams[0].text);
	struct cs_trigram_counts *t = cs_trigram_counts_parse(cs_scan_trigrams[0].text, err, sizeof err);
	if (t == NULL)
		fail_msg("daemon/scan/trigrams.txt: %s", err);
	assert_true(cs_trigram_count(t, "ion") > 1000);
	assert_true(cs_trigram_count(t, "ion") > cs_trigram_count(t, "kco"));
	assert_int_equal(cs_trigram_count(t, "Ion"), 0);	/* lower-cased */
	/* "disconnected" ends on a common "ted": the scan looks for less of it */
	size_t p = cs_scan_prefix_len(t, "disconnected", 12);
	assert_true(p >= CS_SCAN_PREFIX_MIN && p < 12);
	cs_trigram_counts_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_and_count),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_prefix_ends_on_rarest_trigram),
		cmocka_unit_test(test_embedded_counts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

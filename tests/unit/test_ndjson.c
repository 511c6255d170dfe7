/*
 * test_ndjson.c - the client's framing (common/ndjson.c): lines split across reads come out whole,
 * several in one read come out one by one, a line over the limit is dropped whole to its newline
 * (never parsed from its middle, issue 14 §13's lesson on the daemon's side), and the hello check
 * takes only this build's protocol.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <callsight/common.h>
#include <callsight/version.h>

static void
test_split_and_joined(void **state)
{
	(void)state;
	struct cs_ndjson n;
	cs_ndjson_init(&n, 64);
	const char *in = "{\"type\":\"a\"}\n{\"type\":\"b\"}\n{\"type\":\"c\"}\n";
	const char *want[] = { "{\"type\":\"a\"}", "{\"type\":\"b\"}", "{\"type\":\"c\"}" };
	int got = 0;
	for (size_t i = 0; in[i]; i++) {	/* one byte per read: the worst split there is */
		cs_ndjson_feed(&n, in + i, 1);
		size_t len;
		char *line;
		while ((line = cs_ndjson_next(&n, &len)) != NULL) {
			assert_true(got < 3);
			assert_string_equal(line, want[got]);
			assert_int_equal(len, strlen(want[got]));
			got++;
		}
	}
	assert_int_equal(got, 3);
	cs_ndjson_feed(&n, in, strlen(in));	/* all in one read */
	for (got = 0; cs_ndjson_next(&n, NULL) != NULL; got++)
		;
	assert_int_equal(got, 3);
	assert_int_equal(n.dropped, 0);
	cs_ndjson_free(&n);
}

static void
test_long_line_dropped_whole(void **state)
{
	(void)state;
	struct cs_ndjson n;
	cs_ndjson_init(&n, 16);
	char big[100];
	memset(big, 'x', sizeof big);
	cs_ndjson_feed(&n, "{\"ok\":1}\n", 9);
	assert_string_equal(cs_ndjson_next(&n, NULL), "{\"ok\":1}");
	for (int i = 0; i < 3; i++) {		/* a long line in pieces, none with its newline */
		cs_ndjson_feed(&n, big, sizeof big);
		assert_null(cs_ndjson_next(&n, NULL));
	}
	cs_ndjson_feed(&n, "{\"tail\":2}\n{\"ok\":3}\n", 20);	/* its end, then a good line */
	assert_string_equal(cs_ndjson_next(&n, NULL), "{\"ok\":3}");
	assert_null(cs_ndjson_next(&n, NULL));
	assert_int_equal(n.dropped, 1);
	cs_ndjson_feed(&n, big, 20);		/* over the limit but complete in one read */
	cs_ndjson_feed(&n, "\n{}\n", 4);
	assert_string_equal(cs_ndjson_next(&n, NULL), "{}");
	assert_int_equal(n.dropped, 2);
	cs_ndjson_free(&n);
}

static void
test_hello(void **state)
{
	(void)state;
	char err[256];
	assert_int_equal(cs_hello_check("hello", true, CALLSIGHT_PROTOCOL, err, sizeof err), 0);
	assert_int_equal(cs_hello_check("hello", true, CALLSIGHT_PROTOCOL + 1, err, sizeof err), -1);
	assert_non_null(strstr(err, "protocol"));
	assert_int_equal(cs_hello_check("hello", false, 0, err, sizeof err), -1);
	assert_int_equal(cs_hello_check("error", true, CALLSIGHT_PROTOCOL, err, sizeof err), -1);
	assert_non_null(strstr(err, "no hello"));
	assert_int_equal(cs_hello_check(NULL, true, CALLSIGHT_PROTOCOL, err, sizeof err), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_and_joined),
		cmocka_unit_test(test_long_line_dropped_whole),
		cmocka_unit_test(test_hello),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * flagsig.c - the verdict of an NDJSON stream, one line per flag, for the e2e scripts to compare a
 * live run with a replay: "DEVICE severity cause confidence inferred line ev=L,L,... alt=C,C".
 * Absolute times are left out on purpose (a live stream is anchored to the host clock, a replay to
 * its file); everything that decides the verdict is in. jansson parses: no jq or python needed.
 *
 * usage: flagsig [-d] < records.ndjson     (-d: print the device field, else "-")
 * Build: cc -std=c17 -O2 tests/e2e/flagsig.c $(pkg-config --cflags --libs jansson) -o flagsig
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static const char *
str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static void
print_flag(json_t *r, int with_device)
{
	printf("%s %s %s %.2f %s %lld ev=", with_device ? str(r, "device") : "-", str(r, "severity"),
	    str(r, "cause"), json_number_value(json_object_get(r, "confidence")),
	    json_is_true(json_object_get(r, "inferred")) ? "inferred" : "seen",
	    (long long)json_integer_value(json_object_get(r, "line")));
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(r, "evidence"), i, e)
		printf("%s%lld", i ? "," : "", (long long)json_integer_value(json_object_get(e, "line")));
	printf(" alt=");
	json_array_foreach(json_object_get(r, "alternatives"), i, e)
		printf("%s%s", i ? "," : "", str(e, "cause"));
	printf("\n");
}

int
main(int argc, char **argv)
{
	int with_device = argc > 1 && strcmp(argv[1], "-d") == 0;
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, stdin) > 0) {
		json_t *r = json_loads(line, 0, NULL);
		if (r && strcmp(str(r, "type"), "flag") == 0)
			print_flag(r, with_device);
		json_decref(r);
	}
	free(line);
	return 0;
}

/*
 * fuzz_scan.c - libFuzzer harness for the scan-first pass with Vectorscan (rules.c cs_rules_scan,
 * scanprefix.c): arbitrary bytes (NULs, invalid UTF-8, long lines, a literal's prefix at the very
 * end) are scanned for the builtin rules' literals, and what the scan reports must be exactly
 * every occurrence of every scan literal, at its end, as a plain caseless search finds them
 * (tests/common/scan_search.h, which test_scan_prefix_exact holds the scan to too). The
 * database holds each literal only up to its rarest trigram and the callback checks the rest, so
 * this is where a rest read past the buffer or a hit moved to the wrong end would show.
 * Built by tests/fuzz/run.sh only when Vectorscan is installed (without it there is no scan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "callsightd.h"
#include "../common/scan_search.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cs_rules *rules;	/* the builtin rules, loaded once: compiling is the slow part */
	char err[256];
	if (rules == NULL) {
		rules = cs_rules_new();
		if (cs_rules_load_builtin(rules, err, sizeof err) != 0 || !cs_rules_can_scan(rules))
			abort();
	}
	struct scan_hits got = { 0 }, want = { 0 };
	if (cs_rules_scan(rules, (const char *)data, size, scan_hits_collect, &got) != 0)
		abort();
	scan_hits_sort(&got);
	scan_hits_plain(rules, (const char *)data, size, &want);
	if (got.n != want.n)
		__builtin_trap();	/* the scan and a plain search disagree */
	for (size_t i = 0; i < got.n; i++)
		if (got.v[i].end != want.v[i].end || got.v[i].id != want.v[i].id)
			__builtin_trap();
	free(got.v);
	free(want.v);
	return 0;
}

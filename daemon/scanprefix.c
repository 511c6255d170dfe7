/*
 * scanprefix.c - which part of each rule literal the scan-first pass looks for (issue 12).
 *
 * Vectorscan's literal matcher (FDR) reads the text a few bytes at a time and looks those bytes up
 * in a table of the literals' last bytes; every lookup that fits some literal is confirmed by a
 * compare. Rule literals often end on common text ("disconnected", "interruption", "state:
 * "), so on a dense capture it confirmed ~12 false candidates for every real match, and the scan was
 * a quarter of a replay's CPU. A literal's prefix that ends on a rare trigram fits far fewer
 * lookups, so the scan looks for that prefix (at least CS_SCAN_PREFIX_MIN bytes: shorter ones match
 * too often) and its callback checks that the rest of the literal follows (rules.c,
 * on_scan_match). A line holds the literal exactly when some occurrence of the prefix there is
 * followed by the rest, and Vectorscan reports every occurrence, so the scan finds the same
 * literals at the same ends: only the work to find them changes.
 *
 * How rare a trigram is comes from data: daemon/scan/trigrams.txt, how often each trigram occurs in
 * the lower-cased messages of the test captures (made by tools/trigrams.sh, embedded at build).
 * Vectorscan's work (callgrind instructions) on 2 MB of the bench's dense capture, which the counts
 * were not taken from: 15.8 M -> 10.1 M; on the real published logs in tests/real: -28 % (and
 * -28 % as well with counts taken without them, from the scenarios and the shared samples).
 * A table that cannot be read only costs speed: every literal is then looked for whole.
 *
 * The table is parsed into a sorted array (binary search) by hand: ~5,300 fixed-form lines, read
 * once per rule load, need no library.
 */
#include <stdlib.h>
#include <string.h>

#include "callsightd.h"

struct cs_trigram_counts {
	uint64_t       *v;	/* (trigram << 32) | count, sorted */
	size_t		n;
};

static uint64_t
trigram_key(const char *t)
{
	return (uint64_t)(unsigned char)t[0] << 16 | (uint64_t)(unsigned char)t[1] << 8 |
	    (unsigned char)t[2];
}

static int
compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* One record, `COUNT "abc"`, at line[0..len): its packed form, or 0 when it is not one. */
static uint64_t
parse_record(const char *line, size_t len)
{
	size_t i = 0;
	uint64_t count = 0;
	while (i < len && line[i] >= '0' && line[i] <= '9' && count <= UINT32_MAX)
		count = count * 10 + (uint64_t)(line[i++] - '0');
	if (i == 0 || count > UINT32_MAX || len - i != 6 || line[i] != ' ' || line[i + 1] != '"' ||
	    line[i + 5] != '"')
		return 0;
	return trigram_key(line + i + 2) << 32 | count;	/* not 0: a text holds no NUL */
}

struct cs_trigram_counts *
cs_trigram_counts_parse(const char *text, char *err, size_t errlen)
{
	struct cs_trigram_counts *t = cs_xcalloc(1, sizeof *t);
	size_t cap = 0, lineno = 0;
	for (const char *p = text; *p != '\0';) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		lineno++;
		if (len > 0 && p[0] != '#') {
			uint64_t rec = parse_record(p, len);
			if (rec == 0) {
				cs_set_error(err, errlen, "trigram counts, line %zu: not COUNT \"abc\": "
				    "'%.*s'", lineno, (int)(len > 40 ? 40 : len), p);
				cs_trigram_counts_free(t);
				return NULL;
			}
			if (t->n == cap) {
				cap = cap ? cap * 2 : 4096;
				t->v = cs_xrealloc(t->v, cap * sizeof *t->v);
			}
			t->v[t->n++] = rec;
		}
		p += len + (nl != NULL);
	}
	if (t->n > 0)
		qsort(t->v, t->n, sizeof *t->v, compare_u64);
	return t;
}

void
cs_trigram_counts_free(struct cs_trigram_counts *t)
{
	if (t == NULL)
		return;
	free(t->v);
	free(t);
}

uint32_t
cs_trigram_count(const struct cs_trigram_counts *t, const char *trigram)
{
	uint64_t key = trigram_key(trigram);
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t k = t->v[mid] >> 32;
		if (k == key)
			return (uint32_t)t->v[mid];
		if (k < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

size_t
cs_scan_prefix_len(const struct cs_trigram_counts *t, const char *lit, size_t len)
{
	/* (rules cannot make a literal with a '\n', but one would be looked for whole) */
	if (t == NULL || len <= CS_SCAN_PREFIX_MIN || memchr(lit, '\n', len) != NULL)
		return len;
	size_t best = len;
	uint32_t best_count = UINT32_MAX;
	/* the rarest trigram ending at CS_SCAN_PREFIX_MIN or later; of equals the longest prefix,
	 * which fewer lines hold */
	for (size_t end = CS_SCAN_PREFIX_MIN; end <= len; end++) {
		uint32_t c = cs_trigram_count(t, lit + end - 3);
		if (c <= best_count) {
			best_count = c;
			best = end;
		}
	}
	return best;
}

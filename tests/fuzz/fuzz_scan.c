/*
 * fuzz_scan.c - libFuzzer harness for the scan-first pass with Vectorscan (rules.c cs_rules_scan,
 * scanprefix.c): arbitrary bytes (NULs, invalid UTF-8, long lines, a literal's prefix at the very
 * end) are scanned for the builtin rules' literals, and what the scan reports must be exactly
 * every occurrence of every scan literal, at its end, as a plain caseless search finds them. The
 * database holds each literal only up to its rarest trigram and the callback checks the rest, so
 * this is where a rest read past the buffer or a hit moved to the wrong end would show.
 * Built by tests/fuzz/run.sh only when Vectorscan is installed (without it there is no scan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "callsightd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct pair {
	size_t		end;
	unsigned	id;
};

struct pairs {
	struct pair    *v;
	size_t		n, cap;
};

static void
push(struct pairs *p, size_t end, unsigned id)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 256;
		p->v = realloc(p->v, p->cap * sizeof *p->v);
		if (p->v == NULL)
			abort();
	}
	p->v[p->n++] = (struct pair){ end, id };
}

static int
on_hit(size_t end, unsigned id, void *ctx)
{
	push(ctx, end, id);
	return 0;
}

static int
compare(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

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
	struct pairs got = { 0 }, want = { 0 };
	if (cs_rules_scan(rules, (const char *)data, size, on_hit, &got) != 0)
		abort();
	char *lower = malloc(size + 1);
	if (lower == NULL)
		abort();
	for (size_t i = 0; i < size; i++)
		lower[i] = data[i] >= 'A' && data[i] <= 'Z' ? (char)(data[i] + 32) : (char)data[i];
	for (unsigned id = 0; cs_rules_scan_literal(rules, id) != NULL; id++) {
		const char *lit = cs_rules_scan_literal(rules, id);
		size_t n = cs_rules_scan_literal_len(rules, id);
		for (const char *p = lower; size >= n && (p = memmem(p, size - (size_t)(p - lower), lit,
		    n)) != NULL; p++)
			push(&want, (size_t)(p - lower) + n, id);
	}
	if (got.n > 0)
		qsort(got.v, got.n, sizeof *got.v, compare);
	if (want.n > 0)
		qsort(want.v, want.n, sizeof *want.v, compare);
	if (got.n != want.n)
		__builtin_trap();	/* the scan and a plain search disagree */
	for (size_t i = 0; i < got.n; i++)
		if (got.v[i].end != want.v[i].end || got.v[i].id != want.v[i].id)
			__builtin_trap();
	free(got.v);
	free(want.v);
	free(lower);
	return 0;
}

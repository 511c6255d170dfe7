/*
 * scan_search.h - what the scan-first pass must report for a text, found the plain way: every
 * occurrence of every scan literal, caseless (ASCII), at its end. test_rules.c's
 * test_scan_prefix_exact and the fuzz_scan harness both hold cs_rules_scan to it. A test's own
 * yardstick, kept apart from rules.c's prefix-and-rest matching so that a bug there cannot hide
 * itself. Allocation failure aborts (a test has nothing better to do).
 */
#ifndef CALLSIGHT_TEST_SCAN_SEARCH_H
#define CALLSIGHT_TEST_SCAN_SEARCH_H

#include <stdlib.h>
#include <string.h>

#include "callsightd.h"

struct scan_hit {
	size_t		end;
	unsigned	id;
};

struct scan_hits {
	struct scan_hit	*v;
	size_t		 n, cap;
};

static inline void
scan_hits_push(struct scan_hits *h, size_t end, unsigned id)
{
	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 1024;
		h->v = realloc(h->v, h->cap * sizeof *h->v);
		if (h->v == NULL)
			abort();
	}
	h->v[h->n++] = (struct scan_hit){ end, id };
}

/* a cs_scan_hit_cb that collects into the struct scan_hits at ctx */
static inline int
scan_hits_collect(size_t end, unsigned id, void *ctx)
{
	scan_hits_push(ctx, end, id);
	return 0;
}

static inline int
scan_hits_order(const void *a, const void *b)
{
	const struct scan_hit *x = a, *y = b;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static inline void
scan_hits_sort(struct scan_hits *h)
{
	if (h->n > 0)
		qsort(h->v, h->n, sizeof *h->v, scan_hits_order);
}

/* Every occurrence of every scan literal of rules in text[0..len), sorted, into want. */
static inline void
scan_hits_plain(const struct cs_rules *rules, const char *text, size_t len, struct scan_hits *want)
{
	char *lower = malloc(len + 1);
	if (lower == NULL)
		abort();
	for (size_t i = 0; i < len; i++)
		lower[i] = text[i] >= 'A' && text[i] <= 'Z' ? (char)(text[i] + 32) : text[i];
	for (unsigned id = 0; cs_rules_scan_literal(rules, id) != NULL; id++) {
		const char *lit = cs_rules_scan_literal(rules, id);
		size_t n = cs_rules_scan_literal_len(rules, id);
		for (const char *p = lower; len >= n &&
		    (p = memmem(p, len - (size_t)(p - lower), lit, n)) != NULL; p++)
			scan_hits_push(want, (size_t)(p - lower) + n, id);
	}
	free(lower);
	scan_hits_sort(want);
}

#endif

/*
 * utf8_valid.h - the strict UTF-8 check the reader's tests and its fuzzer both hold every line to
 * (no overlongs, no surrogates, nothing past U+10FFFF). A test's own yardstick, kept apart from the
 * reader's repair code so that a bug there cannot hide itself.
 */
#ifndef CALLSIGHT_TEST_UTF8_VALID_H
#define CALLSIGHT_TEST_UTF8_VALID_H

#include <stdbool.h>
#include <stddef.h>

static inline bool
valid_utf8(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		unsigned c = p[i];
		size_t len = c < 0x80 ? 1 : c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3 :
		    c >= 0xf0 && c <= 0xf4 ? 4 : 0;

		if (len == 0 || i + len > n)
			return false;
		for (size_t k = 1; k < len; k++)
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
		if ((c == 0xe0 && p[i + 1] < 0xa0) || (c == 0xed && p[i + 1] > 0x9f) ||
		    (c == 0xf0 && p[i + 1] < 0x90) || (c == 0xf4 && p[i + 1] > 0x8f))
			return false;
		i += len;
	}
	return true;
}

#endif

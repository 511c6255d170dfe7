/*
 * util.c - allocation that cannot return NULL (callsight aborts with a message on exhaustion, as
 * tmux's xmalloc does: every caller would otherwise carry an untestable branch), string copies and
 * time formatting.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "callsightd.h"

static void
out_of_memory(size_t size)
{
	fprintf(stderr, "callsight: out of memory (allocating %zu bytes)\n", size);
	abort();
}

void *
cs_xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);
	if (p == NULL)
		out_of_memory(size);
	return p;
}

void *
cs_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (p == NULL)
		out_of_memory(n * size);
	return p;
}

void *
cs_xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);
	if (p == NULL)
		out_of_memory(size);
	return p;
}

char *
cs_xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = cs_xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *
cs_xstrdup(const char *s)
{
	return cs_xstrndup(s, strlen(s));
}

size_t
cs_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);
	if (size > 0) {
		size_t n = len < size - 1 ? len : size - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

void
cs_format_time(int64_t time_us, char *out, size_t outlen)
{
	int64_t secs = time_us / 1000000;
	int64_t us = time_us % 1000000;
	if (us < 0) {
		us += 1000000;
		secs -= 1;
	}
	time_t t = (time_t)secs;
	struct tm tm;
	if (gmtime_r(&t, &tm) == NULL) {
		cs_strlcpy(out, "1970-01-01T00:00:00.000Z", outlen);
		return;
	}
	snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(us / 1000));
}

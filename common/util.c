/*
 * util.c - allocation that cannot return NULL (callsight aborts with a message on exhaustion, as
 * tmux's xmalloc does: every caller would otherwise carry an untestable branch), bounded string
 * copies and error messages; shared by callsightd and callsight (include/callsight/common.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <callsight/common.h>

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
cs_set_error(char *err, size_t errlen, const char *fmt, ...)
{
	if (err == NULL || errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}


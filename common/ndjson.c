/*
 * ndjson.c - the client's side of the daemon's framing (docs/protocol.md): one JSON record per
 * line, a line longer than the reader's limit dropped whole (to its newline, never parsed from its
 * middle), and the hello's protocol check. The TUI's event loop and the scriptable subcommands'
 * blocking reads both split lines here; jansson parses each line (it has no framing of its own).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <callsight/common.h>
#include <callsight/version.h>

void
cs_ndjson_init(struct cs_ndjson *n, size_t max_line)
{
	memset(n, 0, sizeof *n);
	n->max_line = max_line;
}

void
cs_ndjson_free(struct cs_ndjson *n)
{
	free(n->buf);
	memset(n, 0, sizeof *n);
}

void
cs_ndjson_feed(struct cs_ndjson *n, const char *data, size_t len)
{
	if (n->start > 0) {	/* the lines handed out are done with: make room */
		memmove(n->buf, n->buf + n->start, n->len - n->start);
		n->len -= n->start;
		n->start = 0;
	}
	if (n->cap - n->len < len + 1) {
		size_t cap = n->cap ? n->cap : 65536;
		while (cap - n->len < len + 1)
			cap *= 2;
		n->buf = cs_xrealloc(n->buf, cap);
		n->cap = cap;
	}
	memcpy(n->buf + n->len, data, len);
	n->len += len;
}

char *
cs_ndjson_next(struct cs_ndjson *n, size_t *linelen)
{
	for (;;) {
		char *p = n->buf + n->start;
		size_t avail = n->len - n->start;
		char *nl = avail ? memchr(p, '\n', avail) : NULL;
		if (nl == NULL) {
			if (avail > n->max_line) {	/* too long already: drop it up to its newline */
				if (!n->discarding)
					n->dropped++;
				n->discarding = true;
				n->start = n->len;
			}
			return NULL;
		}
		*nl = '\0';
		n->start += (size_t)(nl - p) + 1;
		if (n->discarding || (size_t)(nl - p) > n->max_line) {
			if (!n->discarding)
				n->dropped++;
			n->discarding = false;
			continue;
		}
		if (linelen)
			*linelen = (size_t)(nl - p);
		return p;
	}
}

int
cs_hello_check(const char *type, bool has_protocol, long long protocol, char *err, size_t errlen)
{
	if (type == NULL || strcmp(type, "hello") != 0) {
		cs_set_error(err, errlen, "no hello (got %s)", type ? type : "no record");
		return -1;
	}
	if (!has_protocol || protocol != CALLSIGHT_PROTOCOL) {
		cs_set_error(err, errlen, "the daemon speaks protocol %lld, this client %d: upgrade the "
		    "older one", has_protocol ? protocol : -1LL, CALLSIGHT_PROTOCOL);
		return -1;
	}
	return 0;
}

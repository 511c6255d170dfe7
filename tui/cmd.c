/*
 * cmd.c - the scriptable subcommands' shared part: a plain blocking connection to callsightd
 * (no screen, no auto-start: a script wants to know when no daemon runs) that checks the hello,
 * sends requests and reads records one line at a time.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <callsight/version.h>

#include "cmd.h"
#include "tui.h"

int
cmd_connect(struct cmd_conn *c, const char *socket_opt, char *err, size_t errlen)
{
	memset(c, 0, sizeof *c);
	c->fd = -1;
	char path[PATH_MAX];
	if (client_socket_path(socket_opt, path, sizeof path) < 0) {
		snprintf(err, errlen, "cannot build the socket path");
		return -1;
	}
	c->fd = client_connect_trusted(path, err, errlen);
	if (c->fd < 0) {
		/* only a missing daemon is "start it"; a refusal or "permission denied" says so */
		if (errno == ENOENT || errno == ECONNREFUSED)
			snprintf(err, errlen, "no callsightd on %s (%s): start it with `callsightd -d`", path,
			    strerror(errno));
		cmd_close(c);
		return -1;
	}
	json_t *hello = cmd_read(c, 5000);
	const char *type = hello ? json_string_value(json_object_get(hello, "type")) : NULL;
	if (type == NULL || strcmp(type, "hello") != 0) {
		const char *msg = hello ? json_string_value(json_object_get(hello, "message")) : NULL;
		snprintf(err, errlen, "%s did not greet: %s", path, msg ? msg : "no hello");
		json_decref(hello);
		cmd_close(c);
		return -1;
	}
	json_int_t proto = json_integer_value(json_object_get(hello, "protocol"));
	json_decref(hello);
	if (proto != CALLSIGHT_PROTOCOL) {
		snprintf(err, errlen, "the daemon speaks protocol %lld, this client %d: upgrade both",
		    (long long)proto, CALLSIGHT_PROTOCOL);
		cmd_close(c);
		return -1;
	}
	return 0;
}

void
cmd_close(struct cmd_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
	c->len = c->cap = 0;
}

int
cmd_send(struct cmd_conn *c, json_t *req)
{
	char *text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (text == NULL)
		return -1;
	size_t len = strlen(text);
	int rc = 0;
	if (write(c->fd, text, len) != (ssize_t)len || write(c->fd, "\n", 1) != 1)
		rc = -1;
	free(text);
	return rc;
}

/* the next complete line, or NULL (timeout, EOF); valid until the next call */
char *
cmd_read_line(struct cmd_conn *c, int timeout_ms)
{
	if (c->consumed) {	/* drop the line handed out last time */
		memmove(c->buf, c->buf + c->consumed, c->len - c->consumed);
		c->len -= c->consumed;
		c->consumed = 0;
	}
	for (;;) {
		char *nl = c->buf ? memchr(c->buf, '\n', c->len) : NULL;
		if (nl) {
			*nl = '\0';
			c->consumed = (size_t)(nl - c->buf) + 1;
			return c->buf;
		}
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		int n = poll(&p, 1, timeout_ms);
		if (n < 0 && errno == EINTR)
			return NULL;
		if (n <= 0)
			return NULL;
		if (c->cap - c->len < 65536) {
			c->cap = c->cap ? c->cap * 2 : 131072;
			c->buf = realloc(c->buf, c->cap);
			if (c->buf == NULL)
				return NULL;
		}
		ssize_t r = read(c->fd, c->buf + c->len, c->cap - c->len);
		if (r <= 0) {
			c->eof = true;
			return NULL;
		}
		c->len += (size_t)r;
	}
}

json_t *
cmd_read(struct cmd_conn *c, int timeout_ms)
{
	for (;;) {
		char *line = cmd_read_line(c, timeout_ms);
		if (line == NULL)
			return NULL;
		json_t *rec = json_loads(line, 0, NULL);
		if (rec)
			return rec;
	}
}

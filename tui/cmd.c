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
	cs_ndjson_init(&c->in, CS_RECORD_MAX);
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
	json_t *proto = hello ? json_object_get(hello, "protocol") : NULL;
	char why[256];
	int rc = cs_hello_check(hello ? json_string_value(json_object_get(hello, "type")) : NULL,
	    json_is_integer(proto), json_is_integer(proto) ? (long long)json_integer_value(proto) : -1,
	    why, sizeof why);
	const char *msg = hello ? json_string_value(json_object_get(hello, "message")) : NULL;
	if (rc < 0)
		snprintf(err, errlen, "%s: %s", path, msg ? msg : why);
	json_decref(hello);
	if (rc < 0) {
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
	cs_ndjson_free(&c->in);
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
	for (;;) {
		char *line = cs_ndjson_next(&c->in, NULL);
		if (line)
			return line;
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		int n = poll(&p, 1, timeout_ms);
		if (n <= 0)	/* a timeout, or a signal (EINTR): the caller decides */
			return NULL;
		char buf[65536];
		ssize_t r = read(c->fd, buf, sizeof buf);
		if (r <= 0) {
			c->eof = true;
			return NULL;
		}
		cs_ndjson_feed(&c->in, buf, (size_t)r);
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

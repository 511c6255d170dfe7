/*
 * server.c - the daemon's Unix socket: where it lives, who may connect, and the NDJSON conversation
 * with each client (docs/protocol.md). As tmux does, the socket's directory must be private to the
 * user (0700, owned by them) and every client's uid is checked. Each client has a bounded outgoing
 * queue: a client that does not read loses records (and is told how many), it never stalls the
 * daemon or the other clients. What a request means is the daemon's business (daemon.c): this file
 * only frames, checks and delivers.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#if defined(__GLIBC__)
#include <malloc.h>	/* malloc_trim */
#endif
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <jansson.h>

#include "callsight/peercred.h"
#include "callsight/privdir.h"
#include "callsightd.h"

#define CLIENT_QUEUE_MAX	(4 * 1024 * 1024)	/* bytes queued for one client */
#define CLIENT_QUEUE_MIN	(64 * 1024)		/* ... when many share the global cap */
#define QUEUES_MAX		(64 * 1024 * 1024)	/* bytes queued for all clients together */
#define TRIM_AFTER		(1024 * 1024)		/* leaving clients freed this much: trim */
#define FINAL_SLACK		(64 * 1024)		/* room past a full queue for final replies */
#define ACCEPT_RETRY_MS		1000			/* out of descriptors: try accept() again */
#define REQUEST_MAX		(256 * 1024)		/* longest request line */

struct cs_client {
	struct cs_server	*server;
	struct bufferevent	*bev;
	uint64_t		 id;
	bool			 subscribed;
	bool			 lines;		/* wants raw line records */
	bool			 discarding;	/* inside an over-long request: skip to its newline */
	char			 device[64];	/* subscription filter; "" = all */
	uint64_t		 dropped;	/* records lost since the last notice */
	cs_client_cb		 drained;	/* the queue ran low: the owner may send more (history) */
	void			*drained_ctx;
	struct cs_client	*next;
};

struct cs_server {
	struct event_base	*base;
	struct evconnlistener	*listener;
	char			 path[PATH_MAX];
	char			 pidfile[PATH_MAX + 8];	/* path.pid, "" when not written */
	cs_request_cb		 on_request;
	cs_client_cb		 on_leave;
	void			*ctx;
	struct cs_client	*clients;
	uint64_t		 next_id;
	size_t			 nclients;
	json_t			*hello;
	size_t			 queued;	/* bytes in every client's queue (evbuffer callbacks) */
	size_t			 freed;		/* queue bytes freed by leaving clients since the last trim */
	struct event		*trim_timer;
	struct event		*accept_retry;	/* out of descriptors: accepting is paused */
	bool			 accept_paused;
	int64_t			 accept_warned_ms;	/* when we last said so (once a minute at most) */
};

/* ---------------------------------------------------------------- the socket's place */

/* Create the socket's directory 0700, or check an existing one is the user's alone. */
int
cs_private_dir(const char *path, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	cs_strlcpy(dir, path, sizeof dir);
	char *slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	return callsight_check_private_dir(dir, err, errlen);
}

/* The one place that asks the kernel who is on the other end (include/callsight/peercred.h). */
int
cs_peer_uid(int fd, uid_t *uid)
{
	return callsight_peer_uid(fd, uid);
}

/* ---------------------------------------------------------------- sending */

/* What one client may have queued: its own cap, shrunk when many clients share the global one
 * (QUEUES_MAX), so a crowd of clients that never read holds QUEUES_MAX at most in all. */
static size_t
queue_allowance(const struct cs_server *s)
{
	size_t share = s->nclients ? QUEUES_MAX / s->nclients : QUEUES_MAX;
	return share < CLIENT_QUEUE_MIN ? CLIENT_QUEUE_MIN : share > CLIENT_QUEUE_MAX ? CLIENT_QUEUE_MAX
	    : share;
}

/* Queue one record. A full queue (the client's allowance, or every client's together) drops it
 * and counts; the first record that fits again is preceded by {"type":"dropped","count":N}, so the
 * client sees exactly where its gap is. A reply that ends a request (force) is always queued: a
 * client waiting for it must never wait forever. */
static void
send_text_force(struct cs_client *c, const char *text, size_t len, bool force)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	const struct cs_server *s = c->server;
	char notice[64];
	int nlen = 0;
	if (c->dropped)
		nlen = snprintf(notice, sizeof notice, "{\"type\":\"dropped\",\"count\":%llu}\n",
		    (unsigned long long)c->dropped);
	size_t need = (size_t)nlen + len + 1, queued = evbuffer_get_length(out);
	if (force ? queued + need > queue_allowance(s) + FINAL_SLACK
	    : queued + need > queue_allowance(s) || s->queued + need > QUEUES_MAX) {
		c->dropped++;
		return;
	}
	if (nlen > 0) {
		evbuffer_add(out, notice, (size_t)nlen);
		c->dropped = 0;
	}
	evbuffer_add(out, text, len);
	evbuffer_add(out, "\n", 1);
}

static void
send_text(struct cs_client *c, const char *text, size_t len)
{
	send_text_force(c, text, len, false);
}

bool
cs_client_has_room(const struct cs_client *c)
{
	size_t queued = evbuffer_get_length(bufferevent_get_output(c->bev));
	return queued < queue_allowance(c->server) / 4 && c->server->queued < QUEUES_MAX / 2;
}

void
cs_client_send_final(struct cs_client *c, json_t *record)
{
	char *text = json_dumps(record, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(record);
	if (text == NULL)
		return;
	send_text_force(c, text, strlen(text), true);
	free(text);
}

void
cs_client_on_drained(struct cs_client *c, cs_client_cb cb, void *ctx)
{
	c->drained = cb;
	c->drained_ctx = ctx;
	if (cb)		/* called when the queue falls under its low mark (and once now, if it is) */
		bufferevent_setwatermark(c->bev, EV_WRITE, queue_allowance(c->server) / 4, 0);
}

uint64_t
cs_client_id(const struct cs_client *c)
{
	return c->id;
}

struct cs_client *
cs_server_client(const struct cs_server *s, uint64_t id)
{
	for (struct cs_client *c = s->clients; c; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

size_t
cs_server_queued(const struct cs_server *s)
{
	return s->queued;
}

void
cs_client_send(struct cs_client *c, json_t *record)
{
	char *text = json_dumps(record, CS_JSON_DUMP);
	json_decref(record);
	if (text == NULL)
		return;
	send_text(c, text, strlen(text));
	free(text);
}

void
cs_client_error(struct cs_client *c, json_t *id, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	json_t *rec = cs_error_json(id, msg);
	cs_client_send_final(c, rec);
}

static bool
wants(const struct cs_client *c, const char *device, bool is_line)
{
	if (!c->subscribed || (is_line && !c->lines))
		return false;
	return c->device[0] == '\0' || device == NULL || device[0] == '\0' || strcmp(c->device, device) == 0;
}

void
cs_server_broadcast(struct cs_server *s, const char *device, bool is_line, json_t *record)
{
	char *text = NULL;
	size_t len = 0;
	for (struct cs_client *c = s->clients; c; c = c->next) {
		if (!wants(c, device, is_line))
			continue;
		if (text == NULL) {	/* serialise once, for the first client that wants it */
			text = json_dumps(record, CS_JSON_DUMP);
			if (text == NULL)
				break;
			len = strlen(text);
		}
		send_text(c, text, len);
	}
	free(text);
	json_decref(record);
}

bool
cs_server_wants_lines(const struct cs_server *s)
{
	for (const struct cs_client *c = s->clients; c; c = c->next)
		if (c->subscribed && c->lines)
			return true;
	return false;
}

void
cs_client_subscribe(struct cs_client *c, const char *device, bool lines)
{
	c->subscribed = true;
	c->lines = lines;
	cs_strlcpy(c->device, device ? device : "", sizeof c->device);
}

const char *
cs_server_path(const struct cs_server *s)
{
	return s->path;
}

size_t
cs_server_clients(const struct cs_server *s)
{
	return s->nclients;
}

/* ---------------------------------------------------------------- clients */

/* Every client's output buffer reports here, so the global cap knows what is queued. */
static void
count_queued(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct cs_server *s = arg;
	s->queued += info->n_added;
	s->queued -= info->n_deleted < s->queued ? info->n_deleted : s->queued;
}

/* Give freed queue memory back to the system (glibc keeps freed heap otherwise). A timer, not at
 * once: libevent frees a bufferevent's buffers after the callback that freed it returns. */
static void
on_trim(evutil_socket_t fd, short what, void *arg)
{
#if defined(__GLIBC__)
	malloc_trim(0);
#endif
}

static void
resume_accepting(struct cs_server *s)
{
	if (!s->accept_paused)
		return;
	s->accept_paused = false;
	evconnlistener_enable(s->listener);
}

static void
client_free(struct cs_client *c)
{
	struct cs_server *s = c->server;
	for (struct cs_client **pp = &s->clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	s->nclients--;
	struct evbuffer *out = bufferevent_get_output(c->bev);
	size_t left = evbuffer_get_length(out);
	evbuffer_remove_cb(out, count_queued, s);
	s->queued -= left < s->queued ? left : s->queued;
	bufferevent_free(c->bev);
	if (s->on_leave)
		s->on_leave(c, s->ctx);
	free(c);
	s->freed += left;
	if (s->freed >= TRIM_AFTER && !evtimer_pending(s->trim_timer, NULL)) {
		s->freed = 0;
		struct timeval tv = { 0, 200 * 1000 };
		evtimer_add(s->trim_timer, &tv);
	}
	resume_accepting(s);	/* a descriptor is free again */
}

static void
client_write(struct bufferevent *bev, void *arg)
{
	struct cs_client *c = arg;
	if (c->drained)
		c->drained(c, c->drained_ctx);
}

static void
handle_line(struct cs_client *c, const char *line, size_t len)
{
	json_error_t jerr;
	json_t *req = json_loadb(line, len, 0, &jerr);
	if (req == NULL) {
		cs_client_error(c, NULL, "malformed request (column %d): %s", jerr.column, jerr.text);
		return;
	}
	if (!json_is_object(req)) {	/* it parsed: jansson has no error column to give */
		cs_client_error(c, NULL, "malformed request: not a JSON object");
		json_decref(req);
		return;
	}
	const char *name = json_string_value(json_object_get(req, "request"));
	if (name == NULL) {
		cs_client_error(c, json_object_get(req, "id"), "request has no \"request\" field");
	} else {
		c->server->on_request(c, name, req, c->server->ctx);
	}
	json_decref(req);
}

/* Drop what is left of an over-long request, up to and including its newline; true when the
 * newline was found (what follows is a new request) */
static bool
discard_to_newline(struct evbuffer *in)
{
	struct evbuffer_ptr nl = evbuffer_search(in, "\n", 1, NULL);
	if (nl.pos < 0) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return false;
	}
	evbuffer_drain(in, (size_t)nl.pos + 1);
	return true;
}

static void
client_read(struct bufferevent *bev, void *arg)
{
	struct cs_client *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	if (c->discarding && !discard_to_newline(in))
		return;
	c->discarding = false;
	for (;;) {
		size_t len;
		char *line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF);
		if (line == NULL)
			break;
		if (len > 0)
			handle_line(c, line, len);
		free(line);
	}
	if (evbuffer_get_length(in) > REQUEST_MAX) {
		cs_client_error(c, NULL, "request longer than %d bytes without a newline: discarded",
		    REQUEST_MAX);
		c->discarding = !discard_to_newline(in);
	}
}

static void
client_event(struct bufferevent *bev, short what, void *arg)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		client_free(arg);
}

static void
on_accept(struct evconnlistener *listener, evutil_socket_t fd, struct sockaddr *sa, int salen,
    void *arg)
{
	struct cs_server *s = arg;
	uid_t uid;
	if (cs_peer_uid(fd, &uid) < 0 || uid != getuid()) {
		const char *msg = "{\"type\":\"error\",\"message\":\"permission denied: this daemon "
		    "belongs to another user\"}\n";
		ssize_t ignored = write(fd, msg, strlen(msg));
		(void)ignored;
		close(fd);
		return;
	}
	struct cs_client *c = cs_xcalloc(1, sizeof *c);
	c->server = s;
	c->id = ++s->next_id;
	c->bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(c->bev, client_read, client_write, client_event, c);
	evbuffer_add_cb(bufferevent_get_output(c->bev), count_queued, s);
	bufferevent_setwatermark(c->bev, EV_READ, 0, REQUEST_MAX * 2);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	c->next = s->clients;
	s->clients = c;
	s->nclients++;
	cs_client_send(c, json_incref(s->hello));
}

static void
on_accept_retry(evutil_socket_t fd, short what, void *arg)
{
	resume_accepting(arg);
}

/* accept() failed. Out of descriptors (or kernel memory), libevent would retry at once and forever
 * (a busy loop writing "Error from accept() call" to stderr): stop listening instead, say so once,
 * and listen again when a client leaves or after ACCEPT_RETRY_MS; waiting clients stay queued in
 * the listen backlog meanwhile. */
static void
on_accept_error(struct evconnlistener *listener, void *arg)
{
	struct cs_server *s = arg;
	int err = EVUTIL_SOCKET_ERROR();
	bool exhausted = err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
	int64_t now = cs_mono_ms();
	if (s->accept_warned_ms == 0 || now - s->accept_warned_ms > 60000) {
		cs_log(CS_LOG_ERROR, "cannot accept clients on %s: %s%s", s->path, strerror(err),
		    exhausted ? "; not accepting until a client leaves (raise ulimit -n for more)" : "");
		s->accept_warned_ms = now;
	}
	evconnlistener_disable(listener);
	s->accept_paused = true;
	struct timeval tv = { ACCEPT_RETRY_MS / 1000, (ACCEPT_RETRY_MS % 1000) * 1000 };
	event_add(s->accept_retry, &tv);
}

/* Another daemon may already serve this socket: connect() tells. */
bool
cs_socket_alive(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof sun.sun_path)
		return false;
	cs_strlcpy(sun.sun_path, path, sizeof sun.sun_path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return false;
	bool alive = connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0;
	close(fd);
	return alive;
}

/* path.pid: who serves the socket (a second daemon names it). Written without following a symlink
 * (O_NOFOLLOW, in the private folder) and removed on exit. */
static void
write_pidfile(struct cs_server *s)
{
	snprintf(s->pidfile, sizeof s->pidfile, "%s.pid", s->path);
	struct stat st;
	if (lstat(s->pidfile, &st) == 0 && !S_ISREG(st.st_mode)) {
		cs_log(CS_LOG_ERROR, "%s is not a regular file: not writing the pid there",
		    s->pidfile);
		s->pidfile[0] = '\0';
		return;
	}
	int fd = open(s->pidfile, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		cs_log(CS_LOG_ERROR, "cannot write %s: %s", s->pidfile, strerror(errno));
		s->pidfile[0] = '\0';
		return;
	}
	char text[32];
	int n = snprintf(text, sizeof text, "%ld\n", (long)getpid());
	if (write(fd, text, (size_t)n) != n)
		cs_log(CS_LOG_ERROR, "cannot write %s: %s", s->pidfile, strerror(errno));
	close(fd);
}

struct cs_server *
cs_server_new(struct event_base *base, const char *path, json_t *hello, cs_request_cb on_request,
    cs_client_cb on_leave, void *ctx, char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof sun.sun_path) {
		snprintf(err, errlen, "socket path too long: %s", path);
		return NULL;
	}
	if (cs_private_dir(path, err, errlen) < 0)
		return NULL;
	if (cs_socket_alive(path)) {
		snprintf(err, errlen, "another callsightd already serves %s", path);
		return NULL;
	}
	struct stat st;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {	/* --socket naming a file of the user's: never delete it */
			snprintf(err, errlen, "%s exists and is not a socket: refusing to replace it", path);
			return NULL;
		}
		unlink(path);	/* a stale socket from a daemon that died */
	}
	cs_strlcpy(sun.sun_path, path, sizeof sun.sun_path);
	mode_t old = umask(0077);
	struct evconnlistener *l = evconnlistener_new_bind(base, NULL, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 64, (struct sockaddr *)&sun, sizeof sun);
	umask(old);
	if (l == NULL) {
		snprintf(err, errlen, "cannot listen on %s: %s", path, strerror(errno));
		return NULL;
	}
	struct cs_server *s = cs_xcalloc(1, sizeof *s);
	s->base = base;
	s->listener = l;
	s->on_request = on_request;
	s->on_leave = on_leave;
	s->ctx = ctx;
	s->hello = hello;
	cs_strlcpy(s->path, path, sizeof s->path);
	write_pidfile(s);
	evconnlistener_set_cb(l, on_accept, s);
	evconnlistener_set_error_cb(l, on_accept_error);
	s->accept_retry = evtimer_new(base, on_accept_retry, s);
	s->trim_timer = evtimer_new(base, on_trim, s);
	return s;
}

void
cs_server_free(struct cs_server *s)
{
	if (s == NULL)
		return;
	while (s->clients) {
		struct cs_client *c = s->clients;
		s->clients = c->next;
		bufferevent_free(c->bev);
		free(c);
	}
	evconnlistener_free(s->listener);
	if (s->accept_retry)
		event_free(s->accept_retry);
	if (s->trim_timer)
		event_free(s->trim_timer);
	unlink(s->path);
	if (s->pidfile[0])
		unlink(s->pidfile);
	json_decref(s->hello);
	free(s);
}

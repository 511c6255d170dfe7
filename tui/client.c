/*
 * client.c - callsight's side of the socket (docs/protocol.md): where the socket is, starting the
 * user's daemon when none runs (a lock file and a retry loop, as tmux does, so two clients started
 * together start one daemon), the private replay daemon of `callsight FILE`, and the NDJSON
 * conversation: hello, subscribe, history, the answers. The socket is non-blocking; a daemon that
 * goes away is a status line and a reconnect, never an exit.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <callsight/peercred.h>
#include <callsight/common.h>
#include <callsight/privdir.h>
#include <callsight/sockcompat.h>
#include <callsight/version.h>

#include "tui.h"

#define START_WAIT_MS	5000		/* how long a starting daemon may take to listen */
#define RETRY_MS	1000

/* a message for the status line, through the owner's hook */
static void __attribute__((format(printf, 3, 4)))
client_say(struct tui *t, bool error, const char *fmt, ...)
{
	if (t->client.hooks.status == NULL)
		return;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	t->client.hooks.status(t, error, msg);
}

/* ---------------------------------------------------------------- paths */

/* --socket PATH, else the daemon's default place (common/paths.c: one rule for both programs) */
int
client_socket_path(const char *opt, char *out, size_t len)
{
	if (opt == NULL)
		return cs_socket_default_path(out, len);
	int n = snprintf(out, len, "%s", opt);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* the socket's directory, made private when it does not exist yet (the daemon checks it) */
static int
make_socket_dir(const char *path)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

/* callsightd next to our own binary first, then PATH */
static void
daemon_path(const char *argv0, char *out, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0)
		self[n] = '\0';
	else if (argv0 != NULL && strchr(argv0, '/') != NULL)
		snprintf(self, sizeof self, "%s", argv0);
	else
		self[0] = '\0';
	char *slash = strrchr(self, '/');
	if (slash != NULL) {
		*slash = '\0';
		snprintf(out, len, "%s/callsightd", self);
		if (access(out, X_OK) == 0)
			return;
	}
	if (argv0 != NULL && strchr(argv0, '/') != NULL) {
		snprintf(self, sizeof self, "%s", argv0);
		*strrchr(self, '/') = '\0';
		snprintf(out, len, "%s/callsightd", self);
		if (access(out, X_OK) == 0)
			return;
	}
	snprintf(out, len, "callsightd");
}

/* ---------------------------------------------------------------- connecting */

/*
 * Whom we talk to. With XDG_RUNTIME_DIR unset the socket's folder is in a shared /tmp, where
 * another user can create callsight-UID/ first and serve a fake socket in it (forged flags, or a
 * report request with --no-redact sent to them). So before anything is sent: the folder must be
 * ours alone (include/callsight/privdir.h) and the process that accepted must run as our uid
 * (include/callsight/peercred.h), as the daemon checks its clients.
 */
int
client_connect_trusted(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof sa.sun_path) {
		snprintf(err, errlen, "socket path too long: %s", path);
		errno = ENAMETOOLONG;
		return -1;
	}
	char dir[PATH_MAX];
	callsight_socket_dir(path, dir, sizeof dir);
	if (callsight_check_private_dir(dir, err, errlen) < 0) {
		if (errno != ENOENT)
			errno = EPERM;
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = callsight_socket_cloexec(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create a socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		int e = errno;
		snprintf(err, errlen, "cannot connect to %s: %s", path, strerror(e));
		close(fd);
		errno = e;
		return -1;
	}
	uid_t peer;
	if (callsight_peer_uid(fd, &peer) < 0 || peer != getuid()) {
		if (callsight_peer_uid(fd, &peer) < 0)
			snprintf(err, errlen, "cannot tell who serves %s (%s): refusing to talk to it", path,
			    strerror(errno));
		else
			snprintf(err, errlen, "%s is served by uid %ld, not by you (uid %ld): refusing to "
			    "talk to it", path, (long)peer, (long)getuid());
		close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
}

/* a trusted connection, non-blocking; -1 with errno (EPERM: refused, the reason in c->trust) */
static int
try_connect(struct tui_client *c, const char *path)
{
	int fd = client_connect_trusted(path, c->trust, sizeof c->trust);
	if (fd < 0)
		return -1;
	c->trust[0] = '\0';
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

/* fork + exec argv with stdin/stdout on /dev/null and stderr on errfd (or /dev/null) */
static pid_t
spawn(char *const argv[], int errfd)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	int null = open("/dev/null", O_RDWR);
	dup2(null, 0);
	dup2(null, 1);
	dup2(errfd >= 0 ? errfd : null, 2);
	setsid();
	signal(SIGPIPE, SIG_DFL);
	execvp(argv[0], argv);
	fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* what a failed daemon said: its first "callsightd: ..." line (a usage text may follow), else its
 * last non-empty line */
static void
last_line(const char *buf, char *err, size_t errlen)
{
	const char *own = strstr(buf, "callsightd:");
	if (own != NULL && (own == buf || own[-1] == '\n')) {
		snprintf(err, errlen, "%.*s", (int)strcspn(own, "\n"), own);
		return;
	}
	size_t n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	size_t s = n;
	while (s > 0 && buf[s - 1] != '\n')
		s--;
	snprintf(err, errlen, "%.*s", (int)(n - s), buf + s);
}

static void
read_fd_text(int fd, char *buf, size_t len)
{
	size_t n = 0;
	ssize_t r;
	lseek(fd, 0, SEEK_SET);
	while (n + 1 < len && (r = read(fd, buf + n, len - n - 1)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
}

/* Wait for a daemon we started to listen; give up when it exits (non-daemonizing) or times out. */
static int
wait_listen(struct tui_client *c, const char *path, pid_t pid, bool exits_when_ready, int errfd, char *err, size_t errlen)
{
	int64_t until = cs_mono_ms() + START_WAIT_MS;
	bool reaped = false;
	int status = 0;
	while (cs_mono_ms() < until) {
		int fd = try_connect(c, path);
		if (fd >= 0)
			return fd;
		if (errno == EPERM) {
			snprintf(err, errlen, "%s", c->trust);
			return -1;
		}
		if (!reaped && waitpid(pid, &status, WNOHANG) == pid) {
			reaped = true;
			bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
			if (!exits_when_ready || !ok) {
				char buf[4096];
				read_fd_text(errfd, buf, sizeof buf);
				last_line(buf, err, errlen);
				if (*err == '\0')
					snprintf(err, errlen, "callsightd exited with status %d",
					    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
				return -1;
			}
		}
		cs_sleep_ms(50);
	}
	snprintf(err, errlen, "callsightd did not listen on %s within %d s", path, START_WAIT_MS / 1000);
	return -1;
}

static int
errlog_fd(void)
{
	char tmpl[] = "/tmp/callsight-err-XXXXXX";
	int fd = mkstemp(tmpl);
	if (fd >= 0)
		unlink(tmpl);
	return fd;
}

/* the user's daemon: connect, or start it under a lock so that only one client starts it */
static int
attach_live(struct tui *t, char *err, size_t errlen)
{
	struct tui_client *c = &t->client;
	int fd = try_connect(c, c->path);
	if (fd >= 0)
		return fd;
	if (errno == EPERM || errno == EACCES) {	/* refused, or not ours to open: say so */
		snprintf(err, errlen, "%s", c->trust);
		return -1;
	}
	if (make_socket_dir(c->path) < 0) {
		snprintf(err, errlen, "cannot create the socket directory of %s: %s", c->path,
		    strerror(errno));
		return -1;
	}
	char lock[PATH_MAX], dir[PATH_MAX];
	callsight_socket_dir(c->path, dir, sizeof dir);
	if (callsight_check_private_dir(dir, err, errlen) < 0)	/* before creating anything in it */
		return -1;
	snprintf(lock, sizeof lock, "%s.lock", c->path);
	int lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lfd < 0 || flock(lfd, LOCK_EX) < 0) {
		snprintf(err, errlen, "cannot lock %s: %s", lock, strerror(errno));
		if (lfd >= 0)
			close(lfd);
		return -1;
	}
	fd = try_connect(c, c->path);	/* another client may have started it meanwhile */
	if (fd < 0 && errno == EPERM) {
		snprintf(err, errlen, "%s", c->trust);
	} else if (fd < 0) {
		char prog[PATH_MAX];
		daemon_path(c->argv0, prog, sizeof prog);
		char *argv[] = { prog, "-d", "--socket", c->path, NULL };
		int efd = errlog_fd();
		pid_t pid = spawn(argv, efd);
		if (pid < 0)
			snprintf(err, errlen, "cannot start %s: %s", prog, strerror(errno));
		else
			fd = wait_listen(c, c->path, pid, true, efd, err, errlen);
		if (pid > 0)
			waitpid(pid, NULL, WNOHANG);
		if (efd >= 0)
			close(efd);
	}
	flock(lfd, LOCK_UN);
	close(lfd);
	return fd;
}

/* `callsight FILE`: a private daemon replays the capture and serves it on our own socket */
static int
attach_replay(struct tui *t, char *err, size_t errlen)
{
	struct tui_client *c = &t->client;
	const char *tmp = getenv("TMPDIR");
	snprintf(c->privdir, sizeof c->privdir, "%s/callsight-replay-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(c->privdir) == NULL) {
		snprintf(err, errlen, "cannot create a private directory: %s", strerror(errno));
		c->privdir[0] = '\0';
		return -1;
	}
	snprintf(c->path, sizeof c->path, "%s/sock", c->privdir);
	if (access(c->replay, R_OK) < 0) {
		snprintf(err, errlen, "cannot read %s: %s", c->replay, strerror(errno));
		return -1;
	}
	char prog[PATH_MAX];
	daemon_path(c->argv0, prog, sizeof prog);
	char *argv[] = { prog, "--replay", (char *)c->replay, "--serve", "--socket", c->path,
		c->crash_dir ? "--crash-dir" : NULL, (char *)c->crash_dir, NULL };
	int efd = errlog_fd();
	c->child = spawn(argv, efd);
	if (c->child < 0) {
		snprintf(err, errlen, "cannot start %s: %s", prog, strerror(errno));
		c->child = 0;
		close(efd);
		return -1;
	}
	int fd = wait_listen(c, c->path, c->child, false, efd, err, errlen);
	if (fd < 0 && waitpid(c->child, NULL, WNOHANG) != 0)
		c->child = 0;	/* reaped (or gone): nothing to stop later */
	if (efd >= 0)
		close(efd);
	return fd;
}

static void
on_connected(struct tui *t, int fd)
{
	struct tui_client *c = &t->client;
	c->fd = fd;
	c->state = CONN_UP;
	c->hello = false;
	c->history_done = false;
	c->outlen = 0;
	cs_ndjson_free(&c->in);		/* a new connection starts at a line's start */
	cs_ndjson_init(&c->in, CS_RECORD_MAX);
	snprintf(t->conn_msg, sizeof t->conn_msg, "connected to %s", c->path);
}

int
client_open(struct tui *t, char *err, size_t errlen)
{
	struct tui_client *c = &t->client;
	c->fd = -1;
	int fd;
	if (c->replay != NULL) {
		fd = attach_replay(t, err, errlen);
	} else {
		if (client_socket_path(t->socket_opt, c->path, sizeof c->path) < 0) {
			snprintf(err, errlen, "socket path too long");
			return -1;
		}
		fd = attach_live(t, err, errlen);
	}
	if (fd < 0)
		return -1;
	on_connected(t, fd);
	return 0;
}

void
client_close(struct tui *t)
{
	struct tui_client *c = &t->client;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	if (c->child > 0) {
		kill(c->child, SIGTERM);
		for (int i = 0; i < 40 && waitpid(c->child, NULL, WNOHANG) == 0; i++)
			cs_sleep_ms(25);
		if (waitpid(c->child, NULL, WNOHANG) == 0) {
			kill(c->child, SIGKILL);
			waitpid(c->child, NULL, 0);
		}
		c->child = 0;
	}
	if (c->privdir[0] != '\0') {
		unlink(c->path);
		rmdir(c->privdir);
		c->privdir[0] = '\0';
	}
	cs_ndjson_free(&c->in);
	free(c->out);
	c->out = NULL;
	c->outlen = c->outcap = 0;
}

static void
went_away(struct tui *t, const char *why)
{
	struct tui_client *c = &t->client;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->state = CONN_DOWN;
	c->retry_at = cs_mono_ms() + RETRY_MS;
	if (c->child > 0 && waitpid(c->child, NULL, WNOHANG) != 0) {
		c->child = 0;
		c->state = CONN_FAILED;
		snprintf(t->conn_msg, sizeof t->conn_msg, "replay daemon gone (%s) — showing what was "
		    "received", why);
	} else {
		snprintf(t->conn_msg, sizeof t->conn_msg, "daemon gone (%s) — reconnecting…", why);
	}
	client_say(t, true, "%s", t->conn_msg);
}

void
client_tick(struct tui *t)
{
	struct tui_client *c = &t->client;
	if (c->state != CONN_DOWN || cs_mono_ms() < c->retry_at)
		return;
	int fd = try_connect(c, c->path);
	if (fd < 0 && errno == EPERM) {	/* someone else serves there now: stop, say who */
		c->state = CONN_FAILED;
		snprintf(t->conn_msg, sizeof t->conn_msg, "%s", c->trust);
		client_say(t, true, "%s", c->trust);
		return;
	}
	if (fd < 0) {
		c->retry_at = cs_mono_ms() + RETRY_MS;
		return;
	}
	on_connected(t, fd);
	client_say(t, false, "reconnected to the daemon");
}

/* ---------------------------------------------------------------- requests */

static int
buf_append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n > *cap) {
		size_t ncap = *cap ? *cap : 4096;
		while (ncap < *len + n)
			ncap *= 2;
		char *nb = realloc(*buf, ncap);
		if (nb == NULL)
			return -1;
		*buf = nb;
		*cap = ncap;
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	return 0;
}

long
client_request(struct tui *t, json_t *req)
{
	struct tui_client *c = &t->client;
	long id = ++c->next_id;
	json_object_set_new(req, "id", json_integer(id));
	char *s = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (s == NULL || c->state != CONN_UP) {
		free(s);
		if (c->state != CONN_UP)
			client_say(t, true, "not connected to the daemon");
		return -1;
	}
	buf_append(&c->out, &c->outlen, &c->outcap, s, strlen(s));
	buf_append(&c->out, &c->outlen, &c->outcap, "\n", 1);
	free(s);
	client_flush(t);
	return id;
}

void
client_flush(struct tui *t)
{
	struct tui_client *c = &t->client;
	while (c->fd >= 0 && c->outlen > 0) {
		ssize_t n = send(c->fd, c->out, c->outlen, CALLSIGHT_MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				went_away(t, strerror(errno));
			return;
		}
		memmove(c->out, c->out + n, c->outlen - (size_t)n);
		c->outlen -= (size_t)n;
	}
}

/* ---------------------------------------------------------------- records */

static long
rec_id(json_t *rec)
{
	json_t *v = json_object_get(rec, "id");
	return json_is_integer(v) ? (long)json_integer_value(v) : -1;
}

static void
on_hello(struct tui *t, json_t *rec)
{
	struct tui_client *c = &t->client;
	json_t *p = json_object_get(rec, "protocol");
	const char *mode = json_string_value(json_object_get(rec, "mode"));
	const char *ver = json_string_value(json_object_get(rec, "version"));
	char why[256];
	if (cs_hello_check("hello", json_is_integer(p), json_is_integer(p) ? (long long)json_integer_value(p)
	    : -1, why, sizeof why) < 0) {
		client_say(t, true, "%s", why);
		snprintf(t->conn_msg, sizeof t->conn_msg, "incompatible daemon (protocol mismatch)");
		close(c->fd);
		c->fd = -1;
		c->state = CONN_FAILED;
		return;
	}
	snprintf(c->mode, sizeof c->mode, "%s", mode ? mode : "live");
	snprintf(c->version, sizeof c->version, "%s", ver ? ver : "?");
	c->hello = true;
	model_clear(&t->model);		/* everything again: the snapshot and the history */
	client_request(t, json_pack("{s:s}", "request", "subscribe"));
	json_t *hist = json_pack("{s:s}", "request", "history");
	c->history_id = client_request(t, hist);
	t->dirty = true;
}

static void
on_end(struct tui *t, json_t *rec)
{
	if (rec_id(rec) == t->client.history_id) {
		t->client.history_done = true;
		if (t->client.hooks.history_end)
			t->client.hooks.history_end(t);
	}
}

static void
on_report(struct tui *t, json_t *rec)
{
	const char *path = json_string_value(json_object_get(rec, "path"));
	if (t->client.hooks.report)
		t->client.hooks.report(t, path ? path : "?");
}

static void
on_error(struct tui *t, json_t *rec)
{
	const char *msg = json_string_value(json_object_get(rec, "message"));
	long id = rec_id(rec);
	const char *what = id < 0 ? "daemon" : id == t->client.report_id ? "report" :
	    id == t->client.mark_id ? "mark" : "daemon";
	client_say(t, true, "%s: %s", what, msg ? msg : "error");
}

static void
on_ok(struct tui *t, json_t *rec)
{
	if (rec_id(rec) == t->client.mark_id && t->client.mark_id > 0)
		client_say(t, false, "marked (mark %lld)",
		    (long long)json_integer_value(json_object_get(rec, "mark")));
}

static void
on_devices(struct tui *t, json_t *rec)
{
	size_t i;
	json_t *d;
	json_array_foreach(json_object_get(rec, "devices"), i, d) {
		const char *id = json_string_value(json_object_get(d, "device"));
		struct tui_device *dev = model_device(&t->model, id, true);
		if (dev == NULL)
			continue;
		const char *name = json_string_value(json_object_get(d, "name"));
		const char *ios = json_string_value(json_object_get(d, "product_version"));
		const char *state = json_string_value(json_object_get(d, "state"));
		if (name != NULL && dev->name == NULL)
			dev->name = strdup(name);
		if (ios != NULL && dev->ios == NULL)
			dev->ios = strdup(ios);
		if (state != NULL) {
			free(dev->link);
			dev->link = strdup(state);
		}
		json_t *fl = json_object_get(d, "flags");
		if (json_is_integer(fl))
			dev->daemon_flags = (long)json_integer_value(fl);
	}
}

static void
on_dropped(struct tui *t, json_t *rec)
{
	client_say(t, true, "the daemon dropped %lld records: this terminal read too slowly",
	    (long long)json_integer_value(json_object_get(rec, "count")));
}

static void
on_summary(struct tui *t, json_t *rec)
{
	model_apply(&t->model, rec);
	client_say(t, false, "replay: %lld lines, %lld events, %lld disconnects, %lld warnings",
	    (long long)json_integer_value(json_object_get(rec, "lines")),
	    (long long)json_integer_value(json_object_get(rec, "events")),
	    (long long)json_integer_value(json_object_get(rec, "disconnects")),
	    (long long)json_integer_value(json_object_get(rec, "warnings")));
}

/* the daemon cannot write its store: say so (it keeps streaming) */
static void
on_store_error(struct tui *t, json_t *rec)
{
	client_say(t, true, "the daemon's store fails: %s (%lld records not stored)",
	    json_string_value(json_object_get(rec, "message")) ? json_string_value(json_object_get(rec,
	    "message")) : "?", (long long)json_integer_value(json_object_get(rec, "lost")));
}

/* the daemon logged a warning or an error: its last one in the status line (the log has them all) */
static void
on_log(struct tui *t, json_t *rec)
{
	const char *level = json_string_value(json_object_get(rec, "level"));
	const char *msg = json_string_value(json_object_get(rec, "message"));
	client_say(t, level != NULL && strcmp(level, "error") == 0, "callsightd %s: %s", level ? level : "says",
	    msg ? msg : "?");
}

static const struct {
	const char	*type;
	void		(*fn)(struct tui *, json_t *);
} protocol_records[] = {
	{ "hello", on_hello },
	{ "end", on_end },
	{ "report", on_report },
	{ "error", on_error },
	{ "ok", on_ok },
	{ "devices", on_devices },
	{ "dropped", on_dropped },
	{ "summary", on_summary },
	{ "store_error", on_store_error },
	{ "log", on_log },
};

static void
on_record(struct tui *t, const char *line, size_t len)
{
	json_t *rec = json_loadb(line, len, 0, NULL);
	const char *type = json_string_value(json_object_get(rec, "type"));
	if (!json_is_object(rec) || type == NULL) {
		json_decref(rec);		/* malformed: ignored */
		return;
	}
	t->dirty = true;
	for (size_t i = 0; i < sizeof protocol_records / sizeof protocol_records[0]; i++)
		if (strcmp(protocol_records[i].type, type) == 0) {
			protocol_records[i].fn(t, rec);
			json_decref(rec);
			return;
		}
	if (t->client.hello)
		model_apply(&t->model, rec);
	json_decref(rec);
}

void
client_read(struct tui *t)
{
	struct tui_client *c = &t->client;
	char buf[65536];
	for (int rounds = 0; rounds < 64 && c->fd >= 0; rounds++) {
		ssize_t n = recv(c->fd, buf, sizeof buf, 0);
		if (n == 0) {
			went_away(t, "connection closed");
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				went_away(t, strerror(errno));
			return;
		}
		cs_ndjson_feed(&c->in, buf, (size_t)n);
		char *line;
		size_t len;
		while ((line = cs_ndjson_next(&c->in, &len)) != NULL) {
			on_record(t, line, len);
			if (c->fd < 0)
				return;
		}
	}
}

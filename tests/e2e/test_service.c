/*
 * test_service.c - callsightd as a service, end to end: the real daemon follows the device
 * emulator (real usbmuxd/lockdownd/syslog_relay protocols through libimobiledevice) and real
 * clients speak the socket protocol (docs/protocol.md) to it. Covers the protocol (hello,
 * subscribe, history, mark, report, devices, ping, malformed input), 100 clients coming and going,
 * a client that never reads, another user refused, an open socket directory refused, a second
 * daemon refused, and the store surviving kill -9.
 * Paths: env CALLSIGHTD (default build/callsightd); fakeiphone is looked for beside it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

extern char **environ;

#define UDID "00008030-001A2D1E3C02802E"

struct env {
	char	dir[128];
	char	mux[PATH_MAX];		/* emulator's usbmuxd socket */
	char	sock[PATH_MAX];		/* daemon's socket */
	char	store[PATH_MAX];
	char	daemon[PATH_MAX];
	char	fake[PATH_MAX];
	char	errlog[PATH_MAX];
	pid_t	fake_pid;
	pid_t	daemon_pid;
};

struct client {
	int	fd;
	char	buf[1 << 16];
	size_t	len;
};

static int64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

static pid_t
spawn(char *const argv[], const char *errfile)
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	if (errfile)
		posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, errfile,
		    O_WRONLY | O_CREAT | O_APPEND, 0600);
	pid_t pid;
	int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	return rc == 0 ? pid : -1;
}

static bool
connectable(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	bool ok = connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0;
	close(fd);
	return ok;
}

static bool
wait_for_socket(const char *path, int ms)
{
	for (int64_t end = now_ms() + ms; now_ms() < end; sleep_ms(50))
		if (connectable(path))
			return true;
	return false;
}

static int
wait_exit(pid_t pid, int ms)
{
	for (int64_t end = now_ms() + ms; now_ms() < end; sleep_ms(20)) {
		int status;
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

static void
start_fake(struct env *e, const char *rate)
{
	char dev[512];
	snprintf(dev, sizeof dev, "udid=%s,name=Ana,version=17.5.1,capture=tests/fakedevice/demo.syslog,"
	    "rate=%s,loop=1", UDID, rate);
	char *argv[] = { e->fake, "-n", "-s", e->mux, "-d", dev, "-a",
		"com.example.VideoCall,name=VideoCall,mic=Calls,camera=Video", NULL };
	e->fake_pid = spawn(argv, e->errlog);
	assert_true(e->fake_pid > 0);
	assert_true(wait_for_socket(e->mux, 10000));
}

static void
start_daemon_with(struct env *e, char *const extra[])
{
	char *argv[32] = { e->daemon, "--socket", e->sock, "--store", e->store, "--stall-timeout", "0" };
	int n = 7;
	for (int i = 0; extra && extra[i] && n < 31; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	e->daemon_pid = spawn(argv, e->errlog);
	assert_true(e->daemon_pid > 0);
	assert_true(wait_for_socket(e->sock, 10000));
}

static void
start_daemon(struct env *e)
{
	start_daemon_with(e, NULL);
}

static bool
log_has(const struct env *e, const char *text, int ms)
{
	char cmd[PATH_MAX + 256];
	snprintf(cmd, sizeof cmd, "grep -qF -- '%s' %s", text, e->errlog);
	for (int64_t end = now_ms() + ms; now_ms() < end; sleep_ms(100))
		if (system(cmd) == 0)
			return true;
	return false;
}

static int
setup(void **state)
{
	struct env *e = calloc(1, sizeof *e);
	snprintf(e->dir, sizeof e->dir, "/tmp/cs-service-XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	snprintf(e->mux, sizeof e->mux, "%s/mux", e->dir);
	snprintf(e->sock, sizeof e->sock, "%s/run/sock", e->dir);
	snprintf(e->store, sizeof e->store, "%s/capture.db", e->dir);
	snprintf(e->errlog, sizeof e->errlog, "%s/stderr.log", e->dir);
	const char *d = getenv("CALLSIGHTD");
	snprintf(e->daemon, sizeof e->daemon, "%s", d ? d : "build/callsightd");
	snprintf(e->fake, sizeof e->fake, "%s", e->daemon);
	char *slash = strrchr(e->fake, '/');
	snprintf(slash ? slash + 1 : e->fake, sizeof e->fake - (size_t)(slash ? slash + 1 - e->fake : 0),
	    "fakeiphone");
	char addr[PATH_MAX + 8];
	snprintf(addr, sizeof addr, "UNIX:%s", e->mux);
	setenv("USBMUXD_SOCKET_ADDRESS", addr, 1);
	/* under AddressSanitizer, freed memory sits in a 256 MB quarantine and would read as growth:
	 * keep it small so the memory bound measures the daemon (no effect on a normal build) */
	setenv("ASAN_OPTIONS", "quarantine_size_mb=8:thread_local_quarantine_size_kb=64", 0);
	*state = e;
	return 0;
}

static int
teardown(void **state)
{
	struct env *e = *state;
	if (e->daemon_pid > 0) {
		kill(e->daemon_pid, SIGTERM);
		if (wait_exit(e->daemon_pid, 5000) != 0)
			fprintf(stderr, "daemon did not exit cleanly on SIGTERM\n");
	}
	if (e->fake_pid > 0) {
		kill(e->fake_pid, SIGTERM);
		wait_exit(e->fake_pid, 3000);
	}
	char cmd[PATH_MAX + 64];
	/* sanitizer reports from the children end up in the log: they fail the run */
	snprintf(cmd, sizeof cmd, "grep -qs -e 'ERROR: AddressSanitizer' -e 'runtime error:' %s", e->errlog);
	int found = system(cmd);
	if (found == 0) {
		snprintf(cmd, sizeof cmd, "cat %s >&2", e->errlog);
		if (system(cmd) != 0)
			fprintf(stderr, "(could not show the log)\n");
	}
	snprintf(cmd, sizeof cmd, "rm -rf %s", e->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", e->dir);
	free(e);
	assert_int_not_equal(found, 0);
	return 0;
}

/* ---------------------------------------------------------------- a client */

static struct client *
client_open(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) < 0) {
		close(fd);
		return NULL;
	}
	struct client *c = calloc(1, sizeof *c);
	c->fd = fd;
	return c;
}

static void
client_close(struct client *c)
{
	if (c) {
		close(c->fd);
		free(c);
	}
}

static void
client_send(struct client *c, const char *text)
{
	size_t len = strlen(text);
	assert_int_equal(write(c->fd, text, len), (ssize_t)len);
}

/* the next record, or NULL after ms */
static json_t *
client_read(struct client *c, int ms)
{
	int64_t end = now_ms() + ms;
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		if (nl) {
			size_t n = (size_t)(nl - c->buf);
			json_t *rec = json_loadb(c->buf, n, 0, NULL);
			memmove(c->buf, nl + 1, c->len - n - 1);
			c->len -= n + 1;
			if (rec)
				return rec;
			continue;
		}
		int left = (int)(end - now_ms());
		if (left <= 0)
			return NULL;
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		if (poll(&p, 1, left) <= 0)
			return NULL;
		if (c->len == sizeof c->buf)	/* a record longer than the buffer: drop it */
			c->len = 0;
		ssize_t r = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
		if (r <= 0)
			return NULL;
		c->len += (size_t)r;
	}
}

static bool
is_type(json_t *rec, const char *type)
{
	const char *t = json_string_value(json_object_get(rec, "type"));
	return t && strcmp(t, type) == 0;
}

/* read until a record of type (with id, if id >= 0) arrives */
static json_t *
client_expect(struct client *c, const char *type, int id, int ms)
{
	int64_t end = now_ms() + ms;
	while (now_ms() < end) {
		json_t *rec = client_read(c, (int)(end - now_ms()));
		if (rec == NULL)
			break;
		if (is_type(rec, type) && (id < 0 || json_integer_value(json_object_get(rec, "id")) == id))
			return rec;
		json_decref(rec);
	}
	return NULL;
}

/* a VmRSS:/VmHWM: figure of /proc/PID/status, in kB */
static long
status_kb(pid_t pid, const char *key)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
	FILE *f = fopen(path, "r");
	long kb = -1;
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, key, strlen(key)) == 0)
			kb = strtol(line + strlen(key), NULL, 10);
	if (f)
		fclose(f);
	return kb;
}

static long
rss_kb(pid_t pid)
{
	return status_kb(pid, "VmRSS:");
}

static bool
alive(pid_t pid)
{
	return kill(pid, 0) == 0 && waitpid(pid, NULL, WNOHANG) == 0;
}

/* ---------------------------------------------------------------- tests */

static void
test_protocol(void **state)
{
	struct env *e = *state;
	start_fake(e, "300");
	start_daemon(e);
	struct client *c = client_open(e->sock);
	assert_non_null(c);
	json_t *hello = client_read(c, 3000);
	assert_true(is_type(hello, "hello"));
	assert_int_equal(json_integer_value(json_object_get(hello, "protocol")), 1);
	assert_string_equal(json_string_value(json_object_get(hello, "mode")), "live");
	json_decref(hello);

	client_send(c, "{\"id\":1,\"request\":\"subscribe\"}\n");
	json_t *r = client_expect(c, "ok", 1, 3000);
	assert_non_null(r);
	json_decref(r);
	/* live records: the device, then events from its stream */
	r = client_expect(c, "event", -1, 15000);
	assert_non_null(r);
	assert_string_equal(json_string_value(json_object_get(r, "device")), UDID);
	json_decref(r);

	client_send(c, "{\"id\":2,\"request\":\"ping\"}\n");
	r = client_expect(c, "pong", 2, 3000);
	assert_non_null(r);
	json_decref(r);

	client_send(c, "{this is not json\n");
	r = client_expect(c, "error", -1, 3000);
	assert_non_null(r);
	assert_non_null(strstr(json_string_value(json_object_get(r, "message")), "malformed"));
	json_decref(r);
	client_send(c, "{\"id\":3,\"request\":\"frobnicate\"}\n");
	r = client_expect(c, "error", 3, 3000);
	assert_non_null(r);
	assert_non_null(strstr(json_string_value(json_object_get(r, "message")), "frobnicate"));
	json_decref(r);
	client_send(c, "{\"id\":4,\"request\":\"ping\"}\n");	/* still served */
	r = client_expect(c, "pong", 4, 3000);
	assert_non_null(r);
	json_decref(r);

	client_send(c, "{\"id\":5,\"request\":\"devices\"}\n");
	r = client_expect(c, "devices", 5, 3000);
	assert_non_null(r);
	json_t *first = json_array_get(json_object_get(r, "devices"), 0);
	assert_string_equal(json_string_value(json_object_get(first, "device")), UDID);
	assert_string_equal(json_string_value(json_object_get(first, "name")), "Ana");
	json_decref(r);

	client_send(c, "{\"id\":6,\"request\":\"mark\",\"device\":\"" UDID "\",\"note\":\"locked here\"}\n");
	r = client_expect(c, "mark", -1, 3000);
	assert_non_null(r);
	assert_string_equal(json_string_value(json_object_get(r, "note")), "locked here");
	json_decref(r);

	client_send(c, "{\"id\":7,\"request\":\"history\",\"types\":[\"event\",\"mark\"]}\n");
	int events = 0, marks = 0;
	for (;;) {
		r = client_read(c, 5000);
		assert_non_null(r);
		if (is_type(r, "end") && json_integer_value(json_object_get(r, "id")) == 7) {
			assert_true(json_integer_value(json_object_get(r, "count")) > 0);
			json_decref(r);
			break;
		}
		/* live records interleave; history's own are counted by type */
		events += is_type(r, "event");
		marks += is_type(r, "mark");
		json_decref(r);
	}
	assert_true(events > 0);
	assert_true(marks > 0);

	char req[PATH_MAX + 128];
	snprintf(req, sizeof req, "{\"id\":8,\"request\":\"report\",\"out\":\"%s\"}\n", e->dir);
	client_send(c, req);
	r = client_expect(c, "report", 8, 15000);
	assert_non_null(r);
	char html[PATH_MAX + 32];
	snprintf(html, sizeof html, "%s/report.html", json_string_value(json_object_get(r, "path")));
	assert_int_equal(access(html, R_OK), 0);
	json_decref(r);
	client_close(c);
}


/* Bounds on memory and on speed under a flood are the plain build's to measure: AddressSanitizer
 * keeps freed memory in quarantine and slows every allocation several times, so under it these
 * tests say so and count as skipped (the plain `make check` runs them). */
#if defined(__SANITIZE_ADDRESS__)
#define SKIP_UNDER_ASAN(what)							\
	do {									\
		print_message("skip: %s is measured in the plain build, not under ASan\n", what); \
		skip();								\
	} while (0)
#else
#define SKIP_UNDER_ASAN(what) do { } while (0)
#endif

static void
test_many_clients_and_a_slow_one(void **state)
{
	struct env *e = *state;
	SKIP_UNDER_ASAN("a flooding device's memory bound and the slow client's dropped notice");
	start_fake(e, "0");	/* as fast as the daemon reads */
	start_daemon(e);
	sleep_ms(1000);
	long rss0 = rss_kb(e->daemon_pid);

	/* a client that subscribes to every line and never reads */
	struct client *slow = client_open(e->sock);
	assert_non_null(slow);
	client_send(slow, "{\"id\":1,\"request\":\"subscribe\",\"lines\":true}\n");

	for (int round = 0; round < 100; round++) {
		struct client *c = client_open(e->sock);
		assert_non_null(c);
		json_t *hello = client_read(c, 3000);
		assert_true(is_type(hello, "hello"));
		json_decref(hello);
		if (round % 2)
			client_send(c, "{\"request\":\"subscribe\"}\n");
		client_close(c);
	}
	/* the others are still served promptly */
	struct client *c = client_open(e->sock);
	json_decref(client_read(c, 3000));
	int64_t t0 = now_ms();
	client_send(c, "{\"id\":9,\"request\":\"ping\"}\n");
	json_t *pong = client_expect(c, "pong", 9, 3000);
	assert_non_null(pong);
	json_decref(pong);
	assert_true(now_ms() - t0 < 1000);
	sleep_ms(3000);
	long rss1 = rss_kb(e->daemon_pid);
	/* bounded: the slow client's queue (4 MiB) and the inbox, not the stream */
	if (rss0 < 0 || rss1 < 0)
		print_message("skip - the memory bound: no /proc/PID/status on this system\n");
	else
		assert_true(rss1 - rss0 < 48 * 1024);

	/* the slow client reads at last and learns what it missed */
	json_t *dropped = client_expect(slow, "dropped", -1, 20000);
	assert_non_null(dropped);
	assert_true(json_integer_value(json_object_get(dropped, "count")) > 0);
	json_decref(dropped);
	client_close(slow);
	client_close(c);
	assert_true(alive(e->daemon_pid));
}

static void
test_other_user_refused(void **state)
{
	struct env *e = *state;
	if (getuid() != 0) {
		print_message("skip: another user's client needs root (to become uid 65534)\n");
		skip();
	}
	start_fake(e, "10");
	start_daemon(e);
	/* let another user reach the socket (the daemon checked its directory when it started): only
	 * the peer check stands in the way now */
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s/run", e->dir);
	assert_int_equal(chmod(e->dir, 0711), 0);
	assert_int_equal(chmod(dir, 0711), 0);
	assert_int_equal(chmod(e->sock, 0777), 0);
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		if (chdir(dir) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
			_exit(2);
		struct client *c = client_open("sock");
		if (c == NULL)
			_exit(3);
		json_t *rec = client_read(c, 3000);
		const char *msg = rec ? json_string_value(json_object_get(rec, "message")) : NULL;
		bool refused = rec && is_type(rec, "error") && msg && strstr(msg, "permission denied");
		/* and nothing more: the connection is closed */
		json_t *more = client_read(c, 500);
		_exit(refused && more == NULL ? 0 : 4);
	}
	close(fds[1]);
	close(fds[0]);
	assert_int_equal(wait_exit(pid, 10000), 0);
	assert_true(alive(e->daemon_pid));
}

static void
test_open_dir_and_second_daemon_refused(void **state)
{
	struct env *e = *state;
	start_fake(e, "10");
	start_daemon(e);

	/* a second daemon on the same socket says which pid holds it */
	char *argv[] = { e->daemon, "--socket", e->sock, "--no-store", NULL };
	char log2[PATH_MAX + 8];
	snprintf(log2, sizeof log2, "%s/second.log", e->dir);
	pid_t pid = spawn(argv, log2);
	assert_int_not_equal(wait_exit(pid, 10000), 0);
	char cmd[PATH_MAX * 2];
	snprintf(cmd, sizeof cmd, "grep -q 'another callsightd.*pid %ld' %s", (long)e->daemon_pid, log2);
	assert_int_equal(system(cmd), 0);

	/* a socket directory others can enter is refused, with the reason */
	char open_dir[256], sock[PATH_MAX + 8], log3[PATH_MAX + 8];
	snprintf(open_dir, sizeof open_dir, "%s/open", e->dir);
	assert_int_equal(mkdir(open_dir, 0700), 0);
	assert_int_equal(chmod(open_dir, 0755), 0);
	snprintf(sock, sizeof sock, "%s/sock", open_dir);
	snprintf(log3, sizeof log3, "%s/third.log", e->dir);
	char *argv3[] = { e->daemon, "--socket", sock, "--no-store", NULL };
	pid = spawn(argv3, log3);
	assert_int_not_equal(wait_exit(pid, 10000), 0);
	snprintf(cmd, sizeof cmd, "grep -q 'must be 0700' %s", log3);
	assert_int_equal(system(cmd), 0);
	assert_false(connectable(sock));
}

static long
count_lines(const char *store, bool check_integrity)
{
	sqlite3 *db;
	if (sqlite3_open_v2(store, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return -1;
	long n = -1;
	sqlite3_stmt *st;
	if (check_integrity) {
		if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK) {
			if (sqlite3_step(st) != SQLITE_ROW ||
			    strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0)
				n = -2;
			sqlite3_finalize(st);
		}
		if (n == -2) {
			sqlite3_close(db);
			return n;
		}
	}
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM lines", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return n;
}

static void
test_store_survives_kill9(void **state)
{
	struct env *e = *state;
	start_fake(e, "2000");
	start_daemon(e);
	/* a loaded machine may take seconds to pair and stream: wait for the first commit */
	long before = 0;
	for (int64_t end = now_ms() + 30000; now_ms() < end && before <= 0; sleep_ms(250))
		before = count_lines(e->store, false);	/* what was committed by now */
	assert_true(before > 0);
	sleep_ms(700);
	kill(e->daemon_pid, SIGKILL);
	waitpid(e->daemon_pid, NULL, 0);
	e->daemon_pid = 0;
	long after = count_lines(e->store, true);
	assert_int_not_equal(after, -2);	/* integrity_check ok */
	assert_true(after >= before);
	/* a restart continues the same store */
	start_daemon(e);
	sleep_ms(2000);
	assert_true(count_lines(e->store, false) > after);
	struct stat st;
	assert_int_equal(stat(e->store, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
}


static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* SIGHUP reloads the rules; a broken file keeps the old ones and the daemon goes on */
static void
test_sighup_reload(void **state)
{
	struct env *e = *state;
	char rules[PATH_MAX];
	snprintf(rules, sizeof rules, "%s/mine.rules", e->dir);
	write_file(rules, "mine.hangup  call_user_hangup  VideoCall  /Hang-up button pressed/\n");
	start_fake(e, "50");
	char *extra[] = { "--rules", rules, NULL };
	start_daemon_with(e, extra);
	write_file(rules, "mine.hangup  call_user_hangup  VideoCall  /Hang-up button pressed/\n"
	    "mine.more    call_user_hangup  VideoCall  /Leave call tapped/\n");
	kill(e->daemon_pid, SIGHUP);
	assert_true(log_has(e, "rules reloaded", 5000));
	struct client *c = client_open(e->sock);
	assert_non_null(c);
	json_decref(client_read(c, 3000));
	client_send(c, "{\"id\":9,\"request\":\"subscribe\"}\n");
	json_decref(client_expect(c, "ok", 9, 3000));
	write_file(rules, "mine.broken  no_such_kind  *  /x/\n");
	kill(e->daemon_pid, SIGHUP);
	assert_true(log_has(e, "rules not reloaded", 5000));
	assert_true(log_has(e, "mine.rules:1", 1000));	/* the message names file:line */
	/* ... and the clients hear it: a `log` record at level error (the TUI's status line) */
	json_t *said = NULL;
	for (int64_t end = now_ms() + 5000; said == NULL && now_ms() < end;) {
		json_t *r = client_read(c, 1000);
		if (is_type(r, "log"))
			said = r;
		else
			json_decref(r);
	}
	assert_non_null(said);
	assert_string_equal(json_string_value(json_object_get(said, "level")), "error");
	assert_non_null(strstr(json_string_value(json_object_get(said, "message")), "rules not reloaded"));
	json_decref(said);
	client_send(c, "{\"id\":1,\"request\":\"ping\"}\n");
	json_t *pong = client_expect(c, "pong", 1, 3000);
	assert_non_null(pong);
	json_decref(pong);
	client_close(c);
}

/* issue 13 §4: a daemon started with -d (as the TUI starts it) has no terminal: what it says after
 * start-up goes to callsightd.log beside the store (0600, a time and a level on each line), not to
 * /dev/null as before */
static void
test_detached_daemon_logs(void **state)
{
	struct env *e = *state;
	char rules[PATH_MAX], logfile[PATH_MAX], pidfile[PATH_MAX + 8], cmd[PATH_MAX * 8];
	snprintf(rules, sizeof rules, "%s/mine.rules", e->dir);
	snprintf(logfile, sizeof logfile, "%s/callsightd.log", e->dir);
	snprintf(pidfile, sizeof pidfile, "%s.pid", e->sock);
	write_file(rules, "mine.hangup  call_user_hangup  VideoCall  /Hang-up button pressed/\n");
	start_fake(e, "50");
	snprintf(cmd, sizeof cmd, "%s -d -v --socket %s --store %s --stall-timeout 0 --rules %s 2>>%s",
	    e->daemon, e->sock, e->store, rules, e->errlog);
	assert_int_equal(system(cmd), 0);		/* the parent returns once the child serves */
	long pid = 0;
	FILE *f = fopen(pidfile, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld", &pid), 1);
	fclose(f);
	write_file(rules, "mine.broken  no_such_kind  *  /x/\n");
	kill((pid_t)pid, SIGHUP);
	snprintf(cmd, sizeof cmd, "grep -q 'Z error: SIGHUP: rules not reloaded' %s", logfile);
	bool logged = false;
	for (int64_t end = now_ms() + 5000; !logged && now_ms() < end; sleep_ms(100))
		logged = system(cmd) == 0;
	/* -v: debug lines too, the device's states among them */
	snprintf(cmd, sizeof cmd, "grep -q 'Z debug: device .*: streaming' %s", logfile);
	bool verbose = false;
	for (int64_t end = now_ms() + 10000; !verbose && now_ms() < end; sleep_ms(100))
		verbose = system(cmd) == 0;
	struct stat st;
	bool private = stat(logfile, &st) == 0 && (st.st_mode & 0777) == 0600;
	kill((pid_t)pid, SIGTERM);
	for (int64_t end = now_ms() + 10000; kill((pid_t)pid, 0) == 0 && now_ms() < end; sleep_ms(50))
		;
	snprintf(cmd, sizeof cmd, "cat %s >&2", logfile);
	if (!logged && system(cmd) != 0)
		fprintf(stderr, "(no log at %s)\n", logfile);
	assert_true(logged);
	assert_true(verbose);
	assert_true(private);
	assert_int_not_equal(kill((pid_t)pid, 0), 0);	/* and it stopped on SIGTERM */
}

/* the emulator at full speed, a daemon with --auto-report into DIR/reports (out), and a subscribed
 * client (the hello read) */
static struct client *
start_auto_report_daemon(struct env *e, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s/reports", e->dir);
	assert_int_equal(mkdir(out, 0700), 0);
	start_fake(e, "0");
	char *extra[] = { "--auto-report", out, NULL };
	start_daemon_with(e, extra);
	struct client *c = client_open(e->sock);
	assert_non_null(c);
	json_decref(client_read(c, 3000));
	client_send(c, "{\"id\":1,\"request\":\"subscribe\"}\n");
	return c;
}

/* --auto-report: every disconnect gets its own bundle (written at the latest when the daemon stops) */
static void
test_auto_report(void **state)
{
	struct env *e = *state;
	char out[256];
	struct client *c = start_auto_report_daemon(e, out, sizeof out);
	json_t *flag = NULL;
	for (int64_t end = now_ms() + 20000; now_ms() < end && flag == NULL;) {
		json_t *r = client_expect(c, "flag", -1, 2000);
		if (r && strcmp(json_string_value(json_object_get(r, "severity")), "disconnect") == 0)
			flag = r;
		else
			json_decref(r);
	}
	assert_non_null(flag);
	json_decref(flag);
	client_close(c);
	kill(e->daemon_pid, SIGTERM);
	assert_int_equal(wait_exit(e->daemon_pid, 20000), 0);
	e->daemon_pid = 0;
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "ls %s/*/report.html %s/*/flags.json %s/*/syslog.txt >/dev/null 2>&1",
	    out, out, out);
	assert_int_equal(system(cmd), 0);
	/* redacted by default: the OpenTok session id in the demo's sessionDidConnect line is not a
	 * token, but e-mails and tokens never survive; the syslog is there and non-empty */
	snprintf(cmd, sizeof cmd, "test -s \"$(ls %s/*/syslog.txt | head -n 1)\"", out);
	assert_int_equal(system(cmd), 0);
}

/* callsight tail: a scriptable feed that exits non-zero when the daemon goes away */
static void
test_tail_exits_when_daemon_goes(void **state)
{
	struct env *e = *state;
	start_fake(e, "100");
	start_daemon(e);
	char tail[PATH_MAX], out[256], rcfile[256], cmd[PATH_MAX * 6];
	snprintf(tail, sizeof tail, "%s", e->daemon);
	char *slash = strrchr(tail, '/');
	snprintf(slash ? slash + 1 : tail, sizeof tail - (size_t)(slash ? slash + 1 - tail : 0), "callsight");
	snprintf(out, sizeof out, "%s/tail.ndjson", e->dir);
	snprintf(rcfile, sizeof rcfile, "%s/tail.rc", e->dir);
	snprintf(cmd, sizeof cmd, "(%s tail --json --socket %s > %s 2>&1; echo $? > %s) &", tail, e->sock,
	    out, rcfile);
	assert_int_equal(system(cmd), 0);
	/* until tail has shown an event (pairing and streaming take seconds on a loaded machine) */
	snprintf(cmd, sizeof cmd, "grep -q '\"type\":\"event\"' %s", out);
	for (int64_t end = now_ms() + 30000; now_ms() < end && system(cmd) != 0; sleep_ms(250))
		;
	kill(e->daemon_pid, SIGTERM);
	assert_int_equal(wait_exit(e->daemon_pid, 10000), 0);
	e->daemon_pid = 0;
	bool done = false;
	for (int64_t end = now_ms() + 5000; now_ms() < end && !done; sleep_ms(100))
		done = access(rcfile, R_OK) == 0;
	assert_true(done);
	snprintf(cmd, sizeof cmd, "grep -qx 1 %s && grep -q '\"type\":\"event\"' %s", rcfile, out);
	assert_int_equal(system(cmd), 0);
}


/* ---------------------------------------------------------------- issue 14: bounded under load */

/* CPU seconds (user + system) the process has used, in clock ticks */
static long
cpu_ticks(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return -1;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');	/* the name may hold spaces: fields start after it */
	unsigned long ut = 0, st = 0;
	if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (long)(ut + st);
}

static long
file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

/* a client socket connected without blocking (a full listen backlog answers EAGAIN): -1 if not */
static int
connect_nonblocking(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	memcpy(sun.sun_path, path, strnlen(path, sizeof sun.sun_path - 1));
	if (strlen(path) >= sizeof sun.sun_path)
		return -1;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof sun) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* A store of n lines made with SQL (the daemon makes the file, then stops): deterministic and
 * quick, where a live stream on a loaded machine is neither. */
static void
fill_store(struct env *e, long n)
{
	start_daemon(e);	/* makes the store (no device: nobody serves its usbmuxd socket) */
	kill(e->daemon_pid, SIGTERM);
	assert_int_equal(wait_exit(e->daemon_pid, 10000), 0);
	e->daemon_pid = 0;
	sqlite3 *db;
	assert_int_equal(sqlite3_open(e->store, &db), SQLITE_OK);
	char sql[1024], *msg = NULL;
	snprintf(sql, sizeof sql, "BEGIN; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
	    "WHERE i < %ld) INSERT INTO lines(device, number, time_us, recv_us, process, image, pid, level, "
	    "raw, msg_off, msg_len) SELECT '" UDID "', i, CAST(strftime('%%s', 'now') AS INTEGER) * 1000000 - "
	    "(%ld - i) * 1000, 0, 'App', 'Foundation', 42, 'Notice', printf('Nov 25 14:00:00 iPhone "
	    "App(Foundation)[42] <Notice>: line %%07d of a big store, with some payload to make it look like a "
	    "real log line', i), 54, 70 FROM n; COMMIT;", n, n);	/* recent: --max-age keeps them */
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		fprintf(stderr, "%s\n", msg);
	sqlite3_free(msg);
	sqlite3_close(db);
	assert_int_equal(rc, SQLITE_OK);
}

/* §1: --max-store-mb holds with the emulator at full speed (pruning follows the inflow) */
static void
test_store_cap_at_full_speed(void **state)
{
	struct env *e = *state;
	SKIP_UNDER_ASAN("the store cap at the emulator's full speed");
	start_fake(e, "0");
	char *extra[] = { "--max-store-mb", "4", NULL };
	start_daemon_with(e, extra);
	char wal[PATH_MAX + 8];
	snprintf(wal, sizeof wal, "%s-wal", e->store);
	long biggest = 0, biggest_db = 0;
	for (int64_t end = now_ms() + 25000; now_ms() < end; sleep_ms(250)) {
		long db = file_size(e->store), total = db + file_size(wal);
		biggest = total > biggest ? total : biggest;
		biggest_db = db > biggest_db ? db : biggest_db;
	}
	long lines = count_lines(e->store, false);
	fprintf(stderr, "# --max-store-mb 4 at full speed for 25 s: store file at most %.1f MB, with its "
	    "WAL %.1f MB; %ld lines kept\n", biggest_db / 1048576.0, biggest / 1048576.0, lines);
	assert_true(lines > 0);	/* the newest are kept (the demo at full speed is mostly flags: big records) */
	assert_true(biggest_db <= 4L * 1048576 * 115 / 100);
	assert_true(biggest <= 2 * 4L * 1048576);	/* and its WAL (one transaction at least) beside it */
	assert_true(alive(e->daemon_pid));
}

/* §3: a long history answer is paged through the client's queue: all of it arrives, then the end
 * record; without a limit, everything stored (the TUI's attach history asks that way). */
static void
test_history_paged(void **state)
{
	struct env *e = *state;
	fill_store(e, 150000);	/* made with SQL: deterministic, and quick on a loaded machine */
	start_daemon(e);
	long stored = count_lines(e->store, false);
	assert_true(stored >= 150000);
	struct client *c = client_open(e->sock);
	assert_non_null(c);
	json_decref(client_read(c, 3000));
	int asks[] = { 100000, 0 };
	for (int k = 0; k < 2; k++) {
		char req[160];
		if (asks[k])
			snprintf(req, sizeof req, "{\"id\":%d,\"request\":\"history\",\"types\":[\"line\"],"
			    "\"limit\":%d}\n", k + 1, asks[k]);
		else
			snprintf(req, sizeof req, "{\"id\":%d,\"request\":\"history\",\"types\":[\"line\"]}\n",
			    k + 1);
		client_send(c, req);
		long lines = 0, dropped = 0, count = -1;
		for (;;) {
			json_t *r = client_read(c, 20000);
			if (r == NULL)
				break;
			lines += is_type(r, "line");
			if (is_type(r, "dropped"))
				dropped += (long)json_integer_value(json_object_get(r, "count"));
			bool end = is_type(r, "end") && json_integer_value(json_object_get(r, "id")) == k + 1;
			if (end)
				count = (long)json_integer_value(json_object_get(r, "count"));
			json_decref(r);
			if (end)
				break;
		}
		fprintf(stderr, "# history of %s: %ld line records arrived, end record count %ld, dropped %ld\n",
		    asks[k] ? "100,000 lines (limit)" : "every stored line", lines, count, dropped);
		assert_int_equal(count, lines);		/* the end record came, and says what was sent */
		assert_int_equal(dropped, 0);		/* a reading client loses nothing */
		if (asks[k])
			assert_int_equal(lines, asks[k]);
		else
			assert_true(lines >= stored);
	}
	client_close(c);
}

/* §6: --auto-report under a flag storm (the demo call looped at full speed drops every few hundred
 * lines): nearby flags share a bundle, the queue is bounded, SIGTERM is obeyed promptly. */
static void
test_auto_report_storm(void **state)
{
	struct env *e = *state;
	char out[256], cmd[600];
	struct client *c = start_auto_report_daemon(e, out, sizeof out);
	long flags = 0;
	for (int64_t end = now_ms() + 15000; now_ms() < end;) {
		json_t *r = client_read(c, 1000);
		if (r && is_type(r, "flag"))
			flags++;
		json_decref(r);
	}
	client_close(c);
	fprintf(stderr, "# %ld flags in 15 s\n", flags);
	assert_true(flags >= 20);	/* a storm indeed */
	int64_t t0 = now_ms();
	kill(e->daemon_pid, SIGTERM);
	int rc = wait_exit(e->daemon_pid, 60000);
	double took = (double)(now_ms() - t0) / 1000.0;
	e->daemon_pid = 0;
	snprintf(cmd, sizeof cmd, "ls %s | grep -v '^\\.' | wc -l > %s/n", out, e->dir);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof cmd, "%s/n", e->dir);
	FILE *f = fopen(cmd, "r");
	long bundles = -1;
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld", &bundles), 1);
	fclose(f);
	fprintf(stderr, "# flag storm: %ld flags seen in 15 s, %ld bundles written, SIGTERM obeyed in %.1f s "
	    "(exit %d)\n", flags, bundles, took, rc);
	assert_int_equal(rc, 0);
	assert_true(took < 20);
	assert_true(bundles >= 1 && bundles <= 8);
}

/* One whole-store report while another client pings: the daemon's RSS increase while it is
 * written (peak minus the RSS before), and the bundle's path in *path. */
static long
report_whole_store(struct env *e, char *path, size_t pathlen)
{
	long rss0 = rss_kb(e->daemon_pid);
	struct client *a = client_open(e->sock), *b = client_open(e->sock);
	assert_non_null(a);
	assert_non_null(b);
	json_decref(client_read(a, 3000));
	json_decref(client_read(b, 3000));
	char req[PATH_MAX + 128];
	snprintf(req, sizeof req, "{\"id\":1,\"request\":\"report\",\"out\":\"%s\"}\n", e->dir);
	client_send(a, req);
	int64_t worst = 0, t_start = now_ms();
	json_t *done = NULL;
	int pings = 0;
	long peak = rss0;
	while (done == NULL && now_ms() - t_start < 240000) {
		int64_t t0 = now_ms();
		char ping[64];
		snprintf(ping, sizeof ping, "{\"id\":%d,\"request\":\"ping\"}\n", 100 + pings);
		client_send(b, ping);
		json_t *pong = client_expect(b, "pong", 100 + pings, 120000);
		assert_non_null(pong);
		json_decref(pong);
		pings++;
		if (now_ms() - t0 > worst)
			worst = now_ms() - t0;
		long rss = rss_kb(e->daemon_pid);
		peak = rss > peak ? rss : peak;
		json_t *r = client_read(a, 100);
		if (r && (is_type(r, "report") || is_type(r, "error")))
			done = r;
		else
			json_decref(r);
	}
	long hwm = status_kb(e->daemon_pid, "VmHWM:");	/* the true peak: no spike slips between samples */
	peak = hwm > peak ? hwm : peak;
	fprintf(stderr, "# report on a %ld-line store: %.1f s, daemon RSS %ld MB before, %ld MB at most while "
	    "writing (+%ld MB), worst ping %lld ms over %d pings\n", count_lines(e->store, false),
	    (double)(now_ms() - t_start) / 1000.0, rss0 / 1024, peak / 1024, (peak - rss0) / 1024,
	    (long long)worst, pings);
	assert_non_null(done);
	if (!is_type(done, "report"))
		fprintf(stderr, "%s\n", json_string_value(json_object_get(done, "message")));
	assert_true(is_type(done, "report"));
	snprintf(path, pathlen, "%s", json_string_value(json_object_get(done, "path")));
	json_decref(done);
	assert_true(worst < 3000);
	client_close(a);
	client_close(b);
	return peak - rss0;
}

/* §2: `report` with no flag and no window on a big store (made with SQL): the bundle is streamed
 * from the store off the loop, holds every line of the window (no cap), another client's pings
 * are answered meanwhile, and the daemon's memory while writing it is small and does not grow
 * with the store (300,000 lines, then 600,000). */
static void
test_report_big_store(void **state)
{
	struct env *e = *state;
	long grew[2];
	char path[1024], cmd[4 * 1024 + 512];
	for (int k = 0; k < 2; k++) {
		fill_store(e, 300000);	/* the second round adds 300,000 more */
		start_daemon(e);
		grew[k] = report_whole_store(e, path, sizeof path);
		/* every line of the window, in capture order (the last of the first round, then the second's) */
		snprintf(cmd, sizeof cmd, "test $(wc -l < '%s/syslog.txt') -eq %d && ! grep -q 'newest' '%s/report.html' "
		    "&& grep -q '%d lines' '%s/report.html' && sed -n '300000p' '%s/syslog.txt' | grep -q 'line 0300000 of'",
		    path, 300000 * (k + 1), path, 300000 * (k + 1), path, path);
		assert_int_equal(system(cmd), 0);
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
		assert_int_equal(system(cmd), 0);
		kill(e->daemon_pid, SIGTERM);
		assert_int_equal(wait_exit(e->daemon_pid, 10000), 0);
		e->daemon_pid = 0;
	}
#if !defined(__SANITIZE_ADDRESS__)	/* memory bounds are the plain build's (see SKIP_UNDER_ASAN) */
	assert_true(grew[0] < 32 * 1024);
	assert_true(grew[1] < 32 * 1024);
	assert_true(grew[1] < grew[0] + 8 * 1024);	/* flat: twice the store, not more memory */
#else
	(void)grew;
	print_message("note: the report's memory bounds are measured in the plain build, not under ASan\n");
#endif
}

/* §4: 300 clients against ulimit -n 128: no busy loop, no stderr flood, one line that says why,
 * and accepting resumes when clients leave. */
static void
test_out_of_descriptors(void **state)
{
	struct env *e = *state;
	start_fake(e, "100");
	start_daemon(e);
	struct rlimit lim = { 128, 128 };
	assert_int_equal(prlimit(e->daemon_pid, RLIMIT_NOFILE, &lim, NULL), 0);
	long log0 = file_size(e->errlog);
	int fds[300], n = 0;
	/* a full backlog answers EAGAIN: keep trying for a while, as impatient clients do */
	for (int64_t end = now_ms() + 8000; n < 300 && now_ms() < end;) {
		if ((fds[n] = connect_nonblocking(e->sock)) >= 0)
			n++;
		else
			sleep_ms(10);
	}
	sleep_ms(1500);
	long t0 = cpu_ticks(e->daemon_pid);
	int64_t w0 = now_ms();
	sleep_ms(4000);
	long t1 = cpu_ticks(e->daemon_pid);
	double cpu = (double)(t1 - t0) / (double)sysconf(_SC_CLK_TCK) / ((double)(now_ms() - w0) / 1000.0);
	long logged = file_size(e->errlog) - log0;
	fprintf(stderr, "# out of descriptors: %d clients connected, daemon CPU %.0f %%, %ld bytes on stderr\n",
	    n, cpu * 100, logged);
	assert_true(cpu < 0.25);
	assert_true(logged < 4096);
	assert_true(log_has(e, "not accepting until a client leaves", 1000));
	assert_true(alive(e->daemon_pid));
	for (int i = 0; i < n; i++)
		close(fds[i]);
	/* served again once the crowd has gone */
	struct client *c = NULL;
	for (int64_t end = now_ms() + 10000; now_ms() < end && c == NULL; sleep_ms(200))
		c = client_open(e->sock);
	assert_non_null(c);
	json_t *hello = client_read(c, 5000);
	assert_true(is_type(hello, "hello"));
	json_decref(hello);
	client_send(c, "{\"id\":1,\"request\":\"ping\"}\n");
	json_t *pong = client_expect(c, "pong", 1, 5000);
	assert_non_null(pong);
	json_decref(pong);
	client_close(c);
}

/* §5: 100 subscribers that never read hold a bounded amount in all, and the memory is given back
 * when they leave; a client that reads is still served. */
static void
test_memory_across_clients(void **state)
{
	struct env *e = *state;
	SKIP_UNDER_ASAN("the memory held by clients that never read");
	start_fake(e, "0");
	start_daemon(e);
	sleep_ms(1500);
	long rss0 = rss_kb(e->daemon_pid);
	struct client *idle[100];
	for (int i = 0; i < 100; i++) {
		idle[i] = client_open(e->sock);
		assert_non_null(idle[i]);
		client_send(idle[i], "{\"id\":1,\"request\":\"subscribe\",\"lines\":true}\n");
	}
	sleep_ms(10000);
	long rss1 = rss_kb(e->daemon_pid);
	struct client *c = client_open(e->sock);
	assert_non_null(c);
	json_decref(client_read(c, 3000));
	client_send(c, "{\"id\":9,\"request\":\"ping\"}\n");
	json_t *pong = client_expect(c, "pong", 9, 5000);
	assert_non_null(pong);
	json_decref(pong);
	for (int i = 0; i < 100; i++)
		client_close(idle[i]);
	sleep_ms(3000);
	long rss2 = rss_kb(e->daemon_pid);
	fprintf(stderr, "# 100 clients that never read: daemon RSS %ld -> %ld MB; %ld MB after they left\n",
	    rss0 / 1024, rss1 / 1024, rss2 / 1024);
	assert_true(rss1 - rss0 < 112 * 1024);	/* the 64 MiB cap of all queues, and the heap's slack */
	assert_true(rss2 - rss0 < 40 * 1024);
	client_close(c);
	assert_true(alive(e->daemon_pid));
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_protocol, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_clients_and_a_slow_one, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_user_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_dir_and_second_daemon_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_survives_kill9, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sighup_reload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_detached_daemon_logs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auto_report, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tail_exits_when_daemon_goes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_cap_at_full_speed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_history_paged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auto_report_storm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_big_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_descriptors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memory_across_clients, setup, teardown),
	};
	if (getenv("SERVICE_TESTS"))	/* a glob: run only those (while developing) */
		cmocka_set_test_filter(getenv("SERVICE_TESTS"));
	return cmocka_run_group_tests_name("service", tests, NULL, NULL);
}

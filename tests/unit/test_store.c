/*
 * test_store.c - the SQLite store: created private (0600 file, 0700 folder) in WAL mode, refuses
 * files it must not use (open to others, garbage, someone else's SQLite), keeps committed records
 * across kill -9 and reopening, answers history and raw-line queries in order, and stays inside
 * its size and age bounds under load (and says how fast it writes).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "callsightd.h"

#define SEC	1000000LL
#define T0	(1772625600LL * SEC)	/* 2026-03-04T12:00:00Z */

/* ---------------------------------------------------------------- helpers */

struct tmp {
	char dir[256];
	char path[320];
};

static void
tmp_make(struct tmp *t, const char *leaf)
{
	snprintf(t->dir, sizeof t->dir, "/tmp/cs-store-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->path, sizeof t->path, "%s/%s", t->dir, leaf);
}

static void
tmp_clean(struct tmp *t)
{
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->dir);
	assert_int_equal(system(cmd), 0);
}

static struct cs_store *
open_store(const char *path, int64_t max_bytes, int64_t max_age_us)
{
	char err[512] = "";
	struct cs_store_options o = { .path = path, .max_bytes = max_bytes, .max_age_us = max_age_us };
	struct cs_store *s = cs_store_open(&o, err, sizeof err);
	if (s == NULL)
		fprintf(stderr, "open %s: %s\n", path, err);
	return s;
}

/* a syslog-style line with its fields pointing into one buffer */
struct fake_line {
	char raw[512];
	struct cs_line line;
};

static void
fake_line(struct fake_line *f, const char *device, uint64_t number, int64_t time_us, const char *process,
    const char *message)
{
	int n = snprintf(f->raw, sizeof f->raw, "Mar  4 12:00:%02d iPhone %s(Foundation)[4242] <Notice>: %s",
	    (int)((time_us / SEC) % 60), process, message);
	f->line = (struct cs_line){
		.number = number, .time_us = time_us, .format = CS_FMT_syslog, .device = "iPhone",
		.process = process, .image = "Foundation", .pid = 4242, .level = "Notice",
		.raw = f->raw, .raw_len = (size_t)n, .udid = device,
	};
	f->line.message = f->raw + n - strlen(message);
	f->line.message_len = strlen(message);
}

static int64_t
count_rows(const char *path, const char *sql)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

static char *
query_text(const char *path, const char *sql)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	char *text = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return text;
}

static double
seconds_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* collect history records as compact JSON lines */
struct collected {
	char	*text[256];
	size_t	 n;
	size_t	 stop_after;	/* 0 = never stop */
};

static int
collect(json_t *record, void *ctx)
{
	struct collected *c = ctx;
	if (c->n < 256)
		c->text[c->n++] = json_dumps(record, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(record);
	return c->stop_after && c->n >= c->stop_after;
}

static void
collected_free(struct collected *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->text[i]);
	c->n = 0;
}

/* write a small session: device, app, 5 lines with events, states, a flag and a mark */
static void
write_session(struct cs_store *s, const char *udid, int64_t t0)
{
	assert_int_equal(cs_store_device(s, udid, "Ana's iPhone", "17.5", "iPhone15,2", "attached", "", t0),
	    0);
	struct cs_app_facts facts = { .known = true, .microphone_usage = true, .camera_usage = true };
	assert_int_equal(cs_store_app(s, udid, "com.example.VideoCall", &facts, "[]"), 0);
	const char *messages[] = { "sessionDidConnect:", "Setting process visibility to: Background",
		"running-suspended", "sessionDidDisconnect:", "unrelated line" };
	enum cs_event_kind kinds[] = { CS_EV_call_connected, CS_EV_app_background, CS_EV_app_suspended,
		CS_EV_call_disconnected };
	for (int i = 0; i < 5; i++) {
		struct fake_line f;
		fake_line(&f, udid, (uint64_t)i + 1, t0 + (i + 1) * SEC, "VideoCall", messages[i]);
		assert_int_equal(cs_store_line(s, NULL, &f.line), 0);
		if (i < 4) {
			struct cs_event ev = { .kind = kinds[i], .line = &f.line, .rule = "10-opentok.rules:1" };
			assert_int_equal(cs_store_event(s, NULL, &ev), 0);
		}
	}
	struct cs_state_change ch = { .lane = CS_LANE_app, .state = "suspended", .time_us = t0 + 3 * SEC,
		.line = 3, .device = udid, .app = "com.example.VideoCall" };
	assert_int_equal(cs_store_state(s, &ch), 0);
	struct cs_flag flag = { .id = 1, .cause = CS_CAUSE_missing_background_mode, .confidence = 0.9,
		.time_us = t0 + 3 * SEC, .line = 4, .inferred = false, .nevidence = 1 };
	cs_strlcpy(flag.device, udid, sizeof flag.device);
	cs_strlcpy(flag.app, "com.example.VideoCall", sizeof flag.app);
	cs_strlcpy(flag.detail, "suspended in background while the call was up", sizeof flag.detail);
	flag.evidence[0] = (struct cs_evidence){ .line = 3, .kind = CS_EV_app_suspended,
		.time_us = t0 + 3 * SEC, .text = "running-suspended" };
	assert_int_equal(cs_store_flag(s, &flag), 0);
	assert_true(cs_store_mark(s, udid, t0 + 2500000, "locked the phone here") > 0);
}

/* ---------------------------------------------------------------- opening */

static void
test_creates_private_wal_store(void **state)
{
	struct tmp t;
	tmp_make(&t, "a/b/store.db");
	struct cs_store *s = open_store(t.path, 0, 0);
	assert_non_null(s);
	write_session(s, "UDID-1", T0);
	assert_int_equal(cs_store_commit(s), 0);

	struct stat st;
	assert_int_equal(stat(t.path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	char sub[400];
	snprintf(sub, sizeof sub, "%s/a", t.dir);
	assert_int_equal(stat(sub, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	snprintf(sub, sizeof sub, "%s-wal", t.path);
	assert_int_equal(stat(sub, &st), 0);		/* WAL: the log file exists while open */
	assert_int_equal(st.st_mode & 077, 0);		/* and is as private as the store */

	char *mode = query_text(t.path, "PRAGMA journal_mode");
	assert_string_equal(mode, "wal");
	free(mode);
	assert_true(cs_store_is_store_file(t.path));
	assert_true(cs_store_size(s) > 0);
	cs_store_close(s);
	tmp_clean(&t);
}

static void
test_refuses_store_open_to_others(void **state)
{
	struct tmp t;
	tmp_make(&t, "store.db");
	struct cs_store *s = open_store(t.path, 0, 0);
	assert_non_null(s);
	cs_store_close(s);
	assert_int_equal(chmod(t.path, 0644), 0);
	char err[512] = "";
	struct cs_store_options o = { .path = t.path };
	assert_null(cs_store_open(&o, err, sizeof err));
	assert_non_null(strstr(err, "other users"));
	assert_non_null(strstr(err, t.path));
	struct stat st;
	assert_int_equal(stat(t.path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);	/* refused, not silently changed */
	tmp_clean(&t);
}

static void
test_refuses_garbage_and_foreign_files(void **state)
{
	struct tmp t;
	tmp_make(&t, "garbage.db");
	char err[512] = "";
	struct cs_store_options o = { .path = t.path };

	/* random bytes */
	int fd = open(t.path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	char junk[4096];
	for (size_t i = 0; i < sizeof junk; i++)
		junk[i] = (char)(i * 131 + 7);
	assert_int_equal(write(fd, junk, sizeof junk), (ssize_t)sizeof junk);
	close(fd);
	assert_false(cs_store_is_store_file(t.path));
	assert_null(cs_store_open(&o, err, sizeof err));
	assert_non_null(strstr(err, "not a callsight store"));

	/* the SQLite header, then garbage: SQLite itself refuses it */
	fd = open(t.path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "SQLite format 3", 16), 16);
	assert_int_equal(write(fd, junk, sizeof junk), (ssize_t)sizeof junk);
	close(fd);
	assert_true(cs_store_is_store_file(t.path));
	err[0] = '\0';
	assert_null(cs_store_open(&o, err, sizeof err));
	assert_true(err[0] != '\0');

	/* somebody else's SQLite database */
	unlink(t.path);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(t.path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	chmod(t.path, 0600);
	err[0] = '\0';
	assert_null(cs_store_open(&o, err, sizeof err));
	assert_non_null(strstr(err, "not a callsight store"));
	tmp_clean(&t);
}

/* A real store of n lines (closed: its WAL checkpointed into the file); its size in bytes. */
static long
make_real_store(const char *path, int n)
{
	struct cs_store *s = open_store(path, 0, 0);
	assert_non_null(s);
	for (int i = 0; i < n; i++) {
		char msg[128];
		snprintf(msg, sizeof msg, "line %06d of a store that will be damaged, with some payload", i);
		struct fake_line f;
		fake_line(&f, "UDID-1", (uint64_t)i + 1, T0 + i * 1000LL, "VideoCall", msg);
		assert_int_equal(cs_store_line(s, NULL, &f.line), 0);
	}
	write_session(s, "UDID-1", T0 + 3600 * SEC);
	cs_store_close(s);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return (long)st.st_size;
}

/* The store at path is refused both ways, written (the daemon) and read (--replay), each message
 * naming the file, "damaged (corrupt)", what (both ways) and what to do (written, read). */
static void
expect_refused(const char *path, const char *what, const char *written, const char *read)
{
	struct cs_store_options rw = { .path = path }, ro = { .path = path, .read_only = true };
	for (int k = 0; k < 2; k++) {
		char err[1024] = "";
		assert_null(cs_store_open(k ? &ro : &rw, err, sizeof err));
		fprintf(stderr, "# %s\n", err);
		assert_non_null(strstr(err, path));
		assert_non_null(strstr(err, "damaged (corrupt)"));
		assert_non_null(strstr(err, what));
		assert_non_null(strstr(err, k ? read : written));
	}
}

/* §7: a damaged store is refused at open with a message that names the file and what is wrong,
 * whether it is to be written (the daemon) or only read (--replay of a store); a healthy one
 * still opens. */
static void
test_refuses_damaged_store(void **state)
{
	struct tmp t;
	tmp_make(&t, "capture.db");
	long size = make_real_store(t.path, 30000);
	assert_true(size > 1024 * 1024);
	char err[1024] = "", cmd[1024];
	struct cs_store_options ro = { .path = t.path, .read_only = true };
	struct cs_store *s = cs_store_open(&ro, err, sizeof err);
	assert_non_null(s);
	cs_store_close(s);

	/* garbage over eight pages in the middle (as `dd conv=notrunc` would write it) */
	snprintf(cmd, sizeof cmd, "head -c 32768 /dev/zero | tr '\\0' 'X' | dd of='%s' bs=4096 seek=%ld "
	    "conv=notrunc status=none", t.path, size / 4096 / 2);
	assert_int_equal(system(cmd), 0);
	expect_refused(t.path, "Page ", "will not write into it", "cannot be replayed");
	/* the refused file is left as it was, for the user to recover */
	struct stat st;
	assert_int_equal(stat(t.path, &st), 0);
	assert_int_equal(st.st_size, size);

	/* a truncated store (half of it) */
	unlink(t.path);
	size = make_real_store(t.path, 30000);
	assert_int_equal(truncate(t.path, size / 2), 0);
	expect_refused(t.path, "the file is truncated", "will not write into it", "cannot be replayed");
	tmp_clean(&t);
}

static void
test_refuses_path_it_cannot_create(void **state)
{
	struct tmp t;
	tmp_make(&t, "file");
	int fd = open(t.path, O_WRONLY | O_CREAT, 0600);	/* a file where a folder should be */
	assert_true(fd >= 0);
	close(fd);
	char path[512], err[512] = "";
	snprintf(path, sizeof path, "%s/sub/store.db", t.path);
	struct cs_store_options o = { .path = path };
	assert_null(cs_store_open(&o, err, sizeof err));
	assert_non_null(strstr(err, "store folder"));
	o.path = "";
	assert_null(cs_store_open(&o, err, sizeof err));
	assert_false(cs_store_is_store_file("/nonexistent/store.db"));
	tmp_clean(&t);
}

/* ---------------------------------------------------------------- reading back */

static void
test_history_in_time_order_with_filters(void **state)
{
	struct cs_store *s = open_store(":memory:", 0, 0);
	assert_non_null(s);
	write_session(s, "UDID-1", T0);
	write_session(s, "UDID-2", T0 + 100 * SEC);
	assert_int_equal(cs_store_commit(s), 0);

	struct collected c = { 0 };
	assert_int_equal(cs_store_history(s, "UDID-1", 0, 0, CS_REC_DEFAULT, 0, collect, &c), 0);
	/* app first (no time), device, event, event, mark, event, state?, ... in time order */
	assert_int_equal(c.n, 1 + 1 + 4 + 1 + 1 + 1);
	assert_non_null(strstr(c.text[0], "\"type\":\"app\""));
	assert_non_null(strstr(c.text[0], "\"microphone_usage\":true"));
	assert_non_null(strstr(c.text[1], "\"type\":\"device\""));
	assert_non_null(strstr(c.text[1], "\"name\":\"Ana's iPhone\""));
	assert_non_null(strstr(c.text[2], "\"kind\":\"call_connected\""));
	assert_non_null(strstr(c.text[3], "\"kind\":\"app_background\""));
	assert_non_null(strstr(c.text[4], "\"type\":\"mark\""));
	assert_non_null(strstr(c.text[4], "\"note\":\"locked the phone here\""));
	assert_non_null(strstr(c.text[5], "\"kind\":\"app_suspended\""));	/* t0+3: event, state, flag */
	assert_non_null(strstr(c.text[6], "\"type\":\"state\""));
	assert_non_null(strstr(c.text[7], "\"type\":\"flag\""));
	assert_non_null(strstr(c.text[7], "\"cause\":\"missing_background_mode\""));
	assert_non_null(strstr(c.text[8], "\"kind\":\"call_disconnected\""));
	for (size_t i = 0; i < c.n; i++)
		assert_null(strstr(c.text[i], "UDID-2"));
	collected_free(&c);

	/* every device, a window, a type mask, a limit */
	assert_int_equal(cs_store_history(s, NULL, T0 + 2 * SEC, T0 + 102 * SEC, CS_REC_EVENT, 0, collect,
	    &c), 0);
	assert_int_equal(c.n, 3 + 2);	/* UDID-1 events at +2,+3,+4; UDID-2 at +101,+102 */
	collected_free(&c);
	assert_int_equal(cs_store_history(s, NULL, 0, 0, CS_REC_FLAG | CS_REC_EVENT, 3, collect, &c), 0);
	assert_int_equal(c.n, 3);
	collected_free(&c);
	c.stop_after = 2;
	assert_int_equal(cs_store_history(s, NULL, 0, 0, CS_REC_DEFAULT, 0, collect, &c), 0);
	assert_int_equal(c.n, 2);	/* the callback stopped the walk */
	collected_free(&c);
	c.stop_after = 0;

	/* line records: the message rebuilt from the raw text */
	assert_int_equal(cs_store_history(s, "UDID-2", 0, 0, CS_REC_LINE, 0, collect, &c), 0);
	assert_int_equal(c.n, 5);
	assert_non_null(strstr(c.text[0], "\"type\":\"line\""));
	assert_non_null(strstr(c.text[0], "\"message\":\"sessionDidConnect:\""));
	assert_non_null(strstr(c.text[0], "\"process\":\"VideoCall\""));
	assert_non_null(strstr(c.text[0], "\"time\":\"2026-03-04T12:01:41.000Z\""));
	collected_free(&c);
	cs_store_close(s);
}

static void
test_line_message_outside_raw_is_kept(void **state)
{
	struct cs_store *s = open_store(":memory:", 0, 0);
	assert_non_null(s);
	struct fake_line f;
	fake_line(&f, "D", 1, T0, "VideoCall", "first part");
	f.line.message = "first part\nsecond part";	/* a joined continuation, not a substring */
	f.line.message_len = strlen(f.line.message);
	assert_int_equal(cs_store_line(s, NULL, &f.line), 0);
	struct collected c = { 0 };
	assert_int_equal(cs_store_history(s, NULL, 0, 0, CS_REC_LINE, 0, collect, &c), 0);
	assert_int_equal(c.n, 1);
	assert_non_null(strstr(c.text[0], "\"message\":\"first part\\nsecond part\""));
	collected_free(&c);
	cs_store_close(s);
}

struct raw_seen {
	char	text[64][96];
	char	device[64][16];
	size_t	n;
};

static void
on_raw(const char *device, const char *raw, size_t len, int64_t time_us, void *ctx)
{
	struct raw_seen *r = ctx;
	if (r->n < 64) {
		snprintf(r->text[r->n], sizeof r->text[0], "%.*s", (int)len, raw);
		snprintf(r->device[r->n], sizeof r->device[0], "%s", device);
		r->n++;
	}
}

static void
test_raw_lines_in_capture_order(void **state)
{
	struct cs_store *s = open_store(":memory:", 0, 0);
	assert_non_null(s);
	/* capture order is not time order: the 3rd line carries an earlier stamp */
	int64_t times[] = { T0 + 10 * SEC, T0 + 11 * SEC, T0 + 5 * SEC, T0 + 12 * SEC };
	for (int i = 0; i < 4; i++) {
		struct fake_line f;
		char msg[32];
		snprintf(msg, sizeof msg, "line %d", i + 1);
		fake_line(&f, i % 2 ? "B" : "A", (uint64_t)i + 1, times[i], "VideoCall", msg);
		assert_int_equal(cs_store_line(s, NULL, &f.line), 0);
	}
	struct raw_seen r = { 0 };
	assert_int_equal(cs_store_raw_lines(s, NULL, 0, 0, on_raw, &r), 0);
	assert_int_equal(r.n, 4);	/* grouped by device, capture order within */
	assert_string_equal(r.device[0], "A");
	assert_non_null(strstr(r.text[0], "line 1"));
	assert_non_null(strstr(r.text[1], "line 3"));
	assert_string_equal(r.device[2], "B");
	assert_non_null(strstr(r.text[2], "line 2"));
	r.n = 0;
	assert_int_equal(cs_store_raw_lines(s, "A", T0 + 5 * SEC, T0 + 10 * SEC, on_raw, &r), 0);
	assert_int_equal(r.n, 2);
	assert_non_null(strstr(r.text[0], "line 1"));
	assert_non_null(strstr(r.text[1], "line 3"));
	cs_store_close(s);
}

static void
test_reopen_continues(void **state)
{
	struct tmp t;
	tmp_make(&t, "store.db");
	struct cs_store *s = open_store(t.path, 0, 0);
	assert_non_null(s);
	write_session(s, "UDID-1", T0);
	cs_store_close(s);	/* commits */

	s = open_store(t.path, 0, 0);
	assert_non_null(s);
	int64_t mark = cs_store_mark(s, "UDID-1", T0 + 50 * SEC, "second run");
	assert_int_equal(mark, 2);	/* ids continue */
	write_session(s, "UDID-1", T0 + 60 * SEC);
	assert_int_equal(cs_store_commit(s), 0);
	struct collected c = { 0 };
	assert_int_equal(cs_store_history(s, "UDID-1", 0, 0, CS_REC_FLAG | CS_REC_MARK, 0, collect, &c), 0);
	assert_int_equal(c.n, 5);	/* 2 flags, 3 marks */
	collected_free(&c);
	cs_store_close(s);
	assert_int_equal(count_rows(t.path, "PRAGMA user_version"), 1);
	assert_int_equal(count_rows(t.path, "SELECT count(*) FROM lines"), 10);
	tmp_clean(&t);
}

/* ---------------------------------------------------------------- crash safety and errors */

#define CRASH_BATCH	500
#define CRASH_BATCHES	20

static void
crash_child(const char *path, int report_fd)
{
	struct cs_store *s = open_store(path, 0, 0);
	if (s == NULL)
		_exit(3);
	uint64_t number = 0;
	for (int b = 0; b < CRASH_BATCHES; b++) {
		for (int i = 0; i < CRASH_BATCH; i++) {
			struct fake_line f;
			number++;
			fake_line(&f, "UDID-K", number, T0 + (int64_t)number * 1000, "VideoCall",
			    "a line written just before the crash");
			if (cs_store_line(s, NULL, &f.line) < 0)
				_exit(4);
		}
		if (cs_store_commit(s) < 0)
			_exit(5);
		if (write(report_fd, &number, sizeof number) != (ssize_t)sizeof number)
			_exit(6);
	}
	for (int i = 0; i < CRASH_BATCH / 2; i++) {	/* mid-batch: written, not committed */
		struct fake_line f;
		number++;
		fake_line(&f, "UDID-K", number, T0, "VideoCall", "never committed");
		cs_store_line(s, NULL, &f.line);
	}
	raise(SIGKILL);
	_exit(7);
}

static void
test_committed_lines_survive_kill_9(void **state)
{
	struct tmp t;
	tmp_make(&t, "store.db");
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		crash_child(t.path, fds[1]);
	}
	close(fds[1]);
	uint64_t committed = 0, n;
	while (read(fds[0], &n, sizeof n) == (ssize_t)sizeof n)
		committed = n;
	close(fds[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	assert_int_equal(committed, CRASH_BATCH * CRASH_BATCHES);

	char *check = query_text(t.path, "PRAGMA integrity_check");
	assert_string_equal(check, "ok");
	free(check);
	assert_int_equal(count_rows(t.path, "SELECT count(*) FROM lines"), (int64_t)committed);
	assert_int_equal(count_rows(t.path, "SELECT count(DISTINCT number) FROM lines WHERE number <= "
	    "(SELECT max(number) FROM lines)"), (int64_t)committed);
	assert_int_equal(count_rows(t.path, "SELECT count(*) FROM lines WHERE raw LIKE '%never%'"), 0);
	struct cs_store *s = open_store(t.path, 0, 0);	/* and the daemon carries on with it */
	assert_non_null(s);
	cs_store_close(s);
	tmp_clean(&t);
}

static void
test_write_error_returns_and_recovers(void **state)
{
	struct tmp t;
	tmp_make(&t, "store.db");
	struct cs_store *s = open_store(t.path, 0, 0);
	assert_non_null(s);
	struct fake_line f;
	fake_line(&f, "UDID-1", 1, T0, "VideoCall", "hello");
	assert_int_equal(cs_store_line(s, NULL, &f.line), 0);
	assert_int_equal(cs_store_commit(s), 0);

	/* another writer holds the lock: our write fails (after the busy timeout), it does not abort */
	sqlite3 *other;
	assert_int_equal(sqlite3_open(t.path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(cs_store_line(s, NULL, &f.line), -1);
	int64_t mark = cs_store_mark(s, "UDID-1", T0, "x");
	assert_int_equal(mark, -1);
	assert_int_equal(cs_store_commit(s), 0);	/* the failed statements left nothing to commit */
	assert_int_equal(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(other);

	assert_int_equal(cs_store_line(s, NULL, &f.line), 0);	/* and it recovers */
	assert_int_equal(cs_store_commit(s), 0);
	assert_int_equal(cs_store_app(s, "UDID-1", "com.x", NULL, "{not json"), -1);
	cs_store_close(s);
	assert_int_equal(count_rows(t.path, "SELECT count(*) FROM lines"), 2);
	tmp_clean(&t);
}

/* ---------------------------------------------------------------- bounds */

#define LOAD_LINES	200000
#define LOAD_MAX_BYTES	(8 * 1024 * 1024)
#define LOAD_BATCH	1000	/* lines between commits: ~250 ms of a busy phone */

static void
test_size_bound_holds_under_load(void **state)
{
	struct tmp t;
	tmp_make(&t, "store.db");
	struct cs_store *s = open_store(t.path, LOAD_MAX_BYTES, 0);
	assert_non_null(s);
	double start = seconds_now(), prune_time = 0, worst_prune = 0;
	int64_t biggest = 0;
	for (int i = 1; i <= LOAD_LINES; i++) {
		struct fake_line f;
		char msg[160];
		snprintf(msg, sizeof msg, "Calculated state for application<com.example.VideoCall>: "
		    "running-active (role: UserInteractiveNonFocal) seq=%d", i);
		fake_line(&f, "00008030-001A2D1E3C02802E", (uint64_t)i, T0 + (int64_t)i * 1000, "runningboardd",
		    msg);
		assert_int_equal(cs_store_line(s, NULL, &f.line), 0);
		if (i % LOAD_BATCH == 0) {
			double p0 = seconds_now();
			assert_int_equal(cs_store_prune(s, T0 + (int64_t)i * 1000), 0);
			double dt = seconds_now() - p0;
			prune_time += dt;
			if (dt > worst_prune)
				worst_prune = dt;
			assert_int_equal(cs_store_commit(s), 0);
			int64_t size = cs_store_size(s);
			if (size > biggest)
				biggest = size;
		}
	}
	double elapsed = seconds_now() - start;
	struct stat st;
	assert_int_equal(stat(t.path, &st), 0);
	char wal[400];
	snprintf(wal, sizeof wal, "%s-wal", t.path);
	struct stat wst = { 0 };
	stat(wal, &wst);
	int64_t kept = count_rows(t.path, "SELECT count(*) FROM lines");
	printf("store: %d lines in %.2f s = %.0f lines/s (prune %.2f s total, worst %.1f ms); "
	    "max_bytes %d: store at most %lld bytes, file %lld bytes, wal %lld bytes, %lld lines kept\n",
	    LOAD_LINES, elapsed, LOAD_LINES / elapsed, prune_time, worst_prune * 1000, LOAD_MAX_BYTES,
	    (long long)biggest, (long long)st.st_size, (long long)wst.st_size, (long long)kept);
	assert_true(biggest <= LOAD_MAX_BYTES + LOAD_MAX_BYTES / 16);
	assert_true(st.st_size <= LOAD_MAX_BYTES + LOAD_MAX_BYTES / 16);
	assert_true(kept > 10000 && kept < LOAD_LINES);
	/* the newest lines are the ones kept */
	assert_int_equal(count_rows(t.path, "SELECT max(number) FROM lines"), LOAD_LINES);
	cs_store_close(s);
	tmp_clean(&t);
}

/* A flag storm under the size bound: flags are big records, lines small ones. The store keeps the
 * same stretch of time in both (pruning lines first used to delete every line while the flags filled
 * the cap: flags then named evidence that was gone; CI saw "0 lines kept" at full speed). */
static void
test_size_bound_keeps_one_window(void **state)
{
	struct tmp t;
	tmp_make(&t, "store.db");
	const int64_t max_bytes = 1024 * 1024;
	struct cs_store *s = open_store(t.path, max_bytes, 0);
	assert_non_null(s);
	const char *udid = "00008030-001A2D1E3C02802E";
	int64_t biggest = 0;
	for (int i = 1; i <= 20000; i++) {
		int64_t when = T0 + (int64_t)i * 1000;
		struct fake_line f;
		fake_line(&f, udid, (uint64_t)i, when, "VideoCall", "sessionDidDisconnect:");
		assert_int_equal(cs_store_line(s, NULL, &f.line), 0);
		struct cs_flag flag = { .id = (uint64_t)i, .cause = CS_CAUSE_missing_background_mode,
			.confidence = 0.9, .time_us = when, .line = (uint64_t)i, .nevidence = CS_MAX_EVIDENCE };
		cs_strlcpy(flag.device, udid, sizeof flag.device);
		cs_strlcpy(flag.app, "com.example.VideoCall", sizeof flag.app);
		memset(flag.detail, 'd', sizeof flag.detail - 1);
		for (size_t k = 0; k < CS_MAX_EVIDENCE; k++)
			flag.evidence[k] = (struct cs_evidence){ .line = (uint64_t)i, .kind = CS_EV_app_suspended,
				.time_us = when, .text = "running-suspended (role: NonUserInteractive) reason: the "
				"app is no longer a foreground app and holds no assertion that keeps it running" };
		assert_int_equal(cs_store_flag(s, &flag), 0);
		if (i % 100 == 0) {
			assert_int_equal(cs_store_prune(s, when), 0);
			assert_int_equal(cs_store_commit(s), 0);
			int64_t size = cs_store_size(s);
			if (size > biggest)
				biggest = size;
		}
	}
	cs_store_close(s);
	int64_t lines = count_rows(t.path, "SELECT count(*) FROM lines");
	int64_t flags = count_rows(t.path, "SELECT count(*) FROM flags");
	int64_t first_line = count_rows(t.path, "SELECT min(number) FROM lines");
	int64_t first_flag = (count_rows(t.path, "SELECT min(time_us) FROM flags") - T0) / 1000;
	printf("flag storm under a 1 MiB cap: store at most %lld bytes; %lld lines (from #%lld), %lld flags "
	    "(from line #%lld) kept\n", (long long)biggest, (long long)lines, (long long)first_line,
	    (long long)flags, (long long)first_flag);
	assert_true(biggest <= max_bytes + max_bytes / 8);
	assert_true(lines > 0 && flags > 0);
	assert_int_equal(count_rows(t.path, "SELECT max(number) FROM lines"), 20000);	/* the newest */
	/* one window: every kept flag's line is kept too, and the lines reach back no further than
	 * one pruning chunk before the oldest flag */
	assert_true(first_line <= first_flag);
	assert_true(first_flag - first_line <= 2000);
	tmp_clean(&t);
}

static void
test_age_bound(void **state)
{
	struct cs_store *s = open_store(":memory:", 0, 60 * SEC);
	assert_non_null(s);
	write_session(s, "UDID-1", T0);			/* old */
	write_session(s, "UDID-1", T0 + 600 * SEC);	/* recent */
	assert_int_equal(cs_store_prune(s, T0 + 620 * SEC), 0);
	assert_int_equal(cs_store_commit(s), 0);
	struct collected c = { 0 };
	assert_int_equal(cs_store_history(s, NULL, 0, 0, CS_REC_DEFAULT | CS_REC_LINE, 0, collect, &c), 0);
	for (size_t i = 0; i < c.n; i++)
		assert_null(strstr(c.text[i], "\"time\":\"2026-03-04T12:00:0"));
	assert_int_equal(c.n, 1 + 1 + 5 + 4 + 1 + 1 + 1);	/* app + the recent session */
	collected_free(&c);
	cs_store_close(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_creates_private_wal_store),
		cmocka_unit_test(test_refuses_store_open_to_others),
		cmocka_unit_test(test_refuses_garbage_and_foreign_files),
		cmocka_unit_test(test_refuses_damaged_store),
		cmocka_unit_test(test_refuses_path_it_cannot_create),
		cmocka_unit_test(test_history_in_time_order_with_filters),
		cmocka_unit_test(test_line_message_outside_raw_is_kept),
		cmocka_unit_test(test_raw_lines_in_capture_order),
		cmocka_unit_test(test_reopen_continues),
		cmocka_unit_test(test_committed_lines_survive_kill_9),
		cmocka_unit_test(test_write_error_returns_and_recovers),
		cmocka_unit_test(test_size_bound_holds_under_load),
		cmocka_unit_test(test_size_bound_keeps_one_window),
		cmocka_unit_test(test_age_bound),
	};
	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}

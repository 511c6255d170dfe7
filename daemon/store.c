/*
 * store.c - callsight's memory: one SQLite file holding devices, apps, raw lines, events, lane
 * states, flags and marks, so that history, reports and `callsightd --replay capture.db` outlive
 * the daemon.
 *
 * Crash safety: WAL journal. Writes go into one open transaction (BEGIN on the first write after a
 * commit) that cs_store_commit() closes; the daemon commits at least every 250 ms. What was
 * committed survives kill -9: a commit in WAL mode has written its frames to the WAL file with
 * write(2) before COMMIT returns, and the kernel keeps them when the process dies.
 * synchronous=NORMAL, not FULL: FULL adds an fsync of the WAL to every commit, which guards only
 * against power loss / kernel crash (where NORMAL still keeps the file consistent and loses at most
 * the last commits), while an fsync on a busy laptop disk can block the single-threaded event loop
 * for hundreds of milliseconds and stall every device's stream. The contract is kill -9.
 *
 * Privacy: device logs are personal. The file is created 0600 (its -wal/-shm inherit that mode
 * from SQLite), its folder 0700 when we create it, and a store that other users can read or that
 * belongs to someone else is refused rather than silently chmod-ed.
 *
 * Bounds: max_bytes (live pages: (page_count - freelist_count) * page_size) and max_age_us.
 * cs_store_prune() deletes the oldest stretch of time from lines, events, states and flags at once
 * (so each keeps the same window), in rounds of PRUNE_CHUNK rows per table at most. Its budget
 * is PRUNE_BUDGET rows plus twice the rows written since the last call, so pruning keeps up with
 * any inflow (a fixed budget let a fast device outgrow the cap: issue 14 §1) while each call stays
 * about as long as the writes it follows. The size is also checked every SIZE_CHECK_ROWS rows or
 * max_bytes / SIZE_CHECK_SHARE bytes written (three PRAGMAs), so between two checks the file grows
 * by a small share of the bound at most whatever the rate and the records' size. Freed pages are reused, so the file stops
 * growing at about max_bytes; the WAL is checkpointed every max_bytes/16 (at most 4 MiB) so it
 * stays small beside it.
 *
 * Damage: a store is checked when it is opened (its length against its header, then PRAGMA
 * quick_check for at most CHECK_BUDGET_MS) and a damaged one is refused with what is wrong (issue 14
 * §7); damage met later comes back from the reads as an error with SQLite's words.
 *
 * Records are stored as the protocol JSON text (built by output.c for events, states and flags)
 * next to the indexed columns (device, time_us, kind/cause). Lines are stored as columns, the
 * message as an offset into the raw text when it is part of it (it nearly always is), and turned
 * into `line` records only when history asks for them.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "callsightd.h"

#define SCHEMA_VERSION	1
#define APPLICATION_ID	0x43534431	/* "CSD1": marks the file as a callsight store */
#define PRUNE_CHUNK	2000		/* rows deleted by one statement */
#define PRUNE_BUDGET	20000		/* rows deleted by one cs_store_prune() call at most */
#define SIZE_CHECK_ROWS	500		/* rows written between two checks of the size bound, */
#define SIZE_CHECK_SHARE 64		/* ... or bytes: max_bytes / this (a flag storm's records are big) */
#define TX_CHECKS	2		/* bounded store: commit after this many checks */
#define AGE_PRUNE_EVERY_US (10 * 1000000LL)	/* the age bound is checked this often */
#define PRUNE_HIGH	90		/* prune when live pages exceed this % of max_bytes ... */
#define PRUNE_LOW	80		/* ... down to this % (hysteresis: not a prune every commit) */
#define BUSY_TIMEOUT_MS	1000		/* a reader (replay of this file) never blocks us longer */
#define RAW_PAGE	5000		/* raw lines read by one statement (raw_lines_of) */
#define CHECK_BUDGET_MS	2000		/* PRAGMA quick_check at open stops after this long */

static const char sqlite_header[16] = "SQLite format 3";	/* with its NUL: 16 bytes */

static const char schema_sql[] =
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE devices(id INTEGER PRIMARY KEY, device TEXT NOT NULL, time_us INTEGER NOT NULL,"
	" state TEXT NOT NULL, json TEXT NOT NULL);"
	"CREATE INDEX devices_device_time ON devices(device, time_us);"
	"CREATE TABLE apps(id INTEGER PRIMARY KEY, device TEXT NOT NULL, bundle TEXT NOT NULL,"
	" time_us INTEGER NOT NULL, json TEXT NOT NULL, UNIQUE(device, bundle));"
	"CREATE INDEX apps_device_time ON apps(device, time_us);"
	"CREATE TABLE lines(id INTEGER PRIMARY KEY, device TEXT NOT NULL, number INTEGER NOT NULL,"
	" time_us INTEGER NOT NULL, recv_us INTEGER NOT NULL, process TEXT NOT NULL, image TEXT NOT NULL,"
	" pid INTEGER NOT NULL, level TEXT NOT NULL, raw TEXT NOT NULL,"
	" msg_off INTEGER, msg_len INTEGER, message TEXT);"	/* message only when not inside raw */
	"CREATE INDEX lines_device_time ON lines(device, time_us);"
	"CREATE TABLE events(id INTEGER PRIMARY KEY, device TEXT NOT NULL, time_us INTEGER NOT NULL,"
	" kind TEXT NOT NULL, line INTEGER NOT NULL, json TEXT NOT NULL);"
	"CREATE INDEX events_device_time ON events(device, time_us);"
	"CREATE TABLE states(id INTEGER PRIMARY KEY, device TEXT NOT NULL, time_us INTEGER NOT NULL,"
	" lane TEXT NOT NULL, state TEXT NOT NULL, line INTEGER NOT NULL, json TEXT NOT NULL);"
	"CREATE INDEX states_device_time ON states(device, time_us);"
	"CREATE TABLE flags(id INTEGER PRIMARY KEY, flag_id INTEGER NOT NULL, device TEXT NOT NULL,"
	" time_us INTEGER NOT NULL, cause TEXT NOT NULL, severity TEXT NOT NULL, json TEXT NOT NULL);"
	"CREATE INDEX flags_device_time ON flags(device, time_us);"
	"CREATE TABLE marks(id INTEGER PRIMARY KEY, device TEXT NOT NULL, time_us INTEGER NOT NULL,"
	" note TEXT NOT NULL, json TEXT NOT NULL);"
	"CREATE INDEX marks_device_time ON marks(device, time_us);";

/* Forwarding (forward.c): per collector (its URL) and record type, the last row id the collector
 * acknowledged. Added to any store we write, old ones too: the schema version stays 1. */
static const char forward_sql[] =
	"CREATE TABLE IF NOT EXISTS forward(target TEXT NOT NULL, type TEXT NOT NULL,"
	" acked INTEGER NOT NULL, PRIMARY KEY(target, type)) WITHOUT ROWID;";

/* The statements kept prepared for the store's life. */
enum stmt_id {
	ST_BEGIN, ST_COMMIT, ST_ROLLBACK,
	ST_DEVICE, ST_APP, ST_LINE, ST_EVENT, ST_STATE, ST_FLAG, ST_MARK,
	ST_PAGE_COUNT, ST_FREELIST_COUNT, ST_PAGE_SIZE,
	ST_SPAN_LINES, ST_SPAN_EVENTS, ST_SPAN_STATES, ST_SPAN_FLAGS,		/* size bound */
	ST_PRUNE_LINES, ST_PRUNE_EVENTS, ST_PRUNE_STATES, ST_PRUNE_FLAGS, ST_PRUNE_DEVICES,
	ST_AGE_LINES, ST_AGE_EVENTS, ST_AGE_STATES, ST_AGE_FLAGS, ST_AGE_MARKS, ST_AGE_DEVICES,
	ST_COUNT
};

/* Oldest rows first, in capture order (rowid); bounded by the chunk so a call is short. SPAN_SQL
 * reads the times of a table's first and last rows (NULLs when it is empty). */
#define SPAN_SQL(t) "SELECT (SELECT time_us FROM " t " ORDER BY id LIMIT 1)," \
	" (SELECT time_us FROM " t " ORDER BY id DESC LIMIT 1)"
#define PRUNE_SQL(t) "DELETE FROM " t " WHERE id IN (SELECT id FROM " t " ORDER BY id LIMIT ?1)"
#define AGE_SQL(t) "DELETE FROM " t " WHERE id IN (SELECT id FROM " t " ORDER BY id LIMIT ?1)" \
	" AND time_us < ?2"

static const char *const stmt_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_DEVICE] = "INSERT INTO devices(device, time_us, state, json) VALUES(?1, ?2, ?3, ?4)",
	[ST_APP] = "INSERT INTO apps(device, bundle, time_us, json) VALUES(?1, ?2, ?3, ?4)"
		" ON CONFLICT(device, bundle) DO UPDATE SET time_us = excluded.time_us, json = excluded.json",
	[ST_LINE] = "INSERT INTO lines(device, number, time_us, recv_us, process, image, pid, level, raw,"
		" msg_off, msg_len, message) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
	[ST_EVENT] = "INSERT INTO events(device, time_us, kind, line, json) VALUES(?1, ?2, ?3, ?4, ?5)",
	[ST_STATE] = "INSERT INTO states(device, time_us, lane, state, line, json)"
		" VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_FLAG] = "INSERT INTO flags(flag_id, device, time_us, cause, severity, json)"
		" VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_MARK] = "INSERT INTO marks(id, device, time_us, note, json) VALUES(?1, ?2, ?3, ?4, ?5)",
	[ST_PAGE_COUNT] = "PRAGMA page_count",
	[ST_FREELIST_COUNT] = "PRAGMA freelist_count",
	[ST_PAGE_SIZE] = "PRAGMA page_size",
	[ST_SPAN_LINES] = SPAN_SQL("lines"),
	[ST_SPAN_EVENTS] = SPAN_SQL("events"),
	[ST_SPAN_STATES] = SPAN_SQL("states"),
	[ST_SPAN_FLAGS] = SPAN_SQL("flags"),
	[ST_PRUNE_LINES] = PRUNE_SQL("lines"),
	[ST_PRUNE_EVENTS] = PRUNE_SQL("events"),
	[ST_PRUNE_STATES] = PRUNE_SQL("states"),
	[ST_PRUNE_FLAGS] = PRUNE_SQL("flags"),
	[ST_PRUNE_DEVICES] = PRUNE_SQL("devices"),
	[ST_AGE_LINES] = AGE_SQL("lines"),
	[ST_AGE_EVENTS] = AGE_SQL("events"),
	[ST_AGE_STATES] = AGE_SQL("states"),
	[ST_AGE_FLAGS] = AGE_SQL("flags"),
	[ST_AGE_MARKS] = AGE_SQL("marks"),
	[ST_AGE_DEVICES] = AGE_SQL("devices"),
};

struct cs_store {
	sqlite3		*db;
	sqlite3_stmt	*stmt[ST_COUNT];
	bool		 in_tx;		/* a write transaction is open */
	int64_t		 max_bytes;
	int64_t		 max_age_us;
	int64_t		 next_mark_id;
	int64_t		 changes_after_prune;	/* sqlite3_total_changes64() when the last prune ended */
	int64_t		 last_age_prune_us;
	int		 rows_unchecked;	/* rows written since the size was last checked */
	int64_t		 bytes_unchecked;	/* and their text's bytes */
	int		 checks_in_tx;	/* size checks in the open transaction */
	uint64_t	 tx_rows;	/* rows written in the open transaction */
	uint64_t	 lost;		/* rows that could not be stored (cs_store_take_lost) */
	char		 error[256];	/* the last error, for the daemon's log */
	char		 path[PATH_MAX];	/* resolved: a second reader (reports) opens this */
	bool		 check_at_open;	/* quick_check at open (not a report's second connection) */
	bool		 check_partial;	/* the check at open ran out of time before the end */
	bool		 corrupt;	/* the open found the file damaged */
};

/* ---------------------------------------------------------------- errors */


/* Record an SQLite failure; keep in_tx true to SQLite's view (an I/O error may have rolled back). */
static int
fail(struct cs_store *s, const char *what)
{
	cs_set_error(s->error, sizeof s->error, "%s: %s", what, sqlite3_errmsg(s->db));
	if (sqlite3_get_autocommit(s->db)) {
		if (s->in_tx)	/* SQLite rolled the transaction back: its rows are gone too */
			s->lost += s->tx_rows;
		s->tx_rows = 0;
		s->in_tx = false;
	}
	return -1;
}

const char *
cs_store_path(const struct cs_store *s)
{
	return strcmp(s->path, ":memory:") == 0 ? NULL : s->path;
}

bool
cs_store_check_partial(const struct cs_store *s)
{
	return s->check_partial;
}

const char *
cs_store_error(const struct cs_store *s)
{
	return s->error[0] ? s->error : "unknown error";
}

/* ---------------------------------------------------------------- opening */

static bool
has_sqlite_header(int fd)
{
	char head[16];
	ssize_t n = pread(fd, head, sizeof head, 0);
	return n == (ssize_t)sizeof head && memcmp(head, sqlite_header, sizeof head) == 0;
}

bool
cs_store_is_store_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool ok = has_sqlite_header(fd);
	close(fd);
	return ok;
}

/* Split path into its folder (mkdir -p'd when create, folders we create are 0700, then resolved
 * with realpath(3) so a symlink anywhere above the store works) and its final component, joined
 * again into out. The final component itself is never followed: it is checked with lstat here and
 * opened no-follow below. */
static int
resolve_store_path(const char *path, bool create, char *out, size_t outlen, char *err, size_t errlen)
{
	char dir[PATH_MAX], real[PATH_MAX];
	if (cs_strlcpy(dir, path, sizeof dir) >= sizeof dir) {
		cs_set_error(err, errlen, "store path too long: %s", path);
		return -1;
	}
	char *slash = strrchr(dir, '/');
	const char *base = slash ? slash + 1 : dir;
	char name[NAME_MAX + 1];
	if (base[0] == '\0' || cs_strlcpy(name, base, sizeof name) >= sizeof name) {
		cs_set_error(err, errlen, "%s does not name a file", path);
		return -1;
	}
	if (slash == NULL)
		cs_strlcpy(dir, ".", sizeof dir);
	else if (slash == dir)
		cs_strlcpy(dir, "/", sizeof dir);
	else
		*slash = '\0';
	if (create && cs_make_dirs(dir, "store", err, errlen) < 0)
		return -1;
	if (realpath(dir, real) == NULL) {
		cs_set_error(err, errlen, "cannot use the store's folder %s: %s", dir, strerror(errno));
		return -1;
	}
	int n = snprintf(out, outlen, "%s/%s", strcmp(real, "/") == 0 ? "" : real, name);
	if (n < 0 || (size_t)n >= outlen) {
		cs_set_error(err, errlen, "store path too long: %s", path);
		return -1;
	}
	struct stat st;
	if (lstat(out, &st) == 0 && S_ISLNK(st.st_mode)) {
		cs_set_error(err, errlen, "the store %s is a symbolic link: refusing to follow it (give the "
		    "path of the file itself)", path);
		return -1;
	}
	return 0;
}

/* A store we write lives in a folder only we can write to (issue 14 §10): in a shared folder
 * (sticky /tmp included) another user could plant its -wal/-shm files, which SQLite would then
 * fill with the device's log, readable by them. Existing -wal/-shm files must be our own 0600
 * regular files. */
static int
check_store_neighbourhood(const char *path, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	cs_strlcpy(dir, path, sizeof dir);
	char *slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	struct stat st;
	if (stat(dir, &st) != 0) {
		cs_set_error(err, errlen, "cannot use the store's folder %s: %s", dir, strerror(errno));
		return -1;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		cs_set_error(err, errlen, "the store's folder %s is writable by other users (mode %04o): "
		    "they could plant its -wal/-shm files; keep the store in a private folder "
		    "(chmod 700, or another --store)", dir, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	static const char *const suffixes[] = { "-wal", "-shm", "-journal" };
	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		char side[PATH_MAX + 16];
		snprintf(side, sizeof side, "%s%s", path, suffixes[i]);
		if (lstat(side, &st) != 0)
			continue;
		const char *why = S_ISLNK(st.st_mode) ? "is a symbolic link"
		    : !S_ISREG(st.st_mode) ? "is not a regular file"
		    : st.st_uid != geteuid() ? "belongs to another user"
		    : (st.st_mode & (S_IRWXG | S_IRWXO)) ? "is open to other users" : NULL;
		if (why) {
			cs_set_error(err, errlen, "%s already exists and %s (mode %04o, uid %ld): refusing the "
			    "store; remove it if it is yours", side, why, (unsigned)(st.st_mode & 07777),
			    (long)st.st_uid);
			return -1;
		}
	}
	return 0;
}

/* Create the file 0600 (or check the existing one): ours, private, a regular file, SQLite or empty.
 * *created says whether this call made it (so a failed open removes it again). */
static int
prepare_store_file(const char *path, bool *created, char *err, size_t errlen)
{
	*created = false;
	if (check_store_neighbourhood(path, err, errlen) < 0)
		return -1;
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0)
		*created = true;
	else if (errno == EEXIST)
		fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		cs_set_error(err, errlen, "cannot open the store %s: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	int rc = -1;
	if (fstat(fd, &st) != 0)
		cs_set_error(err, errlen, "cannot stat the store %s: %s", path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		cs_set_error(err, errlen, "the store %s is not a regular file", path);
	else if (st.st_uid != geteuid())
		cs_set_error(err, errlen, "the store %s belongs to uid %ld, not to us: refusing it", path,
		    (long)st.st_uid);
	else if (st.st_mode & (S_IRWXG | S_IRWXO))
		cs_set_error(err, errlen, "the store %s is open to other users (mode %04o): it holds device "
		    "logs; run chmod 600 on it, then start again", path, (unsigned)(st.st_mode & 07777));
	else if (st.st_size > 0 && !has_sqlite_header(fd))
		cs_set_error(err, errlen, "%s is not a callsight store (no SQLite header)", path);
	else
		rc = 0;
	close(fd);
	if (rc < 0 && *created) {
		unlink(path);
		*created = false;
	}
	return rc;
}

/* A store we created and then could not use leaves nothing behind (nor SQLite's side files). */
static void
remove_created(const char *path)
{
	static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		char side[PATH_MAX + 16];
		snprintf(side, sizeof side, "%s%s", path, suffixes[i]);
		unlink(side);
	}
}

static int
exec_sql(sqlite3 *db, const char *sql, char *err, size_t errlen, const char *what)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		cs_set_error(err, errlen, "%s: %s", what, msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* One integer from a query (a PRAGMA or an aggregate); -1 on error with err filled. */
static int
query_int(sqlite3 *db, const char *sql, int64_t *out, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		cs_set_error(err, errlen, "%s: %s", sql, sqlite3_errmsg(db));
		return -1;
	}
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	else if (rc == SQLITE_DONE)
		*out = 0;
	else
		cs_set_error(err, errlen, "%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static int
set_journal(sqlite3 *db, bool memory, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &st, NULL) != SQLITE_OK) {
		cs_set_error(err, errlen, "cannot read the store: %s", sqlite3_errmsg(db));
		return -1;
	}
	int rc = sqlite3_step(st);
	const char *mode = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
	bool ok = mode && (strcmp(mode, "wal") == 0 || (memory && strcmp(mode, "memory") == 0));
	if (!ok)
		cs_set_error(err, errlen, "cannot switch the store to WAL: %s",
		    rc == SQLITE_ROW ? (mode ? mode : "?") : sqlite3_errmsg(db));
	sqlite3_finalize(st);
	if (!ok)
		return -1;
	/* journal_size_limit: the -wal file is cut back to 4 MiB after a checkpoint */
	return exec_sql(db, "PRAGMA synchronous=NORMAL; PRAGMA journal_size_limit=4194304;", err, errlen,
	    "cannot configure the store");
}

/* A new file gets the schema; an existing one must be ours and not from a newer callsight. */
static int
check_or_create_schema(sqlite3 *db, const char *path, char *err, size_t errlen)
{
	int64_t version, app_id, tables;
	if (query_int(db, "PRAGMA user_version", &version, err, errlen) < 0 ||
	    query_int(db, "PRAGMA application_id", &app_id, err, errlen) < 0 ||
	    query_int(db, "SELECT count(*) FROM sqlite_master", &tables, err, errlen) < 0)
		return -1;
	if (tables > 0 && app_id != APPLICATION_ID) {
		cs_set_error(err, errlen, "%s is an SQLite file but not a callsight store", path);
		return -1;
	}
	if (version > SCHEMA_VERSION) {
		cs_set_error(err, errlen, "%s was written by a newer callsight (schema %lld; this one reads %d)",
		    path, (long long)version, SCHEMA_VERSION);
		return -1;
	}
	if (version == SCHEMA_VERSION)
		return 0;
	if (tables > 0) {
		cs_set_error(err, errlen, "%s: unknown store schema %lld", path, (long long)version);
		return -1;
	}
	char sql[sizeof schema_sql + 512];
	snprintf(sql, sizeof sql, "BEGIN;%s"
	    "INSERT INTO meta VALUES('schema', '%d'), ('created_by', 'callsightd %s');"
	    "PRAGMA application_id=%d; PRAGMA user_version=%d; COMMIT;",
	    schema_sql, SCHEMA_VERSION, CALLSIGHT_VERSION, APPLICATION_ID, SCHEMA_VERSION);
	if (exec_sql(db, sql, err, errlen, "cannot create the store's tables") < 0) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

static int
prepare_statements(struct cs_store *s, char *err, size_t errlen)
{
	for (int i = 0; i < ST_COUNT; i++) {
		if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->stmt[i],
		    NULL) != SQLITE_OK) {
			cs_set_error(err, errlen, "cannot prepare '%s': %s", stmt_sql[i], sqlite3_errmsg(s->db));
			return -1;
		}
	}
	return 0;
}

static void
free_store(struct cs_store *s)
{
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->stmt[i]);
	sqlite3_close_v2(s->db);
	free(s);
}

/* "file:PATH?immutable=1": the URI to read a store in a folder we cannot write (no -shm can be made
 * there). Only the characters a URI path reserves are escaped. */
static void
immutable_uri(const char *path, char *out, size_t outlen)
{
	size_t n = cs_strlcpy(out, "file:", outlen);
	for (const unsigned char *p = (const unsigned char *)path; *p && n + 4 < outlen; p++) {
		if (*p == '%' || *p == '?' || *p == '#')
			n += (size_t)snprintf(out + n, outlen - n, "%%%02X", *p);
		else
			out[n++] = (char)*p;
	}
	out[n < outlen ? n : outlen - 1] = '\0';
	if (n + sizeof "?immutable=1" <= outlen)
		memcpy(out + n, "?immutable=1", sizeof "?immutable=1");
}

/* ---------------------------------------------------------------- the check at open (issue 14 §7) */

/* A corrupt store must not start quietly. Measured on a 916 MB store (3 M lines, warm cache, two
 * busy cores): PRAGMA quick_check takes 6-8 s, integrity_check 20 s; so at open:
 *  - the header against the file: a file shorter than the pages its header counts was truncated
 *    (instant; only without a WAL, whose checkpoint may be caught half-way by a kill -9);
 *  - PRAGMA quick_check (every b-tree page's structure, no index cross-check) for at most
 *    CHECK_BUDGET_MS: a store up to a few hundred MB is checked whole, a bigger one from its
 *    start, and the rest shows itself when it is read (history and report answer with an error
 *    record naming SQLite's cause, writes with a store_error). */
/* The check's watchdog: quick_check is one long VDBE instruction (SQLite 3.40 calls no progress
 * handler inside it), so a thread interrupts it (sqlite3_interrupt is thread-safe) when the budget
 * is spent, unless the check ended first. */
struct check_watch {
	sqlite3		*db;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	bool		 done, fired;
	struct timespec	 deadline;	/* CLOCK_REALTIME, as pthread_cond_timedwait wants everywhere */
};

static void *
check_watchdog(void *arg)
{
	struct check_watch *w = arg;
	pthread_mutex_lock(&w->mu);
	while (!w->done && pthread_cond_timedwait(&w->cv, &w->mu, &w->deadline) != ETIMEDOUT)
		;
	if (!w->done) {
		w->fired = true;
		sqlite3_interrupt(w->db);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* the last error says the file is damaged (not busy, not unwritable, not missing) */
static bool
damaged(sqlite3 *db)
{
	int code = sqlite3_extended_errcode(db) & 0xff;
	return code == SQLITE_CORRUPT || code == SQLITE_NOTADB;
}

/* why (what is wrong) made into the whole message: what the user can do about it */
static void
damaged_message(const char *path, bool read_only, char *why, size_t whylen)
{
	char what[400];
	cs_strlcpy(what, why, sizeof what);
	if (read_only)
		cs_set_error(why, whylen, "damaged (corrupt): %s; it cannot be replayed as it is: "
		    "save what is left with `sqlite3 %s .recover | sqlite3 recovered.db` and replay that",
		    what, path);
	else
		cs_set_error(why, whylen, "damaged (corrupt): %s; callsightd will not write into it: "
		    "move it aside (the next start makes a new one), or save what is left with `sqlite3 %s "
		    ".recover | sqlite3 recovered.db`", what, path);
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The header's page count against the file's size; -1 with why filled when the file was cut. */
static int
check_length(const char *path, char *why, size_t whylen)
{
	char wal[PATH_MAX + 8];
	struct stat st;
	snprintf(wal, sizeof wal, "%s-wal", path);
	if (stat(wal, &st) == 0 && st.st_size > 0)
		return 0;	/* the WAL holds pages the file does not have yet */
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	unsigned char h[100];
	if (fd < 0)
		return 0;	/* SQLite's open says why */
	bool ok = pread(fd, h, sizeof h, 0) == (ssize_t)sizeof h && fstat(fd, &st) == 0;
	close(fd);
	if (!ok)
		return 0;
	uint32_t page_size = (uint32_t)h[16] << 8 | h[17];
	if (page_size == 1)
		page_size = 65536;
	uint32_t pages = be32(h + 28);
	/* the count is valid when "version-valid-for" (92) matches the change counter (24) */
	if (page_size < 512 || pages == 0 || be32(h + 92) != be32(h + 24))
		return 0;
	if ((uint64_t)st.st_size < (uint64_t)pages * page_size) {
		cs_set_error(why, whylen, "the file is truncated: its header counts %lu pages of %lu bytes "
		    "(%llu bytes), the file has %lld", (unsigned long)pages, (unsigned long)page_size,
		    (unsigned long long)pages * page_size, (long long)st.st_size);
		return -1;
	}
	return 0;
}

/* PRAGMA quick_check within the budget; -1 with why filled when it finds damage. */
static int
check_pages(sqlite3 *db, bool *partial, char *why, size_t whylen)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "PRAGMA quick_check(3)", -1, &st, NULL) != SQLITE_OK) {
		if (!damaged(db))
			return 0;	/* not about the pages (a folder we cannot write): the open says */
		cs_set_error(why, whylen, "%s", sqlite3_errmsg(db));
		return -1;
	}
	struct check_watch w = { .db = db };
	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cv, NULL);
	cs_realtime_after_ms(&w.deadline, CHECK_BUDGET_MS);
	pthread_t watchdog;
	bool watched = pthread_create(&watchdog, NULL, check_watchdog, &w) == 0;
	char found[512] = "";
	size_t n = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *row = (const char *)sqlite3_column_text(st, 0);
		if (row == NULL || strcmp(row, "ok") == 0)
			continue;
		/* a row may hold several lines, the first naming the schema: one line of findings */
		for (const char *p = row, *end; *p && n < sizeof found - 1; p = *end ? end + 1 : end) {
			end = strchr(p, '\n');
			if (end == NULL)
				end = p + strlen(p);
			if (end > p && strncmp(p, "*** in database", 15) != 0)
				n += (size_t)snprintf(found + n, sizeof found - n, "%s%.*s", n ? "; " : "",
				    (int)(end - p), p);
		}
	}
	pthread_mutex_lock(&w.mu);
	w.done = true;
	pthread_cond_signal(&w.cv);
	pthread_mutex_unlock(&w.mu);
	if (watched)
		pthread_join(watchdog, NULL);
	pthread_mutex_destroy(&w.mu);
	pthread_cond_destroy(&w.cv);
	*partial = (rc & 0xff) == SQLITE_INTERRUPT && w.fired;
	if (rc != SQLITE_DONE && !*partial && found[0] == '\0' && damaged(db))
		cs_set_error(found, sizeof found, "%s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	if (found[0]) {
		cs_set_error(why, whylen, "%s", found);
		return -1;
	}
	return 0;
}

/* Open the SQLite handle and read the schema; -1 with why filled. */
static int
open_db(struct cs_store *s, const char *path, bool memory, bool read_only, bool immutable, char *why,
    size_t whylen)
{
	char uri[PATH_MAX * 3 + 32];
	int flags = (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) | SQLITE_OPEN_NOFOLLOW |
	    (memory ? SQLITE_OPEN_CREATE : 0);
	if (immutable) {
		immutable_uri(path, uri, sizeof uri);
		flags |= SQLITE_OPEN_URI;
	}
	if (sqlite3_open_v2(immutable ? uri : path, &s->db, flags, NULL) != SQLITE_OK) {
		cs_set_error(why, whylen, "%s", s->db ? sqlite3_errmsg(s->db) : "out of memory");
		return -1;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	if (s->check_at_open && (check_length(path, why, whylen) < 0 ||
	    check_pages(s->db, &s->check_partial, why, whylen) < 0)) {
		s->corrupt = true;
		damaged_message(path, read_only, why, whylen);
		return -1;
	}
	int64_t last_mark;
	if ((!read_only && set_journal(s->db, memory, why, whylen) < 0) ||
	    check_or_create_schema(s->db, path, why, whylen) < 0 ||
	    (!read_only && exec_sql(s->db, forward_sql, why, whylen, "cannot add the forward table") < 0) ||
	    prepare_statements(s, why, whylen) < 0 ||
	    query_int(s->db, "SELECT coalesce(max(id), 0) FROM marks", &last_mark, why, whylen) < 0) {
		if (damaged(s->db)) {	/* the schema's own pages are damaged */
			s->corrupt = true;
			damaged_message(path, read_only, why, whylen);
		}
		return -1;
	}
	s->next_mark_id = last_mark + 1;
	if (!read_only && !memory && s->max_bytes > 0) {
		/* a bounded store keeps its WAL small beside it: checkpoint every max_bytes/16, and cut
		 * the file back to that size after a checkpoint */
		int64_t pages = s->max_bytes / 16 / 4096, limit = s->max_bytes / 16;
		char sql[128];
		snprintf(sql, sizeof sql, "PRAGMA wal_autocheckpoint=%lld; PRAGMA journal_size_limit=%lld",
		    (long long)(pages < 64 ? 64 : pages > 1000 ? 1000 : pages),
		    (long long)(limit < 262144 ? 262144 : limit > 4194304 ? 4194304 : limit));
		if (exec_sql(s->db, sql, why, whylen, "cannot configure the store") < 0)
			return -1;
	}
	return 0;
}

static void
close_db(struct cs_store *s)
{
	for (int i = 0; i < ST_COUNT; i++) {
		sqlite3_finalize(s->stmt[i]);
		s->stmt[i] = NULL;
	}
	sqlite3_close_v2(s->db);
	s->db = NULL;
}

struct cs_store *
cs_store_open(const struct cs_store_options *options, char *err, size_t errlen)
{
	const char *path = options ? options->path : NULL;
	if (path == NULL || path[0] == '\0') {
		cs_set_error(err, errlen, "no store path given");
		return NULL;
	}
	bool memory = strcmp(path, ":memory:") == 0;
	bool read_only = options->read_only && !memory;
	char real[PATH_MAX];
	if (memory)
		cs_strlcpy(real, path, sizeof real);
	else if (resolve_store_path(path, !read_only, real, sizeof real, err, errlen) < 0)
		return NULL;
	if (read_only && !cs_store_is_store_file(real)) {
		cs_set_error(err, errlen, "%s is not a callsight store (no SQLite header)", path);
		return NULL;
	}
	/* a store we write must be ours and private; one we only read may come from a bug report */
	bool created = false;
	if (!memory && !read_only && prepare_store_file(real, &created, err, errlen) < 0)
		return NULL;

	struct cs_store *s = cs_xcalloc(1, sizeof *s);
	s->max_bytes = options->max_bytes;
	s->max_age_us = options->max_age_us;
	cs_strlcpy(s->path, real, sizeof s->path);
	s->check_at_open = !memory && !options->no_check;
	char why[1024] = "";
	int rc = open_db(s, real, memory, read_only, false, why, sizeof why);
	if (rc < 0 && read_only && !s->corrupt) {
		/* a folder we cannot write (a mounted bug report, a read-only share): SQLite cannot make
		 * the -shm a WAL store needs; nobody writes there either, so read it as immutable */
		char first[1024];
		cs_strlcpy(first, why, sizeof first);
		close_db(s);
		rc = open_db(s, real, memory, read_only, true, why, sizeof why);
		if (rc < 0 && !s->corrupt)
			cs_set_error(why, sizeof why, "%s", first);
	}
	if (rc < 0) {
		cs_set_error(err, errlen, "store %s: %s", path, why);
		free_store(s);
		if (created)
			remove_created(real);
		return NULL;
	}
	return s;
}

void
cs_store_close(struct cs_store *s)
{
	if (s == NULL)
		return;
	cs_store_commit(s);
	free_store(s);
}

/* ---------------------------------------------------------------- writing */

static int prune_by_size(struct cs_store *s, int64_t *budget);

/* A row of about `bytes` was written: every SIZE_CHECK_ROWS rows or max_bytes / SIZE_CHECK_SHARE
 * bytes, whichever comes first, hold the size bound (any inflow rate, any record size). */
static int
written(struct cs_store *s, int rc, size_t bytes)
{
	if (rc < 0)
		s->lost++;
	else
		s->tx_rows++;
	if (rc != 0 || s->max_bytes <= 0)
		return rc;
	s->bytes_unchecked += (int64_t)bytes;
	if (++s->rows_unchecked >= SIZE_CHECK_ROWS || s->bytes_unchecked >= s->max_bytes / SIZE_CHECK_SHARE) {
		s->rows_unchecked = 0;
		s->bytes_unchecked = 0;
		int64_t budget = PRUNE_BUDGET;
		prune_by_size(s, &budget);	/* an error is kept in s->error; the row itself is stored */
		/* and a bounded store commits often enough that the WAL (one transaction at least)
		 * stays small beside it: a fast stream commits sooner than the 250 ms tick */
		if (s->in_tx && ++s->checks_in_tx >= TX_CHECKS)
			cs_store_commit(s);
	}
	return rc;
}

/* Reset the statement after use whatever happened; SQLITE_DONE is success. */
static int
step_done(struct cs_store *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return fail(s, what);
	return 0;
}

static int
begin_if_needed(struct cs_store *s)
{
	if (s->in_tx)
		return 0;
	if (step_done(s, s->stmt[ST_BEGIN], "begin") < 0)
		return -1;
	s->in_tx = true;
	return 0;
}

int
cs_store_commit(struct cs_store *s)
{
	if (!s->in_tx)
		return 0;
	if (step_done(s, s->stmt[ST_COMMIT], "commit") < 0) {
		/* a failed COMMIT may leave the transaction open: roll it back rather than wedge; its rows
		 * are lost (fail() has counted them already, and zeroed tx_rows, if SQLite rolled back) */
		s->lost += s->tx_rows;
		s->tx_rows = 0;
		if (!sqlite3_get_autocommit(s->db)) {
			sqlite3_step(s->stmt[ST_ROLLBACK]);
			sqlite3_reset(s->stmt[ST_ROLLBACK]);
		}
		s->in_tx = !sqlite3_get_autocommit(s->db);
		return -1;
	}
	s->in_tx = false;
	s->checks_in_tx = 0;
	s->tx_rows = 0;
	return 0;
}

uint64_t
cs_store_take_lost(struct cs_store *s)
{
	uint64_t n = s->lost;
	s->lost = 0;
	return n;
}

static void
bind_text(sqlite3_stmt *st, int i, const char *text)
{
	sqlite3_bind_text(st, i, text ? text : "", -1, SQLITE_STATIC);
}

/* A record's JSON text (consumes the reference); NULL when it cannot be serialized. */
static char *
json_text_of(json_t *record)
{
	if (record == NULL)
		return NULL;
	char *text = json_dumps(record, CS_JSON_DUMP);
	json_decref(record);
	return text;
}

/* Insert a record whose last parameter (json_index) is its JSON text. */
static int
insert_with_json(struct cs_store *s, enum stmt_id id, int json_index, json_t *record, const char *what)
{
	char *text = json_text_of(record);
	if (text == NULL) {
		sqlite3_clear_bindings(s->stmt[id]);
		cs_set_error(s->error, sizeof s->error, "%s: cannot serialize the record", what);
		return -1;
	}
	size_t len = strlen(text);
	sqlite3_bind_text(s->stmt[id], json_index, text, (int)len, SQLITE_STATIC);
	int rc = step_done(s, s->stmt[id], what);
	free(text);
	return written(s, rc, len);
}

static json_t *
json_text_or_empty(const char *s)
{
	json_t *j = json_string(s ? s : "");
	return j ? j : json_string("(invalid text)");
}

int
cs_store_device(struct cs_store *s, const char *udid, const char *name, const char *product_version,
    const char *product_type, const char *state, const char *detail, int64_t time_us)
{
	if (begin_if_needed(s) < 0)
		return -1;
	struct cs_device_info info = { .network = false };
	cs_strlcpy(info.udid, udid ? udid : "", sizeof info.udid);
	cs_strlcpy(info.name, name ? name : "", sizeof info.name);
	cs_strlcpy(info.product_version, product_version ? product_version : "", sizeof info.product_version);
	cs_strlcpy(info.product_type, product_type ? product_type : "", sizeof info.product_type);
	cs_strlcpy(info.state, state ? state : "", sizeof info.state);
	cs_strlcpy(info.detail, detail ? detail : "", sizeof info.detail);
	json_t *obj = cs_device_json(&info, time_us);
	sqlite3_stmt *st = s->stmt[ST_DEVICE];
	bind_text(st, 1, udid);
	sqlite3_bind_int64(st, 2, time_us);
	bind_text(st, 3, state);
	return insert_with_json(s, ST_DEVICE, 4, obj, "store device");
}

int
cs_store_app(struct cs_store *s, const char *udid, const char *bundle, const struct cs_app_facts *f,
    const char *background_modes_json)
{
	json_t *modes = cs_background_modes_json(background_modes_json, f);
	if (modes == NULL) {
		cs_set_error(s->error, sizeof s->error, "store app %s: background modes are not a JSON array",
		    bundle ? bundle : "");
		return -1;
	}
	if (begin_if_needed(s) < 0) {
		json_decref(modes);
		return -1;
	}
	json_t *obj = cs_app_record(udid, bundle, f, modes);
	sqlite3_stmt *st = s->stmt[ST_APP];
	bind_text(st, 1, udid);
	bind_text(st, 2, bundle);
	sqlite3_bind_int64(st, 3, cs_wall_us());	/* when the facts were read: apps carry no time */
	return insert_with_json(s, ST_APP, 4, obj, "store app");
}

static const char *
line_device(const char *device, const struct cs_line *line)
{
	if (device)
		return device;
	return line->udid && line->udid[0] ? line->udid : line->device ? line->device : "";
}

int
cs_store_line(struct cs_store *s, const char *device, const struct cs_line *line)
{
	if (begin_if_needed(s) < 0)
		return -1;
	sqlite3_stmt *st = s->stmt[ST_LINE];
	const char *raw = line->raw ? line->raw : "";
	size_t raw_len = line->raw ? line->raw_len : 0;
	const char *msg = line->message ? line->message : "";
	size_t msg_len = line->message ? line->message_len : 0;
	bind_text(st, 1, line_device(device, line));
	sqlite3_bind_int64(st, 2, (sqlite3_int64)line->number);
	sqlite3_bind_int64(st, 3, line->time_us);
	sqlite3_bind_int64(st, 4, line->recv_us);
	bind_text(st, 5, line->process);
	bind_text(st, 6, line->image);
	sqlite3_bind_int64(st, 7, line->pid);
	bind_text(st, 8, line->level);
	sqlite3_bind_text(st, 9, raw, (int)raw_len, SQLITE_STATIC);
	/* the message is nearly always the tail of the raw text: store where, not what */
	const char *at = msg_len == 0 ? raw : memmem(raw, raw_len, msg, msg_len);
	if (at && raw_len >= msg_len && memcmp(raw + raw_len - msg_len, msg, msg_len) == 0)
		at = raw + raw_len - msg_len;
	if (at) {
		sqlite3_bind_int64(st, 10, at - raw);
		sqlite3_bind_int64(st, 11, (sqlite3_int64)msg_len);
	} else {
		sqlite3_bind_text(st, 12, msg, (int)msg_len, SQLITE_STATIC);
	}
	return written(s, step_done(s, st, "store line"), raw_len + (at ? 0 : msg_len));
}

/* The record's "device" follows the device the caller files it under. */
static json_t *
with_device(json_t *record, const char *device)
{
	if (record && device)
		json_object_set_new(record, "device", json_text_or_empty(device));
	return record;
}

int
cs_store_event(struct cs_store *s, const char *device, const struct cs_event *event)
{
	if (begin_if_needed(s) < 0)
		return -1;
	const char *dev = line_device(device, event->line);
	sqlite3_stmt *st = s->stmt[ST_EVENT];
	bind_text(st, 1, dev);
	sqlite3_bind_int64(st, 2, event->line->time_us);
	bind_text(st, 3, cs_event_name(event->kind));
	sqlite3_bind_int64(st, 4, (sqlite3_int64)event->line->number);
	return insert_with_json(s, ST_EVENT, 5, with_device(cs_event_json(event), dev), "store event");
}

int
cs_store_state(struct cs_store *s, const struct cs_state_change *change)
{
	if (begin_if_needed(s) < 0)
		return -1;
	sqlite3_stmt *st = s->stmt[ST_STATE];
	bind_text(st, 1, change->device);
	sqlite3_bind_int64(st, 2, change->time_us);
	bind_text(st, 3, cs_lane_name(change->lane));
	bind_text(st, 4, change->state);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)change->line);
	return insert_with_json(s, ST_STATE, 6, cs_state_json(change), "store state");
}

int
cs_store_flag(struct cs_store *s, const struct cs_flag *flag)
{
	if (begin_if_needed(s) < 0)
		return -1;
	sqlite3_stmt *st = s->stmt[ST_FLAG];
	sqlite3_bind_int64(st, 1, (sqlite3_int64)flag->id);
	bind_text(st, 2, flag->device);
	sqlite3_bind_int64(st, 3, flag->time_us);
	bind_text(st, 4, cs_cause_name(flag->cause));
	bind_text(st, 5, cs_severity_name(cs_cause_severity(flag->cause)));
	return insert_with_json(s, ST_FLAG, 6, cs_flag_json(flag), "store flag");
}

int64_t
cs_store_mark(struct cs_store *s, const char *device, int64_t time_us, const char *note)
{
	if (begin_if_needed(s) < 0)
		return -1;
	int64_t id = s->next_mark_id;
	json_t *obj = cs_mark_json(id, time_us, device, note, -1);
	sqlite3_stmt *st = s->stmt[ST_MARK];
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, device);
	sqlite3_bind_int64(st, 3, time_us);
	bind_text(st, 4, note);
	if (insert_with_json(s, ST_MARK, 5, obj, "store mark") < 0)
		return -1;
	s->next_mark_id++;
	return id;
}

/* ---------------------------------------------------------------- size and pruning */

static int
pragma_value(struct cs_store *s, enum stmt_id id, int64_t *out)
{
	sqlite3_stmt *st = s->stmt[id];
	int rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : fail(s, stmt_sql[id]);
}

int64_t
cs_store_size(struct cs_store *s)
{
	int64_t pages, page_size;
	if (pragma_value(s, ST_PAGE_COUNT, &pages) < 0 || pragma_value(s, ST_PAGE_SIZE, &page_size) < 0)
		return -1;
	return pages * page_size;
}

/* bytes in pages that hold data (free pages are reused before the file grows) */
static int
live_bytes(struct cs_store *s, int64_t *out)
{
	int64_t pages, free_pages, page_size;
	if (pragma_value(s, ST_PAGE_COUNT, &pages) < 0 ||
	    pragma_value(s, ST_FREELIST_COUNT, &free_pages) < 0 ||
	    pragma_value(s, ST_PAGE_SIZE, &page_size) < 0)
		return -1;
	*out = (pages - free_pages) * page_size;
	return 0;
}

/* Run one chunked delete; the number of rows it removed, or -1. */
static int64_t
delete_chunk(struct cs_store *s, enum stmt_id id, int64_t cutoff_us)
{
	sqlite3_stmt *st = s->stmt[id];
	sqlite3_bind_int(st, 1, PRUNE_CHUNK);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_int64(st, 2, cutoff_us);
	if (step_done(s, st, "prune") < 0)
		return -1;
	return sqlite3_changes(s->db);
}

/* Age: every table, oldest rows first, while whole chunks are old enough. */
static int
prune_by_age(struct cs_store *s, int64_t now_us_, int64_t *budget)
{
	static const enum stmt_id order[] = {
		ST_AGE_LINES, ST_AGE_EVENTS, ST_AGE_STATES, ST_AGE_FLAGS, ST_AGE_MARKS, ST_AGE_DEVICES
	};
	int64_t cutoff = now_us_ - s->max_age_us;
	for (size_t i = 0; i < sizeof order / sizeof order[0] && *budget > 0; i++) {
		int64_t n;
		do {
			if ((n = delete_chunk(s, order[i], cutoff)) < 0)
				return -1;
			*budget -= n;
		} while (n == PRUNE_CHUNK && *budget > 0);
	}
	return 0;
}

/* The tables the size bound trims by time, each with the statement reading its first and last
 * rows' times, the one deleting its oldest rows before a time and the one deleting its oldest. */
static const struct {
	enum stmt_id	span, older_than, oldest;
} windowed_tables[] = {
	{ ST_SPAN_LINES, ST_AGE_LINES, ST_PRUNE_LINES },
	{ ST_SPAN_EVENTS, ST_AGE_EVENTS, ST_PRUNE_EVENTS },
	{ ST_SPAN_STATES, ST_AGE_STATES, ST_PRUNE_STATES },
	{ ST_SPAN_FLAGS, ST_AGE_FLAGS, ST_PRUNE_FLAGS },
};
#define NWINDOWED (sizeof windowed_tables / sizeof windowed_tables[0])

/* The time span the tables hold together: the oldest first row and the newest last row (*last
 * starts at INT64_MIN), and the table whose first row is the oldest (-1: every table is empty).
 * 0, or -1 on error. */
static int
stored_span(struct cs_store *s, int64_t *first, int64_t *last, int *oldest_table)
{
	*oldest_table = -1;
	for (size_t i = 0; i < NWINDOWED; i++) {
		sqlite3_stmt *st = s->stmt[windowed_tables[i].span];
		int rc = sqlite3_step(st);
		bool has_rows = rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL;
		int64_t head = has_rows ? sqlite3_column_int64(st, 0) : 0;
		int64_t tail = has_rows ? sqlite3_column_int64(st, 1) : 0;
		sqlite3_reset(st);
		if (rc != SQLITE_ROW)
			return fail(s, stmt_sql[windowed_tables[i].span]);
		if (!has_rows)
			continue;
		if (*oldest_table < 0 || head < *first) {
			*first = head;
			*oldest_table = (int)i;
		}
		if (tail > *last)
			*last = tail;
	}
	return 0;
}

/* One round: the oldest part of the stored time span, in proportion to the bytes to free, goes
 * from every table at once (at most a chunk of each). When the clocks make that delete nothing
 * (a clock set back, one instant for everything), the table with the oldest first row loses its
 * oldest chunk instead, so each round makes progress. The rows deleted, or -1. */
static int64_t
prune_round(struct cs_store *s, int64_t used, int64_t low)
{
	int64_t first = 0, last = INT64_MIN, n = 0;
	int oldest;
	if (stored_span(s, &first, &last, &oldest) < 0)
		return -1;
	if (oldest < 0)
		return delete_chunk(s, ST_PRUNE_DEVICES, 0);	/* nothing else is left */
	double share = (double)(used - low) / (double)used;
	int64_t cutoff = first + (int64_t)((double)(last > first ? last - first : 0) * share) + 1;
	for (size_t i = 0; i < NWINDOWED; i++) {
		int64_t gone = delete_chunk(s, windowed_tables[i].older_than, cutoff);
		if (gone < 0)
			return -1;
		n += gone;
	}
	return n > 0 ? n : delete_chunk(s, windowed_tables[oldest].oldest, 0);
}

/* Size: the oldest stretch of time goes from lines, events, states and flags together, so what is
 * kept is the same window in each. (Lines first, as before, let a flag storm's big records fill
 * the cap while every line was deleted: the flags then named evidence no longer kept.) Device
 * records go last, once nothing else is left. Until the live pages are under the low mark. */
static int
prune_by_size(struct cs_store *s, int64_t *budget)
{
	int64_t used;
	if (live_bytes(s, &used) < 0)
		return -1;
	if (used <= s->max_bytes / 100 * PRUNE_HIGH)
		return 0;
	int64_t low = s->max_bytes / 100 * PRUNE_LOW;
	while (used > low && *budget > 0) {
		int64_t n = prune_round(s, used, low);
		if (n < 0 || live_bytes(s, &used) < 0)
			return -1;
		*budget -= n;
		if (n == 0)
			break;	/* nothing is left to delete */
	}
	return 0;
}

int
cs_store_prune(struct cs_store *s, int64_t now_us_)
{
	if (s->max_bytes <= 0 && s->max_age_us <= 0)
		return 0;
	if (begin_if_needed(s) < 0)
		return -1;
	int64_t inflow = sqlite3_total_changes64(s->db) - s->changes_after_prune;
	int64_t budget = PRUNE_BUDGET + 2 * inflow;
	int rc = 0;
	if (s->max_age_us > 0 && now_us_ - s->last_age_prune_us >= AGE_PRUNE_EVERY_US) {
		s->last_age_prune_us = now_us_;
		rc = prune_by_age(s, now_us_, &budget);
	}
	if (rc == 0 && s->max_bytes > 0)
		rc = prune_by_size(s, &budget);
	s->changes_after_prune = sqlite3_total_changes64(s->db);	/* our deletes are not inflow */
	return rc;
}

/* ---------------------------------------------------------------- reading */

enum record_table { TAB_DEVICE, TAB_LINE, TAB_EVENT, TAB_STATE, TAB_FLAG, TAB_MARK, TAB_COUNT };

/* Per table: the type bit it answers and the columns of the common history row
 * (time_us, tab, id, json, device, number, process, image, pid, level, raw, msg_off, msg_len,
 * message): tables with a JSON text fill only the first four. */
static const struct {
	unsigned	 type;
	const char	*select;
} history_tables[TAB_COUNT] = {
	[TAB_DEVICE] = { CS_REC_DEVICE, "SELECT time_us, 0 AS tab, id, json, NULL, NULL, NULL, NULL, NULL,"
		" NULL, NULL, NULL, NULL, NULL FROM devices" },
	[TAB_LINE] = { CS_REC_LINE, "SELECT time_us, 1, id, NULL, device, number, process, image, pid,"
		" level, raw, msg_off, msg_len, message FROM lines" },
	[TAB_EVENT] = { CS_REC_EVENT, "SELECT time_us, 2, id, json, NULL, NULL, NULL, NULL, NULL, NULL,"
		" NULL, NULL, NULL, NULL FROM events" },
	[TAB_STATE] = { CS_REC_STATE, "SELECT time_us, 3, id, json, NULL, NULL, NULL, NULL, NULL, NULL,"
		" NULL, NULL, NULL, NULL FROM states" },
	[TAB_FLAG] = { CS_REC_FLAG, "SELECT time_us, 4, id, json, NULL, NULL, NULL, NULL, NULL, NULL,"
		" NULL, NULL, NULL, NULL FROM flags" },
	[TAB_MARK] = { CS_REC_MARK, "SELECT time_us, 5, id, json, NULL, NULL, NULL, NULL, NULL, NULL,"
		" NULL, NULL, NULL, NULL FROM marks" },
};

static const char *
column_text(sqlite3_stmt *st, int col)
{
	const char *t = (const char *)sqlite3_column_text(st, col);
	return t ? t : "";
}

/* A `line` record from a lines row (columns 4.. of the history row), built as live lines are. */
static json_t *
line_record(sqlite3_stmt *st)
{
	const char *raw = column_text(st, 10);
	size_t raw_len = (size_t)sqlite3_column_bytes(st, 10);
	struct cs_line line = {
		.time_us = sqlite3_column_int64(st, 0), .number = (uint64_t)sqlite3_column_int64(st, 5),
		.process = column_text(st, 6), .image = column_text(st, 7), .pid = (long)sqlite3_column_int64(st, 8),
		.level = column_text(st, 9),
	};
	if (sqlite3_column_type(st, 11) != SQLITE_NULL) {
		size_t off = (size_t)sqlite3_column_int64(st, 11), len = (size_t)sqlite3_column_int64(st, 12);
		if (off > raw_len || len > raw_len - off)
			off = len = 0;
		line.message = raw + off;
		line.message_len = len;
	} else {
		line.message = column_text(st, 13);
		line.message_len = (size_t)sqlite3_column_bytes(st, 13);
	}
	return cs_line_json(column_text(st, 4), &line);
}

/* Append "<select> WHERE device = ?1 AND time_us BETWEEN ?2 AND ?3" for each wanted table; a paged
 * query also takes only rows after the cursor's (time_us, table, id) = (?5, ?6, ?7). */
static char *
history_sql(unsigned types, bool by_device, bool paged)
{
	size_t size = 256;
	for (int t = 0; t < TAB_COUNT; t++)
		size += strlen(history_tables[t].select) + 160;
	char *sql = cs_xmalloc(size);
	size_t len = 0;
	for (int t = 0; t < TAB_COUNT; t++) {
		if (!(types & history_tables[t].type))
			continue;
		len += (size_t)snprintf(sql + len, size - len, "%s%s WHERE %stime_us BETWEEN ?2 AND ?3",
		    len ? " UNION ALL " : "", history_tables[t].select, by_device ? "device = ?1 AND " : "");
		if (paged)
			len += (size_t)snprintf(sql + len, size - len, " AND (time_us, %d, id) > (?5, ?6, ?7)", t);
	}
	snprintf(sql + len, size - len, " ORDER BY 1, 2, 3 LIMIT ?4");	/* -1: no limit */
	return sql;
}

/* The stored app facts (no time of their own: they come first in a history). */
static int
history_apps(struct cs_store *s, const char *device, size_t limit, size_t *count, cs_record_cb cb,
    void *ctx)
{
	sqlite3_stmt *st;
	const char *sql = device ? "SELECT json FROM apps WHERE device = ?1 ORDER BY id"
	    : "SELECT json FROM apps ORDER BY device, id";
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return fail(s, "history apps");
	if (device)
		bind_text(st, 1, device);
	int rc = SQLITE_DONE, result = 0;
	while ((limit == 0 || *count < limit) && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *record = json_loads(column_text(st, 0), 0, NULL);
		if (record == NULL)
			continue;
		(*count)++;
		if (cb(record, ctx) != 0) {
			result = 1;	/* the caller stopped the walk */
			break;
		}
	}
	if (result == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
		result = fail(s, "history apps");
	sqlite3_finalize(st);
	return result;
}

static int64_t
until_or_open(int64_t until_us)
{
	return until_us ? until_us : INT64_MAX;
}

/* The history query for these tables and this window, prepared and bound (?1-?4); NULL on error.
 * limit 0: all. A paged query leaves the cursor's ?5-?7 to the caller. */
static sqlite3_stmt *
prepare_history(struct cs_store *s, const char *device, int64_t since_us, int64_t until_us,
    unsigned types, size_t limit, bool paged)
{
	char *sql = history_sql(types, device != NULL, paged);
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	free(sql);
	if (rc != SQLITE_OK)
		return NULL;
	if (device)
		bind_text(st, 1, device);
	sqlite3_bind_int64(st, 2, since_us ? since_us : INT64_MIN);
	sqlite3_bind_int64(st, 3, until_or_open(until_us));
	sqlite3_bind_int64(st, 4, limit ? (sqlite3_int64)limit : -1);
	return st;
}

/* The protocol record of a history row (NULL: a stored JSON text jansson cannot read back). */
static json_t *
history_record(sqlite3_stmt *st)
{
	return sqlite3_column_int(st, 1) == TAB_LINE ? line_record(st) : json_loads(column_text(st, 3), 0, NULL);
}

int
cs_store_history(struct cs_store *s, const char *device, int64_t since_us, int64_t until_us,
    unsigned types, size_t limit, cs_record_cb cb, void *ctx)
{
	size_t count = 0;
	if (types & CS_REC_APP) {
		int rc = history_apps(s, device, limit, &count, cb, ctx);
		if (rc != 0)
			return rc < 0 ? -1 : 0;
	}
	if (!(types & ~(unsigned)CS_REC_APP) || (limit && count >= limit))
		return 0;
	sqlite3_stmt *st = prepare_history(s, device, since_us, until_us, types, limit ? limit - count : 0,
	    false);
	if (st == NULL)
		return fail(s, "history");
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *record = history_record(st);
		if (record == NULL)
			continue;	/* a record jansson cannot read back: skip it, keep the rest */
		if (cb(record, ctx) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : fail(s, "history");
}

int
cs_store_history_page(struct cs_store *s, const char *device, int64_t since_us, int64_t until_us,
    unsigned types, struct cs_history_cursor *cur, size_t limit, cs_record_cb cb, void *ctx)
{
	size_t count = 0;
	if (!cur->apps_done) {	/* the app facts (few, no time of their own) lead the first page */
		cur->apps_done = true;
		if ((types & CS_REC_APP) && history_apps(s, device, 0, &count, cb, ctx) < 0)
			return -1;
	}
	if (!(types & ~(unsigned)CS_REC_APP))
		return 0;
	sqlite3_stmt *st = cur->stmt;
	if (st == NULL) {	/* first page, or resuming after a long pause: from the cursor on */
		if ((st = prepare_history(s, device, since_us, until_us, types, limit, true)) == NULL)
			return fail(s, "history");
		sqlite3_bind_int64(st, 5, cur->started ? cur->time_us : INT64_MIN);
		sqlite3_bind_int(st, 6, cur->started ? cur->table : -1);
		sqlite3_bind_int64(st, 7, cur->started ? cur->id : -1);
		cur->stmt = st;
	}
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cur->started = true;
		cur->time_us = sqlite3_column_int64(st, 0);
		cur->table = sqlite3_column_int(st, 1);
		cur->id = sqlite3_column_int64(st, 2);
		json_t *record = history_record(st);
		if (record == NULL) {
			cur->unreadable++;	/* jansson cannot read it back: counted, the rest goes on */
			continue;
		}
		if (cb(record, ctx) != 0)	/* delivered; the caller wants a pause: keep the statement */
			return 1;
	}
	cs_store_history_release(cur);
	return rc == SQLITE_DONE ? 0 : fail(s, "history");
}

void
cs_store_history_release(struct cs_history_cursor *cur)
{
	sqlite3_finalize(cur->stmt);	/* the next page starts again from the cursor */
	cur->stmt = NULL;
}

/* One device's lines in capture order, read a page at a time with a keyset cursor on the rowid
 * (issue 14 §2): the window's id range is found first (the (device, time_us) index; no window: the
 * table's last id), then each page is a rowid range seek "id > last AND id <= hi" that filters the
 * device and the window, so a page costs its own rows whatever the store's size, no sort and no
 * OFFSET. The statement is reset after each page, so a long read (a report of a whole store)
 * holds a read snapshot for one page only, never one that keeps the writer's WAL from being
 * checkpointed for minutes; lines written after the range was taken (id > hi) are not read. */
static int
raw_lines_of(struct cs_store *s, const char *device, int64_t since_us, int64_t until_us,
    cs_raw_line_cb cb, void *ctx)
{
	bool window = since_us != 0 || until_us != 0;
	const char *range_sql = window
	    ? "SELECT min(id), max(id) FROM lines WHERE device = ?1 AND time_us BETWEEN ?2 AND ?3"
	    : "SELECT 1, max(id) FROM lines";
	static const char page_sql[] = "SELECT id, device, raw, time_us FROM lines WHERE id > ?4 AND id <= ?5"
	    " AND +device = ?1 AND +time_us BETWEEN ?2 AND ?3 ORDER BY id LIMIT ?6";
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, range_sql, -1, &st, NULL) != SQLITE_OK)
		return fail(s, "raw lines");
	if (window) {
		bind_text(st, 1, device);
		sqlite3_bind_int64(st, 2, since_us ? since_us : INT64_MIN);
		sqlite3_bind_int64(st, 3, until_or_open(until_us));
	}
	int rc = sqlite3_step(st);
	bool empty = rc != SQLITE_ROW || sqlite3_column_type(st, 1) == SQLITE_NULL;
	int64_t last = empty ? 0 : sqlite3_column_int64(st, 0) - 1, hi = empty ? 0 : sqlite3_column_int64(st, 1);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(s, "raw lines");
	if (empty)
		return 0;
	if (sqlite3_prepare_v2(s->db, page_sql, -1, &st, NULL) != SQLITE_OK)
		return fail(s, "raw lines");
	bind_text(st, 1, device);
	sqlite3_bind_int64(st, 2, since_us ? since_us : INT64_MIN);
	sqlite3_bind_int64(st, 3, until_or_open(until_us));
	sqlite3_bind_int64(st, 5, hi);
	sqlite3_bind_int64(st, 6, RAW_PAGE);
	int result = 0;
	for (;;) {
		sqlite3_bind_int64(st, 4, last);
		size_t n = 0;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			last = sqlite3_column_int64(st, 0);
			n++;
			cb(column_text(st, 1), column_text(st, 2), (size_t)sqlite3_column_bytes(st, 2),
			    sqlite3_column_int64(st, 3), ctx);
		}
		sqlite3_reset(st);	/* the page's read snapshot ends here */
		if (rc != SQLITE_DONE) {
			result = fail(s, "raw lines");
			break;
		}
		if (n < RAW_PAGE)
			break;
	}
	sqlite3_finalize(st);
	return result;
}

int
cs_store_raw_lines(struct cs_store *s, const char *device, int64_t since_us, int64_t until_us,
    cs_raw_line_cb cb, void *ctx)
{
	if (device)
		return raw_lines_of(s, device, since_us, until_us, cb, ctx);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "SELECT DISTINCT device FROM lines ORDER BY device", -1, &st,
	    NULL) != SQLITE_OK)
		return fail(s, "raw lines devices");
	int rc = SQLITE_DONE, result = 0;
	while (result == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		char *dev = cs_xstrdup(column_text(st, 0));
		result = raw_lines_of(s, dev, since_us, until_us, cb, ctx);
		free(dev);
	}
	if (result == 0 && rc != SQLITE_DONE)
		result = fail(s, "raw lines devices");
	sqlite3_finalize(st);
	return result;
}

/* ---------------------------------------------------------------- forwarding (forward.c) */

/* The records a collector can get, each read by row id (capture order) after a cursor. The rows
 * have the history row's first columns (time_us, tab, id, json); lines its full row. */
static const struct {
	unsigned	 type;
	const char	*name;		/* the protocol's record type, and the cursor's key */
	int		 tab;		/* history_tables row; -1: apps */
} forward_types[] = {
	{ CS_REC_FLAG, "flag", TAB_FLAG },
	{ CS_REC_DEVICE, "device", TAB_DEVICE },
	{ CS_REC_APP, "app", -1 },
	{ CS_REC_EVENT, "event", TAB_EVENT },
	{ CS_REC_LINE, "line", TAB_LINE },
};

static int
forward_type(unsigned type)
{
	for (size_t i = 0; i < sizeof forward_types / sizeof forward_types[0]; i++)
		if (forward_types[i].type == type)
			return (int)i;
	return -1;
}

const char *
cs_store_record_type_name(unsigned type)
{
	int i = forward_type(type);
	return i < 0 ? NULL : forward_types[i].name;
}

int
cs_store_forward_rows(struct cs_store *s, unsigned type, int64_t after_id, size_t limit, cs_row_cb cb,
    void *ctx)
{
	int i = forward_type(type);
	if (i < 0)
		return -1;
	char sql[512];
	snprintf(sql, sizeof sql, "%s WHERE id > ?1 ORDER BY id LIMIT ?2", forward_types[i].tab < 0
	    ? "SELECT 0, 6, id, json FROM apps" : history_tables[forward_types[i].tab].select);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return fail(s, "forward rows");
	sqlite3_bind_int64(st, 1, after_id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 2);
		json_t *record = forward_types[i].tab == TAB_LINE ? line_record(st)
		    : json_loads(column_text(st, 3), 0, NULL);
		if (record == NULL)	/* unreadable: hand out a stand-in so the cursor can pass it */
			record = json_pack("{s:s, s:b}", "type", forward_types[i].name, "unreadable", 1);
		if (cb(record, id, ctx) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : fail(s, "forward rows");
}

int
cs_store_forward_get(struct cs_store *s, const char *target, unsigned type, int64_t *acked)
{
	*acked = 0;
	int i = forward_type(type);
	sqlite3_stmt *st;
	if (i < 0 || sqlite3_prepare_v2(s->db, "SELECT acked FROM forward WHERE target = ?1 AND type = ?2",
	    -1, &st, NULL) != SQLITE_OK)
		return i < 0 ? -1 : fail(s, "forward cursor");
	bind_text(st, 1, target);
	bind_text(st, 2, forward_types[i].name);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*acked = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail(s, "forward cursor");
}

int
cs_store_forward_set(struct cs_store *s, const char *target, unsigned type, int64_t acked)
{
	int i = forward_type(type);
	if (i < 0 || begin_if_needed(s) < 0)
		return -1;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "INSERT INTO forward(target, type, acked) VALUES(?1, ?2, ?3)"
	    " ON CONFLICT(target, type) DO UPDATE SET acked = excluded.acked", -1, &st, NULL) != SQLITE_OK)
		return fail(s, "forward cursor");
	bind_text(st, 1, target);
	bind_text(st, 2, forward_types[i].name);
	sqlite3_bind_int64(st, 3, acked);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : fail(s, "forward cursor");
}

int
cs_store_device_name(struct cs_store *s, const char *udid, char *out, size_t outlen)
{
	out[0] = '\0';
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "SELECT json_extract(json, '$.name') FROM devices WHERE device = ?1"
	    " AND json_extract(json, '$.name') != '' ORDER BY id DESC LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return fail(s, "device name");
	bind_text(st, 1, udid);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		cs_strlcpy(out, column_text(st, 0), outlen);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail(s, "device name");
}

/*
 * test_scenarios.c - the scenario suite: replays every capture tests/scenarios/NAME.log through
 * callsightd --replay --json and requires exactly the flags listed in NAME.expect (format in
 * tests/scenarios/README.md), in order, plus a summary record with lines > 0 and exit status 0.
 * One cmocka test per scenario, so each passes or fails on its own.
 *
 * Environment (paths relative to the repo root, where the tests run):
 *   CALLSIGHTD    the daemon binary           (default build/callsightd)
 *   CS_SCENARIOS  the directory of captures   (default tests/scenarios)
 *   CS_TIMEOUT    seconds one replay may take (default 60)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#define MAX_ARGS	32
#define MAX_FLAGS	64
#define SHOW_EVIDENCE	3

struct flag_rec {
	char	severity[16];
	char	cause[64];
	long	line;
	char	sdk[32];
	int	nevidence;
	long	ev_line[SHOW_EVIDENCE];
	char	ev_kind[SHOW_EVIDENCE][40];
	char	ev_text[SHOW_EVIDENCE][200];
};

struct expectation {
	char	*args[MAX_ARGS];
	int	 nargs;
	int	 nflags;
	char	 severity[MAX_FLAGS][16];
	char	 cause[MAX_FLAGS][64];
	char	 sdk[32];		/* "sdk: NAME": every flag and the summary name it ("" = unchecked) */
	char	 error[256];		/* a malformed .expect */
};

struct result {
	int		exit_status;	/* -1: did not exit normally */
	int		term_signal;
	bool		timed_out;
	char	       *out;		/* stdout */
	size_t		out_len;
	char	       *err;		/* stderr */
	size_t		err_len;
	int		nflags;
	struct flag_rec	flags[MAX_FLAGS];
	bool		summary;
	long		lines;
	long		unparsed;
	long		events;
	char		format[32];
	char		app[128];
	char		sdk[32];	/* the summary's */
	int		bad_records;	/* stdout lines that are not JSON objects */
	char		first_bad[160];
};

static const char *
env_or(const char *name, const char *def)
{
	const char *v = getenv(name);
	return v && v[0] ? v : def;
}

static void
copy_str(char *dst, size_t size, const char *src)
{
	size_t i = 0;
	for (; src && src[i] && i + 1 < size; i++)
		dst[i] = src[i];
	dst[i] = '\0';
}

static void set_error(struct expectation *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
set_error(struct expectation *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->error, sizeof e->error, fmt, ap);
	va_end(ap);
}

/* ---------------------------------------------------------------- .expect */

static char *
trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

static void
free_expectation(struct expectation *e)
{
	for (int i = 0; i < e->nargs; i++)
		free(e->args[i]);
	e->nargs = 0;
}

/* 0 ok, -1 with e->error filled */
static int
read_expectation(const char *path, struct expectation *e)
{
	memset(e, 0, sizeof *e);
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		set_error(e, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	char buf[1024];
	int lineno = 0;
	bool none = false;
	while (fgets(buf, sizeof buf, f) != NULL) {
		lineno++;
		char *s = trim(buf);
		if (*s == '\0' || *s == '#')
			continue;
		if (strncmp(s, "args:", 5) == 0) {
			char *save = NULL;
			for (char *tok = strtok_r(s + 5, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
				if (e->nargs == MAX_ARGS) {
					set_error(e, "%s:%d: too many args", path, lineno);
					goto bad;
				}
				e->args[e->nargs++] = strdup(tok);
			}
			continue;
		}
		if (strcmp(s, "none") == 0) {
			none = true;
			continue;
		}
		if (strncmp(s, "sdk:", 4) == 0) {
			copy_str(e->sdk, sizeof e->sdk, trim(s + 4));
			if (e->sdk[0] == '\0') {
				set_error(e, "%s:%d: 'sdk:' needs a name", path, lineno);
				goto bad;
			}
			continue;
		}
		char sev[32], cause[96], extra[8];
		int n = sscanf(s, "%31s %95s %7s", sev, cause, extra);
		if (n != 2 || (strcmp(sev, "disconnect") != 0 && strcmp(sev, "warning") != 0)) {
			set_error(e, "%s:%d: expected 'disconnect CAUSE', 'warning CAUSE', 'none' or 'args: ...', got '%s'",
			    path, lineno, s);
			goto bad;
		}
		if (e->nflags == MAX_FLAGS) {
			set_error(e, "%s:%d: too many flags", path, lineno);
			goto bad;
		}
		copy_str(e->severity[e->nflags], sizeof e->severity[0], sev);
		copy_str(e->cause[e->nflags], sizeof e->cause[0], cause);
		e->nflags++;
	}
	fclose(f);
	if (none && e->nflags > 0) {
		set_error(e, "%s: 'none' together with flags", path);
		return -1;
	}
	if (!none && e->nflags == 0) {
		set_error(e, "%s: no flags and no 'none' line", path);
		return -1;
	}
	return 0;
bad:
	fclose(f);
	return -1;
}

/* ---------------------------------------------------------------- running the daemon */

static void
append(char **buf, size_t *len, size_t *cap, const char *data, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t want = *cap ? *cap : 65536;
		while (want < *len + n + 1)
			want *= 2;
		char *p = realloc(*buf, want);
		if (p == NULL) {
			fprintf(stderr, "test_scenarios: out of memory\n");
			exit(1);
		}
		*buf = p;
		*cap = want;
	}
	memcpy(*buf + *len, data, n);
	*len += n;
	(*buf)[*len] = '\0';
}

static int64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* run argv, collect stdout and stderr; 0 ok, -1 with err set (could not start) */
static int
run_command(char *const argv[], struct result *r, int timeout_s, char *err, size_t errlen)
{
	int out[2], errp[2];
	if (pipe(out) < 0 || pipe(errp) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		dup2(out[1], STDOUT_FILENO);
		dup2(errp[1], STDERR_FILENO);
		close(out[0]); close(out[1]); close(errp[0]); close(errp[1]);
		execv(argv[0], argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(out[1]);
	close(errp[1]);
	size_t out_cap = 0, err_cap = 0;
	append(&r->out, &r->out_len, &out_cap, "", 0);
	append(&r->err, &r->err_len, &err_cap, "", 0);
	struct pollfd fds[2] = { { .fd = out[0], .events = POLLIN }, { .fd = errp[0], .events = POLLIN } };
	int open_fds = 2;
	int64_t deadline = now_ms() + (int64_t)timeout_s * 1000;
	char buf[65536];
	while (open_fds > 0) {
		int64_t left = deadline - now_ms();
		if (left <= 0) {
			r->timed_out = true;
			kill(pid, SIGKILL);	/* the child this test started */
			break;
		}
		int n = poll(fds, 2, (int)(left > 1000 ? 1000 : left));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		for (int i = 0; i < 2; i++) {
			if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t got = read(fds[i].fd, buf, sizeof buf);
			if (got > 0) {
				if (i == 0)
					append(&r->out, &r->out_len, &out_cap, buf, (size_t)got);
				else
					append(&r->err, &r->err_len, &err_cap, buf, (size_t)got);
			} else if (got == 0 || errno != EINTR) {
				close(fds[i].fd);
				fds[i].fd = -1;
				open_fds--;
			}
		}
	}
	for (int i = 0; i < 2; i++)
		if (fds[i].fd >= 0)
			close(fds[i].fd);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	r->exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	r->term_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	return 0;
}

static long
json_long(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_integer(v) ? (long)json_integer_value(v) : -1;
}

static const char *
json_str(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s ? s : "";
}

/* one evidence text on one line, cut */
static void
squash(char *dst, size_t size, const char *src)
{
	size_t j = 0;
	for (size_t i = 0; src[i] && j + 1 < size; i++)
		dst[j++] = (src[i] == '\n' || src[i] == '\t' || src[i] == '\r') ? ' ' : src[i];
	dst[j] = '\0';
	if (j + 1 == size && size > 4)
		memcpy(dst + size - 4, "...", 4);
}

static void
parse_records(struct result *r)
{
	char *save = NULL;
	for (char *line = strtok_r(r->out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_error_t jerr;
		json_t *rec = json_loads(line, 0, &jerr);
		if (rec == NULL || !json_is_object(rec)) {
			if (r->bad_records++ == 0)
				squash(r->first_bad, sizeof r->first_bad, line);
			json_decref(rec);
			continue;
		}
		const char *type = json_str(rec, "type");
		if (strcmp(type, "flag") == 0 && r->nflags < MAX_FLAGS) {
			struct flag_rec *f = &r->flags[r->nflags++];
			copy_str(f->severity, sizeof f->severity, json_str(rec, "severity"));
			copy_str(f->cause, sizeof f->cause, json_str(rec, "cause"));
			f->line = json_long(rec, "line");
			copy_str(f->sdk, sizeof f->sdk, json_str(rec, "sdk"));
			json_t *ev = json_object_get(rec, "evidence");
			size_t i;
			json_t *item;
			json_array_foreach(ev, i, item) {
				if (f->nevidence == SHOW_EVIDENCE)
					break;
				f->ev_line[f->nevidence] = json_long(item, "line");
				copy_str(f->ev_kind[f->nevidence], sizeof f->ev_kind[0], json_str(item, "kind"));
				squash(f->ev_text[f->nevidence], sizeof f->ev_text[0], json_str(item, "text"));
				f->nevidence++;
			}
		} else if (strcmp(type, "summary") == 0) {
			r->summary = true;
			r->lines = json_long(rec, "lines");
			r->unparsed = json_long(rec, "unparsed");
			r->events = json_long(rec, "events");
			copy_str(r->format, sizeof r->format, json_str(rec, "format"));
			copy_str(r->app, sizeof r->app, json_str(rec, "app"));
			copy_str(r->sdk, sizeof r->sdk, json_str(rec, "sdk"));
		}
		json_decref(rec);
	}
}

/* ---------------------------------------------------------------- the test */

static void
print_flags(const struct expectation *e, const struct result *r)
{
	print_error("  expected:");
	if (e->nflags == 0)
		print_error(" none");
	for (int i = 0; i < e->nflags; i++)
		print_error("%s %s %s", i ? "," : "", e->severity[i], e->cause[i]);
	print_error("\n  actual:  ");
	if (r->nflags == 0)
		print_error(" none");
	for (int i = 0; i < r->nflags; i++)
		print_error("%s %s %s", i ? "," : "", r->flags[i].severity, r->flags[i].cause);
	print_error("\n");
	for (int i = 0; i < r->nflags; i++) {
		const struct flag_rec *f = &r->flags[i];
		print_error("  flag %d: %s %s (raised at line %ld)\n", i + 1, f->severity, f->cause, f->line);
		for (int k = 0; k < f->nevidence; k++)
			print_error("      L%-5ld %-26s %s\n", f->ev_line[k], f->ev_kind[k], f->ev_text[k]);
	}
	if (r->summary)
		print_error("  summary: lines=%ld events=%ld unparsed=%ld format=%s app=%s\n", r->lines,
		    r->events, r->unparsed, r->format, r->app[0] ? r->app : "(none)");
}

static void
print_stderr(const struct result *r)
{
	if (r->err_len == 0)
		return;
	print_error("  stderr: %.*s%s", (int)(r->err_len > 600 ? 600 : r->err_len), r->err,
	    r->err[r->err_len - 1] == '\n' ? "" : "\n");
}

static void
test_scenario(void **state)
{
	const char *log_path = *state;
	const char *daemon = env_or("CALLSIGHTD", "build/callsightd");
	int timeout_s = atoi(env_or("CS_TIMEOUT", "60"));
	if (timeout_s <= 0)
		timeout_s = 60;

	char expect_path[4096];
	size_t n = strlen(log_path);
	snprintf(expect_path, sizeof expect_path, "%.*s.expect", (int)(n - 4), log_path);
	struct expectation e;
	if (read_expectation(expect_path, &e) < 0) {
		print_error("  %s\n", e.error);
		free_expectation(&e);
		fail();
	}
	if (access(daemon, X_OK) != 0) {
		print_error("  %s is not an executable (set CALLSIGHTD; run from the repo root)\n", daemon);
		free_expectation(&e);
		fail();
	}

	char *argv[MAX_ARGS + 8];
	int argc = 0;
	argv[argc++] = (char *)daemon;
	argv[argc++] = "--replay";
	argv[argc++] = (char *)log_path;
	argv[argc++] = "--json";
	for (int i = 0; i < e.nargs; i++)
		argv[argc++] = e.args[i];
	argv[argc] = NULL;

	struct result *r = calloc(1, sizeof *r);
	assert_non_null(r);
	char err[256];
	if (run_command(argv, r, timeout_s, err, sizeof err) < 0) {
		print_error("  cannot run %s: %s\n", daemon, err);
		free_expectation(&e);
		free(r);
		fail();
	}
	parse_records(r);

	bool ok = true;
	if (r->timed_out) {
		print_error("  %s did not finish within %d s (killed)\n", log_path, timeout_s);
		ok = false;
	} else if (r->exit_status != 0) {
		if (r->term_signal)
			print_error("  callsightd died with signal %d\n", r->term_signal);
		else
			print_error("  callsightd exited %d (want 0)\n", r->exit_status);
		ok = false;
	}
	if (r->bad_records) {
		print_error("  %d stdout lines are not JSON objects, first: %s\n", r->bad_records,
		    r->first_bad);
		ok = false;
	}
	if (!r->summary) {
		print_error("  no summary record\n");
		ok = false;
	} else if (r->lines <= 0) {
		print_error("  summary says lines=%ld (want > 0)\n", r->lines);
		ok = false;
	}
	bool same = r->nflags == e.nflags;
	for (int i = 0; same && i < e.nflags; i++)
		same = strcmp(r->flags[i].severity, e.severity[i]) == 0 &&
		    strcmp(r->flags[i].cause, e.cause[i]) == 0;
	if (!same) {
		print_error("  %s: flags differ from %s\n", log_path, expect_path);
		ok = false;
	}
	for (int i = 0; e.sdk[0] && i < r->nflags; i++)
		if (strcmp(r->flags[i].sdk, e.sdk) != 0) {
			print_error("  flag %d (%s) names sdk '%s', want '%s'\n", i + 1, r->flags[i].cause,
			    r->flags[i].sdk, e.sdk);
			ok = false;
		}
	if (e.sdk[0] && r->summary && strcmp(r->sdk, e.sdk) != 0) {
		print_error("  summary names sdk '%s', want '%s'\n", r->sdk, e.sdk);
		ok = false;
	}
	if (!ok) {
		print_flags(&e, r);
		print_stderr(r);
	}
	free_expectation(&e);
	free(r->out);
	free(r->err);
	free(r);
	if (!ok)
		fail();
}

/* ---------------------------------------------------------------- discovery */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(void)
{
	const char *dir = env_or("CS_SCENARIOS", "tests/scenarios");
	DIR *d = opendir(dir);
	if (d == NULL) {
		fprintf(stderr, "test_scenarios: cannot open %s: %s (run from the repo root or set "
		    "CS_SCENARIOS)\n", dir, strerror(errno));
		return 1;
	}
	char **paths = NULL;
	size_t count = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (len <= 4 || de->d_name[0] == '.' || strcmp(de->d_name + len - 4, ".log") != 0)
			continue;
		if (count == cap) {
			cap = cap ? cap * 2 : 32;
			paths = realloc(paths, cap * sizeof *paths);
			if (paths == NULL)
				return 1;
		}
		size_t need = strlen(dir) + 1 + len + 1;
		paths[count] = malloc(need);
		if (paths[count] == NULL)
			return 1;
		snprintf(paths[count], need, "%s/%s", dir, de->d_name);
		count++;
	}
	closedir(d);
	if (count == 0) {
		fprintf(stderr, "test_scenarios: no *.log captures in %s\n", dir);
		free(paths);
		return 1;
	}
	qsort(paths, count, sizeof *paths, cmp_str);

	/* a variable-length array, so cmocka_run_group_tests_name's sizeof counts it */
	struct CMUnitTest tests[count];
	for (size_t i = 0; i < count; i++) {
		const char *base = strrchr(paths[i], '/');
		tests[i] = (struct CMUnitTest){
			.name = base ? base + 1 : paths[i],
			.test_func = test_scenario,
			.initial_state = paths[i],
		};
	}
	int failed = cmocka_run_group_tests_name("scenarios", tests, NULL, NULL);
	for (size_t i = 0; i < count; i++)
		free(paths[i]);
	free(paths);
	return failed;
}

/* control.c - how a test drives fakeiphone while it runs: one text command per line on stdin or
 * on the control Unix socket, answered with one line "ok ..." or "error ...". Plug and unplug,
 * usbmuxd restart, passcode lock, stalled streams, injected/garbage/big syslog records, rate
 * changes and the per-device counters a test compares with what its client received. */
#include "fakeiphone.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_CMD_LINE 65536
#define MAX_INJECT (64u << 20)

int control_open(struct fk *fk)
{
	if (!fk->ctl_path)
		return 0;
	fk->ctl_fd = listen_unix(fk->ctl_path);
	return fk->ctl_fd < 0 ? -1 : 0;
}

static void say(struct fk *fk, struct conn *c, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(struct fk *fk, struct conn *c, const char *fmt, ...)
{
	/* one reply line of any length (stats for many devices runs past any fixed buffer) */
	char *line = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	conn_send(fk, c, line, (size_t)n);
	conn_send(fk, c, "\n", 1);
	free(line);
}

void device_detach(struct fk *fk, struct device *d)
{
	for (struct conn *c = fk->conns; c; c = c->next)
		if (c->dev == d)
			conn_kill(fk, c, "device detached");
	memset(d->ports, 0, sizeof(d->ports));
	d->attached = 0;
	usbmux_detached(fk, d);
	vlog(fk, "%s: detached", d->udid);
}

void device_attach(struct fk *fk, struct device *d)
{
	d->attached = 1;
	usbmux_attached(fk, d);
	vlog(fk, "%s: attached", d->udid);
}

static void restart(struct fk *fk)
{
	for (struct conn *c = fk->conns; c; c = c->next)
		if (c->kind != C_CONTROL && c->kind != C_STDIN)
			conn_kill(fk, c, "usbmuxd restart");
	for (size_t i = 0; i < fk->ndevs; i++)
		memset(fk->devs[i].ports, 0, sizeof(fk->devs[i].ports));
	usbmux_close(fk);
	if (usbmux_open(fk) < 0)
		fk->quit = 1;
}

static uint64_t rnd(struct fk *fk)
{
	uint64_t x = fk->rng;	/* xorshift64 */
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return fk->rng = x;
}

static size_t garbage(struct fk *fk, struct device *d, size_t n)
{
	char *b = malloc(n ? n : 1);
	if (!b)
		abort();
	for (size_t i = 0; i < n; i++)
		b[i] = (char)(rnd(fk) >> 24);
	if (n > 1)
		b[n / 2] = '\0';	/* always at least one NUL */
	size_t k = syslog_emit(fk, d, b, n, 0);
	free(b);
	return k;
}

/* one record of exactly n bytes before "\n\0", shaped like a device line when n allows */
static size_t big(struct fk *fk, struct device *d, size_t n)
{
	char head[256], stamp[32];
	time_t t = time(NULL);
	strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", localtime(&t));
	int h = snprintf(head, sizeof(head), "%s %s fakeiphone[1] <Notice>: big line of %zu bytes ", stamp, d->name, n);
	char *b = malloc(n ? n : 1);
	if (!b)
		abort();
	size_t hl = (size_t)h < n ? (size_t)h : 0;
	memcpy(b, head, hl);
	for (size_t i = hl; i < n; i++)
		b[i] = (char)('a' + i % 26);
	size_t k = syslog_emit(fk, d, b, n, 1);
	free(b);
	return k;
}

static void stats(struct fk *fk, struct conn *c)
{
	char *out = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);
	if (f == NULL)
		return;
	fprintf(f, "ok stats");
	for (size_t i = 0; i < fk->ndevs; i++) {
		struct device *d = &fk->devs[i];
		fprintf(f,
				      "%s %s lines=%llu bytes=%llu clients=%zu pos=%zu/%zu attached=%d locked=%d stalled=%d eof=%d rate=%u"
				      " reports=%zu removed=%llu mover=%llu afc=%llu",
				      i ? ";" : "", d->udid, (unsigned long long)d->sent_lines,
				      (unsigned long long)d->sent_bytes, syslog_clients(fk, d), d->pos, d->nlines,
				      d->attached, d->locked, d->stalled, d->eof, d->rate, d->ncrash,
				      (unsigned long long)d->crash_removed, (unsigned long long)d->mover_runs,
				      (unsigned long long)d->afc_requests);
	}
	fclose(f);
	say(fk, c, "%s", out);
	free(out);
}

static void list(struct fk *fk, struct conn *c)
{
	char out[8192];
	size_t o = (size_t)snprintf(out, sizeof(out), "ok devices");
	for (size_t i = 0; i < fk->ndevs && o < sizeof(out); i++)
		o += (size_t)snprintf(out + o, sizeof(out) - o, " %s", fk->devs[i].udid);
	say(fk, c, "%s", out);
}

static int parse_n(const char *s, size_t max, size_t *out)
{
	char *end = NULL;
	unsigned long long v = s ? strtoull(s, &end, 10) : 0;
	if (!s || end == s || *end || v > max)
		return -1;
	*out = (size_t)v;
	return 0;
}

/* commands with a device argument; `arg` is the rest of the line (may be NULL) */
static void device_command(struct fk *fk, struct conn *c, const char *cmd, struct device *d, const char *arg)
{
	size_t n = 0;
	if (!strcmp(cmd, "attach") || !strcmp(cmd, "detach")) {
		int want = !strcmp(cmd, "attach");
		if (d->attached == want) {
			say(fk, c, "error %s already %sed", d->udid, cmd);
			return;
		}
		want ? device_attach(fk, d) : device_detach(fk, d);
		say(fk, c, "ok %s %s", cmd, d->udid);
	} else if (!strcmp(cmd, "lock") || !strcmp(cmd, "unlock")) {
		d->locked = !strcmp(cmd, "lock");
		say(fk, c, "ok %s %s", cmd, d->udid);
	} else if (!strcmp(cmd, "stall") || !strcmp(cmd, "resume")) {
		d->stalled = !strcmp(cmd, "stall");
		if (!d->stalled)
			for (struct conn *s = fk->conns; s; s = s->next)
				if (s->dev == d && s->kind == C_SYSLOG)
					conn_flush(fk, s);
		say(fk, c, "ok %s %s", cmd, d->udid);
	} else if (!strcmp(cmd, "inject")) {
		size_t k = syslog_emit(fk, d, arg ? arg : "", arg ? strlen(arg) : 0, 1);
		say(fk, c, "ok inject %s clients=%zu", d->udid, k);
	} else if (!strcmp(cmd, "garbage") || !strcmp(cmd, "big")) {
		if (parse_n(arg, MAX_INJECT, &n) < 0) {
			say(fk, c, "error %s needs a byte count up to %u", cmd, MAX_INJECT);
			return;
		}
		size_t k = !strcmp(cmd, "big") ? big(fk, d, n) : garbage(fk, d, n);
		say(fk, c, "ok %s %s %zu clients=%zu", cmd, d->udid, n, k);
	} else if (!strcmp(cmd, "rate")) {
		if (parse_n(arg, 1000000, &n) < 0) {
			say(fk, c, "error rate needs lines per second (0 = as fast as possible)");
			return;
		}
		d->rate = (unsigned)n;
		d->next_due = now_ns();
		say(fk, c, "ok rate %s %u", d->udid, d->rate);
	} else if (!strcmp(cmd, "report") || !strcmp(cmd, "kill")) {
		/* report PATH [DELAY_MS]; kill BUNDLE PID PATH [DELAY_MS]: the app dies (runningboardd
		 * says so, as a real phone does) and the phone writes its report */
		char *copy = strdup(arg ? arg : ""), *save = NULL, *bundle = NULL, *pid = NULL;
		int is_kill = !strcmp(cmd, "kill");
		if (is_kill) {
			bundle = strtok_r(copy, " \t", &save);
			pid = strtok_r(NULL, " \t", &save);
		}
		char *path = strtok_r(is_kill ? NULL : copy, " \t", &save);
		char *delay = strtok_r(NULL, " \t", &save);
		char err[512];
		if (!path || (is_kill && (!bundle || !pid)) || (delay && parse_n(delay, 600000, &n) < 0)) {
			say(fk, c, "error usage: %s", is_kill ? "kill UDID BUNDLE PID REPORT [DELAY_MS]" :
			    "report UDID FILE [DELAY_MS]");
		} else if (crash_drop(d, path, delay ? (unsigned)n : 0, err, sizeof err) < 0) {
			say(fk, c, "error %s", err);
		} else {
			size_t k = 0;
			if (is_kill) {
				char line[512], stamp[32];
				time_t t = time(NULL);
				strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", localtime(&t));
				snprintf(line, sizeof line, "%s %s runningboardd(RunningBoard)[33] <Notice>: "
				    "[app<%s>:%s] termination reported by launchd (2, 9, 9)", stamp, d->name, bundle, pid);
				k = syslog_emit(fk, d, line, strlen(line), 1);
			}
			say(fk, c, "ok %s %s %s clients=%zu", cmd, d->udid, d->crash[d->ncrash - 1].name, k);
		}
		free(copy);
	} else if (!strcmp(cmd, "rewind")) {
		d->pos = 0;
		d->eof = 0;
		say(fk, c, "ok rewind %s", d->udid);
	} else {
		say(fk, c, "error unknown command '%s' (try help)", cmd);
	}
}

static const char *HELP =
	"ok commands: attach UDID | detach UDID | restart | lock UDID | unlock UDID | stall UDID | "
	"resume UDID | inject UDID TEXT | garbage UDID N | big UDID N | rate UDID N | rewind UDID | "
	"report UDID FILE [DELAY_MS] | kill UDID BUNDLE PID REPORT [DELAY_MS] | "
	"stats | devices | quit";

static void command(struct fk *fk, struct conn *c, char *line)
{
	char *save = NULL;
	char *cmd = strtok_r(line, " \t", &save);
	if (!cmd)
		return;
	vlog(fk, "control: %s%s%s", cmd, save && *save ? " " : "", save ? save : "");
	if (!strcmp(cmd, "quit")) {
		say(fk, c, "ok quit");
		fk->quit = 1;
	} else if (!strcmp(cmd, "restart")) {
		restart(fk);
		say(fk, c, fk->quit ? "error usbmuxd listener did not come back" : "ok restart");
	} else if (!strcmp(cmd, "stats")) {
		stats(fk, c);
	} else if (!strcmp(cmd, "devices")) {
		list(fk, c);
	} else if (!strcmp(cmd, "help")) {
		say(fk, c, "%s", HELP);
	} else {
		char *udid = strtok_r(NULL, " \t", &save);
		struct device *d = udid ? device_find(fk, udid) : NULL;
		if (!d) {
			say(fk, c, "error %s: no such device '%s'", cmd, udid ? udid : "");
			return;
		}
		while (save && (*save == ' ' || *save == '\t'))
			save++;
		device_command(fk, c, cmd, d, save && *save ? save : NULL);
	}
}

void control_input(struct fk *fk, struct conn *c)
{
	while (!c->dead && !fk->quit && c->in.len > c->in.off) {
		char *start = c->in.p + c->in.off;
		char *nl = memchr(start, '\n', c->in.len - c->in.off);
		if (!nl) {
			if (c->in.len - c->in.off > MAX_CMD_LINE)
				conn_kill(fk, c, "control line too long");
			return;
		}
		*nl = '\0';
		if (nl > start && nl[-1] == '\r')
			nl[-1] = '\0';
		size_t used = (size_t)(nl - start) + 1;
		char *line = strdup(start);
		buf_consume(&c->in, used);
		command(fk, c, line);
		free(line);
	}
}

/* syslog.c - com.apple.syslog_relay of a fake device. The device just writes records
 * "<text>\n\0" (a multi-line message is one record: starts_record()). Records come from the
 * device's capture file, at N records/s or as fast as the slowest
 * client reads; the capture advances only while at least one client listens (so a test sees it
 * from the start) and every client gets the lines from when it connected on, like live lines.
 * Injected lines, garbage and big lines from the control interface go out the same way. */
#include "fakeiphone.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Does a capture line start a log record? A stamp in one of the shapes callsight reads (syslog
 * "Mon dd HH:MM:SS", with a weekday before it, ISO "YYYY-MM-DD", a clock "HH:MM:SS", a Console row
 * "type<TAB or space>..."). Anything else (TAB-indented lines, stack frames, stdout) continues the
 * record before it: a phone sends a multi-line message as ONE relay record, "l1\nl2\n\0". */
static int starts_record(const char *l)
{
	static const char *const types[] = { "default", "info", "debug", "error", "fault", "notice",
	    "activity" };
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	static const char days[] = "MonTueWedThuFriSatSun";
	size_t n = strlen(l);
	if (n >= 4 && l[3] == ' ')
		for (int i = 0; i < 7; i++)
			if (memcmp(l, days + 3 * i, 3) == 0)
				return 1;
	if (n >= 4 && l[3] == ' ')
		for (int i = 0; i < 12; i++)
			if (memcmp(l, months + 3 * i, 3) == 0)
				return 1;
	if (n >= 8 && l[0] >= '0' && l[0] <= '9' && (l[2] == ':' || l[4] == '-'))
		return 1;
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		size_t k = strlen(types[i]);
		if (n > k && strncmp(l, types[i], k) == 0 && (l[k] == '\t' || l[k] == ' '))
			return 1;
	}
	return 0;
}

int syslog_load(struct device *d)
{
	if (!d->capture)
		return 0;
	FILE *f = fopen(d->capture, "r");
	if (!f) {
		perror(d->capture);
		return -1;
	}
	char *line = NULL;
	size_t cap = 0, lines_cap = 0;
	ssize_t n;
	int stamped = 0;	/* a record start was seen: what follows may continue it */
	while ((n = getline(&line, &cap, f)) >= 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		/* a raw relay capture ("l1\n\0l2\n\0"): the NUL that ends a record starts our line */
		char *text = line;
		while (text < line + n && *text == '\0')
			text++;
		n = (ssize_t)strlen(text);
		memmove(line, text, (size_t)n + 1);
		if (!starts_record(line) && stamped) {
			char *prev = d->lines[d->nlines - 1];	/* a continuation: same record */
			size_t plen = strlen(prev);
			char *joined = realloc(prev, plen + 1 + (size_t)n + 1);
			if (!joined)
				abort();
			joined[plen] = '\n';
			memcpy(joined + plen + 1, line, (size_t)n + 1);
			d->lines[d->nlines - 1] = joined;
			continue;
		}
		if (d->nlines == lines_cap) {	/* doubling: a 100k-line capture loads in linear time */
			lines_cap = lines_cap ? lines_cap * 2 : 256;
			char **l = realloc(d->lines, lines_cap * sizeof(*l));
			if (!l)
				abort();
			d->lines = l;
		}
		d->lines[d->nlines++] = strdup(line);
		stamped |= starts_record(line);
	}
	free(line);
	fclose(f);
	return 0;
}

size_t syslog_clients(struct fk *fk, struct device *d)
{
	size_t n = 0;
	for (struct conn *c = fk->conns; c; c = c->next)
		if (c->kind == C_SYSLOG && c->dev == d && !c->dead)
			n++;
	return n;
}

/* queues bytes to every syslog client of d; returns the number of clients */
size_t syslog_emit(struct fk *fk, struct device *d, const char *data, size_t len, int is_line)
{
	size_t n = 0;
	for (struct conn *c = fk->conns; c; c = c->next) {
		if (c->kind != C_SYSLOG || c->dev != d || c->dead)
			continue;
		buf_append(&c->out, data, len);
		if (is_line) {
			buf_append(&c->out, "\n", 2);	/* "\n\0" */
			c->lines++;
		}
		conn_flush(fk, c);
		n++;
	}
	if (n > 0) {
		d->sent_bytes += len + (is_line ? 2 : 0);
		d->sent_lines += is_line ? 1 : 0;
	}
	return n;
}

void syslog_connected(struct fk *fk, struct conn *c)
{
	struct device *d = c->dev;
	vlog(fk, "%s: syslog_relay client (%zu now)", d->udid, syslog_clients(fk, d));
	if (syslog_clients(fk, d) == 1)
		d->next_due = now_ns();
}

static int clients_have_room(struct fk *fk, struct device *d)
{
	for (struct conn *c = fk->conns; c; c = c->next)
		if (c->kind == C_SYSLOG && c->dev == d && !c->dead && conn_pending(c) >= OUT_HIGH_WATER)
			return 0;
	return 1;
}

/* the next capture line, or NULL at the end (then eof is set unless the device loops) */
static const char *next_line(struct fk *fk, struct device *d)
{
	if (d->pos >= d->nlines) {
		if (!d->loop || d->nlines == 0) {
			if (!d->eof)
				vlog(fk, "%s: end of capture", d->udid);
			d->eof = 1;
			return NULL;
		}
		d->pos = 0;
	}
	return d->lines[d->pos++];
}

static int producing(struct fk *fk, struct device *d)
{
	return d->attached && !d->stalled && !d->eof && d->nlines > 0 && syslog_clients(fk, d) > 0;
}

static void tick_device(struct fk *fk, struct device *d, uint64_t now)
{
	const char *l;
	if (d->rate == 0) {
		for (int i = 0; i < 4096 && clients_have_room(fk, d) && (l = next_line(fk, d)); i++)
			syslog_emit(fk, d, l, strlen(l), 1);
		return;
	}
	uint64_t step = 1000000000ULL / d->rate;
	if (now > d->next_due + 1000000000ULL)
		d->next_due = now;	/* after a stall: go on from now, no burst */
	for (int i = 0; i < 4096 && d->next_due <= now && (l = next_line(fk, d)); i++) {
		syslog_emit(fk, d, l, strlen(l), 1);
		d->next_due += step;
	}
}

void syslog_tick(struct fk *fk)
{
	uint64_t now = now_ns();
	for (size_t i = 0; i < fk->ndevs; i++)
		if (producing(fk, &fk->devs[i]))
			tick_device(fk, &fk->devs[i], now);
}

/* how long poll() may sleep before the next capture line is due (-1: until an event) */
int syslog_timeout_ms(struct fk *fk)
{
	int best = -1;
	uint64_t now = now_ns();
	for (size_t i = 0; i < fk->ndevs; i++) {
		struct device *d = &fk->devs[i];
		if (!producing(fk, d))
			continue;
		int ms;
		if (d->rate == 0)
			ms = clients_have_room(fk, d) ? 0 : -1;
		else
			ms = d->next_due <= now ? 0 : (int)((d->next_due - now + 999999) / 1000000);
		if (ms >= 0 && (best < 0 || ms < best))
			best = ms;
	}
	return best;
}

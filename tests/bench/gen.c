/*
 * gen.c - the benchmark capture: the syslog-format scenario captures, one after another, with
 * realistic noise between them, until the output reaches SIZE MiB. Every line gets a fresh stamp
 * from a clock that moves on one second every few lines (the day rolls over; month and day stay
 * plausible), and noise lines get a varied pid, so no two lines of the output are identical and a
 * cache of lines (or of regex results per line) gains nothing. Relay NULs are dropped: the output is
 * idevicesyslog-style text (one line per \n), which grep reads as text too.
 *
 * usage: gen OUT SIZE_MIB NOISE_PER_SCENARIO NOISEFILE SCENARIO...
 * Deterministic (fixed seed): the same inputs give the same file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct text {
	char	*buf;
	char   **lines;
	size_t	*lens;
	size_t	 n;
};

static void
load(const char *path, struct text *t)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		perror(path);
		exit(1);
	}
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *raw = malloc((size_t)size + 1);
	if (fread(raw, 1, (size_t)size, f) != (size_t)size) {
		perror(path);
		exit(1);
	}
	fclose(f);
	/* drop NULs (relay record separators) */
	size_t w = 0;
	for (long i = 0; i < size; i++)
		if (raw[i] != '\0')
			raw[w++] = raw[i];
	raw[w] = '\0';
	t->buf = raw;
	size_t cap = 1024;
	t->lines = malloc(cap * sizeof *t->lines);
	t->lens = malloc(cap * sizeof *t->lens);
	t->n = 0;
	for (char *p = raw; *p;) {
		char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (len > 0) {
			if (t->n == cap) {
				cap *= 2;
				t->lines = realloc(t->lines, cap * sizeof *t->lines);
				t->lens = realloc(t->lens, cap * sizeof *t->lens);
			}
			t->lines[t->n] = p;
			t->lens[t->n] = len;
			t->n++;
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

/* "Mon dd HH:MM:SS" at the start of a line */
static int
has_stamp(const char *s, size_t len)
{
	return len > 16 && s[0] >= 'A' && s[0] <= 'Z' && s[3] == ' ' && s[6] == ' ' && s[9] == ':' &&
	    s[12] == ':' && (s[15] == ' ' || s[15] == '.');
}

static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
	"Oct", "Nov", "Dec" };

static unsigned long long rng = 0x9e3779b97f4a7c15ULL;
static unsigned
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng >> 11);
}

struct out {
	FILE		*f;
	unsigned long long bytes, lines;
	long		 clock;		/* seconds since Jan 1 00:00 */
	unsigned	 tick;
};

static void
stamp(struct out *o, char *dst)
{
	if (++o->tick % 37 == 0)
		o->clock++;
	long s = o->clock;
	int day = (int)(s / 86400) % 336;	/* 12 months x 28 days */
	char tmp[17];
	snprintf(tmp, sizeof tmp, "%s %2d %02d:%02d:%02d", months[day / 28], day % 28 + 1,
	    (int)(s / 3600 % 24), (int)(s / 60 % 60), (int)(s % 60));
	memcpy(dst, tmp, 15);
}

static void
emit(struct out *o, const char *line, size_t len, int vary_pid)
{
	char buf[70000];
	if (len >= sizeof buf - 16)
		len = sizeof buf - 16;
	memcpy(buf, line, len);
	if (has_stamp(buf, len))
		stamp(o, buf);
	size_t n = len;
	if (vary_pid) {	/* the first [digits] of the header */
		char *lb = memchr(buf + 16, '[', len > 16 ? len - 16 : 0);
		char *rb = lb ? memchr(lb, ']', (size_t)(buf + len - lb)) : NULL;
		if (lb && rb && rb - lb > 1 && rb - lb < 8) {
			char pid[16];
			int pl = snprintf(pid, sizeof pid, "%u", 30 + rnd() % 9000);
			size_t tail = (size_t)(buf + len - rb);
			memmove(lb + 1 + pl, rb, tail);
			memcpy(lb + 1, pid, (size_t)pl);
			n = (size_t)(lb + 1 + pl - buf) + tail;
		}
	}
	buf[n++] = '\n';
	fwrite(buf, 1, n, o->f);
	o->bytes += n;
	o->lines++;
}

int
main(int argc, char **argv)
{
	if (argc < 6) {
		fprintf(stderr, "usage: gen OUT SIZE_MIB NOISE_PER_SCENARIO NOISEFILE SCENARIO...\n");
		return 2;
	}
	unsigned long long want = strtoull(argv[2], NULL, 10) * 1024 * 1024;
	long per = strtol(argv[3], NULL, 10);
	struct text noise;
	load(argv[4], &noise);
	int nsc = argc - 5;
	struct text *sc = calloc((size_t)nsc, sizeof *sc);
	for (int i = 0; i < nsc; i++)
		load(argv[5 + i], &sc[i]);
	if (noise.n == 0) {
		fprintf(stderr, "gen: no noise lines\n");
		return 1;
	}
	struct out o = { .f = fopen(argv[1], "wb"), .clock = 300L * 86400 + 8 * 3600 };
	if (o.f == NULL) {
		perror(argv[1]);
		return 1;
	}
	setvbuf(o.f, NULL, _IOFBF, 1 << 20);
	unsigned long long scenarios = 0;
	for (int k = 0; o.bytes < want; k = (k + 1) % nsc) {
		for (size_t i = 0; i < sc[k].n; i++)
			emit(&o, sc[k].lines[i], sc[k].lens[i], 0);
		scenarios++;
		for (long j = 0; j < per; j++) {
			size_t pick = rnd() % noise.n;
			emit(&o, noise.lines[pick], noise.lens[pick], 1);
		}
	}
	if (fclose(o.f) != 0) {
		perror(argv[1]);
		return 1;
	}
	printf("%llu bytes, %llu lines, %llu scenario copies\n", o.bytes, o.lines, scenarios);
	return 0;
}

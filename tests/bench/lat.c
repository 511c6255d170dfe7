/*
 * lat.c - live latency probe: from the emulator writing a line to callsightd's record about it
 * leaving callsightd. It sends `inject UDID <line>` on the emulator's control socket (the emulator
 * writes the line to its syslog_relay clients at once) and reads callsightd's --json stdout on its
 * own stdin; the line is an OpenTok `sessionDidBeginReconnecting:` callback, which a default rule
 * turns into a call_reconnecting event record. One probe at a time: latency = the time from just
 * before the command is written to the moment the event record is read (CLOCK_MONOTONIC, one
 * process, so no clock skew; it includes the emulator's command handling, so it errs high).
 *
 * usage: lat -C CONTROL_SOCKET -u UDID [-n PROBES] [-i INTERVAL_MS] [-t TIMEOUT_MS]  < callsightd.json
 * It first waits (up to 20 s) for callsightd's {"type":"device",...,"state":"streaming"} record.
 * prints: probes=N lost=N p50_us=N p90_us=N p99_us=N max_us=N min_us=N
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static long long
now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static char inbuf[1 << 20];
static size_t inlen;

/* read stdin until a record holding both strings, or the deadline; true when seen */
static int
wait_for(const char *a, const char *b, long long deadline_us)
{
	for (;;) {
		char *nl;
		while ((nl = memchr(inbuf, '\n', inlen)) != NULL) {
			*nl = '\0';
			int hit = strstr(inbuf, a) && strstr(inbuf, b);
			size_t used = (size_t)(nl + 1 - inbuf);
			memmove(inbuf, nl + 1, inlen - used);
			inlen -= used;
			if (hit)
				return 1;
		}
		long long left = deadline_us - now_us();
		if (left <= 0)
			return 0;
		struct pollfd p = { .fd = 0, .events = POLLIN };
		int r = poll(&p, 1, (int)(left / 1000) + 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;
		if (inlen == sizeof inbuf)
			inlen = 0;	/* a monstrous line: drop it */
		ssize_t n = read(0, inbuf + inlen, sizeof inbuf - inlen);
		if (n <= 0)
			return 0;
		inlen += (size_t)n;
	}
}

static int
cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	const char *ctl = NULL, *udid = NULL;
	int n = 500, interval_ms = 20, timeout_ms = 2000, c;
	while ((c = getopt(argc, argv, "C:u:n:i:t:")) != -1) {
		switch (c) {
		case 'C': ctl = optarg; break;
		case 'u': udid = optarg; break;
		case 'n': n = atoi(optarg); break;
		case 'i': interval_ms = atoi(optarg); break;
		case 't': timeout_ms = atoi(optarg); break;
		default: return 2;
		}
	}
	if (ctl == NULL || udid == NULL || n <= 0) {
		fprintf(stderr, "usage: lat -C CONTROL_SOCKET -u UDID [-n PROBES] [-i MS] [-t MS]\n");
		return 2;
	}
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", ctl);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof sun) < 0) {
		perror(ctl);
		return 1;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	if (!wait_for("\"type\":\"device\"", "\"state\":\"streaming\"", now_us() + 20 * 1000000LL)) {
		fprintf(stderr, "lat: callsightd never reported the device as streaming\n");
		return 1;
	}
	usleep(300 * 1000);	/* the relay connection is up: let the first bytes settle */
	long long *lat = calloc((size_t)n, sizeof *lat);
	int got = 0, lost = 0;
	char cmd[512], junk[4096];
	for (int i = 0; i < n; i++) {
		snprintf(cmd, sizeof cmd, "inject %s Nov 25 14:09:%02d iPhone VideoCall(Foundation)[4242] "
		    "<Notice>: sessionDidBeginReconnecting: probe %d\n", udid, i % 60, i);
		long long t0 = now_us();
		if (write(fd, cmd, strlen(cmd)) < 0) {
			perror("control socket");
			return 1;
		}
		if (wait_for("\"type\":\"event\"", "\"kind\":\"call_reconnecting\"", t0 + (long long)timeout_ms * 1000))
			lat[got++] = now_us() - t0;
		else {
			lost++;
			inlen = 0;
		}
		while (read(fd, junk, sizeof junk) > 0)	/* the emulator's "ok inject" replies */
			;
		usleep((useconds_t)interval_ms * 1000);
	}
	qsort(lat, (size_t)got, sizeof *lat, cmp);
#define PCT(p) (got ? lat[(size_t)((got - 1) * (p) / 100.0 + 0.5)] : -1)
	printf("probes=%d lost=%d p50_us=%lld p90_us=%lld p99_us=%lld max_us=%lld min_us=%lld\n", n, lost,
	    PCT(50), PCT(90), PCT(99), got ? lat[got - 1] : -1, got ? lat[0] : -1);
	return 0;
}

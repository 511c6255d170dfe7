/*
 * nd-client.c - a tiny NDJSON client for the e2e scripts (no socat/python needed): connects to a
 * Unix socket, sends one request line, and copies every line it receives to stdout (flushed per
 * read, so a script can watch the file grow). With -m FILE, the decoded "message" of every
 * {"type":"line"} record is also written to FILE, one per line, byte for byte as callsightd sent it
 * (JSON escapes undone by jansson): what the e2e scripts compare with what the device sent.
 * With -1 it prints the first line it gets and exits (a control-socket command / reply).
 *
 * usage: nd-client [-w SECONDS] [-m FILE] [-1] [-q SECONDS] SOCKET REQUEST|@FILE
 *   -w  keep retrying connect() for this long (default 10 s): the daemon may still be starting
 *   -q  exit after this long with nothing received (a request/answer exchange)
 *   @FILE  send FILE's bytes as they are (several requests, an over-long line) instead of REQUEST
 * Exits 0 on EOF or SIGTERM/SIGINT (after flushing), 1 when it cannot connect.
 * Build: cc -std=c17 -O2 tests/e2e/nd-client.c $(pkg-config --cflags --libs jansson) -o nd-client
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int
connect_unix(const char *path, double wait_s)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof sun.sun_path)
		return -1;
	strcpy(sun.sun_path, path);
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd < 0)
			return -1;
		if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0)
			return fd;
		close(fd);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) / 1e9 > wait_s || stop)
			return -1;
		usleep(50 * 1000);
	}
}

static void
message_of(const char *line, size_t len, FILE *mf)
{
	json_t *rec = json_loadb(line, len, 0, NULL);
	if (rec == NULL)
		return;
	const char *type = json_string_value(json_object_get(rec, "type"));
	json_t *msg = json_object_get(rec, "message");
	if (type && strcmp(type, "line") == 0 && json_is_string(msg)) {
		fwrite(json_string_value(msg), 1, json_string_length(msg), mf);
		fputc('\n', mf);
	}
	json_decref(rec);
}

int
main(int argc, char **argv)
{
	double wait_s = 10;
	const char *msgfile = NULL;
	int one = 0, quiet_ms = -1, c;
	while ((c = getopt(argc, argv, "w:m:1q:")) != -1) {
		switch (c) {
		case 'w': wait_s = atof(optarg); break;
		case 'q': quiet_ms = (int)(atof(optarg) * 1000); break;
		case 'm': msgfile = optarg; break;
		case '1': one = 1; break;
		default:
			fprintf(stderr, "usage: nd-client [-w SECONDS] [-m FILE] [-1] SOCKET REQUEST\n");
			return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: nd-client [-w SECONDS] [-m FILE] [-1] SOCKET REQUEST\n");
		return 2;
	}
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);	/* no SA_RESTART: read() returns EINTR */
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	FILE *mf = NULL;
	if (msgfile && (mf = fopen(msgfile, "w")) == NULL) {
		perror(msgfile);
		return 1;
	}
	int fd = connect_unix(argv[optind], wait_s);
	if (fd < 0) {
		fprintf(stderr, "nd-client: cannot connect to %s\n", argv[optind]);
		return 1;
	}
	const char *req = argv[optind + 1];
	if (req[0] == '@') {
		FILE *rf = fopen(req + 1, "rb");
		char chunk[65536];
		size_t n;
		if (rf == NULL) {
			perror(req + 1);
			return 1;
		}
		while ((n = fread(chunk, 1, sizeof chunk, rf)) > 0)
			if (write(fd, chunk, n) != (ssize_t)n) {
				perror("nd-client: write");
				return 1;
			}
		fclose(rf);
	} else if (write(fd, req, strlen(req)) < 0 || write(fd, "\n", 1) < 0) {
		perror("nd-client: write");
		return 1;
	}
	size_t cap = 1 << 20, len = 0;
	char *buf = malloc(cap);
	while (!stop) {
		if (len == cap)
			buf = realloc(buf, cap *= 2);
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		if (quiet_ms >= 0 && poll(&pfd, 1, quiet_ms) == 0)
			break;
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		size_t start = 0;
		for (char *nl; (nl = memchr(buf + start, '\n', len - start)) != NULL;) {
			size_t l = (size_t)(nl - (buf + start));
			fwrite(buf + start, 1, l + 1, stdout);
			if (mf)
				message_of(buf + start, l, mf);
			start += l + 1;
			if (one) {
				fflush(stdout);
				return 0;
			}
		}
		memmove(buf, buf + start, len - start);
		len -= start;
		fflush(stdout);
		if (mf)
			fflush(mf);
	}
	if (len)
		fwrite(buf, 1, len, stdout);
	fflush(stdout);
	if (mf)
		fclose(mf);
	free(buf);
	close(fd);
	return 0;
}

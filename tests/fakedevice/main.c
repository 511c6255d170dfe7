/* main.c - fakeiphone: options, setup and the single-threaded poll() event loop. One context
 * struct holds all state; connections are swept after each round so no handler ever sees a freed
 * connection. SIGPIPE is ignored: a client that vanishes only loses its own connection.
 * Usage: see usage() and README.md. */
#include "fakeiphone.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

static volatile sig_atomic_t got_signal;
static int signal_pipe[2] = { -1, -1 };	/* the handler's wake-up: a self-pipe in the poll set */

/* A signal that lands between the loop's check and poll() would wait for the next event (with no
 * device producing, forever): the byte written here wakes poll() whenever it lands. */
static void on_signal(int sig)
{
	got_signal = sig;
	if (signal_pipe[1] >= 0) {
		int saved = errno;
		ssize_t w = write(signal_pipe[1], "", 1);
		(void)w;
		errno = saved;
	}
}

void vlog(struct fk *fk, const char *fmt, ...)
{
	if (!fk->verbose)
		return;
	va_list ap;
	va_start(ap, fmt);
	fputs("fakeiphone: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: fakeiphone -s SOCKET [options]\n"
		"  -s, --socket PATH     usbmuxd Unix socket to serve (USBMUXD_SOCKET_ADDRESS=UNIX:PATH)\n"
		"  -t, --tcp PORT        also serve usbmuxd on 127.0.0.1:PORT (loopback only)\n"
		"  -C, --control PATH    control Unix socket (same commands as stdin)\n"
		"  -c, --config FILE     devices and apps from an INI file (see README.md)\n"
		"  -d, --device SPEC     add a device: udid=..,name=..,version=..,product=..,build=..,\n"
		"                        ssl=0|1,capture=FILE,rate=N,loop=0|1,locked=0|1,attached=0|1\n"
		"  -a, --app SPEC        add an app to the last -d: BUNDLE,name=..,version=..,\n"
		"                        modes=audio+voip,mic=TEXT,camera=TEXT\n"
		"  -n, --no-stdin        do not read commands from stdin\n"
		"  -S, --seed N          seed for garbage bytes and session ids\n"
		"  -v, --verbose         say what happens on stderr\n");
}

static int parse_args(struct fk *fk, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' }, { "tcp", required_argument, NULL, 't' },
		{ "control", required_argument, NULL, 'C' }, { "config", required_argument, NULL, 'c' },
		{ "device", required_argument, NULL, 'd' }, { "app", required_argument, NULL, 'a' },
		{ "no-stdin", no_argument, NULL, 'n' }, { "seed", required_argument, NULL, 'S' },
		{ "verbose", no_argument, NULL, 'v' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int o;
	while ((o = getopt_long(argc, argv, "s:t:C:c:d:a:nS:vh", opts, NULL)) != -1) {
		switch (o) {
		case 's': fk->mux_path = optarg; break;
		case 't': fk->tcp_port = atoi(optarg); break;
		case 'C': fk->ctl_path = optarg; break;
		case 'c':
			if (config_load_file(fk, optarg) < 0)
				return -1;
			break;
		case 'd':
		case 'a':
			if (config_add_spec(fk, optarg, o == 'a') < 0)
				return -1;
			break;
		case 'n': fk->use_stdin = 0; break;
		case 'S': fk->rng = strtoull(optarg, NULL, 0) | 1; break;
		case 'v': fk->verbose = 1; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (!fk->mux_path || optind != argc || fk->tcp_port < 0 || fk->tcp_port > 65535) {
		usage(stderr);
		return -1;
	}
	return 0;
}

static void accept_on(struct fk *fk, int lfd, enum conn_kind kind)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			return;
		conn_new(fk, fd, fd, kind);
		vlog(fk, "new %s client fd %d", kind == C_MUX ? "usbmuxd" : "control", fd);
	}
}

static short conn_events(const struct conn *c)
{
	short ev = POLLIN;
	int stalled = c->kind == C_SYSLOG && c->dev && c->dev->stalled;
	if ((conn_pending(c) > 0 && !stalled) || c->tls_want_write)
		ev |= POLLOUT;
	return ev;
}

static void sweep(struct fk *fk)
{
	struct conn **pp = &fk->conns;
	while (*pp) {
		struct conn *c = *pp;
		if (c->dead) {
			*pp = c->next;
			conn_free(c);
		} else {
			pp = &c->next;
		}
	}
}

static void drain_signal_pipe(void)
{
	char buf[64];
	while (read(signal_pipe[0], buf, sizeof buf) > 0)
		;
}

static int open_signal_pipe(void)
{
	if (pipe(signal_pipe) < 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		fcntl(signal_pipe[i], F_SETFD, FD_CLOEXEC);
		fcntl(signal_pipe[i], F_SETFL, O_NONBLOCK);
	}
	return 0;
}

static void run_round(struct fk *fk)
{
	enum { LISTENERS = 4 };		/* usbmuxd, tcp, control, the signal pipe */
	size_t n = LISTENERS;
	for (struct conn *c = fk->conns; c; c = c->next)
		n++;
	struct pollfd *p = calloc(n, sizeof(*p));
	struct conn **who = calloc(n, sizeof(*who));
	if (!p || !who)
		abort();
	size_t k = 0;
	int listeners[LISTENERS] = { fk->mux_fd, fk->tcp_fd, fk->ctl_fd, signal_pipe[0] };
	for (int i = 0; i < LISTENERS; i++)
		p[k++] = (struct pollfd){ .fd = listeners[i], .events = POLLIN };
	for (struct conn *c = fk->conns; c; c = c->next) {
		who[k] = c;
		p[k++] = (struct pollfd){ .fd = c->fd, .events = conn_events(c) };
	}
	int r = poll(p, k, syslog_timeout_ms(fk));
	if (r > 0) {
		if (p[0].revents & POLLIN)
			accept_on(fk, fk->mux_fd, C_MUX);
		if (p[1].revents & POLLIN)
			accept_on(fk, fk->tcp_fd, C_MUX);
		if (p[2].revents & POLLIN)
			accept_on(fk, fk->ctl_fd, C_CONTROL);
		if (p[3].revents & POLLIN)
			drain_signal_pipe();
		for (size_t i = LISTENERS; i < k && !fk->quit && !got_signal; i++) {
			struct conn *c = who[i];
			if (c->dead || !p[i].revents)
				continue;
			c->tls_want_write = 0;
			if (p[i].revents & POLLOUT)
				conn_flush(fk, c);
			if (p[i].revents & (POLLIN | POLLHUP | POLLERR))
				conn_read(fk, c);
		}
	}
	free(p);
	free(who);
	syslog_tick(fk);
	sweep(fk);
}

int main(int argc, char **argv)
{
	struct fk fk = { .mux_fd = -1, .tcp_fd = -1, .ctl_fd = -1, .use_stdin = 1 };
	fk.rng = (uint64_t)time(NULL) * 2654435761u | 1;
	snprintf(fk.buid, sizeof(fk.buid), "FAKE0B1D-5C3A-4E8F-9A21-%012llX", (unsigned long long)getpid());
	signal(SIGPIPE, SIG_IGN);
	if (open_signal_pipe() < 0) {
		perror("fakeiphone: pipe");
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	int rc = 1;
	if (parse_args(&fk, argc, argv) < 0 || tls_init(&fk) < 0 || config_finish(&fk) < 0)
		goto out;
	if (usbmux_open(&fk) < 0 || control_open(&fk) < 0)
		goto out;
	if (fk.use_stdin)
		conn_new(&fk, 0, 1, C_STDIN);
	fprintf(stderr, "fakeiphone: ready, %zu device(s) on %s\n", fk.ndevs, fk.mux_path);
	while (!fk.quit && !got_signal)
		run_round(&fk);
	rc = 0;
out:
	while (fk.conns) {
		struct conn *c = fk.conns;
		fk.conns = c->next;
		conn_free(c);
	}
	usbmux_close(&fk);
	if (fk.ctl_fd >= 0) {
		close(fk.ctl_fd);
		unlink(fk.ctl_path);
	}
	config_free(&fk);
	tls_free(&fk);
	for (int i = 0; i < 2; i++)
		if (signal_pipe[i] >= 0)
			close(signal_pipe[i]);
	return rc;
}

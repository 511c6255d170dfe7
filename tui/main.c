/*
 * main.c - callsight, the terminal client of callsightd: options, signals, the screen layout and
 * the main loop. One poll() waits on the keyboard and the daemon's socket with a timeout for the
 * redraw tick, so a silent daemon never freezes the keys and a flood of records never starves them.
 * Exit status: 0 quit, 1 cannot attach to a daemon, 2 bad usage.
 */
#include <curses.h>
#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <callsight/version.h>

#include "cmd.h"
#include "tui.h"

#define TICK_MS		250

/* the one global: a signal handler can set nothing else */
static volatile sig_atomic_t got_signal;

static void
on_signal(int sig)
{
	got_signal = sig;
}

/* the client's word for the status line (client.c calls nothing of ours: it has hooks) */
static void
say_status(struct tui *t, bool error, const char *message)
{
	tui_status(t, error, "%s", message);
}

static void
usage(FILE *out)
{
	fprintf(out,
	    "Usage: callsight [OPTIONS] [FILE]\n"
	    "       callsight tail [--json] [--lines] [--device UDID]     live records, for scripts\n"
	    "       callsight report [--flag ID | --since T --until T] [--out DIR] [--tar]\n"
	    "Watch iPhone video calls live, and see why each dropped call dropped.\n"
	    "\n"
	    "  (no FILE)          attach to your callsightd (started when none runs)\n"
	    "  FILE               open a capture through a private replay daemon\n"
	    "  --crash-dir DIR    with FILE: the phone's crash and jetsam reports (.ips, .crash)\n"
	    "  --socket PATH      the daemon's socket (default $XDG_RUNTIME_DIR/callsight/sock,\n"
	    "                     else $TMPDIR/callsight-UID/sock)\n"
	    "  --no-colors        monochrome (also when NO_COLOR is set)\n"
	    "  --ascii            no UTF-8 line drawing, whatever the locale\n"
	    "  -h, --help         this help; press ? inside for the keys\n"
	    "  -V, --version      print the version (-v too: the client has no log to raise)\n"
	    "Reports (key r) go to $CALLSIGHT_REPORT_DIR, else the current directory.\n");
}

static int
parse_options(struct tui *t, int argc, char **argv)
{
	enum { OPT_SOCKET = 256, OPT_NOCOLOR, OPT_ASCII, OPT_CRASHDIR };
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, OPT_SOCKET },
		{ "crash-dir", required_argument, NULL, OPT_CRASHDIR },
		{ "no-colors", no_argument, NULL, OPT_NOCOLOR },
		{ "no-color", no_argument, NULL, OPT_NOCOLOR },
		{ "ascii", no_argument, NULL, OPT_ASCII },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hvV", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_SOCKET: t->socket_opt = optarg; break;
		case OPT_CRASHDIR: t->client.crash_dir = optarg; break;
		case OPT_NOCOLOR: t->colour = false; break;
		case OPT_ASCII: t->utf8 = false; break;
		case 'h': usage(stdout); exit(0);
		case 'v':
		case 'V': printf("callsight %s (protocol %d)\n", CALLSIGHT_VERSION, CALLSIGHT_PROTOCOL); exit(0);
		case ':':
			fprintf(stderr, "callsight: option '%s' needs a value\n", argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "callsight: unknown option '%s'\n", argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc)
		t->client.replay = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "callsight: one capture at a time ('%s')\n", argv[optind]);
		return 2;
	}
	if (t->client.crash_dir != NULL && t->client.replay == NULL) {
		fprintf(stderr, "callsight: --crash-dir goes with FILE (live, callsightd fetches the reports)\n");
		return 2;
	}
	if (t->client.replay != NULL && t->socket_opt != NULL) {
		fprintf(stderr, "callsight: --socket and FILE: a capture gets its own private daemon\n");
		return 2;
	}
	return 0;
}

/* ---------------------------------------------------------------- layout */

#define HEADER_H	2
#define TIMELINE_H	(3 + NLANES)	/* title, axis, lanes, flags */
#define WIDE		120		/* from here the detail pane sits beside the events */
#define DETAIL_MIN	40		/* ... and keeps at least this many columns */

void
tui_layout(struct tui *t)
{
	struct tui_layout *l = &t->lay;
	int rest_y = HEADER_H + TIMELINE_H, rest_h = LINES - rest_y - 1;
	memset(l, 0, sizeof *l);
	l->header = (struct tui_rect){ 0, 0, HEADER_H, COLS };
	l->timeline = (struct tui_rect){ HEADER_H, 0, TIMELINE_H, COLS };
	l->status = (struct tui_rect){ LINES - 1, 0, 1, COLS };
	if (rest_h < 2)
		rest_h = 0;
	if (COLS >= WIDE) {
		/* the panes share the width by content: the events get what their rows need (so an
		 * event's text shows, not just its process), the flag keeps DETAIL_MIN to wrap in */
		int ew = view_events_width(t, rest_h);
		if (ew < COLS * 45 / 100)
			ew = COLS * 45 / 100;
		if (ew > COLS - DETAIL_MIN)
			ew = COLS - DETAIL_MIN;
		l->events = (struct tui_rect){ rest_y, 0, rest_h, ew };
		l->detail = (struct tui_rect){ rest_y, ew, rest_h, COLS - ew };
		l->detail_shown = true;
	} else if (t->detail_open && rest_h >= 6) {
		int eh = rest_h / 3 < 3 ? 3 : rest_h / 3;
		l->events = (struct tui_rect){ rest_y, 0, eh, COLS };
		l->detail = (struct tui_rect){ rest_y + eh, 0, rest_h - eh, COLS };
		l->detail_shown = true;
	} else {
		l->events = (struct tui_rect){ rest_y, 0, rest_h, COLS };
	}
	if (t->focus == PANE_DETAIL && !l->detail_shown)
		t->focus = PANE_EVENTS;
}

void
tui_redraw(struct tui *t)
{
	if (t->status[0] && t->status_until && cs_mono_ms() > t->status_until)
		t->status[0] = '\0';
	tui_layout(t);
	keys_sync_view(t);
	erase();
	if (LINES < 10 || COLS < 40) {
		mvaddstr(0, 0, "callsight: terminal too small");
		refresh();
		return;
	}
	view_header(t, t->lay.header);
	view_timeline(t, t->lay.timeline);
	if (t->lay.events.h > 0)
		view_events(t, t->lay.events);
	if (t->lay.detail_shown)
		view_detail(t, t->lay.detail);
	if (t->overlay == OVERLAY_HELP)
		view_help(t);
	else if (t->overlay == OVERLAY_DEVICES)
		view_devices(t);
	view_status(t, t->lay.status);
	refresh();
	t->dirty = false;
}

/* ---------------------------------------------------------------- the loop */

static void
read_keys(struct tui *t)
{
	wint_t ch;
	int r;
	while ((r = get_wch(&ch)) != ERR) {
		if (r == KEY_CODE_YES && ch == KEY_RESIZE) {
			t->dirty = true;
			continue;
		}
		keys_handle(t, (int)ch, r == KEY_CODE_YES);
		if (t->quit)
			return;
	}
}

static void
run(struct tui *t)
{
	int64_t next_tick = 0;
	while (!t->quit) {
		if (got_signal) {
			t->exit_code = got_signal == SIGINT ? 130 : 0;
			break;
		}
		int64_t now = cs_mono_ms();
		if (t->dirty || now >= next_tick) {
			tui_redraw(t);
			next_tick = now + 1000;
		}
		struct pollfd pfd[2] = {
			{ .fd = STDIN_FILENO, .events = POLLIN },
			{ .fd = t->client.fd, .events = POLLIN | (t->client.outlen ? POLLOUT : 0) },
		};
		int n = poll(pfd, t->client.fd >= 0 ? 2 : 1, TICK_MS);
		if (n < 0 && errno != EINTR)
			break;
		/* after EINTR too: ncurses turns SIGWINCH into KEY_RESIZE only inside get_wch */
		if (n < 0 || (pfd[0].revents & POLLIN))
			read_keys(t);
		if (n > 0 && (pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL)) &&
		    !(pfd[0].revents & POLLIN))
			break;	/* the terminal is gone */
		if (n > 0 && t->client.fd >= 0 && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)))
			client_read(t);
		if (n > 0 && t->client.fd >= 0 && (pfd[1].revents & POLLOUT))
			client_flush(t);
		client_tick(t);
		if (n < 0)
			t->dirty = true;	/* EINTR: SIGWINCH and friends */
	}
}

static void
setup_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void
setup_terminal(struct tui *t)
{
	initscr();
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	draw_init(t);
}

/* the scriptable subcommands (cmd-*.c); anything else is the interactive client */
static const struct {
	const char	*name;
	int		(*run)(int argc, char **argv);
} subcommands[] = {
	{ "tail", cmd_tail },
	{ "report", cmd_report },
};

int
main(int argc, char **argv)
{
	static struct tui t;	/* large: the model holds TUI_MAX_DEVICES devices */
	for (size_t i = 0; argc > 1 && i < sizeof subcommands / sizeof subcommands[0]; i++)
		if (strcmp(argv[1], subcommands[i].name) == 0)
			return subcommands[i].run(argc - 1, argv + 1);
	setlocale(LC_ALL, "");
	t.utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	const char *nc = getenv("NO_COLOR");
	t.colour = nc == NULL || *nc == '\0';
	t.follow = true;
	t.zoom = 3;
	t.detail_flag = -1;
	t.focus = PANE_EVENTS;
	t.client.fd = -1;
	t.client.argv0 = argv[0];
	t.client.hooks = (struct tui_client_hooks){
		.status = say_status, .history_end = tui_on_history_end, .report = tui_on_report,
	};
	t.report_dir = getenv("CALLSIGHT_REPORT_DIR");
	snprintf(t.client.mode, sizeof t.client.mode, "%s", "live");
	model_init(&t.model, 0);
	int rc = parse_options(&t, argc, argv);
	if (rc != 0)
		return rc;
	setup_signals();
	char err[512] = "";
	if (client_open(&t, err, sizeof err) < 0) {
		fprintf(stderr, "callsight: %s\n", err[0] ? err : "cannot attach to callsightd");
		client_close(&t);
		return 1;
	}
	setup_terminal(&t);
	t.dirty = true;
	run(&t);
	endwin();
	client_close(&t);
	model_clear(&t.model);
	return t.exit_code;
}

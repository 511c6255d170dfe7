/*
 * main.c - callsightd's command line: options, and the replay mode that analyses a capture and
 * exits. Option names follow libimobiledevice's tools where the meaning is the same.
 * Exit status: 0 done, 1 the input cannot be read, 2 bad usage (or a rules file that does not load).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "callsightd.h"

typedef struct cs_daemon_options options_t;

struct flag_ref {
	uint64_t	id;
	char		device[64];
};

struct replay_out {
	const options_t	*opt;
	struct cs_text_style	 style;
	FILE			*out;
	/* --report: every record also goes into a private store, and each flag gets a bundle */
	struct cs_store		*store;
	char			 device_id[128];	/* the store's device id: the file's name, as
						 * the daemon's --replay --serve names it */
	struct cs_sink		 print;		/* where the records go besides the store */
	struct flag_ref		*flags;
	size_t			 nflags, capflags;
	/* --app-info */
	bool			 have_app;
	char			 app_bundle[256];
	struct cs_app_facts	 app_facts;
	char			 app_modes[1024];
	struct cs_text		 text;		/* records written as text (output.c), not yet out */
	bool			 batch;		/* gathered in text up to REPLAY_OUT_BATCH */
};

/*
 * A file's replay gathers its NDJSON records in r->text and writes them REPLAY_OUT_BATCH bytes at
 * a time (a fwrite per record, with its lock and a second copy, was a tenth of writing one);
 * stdin (maybe a live stream piped in) and a terminal get each record as it comes. Whatever
 * writes to the output itself takes it from out_file, after the records gathered before.
 */
#define REPLAY_OUT_BATCH (64 * 1024)

static FILE *
out_file(struct replay_out *r)
{
	if (r->text.len > 0) {
		fwrite(r->text.buf, 1, r->text.len, r->out);
		r->text.len = 0;
	}
	return r->out;
}

/* A record was added to r->text. */
static void
record_done(struct replay_out *r)
{
	if (!r->batch || r->text.len >= REPLAY_OUT_BATCH)
		out_file(r);
}

static void
usage(FILE *out)
{
	fprintf(out,
	    "Usage: callsightd [OPTIONS]                 follow every plugged-in iPhone\n"
	    "       callsightd --replay FILE [OPTIONS]   analyse a capture and exit\n"
	    "Explain why iOS video calls (OpenTok / Vonage) drop, from an iPhone's log.\n"
	    "\n"
	    "Analysis:\n"
	    "  --replay FILE      a capture: idevicesyslog output, raw syslog_relay bytes, a Console.app\n"
	    "                     copy, Xcode console text, or a callsight store (.db); - for stdin\n"
	    "  --json             NDJSON records on stdout (docs/protocol.md)\n"
	    "  --events           text mode: also list every matched event\n"
	    "  --app BUNDLE|NAME  the app under test (default: the app that logs call events)\n"
	    "  --sdk NAME         the app's call SDK (opentok, twilio-video, chime, livekit, agora, ...;\n"
	    "                     default: learned from the rules that matched)\n"
	    "  --rules FILE       add rules (docs/callsight.rules.5); may be repeated; SIGHUP reloads\n"
	    "  --year YYYY        year of the capture when the stamps carry none\n"
	    "  --date YYYY-MM-DD  the day of time-only stamps (Console.app, Xcode without the date);\n"
	    "                     default: the file's modification time, else today\n"
	    "  --utc-offset [+-]HH:MM  the phone's UTC offset, for stamps without a zone (default:\n"
	    "                     the host's zone for live devices, UTC for a replayed capture)\n"
	    "  --no-colors        no ANSI colours (also when NO_COLOR is set)\n"
	    "  --crash-dir DIR    the phone's crash and jetsam reports (.ips, .crash): replay reads them\n"
	    "                     from DIR; live, callsightd copies new ones there (default: a\n"
	    "                     crash-reports folder next to the store)\n"
	    "  --no-crash-reports live: do not fetch crash and jetsam reports from the phone\n"
	    "  --app-info PATH    with --replay: what the app declares (background modes, usage\n"
	    "                     strings) from its Info.plist (XML or binary), .app folder or .ipa,\n"
	    "                     as the live app check reads it from an attached phone\n"
	    "  --report DIR       with --replay: write a bug-report bundle for every flag into DIR\n"
	    "                     (redacted unless --no-redact); --tar: as .tar.gz files\n"
	    "Devices:\n"
	    "  -u, --udid UDID    follow only this device (and wait for it)\n"
	    "  -n, --network      include network-connected devices\n"
	    "  -x, --exit         exit when the device is unplugged\n"
	    "  --stall-timeout S  reconnect a stream silent for S seconds (default 60; 0 = never)\n"
	    "Service:\n"
	    "  -d, --daemon       run in the background (waits until the socket is ready)\n"
	    "  --socket PATH      the client socket (default $XDG_RUNTIME_DIR/callsight/sock)\n"
	    "  --no-socket        serve no clients\n"
	    "  --serve            with --replay: serve the analysed capture to one client (callsight FILE)\n"
	    "  --store PATH       the capture store (default ~/.local/state/callsight/capture.db)\n"
	    "  --no-store         keep no store\n"
	    "  --max-store-mb N   prune the oldest data beyond N MB (default 512)\n"
	    "  --max-age AGE      prune data older than AGE (e.g. 7d, 12h, 30m; default 14d)\n"
	    "  --auto-report DIR  write a report bundle for every disconnect into DIR\n"
	    "  --no-redact        keep secrets (tokens, e-mails, phone numbers, IPs) in reports\n"
	    "Lab (docs/lab.md):\n"
	    "  --metrics [ADDR:]PORT  Prometheus metrics on http://ADDR:PORT/metrics (ADDR default\n"
	    "                     127.0.0.1)\n"
	    "  --forward URL      send flags, device and app records from the store to a collector:\n"
	    "                     relp://HOST:PORT, syslog+tcp://HOST:PORT, syslog+tls://HOST:PORT;\n"
	    "                     may be repeated\n"
	    "  --forward-ca FILE  CA certificates that sign the syslog+tls collector's certificate\n"
	    "  --forward-events   forward events too\n"
	    "  --forward-lines    forward every log line too\n"
	    "  -v, --verbose      say more in the log (debug lines too)\n"
	    "  -h, --help         this help\n"
	    "  -V, --version      print the version\n");
}

static int
parse_age(const char *s, int64_t *us)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || v < 0)
		return -1;
	double unit = 1;
	switch (*end) {
	case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	case '\0': unit = 1; break;
	default: return -1;
	}
	if (*end && end[1])
		return -1;
	*us = (int64_t)(v * unit * 1e6);
	return 0;
}

static int
parse_number(const char *opt, const char *s, long min, long max, long *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*s == '\0' || *end || v < min || v > max) {
		fprintf(stderr, "callsightd: %s: '%s' is not a number from %ld to %ld\n", opt, s, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

static int
parse_offset(const char *s, int *minutes)
{
	int sign = 1, h = 0, m = 0;
	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	if (sscanf(s, "%d:%d", &h, &m) < 1 || h > 14 || m < 0 || m > 59)
		return -1;
	*minutes = sign * (h * 60 + m);
	return 0;
}

/* YYYY-MM-DD, a real day (Feb 30 is refused) */
static int
parse_date(const char *s, options_t *opt)
{
	static const int days_in[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d, end = 0;
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &end) != 3 || s[end] != '\0' || end != 10 ||
	    y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 || d > days_in[m - 1])
		return -1;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (m == 2 && d == 29 && !leap)
		return -1;
	opt->date_year = y;
	opt->date_month = m;
	opt->date_day = d;
	return 0;
}

static int
parse_options(int argc, char **argv, options_t *opt)
{
	enum { OPT_REPLAY = 256, OPT_JSON, OPT_APP, OPT_RULES, OPT_YEAR, OPT_UTC, OPT_NOCOLOR, OPT_EVENTS,
		OPT_SOCKET, OPT_NOSOCKET, OPT_SERVE, OPT_STORE, OPT_NOSTORE, OPT_MAXMB, OPT_MAXAGE,
		OPT_AUTOREPORT, OPT_NOREDACT, OPT_STALL,
		OPT_METRICS, OPT_FORWARD, OPT_FORWARD_CA, OPT_FORWARD_EVENTS, OPT_FORWARD_LINES,
		OPT_CRASHDIR, OPT_NOCRASH, OPT_SDK,
		OPT_APPINFO, OPT_REPORT, OPT_TAR, OPT_DATE };
	static const struct option longopts[] = {
		{ "replay", required_argument, NULL, OPT_REPLAY },
		{ "crash-dir", required_argument, NULL, OPT_CRASHDIR },
		{ "no-crash-reports", no_argument, NULL, OPT_NOCRASH },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "events", no_argument, NULL, OPT_EVENTS },
		{ "app", required_argument, NULL, OPT_APP },
		{ "rules", required_argument, NULL, OPT_RULES },
		{ "year", required_argument, NULL, OPT_YEAR },
		{ "date", required_argument, NULL, OPT_DATE },
		{ "utc-offset", required_argument, NULL, OPT_UTC },
		{ "no-colors", no_argument, NULL, OPT_NOCOLOR },
		{ "udid", required_argument, NULL, 'u' },
		{ "network", no_argument, NULL, 'n' },
		{ "exit", no_argument, NULL, 'x' },
		{ "daemon", no_argument, NULL, 'd' },
		{ "socket", required_argument, NULL, OPT_SOCKET },
		{ "no-socket", no_argument, NULL, OPT_NOSOCKET },
		{ "serve", no_argument, NULL, OPT_SERVE },
		{ "store", required_argument, NULL, OPT_STORE },
		{ "no-store", no_argument, NULL, OPT_NOSTORE },
		{ "max-store-mb", required_argument, NULL, OPT_MAXMB },
		{ "max-age", required_argument, NULL, OPT_MAXAGE },
		{ "auto-report", required_argument, NULL, OPT_AUTOREPORT },
		{ "no-redact", no_argument, NULL, OPT_NOREDACT },
		{ "stall-timeout", required_argument, NULL, OPT_STALL },
		{ "verbose", no_argument, NULL, 'v' },
		{ "metrics", required_argument, NULL, OPT_METRICS },
		{ "forward", required_argument, NULL, OPT_FORWARD },
		{ "forward-ca", required_argument, NULL, OPT_FORWARD_CA },
		{ "forward-events", no_argument, NULL, OPT_FORWARD_EVENTS },
		{ "forward-lines", no_argument, NULL, OPT_FORWARD_LINES },
		{ "sdk", required_argument, NULL, OPT_SDK },
		{ "app-info", required_argument, NULL, OPT_APPINFO },
		{ "report", required_argument, NULL, OPT_REPORT },
		{ "tar", no_argument, NULL, OPT_TAR },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	long n;
	opt->max_store_mb = 512;
	opt->max_age_us = 14LL * 86400 * 1000000;
	opt->stall_timeout_s = 60;
	opterr = 0;
	/* an option that took the next option as its value ("--replay --json FILE"): named if a
	 * word is left over, which is then the value it was meant to have */
	const char *took = NULL, *taken = NULL;
	int longindex = -1;
	while ((c = getopt_long(argc, argv, ":hvVu:nxd", longopts, &longindex)) != -1) {
		if (optarg != NULL && strncmp(optarg, "--", 2) == 0 && longindex >= 0 && took == NULL) {
			took = longopts[longindex].name;
			taken = optarg;
		}
		longindex = -1;
		switch (c) {
		case OPT_REPLAY: opt->replay = optarg; break;
		case OPT_CRASHDIR: opt->crash_dir = optarg; break;
		case OPT_NOCRASH: opt->no_crash_reports = true; break;
		case OPT_JSON: opt->json = true; break;
		case OPT_EVENTS: opt->events = true; break;
		case OPT_APP: opt->app = optarg; break;
		case OPT_SDK: opt->sdk = optarg; break;
		case OPT_NOCOLOR: opt->no_colors = true; break;
		case 'u': opt->udid = optarg; break;
		case 'n': opt->network = true; break;
		case 'x': opt->exit_on_detach = true; break;
		case 'd': opt->daemonize = true; break;
		case OPT_SOCKET: opt->socket = optarg; break;
		case OPT_NOSOCKET: opt->no_socket = true; break;
		case OPT_SERVE: opt->serve = true; break;
		case OPT_STORE: opt->store = optarg; break;
		case OPT_NOSTORE: opt->no_store = true; break;
		case OPT_AUTOREPORT: opt->auto_report = optarg; break;
		case OPT_NOREDACT: opt->no_redact = true; break;
		case 'v': opt->verbose = true; break;
		case OPT_METRICS: opt->metrics = optarg; break;
		case OPT_FORWARD_CA: opt->forward_ca = optarg; break;
		case OPT_FORWARD_EVENTS: opt->forward_events = true; break;
		case OPT_FORWARD_LINES: opt->forward_lines = true; break;
		case OPT_APPINFO: opt->app_info = optarg; break;
		case OPT_REPORT: opt->report_dir = optarg; break;
		case OPT_TAR: opt->report_tar = true; break;
		case OPT_FORWARD:
			if (opt->nforward == MAX_FORWARDS) {
				fprintf(stderr, "callsightd: at most %d --forward URLs\n", MAX_FORWARDS);
				return 2;
			}
			opt->forward[opt->nforward++] = optarg;
			break;
		case OPT_MAXMB:
			if (parse_number("--max-store-mb", optarg, 1, 1L << 30, &n) < 0)
				return 2;
			opt->max_store_mb = n;
			break;
		case OPT_STALL:
			if (parse_number("--stall-timeout", optarg, 0, 86400, &n) < 0)
				return 2;
			opt->stall_timeout_s = (int)n;
			break;
		case OPT_MAXAGE:
			if (parse_age(optarg, &opt->max_age_us) < 0) {
				fprintf(stderr, "callsightd: --max-age: '%s' is not an age like 7d, 12h, 30m\n",
				    optarg);
				return 2;
			}
			break;
		case OPT_RULES:
			if (opt->nrule_files == MAX_RULE_FILES) {
				fprintf(stderr, "callsightd: at most %d --rules files\n", MAX_RULE_FILES);
				return 2;
			}
			opt->rule_files[opt->nrule_files++] = optarg;
			break;
		case OPT_YEAR:
			if (parse_number("--year", optarg, 1970, 9999, &n) < 0)
				return 2;
			opt->year = (int)n;
			break;
		case OPT_DATE:
			if (parse_date(optarg, opt) < 0) {
				fprintf(stderr, "callsightd: --date: '%s' is not a date YYYY-MM-DD\n", optarg);
				return 2;
			}
			break;
		case OPT_UTC:
			if (parse_offset(optarg, &opt->utc_offset_min) < 0) {
				fprintf(stderr, "callsightd: --utc-offset: '%s' is not [+-]HH:MM\n", optarg);
				return 2;
			}
			opt->utc_offset_given = true;
			break;
		case 'h': usage(stdout); exit(0);
		case 'V': {
			char engine[160];
			cs_rules_scan_engine(engine, sizeof engine);
			printf("callsightd %s (protocol %d)\nscan first: %s\n", CALLSIGHT_VERSION,
			    CALLSIGHT_PROTOCOL, engine);
			exit(0);
		}
		case ':':
			fprintf(stderr, "callsightd: option '%s' needs a value\n", argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "callsightd: unknown option '%s'\n", argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		if (took != NULL)
			fprintf(stderr, "callsightd: unexpected argument '%s': --%s took '%s' as its "
			    "value (write --%s %s)\n", argv[optind], took, taken, took, argv[optind]);
		else
			fprintf(stderr, "callsightd: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (opt->nforward > 0 && opt->no_store) {
		fprintf(stderr, "callsightd: --forward reads from the store: it does not go with --no-store\n");
		return 2;
	}
	if (opt->serve && opt->replay == NULL) {
		fprintf(stderr, "callsightd: --serve goes with --replay FILE\n");
		return 2;
	}
	if ((opt->app_info || opt->report_dir) && (opt->replay == NULL || opt->serve)) {
		fprintf(stderr, "callsightd: %s goes with --replay FILE (without --serve)\n",
		    opt->app_info ? "--app-info" : "--report");
		return 2;
	}
	if (opt->report_tar && opt->report_dir == NULL) {
		fprintf(stderr, "callsightd: --tar goes with --report DIR\n");
		return 2;
	}
	return 0;
}

static struct cs_rules *
load_rules(const options_t *opt)
{
	char err[512];
	struct cs_rules *rules = cs_rules_new();
	if (cs_rules_load_builtin(rules, err, sizeof err) < 0) {
		fprintf(stderr, "callsightd: built-in rules: %s\n", err);
		cs_rules_free(rules);
		return NULL;
	}
	for (int i = 0; i < opt->nrule_files; i++) {
		if (cs_rules_load_file(rules, opt->rule_files[i], err, sizeof err) < 0) {
			fprintf(stderr, "callsightd: %s\n", err);
			cs_rules_free(rules);
			return NULL;
		}
	}
	return rules;
}

/* events and states by the thousand: written as text, no jansson object each (output.c) */
static void
print_event_json(const struct cs_event *event, void *ctx)
{
	struct replay_out *r = ctx;
	cs_event_text(&r->text, event);
	record_done(r);
}

static void
print_event_text(const struct cs_event *event, void *ctx)
{
	struct replay_out *r = ctx;
	char when[40];
	cs_format_time(event->line->time_us, when, sizeof when);
	FILE *out = out_file(r);
	fprintf(out, "  L%-6llu %s  %-26s %s", (unsigned long long)event->line->number, when,
	    cs_event_name(event->kind), event->line->process);
	for (size_t i = 0; i < event->nattrs; i++)
		fprintf(out, " %s=%s", event->attrs[i].name, event->attrs[i].value);
	fputc('\n', out);
}

static void
print_state_json(const struct cs_state_change *c, void *ctx)
{
	struct replay_out *r = ctx;
	cs_state_text(&r->text, c);
	record_done(r);
}

static void
print_flag(const struct cs_flag *flag, void *ctx)
{
	struct replay_out *r = ctx;
	if (r->opt->json) {
		cs_flag_text(&r->text, flag);
		record_done(r);
	} else
		cs_flag_print(out_file(r), flag, &r->style);
}

/* Bytes that were not log text: control bytes, and NULs beyond the one that ends each relay
 * record (a file of zeros is all garbage, not an empty log). */
static uint64_t
garbage_bytes(const struct cs_reader_stats *rs)
{
	return rs->garbage_bytes + (rs->nul_bytes > rs->lines ? rs->nul_bytes - rs->lines : 0);
}

/* What was wrong with the input, said once at the end (the stream itself goes on). */
static void
report_input_problems(const char *name, const struct cs_reader_stats *rs)
{
	if (garbage_bytes(rs))
		fprintf(stderr, "callsightd: %s: skipped %llu binary (control) bytes\n", name,
		    (unsigned long long)garbage_bytes(rs));
	if (rs->truncated)
		fprintf(stderr, "callsightd: %s: %llu records longer than %d KiB were cut\n", name,
		    (unsigned long long)rs->truncated, CS_MAX_RECORD / 1024);
	if (rs->sanitized)
		fprintf(stderr, "callsightd: %s: %llu records had invalid UTF-8 (replaced with U+FFFD)\n",
		    name, (unsigned long long)rs->sanitized);
}

static void
print_summary(struct replay_out *r, const char *name, const struct cs_pipeline *p)
{
	FILE *out = out_file(r);
	const struct cs_reader_stats *rs = cs_pipeline_reader_stats(p);
	const struct cs_pipeline_stats *ps = cs_pipeline_stats(p);
	struct cs_timeline *tl = cs_pipeline_timeline((struct cs_pipeline *)p);
	if (r->opt->json) {
		struct cs_summary s = {
			.lines = rs->lines, .events = ps->events, .flags = ps->flags,
			.disconnects = ps->disconnects, .warnings = ps->warnings, .unparsed = rs->unparsed,
			.truncated = rs->truncated, .garbage_bytes = garbage_bytes(rs),
			.format = cs_format_name(cs_pipeline_format(p)), .app = cs_timeline_app(tl),
			.sdk = cs_timeline_sdk(tl), .candidates = ps->candidates, .matched = ps->matched,
			.date_source = rs->date_source, .clock_jumps = rs->clock_jumps,
		};
		cs_json_write(out, cs_summary_json(&s));
		return;
	}
	const char *app = cs_timeline_app(tl);
	char app_text[192];
	if (app[0])
		snprintf(app_text, sizeof app_text, "%s", app);
	else if (r->opt->app)	/* never "try --app" to someone who gave it */
		snprintf(app_text, sizeof app_text, "%s (--app; no line names it)", r->opt->app);
	else
		snprintf(app_text, sizeof app_text, "none found (no call lines; try --app)");
	fprintf(out, "%s: %llu lines, %llu events, %llu disconnect%s, %llu warning%s; app under test: %s\n",
	    name, (unsigned long long)rs->lines, (unsigned long long)ps->events,
	    (unsigned long long)ps->disconnects, ps->disconnects == 1 ? "" : "s",
	    (unsigned long long)ps->warnings, ps->warnings == 1 ? "" : "s", app_text);
	if (cs_timeline_sdk(tl)[0])
		fprintf(out, "%s: call SDK: %s\n", name, cs_timeline_sdk(tl));
	if (rs->date_source && rs->date_source[0])
		fprintf(out, "%s: stamps without a %s were dated by %s\n", name,
		    rs->per_format[CS_FMT_console] || rs->per_format[CS_FMT_xcode] ? "date" : "year",
		    rs->date_source);
	if (rs->clock_jumps)
		fprintf(out, "%s: the phone's clock went back %llu time%s (kept in log order)\n", name,
		    (unsigned long long)rs->clock_jumps, rs->clock_jumps == 1 ? "" : "s");
	if (rs->unparsed)
		fprintf(out, "%s: %llu lines had no header callsight could split (kept as plain text)\n",
		    name, (unsigned long long)rs->unparsed);
	if (ps->flags == 0)
		fprintf(out, "No dropped call found.\n");
}

/* A file's replay writes thousands of records that nobody awaits one by one: gathered, into one
 * big stdout buffer (not stdin's, which may be a live stream piped in, nor on a terminal). */
static bool
output_batched(const options_t *opt)
{
	return strcmp(opt->replay, "-") != 0 && !isatty(STDOUT_FILENO);
}

/* where replayed records go: text or NDJSON on stdout */
static struct cs_sink
replay_sink(const options_t *opt, struct replay_out *r)
{
	*r = (struct replay_out){ .opt = opt, .out = stdout, .batch = output_batched(opt) };
	r->style.color = !opt->no_colors && getenv("NO_COLOR") == NULL && isatty(STDOUT_FILENO);
	struct cs_sink sink = { .flag = print_flag, .ctx = r };
	if (opt->json) {
		sink.event = print_event_json;
		sink.state = print_state_json;
	} else if (opt->events) {
		sink.event = print_event_text;
	}
	return sink;
}

/* --replay capture.db: the stored raw lines of each device go through a pipeline of their own */
struct store_replay {
	struct cs_rules		*rules;
	const options_t		*opt;
	struct replay_out	*out;
	struct cs_sink		 sink;
	struct cs_pipeline	*p;
	char			 device[64];
	struct cs_pipeline_stats total;
	struct cs_reader_stats	 reader_total;
};

static void
store_replay_end_device(struct store_replay *sr)
{
	if (sr->p == NULL)
		return;
	cs_pipeline_finish(sr->p);
	const struct cs_pipeline_stats *ps = cs_pipeline_stats(sr->p);
	const struct cs_reader_stats *rs = cs_pipeline_reader_stats(sr->p);
	sr->total.lines += ps->lines;
	sr->total.events += ps->events;
	sr->total.flags += ps->flags;
	sr->total.disconnects += ps->disconnects;
	sr->total.warnings += ps->warnings;
	sr->reader_total.lines += rs->lines;
	sr->reader_total.unparsed += rs->unparsed;
	cs_pipeline_free(sr->p);
	sr->p = NULL;
}

static void
store_replay_line(const char *device, const char *raw, size_t len, int64_t time_us, void *ctx)
{
	struct store_replay *sr = ctx;
	if (sr->p == NULL || strcmp(sr->device, device) != 0) {
		store_replay_end_device(sr);
		cs_strlcpy(sr->device, device, sizeof sr->device);
		struct cs_pipeline_options popt = {
			.app = sr->opt->app, .sdk = sr->opt->sdk, .year = sr->opt->year,
			.ref_time = time_us / 1000000 + 1,
			.utc_offset_min = sr->opt->utc_offset_min, .udid = device,
			.date_year = sr->opt->date_year, .date_month = sr->opt->date_month,
			.date_day = sr->opt->date_day,
		};
		sr->p = cs_pipeline_new(sr->rules, &popt, &sr->sink);
		char err[256];
		if (sr->opt->crash_dir && cs_pipeline_crash_dir(sr->p, sr->opt->crash_dir, err, sizeof err) < 0)
			fprintf(stderr, "callsightd: --crash-dir: cannot read %s\n", err);
		if (sr->out->have_app)
			cs_pipeline_app_facts(sr->p, sr->out->app_bundle, &sr->out->app_facts);
	}
	cs_pipeline_feed(sr->p, raw, len);
	cs_pipeline_feed(sr->p, "\n", 1);
}

static int
run_store_replay(const options_t *opt, struct cs_rules *rules, struct replay_out *r,
    const struct cs_sink *sink)
{
	char err[512];
	struct cs_store_options so = { .path = opt->replay, .read_only = true };
	struct cs_store *store = cs_store_open(&so, err, sizeof err);
	if (store == NULL) {
		fprintf(stderr, "callsightd: cannot read %s: %s\n", opt->replay, err);
		return 1;
	}
	struct store_replay sr = { .rules = rules, .opt = opt, .out = r, .sink = *sink };
	int rc = cs_store_raw_lines(store, NULL, 0, 0, store_replay_line, &sr);
	store_replay_end_device(&sr);
	if (rc < 0)	/* damage past what the check at open covered: said, with SQLite's cause */
		fprintf(stderr, "callsightd: cannot read the lines of %s: %s\n", opt->replay, cs_store_error(store));
	cs_store_close(store);
	if (rc < 0)
		return 1;
	if (opt->json) {
		struct cs_summary s = {
			.lines = sr.reader_total.lines, .events = sr.total.events, .flags = sr.total.flags,
			.disconnects = sr.total.disconnects, .warnings = sr.total.warnings,
			.unparsed = sr.reader_total.unparsed, .format = "store",
		};
		cs_json_write(stdout, cs_summary_json(&s));
	} else {
		printf("%s: %llu lines, %llu events, %llu disconnects, %llu warnings\n", opt->replay,
		    (unsigned long long)sr.reader_total.lines, (unsigned long long)sr.total.events,
		    (unsigned long long)sr.total.disconnects, (unsigned long long)sr.total.warnings);
		if (sr.total.flags == 0)
			printf("No dropped call found.\n");
	}
	return 0;
}

/* ---------------------------------------------------------------- --report, --app-info */

static void
keep_line(const struct cs_line *line, void *ctx)
{
	struct replay_out *r = ctx;
	cs_store_line(r->store, r->device_id, line);
	if (r->print.line)
		r->print.line(line, ctx);
}

static void
keep_event(const struct cs_event *event, void *ctx)
{
	struct replay_out *r = ctx;
	cs_store_event(r->store, r->device_id, event);
	if (r->print.event)
		r->print.event(event, ctx);
}

static void
keep_state(const struct cs_state_change *change, void *ctx)
{
	struct replay_out *r = ctx;
	struct cs_state_change c = *change;
	c.device = r->device_id;
	cs_store_state(r->store, &c);
	if (r->print.state)
		r->print.state(change, ctx);
}

static void
keep_flag(const struct cs_flag *flag, void *ctx)
{
	struct replay_out *r = ctx;
	struct cs_flag *f0 = cs_xmalloc(sizeof *f0);	/* the same flag, under the store's device id */
	*f0 = *flag;
	cs_strlcpy(f0->device, r->device_id, sizeof f0->device);
	cs_store_flag(r->store, f0);
	free(f0);
	if (r->nflags == r->capflags) {
		r->capflags = r->capflags ? 2 * r->capflags : 16;
		r->flags = cs_xrealloc(r->flags, r->capflags * sizeof *r->flags);
	}
	struct flag_ref *f = &r->flags[r->nflags++];
	f->id = flag->id;
	cs_strlcpy(f->device, r->device_id, sizeof f->device);
	if (r->print.flag)
		r->print.flag(flag, ctx);
}

/* --report DIR: the records also go into a private in-memory store, as the daemon's go into its
 * store, under the device id `callsightd --replay FILE --serve` gives the capture (the file's name),
 * so that cs_report_write() makes the very bundle the daemon makes. 0 ok, 1 cannot. */
static int
keep_for_report(struct replay_out *r, struct cs_sink *sink)
{
	const char *base = strrchr(r->opt->replay, '/');
	cs_strlcpy(r->device_id, base ? base + 1 : r->opt->replay, sizeof r->device_id);
	char err[512];
	struct cs_store_options so = { .path = ":memory:" };
	r->store = cs_store_open(&so, err, sizeof err);
	if (r->store == NULL) {
		fprintf(stderr, "callsightd: --report: cannot keep the capture: %s\n", err);
		return 1;
	}
	r->print = *sink;
	*sink = (struct cs_sink){ .line = keep_line, .event = keep_event, .state = keep_state,
		.flag = keep_flag, .ctx = r };
	return 0;
}

/* One bundle per flag, in the order they were raised. 0 all written, 1 one failed. */
static int
write_reports(const options_t *opt, struct replay_out *r, struct cs_pipeline *p)
{
	struct cs_timeline *tl = cs_pipeline_timeline(p);
	/* as the daemon's replay: the name the log gives the phone beats the file's */
	const char *name = cs_timeline_device(tl)[0] ? cs_timeline_device(tl) : r->device_id;
	cs_store_device(r->store, r->device_id, name, "", "", "replay", "", cs_timeline_now(tl));
	if (r->have_app)
		cs_store_app(r->store, r->device_id, r->app_bundle, &r->app_facts, r->app_modes);
	cs_store_commit(r->store);
	int rc = 0;
	for (size_t i = 0; i < r->nflags; i++) {
		struct cs_report_options ro = {
			.out_dir = opt->report_dir, .device = r->flags[i].device, .flag_id = r->flags[i].id,
			.tar = opt->report_tar, .redact = !opt->no_redact, .crash_dir = opt->crash_dir,
		};
		char path[1024], err[512];
		if (cs_report_write(r->store, &ro, path, sizeof path, err, sizeof err) < 0) {
			fprintf(stderr, "callsightd: --report: flag %llu: %s\n",
			    (unsigned long long)r->flags[i].id, err);
			rc = 1;
			continue;
		}
		if (opt->json)
			cs_json_write(out_file(r), cs_replay_report_json(r->flags[i].id, path));
		else
			fprintf(out_file(r), "Report for flag %llu: %s\n", (unsigned long long)r->flags[i].id, path);
	}
	if (r->nflags == 0)
		fprintf(stderr, "callsightd: --report: no flag in the capture, so no report written\n");
	return rc;
}

/* --app-info PATH: read before the capture, handed to the timeline as the live check's answer is */
static int
load_app_info(const options_t *opt, struct replay_out *r)
{
	if (opt->app_info == NULL)
		return 0;
	char err[640];
	if (cs_appinfo_load(opt->app_info, r->app_bundle, sizeof r->app_bundle, &r->app_facts,
	    r->app_modes, sizeof r->app_modes, err, sizeof err) < 0) {
		fprintf(stderr, "callsightd: --app-info: %s\n", err);
		return 1;
	}
	r->have_app = true;
	if (opt->json)
		cs_json_write(out_file(r), cs_app_json(NULL, r->app_bundle, &r->app_facts, r->app_modes));
	return 0;
}

static void
replay_out_free(struct replay_out *r)
{
	out_file(r);
	if (r->store)
		cs_store_close(r->store);
	free(r->flags);
	cs_text_free(&r->text);
}

static int
run_replay(const options_t *opt, struct cs_rules *rules)
{
	if (output_batched(opt))
		setvbuf(stdout, NULL, _IOFBF, 256 * 1024);
	if (strcmp(opt->replay, "-") != 0 && cs_store_is_store_file(opt->replay)) {
		if (opt->report_dir) {
			fprintf(stderr, "callsightd: --report: %s is a store; ask the daemon serving it "
			    "(callsight report) or replay the capture file\n", opt->replay);
			return 2;
		}
		struct replay_out r;
		struct cs_sink sink = replay_sink(opt, &r);
		int rc = load_app_info(opt, &r);
		if (rc == 0)
			rc = run_store_replay(opt, rules, &r, &sink);
		replay_out_free(&r);
		return rc;
	}
	int fd = 0;
	const char *name = opt->replay;
	struct stat st;
	int64_t ref_time = 0;
	if (strcmp(opt->replay, "-") != 0) {
		fd = open(opt->replay, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			fprintf(stderr, "callsightd: cannot read %s: %s\n", opt->replay, strerror(errno));
			return 1;
		}
		if (fstat(fd, &st) == 0) {
			if (S_ISDIR(st.st_mode)) {
				fprintf(stderr, "callsightd: cannot read %s: it is a directory\n", opt->replay);
				close(fd);
				return 1;
			}
			ref_time = st.st_mtime;
		}
	} else {
		name = "stdin";
	}

	struct replay_out r;
	struct cs_sink sink = replay_sink(opt, &r);
	if (load_app_info(opt, &r) != 0 || (opt->report_dir && keep_for_report(&r, &sink) != 0)) {
		if (fd != 0)
			close(fd);
		replay_out_free(&r);
		return 1;
	}
	struct cs_pipeline_options popt = {
		.app = opt->app, .sdk = opt->sdk, .year = opt->year, .ref_time = ref_time,
		.utc_offset_min = opt->utc_offset_min,
		.date_year = opt->date_year, .date_month = opt->date_month, .date_day = opt->date_day,
	};
	struct cs_pipeline *p = cs_pipeline_new(rules, &popt, &sink);
	if (r.have_app)
		cs_pipeline_app_facts(p, r.app_bundle, &r.app_facts);
	char err[256];
	if (opt->crash_dir && cs_pipeline_crash_dir(p, opt->crash_dir, err, sizeof err) < 0) {
		fprintf(stderr, "callsightd: --crash-dir: cannot read %s\n", err);
		if (fd != 0)
			close(fd);
		cs_pipeline_free(p);
		replay_out_free(&r);
		return 1;
	}
	int rc = cs_replay_fd(p, fd, err, sizeof err);
	if (fd != 0)
		close(fd);
	if (rc < 0) {
		fprintf(stderr, "callsightd: cannot read %s: %s\n", name, err);
		cs_pipeline_free(p);
		replay_out_free(&r);
		return 1;
	}
	report_input_problems(name, cs_pipeline_reader_stats(p));
	rc = opt->report_dir ? write_reports(opt, &r, p) : 0;
	print_summary(&r, name, p);
	fflush(stdout);
	cs_pipeline_free(p);
	replay_out_free(&r);
	return rc;
}

/* --sdk must name an SDK the rules know (an "sdk" directive), so a typo does not pass silently. */
static int
check_sdk_option(const options_t *opt, const struct cs_rules *rules)
{
	if (opt->sdk == NULL || cs_rules_sdk_layer(rules, opt->sdk) >= 0)
		return 0;
	fprintf(stderr, "callsightd: --sdk: unknown SDK '%s' (known:", opt->sdk);
	for (size_t i = 0; i < cs_rules_sdk_count(rules); i++)
		fprintf(stderr, " %s", cs_rules_sdk_name(rules, i));
	fprintf(stderr, ")\n");
	return -1;
}

/* -d: fork, and return in the child only once it serves (the parent exits with its verdict). */
static int
daemonize(int *ready_fd)
{
	int fds[2];
	if (pipe(fds) < 0) {
		fprintf(stderr, "callsightd: pipe: %s\n", strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "callsightd: fork: %s\n", strerror(errno));
		return -1;
	}
	if (pid > 0) {
		close(fds[1]);
		char buf[2];
		ssize_t n;
		do
			n = read(fds[0], buf, sizeof buf);
		while (n < 0 && errno == EINTR);
		_exit(n == 2 ? 0 : 1);
	}
	close(fds[0]);
	setsid();
	int null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
	*ready_fd = fds[1];
	return 0;
}

int
main(int argc, char **argv)
{
	options_t opt = { 0 };
	int rc = parse_options(argc, argv, &opt);
	if (rc != 0)
		return rc;
	struct cs_rules *rules = load_rules(&opt);
	if (rules == NULL)
		return 2;
	if (check_sdk_option(&opt, rules) < 0) {
		cs_rules_free(rules);
		return 2;
	}
	if (opt.replay && !opt.serve) {
		rc = run_replay(&opt, rules);
		cs_rules_free(rules);
		return rc;
	}
	int ready_fd = -1;
	if (opt.daemonize && daemonize(&ready_fd) < 0) {
		cs_rules_free(rules);
		return 1;
	}
	return cs_daemon_run(&opt, rules, ready_fd);
}

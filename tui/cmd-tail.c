/*
 * cmd-tail.c - `callsight tail`: the daemon's live records as a feed for scripts and CI. With
 * --json the NDJSON records pass through untouched; otherwise one readable line per record.
 * Exits 1 when the daemon goes away, so a CI job notices.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"

static volatile sig_atomic_t tail_stop;

static void
on_stop(int sig)
{
	tail_stop = sig;
}

static const char *
str(json_t *rec, const char *key)
{
	const char *v = json_string_value(json_object_get(rec, key));
	return v ? v : "";
}

/* one line a record: time, device, what */
static void
print_record(json_t *rec)
{
	const char *type = str(rec, "type");
	printf("%-24s %-12.12s ", str(rec, "time"), str(rec, "device"));
	if (strcmp(type, "event") == 0) {
		printf("event  %-26s %s[%lld]", str(rec, "kind"), str(rec, "process"),
		    (long long)json_integer_value(json_object_get(rec, "pid")));
	} else if (strcmp(type, "state") == 0) {
		printf("state  %-8s -> %s", str(rec, "lane"), str(rec, "state"));
	} else if (strcmp(type, "flag") == 0) {
		printf("FLAG   %s %s (%.2f): %s", str(rec, "severity"), str(rec, "cause"),
		    json_real_value(json_object_get(rec, "confidence")), str(rec, "label"));
	} else if (strcmp(type, "device") == 0) {
		printf("device %s %s %s", str(rec, "state"), str(rec, "name"), str(rec, "detail"));
	} else if (strcmp(type, "line") == 0) {
		printf("line   %s: %s", str(rec, "process"), str(rec, "message"));
	} else if (strcmp(type, "mark") == 0) {
		printf("mark   %s", str(rec, "note"));
	} else if (strcmp(type, "dropped") == 0) {
		printf("dropped %lld records (reading too slowly)",
		    (long long)json_integer_value(json_object_get(rec, "count")));
	} else {
		printf("%s", type);
	}
	putchar('\n');
}

static void
usage(FILE *out)
{
	fprintf(out, "usage: callsight tail [--json] [--lines] [--device UDID] [--socket PATH]\n");
}

int
cmd_tail(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "lines", no_argument, NULL, 'l' },
		{ "device", required_argument, NULL, 'u' },
		{ "udid", required_argument, NULL, 'u' },
		{ "socket", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false, lines = false;
	const char *device = NULL, *sock = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "ju:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'l': lines = true; break;
		case 'u': device = optarg; break;
		case 'S': sock = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	struct cmd_conn conn;
	char err[512];
	if (cmd_connect(&conn, sock, err, sizeof err) < 0) {
		fprintf(stderr, "callsight tail: %s\n", err);
		return 1;
	}
	struct sigaction sa = { .sa_handler = on_stop };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	json_t *req = json_pack("{s:s, s:i, s:b}", "request", "subscribe", "id", 1, "lines", lines);
	if (device)
		json_object_set_new(req, "device", json_string(device));
	cmd_send(&conn, req);
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (!tail_stop) {
		char *line = cmd_read_line(&conn, 1000);
		if (line == NULL) {
			if (conn.eof)
				break;
			continue;
		}
		json_t *rec = json_loads(line, 0, NULL);
		if (rec == NULL)
			continue;
		const char *type = str(rec, "type");
		if (strcmp(type, "ok") != 0) {
			if (json)
				puts(line);
			else
				print_record(rec);
		}
		json_decref(rec);
	}
	bool gone = conn.eof;
	cmd_close(&conn);
	if (gone) {
		fprintf(stderr, "callsight tail: the daemon went away\n");
		return 1;
	}
	return 0;
}

/*
 * cmd-report.c - `callsight report`: ask the daemon for a bug-report bundle (report.html,
 * flags.json, events.ndjson, syslog.txt; secrets redacted unless --no-redact) and print its path.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: callsight report [--device UDID] [--flag ID | --since TIME --until TIME]\n"
	    "                        [--out DIR] [--tar] [--no-redact] [--socket PATH]\n"
	    "  TIME is ISO 8601 UTC, e.g. 2026-11-25T17:20:05Z; --out defaults to the current folder\n");
}

int
cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "device", required_argument, NULL, 'u' },
		{ "udid", required_argument, NULL, 'u' },
		{ "flag", required_argument, NULL, 'f' },
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'U' },
		{ "out", required_argument, NULL, 'o' },
		{ "tar", no_argument, NULL, 't' },
		{ "no-redact", no_argument, NULL, 'R' },
		{ "socket", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *device = NULL, *since = NULL, *until = NULL, *out = ".", *sock = NULL;
	long flag = 0;
	bool tar = false, redact = true;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "u:f:o:h", longopts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'u': device = optarg; break;
		case 'f':
			flag = strtol(optarg, &end, 10);
			if (*end || flag <= 0) {
				fprintf(stderr, "callsight report: --flag: '%s' is not a flag id\n", optarg);
				return 2;
			}
			break;
		case 's': since = optarg; break;
		case 'U': until = optarg; break;
		case 'o': out = optarg; break;
		case 't': tar = true; break;
		case 'R': redact = false; break;
		case 'S': sock = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	char abs_out[PATH_MAX];
	if (realpath(out, abs_out) == NULL) {	/* the daemon's folder is not ours */
		fprintf(stderr, "callsight report: --out %s: no such folder\n", out);
		return 2;
	}
	struct cmd_conn conn;
	char err[512];
	if (cmd_connect(&conn, sock, err, sizeof err) < 0) {
		fprintf(stderr, "callsight report: %s\n", err);
		return 1;
	}
	json_t *req = json_pack("{s:s, s:i, s:s, s:b, s:b}", "request", "report", "id", 1, "out", abs_out,
	    "tar", tar, "redact", redact);
	if (device)
		json_object_set_new(req, "device", json_string(device));
	if (flag)
		json_object_set_new(req, "flag", json_integer(flag));
	if (since)
		json_object_set_new(req, "since", json_string(since));
	if (until)
		json_object_set_new(req, "until", json_string(until));
	cmd_send(&conn, req);
	int rc = 1;
	for (;;) {
		json_t *rec = cmd_read(&conn, 60000);
		if (rec == NULL) {
			fprintf(stderr, "callsight report: no answer from the daemon\n");
			break;
		}
		const char *type = json_string_value(json_object_get(rec, "type"));
		bool mine = json_integer_value(json_object_get(rec, "id")) == 1;
		if (mine && type && strcmp(type, "report") == 0) {
			printf("%s\n", json_string_value(json_object_get(rec, "path")));
			rc = 0;
		} else if (mine && type && strcmp(type, "error") == 0) {
			fprintf(stderr, "callsight report: %s\n",
			    json_string_value(json_object_get(rec, "message")));
		} else {
			json_decref(rec);
			continue;
		}
		json_decref(rec);
		break;
	}
	cmd_close(&conn);
	return rc;
}

/*
 * test_report.c - bug-report bundles from a store holding one realistic dropped call
 * (missing_background_mode: locked, backgrounded, suspended, 1022 and a disconnect after unlock)
 * with secrets and hostile markup in its lines: the four files, the window, redaction, escaping,
 * the .tar.gz (read back with zlib), names, and the errors.
 *
 * With CS_REPORT_OUT=DIR set, it also leaves that sample bundle in DIR/sample (for
 * tests/e2e/report-chromium.sh, which renders it with headless Chromium).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <zlib.h>

#include "callsightd.h"

#define SEC	1000000LL
#define T0	(1772625600LL * SEC)	/* 2026-03-04T12:00:00Z */
#define UDID	"00008030-001A2D1E3C02802E"
#define APP	"com.example.VideoCall"
#define TOKEN	"T1==cGFydG5lcl9pZD00NzI3JnNpZz1hYmMxMjM6c2Vzc2lvbl9pZD0xX01YNDA="

/* ---------------------------------------------------------------- the scenario */

struct scenario_line {
	int		 at;		/* seconds from T0 */
	const char	*process, *image;
	long		 pid;
	const char	*message;
	int		 kind;		/* an event kind, or -1 */
};

static const struct scenario_line scenario[] = {
	{ -300, "SpringBoard", "SpringBoard", 59, "Backlight on: screen unlocked", CS_EV_screen_unlocked },
	{ 1, "VideoCall", "Foundation", 4242, "OTSession connecting api_key=46278712 token=" TOKEN,
	  CS_EV_call_connecting },
	{ 2, "VideoCall", "Foundation", 4242, "sessionDidConnect: connection to 192.168.1.23:443 as "
	  "ana.maria@example.com", CS_EV_call_connected },
	{ 2, "mediaserverd", "AudioToolbox", 120, "AudioSessionSetActive: sid:0x1f0a2, VideoCall(4242), active",
	  CS_EV_audio_active },
	{ 8, "VideoCall", "libwebrtc", 4242, "ICE pair 2001:db8:85a3::8a2e:370:7334 <-> 203.0.113.7 selected", -1 },
	{ 14, "VideoCall", "Foundation", 4242, "stats: bitrate 812 kbps, rtt 48 ms, user <script>alert('x')"
	  "</script> & \"friends\"", -1 },
	{ 20, "SpringBoard", "SpringBoard", 59, "Lock button pressed; screen locked", CS_EV_screen_locked },
	{ 20, "SpringBoard", "FrontBoard", 59, "[application<com.example.VideoCall>:4242] Setting process "
	  "visibility to: Background", CS_EV_app_background },
	{ 21, "mediaserverd", "AVFoundation", 120, "CMSession: camera interrupted: "
	  "videoDeviceNotAvailableInBackground", CS_EV_camera_interrupted },
	{ 21, "mediaserverd", "AudioToolbox", 120, "sid:0x1f0a2, VideoCall(4242), interruption began",
	  CS_EV_audio_interruption_began },
	{ 25, "runningboardd", "RunningBoard", 33, "Calculated state for application<com.example.VideoCall>: "
	  "running-suspended (role: None)", CS_EV_app_suspended },
	{ 25, "audiomxd", "AudioSessionServer", 110, "client is background suspended: VideoCall(4242) "
	  "Background entitlement: NO", CS_EV_app_no_bg_entitlement },
	{ 70, "SpringBoard", "SpringBoard", 59, "Backlight on: screen unlocked", CS_EV_screen_unlocked },
	{ 71, "SpringBoard", "FrontBoard", 59, "[application<com.example.VideoCall>:4242] Setting process "
	  "visibility to: Foreground", CS_EV_app_foreground },
	{ 71, "VideoCall", "Foundation", 4242, "session:didFailWithError: Error Domain=OTSessionErrorDomain "
	  "Code=1022 \"connection dropped\" call +1 (415) 555-2671", CS_EV_call_error },
	{ 71, "VideoCall", "Foundation", 4242, "sessionDidDisconnect:", CS_EV_call_disconnected },
	{ 400, "VideoCall", "Foundation", 4242, "a line long after the drop", -1 },
};
#define NSCENARIO (sizeof scenario / sizeof scenario[0])

struct scenario_state {
	int		 at;
	enum cs_lane	 lane;
	const char	*state;
};

static const struct scenario_state states[] = {
	{ -300, CS_LANE_screen, "unlocked" }, { -300, CS_LANE_app, "foreground" },
	{ -300, CS_LANE_network, "up" }, { -300, CS_LANE_audio, "inactive" },
	{ 1, CS_LANE_call, "connecting" }, { 2, CS_LANE_call, "connected" }, { 2, CS_LANE_audio, "active" },
	{ 20, CS_LANE_screen, "locked" }, { 20, CS_LANE_app, "background" },
	{ 21, CS_LANE_audio, "interrupted" }, { 25, CS_LANE_app, "suspended" },
	{ 70, CS_LANE_screen, "unlocked" }, { 71, CS_LANE_app, "foreground" },
	{ 71, CS_LANE_call, "disconnected" },
};

static void
make_line(char *raw, size_t rawlen, struct cs_line *line, uint64_t number, const struct scenario_line *s)
{
	int64_t t = T0 + s->at * SEC;
	int sec = (int)(((s->at % 60) + 60) % 60), min = (int)((s->at - sec) / 60);
	int n = snprintf(raw, rawlen, "Mar  4 %02d:%02d:%02d Ana-s-iPhone %s(%s)[%ld] <Notice>: %s",
	    12 + (min < 0 ? -1 : 0), (min % 60 + 60) % 60, sec, s->process, s->image, s->pid, s->message);
	*line = (struct cs_line){
		.number = number, .time_us = t, .format = CS_FMT_syslog, .device = "Ana-s-iPhone",
		.process = s->process, .image = s->image, .pid = s->pid, .level = "Notice", .raw = raw,
		.raw_len = (size_t)n, .udid = UDID, .message = raw + n - strlen(s->message),
		.message_len = strlen(s->message),
	};
}

/* the raw text of a scenario line (for the flag's evidence) */
static char *
raw_of(size_t index)
{
	char raw[1024];
	struct cs_line line;
	make_line(raw, sizeof raw, &line, index + 1, &scenario[index]);
	return strdup(raw);
}

static void
add_flags(struct cs_store *s)
{
	struct cs_flag flag = { .id = 1, .cause = CS_CAUSE_missing_background_mode, .confidence = 0.9,
		.time_us = T0 + 25 * SEC, .line = 16, .inferred = false };
	cs_strlcpy(flag.device, UDID, sizeof flag.device);
	cs_strlcpy(flag.app, APP, sizeof flag.app);
	cs_strlcpy(flag.sdk, "twilio-video", sizeof flag.sdk);
	cs_strlcpy(flag.detail, "suspended in background while the call was up; the audio server reports "
	    "'Background entitlement: NO' <b>(the app declares no audio/voip mode)</b>", sizeof flag.detail);
	static const size_t evidence[] = { 1, 2, 5, 7, 10, 11, 14, 15 };
	for (size_t i = 0; i < sizeof evidence / sizeof evidence[0]; i++) {
		const struct scenario_line *sl = &scenario[evidence[i]];
		flag.evidence[flag.nevidence++] = (struct cs_evidence){ .line = evidence[i] + 1,
			.kind = sl->kind >= 0 ? (enum cs_event_kind)sl->kind : CS_EV_socket_aborted,
			.time_us = T0 + sl->at * SEC,
			.text = raw_of(evidence[i]) };
	}
	assert_int_equal(cs_store_flag(s, &flag), 0);
	for (size_t i = 0; i < flag.nevidence; i++)
		free(flag.evidence[i].text);

	struct cs_flag warn = { .id = 2, .cause = CS_CAUSE_camera_interrupted_background, .confidence = 0.8,
		.time_us = T0 + 21 * SEC, .line = 9, .nevidence = 1 };
	cs_strlcpy(warn.device, UDID, sizeof warn.device);
	cs_strlcpy(warn.app, APP, sizeof warn.app);
	cs_strlcpy(warn.detail, "the camera stopped when the app went to background", sizeof warn.detail);
	warn.evidence[0] = (struct cs_evidence){ .line = 9, .kind = CS_EV_camera_interrupted,
		.time_us = T0 + 21 * SEC, .text = raw_of(8) };
	warn.advice = "Set localVideoTrack.isEnabled = false <on background>";	/* an SDK's words */
	cs_strlcpy(warn.sdk, "twilio-video", sizeof warn.sdk);
	assert_int_equal(cs_store_flag(s, &warn), 0);
	free(warn.evidence[0].text);
}

static struct cs_store *
scenario_store(void)
{
	char err[256];
	struct cs_store_options o = { .path = ":memory:" };
	struct cs_store *s = cs_store_open(&o, err, sizeof err);
	assert_non_null(s);
	assert_int_equal(cs_store_device(s, UDID, "Ana's iPhone", "17.5", "iPhone15,2", "attached", "",
	    T0 - 600 * SEC), 0);
	struct cs_app_facts facts = { .known = true, .microphone_usage = true, .camera_usage = true };
	assert_int_equal(cs_store_app(s, UDID, APP, &facts, "[]"), 0);
	for (size_t i = 0; i < NSCENARIO; i++) {
		char raw[1024];
		struct cs_line line;
		make_line(raw, sizeof raw, &line, i + 1, &scenario[i]);
		assert_int_equal(cs_store_line(s, NULL, &line), 0);
		if (scenario[i].kind >= 0) {
			struct cs_event ev = { .kind = (enum cs_event_kind)scenario[i].kind, .line = &line,
				.rule = "10-system.rules:3" };
			assert_int_equal(cs_store_event(s, NULL, &ev), 0);
		}
	}
	for (size_t i = 0; i < sizeof states / sizeof states[0]; i++) {
		struct cs_state_change ch = { .lane = states[i].lane, .state = states[i].state,
			.time_us = T0 + states[i].at * SEC, .line = 1, .device = UDID, .app = APP };
		assert_int_equal(cs_store_state(s, &ch), 0);
	}
	add_flags(s);
	assert_true(cs_store_mark(s, UDID, T0 + 19 * SEC, "locking the phone now") > 0);
	assert_int_equal(cs_store_commit(s), 0);
	return s;
}

/* ---------------------------------------------------------------- helpers */

static char tmpdir[256];

static int
setup_dir(void **state)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/cs-report-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int
teardown_dir(void **state)
{
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *
read_file(const char *dir, const char *name, size_t *len_out)
{
	char path[600];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s: %s", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)len + 1);
	assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
	buf[len] = '\0';
	fclose(f);
	if (len_out)
		*len_out = (size_t)len;
	return buf;
}

static size_t
count_str(const char *s, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static size_t
count_char(const char *s, char c)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == c;
	return n;
}

static int
write_report(struct cs_store *s, struct cs_report_options *o, char *path, size_t pathlen, char *err,
    size_t errlen)
{
	err[0] = '\0';
	int rc = cs_report_write(s, o, path, pathlen, err, errlen);
	if (rc != 0 && o->flag_id != 99)
		fprintf(stderr, "report: %s\n", err);
	return rc;
}

/* ---------------------------------------------------------------- tests */

static void
test_bundle_for_a_flag(void **state)
{
	struct cs_store *s = scenario_store();
	struct cs_report_options o = { .out_dir = tmpdir, .flag_id = 1, .redact = true };
	char path[512], err[256];
	assert_int_equal(write_report(s, &o, path, sizeof path, err, sizeof err), 0);
	/* default name: callsight-<device pseudonym>-<flag time>: the owner's name is not in it */
	char want[512], phone[32];
	snprintf(want, sizeof want, "%s/callsight-phone-", tmpdir);
	assert_memory_equal(path, want, strlen(want));
	assert_int_equal(strlen(path), strlen(want) + 8 + strlen("-20260304T120025Z"));
	assert_string_equal(path + strlen(want) + 8, "-20260304T120025Z");
	snprintf(phone, sizeof phone, "phone-%.8s", path + strlen(want));
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));

	/* report.html: stands alone, escaped, says what and why */
	char *page = read_file(path, "report.html", NULL);
	assert_non_null(strstr(page, "<svg"));
	assert_null(strstr(page, "<script"));
	assert_int_equal(count_str(page, "://"), count_str(page, "http://www.w3.org/2000/svg"));
	assert_int_equal(count_str(page, "src="), 0);		/* nothing to fetch */
	assert_non_null(strstr(page, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;friends&quot;"));
	assert_non_null(strstr(page, "Call dropped: App suspended on lock: no audio/voip background mode"));
	assert_non_null(strstr(page, "missing_background_mode"));
	assert_non_null(strstr(page, "camera_interrupted_background"));
	assert_non_null(strstr(page, "Add the background modes: Xcode &gt; Signing &amp; Capabilities"));
	assert_non_null(strstr(page, "<dt>Call SDK</dt><dd>twilio-video</dd>"));
	assert_non_null(strstr(page, "SDK <code>twilio-video</code>"));
	assert_non_null(strstr(page, "Set localVideoTrack.isEnabled = false &lt;on background&gt;"));
	assert_non_null(strstr(page, "&#39;Background entitlement: NO&#39; &lt;b&gt;"));
	assert_null(strstr(page, "Ana&#39;s iPhone"));		/* the owner's name: a pseudonym */
	assert_non_null(strstr(page, phone));			/* the same one as the folder's */
	assert_null(strstr(page, UDID));
	assert_null(strstr(page, "00008030001A2D1E3C02802E"));
	assert_non_null(strstr(page, "iPhone15,2"));
	assert_non_null(strstr(page, "no audio, no voip"));
	assert_non_null(strstr(page, "locking the phone now"));
	assert_non_null(strstr(page, "running-suspended (role: None)"));
	assert_non_null(strstr(page, ">suspended</text>"));	/* lane label inside its span */
	assert_null(strstr(page, "T1=="));			/* evidence redacted */
	assert_null(strstr(page, "ana.maria@"));
	assert_non_null(strstr(page, "[redacted-token]"));
	free(page);

	/* flags.json: both flags of the window */
	json_error_t jerr;
	char flags_path[600];
	snprintf(flags_path, sizeof flags_path, "%s/flags.json", path);
	json_t *flags = json_load_file(flags_path, 0, &jerr);
	assert_non_null(flags);
	assert_int_equal(json_array_size(flags), 2);
	const char *cause = json_string_value(json_object_get(json_array_get(flags, 1), "cause"));
	assert_string_equal(cause, "missing_background_mode");	/* in time order: the warning came first */
	json_decref(flags);

	/* events.ndjson: event and state records of the window, each a JSON object */
	char *events = read_file(path, "events.ndjson", NULL);
	size_t nrec = 0;
	for (char *line = strtok(events, "\n"); line; line = strtok(NULL, "\n"), nrec++) {
		json_t *rec = json_loads(line, 0, &jerr);
		assert_non_null(rec);
		const char *type = json_string_value(json_object_get(rec, "type"));
		assert_true(strcmp(type, "event") == 0 || strcmp(type, "state") == 0);
		json_decref(rec);
	}
	assert_int_equal(nrec, 13 + 10);	/* the window holds 13 events and 10 state changes */
	free(events);

	/* syslog.txt: the window's raw lines, one per line, redacted, time stamps kept */
	char *log = read_file(path, "syslog.txt", NULL);
	assert_int_equal(count_char(log, '\n'), NSCENARIO - 2);	/* not the line 5 min before, nor after */
	assert_null(strstr(log, "T1=="));
	assert_null(strstr(log, "46278712"));
	assert_null(strstr(log, "ana.maria@example.com"));
	assert_null(strstr(log, "192.168.1.23"));
	assert_null(strstr(log, "2001:db8"));
	assert_null(strstr(log, "555-2671"));
	char want_line[256];
	snprintf(want_line, sizeof want_line, "Mar  4 12:00:02 %s VideoCall(Foundation)[4242] <Notice>: "
	    "sessionDidConnect: connection to [redacted-ip]:443 as [redacted-email]", phone);
	assert_non_null(strstr(log, want_line));	/* the hostname too */
	assert_null(strstr(log, "Ana-s-iPhone"));
	free(log);
	/* no file of the bundle names the phone or its UDID */
	static const char *const files[] = { "report.html", "flags.json", "events.ndjson", "syslog.txt" };
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char *text = read_file(path, files[i], NULL);
		assert_null(strstr(text, UDID));
		assert_null(strstr(text, "Ana's iPhone"));
		assert_null(strstr(text, "Ana-s-iPhone"));
		free(text);
	}

	/* private by default: logs are personal */
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 077, 0);

	/* the same report again: another key, so another pseudonym (bundles cannot be linked) */
	assert_int_equal(write_report(s, &o, path, sizeof path, err, sizeof err), 0);
	assert_null(strstr(path, phone));
	cs_store_close(s);
}

static void
test_unredacted_and_window(void **state)
{
	struct cs_store *s = scenario_store();
	struct cs_report_options o = { .out_dir = tmpdir, .name = "raw-window", .since_us = T0,
		.until_us = T0 + 21 * SEC, .redact = false };
	char path[512], err[256];
	assert_int_equal(write_report(s, &o, path, sizeof path, err, sizeof err), 0);
	char *log = read_file(path, "syslog.txt", NULL);
	assert_non_null(strstr(log, TOKEN));	/* redact=false keeps the text as captured */
	assert_non_null(strstr(log, "Ana-s-iPhone"));	/* and the phone's name */
	assert_int_equal(count_char(log, '\n'), 9);
	free(log);
	char *page = read_file(path, "report.html", NULL);
	assert_non_null(strstr(page, "Warning: Camera stopped in background"));	/* only the warning */
	assert_non_null(strstr(page, "NOT redacted"));
	free(page);
	/* a chosen name that exists is an error, not an overwrite */
	assert_int_equal(write_report(s, &o, path, sizeof path, err, sizeof err), -1);
	assert_non_null(strstr(err, "exists"));
	cs_store_close(s);
}

static void
test_whole_store_without_flag(void **state)
{
	struct cs_store *s = scenario_store();
	struct cs_report_options o = { .out_dir = tmpdir, .name = "everything", .redact = true };
	char path[512], err[256];
	assert_int_equal(write_report(s, &o, path, sizeof path, err, sizeof err), 0);
	char *log = read_file(path, "syslog.txt", NULL);
	assert_int_equal(count_char(log, '\n'), NSCENARIO);
	free(log);
	cs_store_close(s);

	/* an empty store still gives a readable report */
	struct cs_store_options so = { .path = ":memory:" };
	s = cs_store_open(&so, err, sizeof err);
	assert_non_null(s);
	o.name = "empty";
	assert_int_equal(write_report(s, &o, path, sizeof path, err, sizeof err), 0);
	char *page = read_file(path, "report.html", NULL);
	assert_non_null(strstr(page, "No dropped call in this window"));
	free(page);
	cs_store_close(s);
}

/* read a .tar.gz with zlib: check each ustar header and find the named member's size */
static void
check_tar(const char *path, const char *bundle_name)
{
	gzFile gz = gzopen(path, "rb");
	assert_non_null(gz);
	unsigned char h[512];
	int members = 0;
	bool html_found = false;
	while (gzread(gz, h, sizeof h) == (int)sizeof h) {
		if (h[0] == '\0')
			break;	/* end-of-archive block */
		assert_memory_equal(h + 257, "ustar", 6);
		unsigned sum = 0;
		for (int i = 0; i < 512; i++)
			sum += (i >= 148 && i < 156) ? ' ' : h[i];
		assert_int_equal(strtoul((const char *)h + 148, NULL, 8), sum);
		size_t size = strtoul((const char *)h + 124, NULL, 8);
		char name[101];
		memcpy(name, h, 100);
		name[100] = '\0';
		assert_int_equal(strncmp(name, bundle_name, strlen(bundle_name)), 0);
		char *data = malloc(size + 1);
		size_t padded = (size + 511) / 512 * 512;
		assert_int_equal(gzread(gz, data, (unsigned)size), (int)size);
		data[size] = '\0';
		if (strstr(name, "/report.html")) {
			html_found = true;
			assert_non_null(strstr(data, "missing_background_mode"));
			assert_null(strstr(data, "T1=="));
		}
		free(data);
		gzseek(gz, (z_off_t)(padded - size), SEEK_CUR);
		members++;
	}
	gzclose(gz);
	assert_int_equal(members, 5);	/* the folder and its four files */
	assert_true(html_found);
}

/* §2: a window bigger than a page is streamed: every line and record is in the bundle, every page
 * is redacted with the same pseudonyms, and the page's timeline draws the newest records only
 * (and says so), its lanes starting from the state before them. */
static void
test_big_window_streamed(void **state)
{
	struct cs_store *s = scenario_store();
	enum { N = 12000 };	/* > HTML_MAX_RECORDS records, > 2 pages of lines */
	for (int i = 0; i < N; i++) {
		char raw[512], msg[256];
		snprintf(msg, sizeof msg, "tick %05d from " UDID " to bob%d@example.com", i, i);
		struct scenario_line sl = { .at = 500, .process = "VideoCall", .image = "Foundation", .pid = 4242,
			.message = msg, .kind = -1 };
		struct cs_line line;
		make_line(raw, sizeof raw, &line, NSCENARIO + 1 + (uint64_t)i, &sl);
		line.time_us = T0 + 500 * SEC + i * 1000LL;
		assert_int_equal(cs_store_line(s, NULL, &line), 0);
		struct cs_state_change ch = { .lane = CS_LANE_network, .state = i % 2 ? "down" : "up",
			.time_us = line.time_us, .line = line.number, .device = UDID, .app = APP };
		assert_int_equal(cs_store_state(s, &ch), 0);
	}
	assert_int_equal(cs_store_commit(s), 0);
	struct cs_report_options o = { .out_dir = tmpdir, .redact = true };
	char path[512], err[256];
	assert_int_equal(write_report(s, &o, path, sizeof path, err, sizeof err), 0);
	char *log = read_file(path, "syslog.txt", NULL);
	assert_int_equal(count_char(log, '\n'), NSCENARIO + N);
	assert_null(strstr(log, UDID));
	assert_null(strstr(log, "@example.com"));
	assert_int_equal(count_str(log, "[redacted-email]"), N + 1);	/* and the scenario's own */
	const char *first = strstr(log, "tick 00000 from ");
	assert_non_null(first);
	char pseudonym[32];
	assert_int_equal(sscanf(first, "tick 00000 from %31s", pseudonym), 1);
	assert_int_equal(strncmp(pseudonym, "device-", 7), 0);
	assert_int_equal(count_str(log, pseudonym), N);	/* one pseudonym in every page */
	char *events = read_file(path, "events.ndjson", NULL);
	size_t nscen_events = 0;
	for (size_t i = 0; i < NSCENARIO; i++)
		nscen_events += scenario[i].kind >= 0;
	assert_int_equal(count_char(events, '\n'), nscen_events + sizeof states / sizeof states[0] + N);
	assert_int_equal(count_str(events, pseudonym), count_char(events, '\n'));	/* every record's device */
	char *page = read_file(path, "report.html", NULL);
	assert_non_null(strstr(page, "the timeline draws the newest 10000"));
	assert_non_null(strstr(page, "12017 lines"));
	assert_null(strstr(page, UDID));
	/* the screen lane starts with the state before the drawn records (unlocked at T0+70) */
	assert_non_null(strstr(page, "<title>unlocked</title>"));
	free(log);
	free(events);
	free(page);
	cs_store_close(s);
}

static void
test_tar_gz(void **state)
{
	struct cs_store *s = scenario_store();
	struct cs_report_options o = { .out_dir = tmpdir, .name = "bundle", .flag_id = 1, .tar = true,
		.redact = true };
	char path[512], err[256];
	assert_int_equal(write_report(s, &o, path, sizeof path, err, sizeof err), 0);
	char want[512];
	snprintf(want, sizeof want, "%s/bundle.tar.gz", tmpdir);
	assert_string_equal(path, want);
	check_tar(path, "bundle/");
	if (access("/usr/bin/tar", X_OK) == 0 || access("/bin/tar", X_OK) == 0) {
		char cmd[700];	/* and the system's tar agrees */
		snprintf(cmd, sizeof cmd, "tar tzf '%s' | grep -qx 'bundle/syslog.txt'", path);
		assert_int_equal(system(cmd), 0);
	}
	cs_store_close(s);
}

static void
test_errors_name_what_and_where(void **state)
{
	struct cs_store *s = scenario_store();
	char path[512] = "", err[256];
	struct cs_report_options o = { .out_dir = tmpdir, .flag_id = 99, .redact = true };
	assert_int_equal(write_report(s, &o, path, sizeof path, err, sizeof err), -1);
	assert_non_null(strstr(err, "no flag 99"));

	char file[400], bad[512];
	snprintf(file, sizeof file, "%s/a-file", tmpdir);
	int fd = open(file, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	snprintf(bad, sizeof bad, "%s/sub", file);
	o = (struct cs_report_options){ .out_dir = bad, .flag_id = 1, .redact = true };
	assert_int_equal(write_report(s, &o, path, sizeof path, err, sizeof err), -1);
	assert_non_null(strstr(err, file));

	o = (struct cs_report_options){ .out_dir = tmpdir, .name = "../escape", .redact = true };
	assert_int_equal(write_report(s, &o, path, sizeof path, err, sizeof err), -1);
	assert_non_null(strstr(err, "bad report name"));
	o.out_dir = NULL;
	assert_int_equal(write_report(s, &o, path, sizeof path, err, sizeof err), -1);
	cs_store_close(s);
}

/* leave a sample bundle for the e2e script */
static void
test_sample_for_e2e(void **state)
{
	const char *out = getenv("CS_REPORT_OUT");
	if (out == NULL || out[0] == '\0') {
		print_message("skip: a sample bundle for report-chromium.sh, written only when it sets "
		    "CS_REPORT_OUT\n");
		skip();
	}
	struct cs_store *s = scenario_store();
	struct cs_report_options o = { .out_dir = out, .name = "sample", .flag_id = 1, .redact = true };
	char path[512], err[256];
	assert_int_equal(write_report(s, &o, path, sizeof path, err, sizeof err), 0);
	printf("sample report: %s/report.html\n", path);
	cs_store_close(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bundle_for_a_flag),
		cmocka_unit_test(test_unredacted_and_window),
		cmocka_unit_test(test_whole_store_without_flag),
		cmocka_unit_test(test_big_window_streamed),
		cmocka_unit_test(test_tar_gz),
		cmocka_unit_test(test_errors_name_what_and_where),
		cmocka_unit_test(test_sample_for_e2e),
	};
	return cmocka_run_group_tests_name("report", tests, setup_dir, teardown_dir);
}

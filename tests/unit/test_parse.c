/*
 * test_parse.c - unit tests of the reader (daemon/parse.c) through its public API only: every
 * input format, with real lines from /work/shared/samples/device-log-samples.md (the sample number
 * is given with each), continuation joining, vis(3) decoding, hostile bytes, chunked feeding, and
 * the time inference rules (year, day, zones).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "callsightd.h"
#include "../common/utf8_valid.h"

/* 2026-11-25T12:00:00Z: "the capture was written no later than this" */
#define REF_2026_11_25	INT64_C(1795608000)

/* ---------------------------------------------------------------- collecting lines */

struct got {
	uint64_t	number, offset;
	int64_t		time_us, device_us, recv_us;
	enum cs_format	format;
	unsigned	flags;
	long		pid;
	char	       *device, *process, *image, *level, *message, *raw, *udid;
	size_t		message_len, raw_len;
};

struct sink {
	struct got     *v;
	size_t		n, cap;
};

static char *
checked_copy(const char *s)
{
	assert_non_null(s);
	assert_true(valid_utf8(s, strlen(s)));
	return cs_xstrdup(s);
}

/* Keeps a copy of every line, checking the invariants of struct cs_line on the way. */
static void
collect(const struct cs_line *line, void *ctx)
{
	struct sink *sink = ctx;
	struct got *g;

	assert_int_equal(strlen(line->message), line->message_len);
	assert_int_equal(strlen(line->raw), line->raw_len);
	assert_true(line->raw_len <= CS_MAX_RECORD);
	if (sink->n == sink->cap) {
		sink->cap = sink->cap ? sink->cap * 2 : 16;
		sink->v = cs_xrealloc(sink->v, sink->cap * sizeof *sink->v);
	}
	g = &sink->v[sink->n++];
	g->number = line->number;
	g->offset = line->offset;
	g->time_us = line->time_us;
	g->device_us = line->device_us;
	g->recv_us = line->recv_us;
	g->format = line->format;
	g->flags = line->flags;
	g->pid = line->pid;
	g->message_len = line->message_len;
	g->raw_len = line->raw_len;
	g->device = checked_copy(line->device);
	g->process = checked_copy(line->process);
	g->image = checked_copy(line->image);
	g->level = checked_copy(line->level);
	g->message = checked_copy(line->message);
	g->raw = checked_copy(line->raw);
	g->udid = checked_copy(line->udid);
}

static void
sink_free(struct sink *sink)
{
	for (size_t i = 0; i < sink->n; i++) {
		struct got *g = &sink->v[i];

		free(g->device);
		free(g->process);
		free(g->image);
		free(g->level);
		free(g->message);
		free(g->raw);
		free(g->udid);
	}
	free(sink->v);
	memset(sink, 0, sizeof *sink);
}

/* Feed data in chunks of `chunk` bytes (0: all at once), flush, and keep the stats. */
static void
read_chunked(const struct cs_reader_options *o, const char *data, size_t len, size_t chunk,
    struct sink *sink, struct cs_reader_stats *stats, enum cs_format *fmt)
{
	struct cs_reader *r = cs_reader_new(o, collect, sink);

	if (chunk == 0)
		chunk = len ? len : 1;
	for (size_t off = 0; off < len; off += chunk)
		cs_reader_feed(r, data + off, len - off < chunk ? len - off : chunk);
	cs_reader_flush(r);
	if (stats != NULL)
		*stats = *cs_reader_stats(r);
	if (fmt != NULL)
		*fmt = cs_reader_format(r);
	cs_reader_free(r);
}

/* As read_chunked, with each chunk's line index built first and fed with it (as a replay that
 * scans ahead does): an indexed line must give the very record a read one gives. */
static void
read_indexed(const struct cs_reader_options *o, const char *data, size_t len, size_t chunk,
    struct sink *sink, struct cs_reader_stats *stats)
{
	struct cs_reader *r = cs_reader_new(o, collect, sink);
	struct cs_line_index *ix = cs_line_index_new();

	if (chunk == 0)
		chunk = len ? len : 1;
	for (size_t off = 0; off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;

		cs_line_index_build(ix, data + off, n);
		cs_reader_feed_ahead(r, data + off, n, NULL, false, ix);
	}
	cs_reader_flush(r);
	if (stats != NULL)
		*stats = *cs_reader_stats(r);
	cs_line_index_free(ix);
	cs_reader_free(r);
}

/* As a replay whose scan found no literal anywhere and that wants no line records (light): the
 * lines that can be skipped are, by skip_line (indexed false) or by the index's lean entries
 * (indexed: each chunk indexed and its scan text made, as replay.c's scan ahead does). */
static void
read_skipping(const struct cs_reader_options *o, const char *data, size_t len, size_t chunk,
    bool indexed, struct sink *sink, struct cs_reader_stats *stats)
{
	struct cs_reader *r = cs_reader_new(o, collect, sink);
	struct cs_line_index *ix = cs_line_index_new();
	struct cs_scan_hits none = { 0 };
	char *text = cs_xmalloc(len + 1);

	if (chunk == 0)
		chunk = len ? len : 1;
	for (size_t off = 0; off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;

		if (indexed) {
			cs_line_index_build(ix, data + off, n);
			cs_line_index_text(ix, text);
		}
		cs_reader_feed_ahead(r, data + off, n, &none, true, indexed ? ix : NULL);
	}
	cs_reader_flush(r);
	if (stats != NULL)
		*stats = *cs_reader_stats(r);
	free(text);
	cs_line_index_free(ix);
	cs_reader_free(r);
}

static void
read_text(const struct cs_reader_options *o, const char *text, struct sink *sink,
    struct cs_reader_stats *stats)
{
	read_chunked(o, text, strlen(text), 0, sink, stats, NULL);
}

static const char *
iso(int64_t time_us)
{
	static char buf[4][40];
	static int i;

	i = (i + 1) % 4;
	cs_format_time(time_us, buf[i], sizeof buf[i]);
	return buf[i];
}

static const struct cs_reader_options opt_2017 = { .year = 2017 };
static const struct cs_reader_options opt_ref = { .ref_time = REF_2026_11_25 };

/* ---------------------------------------------------------------- syslog */

static void
test_syslog_with_device_and_vis(void **state)
{
	/* sample 0.1: syslog_relay era, device name, vis-encoded em dash */
	struct sink s = { 0 };
	struct cs_reader_stats st;

	read_text(&opt_2017, "Jul 15 09:37:48 iPhoneSE dasd(DuetActivitySchedulerDaemon)[138] "
	    "<Notice>: Foreground app changed\\M-b\\M^@\\M^T-<private>\n", &s, &st);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.v[0].format, CS_FMT_syslog);
	assert_string_equal(s.v[0].device, "iPhoneSE");
	assert_string_equal(s.v[0].process, "dasd");
	assert_string_equal(s.v[0].image, "DuetActivitySchedulerDaemon");
	assert_int_equal(s.v[0].pid, 138);
	assert_string_equal(s.v[0].level, "Notice");
	assert_string_equal(s.v[0].message, "Foreground app changed\xe2\x80\x94-<private>");
	assert_string_equal(iso(s.v[0].time_us), "2017-07-15T09:37:48.000Z");
	assert_int_equal(s.v[0].flags, 0);	/* vis decoding is not sanitizing */
	assert_int_equal(s.v[0].number, 1);
	assert_int_equal(s.v[0].offset, 0);
	assert_string_equal(s.v[0].udid, "");
	assert_int_equal(st.sanitized, 0);
	sink_free(&s);
}

static void
test_syslog_without_device(void **state)
{
	/* sample 0.7: idevicesyslog >= 1.3 drops the device name */
	struct sink s = { 0 };

	read_text(&opt_2017,
	    "Jul 25 14:23:01 suggestd(ProactiveHarvesting)[138] <Notice>: HVQueues: enqueueContent: <private>\n"
	    "Jul 25 14:23:01 SpringBoard(PaperBoardUI)[32] <Notice>: [lock] Poster Extact update changed 131\n",
	    &s, NULL);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.v[0].device, "");
	assert_string_equal(s.v[0].process, "suggestd");
	assert_string_equal(s.v[0].image, "ProactiveHarvesting");
	assert_string_equal(s.v[0].message, "HVQueues: enqueueContent: <private>");
	assert_string_equal(s.v[1].process, "SpringBoard");
	assert_string_equal(s.v[1].message, "[lock] Poster Extact update changed 131");
	assert_int_equal(s.v[1].number, 2);
	assert_int_equal(s.v[1].offset, strlen("Jul 25 14:23:01 suggestd(ProactiveHarvesting)[138] "
	    "<Notice>: HVQueues: enqueueContent: <private>\n"));
	sink_free(&s);
}

static void
test_syslog_microseconds_padded_day(void **state)
{
	/* sample 0.8: idevicesyslog 1.4, µs, "May  2" space-padded day */
	struct sink s = { 0 };

	read_text(&opt_2017,
	    "Jan 17 16:09:04.087254 IngrediCheck(Foundation)[1181] <Notice>: [Category] message\n"
	    "May  2 11:13:48.554160 sylk(sylk.debug.dylib)[1291] <Notice>: [SylkZRTP] ...\n", &s, NULL);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.v[0].process, "IngrediCheck");
	assert_string_equal(s.v[0].image, "Foundation");
	assert_int_equal(s.v[0].pid, 1181);
	assert_int_equal(s.v[0].time_us % 1000000, 87254);
	assert_string_equal(iso(s.v[0].time_us), "2017-01-17T16:09:04.087Z");
	assert_string_equal(s.v[1].image, "sylk.debug.dylib");
	assert_string_equal(iso(s.v[1].time_us), "2017-05-02T11:13:48.554Z");
	sink_free(&s);
}

static void
test_syslog_padded_day_with_device(void **state)
{
	/* sample 0.5: "Jul  4" (BSD %e), device with dashes */
	struct sink s = { 0 };

	read_text(&opt_2017, "Jul  4 13:26:15 iPhone-de-Sergi SpringBoard(IDS)[49] <Notice>: <private> got "
	    "identifier <private> didSendWithSuccess YES  error (null) num delegates: 1\n", &s, NULL);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.v[0].device, "iPhone-de-Sergi");
	assert_string_equal(s.v[0].process, "SpringBoard");
	assert_string_equal(s.v[0].image, "IDS");
	assert_string_equal(iso(s.v[0].time_us), "2017-07-04T13:26:15.000Z");
	sink_free(&s);
}

static void
test_syslog_old_no_level_no_image(void **state)
{
	/* sample 0.6 (pre-iOS 10, no <Level>) and 0.3 (CommCenter[83]: no image) */
	struct sink s = { 0 };

	read_text(&opt_2017,
	    "Mar 31 19:11:56 Mikes-iPhone wifid[74]: WiFi:[418000316.779540]: Already connected to screaming baby.\n"
	    "Nov 12 12:24:37 iPad CommCenter[83] <Notice>: #I FBSDisplayLayoutUpdateHandler: update start\n",
	    &s, NULL);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.v[0].device, "Mikes-iPhone");
	assert_string_equal(s.v[0].process, "wifid");
	assert_string_equal(s.v[0].image, "");
	assert_string_equal(s.v[0].level, "");
	assert_int_equal(s.v[0].pid, 74);
	assert_string_equal(s.v[0].message, "WiFi:[418000316.779540]: Already connected to screaming baby.");
	assert_string_equal(s.v[1].device, "iPad");
	assert_string_equal(s.v[1].process, "CommCenter");
	assert_string_equal(s.v[1].image, "");
	assert_int_equal(s.v[1].pid, 83);
	sink_free(&s);
}

static void
test_syslog_quote_prefix_and_indent(void **state)
{
	/* sample 0.4 as pasted ("> " quote), 1.9 (leading space, device "unknown"), 3.22 (indent) */
	struct sink s = { 0 };

	read_text(&opt_2017,
	    "> Apr 25 17:18:10 iPhone-de-VinceOPS SpringBoard(BaseBoard)[48] <Info>: <SBApplicationSceneUpdateTransaction:0x98f5b40> Milestones added: synchronizedCommit\n"
	    " Dec  3 16:26:22 unknown lockdownd[26] <Notice>: 00381000 handle_start_service: Escrow unlock unavailable because user has not unlocked device since boot.\n"
	    "    Sep 30 15:27:49 Someones-Phone CommCenter[76] <Notice>: #I BundleID: <private> is no longer a foreground app\n",
	    &s, NULL);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.v[0].device, "iPhone-de-VinceOPS");
	assert_string_equal(s.v[0].level, "Info");
	assert_string_equal(s.v[1].device, "unknown");
	assert_string_equal(s.v[1].process, "lockdownd");
	assert_string_equal(s.v[2].device, "Someones-Phone");
	assert_string_equal(s.v[2].message, "#I BundleID: <private> is no longer a foreground app");
	for (size_t i = 0; i < s.n; i++)
		assert_int_equal(s.v[i].format, CS_FMT_syslog);
	sink_free(&s);
}

static void
test_syslog_process_with_spaces(void **state)
{
	/* no device stream (bare lines seen): "My App" is one process name; dots are kept */
	struct sink s = { 0 };

	read_text(&opt_2017,
	    "Jul 25 14:23:01 suggestd(ProactiveHarvesting)[138] <Notice>: one\n"
	    "Jul 25 14:23:02 My App(Foundation)[12] <Error>: two\n"
	    "Jul 25 14:23:03 com.example.My.App[13] <Fault>: three\n", &s, NULL);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.v[1].device, "");
	assert_string_equal(s.v[1].process, "My App");
	assert_string_equal(s.v[1].level, "Error");
	assert_string_equal(s.v[2].process, "com.example.My.App");
	assert_string_equal(s.v[2].level, "Fault");
	sink_free(&s);
}

/* The process block's search (scan_proc_block) takes sixteen bytes at a time: its '[', its
 * ": " (a colon closing one block, the space opening the next), the name's first space and the
 * ANCHOR_WINDOW limit at every position relative to those blocks. */
static void
test_syslog_block_at_every_offset(void **state)
{
	char line[2048], dev[300];

	for (size_t k = 1; k <= 280; k++) {
		struct sink s = { 0 };

		memset(dev, 'x', k);
		dev[0] = 'D';
		dev[k] = '\0';
		snprintf(line, sizeof line,
		    "Jul 15 09:37:48 %s proc(Run Board)[12] <Notice>: one\n"	/* a device, an image */
		    "Jul 15 09:37:49 %s said: x[13] <Notice>: two\n"		/* ": " first: no block */
		    "Jul 15 09:37:50 %s:x [14] <Notice>: three\n"		/* " [": no anchor */
		    "Jul 15 09:37:51 %s app[15]: four\n", dev, dev, dev, dev);
		read_text(&opt_2017, line, &s, NULL);
		assert_int_equal(s.n, 4);
		/* the '[' after "D" + "x"s + " proc(Run Board)" is its anchor within the window */
		bool in_window = k + 16 < 256;
		assert_int_equal(s.v[0].pid, in_window ? 12 : -1);
		if (in_window) {
			assert_string_equal(s.v[0].device, dev);
			assert_string_equal(s.v[0].process, "proc");
			assert_string_equal(s.v[0].image, "Run Board");
			assert_string_equal(s.v[0].message, "one");
		}
		assert_int_equal(s.v[1].pid, -1);
		assert_string_equal(s.v[1].process, "");
		assert_int_equal(s.v[2].pid, -1);
		bool four = k + 4 < 256;
		assert_int_equal(s.v[3].pid, four ? 15 : -1);
		if (four)
			assert_string_equal(s.v[3].message, "four");
		sink_free(&s);
	}
}

/* ---------------------------------------------------------------- Console.app */

static void
test_console_type_time_process(void **state)
{
	/* sample 1.1: type<TAB>time<TAB>process<TAB>message, zone after a space */
	struct sink s = { 0 };

	read_text(&opt_ref, "default\t15:56:31.005724 +0900\tassertiond\t[foodmedv01:625] Removing client: "
	    "<BKProcessInfoServerClient: 0x100d50d90; pid: 52>\n", &s, NULL);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.v[0].format, CS_FMT_console);
	assert_string_equal(s.v[0].level, "default");
	assert_string_equal(s.v[0].process, "assertiond");
	assert_string_equal(s.v[0].image, "");
	assert_int_equal(s.v[0].pid, -1);
	assert_string_equal(s.v[0].message, "[foodmedv01:625] Removing client: "
	    "<BKProcessInfoServerClient: 0x100d50d90; pid: 52>");
	assert_true(s.v[0].flags & CS_LINE_HAS_ZONE);
	/* 15:56:31 +0900 = 06:56:31Z, on the day of ref_time */
	assert_string_equal(iso(s.v[0].time_us), "2026-11-25T06:56:31.005Z");
	sink_free(&s);
}

static void
test_console_no_type_column(void **state)
{
	/* sample 2.1 (time<TAB>process<TAB>message, -0400) and 2.2 (only the error row has a type) */
	struct sink s = { 0 };

	read_text(&opt_ref,
	    "13:07:14.084733-0400\tmediaserverd\tAudioSessionServerImp.cpp:3166:Sub_AudioSessionSetActiveWithFlags: { \"action\":\"activate\", \"session\":{\"ID\":\"0x3535e\",\"PID\":2145,\"name\":\"liveninjaMesseng\"}, \"details\":\"entry\" }\n"
	    "error\t13:07:14.088829-0400\tmediaserverd\tAudioSessionServerImp.cpp:285:TranslateCMSessionErrorCode: { \"action\":\"cm_session_begin_interruption\" }\n",
	    &s, NULL);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.v[0].level, "");
	assert_string_equal(s.v[0].process, "mediaserverd");
	assert_string_equal(iso(s.v[0].time_us), "2026-11-24T17:07:14.084Z");
	assert_string_equal(s.v[1].level, "error");
	assert_string_equal(s.v[1].process, "mediaserverd");
	assert_string_equal(s.v[1].message, "AudioSessionServerImp.cpp:285:TranslateCMSessionErrorCode: "
	    "{ \"action\":\"cm_session_begin_interruption\" }");
	sink_free(&s);
}

static void
test_console_library_column(void **state)
{
	/* sample 3.10: type, time, process, library, message */
	struct sink s = { 0 };

	read_text(&opt_ref, "default\t08:00:54.159594-0600\tSpringBoard\tFrontBoard\t[application<com.AppCo.MyApp>:432] "
	    "Setting process visibility to: Foreground\n", &s, NULL);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.v[0].process, "SpringBoard");
	assert_string_equal(s.v[0].image, "FrontBoard");
	assert_string_equal(s.v[0].message, "[application<com.AppCo.MyApp>:432] Setting process visibility to: Foreground");
	sink_free(&s);
}

static void
test_console_custom_order(void **state)
{
	/* sample 3.12: time, category, message, subsystem, library, type, process */
	struct sink s = { 0 };

	read_text(&opt_ref, "23:11:49.105010+0100\tProcessWorkspace\t[application<net.yvant.domination>:23793] "
	    "Invalidating workspace.\tcom.apple.FrontBoard\tFrontBoard\tdefault\tSpringBoard\n", &s, NULL);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.v[0].process, "SpringBoard");
	assert_string_equal(s.v[0].image, "FrontBoard");
	assert_string_equal(s.v[0].level, "default");
	assert_string_equal(s.v[0].message, "[application<net.yvant.domination>:23793] Invalidating workspace.");
	assert_string_equal(iso(s.v[0].time_us), "2026-11-24T22:11:49.105Z");
	sink_free(&s);
}

static void
test_console_library_first_and_tab_continuation(void **state)
{
	/* sample 5.3: library, type, time (" -0800"), process, message; TAB-indented continuation */
	struct sink s = { 0 };

	read_text(&opt_ref,
	    "libnetwork.dylib\tdefault\t19:28:56.799844 -0800\tAPPNAME\t0.031s [C14 Hostname#01fb735e:443 resolver path=satisfied (Path is satisfied), interface: en0, ipv4, dns] flow:finish_transport\n"
	    "libusrtcp.dylib\tdefault\t19:28:56.795374 -0800\tAPPNAME\tnw_protocol_tcp_log_summary [C14.1:3] \n"
	    "\t[9BE77D7A-11C6-4605-8D65-2EA157B64595 <private>:51490<-><private>:443]\n"
	    "\tInit: 1, Conn_Time: 23.545ms, Syn's: 1, WR_T: 0/0, RD_T: 0/0, TFO: 0/0/0, ECN: 0/0/0, TS: 1\n",
	    &s, NULL);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.v[0].process, "APPNAME");
	assert_string_equal(s.v[0].image, "libnetwork.dylib");
	assert_string_equal(s.v[0].level, "default");
	assert_string_equal(s.v[1].image, "libusrtcp.dylib");
	assert_true(s.v[1].flags & CS_LINE_CONTINUED);
	assert_string_equal(s.v[1].message, "nw_protocol_tcp_log_summary [C14.1:3] \n"
	    "\t[9BE77D7A-11C6-4605-8D65-2EA157B64595 <private>:51490<-><private>:443]\n"
	    "\tInit: 1, Conn_Time: 23.545ms, Syn's: 1, WR_T: 0/0, RD_T: 0/0, TFO: 0/0/0, ECN: 0/0/0, TS: 1");
	/* rows are kept in file order even when time goes back */
	assert_true(s.v[1].time_us < s.v[0].time_us);
	sink_free(&s);
}

static void
test_console_zones(void **state)
{
	/* zones glued (-0400 sample 2.1, +0530 sample 1.5) and after a space (" +0530", sample 2.12) */
	struct sink s = { 0 };

	read_text(&opt_ref,
	    "default\t00:44:05.096307+0530\tdasd\tTrigger: <private> is now [1]\n"
	    "default\t12:05:02.905711 +0530\tcallservicesd\tSuccessfully set audio activation context\n"
	    "13:07:14.296729-0400\tmediaserverd\tAudioSessionServerImp.cpp:4880\n", &s, NULL);
	assert_int_equal(s.n, 3);
	/* 00:44:05+0530 is 19:14:05Z of the day before */
	assert_string_equal(iso(s.v[0].time_us), "2026-11-24T19:14:05.096Z");
	assert_string_equal(iso(s.v[1].time_us), "2026-11-25T06:35:02.905Z");
	assert_string_equal(iso(s.v[2].time_us), "2026-11-25T17:07:14.296Z");
	for (size_t i = 0; i < s.n; i++)
		assert_true(s.v[i].flags & CS_LINE_HAS_ZONE);
	sink_free(&s);
}

static void
test_console_full_date_column(void **state)
{
	struct sink s = { 0 };

	read_text(&opt_ref, "default\t2019-01-08 13:26:14.087889 +0800\tSpringBoard\tFront display did change: (null)\n",
	    &s, NULL);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.v[0].format, CS_FMT_console);
	assert_string_equal(iso(s.v[0].time_us), "2019-01-08T05:26:14.087Z");
	assert_string_equal(s.v[0].message, "Front display did change: (null)");
	sink_free(&s);
}

static void
test_console_day_rollover(void **state)
{
	/* time-only stamps: back by more than 12 h is the next day; a small step back is not */
	struct sink s = { 0 };
	struct cs_reader_options o = { .year = 2024 };

	read_text(&o,
	    "default\t23:59:58.000000+0000\tSpringBoard\tbefore midnight\n"
	    "default\t23:59:57.500000+0000\tSpringBoard\tslightly out of order\n"
	    "default\t00:00:01.000000+0000\tSpringBoard\tafter midnight\n"
	    "default\t23:59:59.000000+0000\tSpringBoard\tlate row from the day before\n"
	    "default\t23:59:59.400000+0000\tSpringBoard\tanother in its second (parse.c resolve_time)\n"
	    "default\t00:00:01.500000+0000\tSpringBoard\tback to the new day\n", &s, NULL);
	assert_int_equal(s.n, 6);
	/* year only: time-only rows start on Jan 1 of that year */
	assert_string_equal(iso(s.v[0].time_us), "2024-01-01T23:59:58.000Z");
	assert_string_equal(iso(s.v[1].time_us), "2024-01-01T23:59:57.500Z");
	assert_string_equal(iso(s.v[2].time_us), "2024-01-02T00:00:01.000Z");
	assert_string_equal(iso(s.v[3].time_us), "2024-01-01T23:59:59.000Z");
	assert_string_equal(iso(s.v[4].time_us), "2024-01-01T23:59:59.400Z");
	assert_string_equal(iso(s.v[5].time_us), "2024-01-02T00:00:01.500Z");
	sink_free(&s);
}

/* ---------------------------------------------------------------- dated formats */

static void
test_xcode(void **state)
{
	/* sample 2.6 (with zone), 4.7 (iOS 10: no zone), 4.1 (process with a dash) */
	struct sink s = { 0 };
	struct cs_reader_options o = { .utc_offset_min = 120 };

	read_text(&o,
	    "2018-02-07 18:08:29.169529-0800 AudioDeviceExample[2798:888745] Interruption began.\n"
	    "2017-06-08 11:06:48.639132 SwiftVoiceCallKitQuickstart[809:546563] provider:performEndCallAction:\n"
	    "2024-04-11 12:03:29.303800-0300 Video-Transformers[11709:6967822] [Client] Updating selectors\n",
	    &s, NULL);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.v[0].format, CS_FMT_xcode);
	assert_string_equal(s.v[0].process, "AudioDeviceExample");
	assert_int_equal(s.v[0].pid, 2798);
	assert_string_equal(s.v[0].message, "Interruption began.");
	assert_string_equal(iso(s.v[0].time_us), "2018-02-08T02:08:29.169Z");
	assert_true(s.v[0].flags & CS_LINE_HAS_ZONE);
	/* no zone: local device time, utc_offset_min = +120 */
	assert_string_equal(iso(s.v[1].time_us), "2017-06-08T09:06:48.639Z");
	assert_false(s.v[1].flags & CS_LINE_HAS_ZONE);
	assert_string_equal(s.v[2].process, "Video-Transformers");
	assert_string_equal(s.v[2].message, "[Client] Updating selectors");
	sink_free(&s);
}

static void
test_logshow(void **state)
{
	/* sample 1.7: log show (sysdiagnose) */
	struct sink s = { 0 };

	read_text(NULL,
	    "2025-03-09 14:51:04.748058+0100 localhost backboardd[67]: [com.apple.BackBoard:Button] VolumeIncrement page:0xC usage:0xE9 downEvent:1 down\n"
	    "2025-03-09 14:51:04.757336+0100 localhost SpringBoard[34]: (SpringBoard) [com.apple.SpringBoard.buttons:Volume] RECEIVED rawVolumeIncreasePress down:YES |\n",
	    &s, NULL);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.v[0].format, CS_FMT_logshow);
	assert_string_equal(s.v[0].device, "localhost");
	assert_string_equal(s.v[0].process, "backboardd");
	assert_int_equal(s.v[0].pid, 67);
	assert_string_equal(s.v[0].message, "[com.apple.BackBoard:Button] VolumeIncrement page:0xC usage:0xE9 downEvent:1 down");
	assert_string_equal(iso(s.v[0].time_us), "2025-03-09T13:51:04.748Z");
	assert_string_equal(s.v[1].process, "SpringBoard");
	assert_string_equal(s.v[1].image, "SpringBoard");
	assert_string_equal(s.v[1].message, "[com.apple.SpringBoard.buttons:Volume] RECEIVED rawVolumeIncreasePress down:YES |");
	sink_free(&s);
}

static void
test_pymobiledevice3(void **state)
{
	/* Appendix A: pymobiledevice3 `syslog live` layout (no real paste exists) */
	struct sink s = { 0 };

	read_text(NULL, "2026-01-02 10:11:12.123456 SpringBoard{FrontBoard}[59] <NOTICE>: msg\n", &s, NULL);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.v[0].format, CS_FMT_pymd3);
	assert_string_equal(s.v[0].process, "SpringBoard");
	assert_string_equal(s.v[0].image, "FrontBoard");
	assert_string_equal(s.v[0].level, "NOTICE");
	assert_int_equal(s.v[0].pid, 59);
	assert_string_equal(s.v[0].message, "msg");
	assert_string_equal(iso(s.v[0].time_us), "2026-01-02T10:11:12.123Z");
	assert_int_equal(s.v[0].time_us % 1000000, 123456);
	sink_free(&s);
}

/* ---------------------------------------------------------------- records */

static void
test_continuation_dictionary(void **state)
{
	/* sample 0.1: homed dumps a dictionary over 7 header-less lines */
	struct sink s = { 0 };
	struct cs_reader_stats st;

	read_text(&opt_2017,
	    "Jul 15 09:37:48 iPhoneSE homed(HomeKitDaemon)[158] <Notice>: Received app state changed with info {\n"
	    "    BKSApplicationStateAppIsFrontmost = 1;\n"
	    "    SBApplicationStateKey = 8;\n"
	    "}\n"
	    "Jul 15 09:37:48 iPhoneSE symptomsd(SymptomEvaluator)[122] <Notice>: dk.bitfabrikken.appname: Foreground: true\n",
	    &s, &st);
	assert_int_equal(s.n, 2);
	assert_true(s.v[0].flags & CS_LINE_CONTINUED);
	assert_string_equal(s.v[0].message, "Received app state changed with info {\n"
	    "    BKSApplicationStateAppIsFrontmost = 1;\n    SBApplicationStateKey = 8;\n}");
	assert_string_equal(s.v[0].raw, "Jul 15 09:37:48 iPhoneSE homed(HomeKitDaemon)[158] <Notice>: "
	    "Received app state changed with info {\n    BKSApplicationStateAppIsFrontmost = 1;\n"
	    "    SBApplicationStateKey = 8;\n}");
	assert_int_equal(s.v[1].number, 5);
	assert_false(s.v[1].flags & CS_LINE_CONTINUED);
	assert_int_equal(st.physical_lines, 5);
	assert_int_equal(st.lines, 2);
	assert_int_equal(st.unparsed, 0);
	sink_free(&s);
}

static void
test_record_waits_for_next_header(void **state)
{
	/* a record is handed out only when the next header arrives, or on flush */
	struct sink s = { 0 };
	struct cs_reader *r = cs_reader_new(&opt_2017, collect, &s);
	const char *a = "Nov 12 12:24:37 iPad runningboardd(RunningBoard)[31] <Notice>: Acquiring assertion "
	    "with description <RBSAssertionDescriptor| \"x\" attributes:[\n";

	cs_reader_feed(r, a, strlen(a));
	assert_int_equal(s.n, 0);
	cs_reader_feed(r, "\t<RBSSubordinateProcessAttribute>\n\t]>\n", 38);
	assert_int_equal(s.n, 0);
	cs_reader_flush(r);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.v[0].message, "Acquiring assertion with description <RBSAssertionDescriptor| "
	    "\"x\" attributes:[\n\t<RBSSubordinateProcessAttribute>\n\t]>");
	cs_reader_free(r);
	sink_free(&s);
}

static void
test_plain_file(void **state)
{
	/* sample 4.3: the OpenTok banner, no headers at all: one plain record per line */
	struct sink s = { 0 };
	struct cs_reader_stats st;
	enum cs_format fmt;
	const char *text = "*******************************************************\n"
	    "NOTICE: OPENTOK CONSOLE LOGGER HAS NOT BEEN SET.\n"
	    "PLEASE USE otk_console_set_logger(otk_console_logger)\n"
	    "\n"
	    "TO SET YOUR LOGGER.\n";

	read_chunked(&opt_ref, text, strlen(text), 0, &s, &st, &fmt);
	assert_int_equal(s.n, 4);	/* the blank line is not a record */
	for (size_t i = 0; i < s.n; i++) {
		assert_int_equal(s.v[i].format, CS_FMT_plain);
		assert_int_equal(s.v[i].flags, CS_LINE_UNPARSED | CS_LINE_NO_TIME);
		assert_int_equal(s.v[i].pid, -1);
		assert_string_equal(s.v[i].process, "");
		/* no stamp anywhere: the capture's own time (its mtime), never 1970 */
		assert_int_equal(s.v[i].time_us, REF_2026_11_25 * 1000000);
	}
	assert_string_equal(s.v[1].message, "NOTICE: OPENTOK CONSOLE LOGGER HAS NOT BEEN SET.");
	assert_int_equal(s.v[3].number, 5);
	assert_int_equal(st.unparsed, 4);
	assert_int_equal(st.per_format[CS_FMT_plain], 4);
	assert_int_equal(st.physical_lines, 5);
	assert_int_equal(fmt, CS_FMT_plain);
	sink_free(&s);
}

static void
test_plain_after_continuation_bound(void **state)
{
	/* a header, then 250 header-less lines: 200 are joined, the rest are plain records */
	struct sink s = { 0 };
	struct cs_reader_stats st;
	size_t cap = 256 * 32, len = 0;
	char *text = cs_xmalloc(cap);

	len += (size_t)snprintf(text + len, cap - len,
	    "Jul 15 09:37:48 iPhoneSE homed(HomeKitDaemon)[158] <Notice>: start\n");
	for (int i = 0; i < 250; i++)
		len += (size_t)snprintf(text + len, cap - len, "line %d\n", i);
	read_chunked(&opt_2017, text, len, 0, &s, &st, NULL);
	assert_int_equal(s.n, 51);
	assert_true(s.v[0].flags & CS_LINE_CONTINUED);
	assert_true(strstr(s.v[0].message, "\nline 199") != NULL);
	assert_null(strstr(s.v[0].message, "line 200"));
	assert_int_equal(s.v[1].format, CS_FMT_plain);
	assert_string_equal(s.v[1].message, "line 200");
	/* a plain record inherits the time of the record before */
	assert_true(s.v[1].flags & CS_LINE_NO_TIME);
	assert_int_equal(s.v[1].time_us, s.v[0].time_us);
	assert_int_equal(st.unparsed, 50);
	free(text);
	sink_free(&s);
}

static void
test_blank_lines_inside_and_after(void **state)
{
	/* sample 4.15 has a blank line inside a message; trailing blank lines are not joined */
	struct sink s = { 0 };

	read_text(&opt_2017,
	    "Jul 15 09:37:48 iPhoneSE app[1] <Notice>: (receive_statistics_proxy2.cc:490): Frames decoded 0\n"
	    "WebRTC.Video.DroppedFrames.Receiver 0\n"
	    "\n"
	    "(video_render_frames.cc:47): WebRTC.Video.DroppedFrames.RenderQueue 0\n"
	    "\n\n", &s, NULL);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.v[0].message, "(receive_statistics_proxy2.cc:490): Frames decoded 0\n"
	    "WebRTC.Video.DroppedFrames.Receiver 0\n\n"
	    "(video_render_frames.cc:47): WebRTC.Video.DroppedFrames.RenderQueue 0");
	sink_free(&s);
}

/* ---------------------------------------------------------------- hostile bytes */

static void
test_vis_and_invalid_utf8(void **state)
{
	struct sink s = { 0 };
	struct cs_reader_stats st;
	/* \M-b alone (an incomplete sequence), \M^? (0xff), raw invalid bytes, a literal backslash */
	const char text[] = "Jul 15 09:37:48 iPhoneSE app[1] <Notice>: a\\M-bz \\M^? \xff\xfe ok \xc3\xa9 C:\\Mx \\n\n";

	read_chunked(&opt_2017, text, sizeof text - 1, 0, &s, &st, NULL);
	assert_int_equal(s.n, 1);
	assert_true(s.v[0].flags & CS_LINE_SANITIZED);
	assert_string_equal(s.v[0].message, "a\xef\xbf\xbdz \xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd ok "
	    "\xc3\xa9 C:\\Mx \\n");
	assert_int_equal(st.sanitized, 1);
	assert_int_equal(st.garbage_bytes, 0);
	sink_free(&s);
}

/* Each kind of byte that needs cleaning is found at every offset of a line (the reader looks at
 * 16 and 8 bytes at a time: every lane of both, and the tail); a TAB, DEL's neighbours and a
 * backslash without "M" are left as they are. */
static void
test_special_byte_at_every_offset(void **state)
{
	static const struct {
		const char	*bytes;		/* put into the message at the offset */
		const char	*becomes;	/* what the message holds there afterwards */
		bool		 sanitized;
		uint64_t	 garbage;
	} kinds[] = {
		{ "\x01", "", true, 1 },		/* a control byte: dropped */
		{ "\x1f", "", true, 1 },
		{ "\x7f", "", true, 1 },		/* DEL */
		{ "\xff", "\xef\xbf\xbd", true, 0 },	/* invalid UTF-8: U+FFFD */
		{ "\xc3\xa9", "\xc3\xa9", false, 0 },	/* valid UTF-8: kept, not flagged */
		{ "\\M-b\\M^@\\M^T", "\xe2\x80\x94", false, 0 },	/* vis(3): an em dash */
		{ "\t", "\t", false, 0 },
		{ "~ \\x", "~ \\x", false, 0 },	/* a backslash that is no vis escape */
	};
	const char *head = "Jul 15 09:37:48 iPhoneSE app[1] <Notice>: ";
	char text[256], want[256];

	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
		for (size_t at = 0; at <= 40; at++) {
			struct sink s = { 0 };
			struct cs_reader_stats st;
			char msg[64];

			memset(msg, 'a', at);
			msg[at] = '\0';
			snprintf(text, sizeof text, "%s%s%sz\n", head, msg, kinds[k].bytes);
			snprintf(want, sizeof want, "%s%sz", msg, kinds[k].becomes);
			read_chunked(&opt_2017, text, strlen(text), 0, &s, &st, NULL);
			assert_int_equal(s.n, 1);
			assert_string_equal(s.v[0].message, want);
			assert_int_equal(!!(s.v[0].flags & CS_LINE_SANITIZED), kinds[k].sanitized);
			assert_int_equal(st.garbage_bytes, kinds[k].garbage);
			sink_free(&s);
		}
	}
}

static void
test_relay_nuls_and_garbage(void **state)
{
	/* the raw syslog_relay stream: records "<text>\n\0"; control bytes are dropped and counted */
	struct sink s = { 0 };
	struct cs_reader_stats st;
	const char text[] =
	    "Nov 12 12:24:37 iPad runningboardd(RunningBoard)[31] <Notice>: [application<com.REDACTED>:796] Resuming task.\n\0"
	    "Nov 12 12:24:37 iPad SpringBoard(FrontBoard)[510] <Notice>: Bootstrap\x01\x1b success!\n\0"
	    "\0\0"
	    "Nov 12 12:24:38 iPad CommCenter[83] <Notice>: glued\0"
	    "Nov 12 12:24:39 iPad CommCenter[83] <Notice>: last\n\0";

	read_chunked(&opt_2017, text, sizeof text - 1, 0, &s, &st, NULL);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.v[0].message, "[application<com.REDACTED>:796] Resuming task.");
	assert_string_equal(s.v[1].message, "Bootstrap success!");
	assert_true(s.v[1].flags & CS_LINE_SANITIZED);
	assert_string_equal(s.v[2].message, "glued");
	assert_string_equal(s.v[3].message, "last");
	assert_int_equal(s.v[1].number, 2);
	assert_int_equal(s.v[1].offset, strlen(text) + 1);	/* after the first record's NUL */
	assert_int_equal(st.nul_bytes, 6);
	assert_int_equal(st.garbage_bytes, 2);
	assert_int_equal(st.physical_lines, 4);
	assert_int_equal(st.bytes, sizeof text - 1);
	sink_free(&s);
}

static void
test_binary_garbage(void **state)
{
	struct sink s = { 0 };
	struct cs_reader_stats st;
	unsigned char junk[4096];
	uint32_t x = 12345;

	for (size_t i = 0; i < sizeof junk; i++) {
		x = x * 1103515245 + 12345;
		junk[i] = (unsigned char)(x >> 16);
	}
	read_chunked(NULL, (const char *)junk, sizeof junk, 7, &s, &st, NULL);
	assert_true(s.n > 0);
	assert_true(st.garbage_bytes > 0);
	assert_true(st.nul_bytes > 0);
	for (size_t i = 0; i < s.n; i++)
		assert_int_equal(s.v[i].format, CS_FMT_plain);
	sink_free(&s);
}

static void
test_megabyte_line(void **state)
{
	/* a 1 MB line after a header line: cut at CS_MAX_RECORD with a marker, in any chunking */
	size_t big = 1024 * 1024;
	const char *head = "Jul 15 09:37:48 iPhoneSE app[1] <Notice>: ";
	const char *tail = "Jul 15 09:37:49 iPhoneSE app[1] <Notice>: next\n";
	size_t len = strlen(head) + big + 1;
	char *text = cs_xmalloc(len + 64);
	struct sink one = { 0 }, chunked = { 0 };
	struct cs_reader_stats st;

	memcpy(text, head, strlen(head));
	memset(text + strlen(head), 'x', big);
	text[len - 1] = '\n';
	memcpy(text + len, tail, strlen(tail));
	len += strlen(tail);
	read_chunked(&opt_2017, text, len, 0, &one, &st, NULL);
	read_chunked(&opt_2017, text, len, 4093, &chunked, NULL, NULL);
	assert_int_equal(one.n, 2);
	assert_true(one.v[0].flags & CS_LINE_TRUNCATED);
	assert_true(one.v[0].raw_len <= CS_MAX_RECORD);
	assert_true(one.v[0].raw_len > CS_MAX_RECORD - 100);
	assert_non_null(strstr(one.v[0].raw, " \xe2\x80\xa6[truncated "));
	assert_string_equal(one.v[1].message, "next");
	assert_int_equal(one.v[1].number, 2);
	assert_int_equal(st.truncated, 1);
	assert_int_equal(chunked.n, 2);
	assert_string_equal(chunked.v[0].raw, one.v[0].raw);
	assert_int_equal(chunked.v[0].flags, one.v[0].flags);
	free(text);
	sink_free(&one);
	sink_free(&chunked);
}

static void
test_crlf(void **state)
{
	struct sink s = { 0 };
	struct cs_reader_stats st;

	read_text(&opt_2017,
	    "Jul 15 09:37:48 iPhoneSE symptomsd(SymptomEvaluator)[122] <Notice>: dk.bitfabrikken.appname: Foreground: true\r\n"
	    "\tcontinued\r\n"
	    "Jul 15 09:37:49 iPhoneSE CommCenter[81] <Notice>: x\r\n", &s, &st);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.v[0].message, "dk.bitfabrikken.appname: Foreground: true\n\tcontinued");
	assert_string_equal(s.v[1].message, "x");
	assert_int_equal(st.garbage_bytes, 0);
	assert_int_equal(st.sanitized, 0);
	sink_free(&s);
}

/* Every record of `text` is the same fed whole, byte by byte, and in odd chunks. */
/* Two records of the same line: its place, time, device and pid (what a skipped one has too) ... */
static void
assert_same_place(const struct got *a, const struct got *b)
{
	assert_string_equal(a->device, b->device);
	assert_int_equal(a->number, b->number);
	assert_int_equal(a->offset, b->offset);
	assert_int_equal(a->time_us, b->time_us);
	assert_int_equal(a->device_us, b->device_us);
	assert_int_equal(a->pid, b->pid);
}

/* ... and the rest of what was read of it */
static void
assert_same_text(const struct got *a, const struct got *b)
{
	assert_string_equal(a->raw, b->raw);
	assert_string_equal(a->message, b->message);
	assert_string_equal(a->process, b->process);
	assert_string_equal(a->image, b->image);
	assert_string_equal(a->level, b->level);
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->format, b->format);
}

/* Every chunking, read and indexed (the line index: each line's end, first special byte and
 * syslog head read ahead), gives the records the whole text read at once gives. */
static void
assert_chunking_invariant(const struct cs_reader_options *o, const char *text, size_t len)
{
	static const size_t chunks[] = { 1, 2, 3, 7, 64, 65, 4099, 0 };
	struct sink whole = { 0 };
	struct cs_reader_stats ws;

	read_chunked(o, text, len, 0, &whole, &ws, NULL);
	for (size_t c = 0; c < 2 * (sizeof chunks / sizeof chunks[0]); c++) {
		struct sink part = { 0 };
		struct cs_reader_stats ps;
		size_t chunk = chunks[c / 2];

		if (c % 2 == 0)
			read_chunked(o, text, len, chunk, &part, &ps, NULL);
		else
			read_indexed(o, text, len, chunk, &part, &ps);
		assert_int_equal(part.n, whole.n);
		for (size_t i = 0; i < whole.n; i++) {
			assert_same_place(&whole.v[i], &part.v[i]);
			assert_same_text(&whole.v[i], &part.v[i]);
		}
		assert_memory_equal(&ws, &ps, sizeof ws);
		sink_free(&part);
	}
	/* lines skipped unbuilt: the same by the index's lean entries as by skip_line, and each
	 * with the place, time, device and pid its built record has */
	for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
		struct sink read = { 0 }, lean = { 0 };
		struct cs_reader_stats rs, ls;

		read_skipping(o, text, len, chunks[c], false, &read, &rs);
		read_skipping(o, text, len, chunks[c], true, &lean, &ls);
		assert_int_equal(lean.n, read.n);
		assert_int_equal(read.n, whole.n);
		for (size_t i = 0; i < read.n; i++) {
			assert_same_place(&read.v[i], &lean.v[i]);
			assert_same_text(&read.v[i], &lean.v[i]);
			assert_same_place(&read.v[i], &whole.v[i]);
		}
		assert_memory_equal(&rs, &ls, sizeof rs);
		sink_free(&read);
		sink_free(&lean);
	}
	sink_free(&whole);
}

static void
test_chunked_feeding(void **state)
{
	const char text[] =
	    "Jul 15 09:37:48 iPhoneSE dasd(DuetActivitySchedulerDaemon)[138] <Notice>: Foreground app changed\\M-b\\M^@\\M^T-<private>\n\0"
	    "Nov 12 12:24:37 iPad runningboardd(RunningBoard)[31] <Notice>: Acquiring assertion attributes:[\t<RBSSubordinateProcessAttribute>\r\n"
	    "\t]>\r\n"
	    "garbage \x01\x02\xff\xc3 and \\M-b\\M-x\n"
	    "default\t16:31:49.591651+0200\trunningboardd\tAcquiring assertion targeting application<com.elsystm.elsystm>\n"
	    "\t<RBSRunningReasonAttribute| runningReason:10000>,\n"
	    "2018-02-07 18:08:29.169529-0800 AudioDeviceExample[2798:888745] Interruption began.\n"
	    "2025-03-09 14:51:04.748058+0100 localhost backboardd[67]: [com.apple.BackBoard:Button] VolumeIncrement\n"
	    "\0\0no newline at the end\r";

	assert_chunking_invariant(&opt_ref, text, sizeof text - 1);
}

/* Lines made of the bytes the reader and the line index treat apart (line ends with and without
 * "\r", a lone "\r", backslashes before "M" and before the end, vis escapes, high and control
 * bytes, NULs), at every position relative to the index's 64-byte blocks and the chunks. */
static void
test_chunked_feeding_hostile(void **state)
{
	static const char *const bits[] = {
		"\r", "\\", "\\M", "\\M-b\\M^@\\M^T", "\xff", "\xc3\xa9", "\t", "\x01", "\x7f",
		"sessionDidDisconnect", " ", "[", "]", ":", "<Notice>: ",
	};
	static const struct { const char *bytes; size_t len; } ends[] = {
		{ "\n", 1 }, { "\r\n", 2 }, { "\\\n", 2 }, { "\r\r\n", 3 }, { "\\\r\n", 3 },
		{ "\n\n", 2 }, { "\n\0", 2 },
	};
	size_t cap = 1 << 18, len = 0;
	char *text = cs_xmalloc(cap);
	uint32_t seed = 12345;

	for (int line = 0; line < 600 && len + 1024 < cap; line++) {
		seed = seed * 1103515245u + 12345u;
		if ((seed >> 16) % 5 != 0)
			len += (size_t)sprintf(text + len, "Jul 15 09:37:%02u iPhoneSE app[%u] <Notice>: ",
			    (seed >> 8) % 60, (seed >> 4) % 900);
		for (int k = (int)((seed >> 20) % 12); k > 0; k--) {
			seed = seed * 1103515245u + 12345u;
			if ((seed >> 16) % 3 == 0) {
				size_t n = (seed >> 4) % 70;
				memset(text + len, 'a' + (int)(seed % 26), n);
				len += n;
			} else {
				const char *b = bits[(seed >> 16) % (sizeof bits / sizeof bits[0])];
				memcpy(text + len, b, strlen(b));
				len += strlen(b);
			}
		}
		size_t e = (seed >> 24) % (sizeof ends / sizeof ends[0]);
		memcpy(text + len, ends[e].bytes, ends[e].len);
		len += ends[e].len;
	}
	assert_chunking_invariant(&opt_2017, text, len);
	free(text);
}

/* Skipped lines keep the times built ones have: a stamp repeated to the microsecond, a fraction
 * changing within a second, the year turning, the clock set back and forward again. */
static void
test_chunked_feeding_times(void **state)
{
	static const char *const stamps[] = {
		"Dec 31 23:59:58", "Dec 31 23:59:58", "Dec 31 23:59:59.250000", "Dec 31 23:59:59.250000",
		"Dec 31 23:59:59.500000", "Jan  1 00:00:00", "Jan  1 00:00:00", "Jan  1 00:00:01",
		"Dec 31 23:00:00", "Dec 31 23:00:00", "Jan  1 00:00:02", "Jan  1 00:00:02.000001",
		"Jan  1 00:00:02.000001", "Mar  3 10:00:00", "Mar  3 09:00:00", "Mar  3 09:00:00",
		"Mar  3 10:00:01",
	};
	char text[8192];
	size_t len = 0;

	for (int round = 0; round < 3; round++)
		for (size_t i = 0; i < sizeof stamps / sizeof stamps[0]; i++)
			len += (size_t)snprintf(text + len, sizeof text - len,
			    "%s iPhone%s proc[%zu] <Notice>: line %zu of round %d\n", stamps[i],
			    round == 1 ? "-SE" : "", 10 + i % 3, i, round);
	assert_chunking_invariant(&opt_2017, text, len);
}

static void
test_chunked_feeding_long_lines(void **state)
{
	/* lines just around the caps, with multi-byte characters across the cut */
	size_t n = CS_MAX_RECORD + 10, len = 0;
	char *text = cs_xmalloc(3 * n + 200);

	len += (size_t)sprintf(text, "Jul 15 09:37:48 iPhoneSE app[1] <Notice>: ");
	for (size_t i = 0; i < n / 2; i++) {
		memcpy(text + len, "\xc3\xa9", 2);
		len += 2;
	}
	memcpy(text + len, "\r\n", 2);
	len += 2;
	memset(text + len, 'y', CS_MAX_RECORD + 1);
	len += CS_MAX_RECORD + 1;
	memcpy(text + len, "\r\n", 2);
	len += 2;
	assert_chunking_invariant(&opt_2017, text, len);
	free(text);
}

/* ---------------------------------------------------------------- time inference */

static void
test_year_inference_from_ref_time(void **state)
{
	/* ref_time 2026-03-10: "Jul 15" cannot be July 2026 (after ref), so it is July 2025 */
	struct sink s = { 0 };
	struct cs_reader_options o = { .ref_time = INT64_C(1773144000) };	/* 2026-03-10T12:00Z */

	read_text(&o, "Jul 15 09:37:48 iPhoneSE app[1] <Notice>: a\n", &s, NULL);
	assert_string_equal(iso(s.v[0].time_us), "2025-07-15T09:37:48.000Z");
	sink_free(&s);
	read_text(&o, "Mar  1 09:37:48 iPhoneSE app[1] <Notice>: a\n", &s, NULL);
	assert_string_equal(iso(s.v[0].time_us), "2026-03-01T09:37:48.000Z");
	sink_free(&s);
}

static void
test_year_rollover(void **state)
{
	/* Dec 31 -> Jan 1 advances the year; a late Dec line after it stays in the old year */
	struct sink s = { 0 };
	struct cs_reader_options o = { .year = 2025, .utc_offset_min = -300 };

	read_text(&o,
	    "Dec 31 23:59:59 iPhoneSE app[1] <Notice>: a\n"
	    "Jan  1 00:00:01 iPhoneSE app[1] <Notice>: b\n"
	    "Dec 31 23:59:58 iPhoneSE app[1] <Notice>: late\n"
	    "Jan  1 00:00:02 iPhoneSE app[1] <Notice>: c\n", &s, NULL);
	assert_int_equal(s.n, 4);
	/* local time at UTC-5 */
	assert_string_equal(iso(s.v[0].time_us), "2026-01-01T04:59:59.000Z");
	assert_string_equal(iso(s.v[1].time_us), "2026-01-01T05:00:01.000Z");
	assert_string_equal(iso(s.v[2].time_us), "2026-01-01T04:59:58.000Z");
	assert_string_equal(iso(s.v[3].time_us), "2026-01-01T05:00:02.000Z");
	sink_free(&s);
}

static void
test_console_date_from_ref_time(void **state)
{
	/* a time-only row later in the day than ref_time belongs to the day before */
	struct sink s = { 0 };

	read_text(&opt_ref, "default\t13:00:00.000000+0000\tSpringBoard\tafter ref\n", &s, NULL);
	assert_string_equal(iso(s.v[0].time_us), "2026-11-24T13:00:00.000Z");
	sink_free(&s);
}

/* ---------------------------------------------------------------- stats and options */

static void
test_stats_format_and_udid(void **state)
{
	struct sink s = { 0 };
	struct cs_reader_stats st;
	enum cs_format fmt;
	struct cs_reader_options o = { .year = 2020, .udid = "00008030-001A2D1E3C02802E" };
	const char *text =
	    "stray text before any header\n"
	    "Nov 12 12:24:37 iPad CommCenter[83] <Notice>: a\n"
	    "Nov 12 12:24:37 iPad CommCenter[83] <Notice>: b\n"
	    "2018-02-07 18:08:29.169529-0800 AudioDeviceExample[2798:888745] c\n";

	read_chunked(&o, text, strlen(text), 0, &s, &st, &fmt);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.v[1].udid, "00008030-001A2D1E3C02802E");
	assert_int_equal(st.lines, 4);
	assert_int_equal(st.physical_lines, 4);
	assert_int_equal(st.unparsed, 1);
	assert_int_equal(st.per_format[CS_FMT_plain], 1);
	assert_int_equal(st.per_format[CS_FMT_syslog], 2);
	assert_int_equal(st.per_format[CS_FMT_xcode], 1);
	assert_int_equal(st.bytes, strlen(text));
	assert_int_equal(fmt, CS_FMT_syslog);
	sink_free(&s);
}

static void
test_empty_and_null(void **state)
{
	struct sink s = { 0 };
	struct cs_reader *r = cs_reader_new(NULL, collect, &s);

	cs_reader_feed(r, "", 0);
	cs_reader_flush(r);
	cs_reader_flush(r);
	assert_int_equal(s.n, 0);
	assert_int_equal(cs_reader_format(r), CS_FMT_unknown);
	cs_reader_free(r);
	cs_reader_free(NULL);
	r = cs_reader_new(NULL, NULL, NULL);	/* no callback: lines are only counted */
	cs_reader_feed(r, "x\n", 2);
	cs_reader_flush(r);
	assert_int_equal(cs_reader_stats(r)->lines, 1);
	cs_reader_free(r);
	sink_free(&s);
}

/* Live capture: the phone's stamps keep their spacing; they are anchored once to the host clock. */
static void
feed_at(struct cs_reader *r, int64_t recv_us, const char *text)
{
	cs_reader_set_recv_time(r, recv_us);
	cs_reader_feed(r, text, strlen(text) + 1);	/* the relay's "\n\0" */
}

static void
test_receive_time(void **state)
{
	(void)state;
	/* 1: the phone shares the host's zone and clock: the stamp is the time, even for a backlog
	 * flushed in one burst at connect (both lines arrive at once) */
	struct cs_reader_options o = { .year = 2024, .time_from_recv = true };
	struct sink sink = { 0 };
	struct cs_reader *r = cs_reader_new(&o, collect, &sink);
	const int64_t stamp1 = 1720099575000000LL;	/* 2024-07-04T13:26:15Z */
	feed_at(r, stamp1 + 95 * 1000000LL, "Jul  4 13:26:15 iPhone SpringBoard(IDS)[49] <Notice>: first\n");
	feed_at(r, stamp1 + 95 * 1000000LL, "Jul  4 13:27:00 iPhone SpringBoard(IDS)[49] <Notice>: second\n");
	cs_reader_flush(r);
	assert_int_equal(cs_reader_stats(r)->anchor_us, 0);
	cs_reader_free(r);
	assert_int_equal(sink.n, 2);
	assert_int_equal(sink.v[0].time_us, stamp1);
	assert_int_equal(sink.v[1].time_us, stamp1 + 45 * 1000000LL);
	assert_int_equal(sink.v[0].recv_us, stamp1 + 95 * 1000000LL);	/* arrival kept */
	assert_int_equal(sink.v[0].device_us, stamp1);
	sink_free(&sink);

	/* 2: the phone is three hours ahead of the zone the daemon reads it in: a zone, not a
	 * skew - the offset is rounded to the quarter hour, the seconds of skew stay */
	r = cs_reader_new(&o, collect, &sink);
	const int64_t recv = stamp1 - 3 * 3600 * 1000000LL + 7 * 1000000LL;
	feed_at(r, recv, "Jul  4 13:26:15 iPhone SpringBoard(IDS)[49] <Notice>: first\n");
	feed_at(r, recv + 1000, "Jul  4 13:26:16 iPhone SpringBoard(IDS)[49] <Notice>: second\n");
	cs_reader_flush(r);
	assert_int_equal(cs_reader_stats(r)->anchor_us, -3 * 3600 * 1000000LL);
	cs_reader_free(r);
	assert_int_equal(sink.v[0].time_us, stamp1 - 3 * 3600 * 1000000LL);
	assert_int_equal(sink.v[1].time_us - sink.v[0].time_us, 1000000);
	sink_free(&sink);

	/* 3: a clock far off (an emulator replaying an old capture, as fast as it can): the first
	 * line lands at its arrival and the rest keep the phone's spacing, not the arrival's */
	r = cs_reader_new(&o, collect, &sink);
	const int64_t now = 1795608000000000LL;
	feed_at(r, now, "Jul  4 13:26:15 iPhone SpringBoard(IDS)[49] <Notice>: first\n");
	feed_at(r, now + 10, "Jul  4 13:26:45 iPhone SpringBoard(IDS)[49] <Notice>: second\n");
	feed_at(r, now + 20, "Jul  4 13:27:15 iPhone SpringBoard(IDS)[49] <Notice>: third\n");
	cs_reader_flush(r);
	cs_reader_free(r);
	assert_int_equal(sink.v[0].time_us, now);
	assert_int_equal(sink.v[1].time_us, now + 30 * 1000000LL);
	assert_int_equal(sink.v[2].time_us, now + 60 * 1000000LL);
	sink_free(&sink);

	/* without the option the stamp decides, whatever the clock says */
	struct cs_reader_options plain = { .year = 2024 };
	r = cs_reader_new(&plain, collect, &sink);
	cs_reader_set_recv_time(r, now);
	cs_reader_feed(r, "Jul  4 13:26:15 iPhone SpringBoard(IDS)[49] <Notice>: first\n", 61);
	cs_reader_flush(r);
	cs_reader_free(r);
	assert_int_equal(sink.n, 1);
	assert_int_equal(sink.v[0].time_us, stamp1);
	sink_free(&sink);
}

/* The same bytes give the same times whether they come in one burst or one line at a time. */
static void
test_live_speed_invariance(void **state)
{
	(void)state;
	const char *lines[] = {
		"Nov 25 14:02:14 Annas-iPhone VideoCall(Foundation)[4242] <Notice>: sessionDidConnect:\n",
		"Nov 25 14:03:37 Annas-iPhone SpringBoard(FrontBoard)[62] <Notice>: locked\n",
		"Nov 25 14:03:38 Annas-iPhone runningboardd(RunningBoard)[33] <Notice>: suspended\n",
		"Nov 25 14:04:12 Annas-iPhone VideoCall(Foundation)[4242] <Notice>: sessionDidDisconnect:\n",
	};
	struct cs_reader_options o = { .year = 2026, .time_from_recv = true };
	struct sink burst = { 0 }, paced = { 0 };
	const int64_t t0 = 1795608000000000LL;
	struct cs_reader *r = cs_reader_new(&o, collect, &burst);
	for (size_t i = 0; i < 4; i++)
		feed_at(r, t0 + (int64_t)i, lines[i]);
	cs_reader_flush(r);
	cs_reader_free(r);
	r = cs_reader_new(&o, collect, &paced);
	const int64_t gaps[] = { 0, 83, 84, 118 };	/* seconds after the first, as the phone said */
	for (size_t i = 0; i < 4; i++)
		feed_at(r, t0 + gaps[i] * 1000000LL + 2000, lines[i]);
	cs_reader_flush(r);
	cs_reader_free(r);
	assert_int_equal(burst.n, 4);
	assert_int_equal(paced.n, 4);
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(burst.v[i].time_us - burst.v[0].time_us, gaps[i] * 1000000LL);
		assert_int_equal(paced.v[i].time_us - paced.v[0].time_us, gaps[i] * 1000000LL);
	}
	sink_free(&burst);
	sink_free(&paced);
}

/* Daylight-saving fall-back (02:59 -> 02:00) mid-capture: the stream's order is kept. */
static void
test_clock_jump_back(void **state)
{
	(void)state;
	struct sink s = { 0 };
	struct cs_reader_stats st;
	read_text(&opt_2017,
	    "Oct 29 02:59:50 iPhone VideoCall[42] <Notice>: before\n"
	    "Oct 29 02:00:05 iPhone VideoCall[42] <Notice>: after the fall-back\n"
	    "Oct 29 02:00:10 iPhone VideoCall[42] <Notice>: later\n"
	    "Oct 29 02:00:08 iPhone VideoCall[42] <Notice>: jitter, left alone\n",
	    &s, &st);
	assert_int_equal(s.n, 4);
	assert_int_equal(st.clock_jumps, 1);
	assert_int_equal(s.v[1].time_us, s.v[0].time_us);	/* goes on where it was */
	assert_int_equal(s.v[2].time_us - s.v[1].time_us, 5000000);
	assert_int_equal(s.v[3].time_us - s.v[2].time_us, -2000000);
	assert_string_equal(iso(s.v[1].device_us), "2017-10-29T02:00:05.000Z");	/* as written */
	sink_free(&s);

	/* Console time-only rows: one hour back is the fall-back, not a new day */
	read_text(&opt_ref,
	    "default\t02:59:50.000000+0100\tVideoCall\tbefore\n"
	    "default\t02:00:05.000000+0100\tVideoCall\tafter\n", &s, &st);
	assert_int_equal(st.clock_jumps, 1);
	assert_int_equal(s.v[1].time_us, s.v[0].time_us);
	sink_free(&s);
}

/*
 * Lines that repeat the last stamp up to its seconds take the reader's short cut (the stamp's bytes
 * compared, the time moved by the fraction: parse.c stamp_again, resolve_time): every time must be
 * what a full parse gives - a stamp that is not one after the same seconds, a year's end crossed
 * and crossed back by a late line within one second, a clock jump inside a run of equal stamps, a
 * weekday before the same stamp, different devices on equal stamps - whether the records are built
 * (cs_reader_feed) or skipped unbuilt by the scan-first path (no literal anywhere: every line that
 * can be skipped is).
 */
static void
test_repeated_stamps(void **state)
{
	(void)state;
	static const char text[] =
	    "Dec 31 23:59:59 iPhone a[1] <Notice>: x\n"
	    "Dec 31 23:59:59.250000 iPhone b[2] <Notice>: y\n"
	    "Dec 31 23:59:59: not a stamp\n"
	    "Dec 31 23:59:59. nor this\n"
	    "Jan  1 00:00:00.100000 iPhone c[3] <Notice>: z\n"
	    "Dec 31 23:59:59.990000 iPhone d[4] <Notice>: late\n"
	    "Dec 31 23:59:59.999 iPhone e[5] <Notice>: late, same second\n"
	    "Dec 31 23:59:59 Other-Phone f[6] <Notice>: another device\n"
	    "Jan  1 00:00:00.200000 iPhone g[7] <Notice>: back\n"
	    "Jan  1 00:10:00 iPhone h[8] <Notice>: ahead\n"
	    "Jan  1 00:10:00 iPhone h[9] <Notice>: ahead again\n"
	    "Jan  1 00:05:00 iPhone h[10] <Notice>: clock set back\n"
	    "Jan  1 00:05:00.5 iPhone h[11] <Notice>: same second\n"
	    "Jan  1 00:05:00 iPhone h[12] <Notice>: same second, no fraction\n"
	    "Thu Jan  1 00:05:01 iPhone i[13] <Notice>: weekday\n"
	    "Jan  1 00:05:01 iPhone i[14] <Notice>: no weekday\n"
	    "Jan  1 00:05:02 iPhone i[15] <Notice>: the next second\n";
	static const struct {
		const char *time, *device_time, *device;
		long pid;
	} want[] = {
		{ "2025-12-31T23:59:59.000Z", "2025-12-31T23:59:59.000Z", "iPhone", 1 },
		{ "2025-12-31T23:59:59.250Z", "2025-12-31T23:59:59.250Z", "iPhone", 2 },
		{ "2026-01-01T00:00:00.100Z", "2026-01-01T00:00:00.100Z", "iPhone", 3 },
		{ "2025-12-31T23:59:59.990Z", "2025-12-31T23:59:59.990Z", "iPhone", 4 },
		{ "2025-12-31T23:59:59.999Z", "2025-12-31T23:59:59.999Z", "iPhone", 5 },
		{ "2025-12-31T23:59:59.000Z", "2025-12-31T23:59:59.000Z", "Other-Phone", 6 },
		{ "2026-01-01T00:00:00.200Z", "2026-01-01T00:00:00.200Z", "iPhone", 7 },
		{ "2026-01-01T00:10:00.000Z", "2026-01-01T00:10:00.000Z", "iPhone", 8 },
		{ "2026-01-01T00:10:00.000Z", "2026-01-01T00:10:00.000Z", "iPhone", 9 },
		{ "2026-01-01T00:10:00.000Z", "2026-01-01T00:05:00.000Z", "iPhone", 10 },
		{ "2026-01-01T00:10:00.500Z", "2026-01-01T00:05:00.500Z", "iPhone", 11 },
		{ "2026-01-01T00:10:00.000Z", "2026-01-01T00:05:00.000Z", "iPhone", 12 },
		{ "2026-01-01T00:10:01.000Z", "2026-01-01T00:05:01.000Z", "iPhone", 13 },
		{ "2026-01-01T00:10:01.000Z", "2026-01-01T00:05:01.000Z", "iPhone", 14 },
		{ "2026-01-01T00:10:02.000Z", "2026-01-01T00:05:02.000Z", "iPhone", 15 },
	};
	const size_t nwant = sizeof want / sizeof want[0];
	struct cs_reader_options o = { .year = 2025 };
	struct sink built = { 0 }, skipped = { 0 };
	struct cs_reader_stats bs, ss;

	read_chunked(&o, text, sizeof text - 1, 0, &built, &bs, NULL);
	struct cs_reader *r = cs_reader_new(&o, collect, &skipped);
	cs_reader_feed_hits(r, text, sizeof text - 1, NULL, 0, true);
	cs_reader_flush(r);
	ss = *cs_reader_stats(r);
	cs_reader_free(r);
	assert_int_equal(built.n, nwant);
	assert_int_equal(skipped.n, nwant);
	assert_true(ss.scan_skipped >= 10);	/* the short cut of the skip path was taken */
	for (size_t i = 0; i < nwant; i++) {
		for (int k = 0; k < 2; k++) {
			const struct got *g = k ? &skipped.v[i] : &built.v[i];

			assert_string_equal(iso(g->time_us), want[i].time);
			assert_string_equal(iso(g->device_us), want[i].device_time);
			assert_string_equal(g->device, want[i].device);
			assert_int_equal(g->pid, want[i].pid);
		}
		assert_int_equal(skipped.v[i].number, built.v[i].number);
	}
	assert_string_equal(built.v[1].message, "y\nDec 31 23:59:59: not a stamp\nDec 31 23:59:59. nor this");
	assert_int_equal(bs.clock_jumps, 1);
	assert_int_equal(ss.clock_jumps, 1);
	sink_free(&built);
	sink_free(&skipped);

	/* the last time is the one a repeat left: from .1 (not .9) the third line is half a year
	 * (syslog) or half a day (Console, time only) and 0.4 s later, a late line of the year or
	 * the day before */
	static const struct {
		const char *text, *third;
	} edge[] = {
		{ "Jan  1 00:00:00.900000 iPhone a[1] <Notice>: x\n"
		  "Jan  1 00:00:00.100000 iPhone a[1] <Notice>: y\n"
		  "Jul  3 00:00:00.500000 iPhone a[1] <Notice>: z\n", "2025-07-03T00:00:00.500Z" },
		{ "default\t00:00:00.900000+0000\tSpringBoard\tx\n"
		  "default\t00:00:00.100000+0000\tSpringBoard\ty\n"
		  "default\t12:00:00.500000+0000\tSpringBoard\tz\n", "2025-12-31T12:00:00.500Z" },
	};
	struct cs_reader_options y26 = { .year = 2026 };
	for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++) {
		read_text(&y26, edge[i].text, &built, NULL);
		assert_int_equal(built.n, 3);
		assert_string_equal(iso(built.v[2].device_us), edge[i].third);
		sink_free(&built);
	}
}

/* Headerless lines before the first stamp take that stamp's time; never 1970. */
static void
test_held_before_first_stamp(void **state)
{
	(void)state;
	struct sink s = { 0 };
	struct cs_reader_stats st;
	read_text(&opt_2017,
	    "*** Terminating app due to uncaught exception 'NSInvalidArgumentException'\n"
	    "libc++abi: terminating due to uncaught exception of type NSException\n"
	    "Jun  8 11:06:48 iPhone VideoCall[42] <Notice>: stamped\n"
	    "a continuation, after it\n", &s, &st);
	assert_int_equal(s.n, 3);
	assert_int_equal(st.held_lines, 2);
	assert_int_equal(s.v[0].number, 1);	/* order kept */
	assert_int_equal(s.v[2].number, 3);
	for (size_t i = 0; i < 3; i++)
		assert_string_equal(iso(s.v[i].time_us), "2017-06-08T11:06:48.000Z");
	sink_free(&s);
}

/* Formats people paste: a weekday before the stamp and " : " (iOS <= 9), Xcode without a date,
 * Console rows whose TABs became spaces; --date for time-only stamps. */
static void
test_pasted_formats(void **state)
{
	(void)state;
	struct sink s = { 0 };
	struct cs_reader_stats st;
	struct cs_reader_options o = { .date_year = 2026, .date_month = 11, .date_day = 25 };
	read_text(&o,
	    "12:00 is not a stamp and 12:00:00 alone starts a sentence\n"
	    "Thu Nov 25 11:30:02 Annas-iPhone VideoCall[4242] : sessionDidConnect:\n"
	    "14:02:14.123456+0100 VideoCall[4242:123456] sessionDidDisconnect:\n"
	    "default 14:02:15.000000+0100 runningboardd [app<com.example.VideoCall>:4242] suspended\n"
	    "error   14:02:16.500000+0100   VideoCall   session:didFailWithError: Code=1022\n",
	    &s, &st);
	assert_int_equal(s.n, 5);
	assert_int_equal(s.v[0].format, CS_FMT_plain);	/* held, then timed by the next stamp */
	assert_string_equal(iso(s.v[0].time_us), "2026-11-25T11:30:02.000Z");
	struct sink first = { .v = s.v, .n = 1 };	/* drop it: the rest as numbered below */
	struct got *rest = cs_xmalloc(4 * sizeof *rest);
	memcpy(rest, &s.v[1], 4 * sizeof *rest);
	first.v = cs_xmalloc(sizeof *first.v);
	first.v[0] = s.v[0];
	free(s.v);
	sink_free(&first);
	s.v = rest;
	s.n = s.cap = 4;
	assert_int_equal(s.v[0].format, CS_FMT_syslog);
	assert_string_equal(s.v[0].process, "VideoCall");
	assert_int_equal(s.v[0].pid, 4242);
	assert_string_equal(s.v[0].message, "sessionDidConnect:");
	assert_string_equal(iso(s.v[0].time_us), "2026-11-25T11:30:02.000Z");
	assert_int_equal(s.v[1].format, CS_FMT_xcode);
	assert_string_equal(s.v[1].process, "VideoCall");
	assert_string_equal(iso(s.v[1].time_us), "2026-11-25T13:02:14.123Z");
	assert_int_equal(s.v[2].format, CS_FMT_console);
	assert_string_equal(s.v[2].process, "runningboardd");
	assert_string_equal(s.v[2].level, "default");
	assert_string_equal(s.v[2].message, "[app<com.example.VideoCall>:4242] suspended");
	assert_string_equal(s.v[3].process, "VideoCall");
	assert_string_equal(s.v[3].message, "session:didFailWithError: Code=1022");
	assert_string_equal(st.date_source, "--date");
	sink_free(&s);

	/* without --date: the file's time gives the day; --year moves it into that year */
	read_text(&opt_ref, "14:02:14.123456+0100 VideoCall[4242:123456] x\n", &s, &st);
	assert_string_equal(st.date_source, "the file's time");
	assert_string_equal(iso(s.v[0].time_us), "2026-11-24T13:02:14.123Z");
	sink_free(&s);
	struct cs_reader_options y = { .ref_time = REF_2026_11_25, .year = 2025 };
	read_text(&y, "14:02:14.123456+0100 VideoCall[4242:123456] x\n", &s, &st);
	assert_string_equal(st.date_source, "--year");
	assert_string_equal(iso(s.v[0].time_us), "2025-11-24T13:02:14.123Z");
	sink_free(&s);
}

/* A relay record ends at its NUL: it is handed out then, without waiting for the next line. */
static void
test_relay_record_ends_at_nul(void **state)
{
	(void)state;
	struct cs_reader_options o = { .year = 2024 };
	struct sink sink = { 0 };
	struct cs_reader *r = cs_reader_new(&o, collect, &sink);
	const char *first = "Jul  4 13:26:15 iPhone SpringBoard(IDS)[49] <Notice>: two\n";
	cs_reader_feed(r, first, strlen(first));
	assert_int_equal(sink.n, 0);	/* a continuation could still follow */
	cs_reader_feed(r, "\tlines\n", 7);
	assert_int_equal(sink.n, 0);
	cs_reader_feed(r, "\0", 1);	/* the relay's terminator: the record is whole */
	assert_int_equal(sink.n, 1);
	assert_string_equal(sink.v[0].message, "two\n\tlines");
	cs_reader_free(r);
	sink_free(&sink);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syslog_with_device_and_vis),
		cmocka_unit_test(test_syslog_without_device),
		cmocka_unit_test(test_syslog_microseconds_padded_day),
		cmocka_unit_test(test_syslog_padded_day_with_device),
		cmocka_unit_test(test_syslog_old_no_level_no_image),
		cmocka_unit_test(test_syslog_quote_prefix_and_indent),
		cmocka_unit_test(test_syslog_process_with_spaces),
		cmocka_unit_test(test_syslog_block_at_every_offset),
		cmocka_unit_test(test_console_type_time_process),
		cmocka_unit_test(test_console_no_type_column),
		cmocka_unit_test(test_console_library_column),
		cmocka_unit_test(test_console_custom_order),
		cmocka_unit_test(test_console_library_first_and_tab_continuation),
		cmocka_unit_test(test_console_zones),
		cmocka_unit_test(test_console_full_date_column),
		cmocka_unit_test(test_console_day_rollover),
		cmocka_unit_test(test_xcode),
		cmocka_unit_test(test_logshow),
		cmocka_unit_test(test_pymobiledevice3),
		cmocka_unit_test(test_continuation_dictionary),
		cmocka_unit_test(test_record_waits_for_next_header),
		cmocka_unit_test(test_plain_file),
		cmocka_unit_test(test_plain_after_continuation_bound),
		cmocka_unit_test(test_blank_lines_inside_and_after),
		cmocka_unit_test(test_vis_and_invalid_utf8),
		cmocka_unit_test(test_special_byte_at_every_offset),
		cmocka_unit_test(test_relay_nuls_and_garbage),
		cmocka_unit_test(test_binary_garbage),
		cmocka_unit_test(test_megabyte_line),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_chunked_feeding),
		cmocka_unit_test(test_chunked_feeding_hostile),
		cmocka_unit_test(test_chunked_feeding_times),
		cmocka_unit_test(test_chunked_feeding_long_lines),
		cmocka_unit_test(test_year_inference_from_ref_time),
		cmocka_unit_test(test_year_rollover),
		cmocka_unit_test(test_console_date_from_ref_time),
		cmocka_unit_test(test_stats_format_and_udid),
		cmocka_unit_test(test_empty_and_null),
		cmocka_unit_test(test_receive_time),
		cmocka_unit_test(test_relay_record_ends_at_nul),
		cmocka_unit_test(test_live_speed_invariance),
		cmocka_unit_test(test_clock_jump_back),
		cmocka_unit_test(test_repeated_stamps),
		cmocka_unit_test(test_held_before_first_stamp),
		cmocka_unit_test(test_pasted_formats),
	};

	return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}

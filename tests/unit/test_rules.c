/*
 * test_rules.c - unit tests for the rules engine (daemon/rules.c) and the builtin rules data
 * (daemon/rules/\*.rules).
 *
 * Every row of tests/unit/rule-samples.tsv is a real (or clearly marked) log line with the events
 * the builtin rules must give for it and nothing else; every builtin rule must be exercised by at
 * least one row, so a rule cannot be added without a sample. The rest checks the loader: errors
 * name file:line and what is wrong, later rules replace earlier ones by name, disable, filters,
 * groups, constants, --rules files from disk. Data is found through $CS_TEST_DATA, else tests/unit
 * relative to the working directory (the repository root under make).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "callsightd.h"
#include "../common/scan_search.h"

/* build/rules_builtin.c: walked to list the builtin rules for the coverage check */
struct cs_builtin_rules {
	const char *name;
	const char *text;
};
extern const struct cs_builtin_rules cs_builtin_rules[];

#define MAX_EVENTS 8

struct sample {
	int		 row;		/* line number in the tsv */
	char		*kinds;		/* "a+b" or "-" */
	char		*attrs;		/* "k=v,k=v+..." or "-" */
	char		*process, *image, *message;
	long		 pid;
	char		*source;
};

struct seen_event {
	enum cs_event_kind	kind;
	char			rule[128];
	size_t			nattrs;
	char			attrs[CS_MAX_ATTRS][2][256];
};

struct collected {
	size_t			n;
	struct seen_event	ev[MAX_EVENTS];
};

struct fixture {
	struct cs_rules	*rules;
	struct sample	*samples;
	size_t		 nsamples;
};

/* ---------------------------------------------------------------- helpers */

static void
collect(const struct cs_event *event, void *ctx)
{
	struct collected *c = ctx;
	if (c->n == MAX_EVENTS)
		return;
	struct seen_event *s = &c->ev[c->n++];
	s->kind = event->kind;
	snprintf(s->rule, sizeof s->rule, "%s", event->rule);
	s->nattrs = event->nattrs;
	for (size_t i = 0; i < event->nattrs; i++) {
		snprintf(s->attrs[i][0], sizeof s->attrs[i][0], "%s", event->attrs[i].name);
		snprintf(s->attrs[i][1], sizeof s->attrs[i][1], "%s", event->attrs[i].value);
		assert_string_equal(cs_event_attr(event, event->attrs[i].name), event->attrs[i].value);
	}
	assert_null(cs_event_attr(event, "no-such-attribute"));
}

static void
count_event(const struct cs_event *event, void *ctx)
{
	(void)event;
	(*(uint64_t *)ctx)++;
}

static struct cs_line
make_line(const char *process, const char *image, long pid, const char *message)
{
	struct cs_line line = {
		.number = 1, .format = CS_FMT_syslog, .device = "", .process = process, .image = image,
		.pid = pid, .level = "Notice", .message = message, .message_len = strlen(message),
		.raw = message, .raw_len = strlen(message), .udid = "",
	};
	return line;
}

static struct collected
match_line(struct cs_rules *rules, const char *process, const char *image, const char *message)
{
	struct collected c = { 0 };
	struct cs_line line = make_line(process, image, 100, message);
	cs_rules_match(rules, &line, collect, &c);
	return c;
}

static const char *
data_dir(void)
{
	const char *dir = getenv("CS_TEST_DATA");
	return dir && *dir ? dir : "tests/unit";
}

static char *
dash_to_empty(char *field)
{
	return strcmp(field, "-") == 0 ? field + 1 : field;
}

/* Splits one tsv row in place; 0 on success. */
static int
parse_row(char *text, int row, struct sample *s)
{
	char *f[7] = { 0 };
	size_t n = 0;
	for (char *p = text; n < 7;) {
		f[n++] = p;
		char *tab = strchr(p, '\t');
		if (tab == NULL)
			break;
		*tab = '\0';
		p = tab + 1;
	}
	if (n < 6)
		return -1;
	*s = (struct sample){ row, f[0], f[1], dash_to_empty(f[2]), dash_to_empty(f[3]), f[5], -1,
	    n > 6 ? f[6] : "" };
	s->pid = strcmp(f[4], "-") == 0 ? -1 : strtol(f[4], NULL, 10);
	return 0;
}

static void
load_samples(struct fixture *fx)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/rule-samples.tsv", data_dir());
	FILE *f = fopen(path, "r");
	if (f == NULL)
		fail_msg("cannot open %s (set CS_TEST_DATA to the tests/unit directory)", path);
	char *buf = NULL;
	size_t cap = 0;
	ssize_t len;
	int row = 0;
	while ((len = getline(&buf, &cap, f)) >= 0) {
		row++;
		while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
			buf[--len] = '\0';
		if (len == 0 || buf[0] == '#')
			continue;
		fx->samples = realloc(fx->samples, (fx->nsamples + 1) * sizeof *fx->samples);
		char *copy = strdup(buf);
		if (parse_row(copy, row, &fx->samples[fx->nsamples]) < 0)
			fail_msg("%s:%d: expected 6 or 7 TAB-separated fields", path, row);
		fx->nsamples++;
	}
	free(buf);
	fclose(f);
	assert_true(fx->nsamples > 100);
}

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	char err[512] = "";
	fx->rules = cs_rules_new();
	if (cs_rules_load_builtin(fx->rules, err, sizeof err) != 0)
		fail_msg("builtin rules: %s", err);
	load_samples(fx);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	for (size_t i = 0; i < fx->nsamples; i++)
		free(fx->samples[i].kinds);	/* the row's buffer starts with its first field */
	free(fx->samples);
	cs_rules_free(fx->rules);
	free(fx);
	return 0;
}

/* ---------------------------------------------------------------- builtin rules against samples */

/* Compares one expected event ("k=v,k=v" or "-") with what was seen, order-insensitively. */
static bool
attrs_equal(const char *expected, const struct seen_event *ev, char *why, size_t whylen)
{
	size_t nexp = 0;
	char copy[1024];
	snprintf(copy, sizeof copy, "%s", expected);
	if (strcmp(copy, "-") != 0) {
		char *save = NULL;
		for (char *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
			char *eq = strchr(kv, '=');
			if (eq == NULL) {
				snprintf(why, whylen, "bad expected attribute '%s'", kv);
				return false;
			}
			*eq = '\0';
			nexp++;
			bool found = false;
			for (size_t i = 0; i < ev->nattrs; i++)
				if (strcmp(ev->attrs[i][0], kv) == 0) {
					found = true;
					if (strcmp(ev->attrs[i][1], eq + 1) != 0) {
						snprintf(why, whylen, "%s='%s', expected '%s'", kv,
						    ev->attrs[i][1], eq + 1);
						return false;
					}
				}
			if (!found) {
				snprintf(why, whylen, "attribute %s missing", kv);
				return false;
			}
		}
	}
	/* a row need not state the sdk a rule's section gives (rows of the SDK files do state it) */
	size_t nseen = ev->nattrs;
	if (strstr(expected, "sdk=") == NULL)
		for (size_t i = 0; i < ev->nattrs; i++)
			if (strcmp(ev->attrs[i][0], "sdk") == 0)
				nseen--;
	if (nexp != nseen) {
		size_t n = (size_t)snprintf(why, whylen, "%zu attributes, expected %zu:", ev->nattrs, nexp);
		for (size_t i = 0; i < ev->nattrs && n < whylen; i++)
			n += (size_t)snprintf(why + n, whylen - n, " %s=%s", ev->attrs[i][0],
			    ev->attrs[i][1]);
		return false;
	}
	return true;
}

static int
check_sample(struct cs_rules *rules, const struct sample *s, char **covered, size_t *ncovered)
{
	struct collected c = { 0 };
	struct cs_line line = make_line(s->process, s->image, s->pid, s->message);
	cs_rules_match(rules, &line, collect, &c);

	char kinds[256], attrs[2048];
	snprintf(kinds, sizeof kinds, "%s", s->kinds);
	snprintf(attrs, sizeof attrs, "%s", s->attrs);
	char *ksave = NULL, *asave = NULL;
	size_t nexp = 0;
	int failures = 0;
	if (strcmp(kinds, "-") != 0) {
		char *attr = strtok_r(attrs, "+", &asave);
		for (char *k = strtok_r(kinds, "+", &ksave); k; k = strtok_r(NULL, "+", &ksave)) {
			char why[512] = "";
			if (nexp >= c.n) {
				print_error("row %d: expected %s, got no event for it  [%s]\n", s->row, k,
				    s->message);
				return failures + 1;
			}
			const struct seen_event *ev = &c.ev[nexp++];
			if (strcmp(cs_event_name(ev->kind), k) != 0) {
				print_error("row %d: got %s (%s), expected %s  [%s]\n", s->row,
				    cs_event_name(ev->kind), ev->rule, k, s->message);
				failures++;
			} else if (!attrs_equal(attr ? attr : "-", ev, why, sizeof why)) {
				print_error("row %d: %s (%s): %s  [%s]\n", s->row, k, ev->rule, why,
				    s->message);
				failures++;
			}
			covered[(*ncovered)++] = strdup(ev->rule);
			attr = strtok_r(NULL, "+", &asave);
		}
	}
	for (size_t i = nexp; i < c.n; i++) {
		print_error("row %d: unexpected %s from %s  [%s]\n", s->row, cs_event_name(c.ev[i].kind),
		    c.ev[i].rule, s->message);
		failures++;
	}
	return failures;
}

/* "file:line" of every rule in the builtin text, in order. */
static size_t
list_builtin_rules(char ***out)
{
	size_t n = 0;
	*out = NULL;
	for (const struct cs_builtin_rules *b = cs_builtin_rules; b->name; b++) {
		int lineno = 0;
		for (const char *p = b->text; *p;) {
			const char *nl = strchr(p, '\n');
			size_t len = nl ? (size_t)(nl - p) : strlen(p);
			lineno++;
			const char *q = p;
			while (q < p + len && (*q == ' ' || *q == '\t'))
				q++;
			if (q < p + len && *q != '#' && strncmp(q, "disable", 7) != 0 &&
			    strncmp(q, "sdk ", 4) != 0 && strncmp(q, "advice ", 7) != 0) {
				*out = realloc(*out, (n + 1) * sizeof **out);
				char where[256];
				snprintf(where, sizeof where, "%s:%d", b->name, lineno);
				(*out)[n++] = strdup(where);
			}
			p += len + (nl != NULL);
		}
	}
	return n;
}

static void
test_builtin_samples(void **state)
{
	struct fixture *fx = *state;
	char **covered = calloc(fx->nsamples * MAX_EVENTS, sizeof *covered);
	size_t ncovered = 0;
	int failures = 0;
	for (size_t i = 0; i < fx->nsamples; i++)
		failures += check_sample(fx->rules, &fx->samples[i], covered, &ncovered);

	char **rules;
	size_t nrules = list_builtin_rules(&rules);
	assert_int_equal(nrules, cs_rules_count(fx->rules));
	for (size_t i = 0; i < nrules; i++) {
		bool found = false;
		for (size_t k = 0; k < ncovered && !found; k++)
			found = strcmp(covered[k], rules[i]) == 0;
		if (!found) {
			print_error("rule at %s has no positive row in rule-samples.tsv\n", rules[i]);
			failures++;
		}
		free(rules[i]);
	}
	free(rules);
	for (size_t k = 0; k < ncovered; k++)
		free(covered[k]);
	free(covered);
	print_message("%zu sample rows, %zu builtin rules\n", fx->nsamples, nrules);
	assert_int_equal(failures, 0);
}

/* ---------------------------------------------------------------- load errors */

static void
expect_load_error(const char *text, const char *want1, const char *want2)
{
	struct cs_rules *rules = cs_rules_new();
	char err[512] = "";
	assert_int_equal(cs_rules_load_text(rules, "user.rules", text, strlen(text), err, sizeof err),
	    -1);
	if (strstr(err, want1) == NULL || (want2 && strstr(err, want2) == NULL))
		fail_msg("error '%s' lacks '%s' / '%s'", err, want1, want2 ? want2 : "");
	assert_int_equal(cs_rules_count(rules), 0);
	cs_rules_free(rules);
}

static void
test_load_errors(void **state)
{
	(void)state;
	expect_load_error("# ok\nr1 call_connected * /sessionDidConnect/\nr2 call_error * /a(b/\n",
	    "user.rules:3:", "bad pattern: missing closing parenthesis at offset 3");
	expect_load_error("r1 no_such_kind * /x/\n", "user.rules:1:", "unknown event kind 'no_such_kind'");
	expect_load_error("\n\nr1 call_error * /abc/ colour=red\n", "user.rules:3:",
	    "unknown option 'colour'");
	expect_load_error("r1 call_error * /abc\n", "user.rules:1:", "unterminated pattern");
	expect_load_error("r1 call_error * /abc/q\n", "user.rules:1:", "unknown pattern flag 'q'");
	expect_load_error("r1 call_error * abc\n", "user.rules:1:", "expected /PATTERN/");
	expect_load_error("r1 call_error\n", "user.rules:1:", "no /PATTERN/");
	expect_load_error("r1\n", "user.rules:1:", "no event kind");
	expect_load_error("r1 call_error * /(?<colour>x)/\n", "user.rules:1:", "named group 'colour'");
	expect_load_error("r1 call_error * /abc/ code\n", "user.rules:1:", "expected KEY=VALUE");
	expect_load_error("r1 call_error * /abc/ code=\"12\n", "user.rules:1:", "unterminated quoted");
	expect_load_error("r1 call_error * /abc/ literal=ab\n", "user.rules:1:", "at least 3");
	expect_load_error("r1 call_error * /abc/\nr1 call_error * /abd/\n", "user.rules:2:",
	    "already defined at user.rules:1");
	expect_load_error("disable nothing.here\n", "user.rules:1:", "no rule named 'nothing.here'");
	expect_load_error("bad/name call_error * /abc/\n", "user.rules:1:", "bad rule name");
	expect_load_error("r1 call_error a,,b /abc/\n", "user.rules:1:", "empty name");
	expect_load_error("r1 call_error * /abc/ code=1 code=2\n", "user.rules:1:", "given twice");
}

static void
test_failed_load_keeps_rules(void **state)
{
	struct fixture *fx = *state;
	size_t before = cs_rules_count(fx->rules);
	char err[512];
	const char *text = "opentok.session.connected call_error * /x/\nbroken call_error * /(/\n";
	assert_int_equal(cs_rules_load_text(fx->rules, "bad.rules", text, strlen(text), err,
	    sizeof err), -1);
	assert_non_null(strstr(err, "bad.rules:2:"));
	assert_int_equal(cs_rules_count(fx->rules), before);
	struct collected c = match_line(fx->rules, "MyApp", "", "sessionDidConnect:");
	assert_int_equal(c.n, 1);
	assert_int_equal(c.ev[0].kind, CS_EV_call_connected);
}

/* ---------------------------------------------------------------- override, disable, files */

static void
test_override_and_disable(void **state)
{
	(void)state;
	struct cs_rules *rules = cs_rules_new();
	char err[512];
	assert_int_equal(cs_rules_load_builtin(rules, err, sizeof err), 0);
	size_t n = cs_rules_count(rules);

	const char *override = "opentok.session.connected call_connected * /\\bsessionDidConnect\\b/ "
	    "state=\"from user\"\n";
	assert_int_equal(cs_rules_load_text(rules, "user.rules", override, strlen(override), err,
	    sizeof err), 0);
	assert_int_equal(cs_rules_count(rules), n);
	struct collected c = match_line(rules, "MyApp", "", "sessionDidConnect:");
	assert_int_equal(c.n, 1);
	assert_string_equal(c.ev[0].rule, "user.rules:1");
	assert_string_equal(c.ev[0].attrs[0][1], "from user");
	c = match_line(rules, "MyApp", "", "OTRN JS: sessionConnected");	/* the builtin is gone */
	assert_int_equal(c.n, 0);

	const char *disable = "# turn three off\ndisable opentok.session.connected opentok.app.hangup "
	    "opentok.app.hangup-ui\n";
	assert_int_equal(cs_rules_load_text(rules, "user.rules", disable, strlen(disable), err,
	    sizeof err), 0);
	assert_int_equal(cs_rules_count(rules), n - 3);
	assert_int_equal(match_line(rules, "MyApp", "", "sessionDidConnect:").n, 0);
	assert_int_equal(match_line(rules, "MyApp", "", "User tapped hang up").n, 0);

	/* a disabled rule can come back under its name */
	const char *again = "opentok.app.hangup call_user_hangup * /\\bhang up\\b/i\n";
	assert_int_equal(cs_rules_load_text(rules, "user.rules", again, strlen(again), err,
	    sizeof err), 0);
	assert_int_equal(cs_rules_count(rules), n - 2);
	assert_int_equal(match_line(rules, "MyApp", "", "User tapped hang up").n, 1);
	cs_rules_free(rules);
}

static const char *
seen_attr(const struct seen_event *ev, const char *name)
{
	for (size_t i = 0; i < ev->nattrs; i++)
		if (strcmp(ev->attrs[i][0], name) == 0)
			return ev->attrs[i][1];
	return NULL;
}

/* "sdk NAME [layer=N]" names the SDK of the rules after it (to the end of the file or "sdk -"),
 * "advice CAUSE TEXT" gives its advice; a later file may redefine both; errors name file:line. */
static void
test_sdk_directives(void **state)
{
	(void)state;
	struct cs_rules *rules = cs_rules_new();
	char err[512];
	assert_int_equal(cs_rules_load_builtin(rules, err, sizeof err), 0);
	/* the builtin catalogue: every SDK of issue 9, CallKit and WebRTC on lower layers */
	const char *names[] = { "opentok", "twilio-video", "twilio-voice", "chime", "livekit", "agora",
	    "daily", "stream", "zoom", "jitsi", "webrtc", "callkit" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		assert_true(cs_rules_sdk_layer(rules, names[i]) >= 0);
	assert_int_equal(cs_rules_sdk_layer(rules, "callkit"), 0);
	assert_int_equal(cs_rules_sdk_layer(rules, "webrtc"), 1);
	assert_int_equal(cs_rules_sdk_layer(rules, "twilio-video"), 2);
	assert_int_equal(cs_rules_sdk_layer(rules, "nosuch"), -1);
	assert_int_equal(cs_rules_sdk_count(rules), sizeof names / sizeof names[0]);
	/* OpenTok keeps the causes' own advice; the others speak their API */
	for (int c = 0; c < CS_CAUSE_COUNT; c++)
		assert_null(cs_rules_sdk_advice(rules, "opentok", (enum cs_cause)c));
	const char *a = cs_rules_sdk_advice(rules, "twilio-video", CS_CAUSE_network_loss);
	assert_non_null(a);
	assert_non_null(strstr(a, "roomIsReconnecting"));
	assert_non_null(strstr(cs_rules_sdk_advice(rules, "agora", CS_CAUSE_callkit_audio_mismanaged),
	    "setAudioSessionOperationRestriction"));
	/* the generic hang-up rule names no SDK; the rules around it do */
	struct collected c = match_line(rules, "MyApp", "", "User tapped hang up");
	assert_int_equal(c.n, 1);
	assert_null(seen_attr(&c.ev[0], "sdk"));
	c = match_line(rules, "MyApp", "", "sessionDidConnect:");
	assert_string_equal(seen_attr(&c.ev[0], "sdk"), "opentok");

	const char *user = "# mine\n"
	    "sdk acme-rtc\n"
	    "acme.up    call_connected     *  /\\bAcmeRTC up\\b/\n"
	    "acme.own   call_disconnected  *  /\\bAcmeRTC down\\b/  sdk=acme-legacy\n"
	    "advice network_loss \"Call AcmeRTC.rejoin() on \\\"down\\\".\"  # trailing comment\n"
	    "sdk -\n"
	    "acme.none  call_user_hangup   *  /\\bAcme bye\\b/\n"
	    "sdk twilio-video\n"
	    "advice unknown \"user words\"\n"
	    "sdk webrtc\n"	/* advice only: WebRTC keeps its layer */
	    "advice unknown \"ice words\"\n";
	assert_int_equal(cs_rules_load_text(rules, "user.rules", user, strlen(user), err, sizeof err), 0);
	c = match_line(rules, "MyApp", "", "AcmeRTC up");
	assert_int_equal(c.n, 1);
	assert_string_equal(seen_attr(&c.ev[0], "sdk"), "acme-rtc");
	c = match_line(rules, "MyApp", "", "AcmeRTC down");
	assert_string_equal(seen_attr(&c.ev[0], "sdk"), "acme-legacy");	/* the rule's own wins */
	c = match_line(rules, "MyApp", "", "Acme bye");
	assert_null(seen_attr(&c.ev[0], "sdk"));
	assert_string_equal(cs_rules_sdk_advice(rules, "acme-rtc", CS_CAUSE_network_loss),
	    "Call AcmeRTC.rejoin() on \"down\".");
	assert_null(cs_rules_sdk_advice(rules, "acme-rtc", CS_CAUSE_unknown));
	assert_string_equal(cs_rules_sdk_advice(rules, "twilio-video", CS_CAUSE_unknown), "user words");
	assert_non_null(cs_rules_sdk_advice(rules, "twilio-video", CS_CAUSE_network_loss));	/* kept */
	assert_int_equal(cs_rules_sdk_layer(rules, "twilio-video"), 2);
	assert_int_equal(cs_rules_sdk_layer(rules, "webrtc"), 1);
	assert_int_equal(cs_rules_sdk_layer(rules, "acme-rtc"), 2);
	assert_string_equal(cs_rules_sdk_advice(rules, "webrtc", CS_CAUSE_unknown), "ice words");

	/* a file is loaded whole or not at all, SDK directives included */
	static const struct { const char *text, *want; } bad[] = {
		{ "sdk\n", "bad.rules:1: sdk needs a name" },
		{ "sdk Twilio\n", "bad.rules:1: bad sdk name 'Twilio'" },
		{ "sdk x layer=7\n", "bad.rules:1: sdk option must be layer=0, 1 or 2" },
		{ "sdk x colour=red\n", "bad.rules:1: sdk option must be layer=0, 1 or 2" },
		{ "advice unknown \"x\"\n", "bad.rules:1: advice outside an sdk section" },
		{ "sdk x\nadvice no_such_cause \"x\"\n", "bad.rules:2: advice needs a cause id" },
		{ "sdk x\nadvice unknown plain words\n", "bad.rules:2: advice text must be in double quotes" },
		{ "sdk x\nadvice unknown \"open\n", "bad.rules:2: unterminated quoted value" },
		{ "sdk x\nadvice unknown \"a\" b\n", "bad.rules:2: unexpected text after the advice" },
		{ "sdk newsdk\nadvice unknown \"n\"\nbroken no_such_kind * /x/\n", "bad.rules:3: unknown event kind" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		assert_int_equal(cs_rules_load_text(rules, "bad.rules", bad[i].text, strlen(bad[i].text), err,
		    sizeof err), -1);
		if (strstr(err, bad[i].want) == NULL)
			fail_msg("'%s': got '%s', want '%s'", bad[i].text, err, bad[i].want);
	}
	assert_int_equal(cs_rules_sdk_layer(rules, "newsdk"), -1);	/* the failed file left nothing */
	assert_int_equal(cs_rules_sdk_layer(rules, "x"), -1);
	cs_rules_free(rules);
}

static void
test_load_file(void **state)
{
	(void)state;
	char path[] = "/tmp/callsight-test-rules-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *text =
	    "# my app's own phrasing\n"
	    "myapp.dropped  call_disconnected  MyApp,MyAppExt  /\\bcall dropped: (?<reason>\\w+)/  "
	    "domain=myapp  # trailing comment\n"
	    "myapp.locked   screen_locked      /^LOCKED$/ image=MyKit\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);

	struct cs_rules *rules = cs_rules_new();
	char err[512];
	assert_int_equal(cs_rules_load_file(rules, path, err, sizeof err), 0);
	assert_int_equal(cs_rules_count(rules), 2);

	struct collected c = match_line(rules, "MyApp", "", "call dropped: timeout");
	assert_int_equal(c.n, 1);
	assert_int_equal(c.ev[0].kind, CS_EV_call_disconnected);
	char where[256];
	snprintf(where, sizeof where, "%s:2", path);
	assert_string_equal(c.ev[0].rule, where);
	assert_string_equal(c.ev[0].attrs[0][0], "reason");
	assert_string_equal(c.ev[0].attrs[0][1], "timeout");
	assert_string_equal(c.ev[0].attrs[1][0], "domain");
	assert_int_equal(match_line(rules, "Other", "", "call dropped: timeout").n, 0);
	assert_int_equal(match_line(rules, "MyAppExt", "", "call dropped: x").n, 1);
	assert_int_equal(match_line(rules, "", "", "call dropped: x").n, 1);	/* unknown process */
	assert_int_equal(match_line(rules, "Any", "MyKit", "LOCKED").n, 1);
	assert_int_equal(match_line(rules, "Any", "Other", "LOCKED").n, 0);
	assert_int_equal(match_line(rules, "Any", "", "LOCKED").n, 1);	/* unknown image */
	cs_rules_free(rules);
	unlink(path);

	rules = cs_rules_new();
	assert_int_equal(cs_rules_load_file(rules, path, err, sizeof err), -1);
	assert_non_null(strstr(err, path));
	cs_rules_free(rules);
}

/* ---------------------------------------------------------------- matching details */

static void
test_groups_constants_literals(void **state)
{
	(void)state;
	struct cs_rules *rules = cs_rules_new();
	char err[512];
	const char *text =
	    "a.first  call_error  *  /Code=(?<code>\\d+)/  group=g  domain=D\n"
	    "a.second call_error  *  /Code=/  group=g\n"
	    "b.other  call_error  *  /Code=/\n"
	    "c.caseless screen_locked * /LOCK(ED)? NOW/i\n"
	    "d.alts   lock_button  *  /(?:press|push)(?:ed)? the (?<name>side|lock) button/\n"
	    "e.explicit network_up * /up\\s+again/ literal=again\n"
	    "f.private network_down * /(?<_x>net) down (?<code>\\d+)?/ code=0\n";
	assert_int_equal(cs_rules_load_text(rules, "t.rules", text, strlen(text), err, sizeof err), 0);

	struct collected c = match_line(rules, "p", "", "failed Code=42");
	assert_int_equal(c.n, 2);			/* a.first (group g) and b.other */
	assert_string_equal(c.ev[0].rule, "t.rules:1");
	assert_string_equal(c.ev[0].attrs[0][1], "42");
	assert_string_equal(c.ev[0].attrs[1][0], "domain");
	assert_string_equal(c.ev[1].rule, "t.rules:3");

	assert_int_equal(match_line(rules, "p", "", "the screen: lock now").n, 1);
	assert_int_equal(match_line(rules, "p", "", "The Screen: LOCKED NOW").n, 1);
	c = match_line(rules, "p", "", "user pushed the side button");
	assert_int_equal(c.n, 1);
	assert_string_equal(c.ev[0].attrs[0][1], "side");
	assert_int_equal(match_line(rules, "p", "", "link up   again").n, 1);
	c = match_line(rules, "p", "", "net down ");
	assert_int_equal(c.n, 1);
	assert_int_equal(c.ev[0].nattrs, 1);		/* _x is private; code falls back to 0 */
	assert_string_equal(c.ev[0].attrs[0][1], "0");
	c = match_line(rules, "p", "", "net down 7");
	assert_string_equal(c.ev[0].attrs[0][1], "7");
	assert_int_equal(match_line(rules, "p", "", "").n, 0);
	cs_rules_free(rules);
}

/* ---------------------------------------------------------------- literals and the scan (issue 12) */

/* The literals the rule named name was given, joined with '|', in their order. */
static void
literals_of(const struct cs_rules *rules, const char *name, char *out, size_t outlen)
{
	out[0] = '\0';
	for (size_t i = 0; cs_rules_name(rules, i) != NULL; i++) {
		if (strcmp(cs_rules_name(rules, i), name) != 0)
			continue;
		size_t n;
		char *const *lits = cs_rules_literals(rules, i, &n);
		for (size_t k = 0; k < n; k++)
			snprintf(out + strlen(out), outlen - strlen(out), "%s%s", k ? "|" : "", lits[k]);
		return;
	}
	fail_msg("no rule %s", name);
}

static void
test_literal_choice(void **state)
{
	(void)state;
	struct cs_rules *rules = cs_rules_new();
	char err[512], lits[512];
	const char *text =
	    /* an optional character forks the run: both spellings, not "hang" (inside "change") */
	    "a.hang     call_user_hangup  *  /\\bhang ?up\\b/i\n"
	    /* a plain alternation joins the text before it; \\b does not cut the run */
	    "b.session  call_connected    *  /(?:\\bon[sS]|\\bs)ession(?:DidConnect|Connected)\\b/\n"
	    /* rare before long: "connection" is a common word, "ice connection" is not */
	    "c.ice      network_down      *  /\\bice ?connection ?state/i\n"
	    /* given literals win over derived ones */
	    "d.given    call_error        *  /hang/ literal=hangDetected\n";
	assert_int_equal(cs_rules_load_text(rules, "t.rules", text, strlen(text), err, sizeof err), 0);
	literals_of(rules, "a.hang", lits, sizeof lits);
	assert_string_equal(lits, "hangup|hang up");
	literals_of(rules, "b.session", lits, sizeof lits);
	assert_string_equal(lits, "essiondidconnect|essionconnected");
	literals_of(rules, "c.ice", lits, sizeof lits);
	assert_string_equal(lits, "iceconnection|ice connection");
	literals_of(rules, "d.given", lits, sizeof lits);
	assert_string_equal(lits, "hangdetected");
	/* the literals are real requirements: the rules still match every spelling */
	assert_int_equal(match_line(rules, "p", "", "user did Hang Up").n, 1);
	assert_int_equal(match_line(rules, "p", "", "user did hangup").n, 1);
	assert_int_equal(match_line(rules, "p", "", "the route did change up").n, 0);
	assert_int_equal(match_line(rules, "p", "", "sessionConnected").n, 1);
	assert_int_equal(match_line(rules, "p", "", "ICEConnection State: failed").n, 1);
	cs_rules_free(rules);
}

static void
test_common_literal_fails(void **state)
{
	(void)state;
	/* the only literal is inside a common word: the rule would run on every "change" line */
	expect_load_error("weak call_user_hangup * /\\bhang\\b/\n", "user.rules:1:", "'change'");
	expect_load_error("weak call_user_hangup * /\\bhang\\b/\n", "user.rules:1:", "literal=");
	struct cs_rules *rules = cs_rules_new();
	char err[512];
	const char *ok = "weak call_user_hangup * /\\bhang\\b/ literal=hang\n";
	assert_int_equal(cs_rules_load_text(rules, "t.rules", ok, strlen(ok), err, sizeof err), 0);
	cs_rules_free(rules);
}

struct hits {
	size_t	n;
	size_t	end[16];
};

static int
on_hit(size_t end, unsigned id, void *ctx)
{
	struct hits *h = ctx;
	if (h->n < 16)
		h->end[h->n++] = end;
	return 0;
}

static void
test_scan(void **state)
{
	(void)state;
	char engine[160], err[512];
	cs_rules_scan_engine(engine, sizeof engine);
	struct cs_rules *rules = cs_rules_new();
	const char *text = "a call_connected * /sessionDidConnect/\nb call_error * /Jetsam kill/\n";
	assert_int_equal(cs_rules_load_text(rules, "t.rules", text, strlen(text), err, sizeof err), 0);
	const char *buf = "x\nmy SESSIONdidconnect!\nnothing\nJETSAM KILL\n";
	struct hits h = { 0 };
	if (strncmp(engine, "Vectorscan", 10) != 0) {
		/* without Vectorscan there is no scan: every line is a candidate */
		assert_false(cs_rules_can_scan(rules));
		assert_int_equal(cs_rules_scan(rules, buf, strlen(buf), on_hit, &h), -1);
		cs_rules_free(rules);
		skip();
	}
	assert_true(cs_rules_can_scan(rules));
	assert_int_equal(cs_rules_scan(rules, buf, strlen(buf), on_hit, &h), 0);
	assert_int_equal(h.n, 2);				/* caseless, the end of each literal */
	assert_int_equal(h.end[0], strlen("x\nmy SESSIONdidconnect"));
	assert_int_equal(h.end[1], strlen("x\nmy SESSIONdidconnect!\nnothing\nJETSAM KILL"));
	/* a reload rebuilds the database: the new rule's literal is found, a disabled one is not */
	const char *more = "disable a\nc call_error * /nothing here/\n";
	assert_int_equal(cs_rules_load_text(rules, "u.rules", more, strlen(more), err, sizeof err), 0);
	h.n = 0;
	assert_int_equal(cs_rules_scan(rules, buf, strlen(buf), on_hit, &h), 0);
	assert_int_equal(h.n, 1);
	assert_int_equal(h.end[0], strlen("x\nmy SESSIONdidconnect!\nnothing\nJETSAM KILL"));
	/* a rule with no literal runs on every line: then the scan cannot decide */
	const char *bare = "d call_error * /\\d+/\n";
	assert_int_equal(cs_rules_load_text(rules, "v.rules", bare, strlen(bare), err, sizeof err), 0);
	assert_false(cs_rules_can_scan(rules));
	assert_int_equal(cs_rules_scan(rules, buf, strlen(buf), on_hit, &h), -1);
	cs_rules_free(rules);
	/* CALLSIGHT_NO_VECTORSCAN selects the fallback when the rules are made */
	setenv("CALLSIGHT_NO_VECTORSCAN", "1", 1);
	rules = cs_rules_new();
	unsetenv("CALLSIGHT_NO_VECTORSCAN");
	assert_int_equal(cs_rules_load_text(rules, "t.rules", text, strlen(text), err, sizeof err), 0);
	assert_false(cs_rules_can_scan(rules));
	cs_rules_free(rules);
}

/* every hit of a scan, summed up (the prebuilt and the compiled database must agree on all, and on
 * the literal each names: a scan id names its rules) */
struct hit_sum {
	const struct cs_rules *rules;
	size_t		n;
	uint64_t	sum, mix;
};

static int
on_hit_sum(size_t end, unsigned id, void *ctx)
{
	struct hit_sum *h = ctx;
	h->n++;
	h->sum += end;
	const char *lit = cs_rules_scan_literal(h->rules, id);
	assert_non_null(lit);
	h->mix = (h->mix ^ end) * UINT64_C(0x100000001b3);
	for (; *lit; lit++)
		h->mix = (h->mix ^ (unsigned char)*lit) * UINT64_C(0x100000001b3);
	return 0;
}

/* The builtin rules' scan database is built with callsightd (tools/scandb.c) and loaded, not
 * compiled; any other rule set compiles its own; both find the same literals. */
static void
test_scan_prebuilt(void **state)
{
	(void)state;
	char engine[160], err[512], path[1024];
	cs_rules_scan_engine(engine, sizeof engine);
	if (strncmp(engine, "Vectorscan", 10) != 0) {
		struct cs_rules *rules = cs_rules_new();
		assert_int_equal(cs_rules_load_builtin(rules, err, sizeof err), 0);
		assert_false(cs_rules_scan_prebuilt(rules));
		cs_rules_free(rules);
		skip();
	}
	/* a text full of rule literals: the rule samples */
	snprintf(path, sizeof path, "%s/rule-samples.tsv", data_dir());
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char *text = malloc(1 << 22);
	assert_non_null(text);
	size_t len = fread(text, 1, (1 << 22) - 1, f);
	fclose(f);
	assert_true(len > 1000);

	struct cs_rules *built = cs_rules_new();
	assert_int_equal(cs_rules_load_builtin(built, err, sizeof err), 0);
	assert_true(cs_rules_scan_prebuilt(built));
	struct hit_sum a = { .rules = built };
	assert_int_equal(cs_rules_scan(built, text, len, on_hit_sum, &a), 0);
	assert_true(a.n > 100);

	/* one more rule, whose literal the text does not hold: compiled, same hits */
	struct cs_rules *compiled = cs_rules_new();
	assert_int_equal(cs_rules_load_builtin(compiled, err, sizeof err), 0);
	const char *more = "zz_extra call_error * /qqxyzzy plugh/\n";
	assert_int_equal(cs_rules_load_text(compiled, "x.rules", more, strlen(more), err,
	    sizeof err), 0);
	assert_false(cs_rules_scan_prebuilt(compiled));
	assert_true(cs_rules_can_scan(compiled));
	struct hit_sum b = { .rules = compiled };
	assert_int_equal(cs_rules_scan(compiled, text, len, on_hit_sum, &b), 0);
	assert_int_equal(a.n, b.n);
	assert_true(a.sum == b.sum && a.mix == b.mix);

	/* the builtin rules with one of them disabled: another literal list, compiled */
	const char *off = "disable net.nsurl.lost\n";
	assert_int_equal(cs_rules_load_text(built, "y.rules", off, strlen(off), err, sizeof err), 0);
	assert_false(cs_rules_scan_prebuilt(built));
	assert_true(cs_rules_can_scan(built));
	cs_rules_free(built);
	cs_rules_free(compiled);
	free(text);
}

/*
 * The scan looks for a prefix of each literal and checks the rest at the hit (scanprefix.c): it
 * must still report every occurrence of every scan literal, at the literal's end, and nothing
 * else. The text: for each builtin scan literal, a line with it in mixed case, a line with each
 * of its prefixes followed by a byte that is not its next, and a line where it overlaps itself
 * (all of it but its last byte, then it twice); the last line ends with the literal cut
 * one byte short, at the end of the buffer (ASan: the rest is not read past it). What the scan
 * reports is compared with a plain search for every literal (scan_search.h; no '\n' in any).
 */
static void
test_scan_prefix_exact(void **state)
{
	(void)state;
	char engine[160], err[512];
	cs_rules_scan_engine(engine, sizeof engine);
	if (strncmp(engine, "Vectorscan", 10) != 0)
		skip();
	struct cs_rules *rules = cs_rules_new();
	assert_int_equal(cs_rules_load_builtin(rules, err, sizeof err), 0);
	assert_true(cs_rules_scan_prebuilt(rules));
	size_t cap = 1 << 20, len = 0, nlits = 0;
	char *text = malloc(cap);
	assert_non_null(text);
	for (unsigned id = 0; cs_rules_scan_literal(rules, id) != NULL; id++, nlits++) {
		const char *lit = cs_rules_scan_literal(rules, id);
		size_t n = cs_rules_scan_literal_len(rules, id);
		assert_true(len + (n + 8) * (n + 5) < cap);
		memcpy(text + len, "a ", 2);
		for (size_t k = 0; k < n; k++)
			text[len + 2 + k] = k % 2 && lit[k] >= 'a' && lit[k] <= 'z' ? (char)(lit[k] - 32) :
			    lit[k];
		memcpy(text + len + 2 + n, " z\n", 3);
		len += n + 5;
		for (size_t cut = 1; cut < n; cut++) {
			memcpy(text + len, "b ", 2);
			memcpy(text + len + 2, lit, cut);
			text[len + 2 + cut] = lit[cut] == '~' ? '^' : '~';
			text[len + 3 + cut] = '\n';
			len += cut + 4;
		}
		/* occurrences that overlap: all but its last byte, then itself twice */
		memcpy(text + len, lit, n - 1);
		memcpy(text + len + n - 1, lit, n);
		memcpy(text + len + 2 * n - 1, lit, n);
		text[len + 3 * n - 1] = '\n';
		len += 3 * n;
	}
	assert_true(nlits > 100);
	const char *last = cs_rules_scan_literal(rules, 0);
	size_t last_len = cs_rules_scan_literal_len(rules, 0) - 1;
	memcpy(text + len, last, last_len);
	len += last_len;

	struct scan_hits got = { 0 }, want = { 0 };
	assert_int_equal(cs_rules_scan(rules, text, len, scan_hits_collect, &got), 0);
	scan_hits_sort(&got);
	scan_hits_plain(rules, text, len, &want);
	assert_true(want.n >= nlits);
	for (size_t i = 0; i < got.n && i < want.n; i++)
		if (got.v[i].end != want.v[i].end || got.v[i].id != want.v[i].id)
			fail_msg("hit %zu: the scan said '%s' ends at %zu, a search says '%s' at %zu", i,
			    cs_rules_scan_literal(rules, got.v[i].id), got.v[i].end,
			    cs_rules_scan_literal(rules, want.v[i].id), want.v[i].end);
	assert_int_equal(got.n, want.n);
	free(got.v);
	free(want.v);
	free(text);
	cs_rules_free(rules);
}

/* a scan's ids, as the replay collects them for one line */
struct line_ids {
	uint32_t	id[64];
	size_t		n;
};

static int
on_line_id(size_t end, unsigned id, void *ctx)
{
	struct line_ids *l = ctx;
	(void)end;
	if (l->n < 64)
		l->id[l->n++] = id;
	return 0;
}

/* Every rule sample (and each with a header before it, as a scanned line holds one), matched with
 * the candidates its scan ids give and with those read from the message: the same events, in the
 * same order, with the same attributes. */
static void
assert_same_events(const struct collected *a, const struct collected *b)
{
	assert_int_equal(a->n, b->n);
	for (size_t k = 0; k < a->n; k++) {
		assert_int_equal(a->ev[k].kind, b->ev[k].kind);
		assert_string_equal(a->ev[k].rule, b->ev[k].rule);
		assert_int_equal(a->ev[k].nattrs, b->ev[k].nattrs);
		for (size_t m = 0; m < a->ev[k].nattrs; m++) {
			assert_string_equal(a->ev[k].attrs[m][0], b->ev[k].attrs[m][0]);
			assert_string_equal(a->ev[k].attrs[m][1], b->ev[k].attrs[m][1]);
		}
	}
}

/* The live daemon JIT-compiles every rule at start (cs_rules_jit_all), a replay each rule at its
 * first line: every sample gives the same events both ways, and twice over (a second call to
 * cs_rules_jit_all compiles nothing again). */
static void
test_jit_all_same_events(void **state)
{
	struct fixture *fx = *state;
	char err[256];
	struct cs_rules *eager = cs_rules_new();
	assert_int_equal(cs_rules_load_builtin(eager, err, sizeof err), 0);
	cs_rules_jit_all(eager);
	cs_rules_jit_all(eager);
	size_t events = 0;
	for (size_t i = 0; i < fx->nsamples; i++) {
		const struct sample *s = &fx->samples[i];
		struct collected *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
		assert_non_null(a);
		assert_non_null(b);
		struct cs_line line = make_line(s->process, s->image, s->pid, s->message);
		cs_rules_match(fx->rules, &line, collect, a);
		cs_rules_match(eager, &line, collect, b);
		assert_same_events(a, b);
		events += a->n;
		free(a);
		free(b);
	}
	cs_rules_free(eager);
	print_message("%zu sample lines: %zu events, the same with every rule compiled at once\n",
	    fx->nsamples, events);
	assert_true(events > fx->nsamples / 2);
}

static void
test_scan_ids_same_events(void **state)
{
	struct fixture *fx = *state;
	if (!cs_rules_can_scan(fx->rules))
		skip();
	size_t compared = 0, with_ids = 0;
	for (size_t i = 0; i < fx->nsamples; i++) {
		const struct sample *s = &fx->samples[i];
		char raw[4096];
		for (int headed = 0; headed < 2; headed++) {
			snprintf(raw, sizeof raw, "%s%s", headed ? "Dec  1 10:00:00 iPhone SpringBoard[59] <Notice>: " : "",
			    s->message);
			struct line_ids ids = { .n = 0 };
			assert_int_equal(cs_rules_scan(fx->rules, raw, strlen(raw), on_line_id, &ids), 0);
			struct collected *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
			assert_non_null(a);
			assert_non_null(b);
			struct cs_line line = make_line(s->process, s->image, s->pid, s->message);
			cs_rules_match(fx->rules, &line, collect, a);
			line.scan_ids = ids.id;
			line.nscan_ids = ids.n;
			cs_rules_match(fx->rules, &line, collect, b);
			assert_same_events(a, b);
			with_ids += ids.n > 0;
			compared++;
			free(a);
			free(b);
		}
	}
	print_message("%zu sample lines, %zu with scan ids: the same events both ways\n", compared, with_ids);
	assert_true(with_ids > compared / 2);
}

/* A record still pending when the rules are reloaded (its next line has not come) is matched by
 * the new rules with its message, not with the scan ids of the old rules' literals. */
static void
test_reload_forgets_scan_ids(void **state)
{
	struct fixture *fx = *state;
	if (!cs_rules_can_scan(fx->rules))
		skip();
	char err[256];
	struct cs_rules *small = cs_rules_new();
	const char *text = "a call_error * /Jetsam kill/\nb call_connected * /sessionDidConnect/\n";
	assert_int_equal(cs_rules_load_text(small, "t.rules", text, strlen(text), err, sizeof err), 0);
	uint64_t events = 0;
	struct cs_sink sink = { .event = count_event, .ctx = &events };
	struct cs_pipeline *p = cs_pipeline_new(fx->rules, NULL, &sink);
	const char *line = "Dec  1 10:00:00 iPhone PeerCall[412] <Notice>: OTSession sessionDidConnect: yes\n";
	cs_pipeline_feed(p, line, strlen(line));	/* scanned with the builtin rules, pending */
	cs_pipeline_set_rules(p, small);
	cs_pipeline_finish(p);
	assert_int_equal(events, 1);		/* rule b, by the new rules */
	cs_pipeline_free(p);
	cs_rules_free(small);
}

static void
test_empty_rules(void **state)
{
	(void)state;
	struct cs_rules *rules = cs_rules_new();
	char err[64];
	assert_int_equal(cs_rules_count(rules), 0);
	assert_int_equal(match_line(rules, "p", "", "sessionDidConnect:").n, 0);
	assert_int_equal(cs_rules_load_text(rules, "empty", "", 0, err, sizeof err), 0);
	assert_int_equal(cs_rules_load_text(rules, "nul", "a\0b", 3, err, sizeof err), -1);
	cs_rules_free(rules);
}

/* ---------------------------------------------------------------- throughput sanity (not timed) */

/* A read that fails (a directory's fd: EISDIR) ends a replay with its reason, whether the chunks
 * are read and scanned ahead by a second thread or in turn (CALLSIGHT_SCAN_AHEAD=0). */
static void
test_replay_read_error(void **state)
{
	struct fixture *fx = *state;
	for (int ahead = 1; ahead >= 0; ahead--) {
		if (!ahead)
			setenv("CALLSIGHT_SCAN_AHEAD", "0", 1);
		int fd = open(".", O_RDONLY | O_DIRECTORY);
		assert_true(fd >= 0);
		struct cs_pipeline *p = cs_pipeline_new(fx->rules, NULL, NULL);
		char err[128] = "";
		assert_int_equal(cs_replay_fd(p, fd, err, sizeof err), -1);
		assert_string_equal(err, strerror(EISDIR));
		assert_int_equal(cs_pipeline_reader_stats(p)->lines, 0);
		cs_pipeline_free(p);
		close(fd);
		unsetenv("CALLSIGHT_SCAN_AHEAD");
	}
}

/* Replay the file at path three ways - one thread (CALLSIGHT_SCAN_AHEAD=0), scanned ahead (the
 * default) and with every chunk indexed (=index) - into got[0..2]. */
static void
replay_three_ways(struct cs_rules *rules, const char *path, struct cs_pipeline_stats got[3])
{
	static const char *const how[3] = { "0", NULL, "index" };
	for (int k = 0; k < 3; k++) {
		if (how[k])
			setenv("CALLSIGHT_SCAN_AHEAD", how[k], 1);
		int fd = open(path, O_RDONLY);
		assert_true(fd >= 0);
		struct cs_pipeline *p = cs_pipeline_new(rules, NULL, NULL);
		char err[128] = "";
		assert_int_equal(cs_replay_fd(p, fd, err, sizeof err), 0);
		got[k] = *cs_pipeline_stats(p);
		cs_pipeline_free(p);
		close(fd);
		unsetenv("CALLSIGHT_SCAN_AHEAD");
	}
}

/* A file of many chunks (the demo capture 40 times: ~1.5 MB, 256 KiB chunks), replayed scanned
 * ahead, scanned ahead with every chunk indexed, and in turn: the same lines, candidates, events
 * and flags. */
static void
test_replay_ahead_same(void **state)
{
	struct fixture *fx = *state;
	struct cs_pipeline_stats got[3];
	char path[] = "/tmp/callsight-ahead-XXXXXX";
	int out = mkstemp(path);
	assert_true(out >= 0);
	FILE *demo = fopen("tests/fakedevice/demo.syslog", "rb");
	assert_non_null(demo);
	char buf[65536];
	size_t n = fread(buf, 1, sizeof buf, demo);
	fclose(demo);
	for (int i = 0; i < 40; i++)
		assert_int_equal(write(out, buf, n), (ssize_t)n);
	close(out);
	replay_three_ways(fx->rules, path, got);
	unlink(path);
	assert_int_equal(got[0].lines, 40 * 300);
	for (int k = 1; k < 3; k++) {
		assert_int_equal(got[k].lines, got[0].lines);
		assert_int_equal(got[k].candidates, got[0].candidates);
		assert_int_equal(got[k].events, got[0].events);
		assert_int_equal(got[k].flags, got[0].flags);
	}
}

/*
 * The scan's domain is a line's message: a literal in a syslog header (a device named
 * "Tapped-Button", a process "hangupd") makes no candidate, whether the chunk was scanned whole and
 * its header hits dropped (one thread, or a chunk not indexed) or as the index's scan text (every
 * chunk indexed); the message's literals still do, at every position in a chunk.
 */
static void
test_scan_domain_is_the_message(void **state)
{
	struct fixture *fx = *state;
	char path[] = "/tmp/callsight-domain-XXXXXX";
	int out = mkstemp(path);
	assert_true(out >= 0);
	FILE *f = fdopen(out, "w");
	assert_non_null(f);
	size_t message_hits = 0;
	for (int i = 0; i < 6000; i++) {
		/* a header full of literals, a message with none; every 7th message has one */
		fprintf(f, "Nov 21 08:%02d:%02d Tapped-Button hangupd(ended)[%d] <Notice>: %s %.*s\n",
		    i / 60 % 60, i % 60, 100 + i % 50, i % 7 == 0 ? "user tapped the hang up button" :
		    "nothing to see", i % 97, "................................................................"
		    "....................................");
		message_hits += i % 7 == 0;
	}
	fclose(f);
	struct cs_pipeline_stats got[3];
	replay_three_ways(fx->rules, path, got);
	unlink(path);
	/* every header holds literals: were they candidates, all 6000 lines would be; a line the
	 * 256 KiB chunks cut is one whatever it holds (three chunks) */
	for (int k = 0; k < 3; k++) {
		assert_int_equal(got[k].lines, 6000);
		assert_int_equal(got[k].candidates, got[0].candidates);
		assert_int_equal(got[k].events, got[0].events);
	}
	if (cs_rules_can_scan(fx->rules))
		assert_in_range(got[0].candidates, message_hits, message_hits + 2);
	else
		assert_int_equal(got[0].candidates, 6000);	/* no scan: every line is one */
	assert_true(got[0].events > 0);
}

static void
test_throughput(void **state)
{
	struct fixture *fx = *state;
	const size_t rounds = 2000;
	uint64_t events = 0, lines = 0;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t r = 0; r < rounds; r++)
		for (size_t i = 0; i < fx->nsamples; i++) {
			const struct sample *s = &fx->samples[i];
			struct cs_line line = make_line(s->process, s->image, s->pid, s->message);
			cs_rules_match(fx->rules, &line, count_event, &events);
			lines++;
		}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	print_message("%llu sample lines matched in %.3f s (%.0f lines/s, event-dense sample mix)\n",
	    (unsigned long long)lines, secs, secs > 0 ? (double)lines / secs : 0.0);
	assert_true(events > 0 && events < lines * 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin_samples),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_failed_load_keeps_rules),
		cmocka_unit_test(test_override_and_disable),
		cmocka_unit_test(test_sdk_directives),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_groups_constants_literals),
		cmocka_unit_test(test_literal_choice),
		cmocka_unit_test(test_common_literal_fails),
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_scan_prebuilt),
		cmocka_unit_test(test_empty_rules),
		cmocka_unit_test(test_throughput),
		cmocka_unit_test(test_replay_read_error),
		cmocka_unit_test(test_scan_prefix_exact),
		cmocka_unit_test(test_scan_ids_same_events),
		cmocka_unit_test(test_jit_all_same_events),
		cmocka_unit_test(test_reload_forgets_scan_ids),
		cmocka_unit_test(test_replay_ahead_same),
		cmocka_unit_test(test_scan_domain_is_the_message),
	};
	return cmocka_run_group_tests_name("rules", tests, setup, teardown);
}

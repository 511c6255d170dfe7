/*
 * crashreport.c - reads the reports an iPhone writes when it kills or crashes a process, so that a
 * dropped call can be tied to the phone's own word on why the app died.
 *
 * Formats (sources in tests/crash/README.md):
 *  - iOS 15+ .ips: one JSON header line ({"bug_type":"309","app_name":…,"timestamp":…}), then a JSON
 *    body. bug_type 309 is a crash (procName, pid, bundleInfo, exception, termination, threads,
 *    usedImages), 298 a JetsamEvent (processes[], the killed ones carry "reason"; rpages × pageSize
 *    is the footprint). Other types (385 ExcUserFault, 288 stackshot, ...) are read but never
 *    explain a kill.
 *  - iOS 10-14 .ips: the same header line, then the plain-text report (bug_type 109 crash, 298 JSON).
 *  - header-less JetsamEvent JSON (one object with "processes").
 *  - plain-text .crash ("Process:  Name [pid]", "Exception Type:", "Termination Reason:", threads),
 *    as Xcode's Devices window and idevicecrashreport -e write them.
 * jansson reads the JSON. The text format has no library: it is "Key: value" lines, read here with a
 * table of keys. Hostile input never crashes: every field is bounded, every miss is a clear error.
 * Pure apart from cs_crash_report_load / cs_crash_dir_load, which read files.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "callsightd.h"

#define SEC	1000000LL
#define MAX_DIR_DEPTH	4	/* idevicecrashreport keeps sub-folders (Retired/, Assistant/) */

/* ---------------------------------------------------------------- what codes and reasons mean */

/* Termination codes (Apple, "Understanding the exception types in a crash report" and "Addressing
 * watchdog terminations", developer.apple.com/documentation/xcode). */
static const struct term_code {
	uint64_t	 code;
	enum cs_cause	 cause;
	const char	*meaning;
} term_codes[] = {
	{ 0x8badf00du, CS_CAUSE_app_killed_watchdog, "watchdog: the app did not respond in time (main thread blocked)" },
	{ 0xdead10ccu, CS_CAUSE_app_killed_watchdog, "held a file lock or SQLite database while being suspended" },
	{ 0xbaadca11u, CS_CAUSE_app_killed_watchdog, "a VoIP push was not reported to CallKit" },
	{ 0xbad22222u, CS_CAUSE_app_killed_watchdog, "a VoIP app was resumed too often" },
	{ 0xc51bad01u, CS_CAUSE_app_killed_watchdog, "used too much CPU in background" },
	{ 0xc51bad02u, CS_CAUSE_app_killed_watchdog, "used too much CPU in background" },
	{ 0xc51bad03u, CS_CAUSE_app_killed_watchdog, "used too much CPU in background" },
	{ 0xc00010ffu, CS_CAUSE_app_killed_watchdog, "killed for a thermal event" },
	{ 0xdeadfa11u, CS_CAUSE_user_hangup, "force-quit by the user" },
};

/* Namespaces whose kills are the system's (not the app's own fault): an unknown code there is still
 * a system termination. */
static const char *const system_namespaces[] = {
	"FRONTBOARD", "SPRINGBOARD", "RUNNINGBOARD", "BACKBOARD", "ASSERTIOND", "WATCHDOG",
};

/* Jetsam reasons (xnu bsd/kern/kern_memorystatus.c, memorystatus_kill_cause_name[]). */
static const struct {
	const char *reason;
	const char *meaning;
} jetsam_reasons[] = {
	{ "per-process-limit", "the app went over its own memory limit" },
	{ "vm-pageshortage", "the phone ran out of memory" },
	{ "highwater", "over its high-water mark while inactive" },
	{ "vnode-limit", "too many open files system-wide" },
	{ "fc-thrashing", "file cache thrashing" },
	{ "vm-thrashing", "memory thrashing" },
	{ "proc-thrashing", "memory thrashing" },
	{ "zone-map-exhaustion", "kernel memory exhausted" },
	{ "vm-compressor-thrashing", "memory compressor thrashing" },
	{ "vm-compressor-space-shortage", "memory compressor full" },
	{ "disk-space-shortage", "disk full" },
	{ "idle-exit", "exited while idle" },
	{ "memorystatus-available", "the phone ran out of memory" },
};

/* bug types that record a death (the others are diagnostics) */
static bool
fatal_bug_type(const char *bug_type)
{
	static const char *const fatal[] = { "309", "109", "298", "crash", "jetsam" };
	for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
		if (strcmp(bug_type, fatal[i]) == 0)
			return true;
	return false;
}

/* ---------------------------------------------------------------- small helpers */

/* snprintf into a bounded field: cutting a long reason is intended (and silences
 * -Wformat-truncation, which cannot know that) */
static void fmt(char *dst, size_t size, const char *format, ...) __attribute__((format(printf, 3, 4)));
static void
fmt(char *dst, size_t size, const char *format, ...)
{
	va_list ap;
	va_start(ap, format);
	vsnprintf(dst, size, format, ap);
	va_end(ap);
}

/* no control characters in a one-line field (they come from hostile files too) */
static void
one_line(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20)
			*s = ' ';
}

static void
copy_field(char *dst, size_t size, const char *src)
{
	cs_strlcpy(dst, src ? src : "", size);
	one_line(dst);
}

static const char *
jstr(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s ? s : "";
}

/* an integer that may be written as a number or a string ("0x8badf00d", "2343432205") */
static bool
jcode(const json_t *v, uint64_t *out)
{
	if (json_is_integer(v)) {
		*out = (uint64_t)json_integer_value(v);
		return true;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		char *end;
		errno = 0;
		unsigned long long n = strtoull(s, &end, 0);
		if (end != s && errno == 0) {
			*out = n;
			return true;
		}
	}
	return false;
}

/* "2022-07-10 01:18:15.51 +0800", "2024-03-01 08:08:18.8687 +0800", "2026-01-15T11:00:00Z" ->
 * µs since the epoch (UTC); 0 when it does not parse. A stamp with no zone is taken as UTC. */
static int64_t
parse_report_time(const char *s)
{
	int y, mo, d, h, mi, sec, n = 0;
	while (*s == ' ')
		s++;
	if (sscanf(s, "%4d-%2d-%2d%*1[ T]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) < 6 || n == 0)
		return 0;
	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return 0;
	s += n;
	int64_t frac = 0, scale = SEC;
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++) {
			if (scale > 1) {
				scale /= 10;
				frac += (*s - '0') * scale;
			}
		}
	}
	while (*s == ' ')
		s++;
	int offset_min = 0;
	if (*s == '+' || *s == '-') {
		int sign = *s == '-' ? -1 : 1, hh = 0, mm = 0;
		if (sscanf(s + 1, "%2d%*[:]%2d", &hh, &mm) < 2 && sscanf(s + 1, "%2d%2d", &hh, &mm) < 1)
			return 0;
		if (hh > 14 || mm > 59)
			return 0;
		offset_min = sign * (hh * 60 + mm);
	}
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi,
		.tm_sec = sec };
	time_t t = timegm(&tm);
	return ((int64_t)t - offset_min * 60) * SEC + frac;
}

static void
format_bytes(uint64_t bytes, char *out, size_t outlen)
{
	if (bytes >= 1024ull * 1024 * 1024)
		fmt(out, outlen, "%.2f GB", (double)bytes / (1024.0 * 1024 * 1024));
	else
		fmt(out, outlen, "%.1f MB", (double)bytes / (1024.0 * 1024));
}

static const struct term_code *
find_term_code(uint64_t code)
{
	for (size_t i = 0; i < sizeof term_codes / sizeof term_codes[0]; i++)
		if (term_codes[i].code == code)
			return &term_codes[i];
	return NULL;
}

static bool
system_namespace(const char *ns)
{
	for (size_t i = 0; i < sizeof system_namespaces / sizeof system_namespaces[0]; i++)
		if (strcasecmp(ns, system_namespaces[i]) == 0)
			return true;
	return false;
}

/* "<RBSTerminateContext| domain:10 code:0x8BADF00D explanation:…": a code inside a reason text */
static bool
code_in_text(const char *text, uint64_t *out)
{
	const char *p = strcasestr(text, "code:0x");
	if (p == NULL)
		p = strcasestr(text, "code 0x");
	if (p == NULL)
		return false;
	char *end;
	unsigned long long n = strtoull(p + 5, &end, 16);
	if (end == p + 5)
		return false;
	*out = n;
	return true;
}

/* ---------------------------------------------------------------- the verdict of a crash report */

struct crash_facts {
	char		 exception_type[48];	/* EXC_CRASH */
	char		 signal[24];		/* SIGKILL */
	char		 subtype[64];		/* MEMORY, KERN_INVALID_ADDRESS */
	char		 ns[32];		/* termination namespace */
	uint64_t	 code;
	bool		 has_code;
	char		 reasons[200];		/* termination reasons / description */
};

/* One table walk decides: a known code, a jetsam namespace, a system namespace, else a crash. */
static void
crash_verdict(struct cs_crash_report *r, struct cs_report_victim *v, const struct crash_facts *f)
{
	if (f->exception_type[0])
		fmt(r->exception, sizeof r->exception, "%s%s%s%s", f->exception_type,
		    f->signal[0] ? " (" : "", f->signal, f->signal[0] ? ")" : "");
	else if (f->signal[0])
		copy_field(r->exception, sizeof r->exception, f->signal);
	one_line(r->exception);	/* raw text went in */
	char code[24] = "";
	if (f->has_code)
		fmt(code, sizeof code, "0x%llx", (unsigned long long)f->code);
	if (f->ns[0] || f->has_code || f->reasons[0]) {
		fmt(r->termination, sizeof r->termination, "%s%s%s%s%s", f->ns, f->ns[0] && code[0] ? " " : "",
		    code, (f->ns[0] || code[0]) && f->reasons[0] ? ": " : "", f->reasons);
		one_line(r->termination);
	}

	uint64_t c = f->code;
	bool has = f->has_code || code_in_text(f->reasons, &c);
	const struct term_code *tc = has ? find_term_code(c) : NULL;
	if (tc) {
		v->cause = tc->cause;
		fmt(v->reason, sizeof v->reason, "0x%llx %s", (unsigned long long)c, tc->meaning);
	} else if (strcasecmp(f->ns, "JETSAM") == 0 || (strcmp(f->exception_type, "EXC_RESOURCE") == 0 &&
	    strcasestr(f->subtype, "MEMORY"))) {
		v->cause = CS_CAUSE_app_killed_jetsam;
		fmt(v->reason, sizeof v->reason, "jetsam%s%s", f->reasons[0] ? ": " : "", f->reasons);
	} else if (system_namespace(f->ns)) {
		v->cause = CS_CAUSE_app_killed_watchdog;
		fmt(v->reason, sizeof v->reason, "terminated by %s%s%s", f->ns, code[0] ? " " : "", code);
	} else if (r->exception[0] || f->ns[0]) {
		v->cause = CS_CAUSE_app_crash;
		fmt(v->reason, sizeof v->reason, "%s%s%s", r->exception[0] ? r->exception : f->ns,
		    f->subtype[0] ? " " : "", f->subtype);
	}
	if (!fatal_bug_type(r->bug_type))
		v->cause = CS_CAUSE_unknown;	/* a diagnostic (385 ExcUserFault, ...): not a death */
	one_line(v->reason);
}

/* ---------------------------------------------------------------- JSON bodies */

static struct cs_report_victim *
add_victim(struct cs_crash_report *r)
{
	if (r->nvictims == CS_REPORT_VICTIMS)
		return NULL;
	struct cs_report_victim *v = &r->victims[r->nvictims++];
	memset(v, 0, sizeof *v);
	v->pid = -1;
	v->cause = CS_CAUSE_unknown;
	return v;
}

static void
add_frame(struct cs_crash_report *r, const char *text)
{
	if (r->nframes < CS_REPORT_FRAMES)
		copy_field(r->frames[r->nframes++], sizeof r->frames[0], text);
}

static void
json_frames(struct cs_crash_report *r, const json_t *body)
{
	const json_t *threads = json_object_get(body, "threads");
	const json_t *images = json_object_get(body, "usedImages");
	if (!json_is_array(threads))
		return;
	const json_t *thread = NULL;
	json_t *ft = json_object_get(body, "faultingThread");
	if (json_is_integer(ft) && json_integer_value(ft) >= 0)
		thread = json_array_get(threads, (size_t)json_integer_value(ft));
	for (size_t i = 0; thread == NULL && i < json_array_size(threads); i++)
		if (json_is_true(json_object_get(json_array_get(threads, i), "triggered")))
			thread = json_array_get(threads, i);
	const json_t *frames = json_object_get(thread, "frames");
	for (size_t i = 0; i < json_array_size(frames) && r->nframes < CS_REPORT_FRAMES; i++) {
		const json_t *fr = json_array_get(frames, i);
		const char *image = "???";
		json_t *idx = json_object_get(fr, "imageIndex");
		if (json_is_integer(idx) && json_integer_value(idx) >= 0) {
			const char *name = jstr(json_array_get(images, (size_t)json_integer_value(idx)), "name");
			if (name[0])
				image = name;
		}
		char text[160];
		const char *sym = jstr(fr, "symbol");
		if (sym[0])
			fmt(text, sizeof text, "%zu %s %s + %lld", i, image, sym,
			    (long long)json_integer_value(json_object_get(fr, "symbolLocation")));
		else
			fmt(text, sizeof text, "%zu %s 0x%llx", i, image,
			    (unsigned long long)json_integer_value(json_object_get(fr, "imageOffset")));
		add_frame(r, text);
	}
}

/* bug_type 309 (and any body shaped like it) */
static void
json_crash(struct cs_crash_report *r, const json_t *header, const json_t *body)
{
	struct cs_report_victim *v = add_victim(r);
	const char *name = jstr(body, "procName");
	copy_field(v->process, sizeof v->process, name[0] ? name : jstr(header, "app_name")[0] ?
	    jstr(header, "app_name") : jstr(header, "name"));
	const char *bundle = jstr(json_object_get(body, "bundleInfo"), "CFBundleIdentifier");
	copy_field(v->bundle, sizeof v->bundle, bundle[0] ? bundle : jstr(header, "bundleID"));
	json_t *pid = json_object_get(body, "pid");
	v->pid = json_is_integer(pid) ? (long)json_integer_value(pid) : -1;
	int64_t t = parse_report_time(jstr(body, "captureTime"));
	if (t)
		r->time_us = t;
	const json_t *os = json_object_get(body, "osVersion");
	if (r->os_version[0] == '\0' && json_is_object(os))
	{
		fmt(r->os_version, sizeof r->os_version, "%s (%s)", jstr(os, "train"), jstr(os, "build"));
		one_line(r->os_version);
	}

	struct crash_facts f = { 0 };
	const json_t *exc = json_object_get(body, "exception");
	copy_field(f.exception_type, sizeof f.exception_type, jstr(exc, "type"));
	copy_field(f.signal, sizeof f.signal, jstr(exc, "signal"));
	copy_field(f.subtype, sizeof f.subtype, jstr(exc, "subtype"));
	const json_t *term = json_object_get(body, "termination");
	copy_field(f.ns, sizeof f.ns, jstr(term, "namespace"));
	f.has_code = jcode(json_object_get(term, "code"), &f.code);
	const json_t *reasons = json_object_get(term, "reasons");
	if (json_is_array(reasons))
		copy_field(f.reasons, sizeof f.reasons, json_string_value(json_array_get(reasons, 0)));
	else if (json_is_string(reasons))
		copy_field(f.reasons, sizeof f.reasons, json_string_value(reasons));
	if (f.reasons[0] == '\0')
		copy_field(f.reasons, sizeof f.reasons, jstr(term, "indicator"));
	crash_verdict(r, v, &f);
	json_frames(r, body);
}

/* bug_type 298: every process jetsam killed (the ones that carry a "reason") */
static void
json_jetsam(struct cs_crash_report *r, const json_t *body)
{
	int64_t t = parse_report_time(jstr(body, "date"));
	if (t)
		r->time_us = t;
	copy_field(r->largest_process, sizeof r->largest_process, jstr(body, "largestProcess"));
	if (r->os_version[0] == '\0')
		copy_field(r->os_version, sizeof r->os_version, jstr(body, "build"));
	json_int_t page = json_integer_value(json_object_get(json_object_get(body, "memoryStatus"), "pageSize"));
	if (page <= 0)	/* iOS <= 14 kept it at the top */
		page = json_integer_value(json_object_get(body, "pageSize"));
	const json_t *procs = json_object_get(body, "processes");
	for (size_t i = 0; i < json_array_size(procs); i++) {
		const json_t *p = json_array_get(procs, i);
		const char *reason = jstr(p, "reason");
		if (reason[0] == '\0')
			continue;
		struct cs_report_victim *v = add_victim(r);
		if (v == NULL)
			break;
		copy_field(v->process, sizeof v->process, jstr(p, "name"));
		json_t *pid = json_object_get(p, "pid");
		v->pid = json_is_integer(pid) ? (long)json_integer_value(pid) : -1;
		json_int_t rpages = json_integer_value(json_object_get(p, "rpages"));
		if (rpages > 0 && page > 0 && rpages < INT64_C(1) << 40)
			v->footprint = (uint64_t)rpages * (uint64_t)page;
		v->cause = CS_CAUSE_app_killed_jetsam;
		const char *meaning = "";
		for (size_t k = 0; k < sizeof jetsam_reasons / sizeof jetsam_reasons[0]; k++)
			if (strcmp(reason, jetsam_reasons[k].reason) == 0)
				meaning = jetsam_reasons[k].meaning;
		char fp[32] = "";
		if (v->footprint)
			format_bytes(v->footprint, fp, sizeof fp);
		fmt(v->reason, sizeof v->reason, "jetsam %s%s%s%s%s", reason, meaning[0] ? " (" : "",
		    meaning, meaning[0] ? ")" : "", "");
		if (fp[0]) {
			size_t n = strlen(v->reason);
			fmt(v->reason + n, sizeof v->reason - n, ", footprint %s", fp);
		}
		one_line(v->reason);
	}
	if (!json_is_array(procs))
		fmt(r->exception, sizeof r->exception, "JetsamEvent without a process list");
}

/* ---------------------------------------------------------------- plain text */

enum text_key { TK_PROCESS, TK_IDENTIFIER, TK_DATE, TK_OS, TK_EXCEPTION, TK_SUBTYPE, TK_TERM_REASON,
	TK_TERM_DESC, TK_TRIGGERED, TK_INCIDENT };
static const struct {
	const char	*key;
	enum text_key	 id;
} text_keys[] = {
	{ "Process:", TK_PROCESS },
	{ "Identifier:", TK_IDENTIFIER },
	{ "Date/Time:", TK_DATE },
	{ "OS Version:", TK_OS },
	{ "Exception Type:", TK_EXCEPTION },
	{ "Exception Subtype:", TK_SUBTYPE },
	{ "Termination Reason:", TK_TERM_REASON },
	{ "Termination Description:", TK_TERM_DESC },
	{ "Triggered by Thread:", TK_TRIGGERED },
	{ "Crashed Thread:", TK_TRIGGERED },
	{ "Incident Identifier:", TK_INCIDENT },
};

/* "Namespace SPRINGBOARD, Code 0x8badf00d", "FRONTBOARD 2343432205 <RBSTerminateContext| …>",
 * "SIGNAL 5 Trace/BPT trap: 5", "Namespace RUNNINGBOARD, Code 0xdead10cc" */
static void
text_termination(const char *v, struct crash_facts *f)
{
	if (strncasecmp(v, "Namespace ", 10) == 0)
		v += 10;
	size_t n = 0;
	while (v[n] && v[n] != ',' && v[n] != ' ' && n + 1 < sizeof f->ns)
		n++;
	memcpy(f->ns, v, n);
	f->ns[n] = '\0';
	v += n;
	while (*v == ',' || *v == ' ')
		v++;
	if (strncasecmp(v, "Code ", 5) == 0)
		v += 5;
	char *end;
	errno = 0;
	unsigned long long code = strtoull(v, &end, 0);
	if (end != v && errno == 0) {
		f->code = code;
		f->has_code = true;
		v = end;
	}
	while (*v == ',' || *v == ' ')
		v++;
	copy_field(f->reasons, sizeof f->reasons, v);
}

static int
parse_text(struct cs_crash_report *r, const char *text, size_t len, char *err, size_t errlen)
{
	struct crash_facts f = { 0 };
	char process[64] = "", bundle[128] = "";
	long pid = -1;
	long triggered = -1;
	bool known = false, have_incident = false;
	char crashed_head[32] = "";
	const char *p = text, *end = text + len;
	bool in_frames = false;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char line[512];
		size_t m = n < sizeof line - 1 ? n : sizeof line - 1;
		memcpy(line, p, m);
		line[m] = '\0';
		if (m && line[m - 1] == '\r')
			line[--m] = '\0';
		p = nl ? nl + 1 : end;

		if (in_frames) {
			int idx, consumed = 0;
			char image[96];
			unsigned long long addr;
			if (m == 0 || sscanf(line, "%d %95s 0x%llx %n", &idx, image, &addr, &consumed) < 3) {
				in_frames = false;
				continue;
			}
			char frame[160];
			fmt(frame, sizeof frame, "%d %s %s", idx, image, consumed ? line + consumed : "");
			add_frame(r, frame);
			continue;
		}
		if (crashed_head[0] && strncmp(line, crashed_head, strlen(crashed_head)) == 0 &&
		    strstr(line, "Crashed:") && r->nframes == 0) {
			in_frames = true;
			continue;
		}
		if (crashed_head[0] == '\0' && strncmp(line, "Thread ", 7) == 0 && strstr(line, " Crashed:")) {
			in_frames = r->nframes == 0;	/* no "Triggered by Thread:" line: the one marked */
			continue;
		}
		for (size_t k = 0; k < sizeof text_keys / sizeof text_keys[0]; k++) {
			size_t kl = strlen(text_keys[k].key);
			if (strncmp(line, text_keys[k].key, kl) != 0)
				continue;
			const char *v = line + kl;
			while (*v == ' ' || *v == '\t')
				v++;
			known = true;
			switch (text_keys[k].id) {
			case TK_PROCESS: {
				const char *br = strrchr(v, '[');
				size_t nl2 = br ? (size_t)(br - v) : strlen(v);
				while (nl2 && v[nl2 - 1] == ' ')
					nl2--;
				if (nl2 >= sizeof process)
					nl2 = sizeof process - 1;
				memcpy(process, v, nl2);
				process[nl2] = '\0';
				if (br)
					pid = strtol(br + 1, NULL, 10);
				break;
			}
			case TK_IDENTIFIER: copy_field(bundle, sizeof bundle, v); break;
			case TK_DATE: r->time_us = parse_report_time(v); break;
			case TK_OS: copy_field(r->os_version, sizeof r->os_version, v); break;
			case TK_EXCEPTION: {
				/* "EXC_CRASH (SIGKILL)" */
				const char *paren = strchr(v, '(');
				size_t tl = paren ? (size_t)(paren - v) : strlen(v);
				while (tl && v[tl - 1] == ' ')
					tl--;
				if (tl >= sizeof f.exception_type)
					tl = sizeof f.exception_type - 1;
				memcpy(f.exception_type, v, tl);
				f.exception_type[tl] = '\0';
				if (paren) {
					copy_field(f.signal, sizeof f.signal, paren + 1);
					char *close = strchr(f.signal, ')');
					if (close)
						*close = '\0';
				}
				break;
			}
			case TK_SUBTYPE: copy_field(f.subtype, sizeof f.subtype, v); break;
			case TK_TERM_REASON: text_termination(v, &f); break;
			case TK_TERM_DESC:
				if (f.reasons[0] == '\0')
					copy_field(f.reasons, sizeof f.reasons, v);
				break;
			case TK_TRIGGERED:
				triggered = strtol(v, NULL, 10);
				fmt(crashed_head, sizeof crashed_head, "Thread %ld ", triggered);
				break;
			case TK_INCIDENT: have_incident = true; break;
			}
			break;
		}
	}
	if (!known || (process[0] == '\0' && !have_incident) || (f.exception_type[0] == '\0' && f.ns[0] == '\0')) {
		cs_set_error(err, errlen, "not a crash report: no %s line", process[0] == '\0' ? "'Process:'" :
		    "'Exception Type:' or 'Termination Reason:'");
		return -1;
	}
	if (r->bug_type[0] == '\0')
		cs_strlcpy(r->bug_type, "crash", sizeof r->bug_type);
	struct cs_report_victim *v = add_victim(r);
	copy_field(v->process, sizeof v->process, process);
	copy_field(v->bundle, sizeof v->bundle, bundle);
	v->pid = pid;
	crash_verdict(r, v, &f);
	return 0;
}

/* ---------------------------------------------------------------- entry points */

static const char *
base_name(const char *path)
{
	const char *b = strrchr(path, '/');
	return b ? b + 1 : path;
}

static int
parse_json_body(struct cs_crash_report *r, const json_t *header, const char *body, size_t len,
    char *err, size_t errlen)
{
	json_error_t je;
	json_t *obj = json_loadb(body, len, JSON_DECODE_ANY, &je);
	if (!json_is_object(obj)) {
		cs_set_error(err, errlen, "the report body is not valid JSON (line %d, column %d: %s)",
		    je.line + (header ? 1 : 0), je.column, obj ? "not an object" : je.text);
		json_decref(obj);
		return -1;
	}
	if (r->bug_type[0] == '\0')
		copy_field(r->bug_type, sizeof r->bug_type, jstr(obj, "bug_type"));
	int rc = 0;
	if (strcmp(r->bug_type, "298") == 0 || (r->bug_type[0] == '\0' && json_object_get(obj, "processes"))) {
		if (r->bug_type[0] == '\0')
			cs_strlcpy(r->bug_type, "298", sizeof r->bug_type);
		json_jetsam(r, obj);
	} else if (json_object_get(obj, "procName") || json_object_get(obj, "exception") ||
	    json_object_get(obj, "termination")) {
		json_crash(r, header, obj);
	} else if (header == NULL) {
		cs_set_error(err, errlen, "JSON, but neither a crash (procName, exception) nor a JetsamEvent "
		    "(processes)");
		rc = -1;
	}
	json_decref(obj);
	return rc;
}

int
cs_crash_report_parse(const char *text, size_t len, const char *file, struct cs_crash_report *out,
    char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	copy_field(out->file, sizeof out->file, file ? base_name(file) : "");
	if (len == 0) {
		cs_set_error(err, errlen, "empty file");
		return -1;
	}
	if (len > CS_REPORT_MAX_BYTES) {
		cs_set_error(err, errlen, "%zu bytes: too big for a report", len);
		return -1;
	}
	if (memchr(text, '\0', len)) {
		cs_set_error(err, errlen, "binary data (NUL bytes): not a text report");
		return -1;
	}
	size_t skip = 0;
	while (skip < len && (text[skip] == ' ' || text[skip] == '\n' || text[skip] == '\r' ||
	    text[skip] == '\t'))
		skip++;
	if (len - skip >= 3 && memcmp(text + skip, "\xef\xbb\xbf", 3) == 0)
		skip += 3;
	text += skip;
	len -= skip;
	if (len == 0 || text[0] != '{') {
		out->format = "text";
		return parse_text(out, text, len, err, errlen);
	}
	/* a whole-file JSON object (header-less JetsamEvent), or a header line then a body */
	json_error_t je;
	json_t *whole = json_loadb(text, len, JSON_DISABLE_EOF_CHECK, &je);
	size_t used = whole ? (size_t)je.position : 0;
	if (whole == NULL || !json_is_object(whole)) {
		cs_set_error(err, errlen, "the first line is not valid JSON (line %d, column %d: %s)", je.line,
		    je.column, whole ? "not an object" : je.text);
		json_decref(whole);
		return -1;
	}
	const char *rest = text + used;
	size_t rest_len = len - used;
	while (rest_len && (*rest == ' ' || *rest == '\n' || *rest == '\r' || *rest == '\t')) {
		rest++;
		rest_len--;
	}
	int rc = 0;
	if (rest_len == 0) {	/* one object: a header alone, or an old header-less report */
		out->format = "json";
		if (json_object_get(whole, "processes") || json_object_get(whole, "procName")) {
			char *body = json_dumps(whole, JSON_COMPACT);
			rc = parse_json_body(out, NULL, body, strlen(body), err, errlen);
			free(body);
		} else if (json_object_get(whole, "bug_type")) {
			cs_set_error(err, errlen, "an .ips header (bug_type %s) with no report body after it",
			    jstr(whole, "bug_type"));
			rc = -1;
		} else {
			cs_set_error(err, errlen, "JSON, but neither a crash (procName, exception) nor a JetsamEvent "
			    "(processes)");
			rc = -1;
		}
		json_decref(whole);
		return rc;
	}
	out->format = "ips";
	const json_t *h = whole;
	copy_field(out->bug_type, sizeof out->bug_type, jstr(h, "bug_type"));
	out->time_us = parse_report_time(jstr(h, "timestamp"));
	copy_field(out->os_version, sizeof out->os_version, jstr(h, "os_version"));
	if (rest[0] == '{') {
		rc = parse_json_body(out, h, rest, rest_len, err, errlen);
	} else {	/* iOS 10-14: the header, then the text report */
		rc = parse_text(out, rest, rest_len, err, errlen);
		if (rc == 0 && strcmp(out->bug_type, "crash") == 0)
			cs_strlcpy(out->bug_type, "109", sizeof out->bug_type);
	}
	if (rc == 0 && out->nvictims == 0 && strcmp(out->bug_type, "298") != 0 &&
	    (jstr(h, "app_name")[0] || jstr(h, "name")[0])) {
		/* a diagnostic whose body says nothing we read: the header still names the process */
		struct cs_report_victim *v = add_victim(out);
		copy_field(v->process, sizeof v->process, jstr(h, "app_name")[0] ? jstr(h, "app_name") :
		    jstr(h, "name"));
		copy_field(v->bundle, sizeof v->bundle, jstr(h, "bundleID"));
	}
	json_decref(whole);
	return rc;
}

int
cs_crash_report_load(const char *path, struct cs_crash_report *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		cs_set_error(err, errlen, "cannot open: %s", strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		cs_set_error(err, errlen, "not a regular file");
		close(fd);
		return -1;
	}
	if (st.st_size > CS_REPORT_MAX_BYTES) {
		cs_set_error(err, errlen, "%lld bytes: too big for a report", (long long)st.st_size);
		close(fd);
		return -1;
	}
	size_t size = (size_t)st.st_size;
	char *buf = cs_xmalloc(size + 1);
	size_t got = 0;
	while (got < size) {
		ssize_t n = read(fd, buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	int rc = cs_crash_report_parse(buf, got, path, out, err, errlen);
	free(buf);
	return rc;
}

/* mediaserverd and jetsam cut process names (16 / 32 characters): a long enough prefix is the name */
static bool
same_process(const char *a, const char *b)
{
	if (a[0] == '\0' || b[0] == '\0')
		return false;
	if (strcasecmp(a, b) == 0)
		return true;
	size_t la = strlen(a), lb = strlen(b), n = la < lb ? la : lb;
	return n >= 15 && strncasecmp(a, b, n) == 0;
}

const struct cs_report_victim *
cs_crash_report_victim(const struct cs_crash_report *r, const char *bundle, const char *process, long pid)
{
	bundle = bundle ? bundle : "";
	process = process ? process : "";
	for (size_t i = 0; i < r->nvictims; i++) {
		const struct cs_report_victim *v = &r->victims[i];
		bool named = (bundle[0] && v->bundle[0] && strcasecmp(bundle, v->bundle) == 0) ||
		    same_process(process, v->process) || (bundle[0] && same_process(bundle, v->process));
		if (pid > 0 && v->pid > 0) {
			if (pid == v->pid && (named || (process[0] == '\0' && bundle[0] == '\0')))
				return v;
			continue;	/* another instance of the app, or pid reuse */
		}
		if (named)
			return v;
	}
	return NULL;
}

bool
cs_crash_report_name(const char *name)
{
	static const char *const suffixes[] = { ".ips", ".crash", ".json", ".ips.synced", ".crash.synced" };
	size_t n = strlen(name);
	if (name[0] == '.')
		return false;
	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		size_t s = strlen(suffixes[i]);
		if (n > s && strcasecmp(name + n - s, suffixes[i]) == 0)
			return true;
	}
	return false;
}

static int
load_dir(const char *dir, int depth, cs_crash_report_cb cb, cs_crash_bad_cb bad, void *ctx, char *err,
    size_t errlen, struct cs_crash_report *scratch)
{
	DIR *d = opendir(dir);
	if (d == NULL) {
		cs_set_error(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	/* sorted, so that the order (and the output) does not depend on the file system */
	struct dirent **list = NULL;
	int n = scandir(dir, &list, NULL, alphasort);
	closedir(d);
	if (n < 0) {
		cs_set_error(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const char *name = list[i]->d_name;
		char path[4096];
		if (name[0] == '.' || snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
			continue;
		struct stat st;
		if (lstat(path, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (depth < MAX_DIR_DEPTH)
				load_dir(path, depth + 1, cb, bad, ctx, NULL, 0, scratch);
			continue;
		}
		if (!S_ISREG(st.st_mode) || !cs_crash_report_name(name))
			continue;
		char why[256];
		if (cs_crash_report_load(path, scratch, why, sizeof why) == 0) {
			if (cb)
				cb(scratch, path, ctx);
		} else if (bad) {
			bad(path, why, ctx);
		}
	}
	for (int i = 0; i < n; i++)
		free(list[i]);
	free(list);
	return 0;
}

int
cs_crash_dir_load(const char *dir, cs_crash_report_cb cb, cs_crash_bad_cb bad, void *ctx, char *err,
    size_t errlen)
{
	struct cs_crash_report *scratch = cs_xmalloc(sizeof *scratch);
	int rc = load_dir(dir, 0, cb, bad, ctx, err, errlen, scratch);
	free(scratch);
	return rc;
}

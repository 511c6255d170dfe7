/*
 * fuzz_crashreport.c - libFuzzer harness for the crash/jetsam report parser (daemon/crashreport.c),
 * which reads files copied off a phone or handed in with --crash-dir: untrusted bytes. Every input
 * either parses into a report whose promises hold (NUL-terminated one-line fields, bounded counts,
 * a known cause per victim) or fails with an error message; it never crashes or hangs. Each victim
 * is also matched back, as the timeline does. Seeds: tests/fuzz/corpus/crashreport (the fixtures).
 *
 *   clang -fsanitize=fuzzer,address,undefined -Iinclude -Idaemon tests/fuzz/fuzz_crashreport.c \
 *       daemon/crashreport.c daemon/util.c daemon/names.c $(pkg-config --cflags --libs jansson)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "callsightd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(bool ok)
{
	if (!ok)
		abort();
}

/* a field is NUL-terminated inside its buffer and holds no control characters */
static void
check_field(const char *s, size_t size)
{
	size_t n = strnlen(s, size);
	check(n < size);
	for (size_t i = 0; i < n; i++)
		check((unsigned char)s[i] >= 0x20);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cs_crash_report r;
	char err[256] = "";
	int rc = cs_crash_report_parse((const char *)data, size, "fuzz.ips", &r, err, sizeof err);
	if (rc != 0) {
		check(rc == -1 && err[0] != '\0' && strnlen(err, sizeof err) < sizeof err);
		return 0;
	}
	check(r.format != NULL);
	check(r.nvictims <= CS_REPORT_VICTIMS && r.nframes <= CS_REPORT_FRAMES);
	check_field(r.file, sizeof r.file);
	check_field(r.bug_type, sizeof r.bug_type);
	check_field(r.exception, sizeof r.exception);
	check_field(r.termination, sizeof r.termination);
	check_field(r.os_version, sizeof r.os_version);
	check_field(r.largest_process, sizeof r.largest_process);
	for (size_t i = 0; i < r.nframes; i++)
		check_field(r.frames[i], sizeof r.frames[i]);
	for (size_t i = 0; i < r.nvictims; i++) {
		const struct cs_report_victim *v = &r.victims[i];
		check_field(v->process, sizeof v->process);
		check_field(v->bundle, sizeof v->bundle);
		check_field(v->reason, sizeof v->reason);
		check((unsigned)v->cause < CS_CAUSE_COUNT);
		const struct cs_report_victim *m = cs_crash_report_victim(&r, v->bundle, v->process, v->pid);
		check(m == NULL || (m >= r.victims && m < r.victims + r.nvictims));
	}
	return 0;
}

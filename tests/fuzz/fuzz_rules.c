/*
 * fuzz_rules.c - libFuzzer harness for the rules loader (daemon/rules.c): arbitrary bytes go to
 * cs_rules_load_text, then a few fixed log lines are matched, so the parser, the literal
 * derivation, the index and the matcher all see hostile input (users write rules files by hand).
 * Build: clang -fsanitize=fuzzer,address,undefined ... ; seed corpus: tests/fuzz/corpus/rules/.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "callsightd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fixed_lines[][2] = {
	{ "MyApp", "session:didFailWithError: Error Domain=OTSessionErrorDomain Code=1022" },
	{ "runningboardd", "[app<com.x.y(7E2299AE-BA30-4489-8C7F-E5EEEDBE3CC4)>:7642] Suspending task." },
	{ "mediaserverd", "-CMSessionMgr- cmsSetIsActive: 'sid:0x24082, Wridz(5560), 'prim'' with "
	    "[MediaPlayback/Default] going inactive" },
	{ "", "\xe2\x80\x94 unicode \xf0\x9f\x92\x99 line with sessionDidConnect" },
	{ "SpringBoard", "" },
};

static void
ignore_event(const struct cs_event *event, void *ctx)
{
	(void)ctx;
	for (size_t i = 0; i < event->nattrs; i++)
		(void)strlen(event->attrs[i].value);
	(void)cs_event_attr(event, "pid");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs_rules *rules = cs_rules_new();
	char err[256];
	if (cs_rules_load_text(rules, "fuzz", (const char *)data, size, err, sizeof err) == 0) {
		for (size_t i = 0; i < sizeof fixed_lines / sizeof fixed_lines[0]; i++) {
			const char *msg = fixed_lines[i][1];
			struct cs_line line = { .process = fixed_lines[i][0], .image = "", .device = "",
			    .level = "", .udid = "", .pid = 1, .message = msg,
			    .message_len = strlen(msg), .raw = msg, .raw_len = strlen(msg) };
			cs_rules_match(rules, &line, ignore_event, NULL);
		}
	} else if (memchr(err, '\0', sizeof err) == NULL) {
		__builtin_trap();		/* the error message must be terminated */
	}
	cs_rules_free(rules);
	return 0;
}

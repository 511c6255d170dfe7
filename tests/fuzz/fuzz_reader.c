/*
 * fuzz_reader.c - libFuzzer harness for the reader (daemon/parse.c), the part of callsightd that
 * reads untrusted bytes. The first two input bytes choose up to three chunk splits and the reader
 * options, so the fuzzer also explores records split at every byte; the rest is fed and flushed.
 * Every line handed out is checked against the promises of struct cs_line: NUL-terminated valid
 * UTF-8 strings, lengths that match, bounded records, stats that add up.
 *
 *   clang -fsanitize=fuzzer,address,undefined -Iinclude -Idaemon tests/fuzz/fuzz_reader.c \
 *       daemon/parse.c daemon/util.c daemon/names.c -o build/fuzz_reader
 *   build/fuzz_reader -max_total_time=60 tests/fuzz/corpus/reader
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "callsightd.h"
#include "../common/utf8_valid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	uint64_t	lines;
	uint64_t	last_number;
};

static void
check(bool ok)
{
	if (!ok)
		abort();
}

/* A string field: present, valid UTF-8, no control bytes but TAB and newline. */
static void
check_string(const char *s, size_t max)
{
	size_t n;

	check(s != NULL);
	n = strlen(s);
	check(n <= max);
	check(valid_utf8(s, n));
	for (size_t i = 0; i < n; i++)
		check((unsigned char)s[i] >= 0x20 || s[i] == '\t' || s[i] == '\n');
}

static void
on_line(const struct cs_line *line, void *ctx)
{
	struct seen *seen = ctx;

	check_string(line->device, CS_MAX_RECORD);
	check_string(line->process, CS_MAX_RECORD);
	check_string(line->image, CS_MAX_RECORD);
	check_string(line->level, CS_MAX_RECORD);
	check_string(line->udid, CS_MAX_RECORD);
	check_string(line->raw, CS_MAX_RECORD);
	check_string(line->message, CS_MAX_RECORD);
	/* no NUL can be inside a string: NULs are record separators, never copied */
	check(strlen(line->raw) == line->raw_len);
	check(strlen(line->message) == line->message_len);
	check(line->format > CS_FMT_unknown && line->format < CS_FMT_COUNT);
	check((line->format == CS_FMT_plain) == ((line->flags & CS_LINE_UNPARSED) != 0));
	check(!(line->flags & CS_LINE_TRUNCATED) || strstr(line->raw, "[truncated ") != NULL);
	check(line->number > seen->last_number);
	check(line->pid >= -1);
	seen->last_number = line->number;
	seen->lines++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs_reader_options opt = { 0 };
	struct seen seen = { 0 };
	const struct cs_reader_stats *st;
	struct cs_reader *r;
	size_t cut[4], ncut = 0;
	uint64_t per_format = 0;

	if (size < 2)
		return 0;
	/* byte 0: where to split; byte 1: options */
	cut[ncut++] = 0;
	if (size > 2) {
		cut[ncut++] = 2 + (data[0] * (size - 2)) / 256;
		cut[ncut++] = 2 + ((data[0] ^ 0x5a) * (size - 2)) / 256;
	}
	opt.year = data[1] & 1 ? 2017 : 0;
	opt.ref_time = data[1] & 2 ? INT64_C(1795608000) : INT64_C(1);
	opt.utc_offset_min = (data[1] >> 2) * 15 - 480;
	opt.udid = data[1] & 0x80 ? "00008030-001A2D1E3C02802E" : NULL;

	r = cs_reader_new(&opt, on_line, &seen);
	size_t from = 2;
	for (size_t i = 1; i <= ncut; i++) {
		size_t to = i < ncut ? cut[i] : size;

		if (to < from)
			to = from;
		cs_reader_feed(r, data + from, to - from);
		from = to;
	}
	if (from < size)
		cs_reader_feed(r, data + from, size - from);
	cs_reader_flush(r);

	st = cs_reader_stats(r);
	check(st->bytes == size - 2);
	check(st->lines == seen.lines);
	check(st->unparsed <= st->lines && st->truncated <= st->lines && st->sanitized <= st->lines);
	for (int f = 0; f < CS_FMT_COUNT; f++)
		per_format += st->per_format[f];
	check(per_format == st->lines);
	check(st->lines <= st->physical_lines);
	check(st->nul_bytes + st->garbage_bytes <= st->bytes);
	cs_reader_free(r);
	return 0;
}

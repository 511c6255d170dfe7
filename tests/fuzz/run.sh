#!/bin/sh
# run.sh - build each libFuzzer harness with clang (ASan+UBSan) and run it for N seconds on its
# seed corpus (`make fuzz FUZZ_SECONDS=N`). Any crash fails the run and leaves the input in build/fuzz.
set -eu
seconds=${1:-20}
here=$(cd "$(dirname "$0")/../.." && pwd)
out="$here/build/fuzz"
mkdir -p "$out"
if ! command -v clang >/dev/null 2>&1; then
	echo "fuzz: clang is needed (apt-get install clang)"; echo "0 passed, 1 failed"; exit 1
fi
core="$(ls "$here"/common/*.c) $here/daemon/parse.c $here/daemon/rules.c $here/daemon/util.c $here/daemon/names.c $here/daemon/crashreport.c"
sh "$here/tools/embed.sh" "$out/rules_builtin.c" cs_builtin_rules "$here"/daemon/rules/*.rules
flags="-g -O1 -std=c17 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -I$here/include -I$here/daemon -I$out"
# fuzz_scan checks the Vectorscan scan, so it is built with it (the trigram counts embedded, no
# prebuilt database: it compiles one at its first input); the others without, as a rule set loaded
# per input would compile a database each time
sh "$here/tools/embed.sh" "$out/scan_trigrams.c" cs_scan_trigrams "$here/daemon/scan/trigrams.txt"
printf '#include <stddef.h>\n#include <stdint.h>\nconst unsigned char cs_scan_db[1];\n%s\n%s\n' \
	'const size_t cs_scan_db_len = 0;' 'const uint64_t cs_scan_db_key = 0;' > "$out/scan_db_none.c"
passed=0; failed=0; skipped=0
for h in "$here"/tests/fuzz/fuzz_*.c; do
	name=$(basename "$h" .c)
	corpus="$here/tests/fuzz/corpus/${name#fuzz_}"
	extra=""
	if [ "$name" = fuzz_scan ]; then
		if ! pkg-config --exists libhs 2>/dev/null; then
			echo "== $name: skipped (built without Vectorscan there is no scan to check)"
			skipped=$((skipped + 1)); continue
		fi
		extra="-DCS_HAVE_VECTORSCAN $here/daemon/scanprefix.c $out/scan_trigrams.c $out/scan_db_none.c $(pkg-config --cflags --libs libhs)"
	fi
	# shellcheck disable=SC2086
	clang $flags "$h" $core "$out/rules_builtin.c" $extra $(pkg-config --cflags --libs libpcre2-8 jansson) -o "$out/$name"
	work="$out/$name-corpus"
	mkdir -p "$work"
	[ -d "$corpus" ] && cp -r "$corpus"/. "$work"/ 2>/dev/null || true
	echo "== $name: ${seconds}s"
	if (cd "$out" && "./$name" -max_total_time="$seconds" -max_len=1048576 -timeout=10 \
		-print_final_stats=1 "$work" 2>"$out/$name.log"); then
		tail -n 3 "$out/$name.log"; passed=$((passed + 1))
	else
		tail -n 40 "$out/$name.log"; failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]

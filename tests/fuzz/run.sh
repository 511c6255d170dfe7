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
passed=0; failed=0
for h in "$here"/tests/fuzz/fuzz_*.c; do
	name=$(basename "$h" .c)
	corpus="$here/tests/fuzz/corpus/${name#fuzz_}"
	# shellcheck disable=SC2086
	clang $flags "$h" $core "$out/rules_builtin.c" $(pkg-config --cflags --libs libpcre2-8 jansson) -o "$out/$name"
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
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/bin/sh
# benchfloor.sh - build/benchfloor (tests/bench/floor.c), which `make bench` reports the ceiling of
# a replay by, measures what it says: the scan's literals are the ones callsightd's scan looks for
# (lower case, for rg -i -F), one line of four figures per capture (CPU seconds of the line index
# and of the scan, the literal count, the hits), and a clear message and exit status for a bad
# argument or a build that cannot scan. A bench tool that broke quietly would print a wrong bound.
. "$(dirname "$0")/lib.sh"

FL=$B/benchfloor
if [ ! -x "$FL" ]; then
	skip benchfloor "no $FL (make all-tests builds it)"
	finish
fi
CAP=tests/scenarios/03_audio_interruption_not_resumed.log
[ -f "$CAP" ] || CAP=$(ls tests/scenarios/*.log | head -n 1)

"$FL" --literals > "$T/lits" 2> "$T/err"
rc=$?
n=$(wc -l < "$T/lits" | tr -d ' ')
if [ "$rc" -eq 0 ] && [ "$n" -gt 0 ]; then
	ok "--literals lists the scan's $n literals"
	if grep -q '[A-Z]' "$T/lits"; then bad "a literal has upper case: $(grep -m1 '[A-Z]' "$T/lits")"
	else ok "they are lower case, as the caseless scan and rg -i -F read them"; fi
	if [ "$(sort -u "$T/lits" | wc -l | tr -d ' ')" = "$n" ]; then ok "each literal once"
	else bad "a literal is listed twice: $(sort "$T/lits" | uniq -d | head -n 1)"; fi
	"$FL" "$CAP" > "$T/out" 2> "$T/err"
	rc=$?
	# "INDEX_CPU_S SCAN_CPU_S LITERALS HITS"
	if [ "$rc" -eq 0 ] && awk -v n="$n" 'NF == 4 && $1 >= 0 && $2 >= 0 && $3 == n && $4 > 0 { ok = 1 }
	    END { exit !ok }' "$T/out"; then
		ok "a capture gives index and scan CPU seconds, the $n literals and its hits: $(cat "$T/out")"
	else
		bad "benchfloor $CAP exited $rc and printed '$(cat "$T/out")' $(cat "$T/err")"
	fi
	# the hits are the literals' occurrences in the messages: a capture of one line with two
	printf 'Nov 21 08:00:00 iPhone mediaserverd[112] <Notice>: %s then %s\n' \
	    "$(sed -n 1p "$T/lits")" "$(sed -n 2p "$T/lits")" > "$T/two.log"
	"$FL" "$T/two.log" > "$T/out2" 2>&1
	hits=$(awk '{ print $4 }' "$T/out2")
	if [ "${hits:-0}" -ge 2 ]; then ok "a line with two literals gives at least two hits ($hits)"
	else bad "a line with two literals gave '$(cat "$T/out2")'"; fi
else
	# a build without Vectorscan has no scan: the tool says so rather than print a bound
	"$FL" "$CAP" > "$T/out" 2> "$T/err"
	rc=$?
	if [ "$rc" -ne 0 ] && grep -q 'cannot scan' "$T/err"; then
		ok "without a scan it says so and exits $rc: $(cat "$T/err")"
	else
		bad "no literals listed (--literals exited $rc), and benchfloor FILE exited $rc: $(cat "$T/out" "$T/err")"
	fi
fi

"$FL" > "$T/out" 2> "$T/err"
rc=$?
if [ "$rc" -eq 2 ] && grep -q '^usage: floor' "$T/err"; then ok "no argument: usage, exit 2"
else bad "no argument: exit $rc, '$(cat "$T/err")'"; fi
"$FL" "$T/absent.log" > "$T/out" 2> "$T/err"
rc=$?
if [ "$rc" -eq 1 ] && grep -q "absent.log: No such file" "$T/err"; then ok "a missing file is named: $(cat "$T/err")"
else bad "a missing file: exit $rc, '$(cat "$T/err")'"; fi
finish

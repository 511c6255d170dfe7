#!/bin/sh
# real-corpus.sh - the real-world corpus (tests/real/, sources in tests/real/SOURCES.md): log
# excerpts people published, replayed through the real `callsightd --replay FILE --json`. Each must:
# exit 0 within CS_TIMEOUT seconds (a hang fails), leave no sanitizer report, print only JSON objects
# ending with a summary whose lines > 0, carry no record stamped 1970, and - where NN.expect exists
# (tests/scenarios/README.md format) - raise exactly the flags the thread's conclusion implies.
# SOURCES.md must have a row for every excerpt and no row without its file.
# tests/real/PENDING lists checks known to fail until someone's work lands ("FILE CHECK owner: why");
# they are reported as "known" and not counted, and a listed check that passes fails the run, so the
# list is kept true. Prints "N passed, N failed"; exits non-zero when a check failed.
set -u
B=${CALLSIGHT_BUILD:-build}
D="$B/callsightd"
R=${CS_REAL:-tests/real}
TO=${CS_TIMEOUT:-60}
passed=0
failed=0
known=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

if ! command -v jq >/dev/null 2>&1; then
	echo "FAIL jq is missing (make deps installs it)"; echo "0 passed, 1 failed"; exit 1
fi
ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; shift; for _e in "$@"; do [ -s "$_e" ] && sed "s/^/     | /" "$_e" | head -12; done; return 0; }

# pending FILE CHECK: the PENDING line for it, if any
pending() { [ -f "$R/PENDING" ] && grep -E "^$1[[:space:]]+$2[[:space:]]" "$R/PENDING" | head -n 1; }
# verdict NAME FILE CHECK PASSED(0/1) [evidence files]
verdict() {
	_name=$1
	_p=$(pending "$2" "$3")
	if [ "$4" = 0 ]; then
		if [ -n "$_p" ]; then bad "$1: passes now, remove it from $R/PENDING: $_p"; else ok "$1"; fi
	elif [ -n "$_p" ]; then
		known=$((known + 1)); echo "KNOWN $1 ($(echo "$_p" | sed -E 's/^[^[:space:]]+[[:space:]]+[^[:space:]]+[[:space:]]+//'))"
	else
		shift 4; bad "$_name" "$@"
	fi
}

n=0
for log in "$R"/*.log; do
	[ -f "$log" ] || continue
	n=$((n + 1))
	f=${log##*/}
	base=${log%.log}
	args=""
	[ -f "$base.expect" ] && args=$(sed -n 's/^args:[[:space:]]*//p' "$base.expect" | head -n 1)
	# shellcheck disable=SC2086  # args are split on blanks, as the scenario runner does
	timeout "$TO" "$D" --replay "$log" --json $args >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" = 124 ]; then bad "$f: no answer within ${TO}s (hang)" "$tmp/err"; continue; fi
	if [ "$rc" != 0 ]; then bad "$f: exit $rc" "$tmp/err"; continue; fi
	if grep -q -e "ERROR: AddressSanitizer" -e "runtime error:" -e "LeakSanitizer" "$tmp/err"; then
		bad "$f: sanitizer report" "$tmp/err"; continue
	fi
	if ! jq -e -s 'length > 0 and all(type == "object") and (.[-1].type == "summary") and (.[-1].lines > 0)' \
	    "$tmp/out" >/dev/null 2>&1; then
		bad "$f: stdout is not JSON objects ending with a summary of lines > 0" "$tmp/out"; continue
	fi
	# every stamped record (events, states, flags and their evidence)
	jq -r '.. | objects | .time? // empty | strings' "$tmp/out" | grep '^1970' >"$tmp/y1970"
	[ ! -s "$tmp/y1970" ]; verdict "$f: no record stamped 1970" "$f" no1970 $? "$tmp/y1970"
	if [ -f "$base.expect" ]; then
		grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' -e '^args:' "$base.expect" | sed 's/[[:space:]]*$//' \
		    | grep -v '^none$' >"$tmp/want"
		jq -r 'select(.type == "flag") | "\(.severity) \(.cause)"' "$tmp/out" >"$tmp/got"
		cmp -s "$tmp/want" "$tmp/got"
		same=$?
		if [ "$same" != 0 ]; then
			{ echo "expected:"; sed 's/^/  /' "$tmp/want"; echo "got:"; sed 's/^/  /' "$tmp/got"; } >"$tmp/diff"
		fi
		verdict "$f: flags as the thread concluded ($(tr '\n' ',' <"$tmp/want" | sed 's/,$//;s/^$/none/'))" \
		    "$f" expect "$same" "$tmp/diff"
	fi
	if grep -q "^| $f |" "$R/SOURCES.md"; then ok "$f: has a SOURCES.md row"
	else bad "$f: no row in $R/SOURCES.md"; fi
done
# rows without a file, PENDING lines without a file
sed -n 's/^| \([0-9][0-9]*_[^ |]*\.log\) |.*/\1/p' "$R/SOURCES.md" | while read -r f; do
	[ -f "$R/$f" ] || echo "$f"
done >"$tmp/orphans"
if [ -s "$tmp/orphans" ]; then bad "SOURCES.md rows without a file" "$tmp/orphans"; else ok "every SOURCES.md row has its file"; fi
if [ "$n" -ge 25 ]; then ok "the corpus holds $n excerpts (>= 25)"; else bad "the corpus holds only $n excerpts (< 25)"; fi

echo "$known known failure(s) listed in $R/PENDING"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

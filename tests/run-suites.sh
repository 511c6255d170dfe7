#!/bin/sh
# run-suites.sh - run every test suite (cmocka unit and scenario binaries, e2e scripts) and close
# with one line that sums them: "N passed, N failed, N skipped". Each suite's own output is shown
# as it runs. A skip is a check that could not run here (a tool or privilege missing): every suite
# prints why, and the sum keeps it visible rather than silent.
# usage: tests/run-suites.sh BUILD_DIR   (env CS_E2E_SUITES: the scripts to run, default tests/e2e/*.sh)
set -u
B=${1:-build}
passed=0
failed=0
skipped=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# cmocka prints "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s), listed below:"
count_cmocka() {
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
	k=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
}

run_suite() {	# name, command...
	name=$1; shift
	echo "== $name"
	"$@" >"$log" 2>&1
	rc=$?
	cat "$log"
	count_cmocka
	# plain suites close with "N passed, N failed[, N skipped]"
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
		p=$(echo "$line" | sed -n 's/^\([0-9]*\) passed.*/\1/p'); p=${p:-0}
		f=$(echo "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p'); f=${f:-0}
		k=$(echo "$line" | sed -n 's/.* \([0-9]*\) skipped.*/\1/p'); k=${k:-0}
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "!! $name exited $rc without naming a failed test"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + k))
}

for t in "$B"/tests/test_*; do
	[ -x "$t" ] || continue
	CALLSIGHTD="$B/callsightd" run_suite "$(basename "$t")" "$t"
done
# CS_E2E_SUITES: other scripts instead of tests/e2e/*.sh (tests/e2e/suite-counts.sh checks the sums)
for s in ${CS_E2E_SUITES:-tests/e2e/*.sh}; do
	case "$s" in */lib.sh) continue ;; esac
	[ -f "$s" ] || continue
	CALLSIGHT_BUILD="$B" run_suite "$(basename "$s")" sh "$s"
done

echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]

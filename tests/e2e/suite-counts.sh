#!/bin/sh
# suite-counts.sh - tests/run-suites.sh adds up what the suites say, skips included: a suite that
# could not run a check (a Linux-only tool, root) prints why and counts it as skipped, and the
# closing line of `make check` keeps that visible ("N passed, N failed, N skipped"), never silent.
# Runs run-suites.sh on three small stand-in suites (plain, cmocka-style, and one that fails).
# Prints "N passed, N failed"; exits non-zero when a check failed.
set -u
# inside the run below (a run-suites.sh that ignores CS_E2E_SUITES would run every suite, this too)
if [ -n "${CS_SUITE_COUNTS_INNER:-}" ]; then echo "0 passed, 1 failed"; exit 1; fi
export CS_SUITE_COUNTS_INNER=1
cd "$(dirname "$0")/../.." || exit 1
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

cat >"$tmp/a.sh" <<'X'
echo "skip - one check: a tool is missing"
echo "2 passed, 0 failed, 1 skipped"
X
cat >"$tmp/b.sh" <<'X'
echo "[  PASSED  ] 3 test(s)."
echo "[  SKIPPED ] 2 test(s), listed below:"
X
cat >"$tmp/c.sh" <<'X'
echo "1 passed, 0 failed"
X
CS_E2E_SUITES="$tmp/a.sh $tmp/b.sh $tmp/c.sh" sh tests/run-suites.sh "$tmp/no-build" >"$tmp/out" 2>&1
rc=$?
last=$(tail -n 1 "$tmp/out")
if [ "$last" = "6 passed, 0 failed, 3 skipped" ] && [ "$rc" = 0 ]; then ok "skips are summed: '$last'"
else bad "skips are summed (got '$last', exit $rc)"; fi
if grep -q "a tool is missing" "$tmp/out"; then ok "a skip's reason is shown"; else bad "a skip's reason is shown"; fi

printf 'echo "0 passed, 1 failed, 0 skipped"\nexit 1\n' >"$tmp/d.sh"
CS_E2E_SUITES="$tmp/a.sh $tmp/d.sh" sh tests/run-suites.sh "$tmp/no-build" >"$tmp/out" 2>&1
rc=$?
last=$(tail -n 1 "$tmp/out")
if [ "$last" = "2 passed, 1 failed, 1 skipped" ] && [ "$rc" != 0 ]; then ok "a failure still fails the run"
else bad "a failure still fails the run (got '$last', exit $rc)"; fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

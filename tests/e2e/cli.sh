#!/bin/sh
# cli.sh - callsightd's command-line contract, through the real binary: exit 0 / 1 (the input
# cannot be read, with a message naming it) / 2 (bad usage, a rules file that does not load, with
# file:line); hostile input (binary garbage, NULs, a 3 MB line, invalid UTF-8) never crashes, is
# reported on stderr, and the lines around it are still analysed; stdin works; --json ends with a
# summary; a store file replays.
# Prints "N passed, N failed"; exits non-zero when a check failed.
set -u
B=${CALLSIGHT_BUILD:-build}
D="$B/callsightd"
passed=0
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; [ -f "$tmp/err" ] && sed 's/^/     | /' "$tmp/err" | head -20; }
run() { "$@" >"$tmp/out" 2>"$tmp/err"; echo $?; }
sanitizer_clean() { ! grep -q -e "ERROR: AddressSanitizer" -e "runtime error:" "$tmp/err"; }

rc=$(run "$D" --replay "$tmp/missing.log")
if [ "$rc" = 1 ] && grep -q "cannot read $tmp/missing.log: No such file" "$tmp/err"; then
	ok "a missing file: exit 1, named, with the reason"; else bad "a missing file: exit 1 (got $rc)"; fi
rc=$(run "$D" --replay "$tmp")
if [ "$rc" = 1 ] && grep -q "is a directory" "$tmp/err"; then ok "a directory: exit 1"
else bad "a directory: exit 1 (got $rc)"; fi
rc=$(run "$D" --frobnicate)
if [ "$rc" = 2 ] && grep -q "unknown option '--frobnicate'" "$tmp/err"; then ok "an unknown option: exit 2"
else bad "an unknown option: exit 2 (got $rc)"; fi
rc=$(run "$D" --replay --json tests/scenarios/01_missing_background_mode.log)
if [ "$rc" = 2 ] && grep -q -- "--replay took '--json' as its value (write --replay tests/scenarios/01" "$tmp/err"
then ok "an option taken as --replay's FILE: exit 2, says which and how"
else bad "an option taken as --replay's FILE: exit 2, says which (got $rc)"; fi
rc=$(run "$D" --replay x --year 12)
if [ "$rc" = 2 ] && grep -q -- "--year" "$tmp/err"; then ok "a bad --year: exit 2"; else bad "a bad --year (got $rc)"; fi
printf 'good.rule  call_connected  *  /hello/\nbroken  no_such_kind  *  /x/\n' >"$tmp/bad.rules"
rc=$(run "$D" --replay tests/scenarios/01_missing_background_mode.log --rules "$tmp/bad.rules")
if [ "$rc" = 2 ] && grep -q "bad.rules:2" "$tmp/err"; then ok "a broken rules file: exit 2 with file:line"
else bad "a broken rules file: exit 2 with file:line (got $rc)"; fi

# hostile input: garbage, NULs, a 3 MB line, invalid UTF-8, then a real drop that must be found
{
	head -c 200000 /dev/urandom
	printf '\n\0\0\0'
	head -c 3000000 /dev/zero | tr '\0' 'A'
	printf '\n\377\376 invalid \300\200 utf-8\n'
	cat tests/scenarios/11_network_loss.log
} >"$tmp/hostile.log"
rc=$(run "$D" --replay "$tmp/hostile.log" --json)
if [ "$rc" = 0 ] && sanitizer_clean; then ok "hostile input: exit 0, no crash"; else bad "hostile input: exit 0 (got $rc)"; fi
if grep -q '"cause":"network_loss"' "$tmp/out"; then ok "hostile input: the drop after it is still found"
else bad "hostile input: the drop after it is still found"; fi
if grep -q "skipped .* binary (control) bytes" "$tmp/err" && grep -q "longer than 64 KiB were cut" "$tmp/err"; then
	ok "hostile input: stderr says what was skipped and cut"
else bad "hostile input: stderr says what was skipped and cut"; fi
if tail -n 1 "$tmp/out" | grep -q '"type":"summary"'; then ok "--json ends with a summary"
else bad "--json ends with a summary"; fi

rc=$(run sh -c "cat tests/scenarios/04_app_disconnect_on_background.log | $D --replay - --json")
if [ "$rc" = 0 ] && grep -q '"cause":"app_disconnect_on_background"' "$tmp/out"; then ok "stdin (-) works"
else bad "stdin (-) works (got $rc)"; fi

rc=$(run "$D" --replay tests/scenarios/17_lock_unlock_no_call.log)
if [ "$rc" = 0 ] && grep -q "No dropped call found" "$tmp/out"; then ok "no call: says so"
else bad "no call: says so (got $rc)"; fi

# a store replays like a capture: fill one through a private replay daemon, then read it back
mkdir -m 700 "$tmp/run"
"$D" --replay tests/fakedevice/demo.syslog --serve --socket "$tmp/run/sock" --store "$tmp/c.db" 2>"$tmp/serve.err" &
spid=$!
i=0; while [ ! -S "$tmp/run/sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null
rc=$(run "$D" --replay "$tmp/c.db" --json)
if [ "$rc" = 0 ] && grep -q '"cause":"missing_background_mode"' "$tmp/out"; then ok "a store replays (--replay capture.db)"
else bad "a store replays (--replay capture.db) (got $rc)"; fi

# a store from a bug report (another user's, 0644) replays read-only and stays untouched
cp "$tmp/c.db" "$tmp/shared.db" && chmod 644 "$tmp/shared.db"
sum0=$(cksum <"$tmp/shared.db")
rc=$(run "$D" --replay "$tmp/shared.db" --json)
if [ "$rc" = 0 ] && grep -q '"cause":"missing_background_mode"' "$tmp/out" &&
    [ "$(cksum <"$tmp/shared.db")" = "$sum0" ]; then ok "a shared 0644 store replays read-only, unchanged"
else bad "a shared 0644 store replays read-only, unchanged (got $rc)"; fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/bin/sh
# crash-replay.sh - `callsightd --replay FILE --crash-dir DIR` through the real binary: the phone's
# crash and jetsam reports (tests/crash/) decide a kill that the syslog alone cannot name, reports
# about other processes change nothing, malformed ones are named on stderr and skipped while the
# analysis goes on, and a syslog read in the wrong zone still meets its report (same pid).
# The capture is tests/scenarios/08_app_killed_jetsam.log without its two jetsam lines: what is left
# says only "termination reported by launchd".
# Prints "N passed, N failed"; exits non-zero when a check failed.
set -u
B=${CALLSIGHT_BUILD:-build}
D="$B/callsightd"
C=tests/crash
passed=0
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; for f in "$tmp/out" "$tmp/err"; do [ -s "$f" ] && cut -c1-300 "$f" | sed 's/^/     | /' | head -12; done; }
run() { "$D" "$@" >"$tmp/out" 2>"$tmp/err"; echo $?; }
# field NAME: the first flag's field (python3 reads the NDJSON)
field() {
	python3 -c 'import json,sys
for l in open(sys.argv[1]):
    j = json.loads(l)
    if j.get("type") == "flag":
        v = j
        for k in sys.argv[2].split("."):
            v = v[int(k)] if isinstance(v, list) else v.get(k) if isinstance(v, dict) else None
        print("" if v is None else v); break' "$tmp/out" "$1"
}
sanitizer_clean() { ! grep -q -e "ERROR: AddressSanitizer" -e "runtime error:" "$tmp/err"; }

grep -v -e 'memorystatus: Meetly' -e 'killed by jetsam' tests/scenarios/08_app_killed_jetsam.log >"$tmp/quiet.log"
if grep -q 'termination reported by launchd' "$tmp/quiet.log" && ! grep -q -e 'killed by jetsam' -e 'exceeded mem limit' "$tmp/quiet.log"; then
	ok "the capture says only that the app went away"; else bad "the quiet capture"; fi

# before: the syslog alone
rc=$(run --replay "$tmp/quiet.log" --year 2024 --json)
before_conf=$(field confidence)
if [ "$rc" = 0 ] && [ "$(field cause)" = unknown ] && [ -z "$(field reports)" ]; then
	ok "without reports: the kill has no name (unknown, confidence $before_conf)"
else bad "without reports: unknown (got $(field cause))"; fi

# a JetsamEvent for the app
rc=$(run --replay "$tmp/quiet.log" --year 2024 --json --crash-dir "$C/jetsam")
conf=$(field confidence)
if [ "$rc" = 0 ] && [ "$(field cause)" = app_killed_jetsam ] &&
    [ "$(field reports.0.file)" = JetsamEvent-2024-09-30-172810.ips ] && [ "$(field reports.0.bug_type)" = 298 ] &&
    field reports.0.reason | grep -q 'per-process-limit.*footprint 1.37 GB' &&
    [ "$(field reports.0.time)" = 2024-09-30T15:28:10.120Z ] &&
    python3 -c "import sys; sys.exit(not float('$conf') > float('$before_conf'))"; then
	ok "a JetsamEvent names the kill: app_killed_jetsam, per-process-limit, 1.37 GB, confidence $before_conf -> $conf"
else bad "JetsamEvent: app_killed_jetsam (got $(field cause) $conf)"; fi
if field detail | grep -q "JetsamEvent-2024-09-30-172810.ips says: jetsam per-process-limit"; then
	ok "the flag's detail quotes the report"; else bad "detail quotes the report"; fi

# a watchdog crash report for the app
rc=$(run --replay "$tmp/quiet.log" --year 2024 --json --crash-dir "$C/watchdog")
if [ "$rc" = 0 ] && [ "$(field cause)" = app_killed_watchdog ] && [ "$(field reports.0.bug_type)" = 309 ] &&
    field reports.0.reason | grep -q '0x8badf00d'; then
	ok "a 0x8badf00d crash report names the kill: app_killed_watchdog"
else bad "watchdog report: app_killed_watchdog (got $(field cause))"; fi

# the report corrects the syslog's own guess: the original capture says jetsam, a watchdog report wins
rc=$(run --replay tests/scenarios/08_app_killed_jetsam.log --year 2024 --json --crash-dir "$C/watchdog")
if [ "$(field cause)" = app_killed_watchdog ]; then ok "the report corrects the syslog's guess (jetsam -> watchdog)"
else bad "report corrects the syslog (got $(field cause))"; fi
rc=$(run --replay tests/scenarios/08_app_killed_jetsam.log --year 2024 --json --crash-dir "$C/jetsam")
if [ "$(field cause)" = app_killed_jetsam ] && [ "$(field confidence)" = 0.89 ]; then
	ok "a report that agrees with the syslog raises its confidence (0.85 -> 0.89)"
else bad "agreeing report (got $(field cause) $(field confidence))"; fi

# reports about other processes (and a non-fatal diagnostic about the app) change nothing
rc=$(run --replay "$tmp/quiet.log" --year 2024 --json --crash-dir "$C/others")
if [ "$rc" = 0 ] && [ "$(field cause)" = unknown ] && [ -z "$(field reports)" ] && [ ! -s "$tmp/err" ]; then
	ok "reports about other processes only: no effect"
else bad "other processes: no effect (got $(field cause))"; fi

# malformed reports: named with the reason, skipped; the analysis goes on
rc=$(run --replay "$tmp/quiet.log" --year 2024 --json --crash-dir "$C/bad")
if [ "$rc" = 0 ] && [ "$(grep -c '(skipped)$' "$tmp/err")" = 5 ] &&
    grep -q 'Meetly-truncated.ips: the report body is not valid JSON (line 2' "$tmp/err" &&
    grep -q 'notes.crash: not a crash report' "$tmp/err" && [ "$(field cause)" = unknown ] && sanitizer_clean; then
	ok "malformed reports: 5 named on stderr and skipped, the flag still comes"
else bad "malformed reports (rc $rc)"; fi

# every folder at once (sub-folders are read): the app's reports decide, the bad ones are skipped
rc=$(run --replay "$tmp/quiet.log" --year 2024 --json --crash-dir "$C")
if [ "$rc" = 0 ] && { [ "$(field cause)" = app_killed_jetsam ] || [ "$(field cause)" = app_killed_watchdog ]; }; then
	ok "a folder tree of mixed reports: the app's report decides ($(field cause))"
else bad "mixed tree (got $(field cause))"; fi

# the syslog read in the wrong zone (2 h off): the pid still ties the report to the kill
rc=$(run --replay "$tmp/quiet.log" --year 2024 --utc-offset +02:00 --json --crash-dir "$C/jetsam")
if [ "$(field cause)" = app_killed_jetsam ] && [ "$(field time)" = 2024-09-30T13:28:10.000Z ]; then
	ok "a syslog read 2 h off still meets its report (same pid)"
else bad "zone-shifted syslog (got $(field cause) at $(field time))"; fi

# text mode shows the report
rc=$(run --replay "$tmp/quiet.log" --year 2024 --crash-dir "$C/jetsam")
if grep -q '^    report: JetsamEvent-2024-09-30-172810.ips (bug_type 298' "$tmp/out"; then
	ok "text mode lists the report"; else bad "text mode report line"; fi

# the bug-report bundle holds the report, redacted, and report.html has a section for it
rc=$(run --replay "$tmp/quiet.log" --year 2024 --json --crash-dir "$C/watchdog" --report "$tmp/bundles")
b=$(ls -d "$tmp"/bundles/*/ 2>/dev/null | head -n 1)
cr="$b/crash-Meetly-2024-09-30-172810.ips"
if [ "$rc" = 0 ] && [ -f "$cr" ] && grep -q '"procName" : "Meetly"' "$cr" &&
    ! grep -q -e 6A1B2C3D-4E5F-4061-8273-948596A7B8C9 -e 5f2d0c9e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e "$cr" &&
    grep -q 'deviceIdentifierForVendor":"\[redacted-device-id\]' "$cr"; then
	ok "the bundle holds the report, its device ids redacted"
else bad "bundle crash report (rc $rc, $cr)"; fi
if grep -q "The phone's crash and jetsam reports" "$b/report.html" && grep -q 'Decides flag</dt><dd>#1' "$b/report.html" &&
    grep -q '0 libsystem_kernel.dylib mach_msg2_trap + 8' "$b/report.html" &&
    grep -q 'sqlite3_step' "$b/report.html" && grep -q '"reports"' "$b/flags.json"; then
	ok "report.html: a section for the report (verdict first, frames below); flags.json lists it"
else bad "report.html crash section"; fi
rc=$(run --replay "$tmp/quiet.log" --year 2024 --json --crash-dir "$C/watchdog" --report "$tmp/raw" --no-redact)
if grep -q 6A1B2C3D-4E5F-4061-8273-948596A7B8C9 "$(ls -d "$tmp"/raw/*/ | head -n 1)/crash-Meetly-2024-09-30-172810.ips"; then
	ok "--no-redact keeps the report as the phone wrote it"; else bad "--no-redact report copy"; fi

# a folder that cannot be read: exit 1, named
rc=$(run --replay "$tmp/quiet.log" --crash-dir "$tmp/none")
if [ "$rc" = 1 ] && grep -q -- "--crash-dir: cannot read $tmp/none" "$tmp/err"; then
	ok "a missing --crash-dir: exit 1, named"; else bad "missing --crash-dir (rc $rc)"; fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

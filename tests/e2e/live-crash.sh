#!/bin/sh
# live-crash.sh - the phone's crash and jetsam reports, live: the emulator streams a call of Meetly
# (com.meetly.app, pid 867; tests/scenarios/08_app_killed_jetsam.log up to the connected call),
# then kills the app mid-call (`kill`: runningboardd says only "termination reported by launchd")
# and writes a report 4 s later, as ReportCrash does. callsightd must start
# com.apple.crashreportmover, read com.apple.crashreportcopymobile over AFC, retry until the report
# is there, copy it (never delete it), and name the cause from it:
#   jetsam    a JetsamEvent (per-process-limit) -> app_killed_jetsam, the flag lists the report
#   watchdog  a 0x8badf00d crash .ips          -> app_killed_watchdog
#   none      --no-crash-reports               -> the syslog alone: unknown (the "before")
# A stale report of the app (older than the daemon) lies on the phone too and must not be used.
# Then the stock `idevicecrashreport -k` copies the same files from the emulator (the protocol is
# the real one), and the report bundle of the flag holds the (redacted) report.
# usage (repo root): sh tests/e2e/live-crash.sh   (env CALLSIGHT_BUILD, default build)
. "$(dirname "$0")/lib.sh"
lib_watchdog 170
lib_require

U=2f1c0b7e9a4d3c6b5a8e7f9d0c1b2a3e4f5d6c7b
FLAG='"type":"flag"'
# as syslog_relay sends it: with the device's name after the stamp
sed -n 1,24p tests/scenarios/08_app_killed_jetsam.log |
    sed -E 's/^([A-Z][a-z]{2} [ 0-9]{2} [0-9:]{8}) /\1 Meetly-iPhone /' >"$T/call.syslog"
mkdir -p "$T/phone"
JETSAM=$T/phone/JetsamEvent-2024-09-30-172810.ips
WATCHDOG=$T/phone/Meetly-2024-09-30-172810.ips
# redate FILE: the fixture of that name, dated now (UTC), as the phone writes it at the kill;
# reports older than the daemon are ignored by design
redate() {
	_now=$(date -u '+%Y-%m-%d %H:%M:%S')
	sed -E "s/2024-09-30 17:2[0-9]:[0-9]{2}(\.[0-9]+)? \+0200/$_now.00 +0000/g" \
	    "$(find tests/crash -name "$(basename "$1")" | head -n 1)" >"$1"
}
STALE=$HERE/tests/crash/formats/Meetly-deadlock.crash	# Meetly, 0xdead10cc, 2023: too old

# field FILE NAME: a field of the first disconnect flag in FILE (python3 reads the NDJSON)
field() {
	python3 -c 'import json,sys
for l in open(sys.argv[1]):
    try: j = json.loads(l)
    except ValueError: continue
    if j.get("type") == "flag" and j.get("severity") == "disconnect":
        v = j
        for k in sys.argv[2].split("."):
            v = v[int(k)] if isinstance(v, list) else v.get(k) if isinstance(v, dict) else None
        print("" if v is None else v); break' "$1" "$2"
}

# session NAME REPORT [callsightd options]: call, kill with REPORT, wait for the flag
session() {
	S_NAME=$1 S_REP=$2
	shift 2
	cat >"$T/$S_NAME.conf" <<EOF
[device]
udid = $U
name = Meetly-iPhone
ssl = yes
capture = $T/call.syslog
EOF
	fake_start -c "$T/$S_NAME.conf"
	cmd "report $U $STALE" >/dev/null
	csd_start "$S_NAME" --json --store "$T/$S_NAME.db" --no-socket -u "$U" --stall-timeout 0 \
	    --crash-dir "$T/$S_NAME.crash" --auto-report "$T/$S_NAME.bundles" "$@"
	wait_count 1 20 '"kind":"call_connected"' "$T/$S_NAME.out"
	sleep 1
	redate "$S_REP"
	S_KILL=$(cmd "kill $U com.meetly.app 867 $S_REP 4000")
	case $S_KILL in ok*) ;; *) bad "$S_NAME: emulator kill command ($S_KILL)" ;; esac
	sleep 3	# the phone logs on
	cmd "inject $U $(date '+%b %e %H:%M:%S') Meetly-iPhone wifid[74] <Notice>: Received state update for 867" >/dev/null
	wait_count 1 60 "$FLAG.*\"severity\":\"disconnect\"" "$T/$S_NAME.out"
	check "$S_NAME: callsightd alive" "csd_alive $S_NAME" "$T/$S_NAME.err"
}
session_end() {
	csd_stop "$1"
	check "$1: callsightd exits 0 on SIGTERM (got $RC)" "[ $RC -eq 0 ]" "$T/$1.err"
	check "$1: no sanitizer report from callsightd" "sanitizer_clean '$T/$1.err'" "$T/$1.err"
}
fake_quit() {
	cmd quit >/dev/null
	wait "$FPID" 2>/dev/null
	FPID=""
	exec 3>&-
}

# ---- a JetsamEvent
session jetsam "$JETSAM"
check "jetsam: the flag names the cause from the report: app_killed_jetsam ($(field "$T/jetsam.out" cause) $(field "$T/jetsam.out" confidence))" \
	"[ '$(field "$T/jetsam.out" cause)' = app_killed_jetsam ]" "$T/jetsam.out"
check "jetsam: the flag lists the report (file, bug_type 298, reason)" \
	"[ '$(field "$T/jetsam.out" reports.0.file)' = JetsamEvent-2024-09-30-172810.ips ] && [ '$(field "$T/jetsam.out" reports.0.bug_type)' = 298 ] && field '$T/jetsam.out' reports.0.reason | grep -q per-process-limit" "$T/jetsam.out"
check "jetsam: callsightd copied the report byte for byte" "cmp -s '$JETSAM' '$T/jetsam.crash/$U/JetsamEvent-2024-09-30-172810.ips'" "$T/jetsam.err"
check "jetsam: the stale report (2023) was not kept" "[ ! -e '$T/jetsam.crash/$U/Meetly-deadlock.crash' ]"
check "jetsam: the copy is private (0600)" "[ \$(stat -c %a '$T/jetsam.crash/$U/JetsamEvent-2024-09-30-172810.ips') = 600 ]"
check "jetsam: callsightd ran the mover and retried until the report was there (mover runs >= 2)" \
	"[ \$(stat_of $U mover) -ge 2 ]"
check "jetsam: nothing was deleted from the phone" "[ \$(stat_of $U removed) = 0 ] && [ \$(stat_of $U reports) = 2 ]"
# the stock tool sees the very same files
mkdir -p "$T/idcr"
if command -v idevicecrashreport >/dev/null 2>&1; then
	USBMUXD_SOCKET_ADDRESS=$MUXADDR idevicecrashreport -k -u "$U" "$T/idcr" >"$T/idcr.out" 2>&1
	check "idevicecrashreport -k: exit 0" "[ $? -eq 0 ]" "$T/idcr.out"
	check "idevicecrashreport -k copies the same JetsamEvent callsightd copied" \
		"cmp -s '$T/idcr/JetsamEvent-2024-09-30-172810.ips' '$T/jetsam.crash/$U/JetsamEvent-2024-09-30-172810.ips'" "$T/idcr.out"
	check "idevicecrashreport -k: the phone keeps its reports" "[ \$(stat_of $U removed) = 0 ]"
else
	skip "idevicecrashreport -k copies the same files" "idevicecrashreport is not installed (libimobiledevice-utils)"
fi
session_end jetsam
fake_quit
# the auto-report bundle (written at exit) holds the report, redacted
B1=$(ls -d "$T"/jetsam.bundles/*/ 2>/dev/null | head -n 1)
check "jetsam: the flag's bundle holds the report" "[ -n '$B1' ] && [ -f '${B1}crash-JetsamEvent-2024-09-30-172810.ips' ]" "$T/jetsam.err"
check "jetsam: the bundle's copy is redacted (no crashReporterKey)" \
	"! grep -q 5f2d0c9e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e '${B1}crash-JetsamEvent-2024-09-30-172810.ips'"
check "jetsam: report.html has the report's section" "grep -q 'per-process-limit' '${B1}report.html'"

# ---- a watchdog crash report
session watchdog "$WATCHDOG"
check "watchdog: the flag names the cause from the report: app_killed_watchdog ($(field "$T/watchdog.out" cause) $(field "$T/watchdog.out" confidence))" \
	"[ '$(field "$T/watchdog.out" cause)' = app_killed_watchdog ]" "$T/watchdog.out"
check "watchdog: the report's reason says 0x8badf00d" \
	"field '$T/watchdog.out' reports.0.reason | grep -q 0x8badf00d" "$T/watchdog.out"
check "watchdog: callsightd copied the report" "cmp -s '$WATCHDOG' '$T/watchdog.crash/$U/Meetly-2024-09-30-172810.ips'"
session_end watchdog
fake_quit

# ---- the syslog alone (the "before")
session none "$JETSAM" --no-crash-reports
check "none: without reports the kill has no name ($(field "$T/none.out" cause) $(field "$T/none.out" confidence))" \
	"[ '$(field "$T/none.out" cause)' = unknown ] && [ -z '$(field "$T/none.out" reports)' ]" "$T/none.out"
check "none: nothing was copied" "[ ! -e '$T/none.crash' ]"
session_end none
fake_quit
check "no sanitizer report from the emulator" "sanitizer_clean '$T/fake.err'" "$T/fake.err"

finish

#!/bin/sh
# lib.sh - shared helpers for the e2e scripts (tests/e2e/live-*.sh): source it with
#     . "$(dirname "$0")/lib.sh"
# It finds the repo root and the build (env CALLSIGHT_BUILD, default build), makes a private
# mktemp -d folder $T, counts results (ok/bad/check, "N passed, N failed" from finish), drives the
# emulator through a FIFO on its stdin (as fakedevice-tools.sh does), starts callsightd and socket
# subscribers (tests/e2e/nd-client.c), watches NDJSON files, and kills everything it started on
# exit, on a signal, or when the script's time budget (lib_watchdog) runs out.
# Set CS_KEEP=1 to keep $T (logs) after the run.

# Run on its own (tests/run-suites.sh runs every tests/e2e/*.sh): nothing to test here.
case ${0##*/} in
lib.sh) echo "lib.sh: helpers for tests/e2e/live-*.sh, not a test"; echo "0 passed, 0 failed"; exit 0 ;;
esac

set -u
HERE=$(cd "$(dirname "$0")/../.." && pwd)
cd "$HERE" || exit 1
B=${CALLSIGHT_BUILD:-build}
case $B in /*) ;; *) B=$HERE/$B ;; esac
CSD=$B/callsightd
FAKE=$B/fakeiphone
DEMO=$HERE/tests/fakedevice/demo.syslog
PASS=0
FAIL=0
SKIP=0
PIDS=""		# background processes to kill on exit
FPID=""		# the emulator
WD=""
T=$(mktemp -d "${TMPDIR:-/tmp}/cs-live.XXXXXX") || exit 1
MUX=$T/mux.sock
MUXADDR=UNIX:$MUX
SOCK=$T/cs/sock		# callsightd's client socket (its folder is created 0700 by the daemon)

# ---------------------------------------------------------------- results
# (ok, bad, check, skip; finish prints "N passed, N failed, N skipped" for tests/run-suites.sh)

ok() { PASS=$((PASS + 1)); echo "ok   - $1"; }
# bad NAME [FILE]: a failure, with the head of FILE for the diagnosis
bad() {
	FAIL=$((FAIL + 1))
	echo "FAIL - $1"
	if [ -n "${2:-}" ] && [ -f "$2" ]; then tail -n 15 "$2" | cut -c1-400 | sed 's/^/       /'; fi
	return 0
}
# check NAME CONDITION [FILE]
check() { if eval "$2"; then ok "$1"; else bad "$1" "${3:-}"; fi; }
note() { echo "     # $*"; }
# skip NAME REASON: a check that cannot run here - said, with why, and counted (never silent)
skip() { SKIP=$((SKIP + 1)); echo "skip - $1: $2"; }

# wait_for SECONDS CONDITION: poll every 0.1 s
wait_for() {
	_n=0
	while [ $_n -lt $(($1 * 10)) ]; do
		eval "$2" && return 0
		sleep 0.1
		_n=$((_n + 1))
	done
	return 1
}

# count PATTERN FILE: lines of FILE matching the extended regexp (0 when absent)
count() { _c=$(grep -c -E -- "$1" "$2" 2>/dev/null); echo "${_c:-0}"; }
# wait_count N SECONDS PATTERN FILE: wait until at least N lines match
wait_count() { wait_for "$2" "[ \$(count '$3' '$4') -ge $1 ]"; }

# ---------------------------------------------------------------- processes and clean-up

lib_cleanup() {
	trap - EXIT INT TERM
	if [ -n "$WD" ]; then
		: >"$T/wd.stop"
		[ -f "$T/wd.pid" ] && kill "$(cat "$T/wd.pid")" 2>/dev/null
		wait "$WD" 2>/dev/null
		WD=""
	fi
	for p in $PIDS $FPID; do kill "$p" 2>/dev/null; done
	_n=0
	while [ $_n -lt 30 ]; do
		_alive=""
		for p in $PIDS $FPID; do kill -0 "$p" 2>/dev/null && _alive=1; done
		[ -z "$_alive" ] && break
		sleep 0.1
		_n=$((_n + 1))
	done
	for p in $PIDS $FPID; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	exec 3>&- 2>/dev/null
	if [ "${CS_KEEP:-0}" = 1 ]; then echo "     # logs kept in $T"; else rm -rf "$T"; fi
}

# finish: clean up, print the closing line, exit with the verdict
finish() {
	lib_cleanup
	echo "$PASS passed, $FAIL failed, $SKIP skipped"
	[ "$FAIL" -eq 0 ] && exit 0
	exit 1
}

on_timeout() {
	bad "the script finished within its time budget (${LIB_BUDGET:-?} s)"
	finish
}
trap lib_cleanup EXIT
trap finish INT
trap on_timeout TERM

# lib_watchdog SECONDS: TERM ourselves when the budget is spent (the trap cleans up and fails)
lib_watchdog() {
	LIB_BUDGET=$1
	( sleep "$1" & echo $! >"$T/wd.pid"; wait $!; [ -e "$T/wd.stop" ] || kill -TERM $$ 2>/dev/null ) 2>/dev/null &
	WD=$!
}

# need the binaries, build nd-client into $T
lib_require() {
	for f in "$CSD" "$FAKE"; do
		if [ ! -x "$f" ]; then
			bad "binary $f exists (make all, or make SANITIZE=1 all)"
			finish
		fi
	done
	if ! ${CC:-cc} -std=c17 -O2 -Wall "$HERE/tests/e2e/nd-client.c" \
	    $(pkg-config --cflags --libs jansson) -o "$T/nd-client" 2>"$T/nd-client.build"; then
		bad "nd-client builds" "$T/nd-client.build"
		finish
	fi
	NDC=$T/nd-client
}

# ---------------------------------------------------------------- the emulator

# fake_start ARGS...: the emulator on $MUX, commands from the FIFO on fd 3, replies appended to
# $T/fake.replies, stderr appended to $T/fake.err; waits for its "ready" line
fake_start() {
	[ -p "$T/fake.cmd" ] || mkfifo "$T/fake.cmd"
	_ready=$(count 'fakeiphone: ready' "$T/fake.err")
	"$FAKE" -s "$MUX" "$@" <"$T/fake.cmd" >>"$T/fake.replies" 2>>"$T/fake.err" &
	FPID=$!
	exec 3>"$T/fake.cmd"
	# FAKE_READY_S: the ASan emulator loads a 100,000-line capture in ~30 s (one realloc per line)
	if ! wait_for "${FAKE_READY_S:-60}" "[ \$(count 'fakeiphone: ready' '$T/fake.err') -gt $_ready ]"; then
		bad "emulator starts" "$T/fake.err"
		finish
	fi
}

# fake_kill9: kill -9 the emulator (no goodbye to anyone)
fake_kill9() {
	kill -9 "$FPID" 2>/dev/null
	wait "$FPID" 2>/dev/null
	FPID=""
	exec 3>&-
}

# cmd TEXT: send one control command, print its reply line
cmd() {
	_before=$(wc -l <"$T/fake.replies" 2>/dev/null || echo 0)
	echo "$1" >&3
	wait_for 10 "[ \$(wc -l <'$T/fake.replies') -gt $_before ]"
	sed -n "$((_before + 1))p" "$T/fake.replies"
}

# stat_of UDID KEY: one number from the emulator's `stats` (UDID without the dash)
stat_of() {
	_u=$(echo "$1" | tr -d -)
	cmd stats | tr ';' '\n' | sed 's/ \([0-9A-Fa-f]\{8\}\)-\([0-9A-Fa-f]\{16\}\) / \1\2 /' | grep -i -- " $_u " |
	    sed -n "s/.* $2=\([0-9]*\).*/\1/p"
}

# devline MESSAGE: a device line as syslog_relay sends it
devline() { echo "Nov 25 14:09:00 iPhone App(Foundation)[4242] <Notice>: $1"; }

# ---------------------------------------------------------------- callsightd and subscribers

# csd_start NAME ARGS...: callsightd in the background; stdout $T/NAME.out, stderr $T/NAME.err;
# its pid in CSD_NAME
csd_start() {
	_name=$1
	shift
	USBMUXD_SOCKET_ADDRESS=$MUXADDR "$CSD" "$@" >"$T/$_name.out" 2>"$T/$_name.err" &
	eval "CSD_$_name=$!"
	PIDS="$PIDS $!"
}
csd_pid() { eval "echo \$CSD_$1"; }
csd_alive() { kill -0 "$(csd_pid "$1")" 2>/dev/null; }

# csd_stop NAME: SIGTERM, wait up to 15 s; the exit status in RC (137 when it had to be killed)
csd_stop() {
	_p=$(csd_pid "$1")
	kill -TERM "$_p" 2>/dev/null
	if ! wait_for 15 "! kill -0 $_p 2>/dev/null"; then
		kill -9 "$_p" 2>/dev/null
	fi
	wait "$_p" 2>/dev/null
	RC=$?
}

# session_end NAME: stop callsightd NAME (it must exit 0, with no sanitizer report) and the emulator
session_end() {
	csd_stop "$1"
	check "$1: callsightd exits 0 on SIGTERM (got $RC)" "[ $RC -eq 0 ]" "$T/$1.err"
	check "$1: no sanitizer report from callsightd" "sanitizer_clean '$T/$1.err'" "$T/$1.err"
	cmd quit >/dev/null
	wait "$FPID" 2>/dev/null
	FPID=""
}

# sanitizer_clean FILE: no ASan/UBSan/LSan report in it
sanitizer_clean() {
	! grep -q -e 'ERROR: AddressSanitizer' -e 'runtime error:' -e 'ERROR: LeakSanitizer' \
	    -e 'ThreadSanitizer' "$1" 2>/dev/null
}

# sub_start NAME [DEVICE]: a subscriber with lines on callsightd's socket; records to $T/NAME.rec,
# decoded line messages to $T/NAME.msg; waits for the subscription's "ok"
sub_start() {
	_req='{"request":"subscribe","lines":true,"id":1}'
	[ -n "${2:-}" ] && _req="{\"request\":\"subscribe\",\"lines\":true,\"device\":\"$2\",\"id\":1}"
	"$NDC" -w 20 -m "$T/$1.msg" "$SOCK" "$_req" >"$T/$1.rec" 2>"$T/$1.err" &
	eval "SUB_$1=$!"
	PIDS="$PIDS $!"
	wait_for 20 "grep -q '\"type\":\"ok\"' '$T/$1.rec'"
}
sub_stop() { eval "kill \$SUB_$1 2>/dev/null; wait \$SUB_$1 2>/dev/null"; }

# msg_count NAME PATTERN: received line messages matching a fixed string
msg_count() { _c=$(grep -c -F -- "$2" "$T/$1.msg" 2>/dev/null); echo "${_c:-0}"; }

# marker NAME UDID ID: inject a line "marker ID" until the emulator has a client for it, and wait
# for subscriber NAME to receive it; true when it arrived (the stream works end to end)
marker() {
	_i=0
	while [ $_i -lt 8 ]; do
		_i=$((_i + 1))
		_r=$(cmd "inject $2 $(devline "marker $3")")
		case $_r in
		*clients=0*|error*) sleep 0.5; continue ;;
		esac
		wait_for 4 "grep -qx 'marker $3' '$T/$1.msg'" && return 0
	done
	return 1
}

# dev_rec FILE UDID STATE: count of device records for UDID in STATE
dev_rec() { count "\"type\":\"device\".*\"device\":\"$2\".*\"state\":\"$3\"" "$1"; }

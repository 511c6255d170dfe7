#!/bin/sh
# live-equals-replay.sh - the same lines give the same verdict live and replayed, at any speed
# (issue 8, shared/causes.md "Time is the phone's"). Every scenario capture (tests/scenarios/*.log)
# is one emulated iPhone streaming it through the real usbmuxd/lockdownd/syslog_relay stack; one
# callsightd follows them all. Twice: at rate 0 (the whole capture in one burst, as a phone's
# backlog or an emulator flushes it) and at a phone's pace (RATE lines/s). For every capture the
# flags - severity, cause, confidence, seen/inferred, the line that raised it, the evidence lines
# and the alternatives - must equal `callsightd --replay` on the same file. Absolute times differ
# by design (a live stream is anchored to the host clock) and are not compared.
# usage (repo root): sh tests/e2e/live-equals-replay.sh   (env CALLSIGHT_BUILD, RATE)
. "$(dirname "$0")/lib.sh"
lib_watchdog 600
lib_require
if ! ${CC:-cc} -std=c17 -O2 -Wall "$HERE/tests/e2e/flagsig.c" $(pkg-config --cflags --libs jansson) \
    -o "$T/flagsig" 2>"$T/flagsig.build"; then
	bad "flagsig builds" "$T/flagsig.build"
	finish
fi
SIG=$T/flagsig
RATE=${RATE:-200}

# the replay verdicts, with the scenario suite's own arguments
n=0
for log in tests/scenarios/*.log; do
	n=$((n + 1))
	args=$(sed -n 's/^args: //p' "${log%.log}.expect")
	# shellcheck disable=SC2086
	"$CSD" --replay "$log" --json $args 2>/dev/null | "$SIG" >"$T/replay.$n"
	printf '%s\n' "$log" >"$T/name.$n"
done
note "$n captures"

# live RUN_NAME RATE: one emulator with a device per capture, one callsightd; flags per device
live() {
	: >"$T/$1.conf"
	i=0
	for log in tests/scenarios/*.log; do
		i=$((i + 1))
		printf '[device]\nudid = %s\nname = scen-%d\nssl = no\ncapture = %s\nrate = %s\n\n' \
		    "$(printf '00008030%016X' "$i")" "$i" "$HERE/$log" "$2" >>"$T/$1.conf"
	done
	fake_start -c "$T/$1.conf"
	# UTC, as the replays read zone-less stamps; the year and day are the host's (not compared)
	# (no crash-report fetch: the emulated kills leave no report, and the fetch would hold each
	# capture thread; a kill's verdict is speed-independent either way, see timeline.c diagnose())
	csd_start "$1" --json --no-store --no-socket --no-crash-reports --stall-timeout 0 --utc-offset +00:00
	# every capture sent to its end (eof=1 for all), then a moment for the daemon to read it
	if ! wait_for 200 "[ \$(cmd stats | tr ';' '\n' | grep -c 'eof=1') -ge $n ]"; then
		bad "$1: every capture streamed to its end" "$T/fake.err"
	fi
	sleep 3
	session_end "$1"
	"$SIG" -d <"$T/$1.out" >"$T/$1.sig"
	i=0
	same=0
	while [ $i -lt $n ]; do
		i=$((i + 1))
		u=$(printf '00008030-%016X' "$i")
		grep "^$u " "$T/$1.sig" | cut -d' ' -f2- >"$T/$1.live.$i"
		sed 's/^- //' "$T/replay.$i" >"$T/$1.want.$i"
		if cmp -s "$T/$1.live.$i" "$T/$1.want.$i"; then
			same=$((same + 1))
		else
			bad "$1: $(cat "$T/name.$i") live = replay"
			diff "$T/$1.want.$i" "$T/$1.live.$i" | sed 's/^/       /' | head -8
		fi
	done
	note "$1: $same of $n captures gave the replay's flags"
	check "$1: every capture's flags equal its replay's" "[ $same -eq $n ]"
}

live burst 0
live paced "$RATE"
finish

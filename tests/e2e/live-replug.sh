#!/bin/sh
# live-replug.sh - 50 unplug/replug cycles while streaming. The emulated device has no capture:
# in each cycle it is attached, callsightd must report it (device record `streaming`), 10 lines
# with unique sequence numbers are injected while it streams, they must all reach a subscriber of
# callsightd's socket, then it is detached and callsightd must report `detached`. At the end: every
# cycle marked by device records (detached, then attached/streaming), zero lines lost while
# attached, no line twice, callsightd alive, exit 0 on SIGTERM, no sanitizer report.
# usage (repo root): sh tests/e2e/live-replug.sh   (env CALLSIGHT_BUILD, default build)
. "$(dirname "$0")/lib.sh"
lib_watchdog 88
lib_require

CYCLES=${LIVE_REPLUG_CYCLES:-50}
PER=${LIVE_REPLUG_LINES:-10}
U=2f1c0b7e9a4d3c6b5a8e7f9d0c1b2a3e4f5d6c7b

fake_start -d "udid=$U,name=Replug-iPhone,ssl=1,attached=0"
csd_start d --json --no-store --socket "$SOCK" --stall-timeout 0
if sub_start s; then ok "subscriber connected"; else bad "subscriber connects" "$T/d.err"; finish; fi

streaming='"type":"device".*"device":"'$U'".*"state":"streaming"'
detached='"type":"device".*"device":"'$U'".*"state":"detached"'
miss_stream=0
miss_detach=0
miss_inject=0
sent=0
c=1
t0=$(date +%s)
while [ $c -le $CYCLES ]; do
	cmd "attach $U" >/dev/null
	if ! wait_count $c 10 "$streaming" "$T/d.out"; then
		miss_stream=$((miss_stream + 1))
		note "cycle $c: no 'streaming' record within 10 s"
	fi
	# inject only while callsightd's syslog connection is up (the emulator counts its clients)
	i=1
	while [ $i -le $PER ]; do
		r=$(cmd "inject $U $(devline "replug cycle=$c line=$i")")
		case $r in
		*clients=1*) sent=$((sent + 1)) ;;
		*) miss_inject=$((miss_inject + 1)); note "cycle $c line $i: inject reached no client ($r)" ;;
		esac
		i=$((i + 1))
	done
	# all of this cycle's lines arrive while the device is still attached
	wait_for 5 "[ \$(msg_count s 'replug cycle=$c line=') -ge $PER ]"
	before=$(count "$detached" "$T/d.out")
	cmd "detach $U" >/dev/null
	if ! wait_count $((before + 1)) 10 "$detached" "$T/d.out"; then
		miss_detach=$((miss_detach + 1))
		note "cycle $c: no 'detached' record within 10 s"
	fi
	c=$((c + 1))
done
t1=$(date +%s)
note "$CYCLES cycles in $((t1 - t0)) s; $sent lines injected while attached"

check "every attach reported as streaming ($miss_stream of $CYCLES missed)" "[ $miss_stream -eq 0 ]" "$T/d.err"
check "every detach reported as detached ($miss_detach of $CYCLES missed)" "[ $miss_detach -eq 0 ]" "$T/d.err"
check "every injected line had callsightd as a client ($miss_inject refused)" "[ $miss_inject -eq 0 ]"

# the order of device states: each detached is followed by attached (and streaming) again
sed -n 's/.*"type":"device".*"state":"\([a-z]*\)".*/\1/p' "$T/d.out" >"$T/states"
awk -v cycles="$CYCLES" '
	$1 == "streaming" && (seen_detach || n == 0) { n++; seen_detach = 0 }
	$1 == "detached" { if (!seen_detach) d++; seen_detach = 1 }
	END { exit !(n >= cycles && d >= cycles) }' "$T/states"
check "device records: $CYCLES x (streaming ... detached) in order" "[ $? -eq 0 ]" "$T/states"
check "an 'attached' record precedes each 'streaming' one" \
	"[ \$(grep -c '^attached' '$T/states') -ge $CYCLES ]" "$T/states"

grep '^replug cycle=' "$T/s.msg" | sort >"$T/got"
c=1
while [ $c -le $CYCLES ]; do
	i=1
	while [ $i -le $PER ]; do echo "replug cycle=$c line=$i"; i=$((i + 1)); done
	c=$((c + 1))
done | sort >"$T/want"
comm -23 "$T/want" "$T/got" >"$T/lost"
check "zero lines lost while attached ($(wc -l <"$T/lost") of $((CYCLES * PER)) lost)" "[ ! -s '$T/lost' ]" "$T/lost"
check "no line received twice" "[ \$(uniq -d '$T/got' | wc -l) -eq 0 ]"

check "callsightd alive after $CYCLES cycles" "csd_alive d" "$T/d.err"
csd_stop d
check "callsightd exits 0 on SIGTERM (got $RC)" "[ $RC -eq 0 ]" "$T/d.err"
check "no sanitizer report from callsightd" "sanitizer_clean '$T/d.err'" "$T/d.err"
check "no sanitizer report from the emulator" "sanitizer_clean '$T/fake.err'" "$T/fake.err"
finish

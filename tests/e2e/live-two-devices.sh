#!/bin/sh
# live-two-devices.sh - two devices at once, each record keyed by the right UDID. Device A (24-char
# UDID, SSL session) streams the demo call (tests/fakedevice/demo.syslog: the app is suspended on
# lock and the call drops); device B (40-hex UDID, no SSL) streams noise only (the demo's lines
# with everything about the app, its audio and its session taken out). Checks: device records for
# both with their own names, A's flag carries A's UDID, zero flags with B's UDID, the app's events
# only on A, every line record on the right device (line counts per device = what each sent), a
# subscriber filtered to B sees nothing of A, callsightd alive, exit 0 on SIGTERM.
# usage (repo root): sh tests/e2e/live-two-devices.sh   (env CALLSIGHT_BUILD, default build)
. "$(dirname "$0")/lib.sh"
lib_watchdog 85
lib_require

A=00008030001A2D1E3C02802E
AD=00008030-001A2D1E3C02802E
BU=2f1c0b7e9a4d3c6b5a8e7f9d0c1b2a3e4f5d6c7b

grep -v -i -e videocall -e 4242 -e session -e opentok -e audio -e mediaserverd "$DEMO" |
	sed 's/ Annas-iPhone / Bobs-iPhone /' >"$T/noise.syslog"
NA=$(wc -l <"$DEMO")
NB=$(wc -l <"$T/noise.syslog")

cat >"$T/fake.conf" <<EOF
[device]
udid = $A
name = Annas-iPhone
ssl = yes
capture = $DEMO
attached = no

[app]
bundle = com.example.VideoCall
name = VideoCall
mic = VideoCall needs the microphone for calls.
camera = VideoCall needs the camera for video calls.

[device]
udid = $BU
name = Bobs-iPhone
version = 12.5.7
ssl = no
capture = $T/noise.syslog
attached = no

[app]
bundle = com.example.VideoCall
name = VideoCall
modes = audio,voip
mic = VideoCall needs the microphone for calls.
camera = VideoCall needs the camera for video calls.
EOF

fake_start -c "$T/fake.conf"
csd_start d --json --no-store --socket "$SOCK" --stall-timeout 0
sub_start all || { bad "subscriber (all devices) connects" "$T/d.err"; finish; }
sub_start onlyb "$BU" || { bad "subscriber (device B) connects" "$T/d.err"; finish; }
ok "two subscribers connected (all devices; device B only)"

cmd "attach $A" >/dev/null
cmd "attach $BU" >/dev/null
check "A: streaming record with A's UDID and name" \
	"wait_count 1 15 '\"type\":\"device\",.*\"device\":\"$AD\",\"name\":\"Annas-iPhone\".*\"state\":\"streaming\"' '$T/d.out'" "$T/d.out"
check "B: streaming record with B's UDID and name" \
	"wait_count 1 15 '\"type\":\"device\",.*\"device\":\"$BU\",\"name\":\"Bobs-iPhone\".*\"state\":\"streaming\"' '$T/d.out'" "$T/d.out"

# both captures run at full speed; then the streams go silent (the reader flushes on idle)
wait_for 20 "[ \$(count '\"type\":\"line\".*\"device\":\"$AD\"' '$T/all.rec') -ge $NA ] && \
	[ \$(count '\"type\":\"line\".*\"device\":\"$BU\"' '$T/all.rec') -ge $NB ]"
wait_count 1 10 "\"type\":\"flag\".*\"device\":\"$AD\".*\"cause\":\"missing_background_mode\"" "$T/d.out"
sleep 2		# anything late (a misrouted flag, a duplicate) would show now

la=$(count "\"type\":\"line\".*\"device\":\"$AD\"" "$T/all.rec")
lb=$(count "\"type\":\"line\".*\"device\":\"$BU\"" "$T/all.rec")
check "A: all $NA lines arrived as A's (got $la)" "[ $la -eq $NA ]"
check "B: all $NB lines arrived as B's (got $lb)" "[ $lb -eq $NB ]"
check "every line record names A or B" "[ \$(count '\"type\":\"line\"' '$T/all.rec') -eq $((NA + NB)) ]"

check "A's dropped call is flagged with A's UDID (missing_background_mode)" \
	"[ \$(count '\"type\":\"flag\".*\"device\":\"$AD\".*\"cause\":\"missing_background_mode\"' '$T/d.out') -ge 1 ]" "$T/d.out"
check "zero flags with B's UDID" "[ \$(count '\"type\":\"flag\".*\"device\":\"$BU\"' '$T/d.out') -eq 0 ]" "$T/d.out"
grep '"type":"flag"' "$T/d.out" | grep -v "\"type\":\"flag\",\"id\":[0-9]*,\"time\":\"[^\"]*\",\"device\":\"$AD\"" >"$T/strayflags"
check "every flag carries A's UDID in its device field" "[ ! -s '$T/strayflags' ]" "$T/strayflags"
check "the app's events are A's only" \
	"[ \$(count '\"type\":\"event\".*\"device\":\"$BU\".*\"process\":\"VideoCall\"' '$T/d.out') -eq 0 ] && \
	 [ \$(count '\"type\":\"event\".*\"device\":\"$AD\".*\"process\":\"VideoCall\"' '$T/d.out') -ge 1 ]" "$T/d.out"
check "no state of the app under test on B" \
	"[ \$(count '\"type\":\"state\".*\"device\":\"$BU\".*\"app\":\"com.example.VideoCall\"' '$T/d.out') -eq 0 ]" "$T/d.out"
check "the app record is A's (no background modes), none for B" \
	"grep -q '\"type\":\"app\",\"device\":\"$AD\",\"bundle\":\"com.example.VideoCall\",\"background_modes\":\[\]' '$T/d.out' && \
	 ! grep -q '\"type\":\"app\",\"device\":\"$BU\"' '$T/d.out'" "$T/d.out"
check "B's subscriber: B's $NB lines, nothing of A" \
	"[ \$(count '\"type\":\"line\".*\"device\":\"$BU\"' '$T/onlyb.rec') -eq $NB ] && ! grep -q '$AD' '$T/onlyb.rec'" "$T/onlyb.rec"
check "B's subscriber: no flag" "! grep -q '\"type\":\"flag\"' '$T/onlyb.rec'" "$T/onlyb.rec"

check "callsightd alive" "csd_alive d" "$T/d.err"
csd_stop d
check "callsightd exits 0 on SIGTERM (got $RC)" "[ $RC -eq 0 ]" "$T/d.err"
check "no sanitizer report from callsightd" "sanitizer_clean '$T/d.err'" "$T/d.err"
check "no sanitizer report from the emulator" "sanitizer_clean '$T/fake.err'" "$T/fake.err"
finish

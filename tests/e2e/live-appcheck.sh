#!/bin/sh
# live-appcheck.sh - the app check: callsightd --app com.example.VideoCall reads the installed app's
# UIBackgroundModes and privacy strings from the phone (installation_proxy) and uses them in the
# diagnosis of the demo call (tests/fakedevice/demo.syslog, streamed as fast as callsightd reads,
# as a phone dumps its recent log on connect):
#   nomodes (twice: the check must win the race with the stream every time)
#       no background modes -> {"type":"app",...,"background_modes":[]} and the demo's flag is
#       missing_background_mode with confidence >= 0.95; no permission_denied (both strings set)
#   modes   audio,voip -> background_modes lists them; the drop is flagged, not as
#       missing_background_mode
#   nomic   no NSMicrophoneUsageDescription -> a permission_denied warning flag
# Every flag must carry the device's UDID and a real time (docs/protocol.md).
# usage (repo root): sh tests/e2e/live-appcheck.sh   (env CALLSIGHT_BUILD, default build)
. "$(dirname "$0")/lib.sh"
lib_watchdog 85
lib_require

U=00008030001A2D1E3C02802E
UD=00008030-001A2D1E3C02802E
MIC='mic = VideoCall needs the microphone for calls.'
CAM='camera = VideoCall needs the camera for video calls.'
FLAG='"type":"flag"'

# session NAME MODES MIC_LINE CAMERA_LINE: emulator + callsightd until the demo call is analysed;
# callsightd's records in $T/NAME.out
session() {
	cat >"$T/$1.conf" <<EOF
[device]
udid = $U
name = Annas-iPhone
ssl = yes
capture = $DEMO

[app]
bundle = com.example.VideoCall
name = VideoCall
version = 2.3.1
modes = $2
$3
$4

[app]
bundle = com.example.Notes
name = Notes Plus
modes = audio
EOF
	sed -i 's/^modes = $//' "$T/$1.conf"
	fake_start -c "$T/$1.conf"
	csd_start "$1" --json --no-store --no-socket -u "$UD" --stall-timeout 0 --app com.example.VideoCall
	# the demo's drop settles at its sessionDidDisconnect line; then the stream is silent
	wait_count 1 15 "$FLAG.*\"severity\":\"disconnect\"" "$T/$1.out"
	wait_count 1 10 '"type":"app"' "$T/$1.out"
	sleep 2
	check "$1: callsightd alive" "csd_alive $1" "$T/$1.err"
	session_end "$1"
	exec 3>&-
	# flags: cause confidence device time, one per line
	grep "$FLAG" "$T/$1.out" | sed -n 's/.*"time":"\([^"]*\)","device":"\([^"]*\)".*"severity":"\([a-z]*\)","cause":"\([a-z_]*\)".*"confidence":\([0-9.]*\).*/\4 \5 \3 \2 \1/p' >"$T/$1.flags"
	check "$1: every flag carries the UDID and a real time" \
		"[ -s '$T/$1.flags' ] && awk '\$4 != \"$UD\" || \$5 ~ /^1970/ { bad = 1 } END { exit bad }' '$T/$1.flags'" "$T/$1.flags"
}
app_rec() { grep '"type":"app"' "$T/$1.out" | head -n 1; }

# ---- no background modes
for run in nomodes1 nomodes2; do
	session $run "" "$MIC" "$CAM"
	check "$run: app record with background_modes [] for the UDID" \
		"app_rec $run | grep -q '\"device\":\"$UD\",\"bundle\":\"com.example.VideoCall\",\"background_modes\":\[\],\"microphone_usage\":true,\"camera_usage\":true'" "$T/$run.out"
	check "$run: the drop is missing_background_mode with confidence >= 0.95" \
		"awk '\$1 == \"missing_background_mode\" && \$2 >= 0.95 { f = 1 } END { exit !f }' '$T/$run.flags'" "$T/$run.flags"
	check "$run: the app record comes before the flag it informs" \
		"[ \$(grep -n '\"type\":\"app\"' '$T/$run.out' | head -n 1 | cut -d: -f1) -lt \$(grep -n 'missing_background_mode' '$T/$run.out' | head -n 1 | cut -d: -f1) ]" "$T/$run.out"
	check "$run: no permission_denied (both usage strings set)" "! grep -q permission_denied '$T/$run.flags'" "$T/$run.flags"
	# issue 9: the first record knows no SDK yet; the flag names OpenTok and the record follows it
	check "$run: the app record is sent again with the flag's sdk (opentok)" \
		"app_rec $run | grep -q '\"sdk\":\"\"' && grep '\"type\":\"app\"' '$T/$run.out' | sed -n 2p | grep -q '\"sdk\":\"opentok\"'" "$T/$run.out"
done

# ---- audio + voip
session modes "audio,voip" "$MIC" "$CAM"
check "modes: background_modes lists audio and voip" \
	"app_rec modes | grep -q '\"background_modes\":\[\"audio\",\"voip\"\]'" "$T/modes.out"
check "modes: the drop is flagged" "grep -q ' disconnect ' '$T/modes.flags'" "$T/modes.flags"
check "modes: the flag is not missing_background_mode" "! grep -q '^missing_background_mode' '$T/modes.flags'" "$T/modes.flags"

# ---- no microphone usage description
session nomic "audio,voip" "" "$CAM"
check "nomic: app record says microphone_usage false" "app_rec nomic | grep -q '\"microphone_usage\":false'" "$T/nomic.out"
check "nomic: a permission_denied warning flag" "grep -q '^permission_denied [0-9.]* warning' '$T/nomic.flags'" "$T/nomic.flags"
check "nomic: permission_denied raised once" "[ \$(grep -c '^permission_denied' '$T/nomic.flags') -eq 1 ]" "$T/nomic.flags"
check "nomic: the emulator saw no sanitizer problem" "sanitizer_clean '$T/fake.err'" "$T/fake.err"
finish

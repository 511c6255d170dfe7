#!/bin/sh
# replay-app-info.sh - `callsightd --replay FILE --app-info PATH` settles what the app declares the way
# the live app check does (tests/e2e/live-appcheck.sh, same demo call, same verdicts):
#   no --app-info            missing_background_mode, not settled (confidence < 0.95)
#   Info.plist without modes missing_background_mode with confidence >= 0.95, an "app" record with
#                            background_modes []
#   Info.plist audio+voip    the drop is no longer missing_background_mode (no_active_audio_in_background)
# for each form the app comes in: an XML Info.plist, a binary one (made with plistutil), an .app
# folder, an .ipa (made with zip, with a framework's Info.plist inside that must not be taken);
# no microphone usage string -> the same permission_denied warning as live; and every malformed or
# absent PATH exits 1 with a message naming it.
# Prints "N passed, N failed"; exits non-zero when a check failed.
set -u
B=${CALLSIGHT_BUILD:-build}
D="$B/callsightd"
CAP=tests/fakedevice/demo.syslog
passed=0
failed=0
skipped=0
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT INT TERM
ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; for _e in "$T/err" "$T/out"; do [ -s "$_e" ] && sed 's/^/     | /' "$_e" | head -8; done; return 0; }
skip() { skipped=$((skipped + 1)); echo "skip $1"; }
for tool in jq zip plistutil; do
	command -v "$tool" >/dev/null 2>&1 || { echo "FAIL $tool is missing (make deps installs it)"; echo "0 passed, 1 failed"; exit 1; }
done

# plist MODES MIC: an XML Info.plist for com.example.VideoCall
plist() {
	cat <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>CFBundleIdentifier</key>
	<string>com.example.VideoCall</string>
	<key>CFBundleExecutable</key>
	<string>VideoCall</string>
	<key>NSCameraUsageDescription</key>
	<string>VideoCall needs the camera for video calls.</string>
EOF
	[ "$2" = mic ] && printf '\t<key>NSMicrophoneUsageDescription</key>\n\t<string>VideoCall needs the microphone for calls.</string>\n'
	if [ -n "$1" ]; then
		printf '\t<key>UIBackgroundModes</key>\n\t<array>\n'
		for m in $1; do printf '\t\t<string>%s</string>\n' "$m"; done
		printf '\t</array>\n'
	fi
	printf '</dict>\n</plist>\n'
}
plist "" mic >"$T/nomodes.plist"
plist "audio voip" mic >"$T/modes.plist"
plist "audio voip" nomic >"$T/nomic.plist"
plistutil -i "$T/nomodes.plist" -o "$T/nomodes.bin" -f bin >/dev/null 2>&1
plistutil -i "$T/modes.plist" -o "$T/modes.bin" -f bin >/dev/null 2>&1
head -c 8 "$T/modes.bin" | grep -q bplist00 || { echo "FAIL plistutil did not write a binary plist"; echo "0 passed, 1 failed"; exit 1; }
mkdir -p "$T/nomodes/VideoCall.app" "$T/modes/VideoCall.app"
cp "$T/nomodes.plist" "$T/nomodes/VideoCall.app/Info.plist"
cp "$T/modes.bin" "$T/modes/VideoCall.app/Info.plist"
# .ipa: Payload/VideoCall.app/Info.plist, plus a framework's Info.plist listed first
for kind in nomodes modes; do
	d="$T/ipa-$kind/Payload/VideoCall.app"
	mkdir -p "$d/Frameworks/OpenTok.framework"
	other=modes; [ "$kind" = modes ] && other=nomodes
	sed 's/com.example.VideoCall/com.tokbox.OpenTok/' "$T/$other.plist" >"$d/Frameworks/OpenTok.framework/Info.plist"
	cp "$T/$kind.bin" "$d/Info.plist"
	(cd "$T/ipa-$kind" && zip -q -r "$T/VideoCall-$kind.ipa" Payload/VideoCall.app/Frameworks Payload/VideoCall.app/Info.plist)
done

# replay NAME [ARGS]: the demo call's records in $T/NAME.out; rc in $T/NAME.rc
replay() {
	_n=$1; shift
	"$D" --replay "$CAP" --json "$@" >"$T/out" 2>"$T/err"
	echo $? >"$T/rc"
	cp "$T/out" "$T/$_n.out"
}
flag_cause() { jq -r 'select(.type == "flag" and .severity == "disconnect") | .cause' "$T/out" | head -n 1; }
flag_conf() { jq -r 'select(.type == "flag" and .severity == "disconnect") | .confidence' "$T/out" | head -n 1; }
app_modes() { jq -c 'select(.type == "app") | .background_modes' "$T/out"; }

replay none
base_conf=$(flag_conf)
if [ "$(cat "$T/rc")" = 0 ] && [ "$(flag_cause)" = missing_background_mode ] &&
    awk "BEGIN { exit !($base_conf < 0.95) }"; then
	ok "without --app-info: missing_background_mode, unsettled (confidence $base_conf)"
else bad "without --app-info: missing_background_mode below 0.95 (got $(flag_cause) $base_conf)"; fi

for form in nomodes.plist nomodes.bin nomodes/VideoCall.app VideoCall-nomodes.ipa; do
	replay "$form" --app-info "$T/$form"
	c=$(flag_conf)
	if [ "$(cat "$T/rc")" = 0 ] && [ "$(flag_cause)" = missing_background_mode ] &&
	    awk "BEGIN { exit !($c >= 0.95 && $c > $base_conf) }" && [ "$(app_modes)" = '[]' ]; then
		ok "--app-info $form (no modes): missing_background_mode settled (confidence $c), app record []"
	else bad "--app-info $form (no modes): want missing_background_mode >= 0.95 and modes [] (got $(flag_cause) $c $(app_modes))"; fi
done
for form in modes.plist modes.bin modes/VideoCall.app VideoCall-modes.ipa; do
	replay "$form" --app-info "$T/$form"
	if [ "$(cat "$T/rc")" = 0 ] && [ "$(flag_cause)" = no_active_audio_in_background ] &&
	    [ "$(app_modes)" = '["audio","voip"]' ]; then
		ok "--app-info $form (audio, voip): no_active_audio_in_background, app record lists the modes"
	else bad "--app-info $form (audio, voip): want no_active_audio_in_background (got $(flag_cause) $(app_modes))"; fi
done
replay nomic --app-info "$T/nomic.plist"
if jq -e -s 'any(.[]; .type == "flag" and .cause == "permission_denied")' "$T/out" >/dev/null &&
    ! jq -e -s 'any(.[]; .type == "flag" and .cause == "permission_denied")' "$T/modes.plist.out" >/dev/null; then
	ok "--app-info without NSMicrophoneUsageDescription: permission_denied warning (as live)"
else bad "--app-info without NSMicrophoneUsageDescription: want a permission_denied flag"; fi
# the same facts as the live check: the text output too
"$D" --replay "$CAP" --app-info "$T/modes.bin" >"$T/out" 2>"$T/err"
if grep -q "no_active_audio_in_background\|although it declares audio/voip" "$T/out"; then ok "text output follows --app-info"
else bad "text output follows --app-info"; fi

# malformed and absent: exit 1, the file named, nothing analysed
printf 'PK\003\004 this is not really a zip' >"$T/broken.ipa"
printf 'bplist00\001\002garbage' >"$T/truncated.bin"
printf '<?xml version="1.0"?><plist><array><string>x</string></array></plist>' >"$T/array.plist"
sed '/CFBundleIdentifier/,+1d' "$T/modes.plist" >"$T/nobundle.plist"
(cd "$T/ipa-modes" && zip -q -r "$T/nopayload.ipa" Payload/VideoCall.app/Frameworks)
mkdir -p "$T/empty.app"
: >"$T/empty.plist"
for bad_path in "$T/missing.plist" "$T/broken.ipa" "$T/truncated.bin" "$T/array.plist" "$T/nobundle.plist" \
    "$T/nopayload.ipa" "$T/empty.app" "$T/empty.plist" "$CAP"; do
	"$D" --replay "$CAP" --json --app-info "$bad_path" >"$T/out" 2>"$T/err"
	rc=$?
	if [ "$rc" = 1 ] && grep -q -- "--app-info: $bad_path" "$T/err" && ! grep -q '"type":"flag"' "$T/out"; then
		ok "--app-info ${bad_path##*/}: exit 1, named ($(head -c 120 "$T/err" | sed "s|$T/||g" | tr -d '\n'))"
	else bad "--app-info ${bad_path##*/}: want exit 1 naming it (got $rc)"; fi
done
"$D" --app-info "$T/modes.plist" >"$T/out" 2>"$T/err"
if [ $? = 2 ] && grep -q -- "--app-info goes with --replay" "$T/err"; then ok "--app-info without --replay: exit 2"
else bad "--app-info without --replay: exit 2"; fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

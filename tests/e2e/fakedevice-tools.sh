#!/bin/sh
# fakedevice-tools.sh - proves tests/fakedevice/fakeiphone against the stock libimobiledevice
# tools (idevice_id, ideviceinfo, idevicesyslog, ideviceinstaller): two devices, one with SSL
# sessions and one without, on a private usbmuxd socket. Drives the emulator through its stdin
# (a FIFO) and checks listing, values, byte-exact syslog streaming, app listing, unplug, passcode
# lock, stall/resume, injected records, usbmuxd restart and loopback TCP.
# Usage: tests/e2e/fakedevice-tools.sh [path/to/fakeiphone]   (default build/fakeiphone)
# Prints "N passed, N failed" last; exits non-zero on any failure.

set -u
HERE=$(cd "$(dirname "$0")/../.." && pwd)
FAKE=${1:-$HERE/${CALLSIGHT_BUILD:-build}/fakeiphone}
DEMO=$HERE/tests/fakedevice/demo.syslog
PASS=0
FAIL=0
SKIP=0

for t in idevice_id ideviceinfo idevicesyslog ideviceinstaller; do
	command -v $t >/dev/null 2>&1 || { echo "skip - every check: $t is not installed (make deps installs libimobiledevice-utils)"; echo "0 passed, 0 failed, 1 skipped"; exit 0; }
done
[ -x "$FAKE" ] || { echo "FAIL: no emulator at $FAKE (make build/fakeiphone)"; echo "0 passed, 1 failed"; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/fakedevice.XXXXXX")
FPID=
BG=
cleanup() {
	for p in $BG; do kill "$p" 2>/dev/null; done
	exec 3>&- 2>/dev/null
	if [ -n "$FPID" ]; then kill "$FPID" 2>/dev/null; wait "$FPID" 2>/dev/null; fi
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

ok() { PASS=$((PASS + 1)); echo "ok   - $1"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL - $1"; [ -n "${2:-}" ] && sed 's/^/       /' "$2" | head -20; return 0; }
check() { if eval "$2"; then ok "$1"; else bad "$1" "${3:-}"; fi; }

A=00008030001A2D1E3C02802E		# 24 characters: the tools show 00008030-001A2D1E3C02802E
AD=00008030-001A2D1E3C02802E
B=2f1c0b7e9a4d3c6b5a8e7f9d0c1b2a3e4f5d6c7b
PORT=$((20000 + $$ % 20000))

sed 's/ Annas-iPhone / Bobs-iPhone /' "$DEMO" > "$T/bob.syslog"
cat > "$T/fake.conf" <<EOF
[device]
udid = $A
name = Annas-iPhone
version = 17.5.1
product = iPhone12,1
ssl = yes
capture = $DEMO

[app]
bundle = com.example.VideoCall
name = VideoCall
version = 2.3.1
modes = audio,voip
mic = VideoCall needs the microphone for calls.
camera = VideoCall needs the camera for video calls.

[app]
bundle = com.example.Notes
name = Notes Plus
EOF

mkfifo "$T/cmd"
"$FAKE" -s "$T/mux.sock" -t "$PORT" -c "$T/fake.conf" \
	-d "udid=$B,name=Bobs-iPhone,version=12.5.7,ssl=0,capture=$T/bob.syslog,rate=400" \
	<"$T/cmd" >"$T/replies" 2>"$T/fake.err" &
FPID=$!
exec 3>"$T/cmd"
export USBMUXD_SOCKET_ADDRESS="UNIX:$T/mux.sock"

wait_for() {	# wait_for SECONDS CONDITION
	n=0
	while [ $n -lt $(($1 * 10)) ]; do eval "$2" && return 0; sleep 0.1; n=$((n + 1)); done
	return 1
}
lines() { wc -l < "$1" 2>/dev/null || echo 0; }
# cmd "text": send a control command, print its one-line reply
cmd() {
	before=$(lines "$T/replies")
	echo "$1" >&3
	wait_for 5 '[ $(lines "$T/replies") -gt $before ]'
	tail -n 1 "$T/replies"
}
stat_of() { cmd stats | tr ';' '\n' | grep "$1" | sed "s/.* $2=\([0-9]*\).*/\1/"; }
# syslog_start NAME UDID [OPTION]: idevicesyslog in the background, output in $T/NAME.out / .err
syslog_start() {
	idevicesyslog -u "$2" --no-colors ${3:-} >"$T/$1.out" 2>"$T/$1.err" &
	eval "SL_$1=$!"
	BG="$BG $!"
}
syslog_stop() { eval "kill \$SL_$1 2>/dev/null; wait \$SL_$1 2>/dev/null"; }
body() { grep -v -e '^\[connected\]$' -e '^\[disconnected\]$' -e '^Exiting\.\.\.$' -e '^$' "$1"; }
strip_name() { sed 's/^\(.\{16\}\)[^ ]* /\1/' "$1"; }	# idevicesyslog 1.3 drops the device name

if ! wait_for 30 '[ -S "$T/mux.sock" ] && grep -q ready "$T/fake.err"'; then
	bad "emulator starts" "$T/fake.err"
	echo "$PASS passed, $FAIL failed, $SKIP skipped"
	exit 1
fi
ok "emulator starts"

# ---- listing and values
idevice_id -l >"$T/ids" 2>&1
check "idevice_id -l lists the 24-char UDID with its dash" "grep -qx '$AD' '$T/ids'" "$T/ids"
check "idevice_id -l lists the 40-char UDID" "grep -qx '$B' '$T/ids'" "$T/ids"
check "ideviceinfo ProductVersion (SSL session)" "[ \"\$(ideviceinfo -u $AD -k ProductVersion 2>&1)\" = 17.5.1 ]"
check "ideviceinfo DeviceName (SSL session)" "[ \"\$(ideviceinfo -u $AD -k DeviceName 2>&1)\" = Annas-iPhone ]"
check "ideviceinfo ProductVersion (plain session)" "[ \"\$(ideviceinfo -u $B -k ProductVersion 2>&1)\" = 12.5.7 ]"
check "ideviceinfo DeviceName (plain session)" "[ \"\$(ideviceinfo -u $B -k DeviceName 2>&1)\" = Bobs-iPhone ]"
ideviceinfo -u $AD >"$T/info" 2>&1
check "ideviceinfo without key returns the whole dictionary" \
	"grep -q '^UniqueDeviceID: $AD\$' '$T/info' && grep -q '^ProductType: iPhone12,1\$' '$T/info'" "$T/info"

# ---- syslog: byte-exact against the capture (minus the device name idevicesyslog drops)
strip_name "$DEMO" >"$T/a.expected"
strip_name "$T/bob.syslog" >"$T/b.expected"
syslog_start a $AD
syslog_start b $B
wait_for 15 '[ $(body "$T/a.out" | wc -l) -ge 300 ] && [ $(body "$T/b.out" | wc -l) -ge 300 ]'
syslog_stop a
syslog_stop b
body "$T/a.out" >"$T/a.got"
body "$T/b.out" >"$T/b.got"
check "idevicesyslog (SSL device) prints [connected]" "head -n 1 '$T/a.out' | grep -qx '\[connected\]'" "$T/a.out"
check "idevicesyslog (SSL device) output is the capture, byte for byte" "cmp -s '$T/a.expected' '$T/a.got'" "$T/a.got"
check "idevicesyslog (plain device, 400 lines/s) output is the capture" "cmp -s '$T/b.expected' '$T/b.got'" "$T/b.got"
check "stats: lines sent = lines received" "[ \"\$(stat_of $AD lines)\" = \$(wc -l < '$T/a.got') ]"

# ---- apps
ideviceinstaller -u $AD -l >"$T/apps" 2>&1
check "ideviceinstaller -l lists VideoCall" "grep -q '^com.example.VideoCall, \"2.3.1\", \"VideoCall\"' '$T/apps'" "$T/apps"
check "ideviceinstaller -l lists Notes Plus" "grep -q '^com.example.Notes, \"1.0\", \"Notes Plus\"' '$T/apps'" "$T/apps"
ideviceinstaller -u $AD -l -o xml >"$T/apps.xml" 2>&1
check "ideviceinstaller -o xml shows UIBackgroundModes audio+voip" \
	"tr -d '\t\n' < '$T/apps.xml' | grep -q '<key>UIBackgroundModes</key><array><string>audio</string><string>voip</string></array>'" "$T/apps.xml"
check "ideviceinstaller -o xml shows the microphone purpose string" \
	"grep -q 'VideoCall needs the microphone for calls.' '$T/apps.xml'" "$T/apps.xml"
check "an app without background modes has no UIBackgroundModes" \
	"[ \$(grep -c '<key>UIBackgroundModes</key>' '$T/apps.xml') -eq 1 ]" "$T/apps.xml"

# ---- injected records, garbage, big lines (the capture of B is at its end now: silence)
syslog_start inj $B
wait_for 5 'grep -q connected "$T/inj.out"'
r=$(cmd "inject $B Nov 25 14:09:00 Bobs-iPhone VideoCall(Foundation)[4242] <Notice>: injected line")
check "inject answers ok with one client" "[ \"$r\" = 'ok inject $B clients=1' ]"
r=$(cmd "big $B 20000")
wait_for 5 'grep -aq "big line of 20000 bytes" "$T/inj.out"'
check "injected line arrives" "grep -q '^Nov 25 14:09:00 VideoCall(Foundation)\[4242\] <Notice>: injected line\$' '$T/inj.out'" "$T/inj.out"
check "a 20000-byte line arrives whole" "[ \$(grep -a 'big line of 20000' '$T/inj.out' | wc -c) -eq \$((20000 - 12 + 1)) ]"	# minus \"Bobs-iPhone \"
r=$(cmd "garbage $B 64")
check "garbage answers ok" "[ \"$r\" = 'ok garbage $B 64 clients=1' ]"
syslog_stop inj

# ---- stall / resume
cmd "rewind $B" >/dev/null
cmd "rate $B 100" >/dev/null
syslog_start st $B
wait_for 5 '[ $(body "$T/st.out" | wc -l) -ge 20 ]'
cmd "stall $B" >/dev/null
sleep 0.5
n1=$(body "$T/st.out" | wc -l)
sleep 1
n2=$(body "$T/st.out" | wc -l)
check "stall stops the stream (connection stays)" "[ $n1 -eq $n2 ] && [ \$(stat_of $B clients) -eq 1 ]"
cmd "resume $B" >/dev/null
check "resume goes on" "wait_for 5 '[ \$(body \"\$T/st.out\" | wc -l) -gt $n2 ]'"
syslog_stop st

# ---- unplug and replug
syslog_start det $AD -x		# -x: exit when the device goes away
wait_for 5 'grep -q connected "$T/det.out"'
r=$(cmd "detach $AD")
check "detach answers ok" "[ \"$r\" = 'ok detach $AD' ]"
check "idevicesyslog -x exits on Detached" "wait_for 5 '! kill -0 \$SL_det 2>/dev/null'"
syslog_stop det
check "idevicesyslog reports [disconnected]" "grep -qx '\[disconnected\]' '$T/det.out'" "$T/det.out"
check "idevice_id -l no longer lists the unplugged device" "! idevice_id -l | grep -q '$AD'"
check "ideviceinfo fails for the unplugged device" "! ideviceinfo -u $AD -k DeviceName >/dev/null 2>&1"
cmd "attach $AD" >/dev/null
check "after attach idevice_id -l lists it again" "idevice_id -l | grep -qx '$AD'"

# ---- passcode lock
cmd "lock $AD" >/dev/null
syslog_start lk $AD
check "lock: idevicesyslog reports the passcode message" \
	"wait_for 8 'grep -q \"passcode protected\" \"\$T/lk.err\"'" "$T/lk.err"
cmd "unlock $AD" >/dev/null
check "unlock: idevicesyslog connects" "wait_for 5 'grep -qx \"\\[connected\\]\" \"\$T/lk.out\"'" "$T/lk.out"
syslog_stop lk

# ---- usbmuxd restart, TCP on loopback
r=$(cmd restart)
check "restart answers ok" "[ \"$r\" = 'ok restart' ]"
check "tools work after a restart" "[ \"\$(ideviceinfo -u $B -k DeviceName 2>&1)\" = Bobs-iPhone ]"
check "usbmuxd over TCP 127.0.0.1:$PORT" \
	"USBMUXD_SOCKET_ADDRESS=127.0.0.1:$PORT idevice_id -l | grep -qx '$B'"
if command -v ss >/dev/null 2>&1; then
	check "TCP listener is bound to loopback only" "ss -ltn | grep ':$PORT ' | grep -q '127.0.0.1:$PORT'"
elif command -v lsof >/dev/null 2>&1; then	# macOS: no ss; lsof names the bound address
	check "TCP listener is bound to loopback only" "lsof -nP -iTCP:$PORT -sTCP:LISTEN | grep -q '127.0.0.1:$PORT'"
else
	SKIP=$((SKIP + 1))
	echo "skip - TCP listener is bound to loopback only: neither ss (iproute2) nor lsof is installed"
fi

# ---- errors and quit
r=$(cmd "detach 0000")
check "unknown device gives an error reply" "case \"$r\" in error*) true;; *) false;; esac"
cmd quit >/dev/null
check "quit ends the emulator cleanly" "wait_for 5 '! kill -0 $FPID 2>/dev/null' && wait $FPID"
FPID=
check "no sanitizer or TLS complaints on stderr" "! grep -qi -e 'sanitizer' -e 'runtime error' -e 'TLS handshake error' '$T/fake.err'" "$T/fake.err"

echo "$PASS passed, $FAIL failed, $SKIP skipped"
[ "$FAIL" -eq 0 ]

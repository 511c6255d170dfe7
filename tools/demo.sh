#!/bin/sh
# demo.sh - `make demo`: a fake iPhone (tests/fakedevice) streams a demo call that drops when the
# screen locks; callsightd follows it through the real libimobiledevice stack, and the callsight
# TUI shows it. Everything runs in a private temp dir and is stopped when you quit (q).
# usage: tools/demo.sh BUILD_DIR
set -eu
B=${1:-build}
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/callsight-demo.XXXXXX")
chmod 700 "$tmp"
fake_pid=""
daemon_pid=""
cleanup() {
	[ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
	[ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null && wait "$fake_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM HUP

udid=00008030-001A2D1E3C02802E
"$here/$B/fakeiphone" -n -s "$tmp/usbmuxd" \
	-d "udid=$udid,name=Demo-iPhone,version=17.5.1,capture=$here/tests/fakedevice/demo.syslog,rate=${DEMO_RATE:-20}" \
	-a "com.example.VideoCall,name=VideoCall,mic=Calls,camera=Video" 2>"$tmp/fakeiphone.log" &
fake_pid=$!
export USBMUXD_SOCKET_ADDRESS="UNIX:$tmp/usbmuxd"
i=0
while [ ! -S "$tmp/usbmuxd" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done

if [ -x "$here/$B/callsight" ] && [ -t 0 ] && [ -t 1 ]; then
	"$here/$B/callsightd" --socket "$tmp/sock" --store "$tmp/demo.db" --stall-timeout 0 \
		2>"$tmp/callsightd.log" &
	daemon_pid=$!
	i=0
	while [ ! -S "$tmp/sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	CALLSIGHT_REPORT_DIR=${CALLSIGHT_REPORT_DIR:-$PWD} "$here/$B/callsight" --socket "$tmp/sock"
else
	# no terminal (or no TUI): the daemon's own text output, until the demo call has dropped
	echo "callsight demo: following the fake iPhone $udid (Ctrl-C to stop)"
	"$here/$B/callsightd" --no-socket --store "$tmp/demo.db" --stall-timeout 0 -u "$udid" \
		--json 2>"$tmp/callsightd.log" | while IFS= read -r rec; do
		case "$rec" in
		*'"type":"flag"'*) echo "$rec"; echo "callsight demo: the call dropped; details above"; break ;;
		*'"type":"device"'*) echo "$rec" ;;
		esac
	done
fi

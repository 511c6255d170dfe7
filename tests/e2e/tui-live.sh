#!/bin/sh
# tui-live.sh - the callsight TUI attached to a live callsightd that follows the device emulator
# through the real libimobiledevice stack: a line injected into the emulator's stream shows up on
# the TUI's screen within a second; the header shows the device; a second client attaching finds
# the same daemon; q leaves the daemon running.
# Prints "N passed, N failed"; exits non-zero when a check failed.
set -u
B=${CALLSIGHT_BUILD:-build}
passed=0
failed=0
UDID=00008030-001A2D1E3C02802E
for f in "$B/callsight" "$B/callsightd" "$B/fakeiphone"; do
	if [ ! -x "$f" ]; then
		echo "tui-live: $f is missing (make all)"; echo "0 passed, 1 failed"; exit 1
	fi
done
command -v tmux >/dev/null 2>&1 || { echo "tui-live: tmux is not installed"; echo "0 passed, 1 failed"; exit 1; }

tmp=$(mktemp -d)
T="tmux -S $tmp/tmux.sock -f /dev/null"
fake_pid=""
daemon_pid=""
cleanup() {
	$T kill-server 2>/dev/null
	exec 3>&- 2>/dev/null
	[ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
	[ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null && wait "$fake_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; screen | sed 's/^/     | /'; }
screen() { $T capture-pane -p -t tui 2>/dev/null; }
now_ms() { date +%s%3N; }

# the emulator reads control commands from a FIFO on its stdin
mkfifo "$tmp/ctl"
"$B/fakeiphone" -s "$tmp/mux" \
	-d "udid=$UDID,name=Desk-iPhone,version=17.5.1,capture=tests/fakedevice/demo.syslog,rate=40" \
	-a "com.example.VideoCall,name=VideoCall,mic=Calls,camera=Video" <"$tmp/ctl" >"$tmp/fake.out" 2>"$tmp/fake.err" &
fake_pid=$!
exec 3>"$tmp/ctl"
i=0; while [ ! -S "$tmp/mux" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
export USBMUXD_SOCKET_ADDRESS="UNIX:$tmp/mux"
printf 'mine.hangup  call_user_hangup  VideoCall  /Hang-up button pressed/\n' >"$tmp/mine.rules"
"$B/callsightd" --socket "$tmp/run/sock" --store "$tmp/c.db" --stall-timeout 0 --rules "$tmp/mine.rules" \
	2>"$tmp/daemon.err" &
daemon_pid=$!
i=0; while [ ! -S "$tmp/run/sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done

$T new-session -d -s tui -x 120 -y 40 "TZ=UTC $B/callsight --socket $tmp/run/sock; echo \$? > $tmp/tui.rc; sleep 60"
i=0; while ! screen | grep -q "Desk-iPhone" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if screen | head -n 1 | grep -q "Desk-iPhone" && screen | head -n 1 | grep -q "LIVE"; then
	ok "header shows the live device"
else bad "header shows the live device"; fi

# wait until the demo stream has been read (its dropped call shows), then inject a reconnect
i=0; while ! screen | grep -q "1 dropped" && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
if screen | grep -q "1 dropped"; then ok "the demo call's drop is flagged live"
else bad "the demo call's drop is flagged live"; fi

t0=$(now_ms)
echo "inject $UDID Nov 25 14:20:00 Desk-iPhone VideoCall(Foundation)[4242] <Notice>: sessionDidBeginReconnecting:" >&3
seen=""
while [ $(( $(now_ms) - t0 )) -lt 3000 ]; do
	if screen | grep -q "call_reconnecting"; then seen=$(( $(now_ms) - t0 )); break; fi
	sleep 0.05
done
if [ -n "$seen" ] && [ "$seen" -le 1000 ]; then ok "an injected line is on screen within a second (${seen} ms)"
else bad "an injected line is on screen within a second (${seen:-never} ms)"; fi

# a second client finds the same daemon (no second daemon is started)
"$B/callsight" tail --socket "$tmp/run/sock" >"$tmp/tail.out" 2>&1 &
tail_pid=$!
sleep 1
kill "$tail_pid" 2>/dev/null; wait "$tail_pid" 2>/dev/null
if grep -q "device streaming Desk-iPhone" "$tmp/tail.out"; then ok "a second client attaches to the same daemon"
else bad "a second client attaches to the same daemon"; fi

# what the daemon logs as an error reaches the status line (issue 13 §4): a rules reload that fails
printf 'mine.broken  no_such_kind  *  /x/\n' >"$tmp/mine.rules"
kill -HUP "$daemon_pid"
i=0; while ! screen | tail -n 1 | grep -q "rules not reloaded" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
if screen | tail -n 1 | grep -q "callsightd error: SIGHUP: rules not reloaded"; then
	ok "the daemon's error is in the status line"
else bad "the daemon's error is in the status line"; fi

$T send-keys -t tui q
i=0; while [ ! -s "$tmp/tui.rc" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
if [ "$(cat "$tmp/tui.rc" 2>/dev/null)" = 0 ] && kill -0 "$daemon_pid" 2>/dev/null; then
	ok "q exits 0 and the daemon stays"
else bad "q exits 0 and the daemon stays"; fi
if grep -q -e "ERROR: AddressSanitizer" -e "runtime error:" "$tmp/daemon.err"; then
	bad "no sanitizer report"; sed 's/^/     | /' "$tmp/daemon.err" | head -40
else ok "no sanitizer report"; fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

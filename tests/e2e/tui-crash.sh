#!/bin/sh
# tui-crash.sh - the TUI shows the phone's report behind a flag: `callsight --crash-dir DIR FILE`
# in tmux on a capture whose syslog says only that the app went away (tests/scenarios/08 without its
# jetsam lines) and the JetsamEvent of tests/crash/jetsam; `e` opens the flag, whose detail must name
# app_killed_jetsam and list the report under "The phone's report"; `q` exits 0.
# Prints "N passed, N failed, N skipped"; exits non-zero when a check failed.
set -u
B=${CALLSIGHT_BUILD:-build}
passed=0
failed=0
if ! command -v tmux >/dev/null 2>&1; then
	echo "skip - tui-crash: tmux is not installed"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
tmp=$(mktemp -d)
T="tmux -S $tmp/tmux.sock -f /dev/null"
trap '$T kill-server 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; screen | sed 's/^/     | /'; }
screen() { $T capture-pane -p -t tui 2>/dev/null; }
wait_for() {
	i=0
	while [ "$i" -lt "$((${2:-10} * 10))" ]; do
		screen | grep -Eq -- "$1" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
grep -v -e 'memorystatus: Meetly' -e 'killed by jetsam' tests/scenarios/08_app_killed_jetsam.log >"$tmp/quiet.log"
touch -d '2024-10-01 12:00:00' "$tmp/quiet.log"	# the capture's year (its stamps have none) is the report's
$T new-session -d -s tui -x 160 -y 50 \
    "env TERM=xterm-256color $B/callsight --crash-dir $PWD/tests/crash/jetsam $tmp/quiet.log; echo \$? > $tmp/rc; sleep 60"
if wait_for 'DROP|app_killed_jetsam' 20; then ok "the capture opens with a flag"; else bad "the capture opens"; fi
$T send-keys -t tui e
sleep 0.5
if wait_for "The phone's report" 10 && wait_for 'JetsamEvent-2024-09-30-172810.ips' 5 && wait_for '\(bug_type 298' 5 &&
    wait_for 'per-process-limit' 5 && wait_for 'app_killed_jetsam' 5; then
	ok "the flag's detail shows app_killed_jetsam and the phone's JetsamEvent"
else bad "flag detail shows the report"; fi
$T send-keys -t tui q
i=0
while [ ! -s "$tmp/rc" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if [ "$(cat "$tmp/rc" 2>/dev/null)" = 0 ]; then ok "q exits 0"; else bad "q exits 0 (rc $(cat "$tmp/rc" 2>/dev/null))"; fi
echo "$passed passed, $failed failed, 0 skipped"
[ "$failed" -eq 0 ]

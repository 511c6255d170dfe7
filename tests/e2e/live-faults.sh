#!/bin/sh
# live-faults.sh - what a real phone and a real usbmuxd do to callsightd, one fault after another,
# each ending with callsightd still streaming (a marker line injected on the device reaches a
# subscriber of callsightd's socket) and no crash:
#   1. passcode lock before start: a `locked` device record; `unlock` -> `streaming`, lines arrive
#   2. a stalled stream (--stall-timeout 2): a `stalled` record; after `resume` it streams again
#   3. garbage (100,000 random bytes) and an oversized line (2,000,000 bytes): it keeps streaming;
#      the big line arrives cut (at 64 KiB), the next line arrives whole
#   4. the emulator killed with -9 and started again on the same sockets (usbmuxd over loopback TCP,
#      where libusbmuxd's Listen reconnects): callsightd recovers without being restarted
# Each part ends with: callsightd alive, exit 0 on SIGTERM, no sanitizer report.
# usage (repo root): sh tests/e2e/live-faults.sh   (env CALLSIGHT_BUILD, default build)
. "$(dirname "$0")/lib.sh"
lib_watchdog 88
lib_require

U=00008030001A2D1E3C02802E
UD=00008030-001A2D1E3C02802E
PORT=$((30000 + $$ % 20000))
dev() { echo "\"type\":\"device\".*\"device\":\"$UD\".*\"state\":\"$1\""; }

# a slow endless background stream, so that a stream is never silent unless stalled
grep -v -i -e videocall -e 4242 "$DEMO" >"$T/noise.syslog"

# ---------------------------------------------------------------- 1-3: Unix socket usbmuxd
fake_start -d "udid=$U,name=Faulty-iPhone,ssl=1,capture=$T/noise.syslog,rate=20,loop=1,locked=1"
csd_start d1 --json --no-store --socket "$SOCK" -u "$UD" --stall-timeout 2
sub_start s1 || { bad "subscriber connects" "$T/d1.err"; finish; }

# 1. passcode lock
check "locked: a 'locked' device record" "wait_count 1 15 '$(dev locked)' '$T/d1.out'" "$T/d1.out"
check "locked: no 'streaming' record while locked" "[ \$(count '$(dev streaming)' '$T/d1.out') -eq 0 ]" "$T/d1.out"
cmd "unlock $U" >/dev/null
check "unlock: a 'streaming' record follows" "wait_count 1 10 '$(dev streaming)' '$T/d1.out'" "$T/d1.out"
check "unlock: lines arrive" "wait_for 10 '[ \$(wc -l <\"$T/s1.msg\") -ge 5 ]'" "$T/s1.rec"
check "unlock: a marker line arrives" "marker s1 $U after-unlock" "$T/s1.msg"

# 2. stall and resume
nstream=$(count "$(dev streaming)" "$T/d1.out")
cmd "stall $U" >/dev/null
check "stall: a 'stalled' record within 2 s + slack" "wait_count 1 8 '$(dev stalled)' '$T/d1.out'" "$T/d1.out"
check "stall: callsightd reconnects (a new 'streaming' record)" \
	"wait_count $((nstream + 1)) 8 '$(dev streaming)' '$T/d1.out'" "$T/d1.out"
sleep 1
cmd "resume $U" >/dev/null
n0=$(wc -l <"$T/s1.msg")
check "resume: the capture's lines arrive again" "wait_for 10 '[ \$(wc -l <\"$T/s1.msg\") -ge $((n0 + 20)) ]'" "$T/s1.rec"
check "resume: a marker line arrives" "marker s1 $U after-resume" "$T/s1.msg"
last_state=$(sed -n 's/.*"type":"device".*"state":"\([a-z]*\)".*/\1/p' "$T/d1.out" | tail -n 1)
check "resume: the last device record says streaming (got $last_state)" "[ '$last_state' = streaming ]" "$T/d1.out"

# 3. garbage and an oversized line
r=$(cmd "garbage $U 100000")
check "garbage: 100000 bytes sent to callsightd ($r)" "case '$r' in *clients=1*) true;; *) false;; esac"
check "garbage: callsightd alive" "csd_alive d1" "$T/d1.err"
check "garbage: a marker line arrives after it" "marker s1 $U after-garbage" "$T/s1.msg"
r=$(cmd "big $U 2000000")
check "big: 2000000 bytes sent to callsightd ($r)" "case '$r' in *clients=1*) true;; *) false;; esac"
check "big: callsightd alive" "csd_alive d1" "$T/d1.err"
check "big: a marker line arrives after it" "marker s1 $U after-big" "$T/s1.msg"
check "big: the line arrives, cut to at most 64 KiB" \
	"awk 'length(\$0) > 60000 && length(\$0) <= 65536 + 64 { f = 1 } END { exit !f }' '$T/s1.msg'" "$T/s1.err"
check "callsightd alive after lock, stall, garbage, big" "csd_alive d1" "$T/d1.err"
csd_stop d1
check "callsightd exits 0 on SIGTERM (got $RC)" "[ $RC -eq 0 ]" "$T/d1.err"
check "no sanitizer report from callsightd" "sanitizer_clean '$T/d1.err'" "$T/d1.err"
sub_stop s1
cmd quit >/dev/null
wait "$FPID" 2>/dev/null
FPID=""
exec 3>&-

# ---------------------------------------------------------------- 4: kill -9 the emulator (TCP)
MUXADDR=127.0.0.1:$PORT
fake_start -t "$PORT" -d "udid=$U,name=Faulty-iPhone,ssl=1,capture=$T/noise.syslog,rate=20,loop=1"
csd_start d2 --json --no-store --socket "$SOCK" -u "$UD" --stall-timeout 0
sub_start s2 || { bad "subscriber connects (TCP part)" "$T/d2.err"; finish; }
check "tcp: a 'streaming' record" "wait_count 1 15 '$(dev streaming)' '$T/d2.out'" "$T/d2.out"
check "tcp: a marker line arrives" "marker s2 $U before-kill" "$T/s2.msg"
fake_kill9
check "kill -9: a 'detached' record" "wait_count 1 10 '$(dev detached)' '$T/d2.out'" "$T/d2.out"
check "kill -9: callsightd alive without its usbmuxd" "csd_alive d2" "$T/d2.err"
nstream=$(count "$(dev streaming)" "$T/d2.out")
sleep 2
fake_start -t "$PORT" -d "udid=$U,name=Faulty-iPhone,ssl=1,capture=$T/noise.syslog,rate=20,loop=1"
ok "emulator restarted on the same sockets"
check "restart: callsightd streams again (a new 'streaming' record)" \
	"wait_count $((nstream + 1)) 20 '$(dev streaming)' '$T/d2.out'" "$T/d2.out"
check "restart: a marker line arrives" "marker s2 $U after-restart" "$T/s2.msg"
check "callsightd alive after the emulator restart" "csd_alive d2" "$T/d2.err"
csd_stop d2
check "callsightd exits 0 on SIGTERM (got $RC)" "[ $RC -eq 0 ]" "$T/d2.err"
check "no sanitizer report from callsightd" "sanitizer_clean '$T/d2.err'" "$T/d2.err"
check "no sanitizer report from the emulator" "sanitizer_clean '$T/fake.err'" "$T/fake.err"
finish

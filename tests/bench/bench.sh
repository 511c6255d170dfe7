#!/bin/sh
# bench.sh - callsightd's figures (`make bench`; not a test: it prints numbers, it fails only when
# it cannot measure). usage (repo root): sh tests/bench/bench.sh [BUILD/callsightd]
#
# 1. Replay vs grep (issue 2): a >= 512 MiB capture (cached in build/bench/: the syslog-format
#    scenario captures of tests/scenarios repeated with noise between them, fresh stamps and pids on
#    every line; tests/bench/gen.c) read by `callsightd --replay FILE --json > /dev/null` and by
#    `grep -E -c -f PATTERNS FILE`, PATTERNS = the default rules' regexes as EREs
#    (tests/bench/rules2ere.awk; PCRE-only ones skipped and counted). Same run, same file, page cache
#    warm; best wall time of 3; MB/s (10^6 bytes), lines/s, the ratio, callsightd's peak RSS.
# 2. Live (issue 3), through the emulator (build/fakeiphone): lines/s that
#    `callsightd --json --no-store --no-socket` sustains from one device streaming as fast as its
#    reader reads (the emulator's own line count over a 10 s window: with rate 0 the reader sets
#    the pace), the same for idevicesyslog; latency from the emulator writing a line to callsightd's
#    record about it leaving on stdout (tests/bench/lat.c, p50/p99 over 500 probes on a quiet
#    device); idle CPU of callsightd attached to a silent device over 10 s.
# Targets: replay ratio >= 1.0, peak RSS <= 16 MB; live >= 50,000 lines/s, p99 <= 5 ms, idle CPU ~0.
# Env: BENCH_SIZE_MB (default 512), BENCH_RUNS (3), BENCH_WINDOW (10 s), BENCH_PROBES (500).
set -u
HERE=$(cd "$(dirname "$0")/../.." && pwd)
cd "$HERE" || exit 1
CSD=${1:-build/callsightd}
case $CSD in /*) ;; *) CSD=$HERE/$CSD ;; esac
BD=$(dirname "$CSD")
FAKE=$BD/fakeiphone
OUT=$HERE/build/bench
SIZE_MB=${BENCH_SIZE_MB:-512}
RUNS=${BENCH_RUNS:-3}
WINDOW=${BENCH_WINDOW:-10}
PROBES=${BENCH_PROBES:-500}
CC=${CC:-cc}

[ -x "$CSD" ] || { echo "bench: no $CSD (make all)"; exit 1; }
mkdir -p "$OUT"
T=$(mktemp -d "${TMPDIR:-/tmp}/cs-bench.XXXXXX") || exit 1
FPID=""
PIDS=""
cleanup() {
	for p in $PIDS $FPID; do kill "$p" 2>/dev/null; done
	for p in $PIDS $FPID; do wait "$p" 2>/dev/null; done
	exec 3>&- 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { echo "bench: $*" >&2; }
now() { date +%s.%N; }
# fmt EXPR: a number from awk
calc() { awk "BEGIN { printf $1 }"; }
# cpu_ticks PID: utime + stime in clock ticks
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
HZ=$(getconf CLK_TCK 2>/dev/null || echo 100)

$CC -std=c17 -O2 -Wall tests/bench/gen.c -o "$T/gen" || exit 1
$CC -std=c17 -O2 -Wall tests/bench/lat.c -o "$T/lat" || exit 1

# ---------------------------------------------------------------- the capture and the patterns
awk -f tests/bench/rules2ere.awk daemon/rules/*.rules >"$OUT/patterns.ere" 2>"$T/ere.log"
PAT_KEPT=$(sed -n 's/^kept \([0-9]*\),.*/\1/p' "$T/ere.log")
PAT_SKIPPED=$(sed -n 's/^kept [0-9]*, skipped \([0-9]*\):.*/\1/p' "$T/ere.log")
PAT_SKIPPED_NAMES=$(sed -n 's/^kept [0-9]*, skipped [0-9]*: *//p' "$T/ere.log")

SCEN=""
for f in tests/scenarios/*.log; do
	[ -f "$f" ] || continue
	# syslog-format captures only (Mon dd HH:MM:SS): the others are other tools' formats
	head -c 16 "$f" | tr -d '\0' | grep -q '^[A-Z][a-z][a-z] [ 0-9][0-9] [0-9][0-9]:' && SCEN="$SCEN $f"
done
[ -z "$SCEN" ] && SCEN=tests/fakedevice/demo.syslog
NSCEN=$(echo $SCEN | wc -w)
# noise: the lines of those captures (and the demo) that no rule's pattern matches
KEY=$( (cat tests/bench/gen.c tests/bench/rules2ere.awk daemon/rules/*.rules $SCEN tests/fakedevice/demo.syslog; echo "$SIZE_MB") | cksum | cut -d' ' -f1)
CAP=$OUT/capture.log
if [ ! -f "$CAP" ] || [ "$(cat "$OUT/capture.key" 2>/dev/null)" != "$KEY" ]; then
	say "generating a $SIZE_MB MiB capture in $CAP (cached)"
	cat $SCEN tests/fakedevice/demo.syslog | tr -d '\0' | grep '^[A-Z][a-z][a-z] [ 0-9][0-9] ' |
		grep -v -E -f "$OUT/patterns.ere" | sort -u >"$OUT/noise.pool"
	"$T/gen" "$CAP" "$SIZE_MB" 400 "$OUT/noise.pool" $SCEN >"$OUT/capture.info" || exit 1
	wc -l <"$CAP" | tr -d ' ' >"$OUT/capture.lines"
	echo "$KEY" >"$OUT/capture.key"
fi
BYTES=$(wc -c <"$CAP" | tr -d ' ')
LINES=$(cat "$OUT/capture.lines")
say "capture: $BYTES bytes, $LINES lines ($(cat "$OUT/capture.info")); $NSCEN scenario captures; patterns: $PAT_KEPT kept, $PAT_SKIPPED skipped"

# ---------------------------------------------------------------- 1. replay vs grep
cat "$CAP" >/dev/null	# page cache
best() { sort -n | head -n 1; }
: >"$T/csd.times"
: >"$T/grep.times"
RSS_MAX=0
# GNU time (-f '%M': peak RSS): /usr/bin/time on Linux, gtime (Homebrew gnu-time) on macOS
GTIME=""
for g in /usr/bin/time gtime; do
	if "$g" -f '%M' -o /dev/null true >/dev/null 2>&1; then GTIME=$g; break; fi
done
[ -n "$GTIME" ] || say "skip - peak RSS: GNU time is not installed (Linux: time; macOS: brew install gnu-time)"
i=1
while [ "$i" -le "$RUNS" ]; do
	t0=$(now)
	: >"$T/time.out"
	if [ -n "$GTIME" ]; then
		"$GTIME" -o "$T/time.out" -f '%M' "$CSD" --replay "$CAP" --json >"$T/replay.out" 2>"$T/replay.err"
	else
		"$CSD" --replay "$CAP" --json >"$T/replay.out" 2>"$T/replay.err"
	fi || say "callsightd --replay exited $? ($(tail -n 1 "$T/replay.err"))"
	t1=$(now)
	calc "\"%.3f\\n\", $t1 - $t0" >>"$T/csd.times"
	rss=$(tail -n 1 "$T/time.out")
	[ "${rss:-0}" -gt "$RSS_MAX" ] 2>/dev/null && RSS_MAX=$rss
	t0=$(now)
	GREP_COUNT=$(grep -E -c -f "$OUT/patterns.ere" "$CAP")
	t1=$(now)
	calc "\"%.3f\\n\", $t1 - $t0" >>"$T/grep.times"
	say "run $i: callsightd $(tail -n 1 "$T/csd.times") s (peak RSS $rss KiB), grep $(tail -n 1 "$T/grep.times") s"
	i=$((i + 1))
done
t0=$(now)
LC_ALL=C grep -E -c -f "$OUT/patterns.ere" "$CAP" >"$T/grepc.out"	# not /dev/null: grep then stops at the first match
t1=$(now)
GREPC_T=$(calc "\"%.3f\", $t1 - $t0")
say "grep with LC_ALL=C (one run, for reference): $GREPC_T s"
CSD_T=$(best <"$T/csd.times")
GREP_T=$(best <"$T/grep.times")
SUMMARY=$(grep '"type":"summary"' "$T/replay.out" | tail -n 1)
CSD_LINES=$(echo "$SUMMARY" | sed -n 's/.*"lines":\([0-9]*\).*/\1/p')
CSD_EVENTS=$(echo "$SUMMARY" | sed -n 's/.*"events":\([0-9]*\).*/\1/p')
CSD_FLAGS=$(echo "$SUMMARY" | sed -n 's/.*"flags":\([0-9]*\).*/\1/p')

# ---------------------------------------------------------------- 2. live, through the emulator
FAST=00008030001A2D1E3C02802E
FASTD=00008030-001A2D1E3C02802E
IDLE=2f1c0b7e9a4d3c6b5a8e7f9d0c1b2a3e4f5d6c7b
LIVE_OK=1
if [ ! -x "$FAKE" ]; then
	say "no emulator at $FAKE: live figures skipped"
	LIVE_OK=0
fi
if [ "$LIVE_OK" = 1 ]; then
	head -n 200000 "$CAP" >"$T/live.syslog"
	mkfifo "$T/cmd"
	"$FAKE" -s "$T/mux.sock" -C "$T/ctl" -d "udid=$FAST,name=Fast-iPhone,ssl=0,capture=$T/live.syslog,rate=0,loop=1" \
		-d "udid=$IDLE,name=Quiet-iPhone,ssl=0" <"$T/cmd" >"$T/replies" 2>"$T/fake.err" &
	FPID=$!
	exec 3>"$T/cmd"
	n=0
	while [ $n -lt 100 ] && ! grep -q 'fakeiphone: ready' "$T/fake.err"; do sleep 0.1; n=$((n + 1)); done
	export USBMUXD_SOCKET_ADDRESS="UNIX:$T/mux.sock"
fi
cmd() {
	before=$(wc -l <"$T/replies")
	echo "$1" >&3
	n=0
	while [ $n -lt 100 ] && [ "$(wc -l <"$T/replies")" -le "$before" ]; do sleep 0.05; n=$((n + 1)); done
	sed -n "$((before + 1))p" "$T/replies"
}
fast_lines() { cmd stats | tr ';' '\n' | grep -- "$FASTD" | sed -n 's/.* lines=\([0-9]*\).*/\1/p'; }
fast_clients() { cmd stats | tr ';' '\n' | grep -- "$FASTD" | sed -n 's/.* clients=\([0-9]*\).*/\1/p'; }

# window PID: lines/s the emulator delivered to its one client over WINDOW s, and PID's CPU %
window() {
	n=0
	while [ $n -lt 100 ] && [ "$(fast_clients)" != 1 ]; do sleep 0.1; n=$((n + 1)); done
	sleep 3		# warm-up: connection, pairing, the first buffers
	l1=$(fast_lines); c1=$(cpu_ticks "$1"); f1=$(cpu_ticks "$FPID"); t1=$(now)
	sleep "$WINDOW"
	l2=$(fast_lines); c2=$(cpu_ticks "$1"); f2=$(cpu_ticks "$FPID"); t2=$(now)
	echo "$(calc "\"%.0f\", ($l2 - $l1) / ($t2 - $t1)") $(calc "\"%.0f\", 100 * ($c2 - $c1) / $HZ / ($t2 - $t1)") $(calc "\"%.0f\", 100 * ($f2 - $f1) / $HZ / ($t2 - $t1)")"
}

LIVE_RATE=-; LIVE_CPU=-; LIVE_FCPU=-; IDS_RATE=-; IDS_CPU=-; IDS_FCPU=-; LAT=""; IDLE_CPU=-; IDLE_TICKS=-
if [ "$LIVE_OK" = 1 ]; then
	say "live: callsightd reading the fast device for ${WINDOW} s"
	"$CSD" --json --no-store --no-socket -u "$FASTD" --stall-timeout 0 >/dev/null 2>"$T/live.err" &
	P=$!
	PIDS="$PIDS $P"
	set -- $(window $P)
	LIVE_RATE=$1; LIVE_CPU=$2; LIVE_FCPU=$3
	kill $P; wait $P 2>/dev/null
	sleep 1
	if command -v idevicesyslog >/dev/null 2>&1; then
		say "live: idevicesyslog reading the fast device for ${WINDOW} s"
		idevicesyslog -u "$FASTD" --no-colors >/dev/null 2>"$T/ids.err" &
		P=$!
		PIDS="$PIDS $P"
		set -- $(window $P)
		IDS_RATE=$1; IDS_CPU=$2; IDS_FCPU=$3
		kill $P; wait $P 2>/dev/null
	fi
	say "live: latency, $PROBES probes on the quiet device"
	mkfifo "$T/csd.json"
	"$CSD" --json --no-store --no-socket -u "$IDLE" --stall-timeout 0 >"$T/csd.json" 2>"$T/lat.err" &
	P=$!
	PIDS="$PIDS $P"
	LAT=$("$T/lat" -C "$T/ctl" -u "$IDLE" -n "$PROBES" -i 10 <"$T/csd.json")
	kill $P; wait $P 2>/dev/null
	say "live: idle CPU on the quiet device for ${WINDOW} s"
	"$CSD" --json --no-store --no-socket -u "$IDLE" >/dev/null 2>"$T/idle.err" &
	P=$!
	PIDS="$PIDS $P"
	sleep 3
	c1=$(cpu_ticks $P); t1=$(now)
	sleep "$WINDOW"
	c2=$(cpu_ticks $P); t2=$(now)
	IDLE_TICKS=$((c2 - c1))
	IDLE_CPU=$(calc "\"%.2f\", 100 * ($c2 - $c1) / $HZ / ($t2 - $t1)")
	kill $P; wait $P 2>/dev/null
fi
lat_of() { echo "$LAT" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# ---------------------------------------------------------------- the table
MB=$(calc "\"%.1f\", $BYTES / 1e6")
mbs() { calc "\"%.1f\", $BYTES / 1e6 / $1"; }
lps() { calc "\"%.0f\", $LINES / $1"; }
RATIO=$(calc "\"%.2f\", $GREP_T / $CSD_T")
RSS_MB=$(calc "\"%.1f\", $RSS_MAX / 1024")
verdict() { if [ "$1" = 1 ]; then echo "ok"; else echo "MISSED"; fi; }
echo
echo "callsightd benchmark  ($(uname -m), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%MZ), $CSD)"
echo "capture: $MB MB, $LINES lines, $NSCEN syslog-format scenario captures + noise; grep patterns: $PAT_KEPT of $((PAT_KEPT + PAT_SKIPPED)) rules ($PAT_SKIPPED skipped, PCRE-only:$PAT_SKIPPED_NAMES); LC_ALL=${LC_ALL:-} LANG=${LANG:-}"
echo
printf '%-44s %12s %12s %14s\n' "replay (best of $RUNS, warm cache)" "wall s" "MB/s" "lines/s"
printf '%-44s %12s %12s %14s\n' "callsightd --replay FILE --json >/dev/null" "$CSD_T" "$(mbs "$CSD_T")" "$(lps "$CSD_T")"
printf '%-44s %12s %12s %14s\n' "grep -E -c -f PATTERNS FILE" "$GREP_T" "$(mbs "$GREP_T")" "$(lps "$GREP_T")"
printf '%-44s %12s %12s %14s\n' "  same grep, LC_ALL=C (1 run, reference)" "$GREPC_T" "$(mbs "$GREPC_T")" "$(lps "$GREPC_T")"
echo "  callsightd: $CSD_LINES lines, $CSD_EVENTS events, $CSD_FLAGS flags; grep: $GREP_COUNT matching lines"
printf '%-44s %12s   target >= 1.0   %s\n' "ratio callsightd/grep (speed)" "$RATIO" "$(verdict "$(calc "\"%d\", ($RATIO >= 1.0)")")"
printf '%-44s %12s   target <= 16    %s\n' "callsightd peak RSS (MB)" "$RSS_MB" "$(verdict "$(calc "\"%d\", ($RSS_MAX <= 16384)")")"
echo
if [ "$LIVE_OK" = 1 ]; then
	printf '%-44s %12s %12s %14s\n' "live, one device, rate 0 (${WINDOW} s window)" "lines/s" "reader CPU%" "emulator CPU%"
	printf '%-44s %12s %12s %14s\n' "callsightd --json --no-store --no-socket" "$LIVE_RATE" "$LIVE_CPU" "$LIVE_FCPU"
	printf '%-44s %12s %12s %14s\n' "idevicesyslog (libimobiledevice 1.3.0)" "$IDS_RATE" "$IDS_CPU" "$IDS_FCPU"
	printf '%-44s %12s   target >= 50000 %s\n' "callsightd sustained lines/s" "$LIVE_RATE" "$(verdict "$(calc "\"%d\", (${LIVE_RATE:-0} >= 50000)")")"
	p99=$(lat_of p99_us)
	printf '%-44s %12s\n' "latency line -> record, $PROBES probes" "$(echo "$LAT" | sed 's/probes=[0-9]* //')"
	printf '%-44s %12s   target <= 5 ms  %s\n' "latency p50 / p99 (ms)" "$(calc "\"%.2f / %.2f\", $(lat_of p50_us) / 1000, ${p99:--1000} / 1000")" "$(verdict "$(calc "\"%d\", (${p99:-999999} >= 0 && ${p99:-999999} <= 5000)")")"
	printf '%-44s %12s   target ~ 0      %s\n' "idle CPU, silent device, ${WINDOW} s (%)" "$IDLE_CPU ($IDLE_TICKS ticks)" "$(verdict "$(calc "\"%d\", ($IDLE_CPU < 0.5)")")"
else
	echo "live figures: skipped (no emulator)"
fi

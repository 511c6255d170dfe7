#!/bin/sh
# bench.sh - callsightd's figures (`make bench`; not a test: it prints numbers, it fails only when
# it cannot measure). usage (repo root): sh tests/bench/bench.sh [BUILD/callsightd]
#
# 1. Replay against the tools a person would otherwise reach for (issue 12), in one run, on the
#    same files, page cache warm, output to a file, best wall time of BENCH_RUNS (default 3) rounds
#    in which each command runs once (interleaved: a busy spell of the host falls on all alike;
#    the host's steal time over them is printed):
#      callsightd --replay FILE --json, and as text;
#      LC_ALL=C grep -E -c -f tests/bench/plain.patterns FILE (the dozen phrases one would grep
#        for: sessionDidDisconnect, didFailWithError, interruption, suspended, jetsam, ...);
#      rg -c -f tests/bench/plain.patterns FILE (ripgrep, same set);
#      lnav -n -q FILE (lnav's load + index, headless), when lnav is installed;
#      wc -l FILE, the floor (reading the bytes and finding the line ends);
#      rg -c -i -F -f LITERALS FILE: ripgrep given the search the scan makes (every rule literal,
#        caseless), the peer doing the same job;
#      build/benchfloor FILE (tests/bench/floor.c): the two passes a replay makes over every line
#        before any rule runs - the line index and the Vectorscan scan - each alone in one thread,
#        in CPU seconds; their sum over the CPUs is the fastest a replay can go on this machine.
#    Two captures, both made by tests/bench/gen.c from the syslog-format scenario captures with
#    fresh stamps and pids on every line: "dense" (400 noise lines after each scenario: a call
#    event every few dozen lines, the scenarios' own density) and "sparse" (20,000 noise lines after
#    each scenario: a long capture in which calls are rare, as in a lab's overnight log); each
#    BENCH_SIZE_MB (default 512) MiB, cached in build/bench/. MB/s (10^6 bytes), lines/s, user CPU
#    (steadier than wall time on a shared machine; a replay runs two threads, daemon/replay.c scan
#    ahead, so its user CPU is the sum of both and the wall time is what a user waits, the figure
#    the MB/s and the ratios are made of), peak RSS (GNU time), and the records the rules
#    ran on (candidates: the lines the Vectorscan scan passed on) against those that gave events.
#    BENCH_BASELINE=OLD/callsightd adds that binary's rows to the same run (before/after).
# 2. Live (issue 3), through the emulator (build/fakeiphone): lines/s that
#    `callsightd --json --no-store --no-socket` sustains from one device streaming as fast as its
#    reader reads (the emulator's own line count over a 10 s window: with rate 0 the reader sets
#    the pace), the same for idevicesyslog; latency from the emulator writing a line to callsightd's
#    record about it leaving on stdout (tests/bench/lat.c, p50/p99 over 500 probes on a quiet
#    device); idle CPU of callsightd attached to a silent device over 10 s.
# Targets: replay >= 1000 MB/s text, >= 800 MB/s --json (the ceiling line says what this machine
# allows), >= 2x the grep above, peak RSS <= 16 MB and flat with file size; live >= 50,000
# lines/s, p99 <= 5 ms, idle CPU ~0.
# Env: BENCH_SIZE_MB (512), BENCH_RUNS (3), BENCH_WINDOW (10 s), BENCH_PROBES (500), BENCH_LIVE (1),
# BENCH_BASELINE (none).
set -u
HERE=$(cd "$(dirname "$0")/../.." && pwd)
cd "$HERE" || exit 1
CSD=${1:-build/callsightd}
case $CSD in /*) ;; *) CSD=$HERE/$CSD ;; esac
BD=$(dirname "$CSD")
FAKE=$BD/fakeiphone
FLOOR=$BD/benchfloor
OUT=$HERE/build/bench
SIZE_MB=${BENCH_SIZE_MB:-512}
RUNS=${BENCH_RUNS:-3}
WINDOW=${BENCH_WINDOW:-10}
PROBES=${BENCH_PROBES:-500}
BASE=${BENCH_BASELINE:-}
CC=${CC:-cc}
PLAIN=$HERE/tests/bench/plain.patterns

[ -x "$CSD" ] || { echo "bench: no $CSD (make all)"; exit 1; }
[ -z "$BASE" ] || [ -x "$BASE" ] || { echo "bench: BENCH_BASELINE=$BASE is not a program"; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: GNU time (/usr/bin/time) is needed for peak RSS (make deps)"; exit 1; }
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

# ---------------------------------------------------------------- the captures
# the rules' patterns as EREs, to keep rule lines out of the noise (grep cannot read them all: the
# ones it refuses are left out, which only lets a few more lines count as noise)
awk -f tests/bench/rules2ere.awk daemon/rules/*.rules 2>/dev/null | while IFS= read -r pat; do
	echo | grep -E -e "$pat" >/dev/null 2>&1
	[ $? -le 1 ] && printf '%s\n' "$pat"
done >"$T/rules.ere"
SCEN=""
for f in tests/scenarios/*.log; do
	[ -f "$f" ] || continue
	# syslog-format captures only (Mon dd HH:MM:SS): the others are other tools' formats
	head -c 16 "$f" | tr -d '\0' | grep -q '^[A-Z][a-z][a-z] [ 0-9][0-9] [0-9][0-9]:' && SCEN="$SCEN $f"
done
[ -z "$SCEN" ] && SCEN=tests/fakedevice/demo.syslog
NSCEN=$(echo $SCEN | wc -w)
# capture NAME NOISE_PER_SCENARIO: build/bench/NAME.log, regenerated when its inputs change
capture() {
	cap=$OUT/$1.log
	key=$( (cat tests/bench/gen.c tests/bench/rules2ere.awk daemon/rules/*.rules $SCEN tests/fakedevice/demo.syslog; echo "$SIZE_MB $2") | cksum | cut -d' ' -f1)
	if [ ! -f "$cap" ] || [ "$(cat "$OUT/$1.key" 2>/dev/null)" != "$key" ]; then
		say "generating a $SIZE_MB MiB capture in $cap (cached)"
		# noise: the lines of those captures (and the demo) that no rule's pattern matches
		cat $SCEN tests/fakedevice/demo.syslog | tr -d '\0' | grep '^[A-Z][a-z][a-z] [ 0-9][0-9] ' |
			grep -v -E -f "$T/rules.ere" | sort -u >"$OUT/noise.pool"
		"$T/gen" "$cap" "$SIZE_MB" "$2" "$OUT/noise.pool" $SCEN >"$OUT/$1.info" || exit 1
		wc -l <"$cap" | tr -d ' ' >"$OUT/$1.lines"
		echo "$key" >"$OUT/$1.key"
	fi
}
capture dense 400
capture sparse 20000
rm -f "$OUT/capture.log" "$OUT/capture.key"	# the single capture of earlier versions

# ---------------------------------------------------------------- 1. replay against grep & co
# run_once TAG CMD...: one run of CMD (stdout to $T/TAG.out); appends "wall user rss_kib" to
# $T/TAG.runs
run_once() {
	tag=$1; shift
	t0=$(now)
	/usr/bin/time -o "$T/time.out" -f '%U %M' "$@" >"$T/$tag.out" 2>"$T/$tag.err"
	t1=$(now)
	echo "$(calc "\"%.3f\", $t1 - $t0") $(tail -n 1 "$T/time.out")" >>"$T/$tag.runs"
}
# best_of TAG: the best wall s of its runs, that run's user s, the largest RSS KiB
best_of() {
	sort -n "$T/$1.runs" | awk 'NR == 1 { w = $1; u = $2 } $3 > m { m = $3 } END { print w, u, m }'
}
# measure TAG CMD...: RUNS runs of CMD in a row; best_of them
measure() {
	tag=$1; shift
	: >"$T/$tag.runs"
	r=1
	while [ "$r" -le "$RUNS" ]; do run_once "$tag" "$@"; r=$((r + 1)); done
	best_of "$tag"
}
# steal_ticks: the CPU time the host took from this machine's CPUs (/proc/stat's steal), in ticks;
# 0 where there is no /proc
steal_ticks() { awk '/^cpu / { print $9 + 0; exit }' /proc/stat 2>/dev/null || echo 0; }

TABLE=$T/table
: >"$TABLE"
# row CAPTURE LABEL WALL USER RSS: one line of the table
row() {
	bytes=$(wc -c <"$OUT/$1.log" | tr -d ' ')
	lines=$(cat "$OUT/$1.lines")
	printf '%-8s %-46s %8s %8s %9s %12s %8s\n' "$1" "$2" "$3" "$4" \
	    "$(calc "\"%.0f\", $bytes / 1e6 / $3")" "$(calc "\"%.0f\", $lines / $3")" \
	    "$(calc "\"%.1f\", $5 / 1024")" >>"$TABLE"
}
summary_of() { grep '"type":"summary"' "$1" | tail -n 1 | sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"; }
RATIOS=$T/ratios
: >"$RATIOS"
SCANINFO=$T/scan
: >"$SCANINFO"
HAVE_RG=0; command -v rg >/dev/null 2>&1 && HAVE_RG=1
HAVE_LNAV=0; command -v lnav >/dev/null 2>&1 && HAVE_LNAV=1
HAVE_FLOOR=0
[ -x "$FLOOR" ] && "$FLOOR" --literals >"$T/scan.literals" 2>"$T/floor.err" && HAVE_FLOOR=1
NLIT=$(wc -l <"$T/scan.literals" 2>/dev/null | tr -d ' ')
[ "${NLIT:-0}" -gt 0 ] || HAVE_FLOOR=0	# a build without Vectorscan: no scan to measure
NCPU=$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc)
mkdir -p "$T/lnav-home"

# The commands of one capture run in rounds - each once per round, RUNS rounds - so that a spell
# of a busy host (a shared machine's CPUs are taken from it at times: "steal") falls on all of them
# alike rather than on whichever ran then; each one's best round is its row.
for cap in dense sparse; do
	F=$OUT/$cap.log
	cat "$F" >/dev/null	# page cache
	say "$cap: $(wc -c <"$F" | tr -d ' ') bytes, $(cat "$OUT/$cap.lines") lines ($(cat "$OUT/$cap.info"))"
	TAGS="wc grep"
	[ "$HAVE_RG" = 1 ] && TAGS="$TAGS rg"
	[ "$HAVE_RG" = 1 ] && [ "$HAVE_FLOOR" = 1 ] && TAGS="$TAGS rglit"
	[ "$HAVE_FLOOR" = 1 ] && TAGS="$TAGS floor"
	[ "$HAVE_LNAV" = 1 ] && TAGS="$TAGS lnav"
	TAGS="$TAGS json text"
	[ -n "$BASE" ] && TAGS="$TAGS bjson btext"
	for tag in $TAGS; do : >"$T/$tag.runs"; done
	: >"$T/floor.all"
	s0=$(steal_ticks); c0=$(now)
	r=1
	while [ "$r" -le "$RUNS" ]; do
		for tag in $TAGS; do
			case $tag in
			wc) run_once wc wc -l "$F" ;;
			grep) run_once grep env LC_ALL=C grep -E -c -f "$PLAIN" "$F" ;;
			rg) run_once rg rg -c -f "$PLAIN" "$F" ;;
			rglit) run_once rglit rg -c -i -F -f "$T/scan.literals" "$F" ;;
			floor) run_once floor "$FLOOR" "$F" && cat "$T/floor.out" >>"$T/floor.all" ;;
			lnav) run_once lnav env HOME="$T/lnav-home" lnav -n -q "$F" ;;
			json) run_once json "$CSD" --replay "$F" --json ;;
			text) run_once text "$CSD" --replay "$F" ;;
			bjson) run_once bjson "$BASE" --replay "$F" --json ;;
			btext) run_once btext "$BASE" --replay "$F" ;;
			esac
		done
		r=$((r + 1))
	done
	s1=$(steal_ticks); c1=$(now)
	stolen=$(calc "\"%.1f\", ($s1 - $s0) / $HZ")
	spent=$(calc "\"%.0f\", $c1 - $c0")
	share=$(calc "\"%.1f\", 100 * $stolen / (2 * $spent)")
	echo "$cap: steal (CPU time the host took from this machine) $stolen s in these $spent s, $share% of 2 CPUs; wall times are only as steady as that" >>"$RATIOS"
	set -- $(best_of wc); row $cap "wc -l (the floor)" "$@"
	WC_W=$1
	set -- $(best_of grep); row $cap "LC_ALL=C grep -E -c -f plain.patterns" "$@"
	GREP_W=$1; GREP_N=$(cat "$T/grep.out")
	if [ "$HAVE_RG" = 1 ]; then
		set -- $(best_of rg); row $cap "rg -c -f plain.patterns" "$@"
	else
		echo "$cap      rg: not installed (make deps)" >>"$TABLE"
	fi
	if [ "$HAVE_RG" = 1 ] && [ "$HAVE_FLOOR" = 1 ]; then
		set -- $(best_of rglit); row $cap "rg -c -i -F -f (the scan's $NLIT literals)" "$@"
		RGLIT_W=$1
	fi
	if [ "$HAVE_LNAV" = 1 ]; then
		set -- $(best_of lnav); row $cap "lnav -n -q (load + index)" "$@"
	else
		echo "$cap      lnav: not installed (make deps)" >>"$TABLE"
	fi
	set -- $(best_of json); row $cap "callsightd --replay --json >file" "$@"
	JSON_W=$1; JSON_RSS=$3
	set -- $(best_of text); row $cap "callsightd --replay (text) >file" "$@"
	TEXT_W=$1
	if [ -n "$BASE" ]; then
		set -- $(best_of bjson); row $cap "baseline --replay --json >file" "$@"
		BJSON_W=$1
		set -- $(best_of btext); row $cap "baseline --replay (text) >file" "$@"
		BTEXT_W=$1
		# the records must be the same as the baseline's (the summary's new counts aside)
		grep -v '"type":"summary"' "$T/json.out" >"$T/a.rec"
		grep -v '"type":"summary"' "$T/bjson.out" >"$T/b.rec"
		if cmp -s "$T/a.rec" "$T/b.rec"; then same="same records as the baseline"
		# an edited rules file moves the rule locations ("rule":"20-audio.rules:58") it names
		elif sed 's/"rule":"[^"]*"//g' "$T/a.rec" >"$T/a.norule" &&
		    sed 's/"rule":"[^"]*"//g' "$T/b.rec" >"$T/b.norule" &&
		    cmp -s "$T/a.norule" "$T/b.norule"; then
			same="same records as the baseline but for the rule locations (file:line) they name"
		else same="RECORDS DIFFER from the baseline"; fi
		echo "$cap: speed-up over the baseline: json $(calc "\"%.2f\", $BJSON_W / $JSON_W")x, text $(calc "\"%.2f\", $BTEXT_W / $TEXT_W")x; $same" >>"$RATIOS"
	fi
	if [ "$HAVE_FLOOR" = 1 ] && [ -s "$T/floor.all" ]; then
		# each pass's best round (CPU seconds): "index scan literals hits"
		set -- $(sort -n -k1,1 "$T/floor.all" | head -n 1 | cut -d' ' -f1) \
		    $(sort -n -k2,2 "$T/floor.all" | head -n 1 | cut -d' ' -f2)
		mb=$(calc "\"%.3f\", $(wc -c <"$F") / 1e6")
		CEIL=$(calc "\"%.0f\", $mb / (($1 + $2) / $NCPU)")
		echo "$cap: what bounds a replay here (tests/bench/floor.c, each pass alone in one thread): the line index $1 CPU s ($(calc "\"%.0f\", $mb / $1") MB/s), the Vectorscan scan for the $NLIT literals $2 CPU s ($(calc "\"%.0f\", $mb / $2") MB/s); both on $NCPU CPUs, nothing else: at most $CEIL MB/s. callsightd text is at $(calc "\"%.0f\", 100 * $mb / $TEXT_W / $CEIL")% of that, with every rule, the timeline and the output on top" >>"$RATIOS"
		[ -n "${RGLIT_W:-}" ] && echo "$cap: the same search in ripgrep (rg -i -F, the $NLIT literals): callsightd's whole replay is $(calc "\"%.2f\", $RGLIT_W / $TEXT_W")x faster (text), $(calc "\"%.2f\", $RGLIT_W / $JSON_W")x (json)" >>"$RATIOS"
		[ "$cap" = dense ] && DENSE_CEIL=$CEIL
	fi
	echo "$cap: callsightd text / grep $(calc "\"%.2f\", $GREP_W / $TEXT_W")x, json / grep $(calc "\"%.2f\", $GREP_W / $JSON_W")x (target >= 2); text at $(calc "\"%.1f\", $TEXT_W / $WC_W")x the wc -l floor; grep counted $GREP_N lines" >>"$RATIOS"
	L=$(summary_of "$T/json.out" lines); C=$(summary_of "$T/json.out" candidates)
	M=$(summary_of "$T/json.out" matched); E=$(summary_of "$T/json.out" events)
	echo "$cap: $L records; the rules ran on ${C:-?} (the scan's candidates, $(calc "\"%.2f\", 100 * ${C:-0} / ${L:-1}")%), ${M:-?} gave events ($E events): candidates / matched = $(calc "\"%.2f\", ${C:-0} / (${M:-0} > 0 ? ${M:-1} : 1)")" >>"$SCANINFO"
	[ "$cap" = dense ] && { DENSE_JSON_RSS=$JSON_RSS; DENSE_JSON_W=$JSON_W; DENSE_TEXT_W=$TEXT_W; }
done
# peak RSS flat with file size: the same replay over an eighth of the dense capture
head -c $((SIZE_MB * 1024 * 1024 / 8)) "$OUT/dense.log" >"$T/eighth.log"
set -- $(measure small "$CSD" --replay "$T/eighth.log" --json)
SMALL_RSS=$3
rm -f "$T/eighth.log"

# ---------------------------------------------------------------- 2. live, through the emulator
FAST=00008030001A2D1E3C02802E
FASTD=00008030-001A2D1E3C02802E
IDLE=2f1c0b7e9a4d3c6b5a8e7f9d0c1b2a3e4f5d6c7b
LIVE_OK=1
if [ "${BENCH_LIVE:-1}" = 0 ]; then
	say "BENCH_LIVE=0: live figures skipped"
	LIVE_OK=0
elif [ ! -x "$FAKE" ]; then
	say "no emulator at $FAKE: live figures skipped"
	LIVE_OK=0
fi
if [ "$LIVE_OK" = 1 ]; then
	head -n 200000 "$OUT/dense.log" >"$T/live.syslog"
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
	s0=$(steal_ticks); c0=$(now)
	LAT=$("$T/lat" -C "$T/ctl" -u "$IDLE" -n "$PROBES" -i 10 <"$T/csd.json")
	s1=$(steal_ticks); c1=$(now)
	LAT_STEAL=$(calc "\"%.2f s in these %.0f s\", ($s1 - $s0) / $HZ, $c1 - $c0")
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
verdict() { if [ "$1" = 1 ]; then echo "ok"; else echo "MISSED"; fi; }
echo
echo "callsightd benchmark  ($(uname -m), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null), $(date -u +%Y-%m-%dT%H:%MZ), $CSD)"
echo "scan first: $("$CSD" --version | sed -n 's/^scan first: //p'); $NSCEN syslog-format scenario captures; best wall of $RUNS runs, warm cache"
echo "plain patterns ($(wc -l <"$PLAIN" | tr -d ' ')): $(tr '\n' '|' <"$PLAIN" | sed 's/|$//')"
echo
printf '%-8s %-46s %8s %8s %9s %12s %8s\n' capture command "wall s" "user s" "MB/s" "lines/s" "RSS MB"
cat "$TABLE"
echo
cat "$RATIOS"
cat "$SCANINFO"
printf '%-58s %8s   target >= 1000  %s\n' "callsightd --replay text, dense capture (MB/s)" "$(calc "\"%.0f\", $(wc -c <"$OUT/dense.log") / 1e6 / $DENSE_TEXT_W")" "$(verdict "$(calc "\"%d\", ($(wc -c <"$OUT/dense.log") / 1e6 / $DENSE_TEXT_W >= 1000)")")"
printf '%-58s %8s   target >= 800   %s\n' "callsightd --replay --json, dense capture (MB/s)" "$(calc "\"%.0f\", $(wc -c <"$OUT/dense.log") / 1e6 / $DENSE_JSON_W")" "$(verdict "$(calc "\"%d\", ($(wc -c <"$OUT/dense.log") / 1e6 / $DENSE_JSON_W >= 800)")")"
[ -n "${DENSE_CEIL:-}" ] && printf '%-58s %8s   (index + scan alone on %s CPUs)\n' "this machine's ceiling for a replay, dense capture (MB/s)" "$DENSE_CEIL" "$NCPU"
printf '%-58s %8s   target <= 16    %s\n' "callsightd peak RSS, $SIZE_MB MiB capture (MB)" "$(calc "\"%.1f\", $DENSE_JSON_RSS / 1024")" "$(verdict "$(calc "\"%d\", ($DENSE_JSON_RSS <= 16384)")")"
printf '%-58s %8s   (flat: about the same)\n' "callsightd peak RSS, an eighth of it (MB)" "$(calc "\"%.1f\", $SMALL_RSS / 1024")"
echo
if [ "$LIVE_OK" = 1 ]; then
	printf '%-44s %12s %12s %14s\n' "live, one device, rate 0 (${WINDOW} s window)" "lines/s" "reader CPU%" "emulator CPU%"
	printf '%-44s %12s %12s %14s\n' "callsightd --json --no-store --no-socket" "$LIVE_RATE" "$LIVE_CPU" "$LIVE_FCPU"
	printf '%-44s %12s %12s %14s\n' "idevicesyslog (libimobiledevice 1.3.0)" "$IDS_RATE" "$IDS_CPU" "$IDS_FCPU"
	printf '%-44s %12s   target >= 50000 %s\n' "callsightd sustained lines/s" "$LIVE_RATE" "$(verdict "$(calc "\"%d\", (${LIVE_RATE:-0} >= 50000)")")"
	p99=$(lat_of p99_us)
	printf '%-44s %12s\n' "latency line -> record, $PROBES probes" "$(echo "$LAT" | sed 's/probes=[0-9]* //')"
	printf '%-44s %12s\n' "  the host's steal over the probes" "$LAT_STEAL (a stolen tick is a late record)"
	printf '%-44s %12s   target <= 5 ms  %s\n' "latency p50 / p99 (ms)" "$(calc "\"%.2f / %.2f\", $(lat_of p50_us) / 1000, ${p99:--1000} / 1000")" "$(verdict "$(calc "\"%d\", (${p99:-999999} >= 0 && ${p99:-999999} <= 5000)")")"
	printf '%-44s %12s   target ~ 0      %s\n' "idle CPU, silent device, ${WINDOW} s (%)" "$IDLE_CPU ($IDLE_TICKS ticks)" "$(verdict "$(calc "\"%d\", ($IDLE_CPU < 0.5)")")"
else
	echo "live figures: skipped (no emulator)"
fi

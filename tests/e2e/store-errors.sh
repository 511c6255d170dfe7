#!/bin/sh
# store-errors.sh - store errors are never silent (issue 14 §7), with the real daemon and emulator:
#  - a full disk: a 3 MB tmpfs, mounted in a private user+mount namespace (unshare -rm: no root
#    needed, nothing outside changes), nearly filled; the daemon says once why it cannot store,
#    sends clients a store_error record, keeps streaming lines to them, and when space comes back
#    marks the gap in the store (a mark record "store gap: N records not stored ...");
#  - a store damaged while the daemon runs: history answers with an error that names SQLite's cause
#    and an end record, a report with an error (and no bundle);
#  - a damaged store (pages overwritten with dd) or a truncated one is refused at start, naming the
#    file and what is wrong (exit 1); --replay of it says it cannot be replayed.
# Where unshare or tmpfs mounts are not allowed (macOS, locked-down containers) the full-disk part
# says it is skipped and why.
# usage (repo root): sh tests/e2e/store-errors.sh   (env CALLSIGHT_BUILD, default build)
if [ -z "${CS_IN_NS:-}" ] && command -v unshare >/dev/null 2>&1 &&
    unshare -rm sh -c 'd=$(mktemp -d) && mount -t tmpfs -o size=1m tmpfs "$d" && umount "$d" && rmdir "$d"' 2>/dev/null; then
	CS_IN_NS=1 exec unshare -rm env CS_IN_NS=1 sh "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
lib_watchdog 150
lib_require

U=00008030001A2D1E3C02802E
UD=00008030-001A2D1E3C02802E

fake_start -d "udid=$U,name=iPhone,capture=$DEMO,rate=400,loop=1"

if [ -n "${CS_IN_NS:-}" ]; then
	mkdir "$T/full"
	mount -t tmpfs -o size=3m,mode=700 tmpfs "$T/full"
	mkdir -m 700 "$T/full/st"
	csd_start d --store "$T/full/st/capture.db" --socket "$SOCK" --stall-timeout 0
	if sub_start s; then ok "subscriber connected"; else bad "subscriber connects" "$T/d.err"; finish; fi
	wait_for 20 "[ -s '$T/full/st/capture.db' ]"
	# leave about 300 KB: the store fills it within seconds
	dd if=/dev/zero of="$T/full/filler" bs=64k count=64 2>/dev/null
	avail=$(df -k "$T/full" | awk 'NR == 2 { print $4 }')
	[ "$avail" -gt 300 ] && dd if=/dev/zero of="$T/full/filler2" bs=1k count=$((avail - 300)) 2>/dev/null
	check "the daemon says why it cannot store" \
		"wait_for 60 \"grep -q 'records are not being stored' '$T/d.err'\"" "$T/d.err"
	check "... naming the cause (disk full)" "grep -q -i 'full' '$T/d.err'" "$T/d.err"
	check "clients get a store_error record" "wait_for 10 \"grep -q '\\\"type\\\":\\\"store_error\\\"' '$T/s.rec'\"" "$T/s.rec"
	check "live lines still reach the client while the store fails" "marker s '$U' full1" "$T/s.msg"
	sleep 3
	n=$(count 'records are not being stored' "$T/d.err")
	check "said once, not a flood ($n lines)" "[ $n -eq 1 ]" "$T/d.err"
	rm -f "$T/full/filler" "$T/full/filler2"
	check "writing again is said, with the gap" "wait_for 30 \"grep -q 'store: writing again' '$T/d.err'\"" "$T/d.err"
	check "the gap mark reaches the client" "wait_for 10 \"grep -q 'store gap: ' '$T/s.rec'\"" "$T/s.rec"
	sent=$(stat_of "$U" lines)
	csd_stop d
	check "callsightd exits 0 (got $RC)" "[ $RC -eq 0 ]" "$T/d.err"
	gap=$(sqlite3 "$T/full/st/capture.db" "SELECT note FROM marks WHERE note LIKE 'store gap:%'" 2>&1)
	check "the gap is marked in the store" "[ -n \"$gap\" ]"
	stored=$(sqlite3 "$T/full/st/capture.db" "SELECT count(*) FROM lines" 2>/dev/null)
	lost=$(echo "$gap" | sed -n 's/^store gap: \([0-9]*\) records.*/\1/p' | head -n 1)
	note "full disk: the emulator sent ${sent:-?} lines; ${stored:-?} stored; the gap mark reports ${lost:-?} records lost"
	note "$gap"
	check "no sanitizer report" "sanitizer_clean '$T/d.err'" "$T/d.err"
	sub_stop s
	umount "$T/full"
else
	skip "a full disk" "needs unshare -rm and a tmpfs mount, not allowed here"
fi

# a store that turns out corrupt while the daemon runs: made by the daemon (checked whole at
# start), then pages in the middle overwritten under it (the lines' pages; the small tables' first
# pages, read at open, stay): history and report answer with an error naming SQLite's cause
rm -rf "$T/cs"
mkdir -m 700 "$T/c"
csd_start c --store "$T/c/capture.db" --socket "$SOCK" --stall-timeout 0
wait_for 30 "[ -s '$T/c/capture.db' ] && [ \$(sqlite3 -readonly '$T/c/capture.db' 'SELECT count(*) FROM lines' 2>/dev/null || echo 0) -gt 2000 ]"
csd_stop c
# grown past the daemon's page cache (2 MB), so the damage below is read from the file and not
# from the pages it cached while checking the store at start
sqlite3 "$T/c/capture.db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
 INSERT INTO lines(device, number, time_us, recv_us, process, image, pid, level, raw, msg_off, msg_len)
 SELECT '$UD', i, (SELECT max(time_us) FROM lines) - 1000000 * 60 + i, 0, 'App', 'Foundation', 42, 'Notice',
 printf('Dec  1 00:00:00 iPhone App(Foundation)[42] <Notice>: filler line %07d with some payload', i), 54, 40 FROM n"
mkdir -m 700 "$T/t"
cp "$T/c/capture.db" "$T/t/capture.db"	# healthy: truncated below
rm -rf "$T/cs"
csd_start e --store "$T/c/capture.db" --socket "$SOCK" --stall-timeout 0
wait_for 15 "[ -S '$SOCK' ] || ! csd_alive e"
check "a healthy store passes the check at start" "csd_alive e && ! grep -q 'damaged' '$T/e.err'" "$T/e.err"
pages=$(($(wc -c <"$T/c/capture.db") / 4096))
dd if=/dev/urandom of="$T/c/capture.db" bs=4096 seek=$((pages / 2)) count=$((pages / 4)) conv=notrunc 2>/dev/null
"$NDC" -w 10 "$SOCK" '{"request":"history","types":["line","event"],"id":7}' >"$T/h.rec" 2>"$T/h.err" &
HP=$!
PIDS="$PIDS $HP"
wait_for 20 "grep -q '\"type\":\"end\"' '$T/h.rec' || ! csd_alive e"
check "history on a store damaged under the daemon answers with an error naming the cause" \
	"grep -q '\"type\":\"error\".*malformed' '$T/h.rec'" "$T/h.rec"
check "... and ends with the end record" "grep -q '\"type\":\"end\",\"id\":7' '$T/h.rec'" "$T/h.rec"
check "the daemon logs the read error once" "wait_for 10 \"[ \\\$(count 'store: history: database disk image is malformed' '$T/e.err') -eq 1 ]\"" "$T/e.err"
kill "$HP" 2>/dev/null
mkdir -m 700 "$T/rep"
"$NDC" -w 30 "$SOCK" '{"request":"report","out":"'"$T/rep"'","id":8}' >"$T/r.rec" 2>"$T/r.err" &
RP=$!
PIDS="$PIDS $RP"
wait_for 30 "grep -q '\"id\":8' '$T/r.rec' || ! csd_alive e"
check "a report of it answers with an error naming the cause" \
	"grep -q '\"type\":\"error\",.*\"id\":8.*malformed\\|\"type\":\"error\".*malformed.*\"id\":8' '$T/r.rec'" "$T/r.rec"
check "... and leaves no bundle behind" "[ -z \"\$(ls -A '$T/rep')\" ]" "$T/r.rec"
kill "$RP" 2>/dev/null
csd_stop e
damaged_size=$(wc -c <"$T/c/capture.db")
check "no sanitizer report (store damaged under the daemon)" "sanitizer_clean '$T/e.err'" "$T/e.err"

# the damaged store at the next start: refused, naming the file and what is wrong, exit 1
csd_start f --store "$T/c/capture.db" --socket "$SOCK" --stall-timeout 0
wait_for 15 "! csd_alive f"
csd_stop f
check "a damaged store is refused at start (exit 1, got $RC)" "[ $RC -eq 1 ]" "$T/f.err"
check "... saying which file and what is wrong" \
	"grep -q 'store $T/c/capture.db: damaged (corrupt): .*Page' '$T/f.err' && grep -q 'will not write into it' '$T/f.err'" "$T/f.err"
check "... and leaving it as it was" "[ \$(wc -c <'$T/c/capture.db') -eq $damaged_size ]" "$T/f.err"
"$CSD" --replay "$T/c/capture.db" >"$T/g.out" 2>"$T/g.err"
rc=$?
check "--replay of the damaged store: exit 1 (got $rc), saying it cannot be replayed" \
	"[ $rc -eq 1 ] && grep -q 'damaged (corrupt)' '$T/g.err' && grep -q 'cannot be replayed' '$T/g.err'" "$T/g.err"
check "no sanitizer report (damaged store refused)" "sanitizer_clean '$T/f.err' && sanitizer_clean '$T/g.err'" "$T/f.err"

# a truncated store (the first half of a healthy one)
size=$(wc -c <"$T/t/capture.db")
truncate -s $((size / 2)) "$T/t/capture.db"
csd_start h --store "$T/t/capture.db" --socket "$SOCK" --stall-timeout 0
wait_for 15 "! csd_alive h"
csd_stop h
check "a truncated store is refused at start (exit 1, got $RC), saying so" \
	"[ $RC -eq 1 ] && grep -q 'store $T/t/capture.db: damaged (corrupt): the file is truncated' '$T/h.err'" "$T/h.err"
check "no sanitizer report (truncated store)" "sanitizer_clean '$T/h.err'" "$T/h.err"
finish

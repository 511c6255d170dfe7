#!/bin/sh
# store-errors.sh - store errors are never silent (issue 14 §7), with the real daemon and emulator:
#  - a full disk: a 3 MB tmpfs, mounted in a private user+mount namespace (unshare -rm: no root
#    needed, nothing outside changes), nearly filled; the daemon says once why it cannot store,
#    sends clients a store_error record, keeps streaming lines to them, and when space comes back
#    marks the gap in the store (a mark record "store gap: N records not stored ...");
#  - a corrupt store: history answers with an error that names SQLite's cause, and an end record.
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

# a corrupt store: made by the daemon, then pages overwritten
rm -rf "$T/cs"
mkdir -m 700 "$T/c"
csd_start c --store "$T/c/capture.db" --socket "$SOCK" --stall-timeout 0
wait_for 30 "[ -s '$T/c/capture.db' ] && [ \$(sqlite3 -readonly '$T/c/capture.db' 'SELECT count(*) FROM lines' 2>/dev/null || echo 0) -gt 2000 ]"
csd_stop c
pages=$(($(wc -c <"$T/c/capture.db") / 4096))
# the middle of the file: the lines' pages (the small tables' first pages, read at open, stay)
dd if=/dev/urandom of="$T/c/capture.db" bs=4096 seek=$((pages / 2)) count=$((pages / 4)) conv=notrunc 2>/dev/null
rm -rf "$T/cs"
csd_start e --store "$T/c/capture.db" --socket "$SOCK" --stall-timeout 0
wait_for 15 "[ -S '$SOCK' ] || ! csd_alive e"
"$NDC" -w 10 "$SOCK" '{"request":"history","types":["line","event"],"id":7}' >"$T/h.rec" 2>"$T/h.err" &
HP=$!
PIDS="$PIDS $HP"
wait_for 20 "grep -q '\"type\":\"end\"' '$T/h.rec' || ! csd_alive e"
check "history on a corrupt store answers with an error naming the cause" \
	"grep -q '\"type\":\"error\".*malformed' '$T/h.rec'" "$T/h.rec"
check "... and ends with the end record" "grep -q '\"type\":\"end\",\"id\":7' '$T/h.rec'" "$T/h.rec"
check "the daemon logs the read error once" "wait_for 10 \"[ \\\$(count 'store: history: database disk image is malformed' '$T/e.err') -eq 1 ]\"" "$T/e.err"
kill "$HP" 2>/dev/null
csd_stop e
check "no sanitizer report (corrupt store)" "sanitizer_clean '$T/e.err'" "$T/e.err"
finish

#!/bin/sh
# safety.sh - issue 14's local-safety and input-edge checks through the real daemon (following the
# device emulator) and the real client:
#   - the client trusts only its own folder and its own user's daemon (a folder and a daemon planted
#     by `nobody`, a socket of nobody's linked into our folder, a planted sock.lock symlink);
#   - --socket on a regular file never deletes it; sock.pid is written no-follow, removed on exit;
#   - since/until are range-checked ("2026-01-01T999999:00:00" refused, not overflowed);
#   - the rest of an over-long request line is discarded, not parsed as a new request;
#   - messages say what is true (not-an-object, mode 1777, the store named once, flag -1, unknown
#     device, since > until, relative out, permission denied, a file of zeros is garbage).
# Parts that need root and setpriv (another user) say so and count as skipped elsewhere.
# Prints "N passed, N failed, N skipped"; exits non-zero when a check failed.
. "$(dirname "$0")/lib.sh"
lib_watchdog 180
lib_require

U=00008030001A2D1E3C02802E
UD=00008030-001A2D1E3C02802E
CS=$B/callsight
STORE=$T/capture.db

# ask NAME REQUEST|@FILE: one exchange on the daemon's socket; the records in $T/NAME.ans
ask() { "$NDC" -w 10 -q 2 "$SOCK" "$2" >"$T/$1.ans" 2>&1; }
has() { grep -q -F -- "$2" "$T/$1.ans"; }
# bounded SECONDS CMD...: CMD with stdin on /dev/null, killed when it outlives SECONDS (a client that
# hung before a fix fails its check, not the whole script); its exit status in RC
bounded() {
	_s=$1
	shift
	"$@" </dev/null &
	_bp=$!
	wait_for "$_s" "! kill -0 $_bp 2>/dev/null" || kill -9 "$_bp" 2>/dev/null
	wait "$_bp"
	RC=$?
}

fake_start -d "udid=$U,name=Ana,capture=$DEMO,rate=200,loop=1"
csd_start d1 --socket "$SOCK" --store "$STORE" --stall-timeout 0
wait_for 20 "[ -S '$SOCK' ]" || { bad "callsightd listens" "$T/d1.err"; finish; }
ask dev '{"request":"history","types":["device"],"id":1}'
wait_for 20 "ask dev '{\"request\":\"history\",\"types\":[\"event\"],\"limit\":1,\"id\":1}' && has dev '\"type\":\"event\"'" ||
	bad "the store has the device's events" "$T/dev.ans"

# ---------------------------------------------------------------- 12: since/until ranges
ask t1 '{"request":"history","since":"2026-01-01T999999:00:00","id":1}'
check "history: an hour of 999999 is refused, naming the field" \
	"has t1 '\"type\":\"error\"' && has t1 'hour' && ! has t1 '\"type\":\"end\"'" "$T/t1.ans"
ask t2 '{"request":"history","until":"99999-13-45T25:61:61Z","id":1}'
check "history: a 5-digit year is refused" "has t2 'year' && has t2 '\"type\":\"error\"'" "$T/t2.ans"
ask t3 '{"request":"history","since":"2026-02-29T00:00:00Z","id":1}'
check "history: 2026-02-29 is refused" "has t3 'February 29'" "$T/t3.ans"
ask t4 '{"request":"history","since":"2000-01-01T00:00:00.5+02:00","types":["device"],"id":1}'
check "history: a valid time with fraction and zone is served" "has t4 '\"type\":\"end\"'" "$T/t4.ans"
bounded 20 "$CS" report --socket "$SOCK" --since "2026-01-01T999999:00:00" --out "$T" >"$T/r.out" 2>"$T/r.err"
check "callsight report --since with an hour of 999999: refused with the reason" \
	"[ $RC -ne 0 ] && grep -q 'not a time' '$T/r.err'" "$T/r.err"
check "the daemon is alive and clean after bad times" "csd_alive d1 && sanitizer_clean '$T/d1.err'" "$T/d1.err"

# ---------------------------------------------------------------- 13: an over-long request line
{
	printf '{"request":"ping","id":1,"pad":"'
	head -c 400000 /dev/zero | tr '\0' 'A'
	printf '"}{"request":"ping","id":66}\n{"request":"ping","id":2}\n'
} >"$T/long.req"
ask long "@$T/long.req"
check "over-long line: one 'longer than' error" "[ \$(count 'longer than' '$T/long.ans') -eq 1 ]" "$T/long.ans"
check "over-long line: its rest is not parsed (no malformed error, no pong 66)" \
	"! has long 'malformed' && ! has long '\"id\":66'" "$T/long.ans"
check "over-long line: the next request is served" "has long '\"type\":\"pong\",\"id\":2'" "$T/long.ans"

# ---------------------------------------------------------------- 14: messages
ask m1 '[1,2,3]'
check "a JSON array: 'not a JSON object', no column -1" \
	"has m1 'not a JSON object' && ! has m1 'column -1'" "$T/m1.ans"
ask m2 '{"request":"report","flag":-1,"id":1}'
check "flag -1: refused as not a flag id (no 18446744073709551615)" \
	"has m2 'positive integer' && ! has m2 '18446744073709551615'" "$T/m2.ans"
mkdir -p "$T/bundles"
ask m3 "{\"request\":\"report\",\"device\":\"NO-SUCH-PHONE\",\"out\":\"$T/bundles\",\"id\":1}"
check "report for an unknown device: refused" "has m3 'no device NO-SUCH-PHONE'" "$T/m3.ans"
ask m4 "{\"request\":\"report\",\"since\":\"2026-11-25T15:00:00Z\",\"until\":\"2026-11-25T14:00:00Z\",\"out\":\"$T/bundles\",\"id\":1}"
check "report with since > until: refused" "has m4 'is after'" "$T/m4.ans"
check "no bundle was written for either" "[ -z \"\$(ls '$T/bundles')\" ]"
ask m5 '{"request":"report","out":"relative/dir","id":1}'
check "report with a relative out: refused by the daemon (the client resolves it)" \
	"has m5 'absolute' && [ ! -e relative ]" "$T/m5.ans"
mkdir -p "$T/here"
(cd "$T/here" && "$CS" report --socket "$SOCK" --out . >"$T/rel.out" 2>"$T/rel.err")
check "callsight report --out . writes into the client's folder" \
	"grep -q '^$T/here/' '$T/rel.out'" "$T/rel.err"
mkdir -m 1777 "$T/sticky"
"$CSD" --socket "$T/sticky/sock" --no-store --replay "$DEMO" --serve >/dev/null 2>"$T/sticky.err"
check "a 1777 socket folder: refused, its mode shown as 1777" "grep -q 'mode 1777' '$T/sticky.err'" "$T/sticky.err"
mkdir "$T/notdb"
"$CSD" --socket "$T/s2/sock" --store "$T/notdb" --replay "$DEMO" --serve >/dev/null 2>"$T/store.err"
check "a store that cannot be used: named once (no 'store X: store X')" \
	"[ \$(grep -o -F '$T/notdb' '$T/store.err' | wc -l) -eq 1 ]" "$T/store.err"
head -c 50000000 /dev/zero | "$CSD" --replay - --json >"$T/zero.out" 2>"$T/zero.err"
check "50 MB of zero bytes: garbage_bytes 50000000" "grep -q '\"garbage_bytes\":50000000' '$T/zero.out'" "$T/zero.out"

# ---------------------------------------------------------------- 11: --socket and sock.pid
check "sock.pid exists while serving, with the daemon's pid" \
	"[ -f '$SOCK.pid' ] && [ \"\$(cat '$SOCK.pid')\" = $(csd_pid d1) ]"
echo "precious" >"$T/precious"
"$CSD" --socket "$T/precious" --no-store --replay "$DEMO" --serve >/dev/null 2>"$T/prec.err"
check "--socket on a regular file: refused, the file kept" \
	"grep -q 'not a socket' '$T/prec.err' && [ \"\$(cat '$T/precious')\" = precious ]" "$T/prec.err"
mkdir -m 700 "$T/p2"
ln -s "$T/pid-target" "$T/p2/sock.pid"
csd_start d2 --socket "$T/p2/sock" --no-store --replay "$DEMO" --serve
wait_for 10 "[ -S '$T/p2/sock' ]"
check "a planted sock.pid symlink is not followed" "[ ! -e '$T/pid-target' ] && grep -q 'not a regular file' '$T/d2.err'" "$T/d2.err"
csd_stop d2
csd_stop d1
check "sock.pid is removed on exit" "[ ! -e '$SOCK.pid' ] && [ ! -e '$SOCK' ]"

# ---------------------------------------------------------------- 9: whom the client talks to
csd_start d1 --socket "$SOCK" --store "$STORE" --stall-timeout 0
wait_for 20 "[ -S '$SOCK' ]"
ln -s "$T/lock-target" "$T/cs/other.lock"
bounded 10 "$CS" --socket "$T/cs/other" >/dev/null 2>"$T/lock.err"
check "the TUI does not follow a sock.lock symlink (its target is not created)" \
	"[ ! -e '$T/lock-target' ] && grep -q 'cannot lock' '$T/lock.err'" "$T/lock.err"
"$CS" tail --json --socket "$SOCK" >"$T/own.out" 2>&1 &
TP=$!
wait_for 10 "grep -q '\"type\":\"device\"' '$T/own.out'"
kill "$TP" 2>/dev/null; wait "$TP" 2>/dev/null
check "callsight tail talks to our own daemon" "grep -q '\"type\":\"device\"' '$T/own.out'" "$T/own.out"

if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null 2>&1; then
	skip "another user's planted folder and daemon" "needs root and setpriv(1) to act as nobody (uid $(id -u); setpriv: $(command -v setpriv || echo absent))"
	skip "another user's daemon behind our folder" "same"
	skip "permission denied is said as such" "same"
else
	NB="setpriv --reuid=65534 --regid=65534 --clear-groups"
	chmod 711 "$T"
	mkdir -m 711 "$T/pub"
	mkdir -m 700 "$T/pub/evil" && chown 65534:65534 "$T/pub/evil"
	# nobody's daemon serves in a folder nobody made (as if $TMPDIR/callsight-UID/ were planted)
	$NB "$CSD" --socket "$T/pub/evil/sock" --no-store --replay "$DEMO" --serve >/dev/null 2>"$T/evil.err" &
	EP=$!
	PIDS="$PIDS $EP"
	wait_for 10 "[ -S '$T/pub/evil/sock' ]" || bad "nobody's daemon listens" "$T/evil.err"
	bounded 10 "$CS" tail --json --socket "$T/pub/evil/sock" >"$T/evil.out" 2>&1
	rc=$RC
	check "tail: a folder owned by another user is refused (exit $rc, uid named)" \
		"[ $rc -ne 0 ] && grep -q 'owned by uid 65534' '$T/evil.out' && ! grep -q '\"type\":\"flag\"' '$T/evil.out'" "$T/evil.out"
	mkdir -p "$T/out9"
	bounded 20 "$CS" report --no-redact --socket "$T/pub/evil/sock" --out "$T/out9" >"$T/evil.rep" 2>&1
	check "report --no-redact: not sent to another user's folder" \
		"grep -q 'owned by uid 65534' '$T/evil.rep' && [ -z \"\$(ls '$T/out9')\" ]" "$T/evil.rep"
	bounded 10 "$CS" --socket "$T/pub/evil/sock" >/dev/null 2>"$T/evil.tui"
	check "the TUI refuses it too" "grep -q 'owned by uid 65534' '$T/evil.tui'" "$T/evil.tui"
	# nobody's socket linked into a folder that is ours: only the peer check can tell
	mkdir -m 700 "$T/mine"
	ln "$T/pub/evil/sock" "$T/mine/sock"
	bounded 10 "$CS" tail --json --socket "$T/mine/sock" >"$T/peer.out" 2>&1
	rc=$RC
	check "tail: a daemon running as another user is refused (exit $rc)" \
		"[ $rc -ne 0 ] && grep -q 'served by uid 65534' '$T/peer.out'" "$T/peer.out"
	bounded 20 "$CS" report --no-redact --socket "$T/mine/sock" --out "$T/out9" >"$T/peer.rep" 2>&1
	check "report: the request is not sent to that daemon" \
		"grep -q 'served by uid 65534' '$T/peer.rep' && [ -z \"\$(ls '$T/out9')\" ]" "$T/peer.rep"
	# permission denied: nobody's own folder, a socket nobody may not open
	chmod 000 "$T/pub/evil/sock"
	bounded 10 $NB "$CS" tail --json --socket "$T/pub/evil/sock" >"$T/perm.out" 2>&1
	check "permission denied is said as such (not 'start it')" \
		"grep -q 'Permission denied' '$T/perm.out' && ! grep -q 'start it' '$T/perm.out'" "$T/perm.out"
	bounded 10 $NB "$CS" --socket "$T/pub/evil/sock" >/dev/null 2>"$T/perm.tui"
	check "the TUI says permission denied too, and starts no daemon of its own over that socket" \
		"grep -q 'Permission denied' '$T/perm.tui' && [ ! -e '$T/pub/evil/sock.lock' ]" "$T/perm.tui"
	kill "$EP" 2>/dev/null
	wait "$EP" 2>/dev/null
fi
csd_stop d1
check "callsightd exits cleanly (status $RC) with no sanitizer report" \
	"[ '$RC' = 0 ] && sanitizer_clean '$T/d1.err'" "$T/d1.err"
finish

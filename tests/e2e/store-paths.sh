#!/bin/sh
# store-paths.sh - where a store may live (issue 14 §8, §10), with the real daemon:
#  - a symlink anywhere above the store works (the folders are resolved), a symlinked final
#    component is refused, and a failed open leaves no file behind;
#  - `--replay` reads a store through a symlinked folder, and from a folder it cannot write
#    (run as nobody: the store is opened immutable, no -shm is needed);
#  - a store in a group/world-writable folder (sticky /tmp-like included) is refused, and so are
#    pre-existing -wal/-shm files that are not the user's own 0600 regular files.
# No device is needed: the daemon is pointed at a usbmuxd socket nobody serves.
# usage (repo root): sh tests/e2e/store-paths.sh   (env CALLSIGHT_BUILD, default build)
. "$(dirname "$0")/lib.sh"
lib_watchdog 90
lib_require

D=$T/d
mkdir -m 700 "$D" "$D/real"
ln -s real "$D/link"

# start NAME STORE: the daemon on that store; true when it serves its socket
start() {
	rm -rf "$T/cs"
	csd_start "$1" --store "$2" --socket "$SOCK" --stall-timeout 0
	wait_for 15 "[ -S '$SOCK' ] || ! csd_alive $1"
	[ -S "$SOCK" ] && csd_alive "$1"
}
# refused NAME STORE PATTERN: the daemon exits non-zero naming the problem
refused() {
	csd_start "$1" --store "$2" --socket "$SOCK" --stall-timeout 0
	wait_for 15 "! csd_alive $1"
	csd_stop "$1"
	[ "$RC" -ne 0 ] && grep -q -- "$3" "$T/$1.err"
}

# --- §8: symlinked folders
if start a "$D/link/capture.db"; then ok "a store through a symlinked folder opens"; else bad "a store through a symlinked folder opens" "$T/a.err"; fi
csd_stop a
check "the store is in the real folder" "[ -s '$D/real/capture.db' ]"
check "a symlinked final component is refused" \
	"ln -s real/capture.db '$D/final.db' && refused b '$D/final.db' 'symbolic link'" "$T/b.err"
# a failure after the file was created: a directory where SQLite wants its -wal (refused first),
# and a folder that cannot be created (root ignores modes, so a file stands in the way)
: >"$D/blocker"
check "a store under a file is refused" "refused c '$D/blocker/sub/capture.db' 'cannot create'" "$T/c.err"
check "no file left behind by the failed opens" \
	"[ ! -e '$D/final.db-wal' ] && [ ! -e '$D/blocker/sub' ] && [ \$(ls '$D/real' | wc -l) -eq 1 ]"

out=$("$CSD" --replay "$D/link/capture.db" 2>"$T/r1.err"); rc=$?
check "replay of a store through a symlinked folder works (rc $rc)" "[ $rc -eq 0 ] && echo '$out' | grep -q 'lines'" "$T/r1.err"

# a read-only folder: a copy of the store readable by nobody, in a folder nobody can write
if command -v setpriv >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	RO=$(mktemp -d "${TMPDIR:-/tmp}/cs-ro.XXXXXX")
	chmod 755 "$RO"
	mkdir "$RO/ro"
	cp "$D/real/capture.db" "$RO/ro/capture.db"
	chmod 644 "$RO/ro/capture.db"
	chmod 555 "$RO/ro"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$CSD" --replay "$RO/ro/capture.db" \
	    >"$T/r2.out" 2>"$T/r2.err"; rc=$?
	check "replay of a store in a read-only folder works (rc $rc)" "[ $rc -eq 0 ] && grep -q lines '$T/r2.out'" "$T/r2.err"
	check "the read-only folder is untouched" "[ \$(ls -a '$RO/ro' | wc -l) -eq 3 ]"
	chmod 755 "$RO/ro"
	rm -rf "$RO"
elif [ "$(id -u)" != 0 ]; then
	RO=$T/ro
	mkdir "$RO"
	cp "$D/real/capture.db" "$RO/capture.db"
	chmod 555 "$RO"
	"$CSD" --replay "$RO/capture.db" >"$T/r2.out" 2>"$T/r2.err"; rc=$?
	check "replay of a store in a read-only folder works (rc $rc)" "[ $rc -eq 0 ] && grep -q lines '$T/r2.out'" "$T/r2.err"
	chmod 755 "$RO"
else
	skip "replay from a read-only folder" "running as root without setpriv(1): modes do not bind root"
fi

# --- §10: shared folders and planted side files
mkdir -m 1777 "$D/sticky" && chmod 1777 "$D/sticky"
check "a store in a world-writable sticky folder is refused" "refused e '$D/sticky/capture.db' 'writable by other users'" "$T/e.err"
check "... and nothing is created there" "[ -z \"\$(ls -A '$D/sticky')\" ]"
mkdir -m 770 "$D/group" && chmod 770 "$D/group"
check "a store in a group-writable folder is refused" "refused f '$D/group/capture.db' 'writable by other users'" "$T/f.err"

mkdir -m 700 "$D/planted"
: >"$D/planted/capture.db-wal"
chmod 666 "$D/planted/capture.db-wal"
check "a planted 0666 -wal file is refused" "refused g '$D/planted/capture.db' 'capture.db-wal already exists'" "$T/g.err"
check "... and no store file is created beside it" "[ ! -e '$D/planted/capture.db' ]"
rm -f "$D/planted/capture.db-wal"
if [ "$(id -u)" = 0 ]; then
	: >"$D/planted/capture.db-shm"
	chmod 600 "$D/planted/capture.db-shm"
	chown 65534 "$D/planted/capture.db-shm"
	check "a -shm file of another user is refused" "refused h '$D/planted/capture.db' 'capture.db-shm already exists'" "$T/h.err"
	rm -f "$D/planted/capture.db-shm"
else
	skip "a -shm file of another user" "needs root to chown one"
fi
ln -s /tmp/elsewhere "$D/planted/capture.db-wal"
check "a -wal symlink is refused" "refused i '$D/planted/capture.db' 'symbolic link'" "$T/i.err"
rm -f "$D/planted/capture.db-wal"
if start j "$D/planted/capture.db"; then ok "the same folder with nothing planted works"; else bad "the same folder with nothing planted works" "$T/j.err"; fi
csd_stop j
for n in a b c e f g i j; do
	check "no sanitizer report ($n)" "sanitizer_clean '$T/$n.err'" "$T/$n.err"
done
finish

#!/bin/sh
# scan-compare.sh - the scan-first path (Vectorscan finds the lines a rule literal occurs in; the
# others are not built, daemon/parse.c skip_line) against the fallback (CALLSIGHT_NO_VECTORSCAN=1:
# every line built and offered to the rules' own prefilter), record for record, over every capture
# in tests/ (scenarios, the emulator's demo, the fuzz corpora, tests/real/ when present) and over
# one large capture made of them all (chunk seams, Dec -> Jan, continuations), each read from the
# file (256 KiB chunks) and from a pipe (whatever chunks the pipe gives), as --json (and the big
# one as text with --events), with the builtin rules and with a --rules file that replaces and adds rules (the
# scan database is rebuilt with the rule set). Only the summary's "candidates" count may differ.
# Scan ahead (daemon/replay.c: a second thread reads and scans the chunks ahead of the pipeline,
# and indexes their lines when the pipeline is behind) against CALLSIGHT_SCAN_AHEAD=0 (read and
# scan in turn, no index) and CALLSIGHT_SCAN_AHEAD=index (every chunk indexed): the same records,
# summary included.
# With a Vectorscan build it also checks that the scan did skip lines (else the comparison would
# compare the fallback with itself). Prints "N passed, N failed".
set -u
B=${CALLSIGHT_BUILD:-build}
D="$B/callsightd"
passed=0
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL $1"; }

engine=$("$D" --version | sed -n 's/^scan first: //p')
echo "# scan first: $engine"

# one large capture: every syslog-format capture, 40 times over, so lines cross 256 KiB chunks
: >"$tmp/big.log"
i=0
while [ $i -lt 40 ]; do
	for f in tests/scenarios/*.log tests/fakedevice/demo.syslog; do
		head -c 16 "$f" | tr -d '\0' | grep -q '^[A-Z][a-z][a-z] [ 0-9][0-9] ' && cat "$f" >>"$tmp/big.log"
	done
	i=$((i + 1))
done
# a year's end inside the capture, a continuation block and a blank line between headers
printf 'Dec 31 23:59:58 iPhone SpringBoard(FrontBoard)[59] <Notice>: last of the year\n  continued text\n\nJan  1 00:00:01 iPhone SpringBoard(FrontBoard)[59] <Notice>: first of the year\n' >>"$tmp/big.log"

cat >"$tmp/user.rules" <<'EOF'
# replaces a builtin rule by name and adds one: the scan database must follow the new set
opentok.session.connected  call_connected  *  /sessionDidConnect|streamCreated/
my.own.rule                call_error      *  /Bootstrap success/
EOF

files=$(ls tests/scenarios/*.log tests/fakedevice/demo.syslog tests/fuzz/corpus/*/* 2>/dev/null)
if [ -d tests/real ]; then
	files="$files $(find tests/real -type f ! -name '*.md' ! -name '*.expect' ! -name '*.json' | sort)"
fi
files="$files $tmp/big.log"

strip() { sed 's/"candidates":[0-9]*,//'; }
total_scan=0
total_all=0
nfiles=0
for src in $files; do
	nfiles=$((nfiles + 1))
	# read a fresh copy: its mtime is now, the reference a pipe gets too, so that captures whose
	# stamps carry no date (Console.app copies) land on the same day from the file and the pipe
	f=$tmp/capture
	cp "$src" "$f"
	for rules in "" "--rules $tmp/user.rules"; do
		modes="--json"
		# text with --events too, for the big capture (flags printed as text, events listed)
		[ "$src" = "$tmp/big.log" ] && modes="--json --events"
		for mode in $modes; do
			# shellcheck disable=SC2086
			"$D" --replay "$f" $mode $rules >"$tmp/scan.out" 2>"$tmp/scan.err"
			rc1=$?
			# shellcheck disable=SC2086
			CALLSIGHT_NO_VECTORSCAN=1 "$D" --replay "$f" $mode $rules >"$tmp/all.out" 2>"$tmp/all.err"
			rc2=$?
			strip <"$tmp/scan.out" >"$tmp/scan.s"
			strip <"$tmp/all.out" >"$tmp/all.s"
			if [ $rc1 -eq $rc2 ] && cmp -s "$tmp/scan.err" "$tmp/all.err" && cmp -s "$tmp/scan.s" "$tmp/all.s"; then
				ok
			else
				bad "$src $mode $rules: the scan path differs from the fallback (exit $rc1 / $rc2)"
				diff "$tmp/scan.s" "$tmp/all.s" | head -n 6 | sed 's/^/     | /'
			fi
			for how in 0 index; do
				# shellcheck disable=SC2086
				CALLSIGHT_SCAN_AHEAD=$how "$D" --replay "$f" $mode $rules >"$tmp/seq.out" 2>"$tmp/seq.err"
				rc3=$?
				if [ $rc1 -eq $rc3 ] && cmp -s "$tmp/scan.err" "$tmp/seq.err" && cmp -s "$tmp/scan.out" "$tmp/seq.out"; then
					ok
				else
					bad "$src $mode $rules: CALLSIGHT_SCAN_AHEAD=$how gives other records"
					diff "$tmp/scan.out" "$tmp/seq.out" | head -n 6 | sed 's/^/     | /'
				fi
			done
			if [ "$mode" = "--json" ] && [ -z "$rules" ]; then
				# a pipe has no file time: the day that dates stamp-less lines comes from --date
				# for both (a file alone would use its modification time, a pipe today)
				day=$(date -r "$f" +%Y-%m-%d)
				"$D" --replay "$f" --json --date "$day" 2>/dev/null >"$tmp/file.out"
				cat "$f" | "$D" --replay - --json --date "$day" 2>/dev/null >"$tmp/pipe.out"
				strip <"$tmp/file.out" | grep -v '"type":"summary"' >"$tmp/a"
				strip <"$tmp/pipe.out" | grep -v '"type":"summary"' >"$tmp/b"
				if cmp -s "$tmp/a" "$tmp/b"; then ok; else
					bad "$src $rules: read from a pipe, the records differ from the file's"
					diff "$tmp/a" "$tmp/b" | head -n 6 | sed 's/^/     | /'
				fi
				c=$(sed -n 's/.*"type":"summary".*"candidates":\([0-9]*\).*/\1/p' "$tmp/scan.out")
				l=$(sed -n 's/.*"type":"summary".*"candidates":\([0-9]*\).*/\1/p' "$tmp/all.out")
				total_scan=$((total_scan + ${c:-0}))
				total_all=$((total_all + ${l:-0}))
			fi
		done
	done
done
echo "# $nfiles captures; rules ran on $total_scan records with the scan, $total_all without"
case $engine in
Vectorscan*)
	if [ "$total_scan" -gt 0 ] && [ "$total_scan" -lt "$total_all" ]; then ok
	else bad "the scan did not cut the records the rules run on ($total_scan of $total_all)"; fi ;;
*)
	echo "# built without Vectorscan: both runs take the fallback; the scan path is not exercised here" ;;
esac
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

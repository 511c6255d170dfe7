#!/bin/sh
# tui-calls.sh - the TUI's files call one way (issue 13 §5): main -> client / keys / view-* -> view ->
# model -> draw, as tmux's client does; no two files of tui/ call each other. A function's home is
# the file that defines it without `static` (return type on the line before, the house style);
# a call is its name followed by '(' outside comments. Prints the graph, then "N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tui-calls.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
# definitions: "name file"
for f in tui/*.c; do
	awk -v file="$(basename "$f")" '
		/^[a-z_][a-z0-9_]*\(/ && prev !~ /^static/ { sub(/\(.*/, ""); print $0, file }
		{ prev = $0 }' "$f"
done >"$tmp/defs"
# calls: "from to" for each file that names another file's function
for f in tui/*.c; do
	from=$(basename "$f")
	# comments out (a /* ... */ on one line or across lines), then every identifier before '('
	sed -e 's|/\*.*\*/||g' "$f" | awk '/\/\*/ { c = 1 } !c { print } /\*\// { c = 0 }' |
		grep -oE '[a-z_][a-z0-9_]*\(' | tr -d '(' | sort -u >"$tmp/used"
	awk -v from="$from" 'NR == FNR { used[$1] = 1; next } ($1 in used) && $2 != from { print from, $2 }' \
		"$tmp/used" "$tmp/defs"
done | sort -u >"$tmp/calls"
awk '{ g[$1] = g[$1] " " $2 } END { for (f in g) print f " ->" g[f] }' "$tmp/calls" | sort
while read -r a b; do
	if grep -qx "$b $a" "$tmp/calls"; then
		echo "FAIL $a and $b call each other"
		failed=$((failed + 1))
	fi
done <"$tmp/calls"
if [ "$failed" -eq 0 ]; then
	echo "ok   no two files of tui/ call each other ($(wc -l <"$tmp/calls" | tr -d ' ') one-way pairs)"
	passed=1
fi
for pane in tui/view-*.c; do	# the panes reach main and keys only through view.c
	p=$(basename "$pane")
	if grep -qE "^$p (main|keys|client)\.c$" "$tmp/calls"; then
		echo "FAIL $p calls $(grep -E "^$p (main|keys|client)\.c$" "$tmp/calls" | cut -d' ' -f2)"
		failed=$((failed + 1))
	else
		passed=$((passed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/bin/sh
# trigrams.sh - tools/trigrams.sh, which makes daemon/scan/trigrams.txt (the trigram counts the scan
# chooses its literal prefixes by, daemon/scanprefix.c), counts what it says it counts: each line's
# message after the first ": ", lower-cased, printable ASCII only, at least MIN times, most common
# first; and the committed table is in the form the daemon reads (the daemon refusing it would only
# cost speed, silently: test_scanprefix checks that the embedded copy parses).
. "$(dirname "$0")/lib.sh"

# the header ("Nov 21 ... proc[1] <Notice>: ") is not counted, "ABab" is "abab", a line without
# ": " is counted whole, trigrams with a tab or a byte past ASCII are not
printf 'Nov 21 08:00:00 dev proc[1] <Notice>: ABab\nno colon abab\n' > "$T/in1.log"
printf 'x: ab\tab\n\303\251ab: zzzz\n' > "$T/in2.log"
MIN=1 sh tools/trigrams.sh "$T/in1.log" "$T/in2.log" > "$T/out" 2> "$T/err"
grep -v '^#' "$T/out" > "$T/records"
cat > "$T/want" <<'WANT'
2 "aba"
2 "bab"
2 "zzz"
1 " ab"
1 " co"
1 "col"
1 "lon"
1 "n a"
1 "no "
1 "o c"
1 "olo"
1 "on "
WANT
if cmp -s "$T/records" "$T/want" && [ ! -s "$T/err" ]; then
	ok "tools/trigrams.sh counts messages' lower-cased printable trigrams, most common first"
else
	bad "tools/trigrams.sh counts (diff want got):"; diff "$T/want" "$T/records" | head -20; cat "$T/err"
fi
MIN=2 sh tools/trigrams.sh "$T/in1.log" "$T/in2.log" | grep -v '^#' > "$T/min2"
if [ "$(cat "$T/min2")" = "$(head -n 3 "$T/want")" ]; then ok "MIN keeps the counts at or above it"
else bad "MIN=2 kept: $(tr '\n' '|' < "$T/min2")"; fi

# the committed table: the generator's header, then records the daemon's parser accepts
tab=daemon/scan/trigrams.txt
n=$(grep -v '^#' "$tab" | wc -l)
badlines=$(grep -v '^#' "$tab" | grep -c -v -E '^[0-9]+ "[ -~]{3}"$')
if head -n 1 "$tab" | grep -q '^# How often each trigram' && [ "$n" -gt 1000 ] && [ "$badlines" -eq 0 ]; then
	ok "$tab: $n records, each COUNT \"abc\""
else bad "$tab: $n records, $badlines not COUNT \"abc\""; fi

finish

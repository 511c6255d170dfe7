#!/bin/sh
# trigrams.sh - count how often each 3-byte sequence occurs in device log messages, for the scan's
# choice of which part of each rule literal to look for (daemon/scanprefix.c says why). Run by hand
# when the captures change; its output is daemon/scan/trigrams.txt, data the daemon embeds:
#   sh tools/trigrams.sh tests/scenarios/*.log tests/real/*.log > daemon/scan/trigrams.txt
# Each line's message (after the first ": ", the end of a syslog header) is lower-cased, as rule
# literals are; only printable ASCII trigrams are counted, those seen at least MIN times are kept.
set -eu
MIN=${MIN:-4}
echo "# How often each trigram occurs in the lower-cased messages of the test captures (tests/scenarios,"
echo "# tests/real): the scan looks for each rule literal up to its rarest trigram (daemon/scanprefix.c)."
echo "# Made by tools/trigrams.sh; one per line: count, a space, the 3 bytes in double quotes."
LC_ALL=C awk -v min="$MIN" '
{
	i = index($0, ": ")
	m = tolower(i > 0 ? substr($0, i + 2) : $0)
	n = length(m) - 2
	for (k = 1; k <= n; k++) {
		t = substr(m, k, 3)
		if (t ~ /^[ -~][ -~][ -~]$/)
			count[t]++
	}
}
END {
	for (t in count)
		if (count[t] >= min)
			printf "%d \"%s\"\n", count[t], t
}' "$@" | LC_ALL=C sort -k1,1nr -k2

#!/bin/sh
# report-chromium.sh - render a real bug-report bundle in headless Chromium and check what a
# developer would see: the bundle is written by the report unit test (CS_REPORT_OUT=DIR leaves its
# sample bundle there), report.html names the cause and the fix, carries no script and no secret,
# and Chromium paints it into a screenshot that is a real page, not a blank one.
# Builds nothing: run `make` first. Env CALLSIGHT_BUILD = the build folder (default build).
# Closes with "N passed, N failed"; exits non-zero on any failure.
set -u
B=${CALLSIGHT_BUILD:-build}
passed=0
failed=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cs-e2e-report.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

ok() { passed=$((passed + 1)); echo "ok   - $1"; }
bad() { failed=$((failed + 1)); echo "FAIL - $1"; }
check() {	# description, command...
	d=$1; shift
	if "$@" >/dev/null 2>&1; then ok "$d"; else bad "$d"; fi
}
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit $?
}

bin="$B/tests/test_report"
if [ ! -x "$bin" ]; then
	bad "$bin is built (run make first)"
	finish
fi

# 1. the bundle
if CS_REPORT_OUT="$tmp" "$bin" >"$tmp/test.log" 2>&1; then
	ok "test_report wrote a sample bundle"
else
	bad "test_report wrote a sample bundle (its output follows)"
	cat "$tmp/test.log"
fi
dir="$tmp/sample"
html="$dir/report.html"
for f in report.html flags.json events.ndjson syslog.txt; do
	check "bundle has a non-empty $f" test -s "$dir/$f"
done
if [ ! -s "$html" ]; then
	finish
fi

# 2. what the page says, and what it must not carry
check "report.html names the cause id" grep -q 'missing_background_mode' "$html"
check "report.html shows the cause label" grep -q 'App suspended on lock: no audio/voip background mode' "$html"
check "report.html gives the advice" grep -q 'Add the background modes: Xcode &gt; Signing &amp; Capabilities' "$html"
check "report.html has the SVG timeline" grep -q '<svg' "$html"
if grep -qi '<script' "$html"; then bad "report.html has no <script"; else ok "report.html has no <script"; fi
if grep -q 'T1==' "$dir"/*; then bad "no OpenTok token in the bundle"; else ok "no OpenTok token in the bundle"; fi
urls=$(grep -Eo '(https?|wss?|ftp)://[^"<> ]*' "$html" | grep -v '^http://www.w3.org/2000/svg$')
if [ -n "$urls" ]; then bad "report.html fetches nothing (found: $urls)"; else ok "report.html fetches nothing"; fi

# 3. render it
chrome=""
for c in chromium chromium-browser google-chrome \
    "/Applications/Chromium.app/Contents/MacOS/Chromium" \
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"; do	# macOS: no PATH entry
	if command -v "$c" >/dev/null 2>&1 || [ -x "$c" ]; then chrome=$c; break; fi
done
if [ -z "$chrome" ]; then
	bad "chromium is installed (tools/deps.sh installs the Debian package 'chromium')"
	finish
fi
png="$tmp/report.png"
set -- "$chrome" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	--disable-background-networking --disable-component-update --disable-sync \
	--user-data-dir="$tmp/profile" --screenshot="$png" --window-size=1280,1600 "file://$html"
if command -v timeout >/dev/null 2>&1; then
	set -- timeout 120 "$@"
fi
"$@" >"$tmp/chrome.log" 2>&1
if [ -s "$png" ]; then
	ok "chromium rendered a screenshot"
else
	bad "chromium rendered a screenshot (its log follows)"
	cat "$tmp/chrome.log"
	finish
fi

# 4. the screenshot is a PNG of the asked size with real content: a blank 1280x1600 page
# compresses to a few KB; this report's colours, text and hatching give well over 60 KB
sig=$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')
check "the screenshot is a PNG" test "$sig" = "89504e470d0a1a0a"
dims=$(dd if="$png" bs=1 skip=16 count=8 2>/dev/null | od -An -tu1 | tr -s ' ' | sed 's/^ //')
w=$(echo "$dims" | awk '{print $1*16777216 + $2*65536 + $3*256 + $4}')
h=$(echo "$dims" | awk '{print $5*16777216 + $6*65536 + $7*256 + $8}')
check "the screenshot is 1280 wide (got $w x $h)" test "$w" -eq 1280
size=$(wc -c <"$png" | tr -d ' ')
check "the screenshot is not blank ($size bytes > 60000)" test "$size" -gt 60000
if [ -n "${CS_REPORT_PNG:-}" ]; then
	cp "$png" "$CS_REPORT_PNG" && echo "screenshot kept in $CS_REPORT_PNG"
fi

finish

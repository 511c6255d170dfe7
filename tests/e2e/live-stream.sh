#!/bin/sh
# live-stream.sh - lines sent == lines received, byte for byte, at 5,000 lines/s for 20 s.
# One emulated device streams a generated capture (100,000 relay-format lines, each message carrying
# a unique sequence number, with quotes, backslashes, UTF-8 and JSON-looking text mixed in) at rate
# 5000; `callsightd --json --no-store -u UDID --stall-timeout 0` serves it on its socket, where a
# subscriber with "lines":true (tests/e2e/nd-client.c) decodes every line record's message. Checks:
# the emulator's `stats` count = the lines received = the capture, the set of sequence numbers, the
# message text byte-exact and in order, no event/flag made up from noise, no crash, exit 0 on TERM.
# usage (repo root): sh tests/e2e/live-stream.sh   (env CALLSIGHT_BUILD, default build)
. "$(dirname "$0")/lib.sh"
lib_watchdog 89
lib_require

N=${LIVE_STREAM_LINES:-100000}
RATE=${LIVE_STREAM_RATE:-5000}
U=00008030001A2D1E3C02802E
UD=00008030-001A2D1E3C02802E

# the capture: second-resolution stamps advancing with the rate; messages of five shapes
awk -v n="$N" -v rate="$RATE" 'BEGIN {
	for (i = 1; i <= n; i++) {
		s = int(i / rate); h = 10 + int(s / 3600); m = int(s / 60) % 60; sec = s % 60
		k = i % 5
		if (k == 0) msg = sprintf("e2e seq=%06d plain ascii payload %d", i, i * 7)
		else if (k == 1) msg = sprintf("e2e seq=%06d quote \"q%d\" and back\\slash \\n not a newline", i, i)
		else if (k == 2) msg = sprintf("e2e seq=%06d utf8 caf\303\251 \346\227\245\346\234\254 \360\237\223\236 end", i)
		else if (k == 3) msg = sprintf("e2e seq=%06d json {\"a\":[1,2],\"b\":null} <private> %%@ done", i)
		else msg = sprintf("e2e seq=%06d   spaces  inside   and a trailing dot.", i)
		printf "Nov 25 %02d:%02d:%02d iPhone App(Foundation)[4242] <Notice>: %s\n", h, m, sec, msg
	}
}' >"$T/stream.syslog"
sed 's/^[^>]*>: //' "$T/stream.syslog" >"$T/expected.msg"

fake_start -d "udid=$U,name=iPhone,capture=$T/stream.syslog,rate=$RATE,attached=0"
ok "emulator starts with a $N-line capture at $RATE lines/s"

csd_start d --json --no-store --socket "$SOCK" -u "$UD" --stall-timeout 0
if sub_start s; then ok "subscriber connected to callsightd's socket"; else bad "subscriber connects" "$T/s.err"; bad "callsightd log" "$T/d.err"; finish; fi

cmd "attach $U" >/dev/null
check "device record: attached" "wait_count 1 10 '\"type\":\"device\".*\"device\":\"$UD\".*\"state\":\"attached\"' '$T/d.out'" "$T/d.out"
check "device record: streaming" "wait_count 1 10 '\"type\":\"device\".*\"device\":\"$UD\".*\"state\":\"streaming\"' '$T/d.out'" "$T/d.out"

# the capture takes N/RATE seconds; allow 15 s more for the tail
t0=$(date +%s)
wait_for $((N / RATE + 15)) "[ \$(wc -l <'$T/s.msg') -ge $N ]"
t1=$(date +%s)
sleep 1		# anything extra would show now
sent=$(stat_of "$U" lines)
got=$(wc -l <"$T/s.msg")
note "emulator sent $sent lines; the subscriber received $got in about $((t1 - t0)) s"
check "emulator sent the whole capture (stats lines=$sent)" "[ '$sent' = $N ]"
check "lines received = lines sent ($got = $sent)" "[ $got -eq '${sent:-0}' ]"

sed -n 's/^e2e seq=\([0-9]*\) .*/\1/p' "$T/s.msg" | sort -u >"$T/got.seq"
seq -w 1 "$N" | awk '{ printf "%06d\n", $1 }' >"$T/want.seq"
comm -23 "$T/want.seq" "$T/got.seq" >"$T/missing.seq"
comm -13 "$T/want.seq" "$T/got.seq" >"$T/extra.seq"
check "every sequence number arrived ($(wc -l <"$T/missing.seq") missing)" "[ ! -s '$T/missing.seq' ]" "$T/missing.seq"
check "no unknown sequence number" "[ ! -s '$T/extra.seq' ]" "$T/extra.seq"
check "each sequence number exactly once" \
	"[ \$(sed -n 's/^e2e seq=\([0-9]*\) .*/\1/p' '$T/s.msg' | sort | uniq -d | wc -l) -eq 0 ]"
if cmp -s "$T/expected.msg" "$T/s.msg"; then
	ok "message text byte-exact and in order"
else
	bad "message text byte-exact and in order"
	diff "$T/expected.msg" "$T/s.msg" | head -n 8 | cut -c1-200 | sed 's/^/       /'
fi
check "line records carry the device UDID" \
	"[ \$(count '\"type\":\"line\".*\"device\":\"$UD\"' '$T/s.rec') -eq $got ]"
check "no flag raised from noise lines" "[ \$(count '\"type\":\"flag\"' '$T/d.out') -eq 0 ]" "$T/d.out"
check "no 'dropped' notice to the subscriber" "! grep -q '\"type\":\"dropped\"' '$T/s.rec'" "$T/s.rec"

check "callsightd alive after the stream" "csd_alive d" "$T/d.err"
csd_stop d
check "callsightd exits 0 on SIGTERM (got $RC)" "[ $RC -eq 0 ]" "$T/d.err"
check "no sanitizer report from callsightd" "sanitizer_clean '$T/d.err'" "$T/d.err"
check "no sanitizer report from the emulator" "sanitizer_clean '$T/fake.err'" "$T/fake.err"
finish

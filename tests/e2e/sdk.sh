#!/bin/sh
# sdk.sh - the call SDK on records and in advice, through the real binary (issue 9): flags and the
# summary name the SDK the rules saw; --sdk forces it and refuses a name the rules do not know;
# the advice is in the SDK's API terms, OpenTok's is the causes' own (unchanged); a user rules file
# adds an SDK with its advice, no code. No device is needed (replays of tests/scenarios/sdk_*).
# usage (repo root): sh tests/e2e/sdk.sh   (env CALLSIGHT_BUILD, default build)
. "$(dirname "$0")/lib.sh"
lib_watchdog 120
D=$CSD
S=tests/scenarios
tmp=$T
run() { "$@" >"$tmp/out" 2>"$tmp/err"; echo $?; }
field() { # field FILE TYPE KEY: the string value of KEY in the first record of TYPE
	grep "\"type\":\"$2\"" "$1" | head -1 | sed -n "s/.*\"$3\":\"\\([^\"]*\\)\".*/\\1/p"
}

# a Twilio capture: the flag and the summary say twilio-video, the advice speaks Twilio
rc=$(run "$D" --replay $S/sdk_twilio_network.log --json --year 2024)
if [ "$rc" = 0 ] && [ "$(field "$tmp/out" flag sdk)" = twilio-video ] &&
    [ "$(field "$tmp/out" summary sdk)" = twilio-video ]; then ok "a Twilio capture names twilio-video"
else bad "a Twilio capture names twilio-video (rc $rc, flag '$(field "$tmp/out" flag sdk)')" "$tmp/err"; fi
if grep '"type":"flag"' "$tmp/out" | grep -q 'roomIsReconnecting'; then ok "its network_loss advice names roomIsReconnecting"
else bad "its network_loss advice names roomIsReconnecting"; fi

# OpenTok keeps the causes' own advice, word for word
rc=$(run "$D" --replay $S/11_network_loss.log --json --year 2024)
if [ "$rc" = 0 ] && [ "$(field "$tmp/out" flag sdk)" = opentok ] &&
    grep '"type":"flag"' "$tmp/out" | grep -q 'show reconnecting UI on sessionDidBeginReconnecting'; then
	ok "an OpenTok capture: sdk opentok, the causes.def advice"
else bad "an OpenTok capture: sdk opentok, the causes.def advice"; fi

# --sdk forces the name (and so the advice); text mode says it too
rc=$(run "$D" --replay $S/sdk_webrtc_network.log --sdk agora)
if [ "$rc" = 0 ] && grep -q '^    sdk: agora$' "$tmp/out" && grep -q 'call SDK: agora' "$tmp/out" &&
    grep -q 'connectionChangedTo' "$tmp/out"; then ok "--sdk agora: named in text mode, Agora's advice"
else bad "--sdk agora: named in text mode, Agora's advice (rc $rc)"; fi
rc=$(run "$D" --replay $S/sdk_webrtc_network.log)
if grep -q '^    sdk: webrtc$' "$tmp/out"; then ok "without --sdk the same capture says webrtc"
else bad "without --sdk the same capture says webrtc"; fi

# an unknown --sdk is a usage error that lists the known ones
rc=$(run "$D" --replay $S/sdk_webrtc_network.log --sdk twillio)
if [ "$rc" = 2 ] && grep -q "unknown SDK 'twillio'" "$tmp/err" && grep -q "twilio-video" "$tmp/err"; then
	ok "--sdk twillio: exit 2, the known names listed"
else bad "--sdk twillio: exit 2 with the known names (rc $rc)"; fi

# a new SDK is a rules file plus its advice
cat >"$tmp/acme.rules" <<'RULES'
sdk acme-rtc
acme.up     call_connected     *  /\bAcmeRTC: joined\b/
acme.lost   call_reconnecting  *  /\bAcmeRTC: link lost\b/
acme.down   call_disconnected  *  /\bAcmeRTC: left\b/
advice network_loss "AcmeRTC gave up: call AcmeRTC.rejoin() from onLinkLost."
RULES
printf '%s\n' \
    'Mar  9 14:50:00 Acme(Foundation)[700] <Notice>: AcmeRTC: joined' \
    'Mar  9 14:50:30 Acme(Foundation)[700] <Notice>: AcmeRTC: link lost' \
    'Mar  9 14:50:31 kernel[0] <Notice>: nothing' \
    'Mar  9 14:51:00 Acme(Foundation)[700] <Notice>: AcmeRTC: left' >"$tmp/acme.log"
rc=$(run "$D" --replay "$tmp/acme.log" --rules "$tmp/acme.rules" --json --year 2024)
if [ "$rc" = 0 ] && [ "$(field "$tmp/out" flag sdk)" = acme-rtc ] &&
    [ "$(field "$tmp/out" flag advice)" = "AcmeRTC gave up: call AcmeRTC.rejoin() from onLinkLost." ]; then
	ok "a user rules file adds an SDK and its advice"
else bad "a user rules file adds an SDK and its advice (rc $rc, sdk '$(field "$tmp/out" flag sdk)')"; fi
rc=$(run "$D" --replay "$tmp/acme.log" --rules "$tmp/acme.rules" --sdk acme-rtc --json --year 2024)
if [ "$rc" = 0 ]; then ok "--sdk accepts an SDK a user rules file defines"; else bad "--sdk acme-rtc (rc $rc)"; fi

finish

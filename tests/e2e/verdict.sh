#!/bin/sh
# verdict.sh - what the scenario suite's cause list cannot see (issue 8): which app a flag names, seen
# or inferred, the alternatives and what settles them, the summary's date source and clock jumps,
# --app in the "no app" text, and no record ever stamped 1970. Real binary, scenario captures.
# usage (repo root): sh tests/e2e/verdict.sh   (env CALLSIGHT_BUILD, default build)
. "$(dirname "$0")/lib.sh"
lib_watchdog 120
S=tests/scenarios
if [ ! -x "$CSD" ]; then bad "binary $CSD exists"; finish; fi
replay() { "$CSD" --replay "$@" 2>"$T/err"; }
flags() { grep '"type":"flag"' "$1"; }

# a helper process is not the app: the WebContent process logs the call, the host app is flagged
replay $S/34_call_in_webcontent_helper_relay.log --json --year 2024 >"$T/34"
check "34: the flag names the host app" "flags $T/34 | grep -q '\"app\":\"com.acme.peercall\"'" "$T/34"
check "34: no flag names WebContent" "! flags $T/34 | grep -q 'WebContent\",\"severity'" "$T/34"

# daylight-saving fall-back: the disconnect after unlock is the drop's own report (seen, 0.90)
replay $S/32_dst_fall_back_mid_call_relay.log --json --year 2024 >"$T/32"
check "32: the drop is seen, not inferred, at 0.90" \
    "flags $T/32 | grep -q '\"confidence\":0.9,\"inferred\":false'" "$T/32"
check "32: the summary counts one clock jump" "grep -q '\"clock_jumps\":1' $T/32" "$T/32"
replay $S/32_dst_fall_back_mid_call_relay.log --year 2024 >"$T/32.txt"
check "32: the text says the clock went back" "grep -q \"clock went back 1 time\" $T/32.txt" "$T/32.txt"

# alternatives: modes unknown, so no_active_audio_in_background could also be it, settled by --app-info
replay $S/21_consequence_audio_stop_on_suspend_idevicesyslog.log --json --year 2024 >"$T/21"
check "21: alternatives name no_active_audio_in_background with what settles it" \
    "flags $T/21 | grep -q '\"alternatives\":\\[{\"cause\":\"no_active_audio_in_background\",\"confidence\":0.3,\"settle\":\"[^\"]*--app-info'" "$T/21"
replay $S/21_consequence_audio_stop_on_suspend_idevicesyslog.log --year 2024 >"$T/21.txt"
check "21: the text shows 'could also be'" "grep -q 'could also be:' $T/21.txt" "$T/21.txt"
replay $S/01_missing_background_mode.log --json --year 2024 >"$T/01"
check "01: modes known missing (entitlement NO): no alternative" \
    "flags $T/01 | grep -q '\"alternatives\":\\[\\]'" "$T/01"

# an app that vanished mid-call: the detail says so
replay $S/30_app_vanishes_relaunch_relay.log --json --year 2024 >"$T/30"
check "30: the detail says the app vanished" "flags $T/30 | grep -q 'vanished mid-call'" "$T/30"

# time-only stamps: the summary says what dated them
replay $S/22_consequence_audio_stop_on_suspend_console.log --json --date 2024-05-10 >"$T/22"
check "22: --date dates time-only stamps" "grep -q '\"date_source\":\"--date\"' $T/22" "$T/22"
check "22: ... to that day" "flags $T/22 | grep -q '\"time\":\"2024-05-10T'" "$T/22"
replay $S/22_consequence_audio_stop_on_suspend_console.log --json >"$T/22b"
check "22: without --date the file's time dates them" "grep -q '\"date_source\":\"the file.s time\"' $T/22b" "$T/22b"
replay $S/22_consequence_audio_stop_on_suspend_console.log --date 2024-02-30 >/dev/null
rc=$?
check "22: --date 2024-02-30 is refused (exit 2, got $rc)" "[ $rc -eq 2 ] && grep -q 'not a date' $T/err" "$T/err"

# --app honoured: the "no app" text never tells someone who gave --app to try --app
replay $S/17_lock_unlock_no_call.log --year 2024 --app com.not.there >"$T/17.txt"
check "--app named in the summary, no 'try --app'" \
    "grep -q 'com.not.there (--app; no line names it)' $T/17.txt && ! grep -q 'try --app' $T/17.txt" "$T/17.txt"

# never 1970, in any format, with or without a header before the first stamp
bad1970=""
for f in $S/*.log tests/real/*.log; do
	args=$(sed -n 's/^args: //p' "${f%.log}.expect" 2>/dev/null)
	# shellcheck disable=SC2086
	if replay "$f" --json $args | grep -q '"time":"1970-'; then bad1970="$bad1970 $f"; fi
done
check "no record of any scenario or real excerpt is stamped 1970${bad1970:+ (got:$bad1970)}" "[ -z '$bad1970' ]"
finish

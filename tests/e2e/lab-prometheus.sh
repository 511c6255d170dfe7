#!/bin/sh
# lab-prometheus.sh - `callsightd --metrics` against a real Prometheus (issue 11, docs/lab.md).
# The emulator streams the demo call (tests/fakedevice/demo.syslog: the call drops on screen lock,
# cause missing_background_mode); callsightd follows it with --metrics on a loopback port. Checks:
#   - GET /metrics parses with Prometheus's own parser (promtool check metrics), has HELP and TYPE
#     for every family, escapes a device name with a quote and a backslash
#   - a Prometheus server (own config, data dir and loopback port; not the system service) scrapes
#     it: the query callsight_disconnects_total answers 1 with cause="missing_background_mode", and
#     the CallsightCallDropped rule of docs/lab/alerts.yml fires in that server (ALERTS)
#   - unplug and replug: the counters stay (not reset), device_connected goes 0 then 1
#   - docs/lab/alerts.yml passes promtool check rules and its unit tests (promtool test rules); every
#     query of the Grafana dashboard (docs/lab/grafana-callsight.json) evaluates in that Prometheus
#   - anything but GET /metrics is refused; a second daemon on the same port says why it cannot
# Skips (printed, counted as skipped) only when prometheus/promtool/curl are not installed.
# usage (repo root): sh tests/e2e/lab-prometheus.sh   (env CALLSIGHT_BUILD, default build)
. "$(dirname "$0")/lib.sh"
for t in prometheus promtool curl; do
	if ! command -v $t >/dev/null 2>&1; then
		skip "lab-prometheus" "$t is not installed (make deps installs it on Debian)"
		finish
	fi
done
lib_watchdog 150
lib_require

U=00008101000A1B2C3D4E5F60
UD=00008101-000A1B2C3D4E5F60
MPORT=$((20000 + $$ % 10000))
PPORT=$((MPORT + 10000))
NAME='QA "7" \ iPhone'

fake_start -d "udid=$U,name=$NAME,version=17.5.1,capture=$DEMO,rate=100,attached=0" \
	-a "com.example.VideoCall,name=VideoCall,mic=Calls,camera=Video"
csd_start d --json --store "$T/store.db" --socket "$SOCK" -u "$UD" --stall-timeout 0 \
	--metrics "127.0.0.1:$MPORT"
check "callsightd listens on the metrics port" \
	"wait_for 20 'curl -sf http://127.0.0.1:$MPORT/metrics -o \"$T/m0.txt\"'" "$T/d.err"
check "before any phone: build_info says the version" \
	"grep -q '^callsight_build_info{version=\"[0-9.]*\"} 1$' '$T/m0.txt'" "$T/m0.txt"

# the real Prometheus, scraping every second, with the shipped alert rules
mkdir -p "$T/prom"
cp docs/lab/alerts.yml "$T/prom/alerts.yml"
cat >"$T/prom/prometheus.yml" <<EOC
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [alerts.yml]
scrape_configs:
  - job_name: callsight
    static_configs:
      - targets: ["127.0.0.1:$MPORT"]
EOC
prometheus --config.file="$T/prom/prometheus.yml" --storage.tsdb.path="$T/prom/data" \
	--web.listen-address="127.0.0.1:$PPORT" >"$T/prom.log" 2>&1 &
PIDS="$PIDS $!"
PROM=http://127.0.0.1:$PPORT
check "prometheus starts on 127.0.0.1:$PPORT" "wait_for 30 'curl -sf $PROM/-/ready >/dev/null'" "$T/prom.log"

cmd "attach $U" >/dev/null
check "the demo call drops: a flag record" \
	"wait_count 1 60 '\"type\":\"flag\".*missing_background_mode' '$T/d.out'" "$T/d.err"
curl -sf "http://127.0.0.1:$MPORT/metrics" -o "$T/m1.txt"
check "promtool check metrics accepts the exposition" "promtool check metrics <'$T/m1.txt' >'$T/check.txt' 2>&1" "$T/check.txt"
for fam in disconnects_total warnings_total calls_total call_up device_connected stream_state \
	lines_total store_bytes clients build_info; do
	check "HELP and TYPE for callsight_$fam" \
		"grep -q '^# HELP callsight_$fam ' '$T/m1.txt' && grep -q '^# TYPE callsight_$fam ' '$T/m1.txt'" "$T/m1.txt"
done
check "disconnects_total: one drop, with udid, escaped device name, app, cause" \
	"grep -qF 'callsight_disconnects_total{udid=\"$UD\",device=\"QA \\\"7\\\" \\\\ iPhone\",app=\"com.example.VideoCall\",sdk=\"' '$T/m1.txt' && grep -q '^callsight_disconnects_total{.*,cause=\"missing_background_mode\"} 1\$' '$T/m1.txt'" "$T/m1.txt"
sdk=$(sed -n 's/^callsight_disconnects_total{.*,sdk="\([^"]*\)".*/\1/p' "$T/m1.txt")
check "disconnects_total: the sdk label is the flag's sdk field (${sdk:-empty})" \
	"grep -q '\"sdk\":\"$sdk\"' '$T/d.out' || { [ -z '$sdk' ] && ! grep -q '\"type\":\"flag\".*\"sdk\"' '$T/d.out'; }" "$T/d.out"
check "calls_total counts the call that connected" \
	"grep -qF 'callsight_calls_total{udid=\"$UD\",app=\"com.example.VideoCall\"} 1' '$T/m1.txt'" "$T/m1.txt"
check "device_connected is 1 with the iOS version" \
	"grep -qF 'callsight_device_connected{udid=\"$UD\",device=\"QA \\\"7\\\" \\\\ iPhone\",ios=\"17.5.1\"} 1' '$T/m1.txt'" "$T/m1.txt"
check "stream_state streaming is 1" \
	"grep -qF 'callsight_stream_state{udid=\"$UD\",state=\"streaming\"} 1' '$T/m1.txt'" "$T/m1.txt"
check "lines_total counts the lines read" \
	"grep -q '^callsight_lines_total{udid=\"$UD\"} [1-9]' '$T/m1.txt'" "$T/m1.txt"
check "store_bytes is the store's size" "grep -q '^callsight_store_bytes [1-9]' '$T/m1.txt'" "$T/m1.txt"
check "no log text in any label (no line of the capture)" \
	"! grep -q -e 'sessionDidConnect' -e 'BackgroundRunning' -e 'Error Domain' '$T/m1.txt'" "$T/m1.txt"

# Prometheus answers the query with the cause
q() { promtool query instant "$PROM" "$1" 2>&1; }
check "query callsight_disconnects_total answers with the cause" \
	"wait_for 30 'q callsight_disconnects_total | grep -q \"cause=\\\"missing_background_mode\\\"\"'"
q callsight_disconnects_total >"$T/query.txt"
note "prometheus> callsight_disconnects_total"
sed 's/^/     #   /' "$T/query.txt"
check "the query's value is 1" "grep -q '=> 1 @' '$T/query.txt'" "$T/query.txt"
check "CallsightCallDropped fires in Prometheus (ALERTS)" \
	"wait_for 30 'q \"ALERTS{alertname=\\\"CallsightCallDropped\\\",alertstate=\\\"firing\\\"}\" | grep -q missing_background_mode'"
q 'ALERTS{alertstate="firing"}' | sed 's/^/     #   /'
# every query of the Grafana dashboard is PromQL this Prometheus evaluates (variables filled in)
sed -n 's/^ *"expr": "\(.*\)",\{0,1\}$/\1/p' docs/lab/grafana-callsight.json |
	sed -e 's/\\"/"/g' -e 's/\$instance/.*/g' -e 's/\$__range/10m/g' >"$T/dash.exprs"
nq=0; qbad=0
while IFS= read -r expr; do
	nq=$((nq + 1))
	promtool query instant "$PROM" "$expr" >"$T/dash.out" 2>&1 || { qbad=$((qbad + 1)); note "dashboard query fails: $expr"; sed 's/^/     #   /' "$T/dash.out"; }
done <"$T/dash.exprs"
check "the $nq Grafana dashboard queries all evaluate in Prometheus" "[ $nq -ge 8 ] && [ $qbad -eq 0 ]" "$T/dash.exprs"
check "the dashboard's drops-by-cause query answers with the cause" \
	"promtool query instant '$PROM' 'sum by (cause) (increase(callsight_disconnects_total[5m])) or sum by (cause) (callsight_disconnects_total)' | grep -q missing_background_mode"

# unplug and replug: counters stay, connected goes 0 then 1
cmd "detach $U" >/dev/null
check "unplugged: device_connected 0" \
	"wait_for 10 'curl -sf http://127.0.0.1:$MPORT/metrics | grep -q \"^callsight_device_connected{udid=\\\"$UD\\\".*} 0\$\"'"
cmd "attach $U" >/dev/null
check "replugged: device_connected 1" \
	"wait_for 10 'curl -sf http://127.0.0.1:$MPORT/metrics | grep -q \"^callsight_device_connected{udid=\\\"$UD\\\".*} 1\$\"'"
curl -sf "http://127.0.0.1:$MPORT/metrics" -o "$T/m2.txt"
d2=$(sed -n "s/^callsight_disconnects_total{udid=\"$UD\".*} \([0-9]*\)$/\1/p" "$T/m2.txt")
check "replug: disconnects_total not reset (got ${d2:-none}, at least 1)" "[ '${d2:-0}' -ge 1 ]" "$T/m2.txt"
l1=$(sed -n "s/^callsight_lines_total{udid=\"$UD\"} \([0-9]*\)$/\1/p" "$T/m1.txt")
l2=$(sed -n "s/^callsight_lines_total{udid=\"$UD\"} \([0-9]*\)$/\1/p" "$T/m2.txt")
check "replug: lines_total not reset ($l1 -> $l2)" "[ '${l2:-0}' -ge '${l1:-1}' ]" "$T/m2.txt"

# the HTTP side: only GET/HEAD /metrics
check "GET / is 404" "[ \$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$MPORT/) = 404 ]"
check "POST /metrics is 405" "[ \$(curl -s -o /dev/null -w '%{http_code}' -X POST -d x http://127.0.0.1:$MPORT/metrics) = 405 ]"
check "Content-Type is the 0.0.4 text format" \
	"curl -sI http://127.0.0.1:$MPORT/metrics | grep -qi '^content-type: text/plain; version=0.0.4'"
USBMUXD_SOCKET_ADDRESS=$MUXADDR "$CSD" --no-store --socket "$T/other.sock" --metrics "127.0.0.1:$MPORT" \
	>"$T/busy.out" 2>"$T/busy.err"
rc=$?
check "a second daemon on the busy port exits 1 and says why (rc $rc)" \
	"[ $rc -eq 1 ] && grep -q 'cannot listen on 127.0.0.1 port $MPORT' '$T/busy.err'" "$T/busy.err"
"$CSD" --no-store --no-socket --metrics "127.0.0.1:99999" >/dev/null 2>"$T/bad.err"
check "a malformed --metrics value is refused with a message" \
	"grep -q \"is not PORT, ADDR:PORT\" '$T/bad.err'" "$T/bad.err"

# the shipped rule files
check "promtool check rules docs/lab/alerts.yml" "promtool check rules docs/lab/alerts.yml >'$T/rules.txt' 2>&1" "$T/rules.txt"
check "promtool test rules docs/lab/alerts.test.yml (drop, phone gone, stalled stream)" \
	"(cd docs/lab && promtool test rules alerts.test.yml) >'$T/rtest.txt' 2>&1" "$T/rtest.txt"
check "the Grafana dashboard is JSON with panels" \
	"jq -e '.panels | length > 0' docs/lab/grafana-callsight.json >/dev/null 2>&1 || python3 -c 'import json,sys; d=json.load(open(\"docs/lab/grafana-callsight.json\")); sys.exit(0 if d[\"panels\"] else 1)'"

check "callsightd alive" "csd_alive d" "$T/d.err"
csd_stop d
check "callsightd exits 0 on SIGTERM (got $RC)" "[ $RC -eq 0 ]" "$T/d.err"
check "no sanitizer report from callsightd" "sanitizer_clean '$T/d.err'" "$T/d.err"
finish

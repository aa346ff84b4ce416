#!/usr/bin/env bash
# Measures upstate against baselines taken in the same run (`make bench`):
# bare echo for the HTTP paths, raw outbox-shaped Postgres transactions for
# the paths that commit (on the one durable Postgres that every figure
# uses, run by bench/cmd/benchenv). Runs, in order: the raw outbox rate;
# bare echo; bin/upstate's REST status path, signed webhook deliveries
# until JetStream stores them and until the status service has applied
# them, and acceptance to StatusChanged on the stream at half the applied
# rate; the 202 again with JetStream fsyncing every message; a backlog of
# webhook deliveries accepted by bin/gateway while bin/status is stopped,
# then drained by bin/status, timed from outside; bin/upstate's cold
# start, idle RSS and warm restart; the SLA service's uptime queries
# against a plain GET; the SLA, alerting and incidents services' consumer
# transactions and the notification service's deliveries (against a plain
# HTTP client) as Go benchmarks. It prints a table per part and writes
# bench/results/latest.{json,md} (bench/cmd/benchreport). Every load goes
# to 127.0.0.1 and is bounded in time; figures are reported, never
# asserted. A run fails only when a load sees more than 1% errors.
#
#   BENCH_DURATION       measured time per run (default 10s; 2s warm-up on top)
#   BENCH_CONNECTIONS    concurrent keep-alive connections (default 64)
#   BENCH_BACKLOG        webhook deliveries in the drained backlog (default 100000)
#   BENCH_DRAIN_TIMEOUT  how long the drain may take (default 10m)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/bin"
duration=${BENCH_DURATION:-10s}
conns=${BENCH_CONNECTIONS:-64}
backlog=${BENCH_BACKLOG:-100000}
drain_timeout=${BENCH_DRAIN_TIMEOUT:-10m}
ready_timeout=120
body_down='{"status":"down","description":"bench"}'
body_up='{"status":"operational","description":"bench"}'
hook_down='{"status":"down"}'
hook_up='{"status":"operational"}'
hook_secret="bench-secret-$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')"

# Under /tmp, world-traversable, so a Postgres started as another user by a
# root-run bin/upstate can reach its data dir.
tmp=$(mktemp -d /tmp/upstate-bench.XXXXXX)
chmod 755 "$tmp"
results="$tmp/results" # what benchreport reads, one JSON file per figure
mkdir -p "$results"
pids=()

# stop PID asks a process to exit, then forces it after 15 s.
stop() {
	local i
	kill -TERM "$1" 2>/dev/null || return 0
	# Let bin/upstate drain and stop its own Postgres before forcing it.
	for ((i = 0; i < 150; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}
# stop_all stops every process started so far, newest first.
stop_all() {
	local i
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do stop "${pids[i]}"; done
	pids=()
}
# stop_all_but_env stops every process started after benchenv.
stop_all_but_env() {
	local i
	for ((i = ${#pids[@]} - 1; i >= 1; i--)); do stop "${pids[i]}"; done
	pids=("${pids[0]}")
}
cleanup() {
	stop_all
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_ready URL PID LOG waits until URL answers 2xx, failing early if PID
# dies; it polls every $poll seconds.
poll=0.25
wait_ready() {
	local url=$1 pid=$2 log=$3 deadline=$((SECONDS + ready_timeout))
	until curl -fsS --noproxy '*' --max-time 2 -o /dev/null "$url" 2>/dev/null; do
		if ! kill -0 "$pid" 2>/dev/null || ((SECONDS >= deadline)); then
			echo "bench: $url not ready (process exited or ${ready_timeout}s passed); log tail:" >&2
			tail -n 40 "$log" >&2
			return 1
		fi
		sleep "$poll"
	done
}

# load NAME [loadgen flags…] runs one load; its summary line lands in
# $tmp/NAME.out. A failed load is remembered so that the table still prints.
failed=0
load() {
	local name=$1
	shift
	"$bin/loadgen" -name "$name" -c "$conns" -d "$duration" "$@" >"$tmp/$name.out" || failed=1
	cat "$tmp/$name.out"
}
# field NAME N prints field N of load NAME's summary line.
field() { awk -v n="$2" '{ print $n }' "$tmp/$1.out"; }
# result NAME saves load NAME's req/s, p50 and p99 for benchreport.
result() {
	awk '{ p50 = $5; p99 = $7; sub(/ms$/, "", p50); sub(/ms$/, "", p99)
		printf "{\"rps\":%s,\"p50_ms\":%s,\"p99_ms\":%s}\n", $2, p50, p99 }' "$tmp/$1.out" >"$results/$1.json"
}
# now_ms prints the time in milliseconds.
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# free_addr prints a free loopback address.
free_addr() { echo "127.0.0.1:$("$bin/loadgen" -free-port)"; }

echo "== building"
make -C "$root" --no-print-directory build
go -C "$root/bench" build -o "$bin/" ./cmd/loadgen ./cmd/bareecho ./cmd/outboxtx ./cmd/benchenv \
	./cmd/drainwatch ./cmd/eventlat ./cmd/benchreport

# One durable Postgres and one JetStream server for the whole run: the
# raw outbox rate, bin/upstate's API and the drained backlog all use that
# Postgres (a database each), and the separate binaries that NATS.
echo "== infrastructure (durable Postgres, NATS)"
"$bin/benchenv" -dir "$tmp/env" -databases outbox,upstate,upstate_sync,drain >"$tmp/benchenv.out" 2>"$tmp/benchenv.log" &
pids=($!)
env_pid=$!
for ((i = 0; i < 1200; i++)); do
	grep -qx ready "$tmp/benchenv.out" && break
	kill -0 "$env_pid" 2>/dev/null || break
	sleep 0.1
done
grep -qx ready "$tmp/benchenv.out" || { echo "bench: benchenv did not start:" >&2; cat "$tmp/benchenv.log" >&2; exit 1; }
dsn() { awk -v db="$1" '$1 == "postgres" && $2 == db { print $3 }' "$tmp/benchenv.out"; }
env_nats=$(awk '$1 == "nats" { print $2 }' "$tmp/benchenv.out")

echo "== baseline: raw outbox transactions (32 clients)"
"$bin/outboxtx" -dsn "$(dsn outbox)" -c 32 -d "$duration" -json >"$results/outbox.json" || failed=1
cat "$results/outbox.json"

echo "== baseline: bare echo"
"$bin/bareecho" >"$tmp/bareecho.log" 2>&1 &
pids+=($!)
for ((i = 0; i < 100; i++)); do
	base=$(sed -n 's/^listening on //p' "$tmp/bareecho.log")
	[[ -n $base ]] && break
	sleep 0.05
done
[[ -n $base ]] || { echo "bench: bareecho did not start:" >&2; cat "$tmp/bareecho.log" >&2; exit 1; }
load baseline -url "$base/api/v1/services/svc_bench" -method PUT \
	-header 'Content-Type: application/json' -body "$body_down" -body "$body_up"
result baseline
stop_all_but_env

# start_upstate NAME [VAR=VALUE…] starts bin/upstate with the data dir
# NAME (fresh the first time) and its own free ports, plus the given
# environment, and sets addr, api, upstate_pid and ready_ms (launch to
# ready).
# The webhook rate limit is lifted: the bench measures the gateway, not
# its limiter.
key="ak_live_bench_$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
auth="Authorization: Bearer $key"
start_upstate() {
	local name=$1 log t0
	shift
	addr=$(free_addr)
	api="http://$addr/api/v1"
	log="$tmp/$name.log"
	echo "== $name (data in $tmp/$name)"
	t0=$(now_ms)
	env UPSTATE_HTTP_ADDR="$addr" UPSTATE_DATA_DIR="$tmp/$name" UPSTATE_BOOTSTRAP_API_KEY="$key" \
		UPSTATE_NATS_LISTEN=127.0.0.1:0 UPSTATE_WEBHOOK_RATE_LIMIT=1e9 UPSTATE_WEBHOOK_RATE_BURST=1000000 \
		"$@" "$bin/upstate" >>"$log" 2>&1 &
	pids+=($!)
	upstate_pid=$!
	wait_ready "http://$addr/readyz" "$!" "$log"
	ready_ms=$(($(now_ms) - t0))
}

# post PATH JSON posts to the API and prints the answer.
post() {
	curl -sS --noproxy '*' --max-time 10 --fail-with-body -X POST "$api$1" \
		-H "$auth" -H 'Content-Type: application/json' -d "$2" ||
		{ echo "bench: POST $1 failed" >&2; return 1; }
}
# create NAME creates an operational service and prints its id.
create() {
	local out
	out=$(post /services "{\"name\":\"$1\",\"status\":\"operational\"}")
	grep -o '"id": *"svc_[^"]*"' <<<"$out" | head -n 1 | grep -o 'svc_[^"]*'
}
# hooks PREFIX N creates N services, each with a webhook receiver signed
# with $hook_secret, and sets the array hook_urls to the receivers' URLs.
hooks() {
	local out token i
	hook_urls=()
	for ((i = 0; i < $2; i++)); do
		out=$(post /webhook-receivers \
			"{\"name\":\"$1-$i\",\"service_id\":\"$(create "$1-$i")\",\"signature\":{\"secret\":\"$hook_secret\"}}")
		token=$(grep -o '"token": *"[0-9a-f]\{64\}"' <<<"$out" | grep -o '[0-9a-f]\{64\}') ||
			{ echo "bench: no token in $out" >&2; return 1; }
		hook_urls+=("http://$addr/api/webhooks/incoming/$token")
	done
}
# changes prints the sum of every service's version, page by page; between
# two calls it grows by the status changes made (nothing else creates or
# edits services meanwhile).
changes() {
	local out cursor='' sum=0
	while :; do
		out=$(curl -sS --noproxy '*' --max-time 10 -f -G -H "$auth" "$api/services" \
			--data-urlencode limit=200 ${cursor:+--data-urlencode "cursor=$cursor"})
		sum=$((sum + $(grep -o '"version": *[0-9]*' <<<"$out" | grep -o '[0-9]*$' | awk '{ s += $1 } END { print s + 0 }')))
		cursor=$(grep -o '"next_cursor": *"[^"]*"' <<<"$out" | sed 's/.*"\([^"]*\)"$/\1/') || true
		[[ -n $cursor ]] || break
	done
	echo "$sum"
}
# load_counted NAME [loadgen flags…] runs a load and says how many of its
# successful requests (warm-up included) changed a status, from the versions.
load_counted() {
	local v0 v1 ok
	v0=$(changes)
	load "$@"
	v1=$(changes)
	ok=$(field "$1" 16)
	if ((${ok:-0} > 0)); then
		echo "status changes in the $1 run: $((v1 - v0)) of $ok successful requests ($((100 * (v1 - v0) / ok))%, warm-up included)"
	fi
}
# webhook_flags [SUFFIX] sets the array hook_flags to the loadgen flags that
# send signed webhook deliveries to every receiver URL (with SUFFIX
# appended), one receiver per connection (-pin): each receiver's deliveries
# go one after another, alternating down/operational, so that each one is a
# real change.
webhook_flags() {
	local u
	hook_flags=()
	for u in "${hook_urls[@]}"; do hook_flags+=(-url "$u${1:-}"); done
	hook_flags+=(-pin -method POST -header 'Content-Type: application/json'
		-hmac-secret "$hook_secret" -body "$hook_down" -body "$hook_up")
}

reader_pass=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
start_upstate upstate DATABASE_URL="$(dsn upstate)" \
	UPSTATE_NATS_READER_USER=bench-reader UPSTATE_NATS_READER_PASSWORD="$reader_pass"
upstate_nats=$(grep -o '"nats_url":"[^"]*"' "$tmp/upstate.log" | head -n 1 | sed 's/.*:"\(.*\)"$/\1/')

# The no-op run repeats, on one service, the status it was created with:
# past the first request (which sets the description) nothing changes.
id=$(create bench-noop)
load noop -url "$api/services/$id" -method PUT -header "$auth" \
	-header 'Content-Type: application/json' -body "$body_up"

# The change run spreads over as many services as connections, one per
# connection, and each service steps through down/operational in turn, so
# every request is a real change (transaction, history row, outbox row,
# event) rather than 64 connections queueing on one row lock.
urls=()
for ((i = 0; i < conns; i++)); do
	urls+=(-url "$api/services/$(create "bench-$i")")
done
load_counted change "${urls[@]}" -pin -method PUT -header "$auth" \
	-header 'Content-Type: application/json' -body "$body_down" -body "$body_up"
result change

# The SLA service's answers for one of those services (its transitions are
# the change run's, a few hundred), against a plain GET of the service:
# uptime over 90 days and the 90-day daily history, from hourly buckets.
sla_svc=${urls[1]}
load sla-get -url "$sla_svc" -header "$auth"
load sla-uptime -url "$sla_svc/uptime?window=90d" -header "$auth"
load sla-daily -url "$sla_svc/uptime/daily?days=90" -header "$auth"

# Webhook deliveries, one receiver (and service) per connection. With
# ?wait=true the gateway answers 200 only once the status service has
# committed the delivery (its 202 "pending" after 10 s, which loadgen waits
# for, counts as a failure), so that run measures end to end; without it, the 202 comes once JetStream
# has stored the delivery, and the status service applies it afterwards,
# on the same CPUs.
hooks bench-hook "$conns"
webhook_flags '?wait=true'
load_counted applied "${hook_flags[@]}" -expect-status 200 -timeout 15s
result applied
# Acceptance to StatusChanged, at half the rate the applied run reached
# (the most bin/upstate applied end to end), on fresh receivers whose
# services are operational, read from STATUS as the reader user. It runs
# while nothing else is pending: after the applied run, whose deliveries
# are all applied when answered.
rate=$(awk '{ r = int($2 / 2); print (r > 0 ? r : 1) }' "$tmp/applied.out" 2>/dev/null || echo 100)
hooks bench-lat "$conns"
echo "== accepted → StatusChanged at $rate deliveries/s"
"$bin/eventlat" "${hook_urls[@]/#/-url=}" -hmac-secret "$hook_secret" -rate "$rate" -d "$duration" \
	-nats "$upstate_nats" -user bench-reader -password "$reader_pass" >"$results/latency.json" || failed=1
cat "$results/latency.json"
# The 202 run last: the status service is still applying its backlog
# when it ends.
webhook_flags
load gateway "${hook_flags[@]}"
result gateway

stop_all_but_env

start_upstate upstate-sync-always UPSTATE_NATS_SYNC_ALWAYS=true DATABASE_URL="$(dsn upstate_sync)"
hooks bench-hook "$conns"
webhook_flags
load gateway-sync "${hook_flags[@]}"
stop_all_but_env

# The backlog: receivers made through bin/upstate on the shared NATS and
# the drain database; then bin/status and bin/gateway on their own. With
# the gateway's receiver cache warm, bin/status stops, the gateway
# accepts the backlog (stored in INGEST), and bin/status starts again on
# it while drainwatch times from outside how fast its consumer
# acknowledges, that is commits, the deliveries.
echo "== backlog of $backlog webhook deliveries, drained by bin/status"
grpc_token=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')
start_upstate upstate-drain DATABASE_URL="$(dsn drain)" UPSTATE_NATS_URL="$env_nats" UPSTATE_GRPC_TOKEN="$grpc_token"
hooks bench-drain "$conns"
upstate_addr=$addr
stop_all_but_env
status_grpc=$(free_addr)
status_http=$(free_addr)
gateway_http=$(free_addr)
# start_status starts bin/status on the drain database and the shared NATS.
start_status() {
	env DATABASE_URL="$(dsn drain)" UPSTATE_NATS_URL="$env_nats" UPSTATE_GRPC_TOKEN="$grpc_token" \
		UPSTATE_STATUS_GRPC_ADDR="$status_grpc" UPSTATE_STATUS_HTTP_ADDR="$status_http" \
		"$bin/status" >>"$tmp/status.log" 2>&1 &
	pids+=($!)
	status_pid=$!
}
start_status
wait_ready "http://$status_http/readyz" "$status_pid" "$tmp/status.log"
env UPSTATE_NATS_URL="$env_nats" UPSTATE_GRPC_TOKEN="$grpc_token" UPSTATE_HTTP_ADDR="$gateway_http" \
	UPSTATE_STATUS_GRPC_TARGET="$status_grpc" UPSTATE_WEBHOOK_RATE_LIMIT=1e9 UPSTATE_WEBHOOK_RATE_BURST=1000000 \
	"$bin/gateway" >>"$tmp/gateway.log" 2>&1 &
pids+=($!)
wait_ready "http://$gateway_http/readyz" "$!" "$tmp/gateway.log"
hook_urls=("${hook_urls[@]/#http:\/\/$upstate_addr/http://$gateway_http}")
webhook_flags
# One delivery per receiver warms the gateway's cache; the status service
# applies them before it stops.
"$bin/loadgen" -name warm -c "$conns" -n "$conns" -warmup 0s -d 60s "${hook_flags[@]}" >/dev/null || failed=1
"$bin/drainwatch" -nats "$env_nats" -timeout 60s >/dev/null || failed=1
stop "$status_pid"
"$bin/loadgen" -name backlog -c "$conns" -n "$backlog" -warmup 0s -d 30m "${hook_flags[@]}" | tee "$tmp/backlog.out" || failed=1
"$bin/drainwatch" -nats "$env_nats" -timeout "$drain_timeout" >"$results/drain.json" &
watch_pid=$!
sleep 0.5 # drainwatch has seen the whole backlog
start_status
wait "$watch_pid" || failed=1
cat "$results/drain.json"
stop_all_but_env

# Start-up: bin/upstate on an empty data dir with its own Postgres (initdb
# included), its resident memory when idle with every service, and a
# restart on the same data dir.
poll=0.02
start_upstate upstate-start
cold_ms=$ready_ms
sleep 5
rss_kb=$(ps -o rss= -p "$upstate_pid" | tr -d ' ')
stop_all_but_env
start_upstate upstate-start
warm_ms=$ready_ms
stop_all
printf '{"cold_start_ms":%s,"warm_restart_ms":%s,"idle_rss_mb":%s}\n' "$cold_ms" "$warm_ms" \
	"$(awk -v kb="$rss_kb" 'BEGIN { printf "%.1f", kb / 1024 }')" >"$results/startup.json"
echo "cold start ${cold_ms} ms, warm restart ${warm_ms} ms, idle RSS $((rss_kb / 1024)) MB"

# row LABEL NAME prints req/s (field 2), p99 (field 7) and errors (field 11,
# failed/transport) of a load's summary line, with ratios to the baseline's.
row() {
	awk -v label="$1" 'function ms(s) { sub(/ms$/, "", s); return s + 0 }
		function ratio(a, b) { return b > 0 ? sprintf("%.2fx", a / b) : "-" }
		NR == FNR { rps = $2 + 0; p99 = ms($7); next }
		{ printf "%-30s %10.0f %10.2f %12s %12s %10s\n", label, $2, ms($7), ratio($2, rps), ratio(ms($7), p99), $11 }' \
		"$tmp/baseline.out" "$tmp/$2.out"
}
echo
echo "== $conns connections, $duration per run; loadgen shares the machine's $(getconf _NPROCESSORS_ONLN) cores"
printf "%-30s %10s %10s %12s %12s %10s\n" run "req/s" "p99 ms" "req/s ratio" "p99 ratio" "errors"
row "bare echo (baseline)" baseline
row "upstate status change" change
row "upstate no-op" noop
row "webhook 202 (in JetStream)" gateway
row "webhook applied (end to end)" applied
row "webhook 202, sync always" gateway-sync

echo
echo "== SLA queries against a plain GET of the service (same run)"
printf "%-30s %10s %10s %12s\n" run "req/s" "p99 ms" "req/s ratio"
for n in sla-get sla-uptime sla-daily; do
	awk -v label="$n" 'function ms(s) { sub(/ms$/, "", s); return s + 0 }
		NR == FNR { rps = $2 + 0; next }
		{ printf "%-30s %10.0f %10.2f %11.2fx\n", label, $2, ms($7), (rps > 0 ? $2 / rps : 0) }' \
		"$tmp/sla-get.out" "$tmp/$n.out"
done

# The SLA service's STATUS consumer, in-process against the test harness's
# Postgres: events applied per second in batches of 64, as ratios to a
# one-row insert transaction.
echo
echo "== SLA consumer transaction (Go benchmark; test database, no fsync)"
go -C "$root/services/sla" test -run '^$' -bench 'BenchmarkApply$' -benchtime 2s ./internal/store |
	awk '/^Benchmark/ { name = $1; sub(/^BenchmarkApply\//, "", name); sub(/-[0-9]+$/, "", name)
			for (i = 1; i <= NF; i++) if ($(i + 1) == "events/s") rate = $i
			n++; names[n] = name; rates[n] = rate; if (name ~ /^baseline/) base = rate }
		END { printf "%-30s %10s %10s\n", "run", "events/s", "ratio"
			for (i = 1; i <= n; i++) printf "%-30s %10.0f %9.2fx\n", names[i], rates[i], (base > 0 ? rates[i] / base : 0) }'

# The alerting service's STATUS consumer with 1,000 services and 10 or
# 1,000 rules: an event costs what the rules selecting its service cost,
# not what the organisation's rules do.
echo
echo "== alerting consumer, one status event (Go benchmark; test database, no fsync)"
go -C "$root/services/alerting" test -run '^$' -bench ApplyStatusEvent -benchtime 2s ./internal/store |
	awk '/^Benchmark/ { name = $1; sub(/^BenchmarkApplyStatusEvent\//, "", name); sub(/-[0-9]+$/, "", name)
			n++; names[n] = name; ns[n] = $3; if (name ~ /^baseline/) base = $3 }
		END { printf "%-30s %10s %10s\n", "run", "events/s", "ratio"
			for (i = 1; i <= n; i++) printf "%-30s %10.0f %9.2fx\n", names[i], 1e9 / ns[i], base / ns[i] }'

# The incidents service's STATUS consumer, in-process against the test
# harness's Postgres: events applied per second (what bounds catching up
# after an outage), as ratios to a one-row insert transaction.
echo
echo "== incidents consumer transaction (Go benchmark; test database, no fsync)"
go -C "$root/services/incidents" test -run '^$' -bench ApplyStatusChange -benchtime 2s ./internal/store |
	awk '/^Benchmark/ { name = $1; sub(/^BenchmarkApplyStatusChange\//, "", name); sub(/-[0-9]+$/, "", name)
			n++; names[n] = name; ns[n] = $3; if (name ~ /^baseline/) base = $3 }
		END { printf "%-30s %10s %10s\n", "run", "events/s", "ratio"
			for (i = 1; i <= n; i++) printf "%-30s %10.0f %9.2fx\n", names[i], 1e9 / ns[i], base / ns[i] }'

# The notification service's delivery workers: a backlog on NOTIFY
# delivered to a local HTTP sink at 64 at once, against a plain Go HTTP
# client posting the same signed bodies to the same sink in the same run.
echo
echo "== notification delivery to a local HTTP sink, 64 at once (Go benchmark; test database, no fsync)"
go -C "$root/services/notification" test -run '^$' -bench 'BenchmarkDeliver$' -benchtime 3s ./internal/delivery |
	awk -v out="$results/notify.json" '/^Benchmark/ { name = $1; sub(/^BenchmarkDeliver\//, "", name); sub(/-[0-9]+$/, "", name)
			for (i = 1; i <= NF; i++) if ($(i + 1) == "deliveries/s") rate[name] = $i }
		END { printf "%-30s %10s %10s\n", "run", "deliv./s", "ratio"
			for (n in rate) printf "%-30s %10.0f %9.2fx\n", n, rate[n], (rate["baseline"] > 0 ? rate[n] / rate["baseline"] : 0)
			if (rate["baseline"] > 0 && rate["worker"] > 0)
				printf "{\"concurrency\":64,\"rate\":%s,\"baseline\":%s}\n", rate["worker"], rate["baseline"] > out }' || failed=1

echo
echo "== report (bench/results/latest.md)"
"$bin/benchreport" -in "$results" -out "$root/bench/results"
if ((failed)); then
	echo "bench: some loads failed; log tails:" >&2
	tail -n 20 "$tmp"/upstate*.log "$tmp"/status.log "$tmp"/gateway.log >&2 || true
fi
exit "$failed"

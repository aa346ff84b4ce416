#!/usr/bin/env bash
# Measures bin/upstate against a bare echo server doing the same request
# shape with no auth and no I/O (`make bench`): the REST status path, and
# signed webhook deliveries through the ingest gateway, both until JetStream
# stores them and until the status service has applied them, then again with
# JetStream fsyncing every message; then the incidents service's consumer
# transaction as a Go benchmark. Every load goes to 127.0.0.1 and is
# bounded in time; figures are reported, never asserted. A run fails only
# when a load sees more than 1% errors.
#
#   BENCH_DURATION     measured time per run (default 10s; 2s warm-up on top)
#   BENCH_CONNECTIONS  concurrent keep-alive connections (default 64)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/bin"
duration=${BENCH_DURATION:-10s}
conns=${BENCH_CONNECTIONS:-64}
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
# stop_all stops every process started so far.
stop_all() {
	local pid
	for pid in "${pids[@]}"; do stop "$pid"; done
	pids=()
}
cleanup() {
	stop_all
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_ready URL PID LOG waits until URL answers 2xx, failing early if PID dies.
wait_ready() {
	local url=$1 pid=$2 log=$3 deadline=$((SECONDS + ready_timeout))
	until curl -fsS --noproxy '*' --max-time 2 -o /dev/null "$url" 2>/dev/null; do
		if ! kill -0 "$pid" 2>/dev/null || ((SECONDS >= deadline)); then
			echo "bench: $url not ready (process exited or ${ready_timeout}s passed); log tail:" >&2
			tail -n 40 "$log" >&2
			return 1
		fi
		sleep 0.25
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

echo "== building"
make -C "$root" --no-print-directory build
go -C "$root/bench" build -o "$bin/" ./cmd/loadgen ./cmd/bareecho

echo "== baseline: bare echo"
"$bin/bareecho" >"$tmp/bareecho.log" 2>&1 &
pids=($!)
for ((i = 0; i < 100; i++)); do
	base=$(sed -n 's/^listening on //p' "$tmp/bareecho.log")
	[[ -n $base ]] && break
	sleep 0.05
done
[[ -n $base ]] || { echo "bench: bareecho did not start:" >&2; cat "$tmp/bareecho.log" >&2; exit 1; }
load baseline -url "$base/api/v1/services/svc_bench" -method PUT \
	-header 'Content-Type: application/json' -body "$body_down" -body "$body_up"
stop_all

# start_upstate NAME [VAR=VALUE…] starts bin/upstate with a fresh data dir
# and its own free ports, plus the given environment, and sets addr and api.
# The webhook rate limit is lifted: the bench measures the gateway, not
# its limiter.
key="ak_live_bench_$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
auth="Authorization: Bearer $key"
start_upstate() {
	local name=$1 log
	shift
	addr="127.0.0.1:$("$bin/loadgen" -free-port)"
	api="http://$addr/api/v1"
	log="$tmp/$name.log"
	echo "== $name (data in $tmp/$name)"
	env UPSTATE_HTTP_ADDR="$addr" UPSTATE_DATA_DIR="$tmp/$name" UPSTATE_BOOTSTRAP_API_KEY="$key" \
		UPSTATE_NATS_LISTEN=127.0.0.1:0 UPSTATE_WEBHOOK_RATE_LIMIT=1e9 UPSTATE_WEBHOOK_RATE_BURST=1000000 \
		"$@" "$bin/upstate" >"$log" 2>&1 &
	pids+=($!)
	wait_ready "http://$addr/readyz" "$!" "$log"
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

start_upstate upstate

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

# Webhook deliveries, one receiver (and service) per connection. With
# ?wait=true the gateway answers 200 only once the status service has
# committed the delivery (its 202 "pending" after 10 s, which loadgen waits
# for, counts as a failure), so that run measures end to end; without it, the 202 comes once JetStream
# has stored the delivery, and the status service applies it afterwards,
# on the same CPUs.
hooks bench-hook "$conns"
webhook_flags '?wait=true'
load_counted applied "${hook_flags[@]}" -expect-status 200 -timeout 15s
webhook_flags
load gateway "${hook_flags[@]}"
stop_all

start_upstate upstate-sync-always UPSTATE_NATS_SYNC_ALWAYS=true
hooks bench-hook "$conns"
webhook_flags
load gateway-sync "${hook_flags[@]}"
stop_all

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
if ((failed)); then
	echo "bench: some loads failed; upstate log tails:" >&2
	tail -n 20 "$tmp"/upstate*.log >&2
fi
exit "$failed"

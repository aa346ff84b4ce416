#!/usr/bin/env bash
# Measures the REST status-change path of bin/upstate against a bare echo
# server doing the same request shape with no auth and no I/O (`make bench`).
# Every load goes to 127.0.0.1 and is bounded in time; figures are reported,
# never asserted. A run fails only when a load sees more than 1% errors.
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
cleanup() {
	local pid
	for pid in "${pids[@]}"; do stop "$pid"; done
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
stop "${pids[0]}"
pids=()

echo "== upstate (data in $tmp/data)"
key="ak_live_bench_$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
addr="127.0.0.1:$("$bin/loadgen" -free-port)"
api="http://$addr/api/v1"
UPSTATE_HTTP_ADDR=$addr UPSTATE_DATA_DIR="$tmp/data" UPSTATE_BOOTSTRAP_API_KEY=$key \
	"$bin/upstate" >"$tmp/upstate.log" 2>&1 &
pids=($!)
wait_ready "http://$addr/readyz" "${pids[0]}" "$tmp/upstate.log"

auth="Authorization: Bearer $key"
# create NAME creates a service and prints its id.
create() {
	local out
	out=$(curl -sS --noproxy '*' --max-time 10 --fail-with-body -X POST "$api/services" \
		-H "$auth" -H 'Content-Type: application/json' -d "{\"name\":\"$1\",\"status\":\"operational\"}") ||
		{ echo "bench: create service: $out" >&2; return 1; }
	grep -o '"id": *"svc_[^"]*"' <<<"$out" | head -n 1 | grep -o 'svc_[^"]*'
}
# changes prints the sum of every service's version: the status changes so far.
changes() {
	curl -sS --noproxy '*' --max-time 10 -f -H "$auth" "$api/services?limit=200" |
		grep -o '"version": *[0-9]*' | grep -o '[0-9]*$' | awk '{ s += $1 } END { print s + 0 }'
}

# The no-op run repeats, on one service, the status it was created with:
# past the first request (which sets the description) nothing changes.
id=$(create bench-noop)
load noop -url "$api/services/$id" -method PUT -header "$auth" \
	-header 'Content-Type: application/json' -body "$body_up"

# The change run spreads over as many services as connections, and each
# service steps through down/operational in turn, so every request is a real
# change (transaction, history row, outbox row, event) rather than 64
# connections queueing on one row lock. The versions tell how many were.
urls=()
for ((i = 0; i < conns; i++)); do
	urls+=(-url "$api/services/$(create "bench-$i")")
done
v0=$(changes)
load change "${urls[@]}" -method PUT -header "$auth" \
	-header 'Content-Type: application/json' -body "$body_down" -body "$body_up"
v1=$(changes)
sent=$(awk '{ print $14 }' "$tmp/change.out")
if [[ -n $v0 && -n $v1 && ${sent:-0} -gt 0 ]]; then
	echo "status changes in the change run: $((v1 - v0)) of $sent requests ($((100 * (v1 - v0) / sent))%, warm-up included)"
fi

# row LABEL NAME prints req/s (field 2), p99 (field 7) and errors (field 11,
# non-2xx/transport) of a load's summary line, with ratios to the baseline's.
row() {
	awk -v label="$1" 'function ms(s) { sub(/ms$/, "", s); return s + 0 }
		function ratio(a, b) { return b > 0 ? sprintf("%.2fx", a / b) : "-" }
		NR == FNR { rps = $2 + 0; p99 = ms($7); next }
		{ printf "%-24s %10.0f %10.2f %12s %12s %10s\n", label, $2, ms($7), ratio($2, rps), ratio(ms($7), p99), $11 }' \
		"$tmp/baseline.out" "$tmp/$2.out"
}
echo
echo "== $conns connections, $duration per run; loadgen shares the machine's $(getconf _NPROCESSORS_ONLN) cores"
printf "%-24s %10s %10s %12s %12s %10s\n" run "req/s" "p99 ms" "req/s ratio" "p99 ratio" "errors"
row "bare echo (baseline)" baseline
row "upstate status change" change
row "upstate no-op" noop
if ((failed)); then
	echo "bench: some loads failed; upstate log tail:" >&2
	tail -n 20 "$tmp/upstate.log" >&2
fi
exit "$failed"

#!/usr/bin/env bash
# The cluster suite alone (make test runs it too): every service replicated
# as its own processes over a three-node JetStream cluster and one
# Postgres, under webhook load while replicas, a NATS node and Postgres
# fail; prints one line of figures per scenario.
# UPSTATE_CLUSTER_DELIVERIES scales the main scenario down for a quick run.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${UPSTATE_TEST_DATABASE_URL:-}" ]]; then
	bash scripts/ensure-postgres.sh
fi

export UPSTATE_CLUSTER_REPORT
UPSTATE_CLUSTER_REPORT=$(mktemp)
trap 'rm -f "$UPSTATE_CLUSTER_REPORT"' EXIT

status=0
(cd integration && go test -count=1 -timeout 10m -run '^TestCluster$' .) || status=$?
cat "$UPSTATE_CLUSTER_REPORT"
exit "$status"

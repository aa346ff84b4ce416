#!/usr/bin/env bash
# Everything CI checks: generated code fresh, gofmt/vet clean, and every
# module's tests (real Postgres and NATS, started by pkg/testenv).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/modules.sh

# The tests run their own Postgres from the system's binaries unless
# UPSTATE_TEST_DATABASE_URL names a server: install them (as root with
# apt-get) or say exactly what to install, before anything else runs.
if [[ -z "${UPSTATE_TEST_DATABASE_URL:-}" ]]; then
	bash scripts/ensure-postgres.sh
fi

# The status page's browser test drives a headless Chromium.
bash scripts/ensure-chromium.sh

bash scripts/proto.sh --check
bash scripts/lint.sh

# The integration module's reliability suite writes what became of the
# deliveries of each outage scenario here; it is printed at the end.
export UPSTATE_RELIABILITY_REPORT
UPSTATE_RELIABILITY_REPORT=$(mktemp)
# Its cluster suite (make test-cluster) writes one line per scenario here.
export UPSTATE_CLUSTER_REPORT
UPSTATE_CLUSTER_REPORT=$(mktemp)
trap 'rm -f "$UPSTATE_RELIABILITY_REPORT" "$UPSTATE_CLUSTER_REPORT"' EXIT

# go test ./... does not cross module boundaries at a go.work root, so each
# module is tested in turn.
passed=0 failed=0
for m in "${MODULES[@]}"; do
	echo "== go test $m"
	if (cd "$m" && go test -race -count=1 -timeout 10m ./...); then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
done
# deploy/ checks the Kubernetes manifests, the Dockerfile and the Compose
# file against the services. It is a module outside go.work, so that its
# Kubernetes, Kustomize and KEDA dependencies never change the versions
# the services build with; it has no concurrency of its own, hence no
# -race (which would only slow the build of those dependencies).
echo "== go test deploy (GOWORK=off)"
if ! docker compose version >/dev/null 2>&1; then
	echo "docker compose is not installed: docker-compose.yml is checked by the Go tests only, not by \`docker compose config\`"
fi
if (cd deploy && GOWORK=off go test -count=1 -timeout 10m ./...); then
	passed=$((passed + 1))
else
	failed=$((failed + 1))
fi
if [[ -s "$UPSTATE_RELIABILITY_REPORT" ]]; then
	echo "== reliability (webhook deliveries through outages)"
	cat "$UPSTATE_RELIABILITY_REPORT"
fi
if [[ -s "$UPSTATE_CLUSTER_REPORT" ]]; then
	echo "== cluster (replicas, a three-node JetStream cluster, failures under load)"
	cat "$UPSTATE_CLUSTER_REPORT"
fi
echo "modules: $passed passed, $failed failed"
[[ $failed -eq 0 ]]

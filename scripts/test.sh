#!/usr/bin/env bash
# Everything CI checks: generated code fresh, gofmt/vet clean, and every
# module's tests (real Postgres and NATS, started by pkg/testenv).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/modules.sh

bash scripts/proto.sh --check
bash scripts/lint.sh

# go test ./... does not cross module boundaries at a go.work root, so each
# module is tested in turn.
status=0
for m in "${MODULES[@]}"; do
	echo "== go test $m"
	(cd "$m" && go test -race -count=1 -timeout 10m ./...) || status=1
done
exit $status

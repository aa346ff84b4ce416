#!/usr/bin/env bash
# gofmt, go vet and tidy go.mod files over every module.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/modules.sh
unformatted=$(gofmt -l "${MODULES[@]}" tools deploy)
if [[ -n "$unformatted" ]]; then
	echo "gofmt needed on:" >&2
	echo "$unformatted" >&2
	exit 1
fi
for m in "${MODULES[@]}"; do
	(cd "$m" && go vet ./...)
done
(cd deploy && GOWORK=off go vet ./...)
# Each module must build on its own, as `go install` of one of its
# commands or a project importing it would: the workspace hides a
# requirement missing from a module's go.mod (or one no longer used).
for m in "${MODULES[@]}" deploy; do
	if ! (cd "$m" && GOWORK=off go mod tidy -diff >/dev/null); then
		echo "go.mod of $m is not tidy: run (cd $m && GOWORK=off go mod tidy)" >&2
		exit 1
	fi
done
echo "lint ok"

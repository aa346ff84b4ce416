#!/usr/bin/env bash
# gofmt and go vet over every module.
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
echo "lint ok"

#!/usr/bin/env bash
# Regenerates proto/gen with buf and the pinned protoc plugins, or with
# --check verifies that the committed generated code is fresh.
#
# buf is pinned in tools/go.mod (kept out of go.work so its large dependency
# graph does not move the services' versions); protoc-gen-go and
# protoc-gen-go-grpc are pinned in proto/go.mod, the same module that holds the
# protobuf runtime, so generator and runtime never drift apart.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/bin/tools"
mkdir -p "$bin"
GOWORK=off go -C "$root/tools" build -o "$bin/" tool
go -C "$root/proto" build -o "$bin/" tool
export PATH="$bin:$PATH"

if [[ "${1:-}" != "--check" ]]; then
	cd "$root/proto"
	buf lint
	buf generate
	exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r "$root/proto/." "$tmp/"
(cd "$tmp" && buf lint && buf generate)
if ! diff -r "$root/proto/gen" "$tmp/gen" >/dev/null; then
	diff -r "$root/proto/gen" "$tmp/gen" | head -40 >&2
	echo "proto/gen is stale: run 'make proto' and commit the result" >&2
	exit 1
fi
echo "proto/gen is fresh"

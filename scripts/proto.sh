#!/usr/bin/env bash
# Regenerates proto/gen with buf and the pinned protoc plugins, or with
# --check verifies that the committed generated code is fresh and that the
# protos are wire-compatible with main (buf breaking, FILE rules).
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

# Wire compatibility: a message or field that main has must keep its
# meaning. On a branch, against main; on main itself, against the commit
# before, so a landing cannot break what was released. Skipped outside a git
# checkout (a source archive) or without history.
cd "$root"
if git rev-parse -q --verify HEAD >/dev/null 2>&1; then
	against=main
	if ! git rev-parse -q --verify main >/dev/null || [[ $(git rev-parse HEAD) == $(git rev-parse main) ]]; then
		against=HEAD~1
	fi
	if git rev-parse -q --verify "$against" >/dev/null; then
		(cd "$root/proto" && buf breaking --against "$root/.git#ref=$against,subdir=proto")
		echo "proto is wire-compatible with $against"
	fi
fi

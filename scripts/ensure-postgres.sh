#!/usr/bin/env bash
# Makes sure PostgreSQL server binaries (initdb, postgres) are installed, the
# one system dependency of the tests and of `make run` without DATABASE_URL.
# Installs Debian's postgresql-15 when missing and allowed (root + apt-get).
set -euo pipefail
if command -v initdb >/dev/null 2>&1 || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
	exit 0
fi
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
	echo "installing postgresql-15 (server binaries for the tests)"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null
	exit 0
fi
echo "PostgreSQL server binaries not found: install them (Debian/Ubuntu: sudo apt-get install postgresql-15; macOS: brew install postgresql@15)" >&2
exit 1

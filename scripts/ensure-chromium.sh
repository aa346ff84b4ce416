#!/usr/bin/env bash
# Makes sure a headless Chromium is installed for the status page's browser
# test (integration, driven with chromedp). Installs Debian's chromium when
# missing and allowed (root + apt-get); otherwise says what to install, and
# the browser test is skipped.
set -euo pipefail
for name in chromium chromium-browser google-chrome google-chrome-stable; do
	if command -v "$name" >/dev/null 2>&1; then
		exit 0
	fi
done
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
	echo "installing chromium (for the status page's browser test)"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
	exit 0
fi
echo "Chromium not found: the browser test is skipped (Debian/Ubuntu: sudo apt-get install chromium)" >&2

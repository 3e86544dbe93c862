#!/usr/bin/env bash
# Installs what the real-browser end-to-end tests need: Debian's chromium,
# and the npm packages of tests/e2e/browser (playwright-core, the
# OpenTelemetry JS logs SDK, esbuild). A failed install fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! [ -x /usr/bin/chromium ]; then
	echo "installing Debian's chromium" >&2
	sudo=""
	if [ "$(id -u)" -ne 0 ]; then
		sudo=sudo
	fi
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
fi
./scripts/ensure-node-modules.sh tests/e2e/browser

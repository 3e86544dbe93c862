#!/usr/bin/env bash
# Installs what the real-browser end-to-end tests need: Debian's chromium,
# and the npm packages of tests/e2e/browser (playwright-core, the
# OpenTelemetry JS logs SDK, esbuild). A failed install fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! [ -x /usr/bin/chromium ]; then
	echo "installing Debian's chromium" >&2
	./scripts/apt-install.sh chromium fonts-liberation
fi
./scripts/ensure-node-modules.sh tests/e2e/browser

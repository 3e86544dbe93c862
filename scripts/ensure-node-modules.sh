#!/usr/bin/env bash
# Installs a package folder's npm dependencies from its package-lock.json
# (npm ci) when node_modules is missing or older than the lock file.
# A failed install fails the run.
set -euo pipefail
dir="$1"
if ! command -v npm >/dev/null 2>&1; then
	echo "npm is missing: install Node.js 20 or later (Debian: apt-get install nodejs npm)" >&2
	exit 1
fi
if [ -d "$dir/node_modules" ] && [ "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" ]; then
	exit 0
fi
echo "installing npm dependencies in $dir" >&2
cd "$dir"
npm ci --no-audit --no-fund --loglevel=error

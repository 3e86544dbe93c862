#!/usr/bin/env bash
# Installs Debian's prometheus package (prometheus and promtool) when either
# is missing. The alert-rule tests and the end-to-end test need them; a
# failed install fails the run.
set -euo pipefail
if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
	exit 0
fi
echo "installing Debian's prometheus package (prometheus, promtool)" >&2
"$(dirname "$0")/apt-install.sh" prometheus
command -v prometheus >/dev/null && command -v promtool >/dev/null

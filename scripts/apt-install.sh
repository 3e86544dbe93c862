#!/usr/bin/env bash
# Installs Debian packages (with sudo when not root). A failure fails the run.
set -euo pipefail
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null

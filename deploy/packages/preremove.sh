#!/bin/sh
# Stop and disable on removal, not on upgrade. State in /var/lib/footfall
# is kept.
set -e
remove=false
case "$1" in
	remove|purge) remove=true ;; # deb
	0) remove=true ;;            # rpm: no version left after this one
esac
if $remove && [ -d /run/systemd/system ]; then
	systemctl stop footfall.service || true
	systemctl disable footfall.service || true
fi

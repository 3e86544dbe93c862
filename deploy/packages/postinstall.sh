#!/bin/sh
# Enable the service; start it only when the live view password it
# requires is set, and say so otherwise.
set -e
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload
	systemctl enable footfall.service
	if grep -q '^FOOTFALL_LIVEVIEW_PASSWORD=.' /etc/footfall/footfall.conf; then
		systemctl restart footfall.service
	else
		echo "footfall: set FOOTFALL_LIVEVIEW_PASSWORD in /etc/footfall/footfall.conf, then: systemctl start footfall"
	fi
fi

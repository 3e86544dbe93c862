#!/bin/sh
# The footfall system user and group, created once, before the files that
# belong to them are unpacked.
set -e
if ! getent group footfall >/dev/null; then
	groupadd --system footfall
fi
if ! getent passwd footfall >/dev/null; then
	useradd --system --gid footfall --home-dir /var/lib/footfall --no-create-home \
		--shell /usr/sbin/nologin --comment "Footfall web analytics" footfall
fi

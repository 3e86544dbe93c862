#!/usr/bin/env bash
# Runs one fuzz target: scripts/fuzz.sh <target> <package> <fuzztime>.
# Go's fuzzer sometimes ends a run that found nothing with "context deadline
# exceeded" when -fuzztime runs out while a worker is busy (go.dev/issue/75804,
# fixed in Go 1.27; this module is on 1.26);
# such a run, and only such a run (no failing input written), is tried once
# more. A real finding fails at once.
set -uo pipefail
target="$1" pkg="$2" fuzztime="$3"
go="${GO:-go}"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
for attempt in 1 2; do
	"$go" test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg" 2>&1 | tee "$out"
	status="${PIPESTATUS[0]}"
	if [ "$status" -eq 0 ]; then
		exit 0
	fi
	if grep -q "Failing input written to" "$out" || ! grep -q "context deadline exceeded" "$out"; then
		exit "$status"
	fi
	echo "fuzz $target: the run ended with 'context deadline exceeded' and no failing input (go.dev/issue/75804); attempt $attempt of 2" >&2
done
exit 1

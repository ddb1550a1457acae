#!/usr/bin/env bash
# Stops daemons started by tests/daemons/start.sh, by PID: SIGTERM, up to 5 s
# for each to exit, then SIGKILL. Usage: stop.sh PID...
set -uo pipefail

# Alive and not a zombie (the daemon's parent is gone; init reaps it).
alive() {
	local state
	state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ]
}

for pid in "$@"; do
	kill -TERM "$pid" 2>/dev/null || true
done
for pid in "$@"; do
	for _ in $(seq 100); do
		alive "$pid" || break
		sleep 0.05
	done
	if alive "$pid"; then
		echo "stop.sh: $pid ignored SIGTERM for 5 s; killing it" >&2
		kill -KILL "$pid" 2>/dev/null || true
	fi
done
exit 0

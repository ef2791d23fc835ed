#!/usr/bin/env bash
# The shipped units: `systemd-analyze verify` prints nothing and
# `systemd-analyze security` rates tickerd.service 2.0 or lower.
# verify checks that ExecStart's binary exists, so the service verified is the
# configured unit with ExecStart pointed at the built binary (nothing else changed).
#   unit_checks.sh verify|security CONFIGURED_SERVICE SOCKET_UNIT TICKERD_BINARY
# Exit 77 (skipped) only when systemd-analyze is not installed.
set -euo pipefail
mode=$1 service=$2 socket=$3 binary=$4
if ! command -v systemd-analyze >/dev/null; then
  echo "SKIP: systemd-analyze not installed (Debian package systemd; scripts/setup --test installs it)"
  exit 77
fi
dir=$(mktemp -d /tmp/tickerd-units.XXXXXX)
trap 'rm -rf "$dir"' EXIT
sed "s|^ExecStart=[^ ]*|ExecStart=$binary|" "$service" >"$dir/tickerd.service"
cp "$socket" "$dir/tickerd.socket"
cd "$dir"
case $mode in
  verify)
    out=$(systemd-analyze verify "$dir/tickerd.service" "$dir/tickerd.socket" 2>&1) || { echo "$out"; exit 1; }
    if [ -n "$out" ]; then echo "FAIL: systemd-analyze verify printed:"; echo "$out"; exit 1; fi
    echo "systemd-analyze verify: no output" ;;
  security)
    out=$(systemd-analyze security --offline=yes "$dir/tickerd.service" 2>&1) || true
    line=$(grep "Overall exposure level" <<<"$out") || { echo "$out"; exit 1; }
    echo "$line"
    level=$(sed -E 's/.*: ([0-9]+\.[0-9]+) .*/\1/' <<<"$line")
    awk -v l="$level" 'BEGIN { exit !(l <= 2.0) }' || { echo "FAIL: exposure $level > 2.0"; echo "$out"; exit 1; } ;;
  *) echo "unknown mode $mode"; exit 2 ;;
esac

#!/usr/bin/env bash
# The shipped units: `systemd-analyze verify` prints nothing and
# `systemd-analyze security` rates tickerd.service 2.0 or lower.
# verify checks that ExecStart's binary exists, so the service verified is the
# configured unit with ExecStart pointed at the built binary (nothing else changed).
# verify also checks that the man pages of Documentation= exist: the built ones
# are found through MANPATH (without them, --man=no).
#   unit_checks.sh verify|security CONFIGURED_SERVICE SOCKET_UNIT TICKERD_BINARY [BUILT_MAN_DIR]
# Exit 77 (skipped) only when systemd-analyze is not installed.
set -euo pipefail
mode=$1 service=$2 socket=$3 binary=$4 built_man=${5:-}
if ! command -v systemd-analyze >/dev/null; then
  echo "SKIP: systemd-analyze not installed (Debian package systemd; scripts/setup --test installs it)"
  exit 77
fi
dir=$(mktemp -d /tmp/tickerd-units.XXXXXX)
trap 'rm -rf "$dir"' EXIT
sed "s|^ExecStart=[^ ]*|ExecStart=$binary|" "$service" >"$dir/tickerd.service"
cp "$socket" "$dir/tickerd.socket"
man_check=--man=no
if [ -n "$built_man" ] && [ -f "$built_man/tickerd.8.gz" ]; then
  mkdir -p "$dir/man/man8" "$dir/man/man5"
  cp "$built_man"/*.8.gz "$dir/man/man8/" && cp "$built_man"/*.5.gz "$dir/man/man5/"
  export MANPATH="$dir/man:"
  man_check=--man=yes
fi
cd "$dir"
case $mode in
  verify)
    out=$(systemd-analyze verify $man_check "$dir/tickerd.service" "$dir/tickerd.socket" 2>&1) || { echo "$out"; exit 1; }
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

#!/usr/bin/env bash
# `cmake --install` into a DESTDIR: the binary, the config, the web client and
# the units land in the configured places, and the installed config is valid
# and serves the installed web client.
#   install.sh BUILD_DIR BINDIR SYSCONFDIR DATADIR UNITDIR   (absolute install paths)
set -euo pipefail
build=$1 bindir=$2 sysconfdir=$3 datadir=$4 unitdir=$5
root=$(mktemp -d /tmp/tickerd-install.XXXXXX)
trap 'rm -rf "$root"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

DESTDIR=$root cmake --install "$build" >/dev/null
for f in "$bindir/tickerd" "$sysconfdir/tickerd/tickerd.toml" "$datadir/tickerd/web/index.html" \
         "$unitdir/tickerd.service" "$unitdir/tickerd.socket" \
         "$datadir/doc/tickerd/copyright" "$datadir/doc/tickerd/CHANGELOG.md" "$datadir/doc/tickerd/changelog.gz" \
         "$datadir/tickerd/prometheus/tickerd.rules.yml" "$datadir/tickerd/grafana/tickerd.json" \
         "$datadir/tickerd/nginx/tickerd.conf" \
         "$datadir/tickerd/calendars.toml" \
         "$datadir/bash-completion/completions/tickerd" \
         $([ "${TICKERD_MAN_PAGES:-0}" = 1 ] && echo "$datadir/man/man8/tickerd.8.gz $datadir/man/man5/tickerd.toml.5.gz"); do
  [ -f "$root$f" ] || fail "$f not installed (installed: $(cd "$root" && find . -type f | sort | tr '\n' ' '))"
done
[ -x "$root$bindir/tickerd" ] || fail "$bindir/tickerd is not executable"
grep -qx "ExecStart=$bindir/tickerd --config $sysconfdir/tickerd/tickerd.toml" "$root$unitdir/tickerd.service" \
  || fail "ExecStart does not name the installed binary and config"
# Without --config the installed binary reads the installed config.
"$root$bindir/tickerd" --help | grep -q "=$sysconfdir/tickerd/tickerd.toml\$" \
  || fail "the default --config is not $sysconfdir/tickerd/tickerd.toml"
# Checked where it was installed: its calendars path moved under the DESTDIR too.
sed "s|^calendars = \"|calendars = \"$root|" "$root$sysconfdir/tickerd/tickerd.toml" >"$root/check.toml"
out=$("$root$bindir/tickerd" --check-config --config "$root/check.toml" 2>&1) \
  || fail "the installed config does not pass --check-config: $out"
grep -q "2026-12-25" <<<"$out" || fail "the installed calendars' dates (2026-12-25) are not in the resolved config"
grep -qx "web_root = '$datadir/tickerd/web'" <<<"$out" || fail "the installed config does not serve $datadir/tickerd/web"
# The calendar dates come from the installed data file, not from the conffile.
grep -qx "calendars = \"$datadir/tickerd/calendars.toml\"" "$root$sysconfdir/tickerd/tickerd.toml" \
  || fail "the installed config does not name $datadir/tickerd/calendars.toml"
! grep -qE '^\s*(holidays|half_days)\s*=' "$root$sysconfdir/tickerd/tickerd.toml" || fail "the installed config lists dates"
echo "installed: $(cd "$root" && find . -type f | wc -l) files"

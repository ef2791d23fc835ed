#!/usr/bin/env bash
# `cpack -G DEB` builds tickerd_VERSION_ARCH.deb holding the binary, the
# config (as a conffile), the web client and the units, with Depends from
# dpkg-shlibdeps and maintainer scripts that touch systemd only when it runs.
#   package.sh BUILD_DIR BINDIR SYSCONFDIR DATADIR UNITDIR
set -euo pipefail
build=$1 bindir=$2 sysconfdir=$3 datadir=$4 unitdir=$5
for tool in cpack dpkg-deb dpkg-shlibdeps; do
  command -v $tool >/dev/null || { echo "SKIP: $tool not installed (dpkg-dev; scripts/setup --test installs it)"; exit 77; }
done
out=$(mktemp -d /tmp/tickerd-package.XXXXXX)
trap 'rm -rf "$out"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

(cd "$build" && cpack -G DEB -B "$out" >"$out/cpack.log" 2>&1) || { cat "$out/cpack.log"; fail "cpack"; }
deb=$(ls "$out"/tickerd_*.deb)
echo "built $(basename "$deb") ($(stat -c %s "$deb") bytes)"
contents=$(dpkg-deb -c "$deb")
for f in "$bindir/tickerd" "$sysconfdir/tickerd/tickerd.toml" "$datadir/tickerd/web/index.html" \
         "$unitdir/tickerd.service" "$unitdir/tickerd.socket" \
         "$datadir/doc/tickerd/copyright" "$datadir/doc/tickerd/CHANGELOG.md" "$datadir/doc/tickerd/changelog.gz" \
         "$datadir/tickerd/prometheus/tickerd.rules.yml" "$datadir/tickerd/grafana/tickerd.json" \
         "$datadir/tickerd/nginx/tickerd.conf" \
         "$datadir/tickerd/calendars.toml" \
         "$datadir/bash-completion/completions/tickerd" \
         $([ "${TICKERD_MAN_PAGES:-0}" = 1 ] && echo "$datadir/man/man8/tickerd.8.gz $datadir/man/man5/tickerd.toml.5.gz"); do
  grep -q " \.$f\$" <<<"$contents" || { echo "$contents"; fail "$f not in the package"; }
done
[ "$(dpkg-deb -f "$deb" Package)" = tickerd ] || fail "package name"
maintainer=$(dpkg-deb -f "$deb" Maintainer)
grep -qE '^[^<>]+ <[^@<>]+@[^@<>]+\.[a-z]+>$' <<<"$maintainer" && ! grep -q localhost <<<"$maintainer" \
  || fail "Maintainer is not a real name and address: $maintainer"
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libsystemd0 libssl3 libspdlog tzdata; do
  grep -q "$lib" <<<"$depends" || fail "Depends lacks $lib: $depends"
done
dpkg-deb -e "$deb" "$out/control"
grep -qx "$sysconfdir/tickerd/tickerd.toml" "$out/control/conffiles" || fail "the config is not a conffile"
grep -q 'if \[ "$1" = "configure" \] && \[ -d /run/systemd/system \]' "$out/control/postinst" \
  || fail "postinst does not guard systemctl on a running systemd"
sh -n "$out/control/postinst" && sh -n "$out/control/prerm" && sh -n "$out/control/postrm"
# Debian's package checker, when installed (scripts/setup --test installs it): no errors, no warnings.
if command -v lintian >/dev/null; then
  report=$(lintian --fail-on error,warning "$deb" 2>&1) || { echo "$report"; fail "lintian reports errors or warnings"; }
  echo "lintian: no errors or warnings"
fi
# The packaged binary runs (stripped, against the system libraries).
dpkg-deb -x "$deb" "$out/root"
"$out/root$bindir/tickerd" --version

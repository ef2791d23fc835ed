#!/usr/bin/env bash
# Rebuilds web/dist/ into a temporary folder with scripts/build-web and fails
# when the committed files differ (run scripts/build-web and commit web/dist/).
#   tests/web/check-dist.sh SOURCE_DIR
set -euo pipefail
src=${1:?usage: check-dist.sh SOURCE_DIR}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$src/scripts/build-web" "$tmp"
status=0
for f in ticker-bar.min.js ticker.min.css; do
  if ! cmp -s "$tmp/$f" "$src/web/dist/$f"; then
    echo "web/dist/$f differs from what scripts/build-web makes (esbuild $(esbuild --version)) of web/: run scripts/build-web and commit web/dist/" >&2
    status=1
  fi
done
extra=$(cd "$src/web/dist" && ls | grep -vx -e ticker-bar.min.js -e ticker.min.css || true)
if [ -n "$extra" ]; then echo "web/dist/ holds files scripts/build-web does not make: $extra" >&2; status=1; fi
[ $status -ne 0 ] || echo "web/dist/ is up to date: $(wc -c < "$src/web/dist/ticker-bar.min.js") + $(wc -c < "$src/web/dist/ticker.min.css") bytes"
exit $status

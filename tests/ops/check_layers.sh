#!/usr/bin/env bash
# The layer check must pass on the tree as it is and fail on a forbidden include:
# it runs scripts/check-layers on a copy of the sources, clean, then with one
# scratch include per rule (serve -> upstream, core -> Asio, feeds -> ops).
set -euo pipefail
src=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$src"
git ls-files -z -- include feeds daemon scripts/check-layers | xargs -0 cp --parents -t "$tmp"
cd "$tmp"
git init -q . && git add -A
scripts/check-layers >/dev/null || { echo "FAIL: the clean tree does not pass"; scripts/check-layers; exit 1; }

expect_refused() {  # FILE LINE WHAT
  local file=$1 line=$2 what=$3
  cp "$file" "$file.orig"
  printf '%s\n' "$line" | cat - "$file.orig" > "$file"
  if out=$(scripts/check-layers 2>&1); then
    echo "FAIL: $what was not refused"; exit 1
  fi
  grep -qF "$file:1" <<<"$out" || { echo "FAIL: $what: the report does not name $file:1"; echo "$out"; exit 1; }
  mv "$file.orig" "$file"
  echo "ok: $what refused: $(grep -F "$file:1" <<<"$out")"
}
expect_refused daemon/serve/hub.cpp '#include "upstream/feed_set.hpp"' "serve including upstream"
expect_refused daemon/upstream/poll_loop.cpp '#include "serve/hub.hpp"' "upstream including serve"
expect_refused daemon/core/quote_gate.cpp '#include <boost/asio/io_context.hpp>' "core including Asio"
expect_refused daemon/core/snapshot_store.cpp '#include "ops/metrics.hpp"' "core including ops"
expect_refused feeds/yahoo.cpp '#include <spdlog/spdlog.h>' "feeds including a logger"
expect_refused include/tickerd/quote.hpp '#include "serve/hub.hpp"' "include/tickerd including a daemon layer"
scripts/check-layers >/dev/null
echo "check-layers: passes the tree, refuses each forbidden include"

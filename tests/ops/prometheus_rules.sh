#!/usr/bin/env bash
# The shipped alerting rules: `promtool check rules` accepts them, and
# `promtool test rules` runs their unit tests (each alert fires on its input
# series, and not on the others).
#   prometheus_rules.sh check|test SOURCE_DIR
set -euo pipefail
mode=$1 src=$2
command -v promtool >/dev/null || { echo "SKIP: promtool is not installed (Debian package prometheus)"; exit 77; }
case $mode in
  check) promtool check rules "$src/packaging/prometheus/tickerd.rules.yml" ;;
  test) promtool test rules "$src/tests/ops/prometheus/tickerd.rules.test.yml" ;;
  *) echo "unknown mode $mode"; exit 2 ;;
esac

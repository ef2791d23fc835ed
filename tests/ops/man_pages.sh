#!/usr/bin/env bash
# The built man pages render with `man -l` without groff warnings, and
# tickerd(8) documents every option that `tickerd --help` prints.
# Their date is the release date of the version in CHANGELOG.md, whatever the
# build date (the same source builds the same pages).
#   man_pages.sh TICKERD_BINARY CHANGELOG.md PAGE.gz...   (tickerd.8.gz first)
set -euo pipefail
binary=$1; changelog=$2; shift 2
command -v man >/dev/null || { echo "SKIP: man is not installed (man-db)"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
for page in "$@"; do
  [ -s "$page" ] || fail "$page was not built"
  err=$(mktemp)
  text=$(MANWIDTH=80 man --warnings -E UTF-8 -l "$page" 2>"$err") || { cat "$err"; fail "man -l $page"; }
  [ ! -s "$err" ] || { cat "$err"; rm -f "$err"; fail "$page: man printed warnings"; }
  rm -f "$err"
  for heading in NAME SYNOPSIS DESCRIPTION "SEE ALSO"; do
    grep -q "^$heading" <<<"$text" || fail "$page has no $heading section"
  done
  # The .TH line's date: the release date of this version in CHANGELOG.md.
  version=$("$binary" --version | awk 'NR == 1 {print $2}')
  released=$(sed -n "s/^## $version (\([0-9-]*\))\$/\1/p" "$changelog")
  [ -n "$released" ] || fail "CHANGELOG.md has no '## $version (DATE)' heading"
  th_date=$(gzip -dc "$page" | awk -F'"' '/^\.TH/ {print $6}')
  [ "$th_date" = "$released" ] || fail "$page is dated '$th_date', version $version was released $released"
  # Nothing left unexpanded from the build (configure_file's @VAR@).
  ! grep -q '@[A-Z_]*@' <<<"$text" || fail "$page has an unexpanded @VARIABLE@"
  echo "$(basename "$page"): $(wc -l <<<"$text") lines"
done
# Every option of --help is in tickerd(8).
page8=$(MANWIDTH=200 man -E UTF-8 -l "$1" 2>/dev/null)
options=$("$binary" --help | awk '/^ +-/ {print $1}' | tr ',' '\n' | sort -u)
[ -n "$options" ] || fail "tickerd --help printed no options"
for opt in $options; do
  grep -qF -- "$opt" <<<"$page8" || fail "tickerd(8) does not document $opt"
done
echo "tickerd(8) documents: $(echo $options)"

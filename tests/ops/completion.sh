#!/usr/bin/env bash
# The bash completion offers exactly the options `tickerd --help` prints, and
# the log levels --log-level accepts.
#   completion.sh TICKERD_BINARY COMPLETION_FILE VALID_CONFIG
set -euo pipefail
binary=$1 completion=$2 config=$3
fail() { echo "FAIL: $*" >&2; exit 1; }
# shellcheck disable=SC1090
source "$completion"
complete_words() {  # complete_words WORD... : COMPREPLY for the last word
  COMP_WORDS=(tickerd "$@"); COMP_CWORD=$#; COMPREPLY=()
  _tickerd tickerd "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
  printf '%s\n' "${COMPREPLY[@]}" | sort -u
}
help_options=$("$binary" --help | awk '/^ +-/ {print $1}' | tr ',' '\n' | sort -u)
[ -n "$help_options" ] || fail "tickerd --help printed no options"
offered=$(complete_words "")
[ "$offered" = "$help_options" ] || fail "completion offers
$offered
but tickerd --help prints
$help_options"
[ "$(complete_words --chec)" = "--check-config" ] || fail "--chec does not complete to --check-config"
# --log-level: the levels, each accepted by the binary (with --check-config on a valid config).
levels=$(complete_words --log-level "")
[ "$(wc -l <<<"$levels")" -eq 7 ] || fail "--log-level completes to: $levels"
for level in $levels; do
  "$binary" --check-config --config "$config" --log-level "$level" >/dev/null 2>&1 \
    || fail "completion offers --log-level $level, which tickerd refuses"
done
echo "completion offers: $(echo $offered); levels: $(echo $levels)"

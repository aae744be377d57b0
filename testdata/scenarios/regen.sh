#!/usr/bin/env bash
# Regenerates every scenario fixture under testdata/fixtures/ (see
# testdata/README.md). Usage, from anywhere:
#
#   testdata/scenarios/regen.sh            # every scenario
#   testdata/scenarios/regen.sh etcdwatch  # some of them, by fixture name
#
# Each scenario is its own program in this module (its own go.mod, so the
# libraries it runs never enter leakdiff's go.mod); each listens on 127.0.0.1
# only and stops by itself. Two run at a time.
set -euo pipefail
SC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
FIX="$(dirname "$SC")/fixtures"
cd "$SC"
export GOWORK=off GOFLAGS=-buildvcs=false BIN FIX
# A fixed binary folder: the executable's path is recorded in every profile.
BIN="${TMPDIR:-/tmp}/leakdiff-scenarios"
rm -rf "$BIN" && mkdir -p "$BIN"
trap 'rm -rf "$BIN"' EXIT

# Jobs: "FIXTURE PROGRAM FLAGS..."; each program's own fixture, then the
# variants file (more series from the same programs).
jobs=()
for d in */main.go; do p=$(dirname "$d"); jobs+=("$p $p"); done
while read -r fixture program flags; do
  case "$fixture" in ''|'#'*) continue ;; esac
  jobs+=("$fixture $program $flags")
done < variants
if [ $# -gt 0 ]; then
  want=" $* "
  sel=()
  for j in "${jobs[@]}"; do case "$want" in *" ${j%% *} "*) sel+=("$j") ;; esac; done
  jobs=("${sel[@]}")
fi
start=$(date +%s)
for j in "${jobs[@]}"; do
  set -- $j
  [ -x "$BIN/$2" ] || go build -o "$BIN/$2" "./$2"
done
printf '%s\n' "${jobs[@]}" | xargs -P 2 -L 1 sh -c \
  'f=$1; p=$2; shift 2; echo "regen: $f"; t=$(date +%s); "$BIN/$p" -out "$FIX/$f" "$@" || { echo "regen: $f failed" >&2; exit 255; }; echo "regen: $f done in $(( $(date +%s) - t ))s"' sh
echo "regen: ${#jobs[@]} fixture(s) in $(( $(date +%s) - start ))s; fixtures: $(du -sh "$FIX" | cut -f1)"

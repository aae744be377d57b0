#!/usr/bin/env bash
# Regenerates every scenario fixture under testdata/fixtures/ (see
# testdata/README.md). Usage, from anywhere:
#
#   testdata/scenarios/regen.sh            # every scenario
#   testdata/scenarios/regen.sh etcdwatch  # some of them
#
# Each scenario is its own program in this module (its own go.mod, so the
# libraries it runs never enter leakdiff's go.mod); each listens on 127.0.0.1
# only and stops by itself. Two run at a time.
set -euo pipefail
SC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
FIX="$(dirname "$SC")/fixtures"
cd "$SC"
export GOWORK=off GOFLAGS=-buildvcs=false
# A fixed binary folder: the executable's path is recorded in every profile.
BIN="${TMPDIR:-/tmp}/leakdiff-scenarios"
rm -rf "$BIN" && mkdir -p "$BIN"
trap 'rm -rf "$BIN"' EXIT

if [ $# -gt 0 ]; then
  names=("$@")
else
  names=()
  for d in */main.go; do names+=("$(dirname "$d")"); done
fi
start=$(date +%s)
for n in "${names[@]}"; do
  go build -o "$BIN/$n" "./$n"
done
printf '%s\n' "${names[@]}" | xargs -P 2 -I{} sh -c \
  'echo "regen: {}"; t=$(date +%s); "$0/{}" -out "$1/{}" || { echo "regen: {} failed" >&2; exit 255; }; echo "regen: {} done in $(( $(date +%s) - t ))s"' "$BIN" "$FIX"
echo "regen: ${#names[@]} scenario(s) in $(( $(date +%s) - start ))s; fixtures: $(du -sh "$FIX" | cut -f1)"

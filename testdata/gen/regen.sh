#!/usr/bin/env bash
# Rebuilds every fixture under testdata/ (see testdata/README.md).
# Usage: testdata/gen/regen.sh   (from anywhere; ~15 s, plus ~30 s the first
# time for the GOEXPERIMENT=goroutineleakprofile rebuild of the std library)
set -euo pipefail

GEN="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"   # testdata/gen
TD="$(dirname "$GEN")"                                  # testdata
# A fixed binary directory: the executable's path is recorded in every
# profile's mapping table, so a random mktemp name would change it each run.
BIN="${TMPDIR:-/tmp}/leakdiff-testdata-gen"
rm -rf "$BIN" && mkdir -p "$BIN"
trap 'rm -rf "$BIN"' EXIT

# Build inside the gen module only; never touch the repo's own go.mod.
cd "$GEN"
export GOWORK=off GOFLAGS=-buildvcs=false
INTERVAL=1s # snapshots 1 s apart (the program guarantees distinct seconds)

go build -o "$BIN/gen-a" .
go build -trimpath -tags pad -ldflags '-X main.buildTag=b' -o "$BIN/gen-b" .
HAVE_LEAKPROF=0
if GOEXPERIMENT=goroutineleakprofile go build -o "$BIN/gen-leak" . 2>"$BIN/leak-build.log"; then
  HAVE_LEAKPROF=1
else
  echo "regen: GOEXPERIMENT=goroutineleakprofile build failed, skipping formats/goroutineleak:" >&2
  cat "$BIN/leak-build.log" >&2
fi

rm -rf "$TD/snapshots" "$TD/formats" "$TD/builds"
mkdir -p "$TD/snapshots" "$TD/formats" "$TD/builds"

pids=()
run() { "$@" & pids+=($!); }

# 1. The example series: two sources at the same moments.
run "$BIN/gen-a" -out "$TD/snapshots" -source primary -n 10 -interval $INTERVAL \
  -formats proto -leak-goroutines -leak-heap -http-leak -labels
run "$BIN/gen-a" -out "$TD/snapshots" -source replica -n 10 -interval $INTERVAL \
  -formats proto -leak-heap
# 2. One process, the same moments in every format (split by extension below).
run "$BIN/gen-a" -out "$BIN/out" -source formats -n 8 -interval $INTERVAL \
  -formats proto,debug2,debug1,heapdebug1 -leak-goroutines -leak-heap
# 3. The same program built two ways.
run "$BIN/gen-a" -out "$TD/builds" -source a -n 6 -interval $INTERVAL \
  -formats proto -leak-goroutines -leak-heap
run "$BIN/gen-b" -out "$TD/builds" -source b -n 6 -interval $INTERVAL \
  -formats proto -leak-goroutines -leak-heap
# 4. The experimental goroutineleak profile; GODEBUG=tracebacklabels=1 puts
#    labels:{...} into debug=2 goroutine headers.
if [ "$HAVE_LEAKPROF" = 1 ]; then
  GODEBUG=tracebacklabels=1 run "$BIN/gen-leak" -out "$TD/formats" -source goroutineleak \
    -n 6 -interval $INTERVAL -formats goroutineleak,debug2 -leak-goroutines -labels
fi
for pid in "${pids[@]}"; do wait "$pid"; done

for f in proto debug2 debug1; do mkdir -p "$TD/formats/$f"; done
mv "$BIN"/out/formats/*.pb.gz "$TD/formats/proto/"
mv "$BIN"/out/formats/*.debug2.txt "$TD/formats/debug2/"
mv "$BIN"/out/formats/*.debug1.txt "$TD/formats/debug1/"

if [ "$HAVE_LEAKPROF" = 1 ]; then
  # Keep only the last goroutine debug=2 dump (the one with labels:{...}).
  ls "$TD"/formats/goroutineleak/goroutine-*.debug2.txt | head -n -1 | xargs -r rm -f
fi

# Record both build IDs of each binary: the Go build ID (go tool buildid) and
# the GNU build ID that pprof stores in the profile's mapping ("Build ID:").
{
  echo "# build  go-buildid  gnu-buildid-in-profile-mapping"
  for b in a b; do
    first="$(ls "$TD/builds/$b"/goroutine-*.pb.gz | head -n 1)"
    gnu="$(go tool pprof -raw "$first" 2>/dev/null | awk '/^Mappings/ {getline; print $4; exit}')"
    echo "$b $(go tool buildid "$BIN/gen-$b") $gnu"
  done
} >"$TD/builds/buildid.txt"

du -sh "$TD/snapshots" "$TD/formats" "$TD/builds"

#!/usr/bin/env bash
# Browser check of the HTML report, as a person would look at it: headless
# Chromium (Debian's package, installed here when missing) lays out reports
# of three fixtures at 1400 and 420 px and the check fails when the page
# scrolls sideways, when a link of the findings table has no card, or when a
# listed finding has no card. The report itself has no script: a copy with
# a small measuring script appended is what the browser opens.
#
#   scripts/browsercheck/run.sh              # check (called by .ci/run)
#   scripts/browsercheck/run.sh --screenshots DIR   # also save PNGs there
#
# LEAKDIFF_SKIP_BROWSER=1 skips it (say so where you do).
set -euo pipefail
cd "$(dirname "$0")/../.."
shots=""
if [ "${1:-}" = "--screenshots" ]; then shots="$2"; mkdir -p "$shots"; fi
if [ "${LEAKDIFF_SKIP_BROWSER:-}" = 1 ]; then echo "browsercheck: skipped (LEAKDIFF_SKIP_BROWSER=1)"; exit 0; fi

browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "browsercheck: installing chromium (Debian package)"
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq >/dev/null && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  browser=$(command -v chromium)
fi

work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
go build -o "$work/leakdiff" ./cmd/leakdiff

cat > "$work/probe.html" <<'PROBE'
<script>(function(){var d=document.documentElement,m=[];
document.querySelectorAll("a[href^=\"#\"]").forEach(function(a){var id=a.getAttribute("href").slice(1);if(id&&!document.getElementById(id))m.push(id)});
var rows=document.querySelectorAll("#findings + .wide tbody tr:not(.member)").length,cards=document.querySelectorAll("section.card").length;
var wide=[];document.querySelectorAll("body *").forEach(function(e){var r=e.getBoundingClientRect();if(r.right>d.clientWidth+1&&!e.closest(".wide")&&!e.closest("pre"))wide.push(e.tagName+(e.className?"."+e.className:""))});
var p=document.createElement("pre");p.id="leakdiff-check";p.textContent="CHECK overflow="+(d.scrollWidth-d.clientWidth)+" missing="+m.join(",")+" rows="+rows+" cards="+cards+" wide="+wide.slice(0,5).join(",");
document.body.appendChild(p)})();</script>
PROBE

fail=0
check() { # name, leakdiff args...
  local name=$1; shift
  "$work/leakdiff" analyze --no-cache -f html -o "$work/$name.html" "$@"
  # The probe goes just before </body>.
  awk -v f="$work/probe.html" '/<\/body>/ { while ((getline l < f) > 0) print l; close(f) } { print }' "$work/$name.html" > "$work/$name.probe.html"
  for w in 1400 420; do
    out=$("$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=$w,1000 \
      --dump-dom "file://$work/$name.probe.html" 2>/dev/null | grep -o 'id="leakdiff-check">CHECK [^<]*' | sed 's/.*>//' || true)
    echo "browsercheck: $name at ${w}px: ${out:-no result}"
    if [ -z "$out" ]; then fail=1; continue; fi
    over=$(sed -E 's/.*overflow=(-?[0-9]+).*/\1/' <<<"$out")
    rows=$(sed -E 's/.*rows=([0-9]+).*/\1/' <<<"$out")
    cards=$(sed -E 's/.*cards=([0-9]+).*/\1/' <<<"$out")
    if [ "$over" -gt 0 ]; then echo "browsercheck: FAIL: $name scrolls sideways at ${w}px by ${over}px" >&2; fail=1; fi
    if grep -q 'missing=[^ ]' <<<"$out"; then echo "browsercheck: FAIL: $name links to cards that do not exist" >&2; fail=1; fi
    if [ "$rows" != "$cards" ]; then echo "browsercheck: FAIL: $name lists $rows findings and has $cards cards" >&2; fail=1; fi
    if [ -n "$shots" ]; then
      "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=$w,1000 \
        --screenshot="$shots/$name-$w.png" "file://$work/$name.html" >/dev/null 2>&1 || true
    fi
  done
}
check remotedialer-metrics --min-severity info --top 100 testdata/fixtures/remotedialer-metrics
check tombstones testdata/fixtures/tombstones
check walbacklog --memory-limit 16MiB testdata/fixtures/walbacklog
exit $fail

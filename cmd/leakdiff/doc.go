// Leakdiff finds memory and goroutine leaks in a series of pprof snapshots.
//
// Point it at snapshots taken over time from one or more processes; it lines
// up the same call site across them and shows which sites grow.
//
// Usage:
//
//	leakdiff analyze [flags] PATH...
//	leakdiff collect --url URL (--count N | --for DURATION) [flags]
//	leakdiff diff [flags] BASE NEW
//	leakdiff version
//	leakdiff completion bash|zsh|fish|powershell
//
// A PATH is a file, a directory (walked; hidden entries are listed as skipped,
// not read), a glob (expanded by leakdiff when the shell did not) or "-" for
// standard input.
//
// collect takes the series from running programs: it scrapes their
// net/http/pprof endpoints every --every into --out, one sub-folder per --url
// (named by the --source at the same position), files named KIND-TIME.pb.gz in
// UTC, written whole or not at all, every scrape (good or failed, with HTTP
// status and error) a line of OUT/collect-index.jsonl; --metrics-url keeps the
// /metrics text beside them; --analyze-every N prints the ranking while it
// runs; Ctrl-C stops it and leaves a valid folder. Then: leakdiff analyze OUT.
//
// # Example
//
// The example series in testdata/ was written by a small Go program that
// leaks goroutines (leaky.worker, blocked on a send nobody receives; net/http
// connections whose response bodies are never closed) and heap (cache.Put,
// never evicted), next to controls that stay flat:
//
//	$ leakdiff analyze --top 3 testdata/snapshots/primary
//	20 files read: 20 snapshots (heap, goroutine) from 1 source, 2026-11-22 00:54:59 → 00:55:08 (9s) UTC; 0 counted once, 0 set aside, 0 skipped
//
//	 series                            snapshots  span                                 total               slope        shape
//	 primary · heap · inuse_space             10  2026-11-22 00:54:59 → 00:55:08 (9s)  555 KiB → 2.95 MiB  +1.02 GiB/h  linear
//	 primary · heap · inuse_objects           10  2026-11-22 00:54:59 → 00:55:08 (9s)          404 → 1667      +554k/h  linear
//	 primary · goroutine · goroutines         10  2026-11-22 00:54:59 → 00:55:08 (9s)            26 → 114     +38.7k/h  linear
//
//	findings, medium or worse
//	 #  severity  series               site                                                first → last          trend       slope        R²    p       shape   score  rule
//	 1  high      primary · heap       cache.(*Store).Put                                  0.375 MiB → 2.38 MiB  ▁▁▂▃▄▄▅▆▇█   +880 MiB/h  1.00  <1e-12  linear   0.98  —
//	 2  high      primary · goroutine  leaky.worker                                                      7 → 47  ▁▁▂▃▄▄▅▆▇█     +17.6k/h  1.00  <1e-12  linear   0.93  blocked-channel-goroutines
//	    high      primary · heap         ↳ runtime.systemstack                              13.5 KiB → 55.3 KiB  ▁▁▂▃▄▄▅▆▇█  +17.8 MiB/h  1.00   7e-12  linear   0.88  blocked-channel-goroutines
//	    high      primary · heap         ↳ leaky.worker                                    0.766 KiB → 3.12 KiB  ▁▂▂▃▄▅▆▆▇█  +1.00 MiB/h  0.98   9e-07  linear   0.87  blocked-channel-goroutines
//	 3  high      primary · goroutine  http.(*conn).serve                                                3 → 19  ▁▁▂▃▄▄▅▆▇█      +7039/h  1.00  <1e-12  linear   0.90  http-body-not-closed
//	    high      primary · goroutine    ↳ http.(*persistConn).readLoop                                  3 → 19  ▁▁▂▃▄▄▅▆▇█      +7039/h  1.00  <1e-12  linear   0.90  http-body-not-closed
//	    high      primary · goroutine    ↳ http.(*persistConn).writeLoop                                 3 → 19  ▁▁▂▃▄▄▅▆▇█      +7039/h  1.00  <1e-12  linear   0.90  http-body-not-closed
//	    high      primary · heap         ↳ http.(*Transport).startDialConnForLocked.func1    28.2 KiB → 178 KiB  ▁▁▂▃▄▄▅▆▇█  +64.5 MiB/h  1.00  <1e-12  linear   0.88  http-body-not-closed
//	    high      primary · heap         ↳ http.(*conn).serve                                33.3 KiB → 176 KiB  ▁▁▂▃▄▄▅▆▇█  +61.3 MiB/h  1.00  <1e-12  linear   0.88  http-body-not-closed
//	    high      primary · heap         ↳ http.(*persistConn).readLoop                     1.36 KiB → 8.88 KiB  ▁▁▂▃▄▄▅▆▇█  +3.23 MiB/h  1.00   4e-12  linear   0.88  http-body-not-closed
//	    high      primary · heap         ↳ http.(*persistConn).writeLoop                    1.58 KiB → 4.35 KiB  ▁▂▃▄▄▄▅▆▇█  +1.13 MiB/h  0.97   3e-05  linear   0.78  http-body-not-closed
//	… 19 more finding(s) not listed (--min-severity info --top N to see them)
//
//	1. github.com/leakdiff/leakdiff/testdata/gen/internal/cache.(*Store).Put — primary · heap · inuse_space — high (confidence medium)
//	   grows +880 MiB/h, linear: 384 KiB → 2.38 MiB over 10 snapshots (p <1e-12 by gls+mann-kendall, R² 1.00, Kendall tau 1.00, lag-1 autocorrelation 0.54).
//	   rated on the pace's 95 % lower bound, +877 MiB/h: +20.6 GiB in 24h, 7143× the source's heap (2.95 MiB); q <1e-12 (Benjamini–Hochberg over the series' sites).
//	   83 % of the series' growth.
//	   caution: fitted over 9s only: rated on 24h of growth at this pace, 9360× the window (confidence lowered; take snapshots over a longer span).
//	   no rule in the catalog matches: the statistics found it, the stack below says where to look.
//	   stack (leaf first, → the site):
//	   → github.com/leakdiff/leakdiff/testdata/gen/internal/cache.(*Store).Put  cache/cache.go:16
//	     main.main  gen/main.go:98
//	     runtime.main  runtime/proc.go:290
//
//	2. github.com/leakdiff/leakdiff/testdata/gen/internal/leaky.worker — primary · goroutine · goroutines — high (confidence medium)
//	   grows +17.6k/h, linear: 7 → 47 over 10 snapshots (p <1e-12 by gls+mann-kendall, R² 1.00, Kendall tau 1.00, lag-1 autocorrelation 0.26).
//	   rated on the pace's 95 % lower bound, +17.5k/h: +421k in 24h, 421× 1000 goroutines (the source's count, at least 1000); q <1e-12 (Benjamini–Hochberg over the series' sites).
//	   one leak at 3 sites that grow together:
//	     - runtime.systemstack (heap · inuse_space): 13.5 KiB → 55.3 KiB, +17.8 MiB/h, linear, 2 % of the series' growth; tied by the heap holds the goroutines' descriptors (runtime.malg), levels r 1.00 at 10 common snapshots
//	     - github.com/leakdiff/leakdiff/testdata/gen/internal/leaky.worker (heap · inuse_space): 784 B → 3.12 KiB, +1.00 MiB/h, linear, 0 % of the series' growth; tied by the same site, levels r 0.99 at 10 common snapshots
//	   caution: fitted over 9s only: rated on 24h of growth at this pace, 9359× the window (confidence lowered; take snapshots over a longer span).
//	   rule blocked-channel-goroutines: Goroutines blocked forever on a channel.
//	   The classic Go leak: a goroutine sends its result on an unbuffered
//	   channel after the receiver gave up (a timeout, an early return), or
//	   waits to receive from a channel nobody closes. Its stack, and all it
//	   references, stay for the life of the process.
//	   remedy:
//	     Give the result channel a buffer of one so the send always completes,
//	     or select on ctx.Done() beside the send or receive; close channels
//	     that are ranged over when the producer is done. go.uber.org/goleak in
//	     tests catches these early.
//	   see https://go.dev/blog/pipelines
//	   see https://github.com/uber-go/goleak
//	   matched: frame runtime.chansend1 matches ^runtime\.(chansend1|chanrecv1|chanrecv2)$
//	   stack (leaf first, → the site):
//	     … 1 frame(s)
//	     runtime.chansend  runtime/chan.go:283
//	     runtime.chansend1  runtime/chan.go:161
//	   → github.com/leakdiff/leakdiff/testdata/gen/internal/leaky.worker  leaky/leaky.go:35
//
//	3. net/http.(*conn).serve — primary · goroutine · goroutines — high (confidence medium)
//	   grows +7039/h, linear: 3 → 19 over 10 snapshots (p <1e-12 by gls+mann-kendall, R² 1.00, Kendall tau 1.00, lag-1 autocorrelation 0.26).
//	   rated on the pace's 95 % lower bound, +7015/h: +168k in 24h, 168× 1000 goroutines (the source's count, at least 1000); q <1e-12 (Benjamini–Hochberg over the series' sites).
//	   one leak at 7 sites that grow together; together 55 % of the series' growth:
//	     - net/http.(*persistConn).readLoop (goroutine · goroutines): 3 → 19, +7039/h, linear, 18 % of the series' growth; tied by equal counts at every snapshot
//	     - net/http.(*persistConn).writeLoop (goroutine · goroutines): 3 → 19, +7039/h, linear, 18 % of the series' growth; tied by equal counts at every snapshot
//	     - net/http.(*Transport).startDialConnForLocked.func1 (heap · inuse_space): 28.2 KiB → 178 KiB, +64.5 MiB/h, linear, 6 % of the series' growth; tied by the same rule (http-body-not-closed), levels r 1.00 at 10 common snapshots
//	     - net/http.(*conn).serve (heap · inuse_space): 33.3 KiB → 176 KiB, +61.3 MiB/h, linear, 6 % of the series' growth; tied by the same site, levels r 1.00 at 10 common snapshots
//	     - net/http.(*persistConn).readLoop (heap · inuse_space): 1.36 KiB → 8.88 KiB, +3.23 MiB/h, linear, 0 % of the series' growth; tied by the same rule (http-body-not-closed), levels r 1.00
//	     - net/http.(*persistConn).writeLoop (heap · inuse_space): 1.58 KiB → 4.35 KiB, +1.13 MiB/h, linear, 0 % of the series' growth; tied by the same rule (http-body-not-closed), levels r 0.98
//	   caution: fitted over 9s only: rated on 24h of growth at this pace, 9359× the window (confidence lowered; take snapshots over a longer span).
//	   rule http-body-not-closed: HTTP response bodies never closed.
//	   Every http.Response body must be read to the end and closed: until then
//	   the transport can neither reuse nor release the connection, and each one
//	   keeps two goroutines (persistConn.readLoop, persistConn.writeLoop) and
//	   its bufio buffers. A client timeout hides the leak by cancelling
//	   requests; without one it grows with every call.
//	   remedy:
//	     defer resp.Body.Close() right after checking the error, also on non-2xx
//	     responses, and drain the body (io.Copy(io.Discard, resp.Body)) when it
//	     is not read, so the connection can be reused.
//	   see https://pkg.go.dev/net/http#Client.Do
//	   matched: member net/http.(*Transport).startDialConnForLocked.func1 matched; site net/http.(*Transport).startDialConnForLocked.func1 matches ^net/http\.\(\*Transport\)\.(dialConn|startDialConnForLocked); frame net/http.(*Transport).dialConn matches ^net/http\.\(\*Transport\)\.dialConn$
//	   stack (leaf first, → the site):
//	     … 9 frame(s)
//	     bufio.(*Reader).fill  bufio/bufio.go:113
//	     bufio.(*Reader).Peek  bufio/bufio.go:152
//	   → net/http.(*conn).serve  http/server.go:2103
//
//	made by leakdiff (devel): leakdiff analyze --top 3 testdata/snapshots/primary
//
// # Reading the output
//
// The series table has one line per source, kind and metric: the snapshots
// fitted (after a restart, the last segment's only), their span, the total's
// robust start → end level, its Theil–Sen slope per hour and its shape, and
// with --memory-limit when the in-use heap reaches the limit at that rate.
//
// The findings table ranks the call sites of the primary series (heap
// inuse_space, goroutine counts) by severity, then score: start → end level,
// slope per hour, R², the trend test's p-value, shape, score. The first few
// findings get a paragraph with the numbers in words, the share of growth,
// goroutine evidence from debug=2 dumps, caveats and the stack around the site.
//
// A site is the frame an engineer would look at first: the leaf-most frame
// outside the Go runtime, the standard library and allocators, so that a
// goroutine parked in bufio under remotedialer is a remotedialer site; a
// goroutine entirely in the standard library (net/http.(*persistConn).readLoop)
// is known by the function its go statement started. Values are flat at the
// site: one leak is counted once, not once per caller. Use --granularity line
// to tell sites apart by file:line, --site leaf to take the leaf frame as it
// is, --site-regexp to pick frames yourself, and --site-skip to add frames
// that are never a site.
//
// Shapes of a leak: linear (significant growth still going on at the end;
// "linear since T" when it began late), staircase (a few abrupt steps, flat
// between, still climbing: a map or slice growing by doubling) and slowing
// (grows more slowly since T, but the tail still rises significantly). Not a
// leak: plateau (grew, then flat within its confidence interval: warm-up),
// fill (flat, a late rise, flat again: a bounded cache switched on), step
// (one jump), sawtooth (growth and release), flat, decline.
//
// Severity is rated on what the growth will cost: the one-sided 95 % lower
// bound of its pace, projected over 24 h (with --memory-limit, until the heap
// reaches it), against the process's heap (goroutines: at least 1,000).
// High adds half of it, medium 5 % (and 1 MiB), both with a q-value below
// 0.001 (Benjamini–Hochberg over the series' sites); critical when the heap
// reaches the memory limit within 24 h and the site drives a fifth of that.
// Low is a leak's shape but less certain or smaller, or growth that began
// too late to tell from a cache filling up; info is not a leak's shape.
// Each finding says its confidence (lowered on a window under an hour, few
// snapshots or a late start). Sites of one leak (one goroutine chain, the
// heap it holds) are one finding with its members. The package doc of
// github.com/leakdiff/leakdiff/diff gives the methods and the formulas.
//
// "leakdiff diff BASE NEW" compares two snapshots site by site, aligned by
// name as go tool pprof -diff_base aligns by address.
//
// # Inputs, time and sources
//
// Formats are recognised by content: pprof protobuf (gzip'd or not, as served
// by /debug/pprof/heap, /allocs, /goroutine and /goroutineleak), the Go debug=1
// text profiles (function names come from their '#' lines), goroutine dumps
// (debug=2, runtime.Stack, crash tracebacks, with Go 1.26 "(leaked)" marks and
// labels) and the legacy formats pprof parses. The kind comes from the sample
// types; cpu, mutex, block, threadcreate and allocation-only profiles are read
// and listed as set aside. For heap profiles only in-use values are analysed:
// alloc_* values count everything allocated since the process started and grow
// in every healthy program.
//
// A snapshot's time is its profile's timestamp, else one in its file name
// (2026-11-21T22:50:01Z, 20261121T225001Z, 2026-11-21_22-50-01, Unix seconds),
// else the series is put in file-name order and says so. A time more than a
// week ahead is noted. Identical snapshots of the same moment (copies), and
// snapshots of the same moment in two formats, are counted once and listed;
// identical content at different times is a flat series and is kept.
//
// Prometheus /metrics text snapshots are read too (kind metrics): pairs of
// counters that must move together (add/remove, open/close, … and the
// related_metrics of rules) become balance sites A − B, fitted with the
// gauges that grow with a leak; counters are not findings. --per COUNTER
// gives each finding's growth per unit of that counter (goroutines per
// request), and a metrics finding growing with a heap or goroutine finding
// of the same source is linked to it.
//
// Nothing is dropped silently: every input is analysed, counted once, set
// aside (other profile kinds, collect's index) or skipped with its reason,
// in every output format. A snapshot is read only up to
// --max-snapshot-size (default 128MiB) on disk and inflated; its first 64 KiB
// are looked at before the rest (zeros, other kinds of file are refused at
// once, by name); gzip nested more than three deep is refused, and a stream
// that goes on is measured before it is buffered, so a decompression bomb is
// refused without the memory it asks for. One input over 16 MiB is held at
// a time, whatever --jobs.
//
// Sources: one per directory, and within a directory one per file-name stem
// (primary-heap-*.pb.gz and replica-heap-*.pb.gz are two sources). Override
// with --source NAME, --source-regexp (the group named source) or
// --source-label KEY (a pprof or goroutine label). A restart inside a source,
// seen as a new build ID or as counters that only grow going down, splits the
// series into segments; growth is measured over the last one.
//
// # Exit codes
//
//	0  the analysis ran, and no finding is at or above --fail-on
//	1  a finding is at or above --fail-on (a CI gate: --fail-on high)
//	2  bad usage, a bad rule file, no usable snapshot, or --strict with a skipped input
//	130  interrupted (Ctrl-C): no report written; a second Ctrl-C ends at once
//
// # Formats
//
// --format table (default), json (schema leakdiff.report/v1, see the
// README and report.JSONReport), markdown (for tickets) or html (one
// self-contained page with charts); --output FILE writes it atomically.
//
// # Pitfalls
//
//   - Heap profiles show the heap as of the last garbage collection, and by
//     default sample one allocation per 512 KiB: small sites are estimates.
//   - Two snapshots show a difference, not a trend; take many, at regular
//     intervals, over longer than the program's warm-up. Fewer than 8
//     snapshots give weak significance.
//   - Heap noise is autocorrelated (what is live at one GC is mostly live at
//     the next): leakdiff widens its tests for it, which costs power on short
//     series.
//   - Snapshots of different processes must not share a source: check the
//     series headers, and use --source-regexp when file names tell them apart.
//   - A restart resets everything: growth before it is not growth after it.
package main

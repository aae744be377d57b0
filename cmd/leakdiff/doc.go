// Leakdiff finds memory and goroutine leaks in a series of pprof snapshots.
//
// Point it at snapshots taken over time from one or more processes; it lines
// up the same call site across them and shows which sites grow.
//
// Usage:
//
//	leakdiff analyze [flags] PATH...
//	leakdiff version
//	leakdiff completion bash|zsh|fish|powershell
//
// A PATH is a file, a directory (walked; hidden entries are ignored), a glob
// (expanded by leakdiff when the shell did not) or "-" for standard input.
//
// # Example
//
// The example series in testdata/ was written by a small Go program that
// leaks goroutines (leaky.worker, blocked on a send nobody receives; net/http
// connections whose response bodies are never closed) and heap (cache.Put,
// never evicted), next to controls that stay flat:
//
//	$ leakdiff analyze --top 3 testdata/snapshots/primary
//	20 files read: 20 snapshots in 2 series, 0 counted once, 0 set aside, 0 skipped
//
//	primary · heap · inuse_space (bytes)
//	  10 snapshots, 2026-11-22T00:54:59Z → 2026-11-22T00:55:08Z (9s); total 0.371 MiB → 3.10 MiB (+2.73 MiB)
//	 #  site                                            first      last       growth
//	 1  cache.(*Store).Put                              0.250 MiB   2.50 MiB   +2.25 MiB
//	 2  http.(*Transport).startDialConnForLocked.func1  0.018 MiB  0.183 MiB  +0.165 MiB
//	 3  http.(*conn).serve                              0.025 MiB  0.182 MiB  +0.157 MiB
//	  … 19 more site(s)
//
//	primary · heap · inuse_objects (count)
//	  10 snapshots, 2026-11-22T00:54:59Z → 2026-11-22T00:55:08Z (9s); total 320 → 1748 (+1428)
//	 #  site                                            first  last  growth
//	 1  http.(*Transport).startDialConnForLocked.func1     38   380    +342
//	 2  httpleak.(*Client).FetchAndForget                  56   330    +274
//	 3  http.(*conn).serve                                 46   315    +269
//	  … 19 more site(s)
//
//	primary · goroutine · goroutines (count)
//	  10 snapshots, 2026-11-22T00:54:59Z → 2026-11-22T00:55:08Z (9s); total 21 → 120 (+99)
//	 #  site                          first  last  growth
//	 1  leaky.worker                      5    50     +45
//	 2  http.(*conn).serve                2    20     +18
//	 3  http.(*persistConn).readLoop      2    20     +18
//	  … 4 more site(s)
//
// # Reading the output
//
// Each block is one series: a source (the process), a kind (heap, goroutine,
// goroutineleak) and a metric (inuse_space in bytes, inuse_objects, or the
// goroutine count). Its header gives the number of snapshots, the time span
// and the total at the first and last snapshot. The table ranks sites by
// growth from the first to the last snapshot of the series' last segment.
//
// A site is the frame an engineer would look at first: the leaf-most frame
// outside the Go runtime, the standard library and allocators, so that a
// goroutine parked in bufio under remotedialer is a remotedialer site; a
// goroutine entirely in the standard library (net/http.(*persistConn).readLoop)
// is known by the function its go statement started. Values are flat at the
// site: one leak is counted once, not once per caller. For goroutine dumps
// the wait reason, the longest wait and the count the runtime marked
// "(leaked)" follow the site in brackets.
//
// Use --granularity line to tell sites apart by file:line, --site leaf to take
// the leaf frame as it is, --site-regexp to pick frames yourself, and
// --site-skip to add frames that are never a site.
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
// else the series is put in file-name order and says so. Identical snapshots,
// and snapshots of the same moment in two formats, are counted once and listed.
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
//	0  the analysis ran
//	1  (reserved for --fail-on, when findings are ranked)
//	2  bad usage, no usable snapshot, or --strict with a skipped input
//
// # Pitfalls
//
//   - Heap profiles show the heap as of the last garbage collection, and by
//     default sample one allocation per 512 KiB: small sites are estimates.
//   - Two snapshots show a difference, not a trend; take many, at regular
//     intervals, over longer than the program's warm-up.
//   - Snapshots of different processes must not share a source: check the
//     series headers, and use --source-regexp when file names tell them apart.
//   - A restart resets everything: growth before it is not growth after it.
package main

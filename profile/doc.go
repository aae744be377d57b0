// Package profile reads snapshot files and turns them into aligned
// per-site series.
//
// It is first in leakdiff's pipeline (profile → diff → rules → report):
//
//  1. Load expands paths (files, directories, globs, "-") and decodes each
//     file with a bounded pool of workers. Decode sniffs the content, not the
//     name: gzip, pprof protobuf, the legacy text formats pprof parses (Go
//     debug=1 heap and goroutine profiles, whose '#' lines this package reads
//     for names since pprof skips them), and goroutine text dumps (debug=2,
//     runtime.Stack, crash output; see ParseGoroutineDump).
//  2. Each decoded profile is reduced at once to values per site (see
//     SitePolicy: by default the leaf-most frame outside the Go runtime,
//     standard library and allocators) with a representative stack; the
//     decoded profile is dropped.
//  3. Each snapshot gets a kind from its sample types (KindHeap,
//     KindGoroutine, KindGoroutineLeak, or KindOther, set aside), a time (its
//     TimeNanos, else a timestamp in its file name) and a source (the
//     process it came from).
//  4. Align groups snapshots by source and kind, orders them (Order), counts
//     identical snapshots and snapshots of the same moment once, splits
//     series at restarts into segments, and lines up each site across the
//     snapshots into a Series: a sites × snapshots matrix per metric.
//
// No type of github.com/google/pprof/profile crosses this package's
// boundary: it is imported here only, as pprof.
package profile

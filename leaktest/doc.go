// Package leaktest finds leaks in Go test suites: a test runs a workload
// function over and over for a bounded time while the package takes heap
// and goroutine snapshots of the test process itself, then analyses them
// with the code `leakdiff analyze` runs, and fails the test when a call
// site grows with the calls.
//
//	func TestHandlerDoesNotLeak(t *testing.T) {
//		srv := newServer(t)
//		leaktest.Check(t, func() { srv.handle(request()) })
//	}
//
// Check works in steps:
//
//  1. Warm-up: the workload is called a few times before the first snapshot,
//     so that caches, pools and lazily built tables it fills on first use are
//     part of the baseline, not of the growth.
//  2. Soak: the workload is called again and again on one schedule, paced
//     evenly over the duration (3 s by default) and capped at a number of
//     calls (10,000 by default: a leak of one goroutine per call then costs
//     tens of MiB, not gigabytes). At even intervals the package takes a
//     snapshot: runtime.GC, then the heap profile (pprof protobuf) and a
//     goroutine dump (debug=2, so goroutine states reach the rules), each
//     written into a buffer and decoded and reduced at once with
//     profile.Decode. A snapshot is stamped with the real time the workload
//     paused for it; calls that a slow snapshot held up are made up after
//     it, so that a GC stalled on a loaded machine does not bend the line.
//  3. Analysis: report.NewContext with the built-in catalog, the pipeline
//     analyze runs (align, fit, rate, match rules, group), on those
//     snapshots.
//  4. Verdict: each finding of at least medium severity (MinSeverity) whose
//     site is not ignored (IgnoreSites) fails the test with t.Errorf: the
//     site, its growth per call, its shape, the rule that names it and its
//     stack. Growth per call is the site's growth over the soak (as analyze
//     measures it, between robust levels at either end) divided by the
//     calls made meanwhile.
//
// The package's own memory (the decoded snapshots it keeps) is left out of
// the snapshots before they are analysed.
//
// # Compared with goleak
//
// go.uber.org/goleak checks, when a test ends, that no goroutine it started
// is still running. It is cheap (milliseconds) and exact about goroutines,
// and it sees nothing else. leaktest watches the process while the workload
// runs and asks whether anything grows with the number of calls, so it also
// catches what goleak cannot:
//
//   - heap-only leaks: a map or slice that gains an entry per call, a cache
//     without eviction, a registry nothing unregisters from;
//   - leaks in long-lived goroutines: a background worker that is meant to
//     outlive the test (and that goleak must be told to ignore) but whose
//     state grows with each request it serves;
//   - goroutines that a test's cleanup would end (a server closed at the end
//     of the test) but that pile up, one per call, while the code runs.
//
// It costs seconds per test (the soak) instead of milliseconds, and its
// verdict is statistical: a site must grow steadily across the snapshots,
// at the significance analyze requires for a medium finding, so a clean
// workload with allocation churn passes. Use both: goleak at the end of
// every test, leaktest for the few entry points that serve many calls.
//
// # Caveats
//
// The snapshots are of the whole process. Checks in one process run one at
// a time (they wait for each other), but other tests running in parallel
// (t.Parallel) show up in the snapshots: do not mark a test that calls Check
// as parallel. For the soak, the heap profile's sampling rate is lowered to
// one sample per 4 KiB allocated on average (see MemProfileRate), so that
// leaks of a few bytes per call show over 10,000 calls; the process's rate
// is restored afterwards.
package leaktest

// Package bigseries writes a large, realistic and deterministic series of Go
// pprof profiles (heap and goroutine) for benchmarking leakdiff at production
// scale. Everything follows from Config.Seed: the same flags give the same
// bytes, whatever the number of workers.
//
// # Shape
//
// One source folder (Config.Source, e.g. "api") under Config.Out holds
// Config.Snapshots heap profiles and as many goroutine profiles, named
// heap-20260302T080000Z.pb.gz and goroutine-20260302T080000Z.pb.gz, one
// Config.Interval apart (TimeNanos set), starting at Config.Start
// (default 2026-03-02T08:00:00Z).
//
// The synthetic program has about 5,400 functions: Go runtime and standard
// library machinery, third-party modules (github.com/jackc/pgx/v5, grpc, …)
// and application code under example.com/svc/…, with generic instantiations
// (example.com/svc/cache.(*LRU[go.shape.string,go.shape.int]).Put), closures
// (….func3, ….func2.1, ….gowrap1) and inlined frames (about 10% of locations
// have several Line entries). One Mapping (with a BuildID and File) covers
// every Location; each Location has an Address inside its Function's code.
//
// Heap profiles look like runtime/pprof's: sample types alloc_objects/count,
// alloc_space/bytes, inuse_objects/count, inuse_space/bytes, PeriodType
// space/bytes, Period 524288. With the defaults each has 20,000 stacks of
// 15–60 locations (more frames with inlining) over about 30,000 locations, leaf frames in the allocator
// (runtime.mallocgc under runtime.newobject, runtime.growslice,
// runtime.makeslice, …), often below standard library code, with user frames
// beneath. About 1.6 MB gzip'd. Goroutine profiles: sample type
// goroutine/count, PeriodType goroutine/count, 2,000 stacks holding about
// 25,000 goroutines, parked in runtime.gopark (under runtime.selectgo,
// runtime.chanrecv1, sync.(*Cond).Wait, network reads, …), every stack
// ending at runtime.goexit. About 0.35 MB gzip'd.
//
// Most stacks are in every snapshot; 8% are flaky (present in each snapshot
// with probability ½, independently), so 3–5% of the stacks appear or
// disappear between two snapshots. Every other value is stationary noise: a
// level drawn once per stack, times (1 ± 5%) drawn per snapshot. alloc_*
// counters are cumulative and never decrease for a stack, nor summed over a
// profile (which would read as a restart).
//
// # Planted sites
//
// PlantedSites lists them with their exact numbers; rates are per hour of
// snapshot time (240 snapshots one minute apart span 3 h 59 min). The site
// function is the leaf-most frame outside the runtime and standard library in
// each of its stacks, and appears in no other stack as such.
//
// Leaks (heap inuse_space, growing linearly from Base):
//
//	example.com/svc/session.(*Store).track                        +2 MiB/h   from 4 MiB
//	example.com/svc/cache.(*LRU[go.shape.string,go.shape.int]).Put +20 MiB/h  from 16 MiB
//	example.com/svc/ingest.(*Batcher).flush.func3                 +200 MiB/h from 32 MiB
//
// Leaks (goroutines, growing linearly from Base):
//
//	example.com/svc/rpc.(*Client).watch.func2    +30/h  from 12
//	example.com/svc/events.(*Subscriber).loop    +300/h from 40
//
// Controls (heap inuse_space, not leaks):
//
//	example.com/svc/index.(*Trie).insert    warm-up: 8 MiB, rises by 64 MiB over the first 30% of the series, then flat
//	example.com/svc/stream.(*Window).append sawtooth: 2 MiB + a ramp of 48 MiB released every 30 minutes
//
// The heap sites' values carry the same ±5% jitter as the noise; the
// goroutine leaks add their leaked goroutines, unjittered, to a jittered base.
package bigseries

// Command gen is a real Go process that leaks in a controlled way and writes
// a series of runtime/pprof snapshots, exactly as runtime/pprof writes them,
// to serve as test fixtures for leakdiff. See ../README.md and regen.sh.
//
// Every tick it does some work (leaking and non-leaking), waits -interval,
// then writes one snapshot per requested format into -out/<source>/.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/leakdiff/leakdiff/testdata/gen/internal/cache"
	"github.com/leakdiff/leakdiff/testdata/gen/internal/churn"
	"github.com/leakdiff/leakdiff/testdata/gen/internal/httpleak"
	"github.com/leakdiff/leakdiff/testdata/gen/internal/leaky"
)

// buildTag is overridden with -ldflags '-X main.buildTag=b' so two builds of
// the same source differ (see regen.sh, testdata/builds).
var buildTag = "a"

// Per-tick amounts. Small enough to keep the fixtures tiny, large enough that
// growth is unmistakable.
const (
	goroutinesPerTick = 5  // leaky.worker goroutines leaked per tick
	heapPutsPerTick   = 4  // 64 KiB cache.(*Store).Put buffers kept per tick
	httpGetsPerTick   = 2  // unclosed response bodies per tick
	poolWorkers       = 8  // churn.poolWorker goroutines (constant)
	boundedMax        = 24 // churn.Bounded capacity; full after 2 ticks
	boundedPerTick    = 12 // churn.Bounded puts per tick
)

func main() {
	// First thing: sample every allocation so heap profiles are exact and
	// deterministic instead of statistically sampled every 512 KiB.
	runtime.MemProfileRate = 1

	out := flag.String("out", "out", "output directory; files go to `DIR`/<source>/")
	source := flag.String("source", "primary", "source `name` (subdirectory of -out)")
	n := flag.Int("n", 10, "number of snapshots to write before exiting")
	interval := flag.Duration("interval", 2*time.Second, "time between snapshots (at least 1s apart in file names)")
	leakG := flag.Bool("leak-goroutines", false, "leak "+fmt.Sprint(goroutinesPerTick)+" leaky.worker goroutines per tick")
	leakH := flag.Bool("leak-heap", false, "leak "+fmt.Sprint(heapPutsPerTick)+"x64 KiB via cache.(*Store).Put per tick")
	formats := flag.String("formats", "proto", "comma list of: proto, debug1, debug2, heapdebug1, goroutineleak")
	httpLeak := flag.Bool("http-leak", false, "leak net/http client goroutines ("+fmt.Sprint(httpGetsPerTick)+" unclosed bodies per tick)")
	labels := flag.Bool("labels", false, "start leaky.worker under pprof.Do with label handler=leaky")
	flag.Parse()

	want, err := parseFormats(*formats)
	if err != nil {
		log.Fatal(err)
	}
	dir := filepath.Join(*out, *source)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Fatal(err)
	}

	// Control group: started once, never grows.
	pool := churn.StartPool(poolWorkers)
	bounded := churn.NewBounded(boundedMax)
	// Leaks.
	handler := &leaky.Handler{Labels: *labels}
	store := cache.New()
	var web *httpleak.Client
	if *httpLeak {
		if web, err = httpleak.Start(); err != nil {
			log.Fatal(err)
		}
	}

	var last time.Time
	req := 0
	for tick := range *n {
		// 1. The work of one tick.
		churn.Process(32)
		for i := range poolWorkers {
			pool.Submit(tick*poolWorkers + i)
		}
		for i := range boundedPerTick {
			bounded.Put(tick*boundedPerTick + i)
		}
		if *leakG {
			for range goroutinesPerTick {
				handler.Serve(req)
				req++
			}
		}
		if *leakH {
			for i := range heapPutsPerTick {
				store.Put(tick*heapPutsPerTick + i)
			}
		}
		if web != nil {
			for range httpGetsPerTick {
				if err := web.FetchAndForget(); err != nil {
					log.Fatal(err)
				}
			}
		}

		// 2. Wait; this also lets the new goroutines reach their blocking
		// point so their stacks are stable in the snapshot.
		time.Sleep(*interval)

		// 3. Snapshot. Names carry the UTC second, which must be unique.
		last = nextStamp(last)
		ts := last.Format("20060102T150405Z")
		if err := snapshot(dir, ts, want); err != nil {
			log.Fatal(err)
		}
	}
	// Keep the leaking/control structures reachable until the end so the
	// heap numbers are what the code intends (the GC may otherwise free them
	// once main no longer uses them).
	runtime.KeepAlive(pool)
	runtime.KeepAlive(bounded)
	runtime.KeepAlive(store)
	log.Printf("gen %s (build %s): %d snapshots in %s", *source, buildTag, *n, dir)
}

// nextStamp returns the current UTC second, or sleeps until a second later
// than prev so two ticks never share a file name.
func nextStamp(prev time.Time) time.Time {
	now := time.Now().UTC().Truncate(time.Second)
	if now.After(prev) {
		return now
	}
	next := prev.Add(time.Second)
	time.Sleep(time.Until(next))
	return next
}

var knownFormats = []string{"proto", "debug1", "debug2", "heapdebug1", "goroutineleak"}

func parseFormats(s string) (map[string]bool, error) {
	want := map[string]bool{}
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		known := false
		for _, k := range knownFormats {
			known = known || f == k
		}
		if !known {
			return nil, fmt.Errorf("unknown format %q (want %s)", f, strings.Join(knownFormats, ", "))
		}
		want[f] = true
	}
	return want, nil
}

// snapshot writes the requested files for one moment.
func snapshot(dir, ts string, want map[string]bool) error {
	// Do not sample the allocations of the profile writers themselves
	// (pprof's proto builder, compress/flate, text/tabwriter, ...). With
	// MemProfileRate=1 they would add hundreds of allocation sites per
	// snapshot that have nothing to do with the workload, and make each
	// heap debug=1 file ~700 KB. Frees of already-sampled objects are still
	// tracked, so inuse_* stays exact.
	runtime.MemProfileRate = 0
	defer func() { runtime.MemProfileRate = 1 }()

	type file struct {
		profile string // pprof.Lookup name
		debug   int    // WriteTo debug argument
		suffix  string
	}
	var files []file
	if want["proto"] {
		files = append(files, file{"heap", 0, ".pb.gz"}, file{"goroutine", 0, ".pb.gz"})
	}
	if want["heapdebug1"] {
		files = append(files, file{"heap", 1, ".debug1.txt"})
	}
	if want["debug1"] {
		files = append(files, file{"goroutine", 1, ".debug1.txt"})
	}
	if want["debug2"] {
		files = append(files, file{"goroutine", 2, ".debug2.txt"})
	}
	if want["goroutineleak"] {
		// Only exists when built with GOEXPERIMENT=goroutineleakprofile.
		// WriteTo runs a leak-detecting GC first; debug=2 is a full
		// goroutine dump in which leaked goroutines say "(leaked)".
		files = append(files,
			file{"goroutineleak", 0, ".pb.gz"},
			file{"goroutineleak", 1, ".debug1.txt"},
			file{"goroutineleak", 2, ".debug2.txt"})
	}
	for _, f := range files {
		p := pprof.Lookup(f.profile)
		if p == nil {
			return fmt.Errorf("profile %q not available in this build", f.profile)
		}
		if f.profile == "heap" {
			// The heap profile reflects the last completed GC; force one
			// so inuse_* is exact for this moment.
			runtime.GC()
		}
		name := filepath.Join(dir, f.profile+"-"+ts+f.suffix)
		if err := writeAtomic(name, func(w *os.File) error { return p.WriteTo(w, f.debug) }); err != nil {
			return err
		}
	}
	return nil
}

// writeAtomic writes to a temporary file in the same directory and renames
// it into place, so a reader never sees a half-written snapshot.
func writeAtomic(name string, write func(*os.File) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), ".tmp-"+filepath.Base(name)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil { // CreateTemp uses 0600
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}

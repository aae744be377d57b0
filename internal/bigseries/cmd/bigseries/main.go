// Command bigseries writes a large, realistic, deterministic series of Go
// pprof heap and goroutine profiles for benchmarking leakdiff (see package
// github.com/leakdiff/leakdiff/internal/bigseries for the shape and the
// planted leaks).
//
//	go run ./internal/bigseries/cmd/bigseries -out /tmp/series -snapshots 240
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/leakdiff/leakdiff/internal/bigseries"
)

func main() {
	cfg := bigseries.Config{}
	flag.StringVar(&cfg.Out, "out", "", "output folder (files go to OUT/SOURCE)")
	flag.StringVar(&cfg.Source, "source", "api", "source folder name")
	flag.IntVar(&cfg.Snapshots, "snapshots", 240, "snapshots per kind (heap and goroutine)")
	flag.Uint64Var(&cfg.Seed, "seed", 1, "seed; the same flags write the same bytes")
	flag.IntVar(&cfg.Stacks, "stacks", 20000, "heap stacks per snapshot")
	flag.IntVar(&cfg.GoroutineStacks, "goroutine-stacks", 2000, "goroutine stacks per snapshot")
	flag.DurationVar(&cfg.Interval, "interval", time.Minute, "time between snapshots")
	start := flag.String("start", bigseries.DefaultStart.Format(time.RFC3339), "time of the first snapshot (RFC 3339)")
	flag.IntVar(&cfg.Workers, "workers", 0, "files written at once (0: one per CPU)")
	quiet := flag.Bool("q", false, "no progress lines")
	flag.Parse()
	if cfg.Out == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: bigseries -out DIR [flags]")
		flag.PrintDefaults()
		os.Exit(2)
	}
	t, err := time.Parse(time.RFC3339, *start)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bigseries: -start:", err)
		os.Exit(2)
	}
	cfg.Start = t
	if !*quiet {
		cfg.Progress = os.Stderr
	}
	began := time.Now()
	res, err := bigseries.Generate(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var heap, gor struct {
		n                    int
		bytes                int64
		samples, funcs, locs int
		minTotal, maxTotal   int64
	}
	for _, f := range res.Files {
		s := &heap
		if f.Kind == bigseries.KindGoroutine {
			s = &gor
		}
		if s.n == 0 || f.Total < s.minTotal {
			s.minTotal = f.Total
		}
		s.maxTotal = max(s.maxTotal, f.Total)
		s.n++
		s.bytes += f.Bytes
		s.samples += f.Samples
		s.funcs += f.Functions
		s.locs += f.Locations
	}
	fmt.Printf("wrote %d files to %s in %.1fs: %.1f MB\n", len(res.Files), res.Dir, time.Since(began).Seconds(), float64(res.Bytes)/1e6)
	if heap.n > 0 {
		fmt.Printf("  heap:      %d files, %.2f MB each, %d stacks, %d functions, %d locations (averages)\n",
			heap.n, float64(heap.bytes)/float64(heap.n)/1e6, heap.samples/heap.n, heap.funcs/heap.n, heap.locs/heap.n)
	}
	if gor.n > 0 {
		fmt.Printf("  goroutine: %d files, %.2f MB each, %d stacks, %d functions, %d locations, %d–%d goroutines\n",
			gor.n, float64(gor.bytes)/float64(gor.n)/1e6, gor.samples/gor.n, gor.funcs/gor.n, gor.locs/gor.n, gor.minTotal, gor.maxTotal)
	}
	fmt.Printf("total bytes: %d\n", res.Bytes)
}

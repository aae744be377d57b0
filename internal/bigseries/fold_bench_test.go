package bigseries

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	lprof "github.com/leakdiff/leakdiff/profile"
)

// BenchmarkLoadAlign loads a generated series (60 or 240 heap and as many
// goroutine snapshots of 3,000 and 500 stacks) and aligns it, with each
// snapshot's per-site values kept whole until Align or folded into packed
// columns as it is read (LoadOptions.Fold, what analyze does). live-MiB is
// the heap still in use once the set is built and the snapshots are still
// referenced: what a run holds; compare it across snapshot counts.
//
//	go test ./internal/bigseries -run '^$' -bench LoadAlign -count 6 | benchstat -col /mode -
func BenchmarkLoadAlign(b *testing.B) {
	for _, n := range []int{60, 240} {
		dir := b.TempDir()
		if _, err := Generate(Config{Out: dir, Source: "api", Snapshots: n, Seed: 11, Stacks: 3000, GoroutineStacks: 500, Interval: time.Minute}); err != nil {
			b.Fatal(err)
		}
		for _, mode := range []string{"whole", "folded"} {
			b.Run(fmt.Sprintf("snapshots=%d/mode=%s", n, mode), func(b *testing.B) {
				var live float64
				for b.Loop() {
					l, err := lprof.Load(context.Background(), []string{dir}, lprof.LoadOptions{
						Decode: lprof.DecodeOptions{Sites: lprof.DefaultSitePolicy()}, Fold: mode == "folded"})
					if err != nil {
						b.Fatal(err)
					}
					set := lprof.Align(l.Snapshots)
					runtime.GC()
					var ms runtime.MemStats
					runtime.ReadMemStats(&ms)
					live = float64(ms.HeapInuse) / (1 << 20)
					runtime.KeepAlive(l)
					runtime.KeepAlive(set)
				}
				b.ReportMetric(live, "live-MiB")
			})
		}
	}
}

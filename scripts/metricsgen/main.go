// Command metricsgen writes a series of Prometheus /metrics scrapes of high
// cardinality, for measuring leakdiff on real-size metrics pages (scripts/bench
// metrics). Everything follows from -seed.
//
// Each of -scrapes files (OUT/SOURCE/metrics-<time>.prom, -interval apart from
// 2026-03-02T08:00:00Z, the times internal/bigseries uses, so that its heap
// and goroutine profiles written into the same folder are one source) holds
// -series series: gauges, 2% of them growing (so many metrics findings to
// link), and pairs of opened/closed counters whose balance grows for 1% of
// them.
//
//	go run ./scripts/metricsgen -out /tmp/m -series 100000 -scrapes 100
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"
)

func main() {
	out := flag.String("out", "", "output folder (files go to OUT/SOURCE)")
	source := flag.String("source", "api", "source folder name")
	series := flag.Int("series", 100000, "series per scrape")
	scrapes := flag.Int("scrapes", 100, "scrapes")
	interval := flag.Duration("interval", time.Minute, "time between scrapes")
	seed := flag.Uint64("seed", 1, "seed")
	flag.Parse()
	if *out == "" || *series < 4 || *scrapes < 1 {
		fmt.Fprintln(os.Stderr, "usage: metricsgen -out DIR [-series N] [-scrapes N] [-interval D] [-seed N]")
		os.Exit(2)
	}
	if err := run(filepath.Join(*out, *source), *series, *scrapes, *interval, *seed); err != nil {
		fmt.Fprintf(os.Stderr, "metricsgen: %v\n", err)
		os.Exit(1)
	}
}

func run(dir string, series, scrapes int, interval time.Duration, seed uint64) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	start := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	pairs := series / 10 // two counters each
	gauges := series - 2*pairs
	// Levels drawn once per series: the same for every scrape.
	rng := rand.New(rand.NewPCG(seed, 1))
	level := make([]float64, gauges)
	for i := range level {
		level[i] = float64(10 + rng.IntN(1000))
	}
	for k := range scrapes {
		rng := rand.New(rand.NewPCG(seed, uint64(k)+2))
		name := fmt.Sprintf("metrics-%s.prom", start.Add(time.Duration(k)*interval).Format("20060102T150405Z"))
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		w := bufio.NewWriterSize(f, 1<<20)
		fmt.Fprintln(w, "# HELP app_queue_items Items waiting per queue.")
		fmt.Fprintln(w, "# TYPE app_queue_items gauge")
		for i := range gauges {
			v := level[i] * (1 + 0.05*rng.NormFloat64())
			if i%50 == 7 {
				v = level[i] + float64(k)*float64(5+i%13) + 3*rng.NormFloat64()
			}
			fmt.Fprintf(w, "app_queue_items{queue=\"q%06d\",shard=\"%d\"} %.0f\n", i, i%16, v)
		}
		fmt.Fprintln(w, "# HELP app_conns_opened_total Connections opened.")
		fmt.Fprintln(w, "# TYPE app_conns_opened_total counter")
		for i := range pairs {
			fmt.Fprintf(w, "app_conns_opened_total{peer=\"p%06d\"} %d\n", i, 100*k+i%7)
		}
		fmt.Fprintln(w, "# HELP app_conns_closed_total Connections closed.")
		fmt.Fprintln(w, "# TYPE app_conns_closed_total counter")
		for i := range pairs {
			closed := 100 * k
			if i%100 == 3 {
				closed = 97 * k // a leak of connections: the balance grows
			}
			fmt.Fprintf(w, "app_conns_closed_total{peer=\"p%06d\"} %d\n", i, closed)
		}
		if err := w.Flush(); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}

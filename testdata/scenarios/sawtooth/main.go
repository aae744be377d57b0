// Command sawtooth is a control scenario: a batcher accumulates buffers and
// releases them all every few ticks when the batch is flushed, so the heap
// rises and falls in a sawtooth with no upward trend. The first and last
// snapshots sit at the same phase. A leak analyzer must not report it.
//
// Regenerate the fixture:
//
//	cd testdata/scenarios && go run ./sawtooth -out ../fixtures/sawtooth
package main

import (
	"flag"
	"time"

	"github.com/leakdiff/leakdiff/testdata/scenarios/internal/snap"
)

const (
	bufSize     = 64 << 10 // bytes per buffered record batch
	bufsPerTick = 24       // 1.5 MiB added per tick
	flushEvery  = 5        // ticks per sawtooth period; 36 snapshots: 0 and 35 share a phase
)

// BatchBuffer holds records until the batch is flushed downstream.
type BatchBuffer struct {
	bufs    [][]byte
	flushed int
}

// Add copies one record into a new buffer held until the next Flush: the
// site whose memory rises through each period.
func (b *BatchBuffer) Add(rec byte) {
	buf := make([]byte, bufSize)
	for i := range buf {
		buf[i] = rec
	}
	b.bufs = append(b.bufs, buf)
}

// Flush sends the batch and drops every buffer (the fall of the sawtooth).
func (b *BatchBuffer) Flush() {
	b.flushed += len(b.bufs)
	b.bufs = nil
}

func main() {
	snap.Main(snap.Options{
		Source:      "batcher",
		N:           36,
		Every:       750 * time.Millisecond,
		SimInterval: time.Minute,
		SimStart:    time.Date(2026, 11, 21, 22, 0, 0, 0, time.UTC),
		Formats:     "proto",
		// Force a GC before each heap snapshot so a flushed batch is gone
		// from the profile at once.
		GC: true,
		// Sample about every 16 KiB: the 64 KiB buffers are all but always
		// seen, so each tooth has the same height.
		MemProfileRate: 16 << 10,
	}, func(*flag.FlagSet) {}, func(*snap.Options) (func(int), error) {
		b := &BatchBuffer{}
		return func(i int) {
			if i%flushEvery == 0 {
				b.Flush()
			}
			for j := range bufsPerTick {
				b.Add(byte(i + j))
			}
		}, nil
	})
}

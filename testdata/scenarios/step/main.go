// Command step is a control scenario: at tick 10 the program loads ~8 MiB of
// reference data once and keeps it for the rest of its life; memory is flat
// before and flat after. A single step is not a leak: a leak analyzer must
// not report it (growth that stops is not a trend).
//
// Regenerate the fixture:
//
//	cd testdata/scenarios && go run ./step -out ../fixtures/step
package main

import (
	"flag"
	"time"

	"github.com/leakdiff/leakdiff/testdata/scenarios/internal/snap"
)

const (
	loadAtTick = 10
	tableRows  = 1024
	rowSize    = 8 << 10 // 1024 rows × 8 KiB = 8 MiB
)

// referenceData is loaded once and kept for good (a lookup table).
var referenceData [][]byte

// loadReferenceData allocates the table: the one-time step.
func loadReferenceData() [][]byte {
	t := make([][]byte, tableRows)
	for i := range t {
		t[i] = make([]byte, rowSize)
		for j := range t[i] {
			t[i][j] = byte(i ^ j)
		}
	}
	return t
}

// handleRequest is steady work: short-lived garbage only.
func handleRequest(n int) int {
	b := make([]byte, 4<<10)
	for i := range b {
		b[i] = byte(n)
	}
	sum := 0
	for _, c := range b {
		sum += int(c)
	}
	return sum
}

func main() {
	snap.Main(snap.Options{
		Source:      "loader",
		N:           24,
		Every:       750 * time.Millisecond,
		SimInterval: time.Minute,
		SimStart:    time.Date(2026, 11, 21, 22, 0, 0, 0, time.UTC),
		Formats:     "proto",
		GC:          true,
		// Sample about every 8 KiB so the 8 KiB rows are mostly seen and the
		// plateau after the step is steady.
		MemProfileRate: 8 << 10,
	}, func(*flag.FlagSet) {}, func(*snap.Options) (func(int), error) {
		return func(i int) {
			if i == loadAtTick {
				referenceData = loadReferenceData()
			}
			for n := range 500 {
				handleRequest(n)
			}
		}, nil
	})
}

// Regenerate:
//
//	testdata/scenarios/regen.sh walbacklog-badger walbacklog-badger-flushing
//
// Command walbacklog-badger is a device-state service on a real storage
// engine, github.com/dgraph-io/badger/v4, run in-process on a temporary
// folder: devices report their state, each report is one transaction that
// overwrites the device's latest state, and dashboards read states back.
//
// The service was started in bulk-import mode and never left it: its
// options turn compactions off (NumCompactors 0; badger documents that
// "setting this to zero stops compactions, which could eventually cause
// writes to block forever") and raise NumMemtables to 512 to absorb write
// bursts. Once level 0 holds NumLevelZeroTablesStall (15) tables, the
// flusher blocks in levelsController.addLevel0Table waiting for a
// compaction that never comes; every memtable that fills afterwards is
// pushed onto db.imm and flushChan (capacity NumMemtables) and stays there.
// Writers would only wait once flushChan is full, 512 memtables later, so
// nothing holds them back and the unflushed memtables pile up in memory.
// Each memtable's skiplist arena is allocated whole when the memtable is
// created (skl.newArena, make([]byte, MemTableSize×1.3)), on the Go heap;
// its memtable WAL (the .mem file) is mmapped, outside it.
//
// The import (enough to fill L0 to the stall) runs before the first
// snapshot; then live reports arrive at a steady rate, about one memtable's
// worth per tick, so in-use memory climbs by one arena per tick.
//
// -compactors 4 (the badger default; the walbacklog-badger-flushing
// control) lets compactions drain L0: flushes go on, flushed memtables are
// released, and since reports overwrite a fixed set of devices the stored
// data and memory stay bounded.
//
// Steady work beside the leak: dashboards look device states up (served
// from the memtables, L0 tables and a bounded block cache) and render them
// into short-lived buffers, and a bounded LRU of rendered device pages is
// full before the first snapshot and then only churns.
package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/leakdiff/leakdiff/testdata/scenarios/internal/snap"
)

const (
	devices        = 8000
	stateSize      = 512     // bytes of state per report
	memTableSize   = 1 << 20 // Options.MemTableSize (scaled down from 64 MiB)
	numMemtables   = 512     // Options.NumMemtables, raised from 5
	reportsPerTick = 1800    // about one memtable's worth
	importReports  = 40000   // before the first snapshot: fills L0 to the stall
	readsPerTick   = 600
	pageEntries    = 1024
	pageSize       = 4 << 10 // bytes per cached device page: 4 MiB of steady cache
)

// Service stores device states.
type Service struct {
	db    *badger.DB
	rng   *rand.Rand
	seq   uint64
	pages *lru.Cache[int, []byte]
}

func stateKey(dev int) []byte {
	return fmt.Appendf(nil, "dev/%05d/state", dev)
}

// report stores one device report: the device's latest state and its
// last-seen time, in one transaction.
func (s *Service) report(dev int) error {
	s.seq++
	state := make([]byte, stateSize)
	for i := 0; i < len(state); i += 8 {
		binary.LittleEndian.PutUint64(state[i:], s.rng.Uint64())
	}
	binary.LittleEndian.PutUint64(state, s.seq)
	var seen [8]byte
	binary.BigEndian.PutUint64(seen[:], s.seq)
	return s.db.Update(func(txn *badger.Txn) error {
		if err := txn.Set(stateKey(dev), state); err != nil {
			return err
		}
		return txn.Set(fmt.Appendf(nil, "dev/%05d/seen", dev), seen[:])
	})
}

// dashboard reads device states and renders pages into the bounded cache.
func (s *Service) dashboard(n, tick int) error {
	return s.db.View(func(txn *badger.Txn) error {
		for r := range n {
			dev := (tick*n + r*13) % devices
			item, err := txn.Get(stateKey(dev))
			if err == badger.ErrKeyNotFound {
				continue
			} else if err != nil {
				return err
			}
			page := make([]byte, 0, 8<<10) // the rendered response, garbage after the call
			if err := item.Value(func(v []byte) error {
				page = append(page, v[:64]...)
				return nil
			}); err != nil {
				return err
			}
			if _, ok := s.pages.Get(dev); !ok {
				s.pages.Add(dev, renderPage(dev, page))
			}
		}
		return nil
	})
}

// renderPage builds the device page the cache keeps.
func renderPage(dev int, page []byte) []byte {
	out := make([]byte, pageSize)
	copy(out, page)
	out[len(out)-1] = byte(dev)
	return out
}

func main() {
	var (
		compactors int
		db         *badger.DB
	)
	dir, err := os.MkdirTemp("", "walbacklog-badger-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer os.RemoveAll(dir)
	defer func() {
		if db == nil {
			return
		}
		fmt.Fprintf(os.Stderr, "walbacklog-badger: %d L0 tables at close\n", l0Tables(db))
		if err := db.Close(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}()
	snap.Main(snap.Options{
		Out: "out", Source: "devices", N: 30, Every: 600 * time.Millisecond,
		SimInterval: 5 * time.Minute, SimStart: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC),
		Formats: "proto", GC: true, MemProfileRate: 128 << 10,
	}, func(fs *flag.FlagSet) {
		fs.IntVar(&compactors, "compactors", 0, "Options.NumCompactors (0: compactions off, the import mode; 4: badger's default)")
	}, func(o *snap.Options) (func(int), error) {
		var err error
		db, err = badger.Open(badger.DefaultOptions(dir).
			WithNumCompactors(compactors).
			WithNumMemtables(numMemtables).
			WithMemTableSize(memTableSize).
			WithBaseTableSize(memTableSize).
			WithValueThreshold(64 << 10).
			WithCompression(options.None). // device states are encrypted: nothing to compress
			WithBlockCacheSize(8 << 20).
			WithIndexCacheSize(4 << 20).
			WithCompactL0OnClose(false).
			WithLoggingLevel(badger.WARNING))
		if err != nil {
			return nil, err
		}
		pages, err := lru.New[int, []byte](pageEntries)
		if err != nil {
			return nil, err
		}
		s := &Service{db: db, rng: rand.New(rand.NewPCG(11, 42)), pages: pages}
		// The bulk import, and a full page cache, before the first snapshot.
		for r := range importReports {
			if err := s.report(r % devices); err != nil {
				return nil, err
			}
		}
		if err := s.dashboard(pageEntries*2, 0); err != nil {
			return nil, err
		}
		return func(i int) {
			// Reads first: the first allocation after a snapshot is always
			// sampled (snap toggles MemProfileRate), and it should land on
			// short-lived garbage, not on a kept object.
			if err := s.dashboard(readsPerTick, i); err != nil {
				panic(err)
			}
			for r := range reportsPerTick {
				if err := s.report((i*reportsPerTick + r*7) % devices); err != nil {
					panic(err)
				}
			}
		}, nil
	})
}

// l0Tables counts the level-0 tables.
func l0Tables(db *badger.DB) int {
	n := 0
	for _, t := range db.Tables() {
		if t.Level == 0 {
			n++
		}
	}
	return n
}

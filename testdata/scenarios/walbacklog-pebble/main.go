// Regenerate:
//
//	testdata/scenarios/regen.sh walbacklog-pebble walbacklog-pebble-flushing
//
// Command walbacklog-pebble is an event-ingest service on a real storage
// engine, github.com/cockroachdb/pebble (v1), run in-process on a temporary
// folder. Clients upload events in chunks; each upload is committed as one
// pebble batch of about 2.3 MiB. That is more than half of a memtable
// (pebble's default MemTableSize, 4 MiB), so pebble does not copy the batch
// into the memtable: it queues the batch itself on the memtable queue as a
// "flushable batch", beside the rotated memtable, until a flush writes both
// to an L0 sstable (DB.Apply → newFlushableBatch; DB.makeRoomForWrite).
//
// The WAL lives on a fast local disk (Options.WALDir), the sstables on a
// network volume whose throughput has dropped to a few MiB/s (a vfs.FS that
// paces writes to *.sst files: -disk-mibps). Flushes therefore cannot keep
// up with the uploads. Pebble would normally stall writers ("memtable count
// limit reached") once the queue holds MemTableStopWritesThreshold × 4 MiB,
// but the operator raised that threshold to 1000 to get rid of the stalls:
// there is no backpressure, writers never wait, and the queue of unflushed
// batches grows tick after tick. Each queued batch keeps its buffer, grown
// by doubling in (*Batch).grow via internal/rawalloc.New (4 MiB for the
// 2.3 MiB of records), plus the sorted entry offsets newFlushableBatch
// allocates. (Memtables proper are not in the Go heap: with cgo pebble
// allocates their arenas with C calloc, internal/manual, so a backlog of
// ordinary small writes would not show in a heap profile at all.)
//
// -disk-mibps 0 removes the pacing (the walbacklog-pebble-flushing
// control): flushes keep up, every queued batch is flushed and freed within
// the tick, and memory stays bounded.
//
// Steady work beside the leak: each upload also updates a tenant's counters
// and range-deletes the events older than four uploads (retention, so the
// stored data stays bounded) with a small batch that lands in the memtable
// (C memory); dashboards read recent events back with point lookups and
// render them into short-lived buffers; and a bounded LRU of rendered tenant
// summaries is full before the first snapshot and then only churns.
package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/cockroachdb/pebble"
	"github.com/cockroachdb/pebble/vfs"
	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/leakdiff/leakdiff/testdata/scenarios/internal/snap"
)

const (
	eventsPerUpload  = 1100    // records per upload batch
	eventSize        = 2 << 10 // bytes of payload per event: 2.2 MiB per upload
	uploadsPerTick   = 1
	retainUploads    = 4   // events are kept for this many uploads, then range-deleted
	readsPerTick     = 400 // dashboard point lookups
	tenants          = 64
	summaryEntries   = 1024
	summarySize      = 4 << 10 // bytes per cached summary: 4 MiB of steady cache
	stopWritesFactor = 1000    // Options.MemTableStopWritesThreshold, raised from 2
)

// slowFS is the data volume: writes to sstables are paced to bw bytes per
// second, as on a network disk out of burst credits. Everything else (the
// WAL on WALDir, the MANIFEST, OPTIONS) goes at local-disk speed.
type slowFS struct {
	vfs.FS
	mu sync.Mutex
	bw float64   // bytes per second; 0: unpaced
	at time.Time // when the volume is next idle
}

func (fs *slowFS) Create(name string) (vfs.File, error) {
	f, err := fs.FS.Create(name)
	if err != nil || !strings.HasSuffix(name, ".sst") {
		return f, err
	}
	return &slowFile{File: f, fs: fs}, nil
}

// wait blocks for the time the volume needs to take n more bytes.
func (fs *slowFS) wait(n int) {
	fs.mu.Lock()
	if fs.bw <= 0 {
		fs.mu.Unlock()
		return
	}
	now := time.Now()
	if fs.at.Before(now) {
		fs.at = now
	}
	fs.at = fs.at.Add(time.Duration(float64(n) / fs.bw * float64(time.Second)))
	until := fs.at
	fs.mu.Unlock()
	time.Sleep(time.Until(until))
}

type slowFile struct {
	vfs.File
	fs *slowFS
}

func (f *slowFile) Write(p []byte) (int, error) {
	f.fs.wait(len(p))
	return f.File.Write(p)
}

func (f *slowFile) WriteAt(p []byte, off int64) (int, error) {
	f.fs.wait(len(p))
	return f.File.WriteAt(p, off)
}

// Ingester is the service.
type Ingester struct {
	db        *pebble.DB
	rng       *rand.Rand
	seq       uint64 // events stored so far
	summaries *lru.Cache[int, []byte]
}

// eventKey is time-ordered: uploads append to the key space, so L0 files
// do not overlap and L0 never stalls writers.
func eventKey(seq uint64) []byte {
	k := make([]byte, 0, 16)
	k = append(k, "ev/"...)
	return binary.BigEndian.AppendUint64(k, seq)
}

// upload stores one client chunk as one batch, then bumps the tenant's
// counters and applies the retention (a range deletion of the oldest
// events) with a small batch.
func (in *Ingester) upload(tenant int) error {
	b := in.db.NewBatch()
	payload := make([]byte, eventSize)
	for range eventsPerUpload {
		in.seq++
		for i := 0; i < len(payload); i += 8 {
			binary.LittleEndian.PutUint64(payload[i:], in.rng.Uint64())
		}
		if err := b.Set(eventKey(in.seq), payload, nil); err != nil {
			return err
		}
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return err
	}
	b.Close()
	meta := in.db.NewBatch()
	var v [16]byte
	binary.LittleEndian.PutUint64(v[:], in.seq)
	binary.LittleEndian.PutUint64(v[8:], uint64(time.Now().UnixNano()))
	if err := meta.Set([]byte(fmt.Sprintf("tenant/%03d/last", tenant)), v[:], nil); err != nil {
		return err
	}
	if keep := uint64(retainUploads * eventsPerUpload); in.seq > keep {
		if err := meta.DeleteRange(eventKey(0), eventKey(in.seq-keep), nil); err != nil {
			return err
		}
	}
	if err := meta.Commit(pebble.NoSync); err != nil {
		return err
	}
	return meta.Close()
}

// dashboard reads recent events and renders a tenant summary into the
// bounded cache.
func (in *Ingester) dashboard(n, tick int) error {
	for r := range n {
		seq := in.seq - uint64(r*7%eventsPerUpload)
		val, closer, err := in.db.Get(eventKey(seq))
		if err == pebble.ErrNotFound {
			continue
		} else if err != nil {
			return err
		}
		page := make([]byte, 0, 8<<10) // the rendered response, garbage after the call
		page = append(page, val[:64]...)
		closer.Close()
		t := (tick*n + r) % (summaryEntries * 2)
		if _, ok := in.summaries.Get(t); !ok {
			in.summaries.Add(t, renderSummary(t, page))
		}
	}
	return nil
}

// renderSummary builds the summary the cache keeps.
func renderSummary(t int, page []byte) []byte {
	out := make([]byte, summarySize)
	copy(out, page)
	out[len(out)-1] = byte(t)
	return out
}

func main() {
	var (
		mibps float64
		db    *pebble.DB
		data  *slowFS
	)
	dir, err := os.MkdirTemp("", "walbacklog-pebble-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer os.RemoveAll(dir)
	defer func() {
		if db == nil {
			return
		}
		// Close waits for the flush in progress: let the volume recover
		// first. Queued memtables stay in the WAL, as on any close.
		m := db.Metrics()
		fmt.Fprintf(os.Stderr, "walbacklog-pebble: %d flushes, %d memtables and flushable batches (%d MiB) queued, %d L0 files\n",
			m.Flush.Count, m.MemTable.Count, m.MemTable.Size>>20, m.Levels[0].NumFiles)
		data.mu.Lock()
		data.bw = 0
		data.mu.Unlock()
		if err := db.Close(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}()
	snap.Main(snap.Options{
		Out: "out", Source: "ingest", N: 30, Every: 600 * time.Millisecond,
		SimInterval: 5 * time.Minute, SimStart: time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC),
		Formats: "proto", GC: true, MemProfileRate: 32 << 10,
	}, func(fs *flag.FlagSet) {
		fs.Float64Var(&mibps, "disk-mibps", 3, "throughput of the sstable volume in MiB/s (0: unpaced, flushes keep up)")
	}, func(o *snap.Options) (func(int), error) {
		data = &slowFS{FS: vfs.Default, bw: mibps * (1 << 20)}
		var err error
		db, err = pebble.Open(filepath.Join(dir, "data"), &pebble.Options{
			FS:                          data,
			WALDir:                      filepath.Join(dir, "wal"),
			MemTableStopWritesThreshold: stopWritesFactor,
			Logger:                      quietLogger{},
		})
		if err != nil {
			return nil, err
		}
		summaries, err := lru.New[int, []byte](summaryEntries)
		if err != nil {
			return nil, err
		}
		in := &Ingester{db: db, rng: rand.New(rand.NewPCG(7, 42)), summaries: summaries}
		// Some history, and a full summary cache, before the first snapshot.
		if err := in.upload(0); err != nil {
			return nil, err
		}
		for t := range summaryEntries {
			in.summaries.Add(t, renderSummary(t, nil))
		}
		return func(i int) {
			// Reads first: the first allocation after a snapshot is always
			// sampled (snap toggles MemProfileRate), and it should land on
			// short-lived garbage, not on a kept object.
			if err := in.dashboard(readsPerTick, i); err != nil {
				panic(err)
			}
			for u := range uploadsPerTick {
				if err := in.upload((i*uploadsPerTick + u) % tenants); err != nil {
					panic(err)
				}
			}
		}, nil
	})
}

// quietLogger drops pebble's informational log lines.
type quietLogger struct{}

func (quietLogger) Infof(string, ...interface{}) {}
func (quietLogger) Errorf(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "pebble: "+format+"\n", args...)
}
func (quietLogger) Fatalf(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "pebble: "+format+"\n", args...)
	os.Exit(1)
}

// Regenerate:
//
//	cd testdata/scenarios && go run ./walbacklog -out ../fixtures/walbacklog
//
// Command walbacklog reproduces SlateDB incident 4: four concurrent writers
// append records to an in-memory write-ahead log and memtable faster than a
// slow flusher persists them. Writes are not durable (writers never wait for
// the flush) and there is no backpressure, so frozen WAL segments queue up and
// the heap grows tick after tick. (*WAL).Append owns the segment bytes;
// (*Memtable).Put only indexes them.
package main

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/leakdiff/leakdiff/testdata/scenarios/internal/snap"
)

const (
	writers         = 4
	recordsPerTick  = 1000    // per writer per tick
	segmentSize     = 1 << 20 // a WAL segment is frozen at this size
	flushPerSegment = time.Second
)

// Memtable indexes the records of one WAL segment by key.
type Memtable struct {
	index map[string]uint32 // key → offset in the segment
}

// Put records where key's latest value lives in the segment.
func (m *Memtable) Put(key string, off uint32) {
	m.index[key] = off
}

// segment is a frozen WAL segment waiting for the flusher, with its memtable.
type segment struct {
	data []byte
	mem  *Memtable
}

// WAL is the write-ahead log: the active segment and the frozen ones not yet
// persisted. Nothing bounds len(frozen).
type WAL struct {
	mu     sync.Mutex
	active []byte
	mem    *Memtable
	frozen []*segment
	ready  chan struct{}
}

// Append writes one record (length-prefixed key and value) to the active
// segment and indexes it; when the segment is full it is frozen and a new one
// started. The writer returns at once: durable is false, nobody waits for
// the flusher, so the backlog of frozen segments is unbounded.
func (w *WAL) Append(key string, value []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.active)+len(key)+len(value)+8 > segmentSize {
		w.frozen = append(w.frozen, &segment{data: w.active, mem: w.mem})
		w.active = make([]byte, 0, segmentSize)
		w.mem = &Memtable{index: map[string]uint32{}}
		select {
		case w.ready <- struct{}{}:
		default:
		}
	}
	off := uint32(len(w.active))
	w.active = binary.AppendUvarint(w.active, uint64(len(key)))
	w.active = append(w.active, key...)
	w.active = binary.AppendUvarint(w.active, uint64(len(value)))
	w.active = append(w.active, value...)
	w.mem.Put(key, off)
}

// flushLoop persists frozen segments one at a time, slowly (an object store
// upload), and only then releases them.
func (w *WAL) flushLoop() {
	for range w.ready {
		for {
			w.mu.Lock()
			if len(w.frozen) == 0 {
				w.mu.Unlock()
				break
			}
			seg := w.frozen[0]
			w.mu.Unlock()
			uploadSegment(seg)
			w.mu.Lock()
			w.frozen[0] = nil
			w.frozen = w.frozen[1:]
			w.mu.Unlock()
		}
	}
}

// uploadSegment stands for the slow write of an SST to object storage.
func uploadSegment(seg *segment) {
	io.Copy(io.Discard, &sliceReader{seg.data})
	time.Sleep(flushPerSegment)
}

type sliceReader struct{ b []byte }

func (r *sliceReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

// writeBatch is one writer's share of a tick: random keys, 300–700 byte
// values (the value buffers themselves are garbage once copied into the WAL).
func writeBatch(w *WAL, writer, tick int, rng *rand.Rand) {
	for n := range recordsPerTick {
		key := fmt.Sprintf("w%d/t%04d/k%06d", writer, tick, n)
		value := make([]byte, 300+rng.IntN(400))
		w.Append(key, value)
	}
}

func main() {
	snap.Main(snap.Options{
		Out: "out", Source: "db", N: 20, Every: time.Second,
		Formats: "proto", GC: true,
	}, nil, func(o *snap.Options) (func(int), error) {
		w := &WAL{active: make([]byte, 0, segmentSize), mem: &Memtable{index: map[string]uint32{}}, ready: make(chan struct{}, 1)}
		go w.flushLoop()
		rngs := make([]*rand.Rand, writers)
		for k := range rngs {
			rngs[k] = rand.New(rand.NewPCG(uint64(k), 42))
		}
		return func(i int) {
			var wg sync.WaitGroup
			for k := range writers {
				wg.Go(func() { writeBatch(w, k, i, rngs[k]) })
			}
			wg.Wait()
		}, nil
	})
}

// Command flatpool is a control scenario: a fixed pool of 16 workers
// processes jobs. Each job makes random-size temporary buffers, and a
// bounded ring keeps the most recent results for a while, so heap memory is
// noisy but flat; the goroutine count never changes. No GC is forced
// before the heap snapshots, so the profiles carry the noise of whatever the
// last collection saw. A leak analyzer must not report it.
//
// Regenerate the fixture:
//
//	cd testdata/scenarios && go run ./flatpool -out ../fixtures/flatpool
package main

import (
	"flag"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/leakdiff/leakdiff/testdata/scenarios/internal/snap"
)

const (
	poolWorkers = 16
	ringSize    = 256 // recent results kept: the bound on retained memory
	jobsPerTick = 2000
)

// Job is one unit of work.
type Job struct {
	ID   int
	Size int
}

// ResultRing keeps the last ringSize results; older ones are overwritten.
type ResultRing struct {
	mu   sync.Mutex
	buf  [ringSize][]byte
	next int
}

// Keep stores a copy of a result, overwriting the oldest one.
func (r *ResultRing) Keep(res []byte) {
	c := make([]byte, len(res))
	copy(c, res)
	r.mu.Lock()
	r.buf[r.next%ringSize] = c
	r.next++
	r.mu.Unlock()
}

// Pool is a fixed set of workers fed through a channel.
type Pool struct {
	jobs chan Job
	wg   sync.WaitGroup
	ring ResultRing
}

// NewPool starts the workers; they live as long as the process.
func NewPool(n int) *Pool {
	p := &Pool{jobs: make(chan Job)}
	for range n {
		go p.worker()
	}
	return p
}

// worker is the pool's goroutine: always poolWorkers of them.
func (p *Pool) worker() {
	for j := range p.jobs {
		p.process(j)
		p.wg.Done()
	}
}

// process does a job with a temporary buffer of random size (garbage at
// once), keeping one result in eight in the ring.
func (p *Pool) process(j Job) {
	scratch := make([]byte, j.Size)
	for i := range scratch {
		scratch[i] = byte(j.ID + i)
	}
	if j.ID%8 == 0 {
		p.ring.Keep(scratch[:j.Size/2])
	}
}

// Submit runs n jobs and waits for them, so every snapshot finds the
// workers idle (all blocked in the channel receive).
func (p *Pool) Submit(rng *rand.Rand, first, n int) {
	p.wg.Add(n)
	for i := range n {
		p.jobs <- Job{ID: first + i, Size: 1<<10 + rng.IntN(64<<10)}
	}
	p.wg.Wait()
}

func main() {
	snap.Main(snap.Options{
		Source:      "workers",
		N:           30,
		Every:       time.Second,
		SimInterval: 30 * time.Second,
		SimStart:    time.Date(2026, 11, 21, 22, 0, 0, 0, time.UTC),
		Formats:     "proto,debug2",
		GC:          false,
	}, func(*flag.FlagSet) {}, func(*snap.Options) (func(int), error) {
		p := NewPool(poolWorkers)
		rng := rand.New(rand.NewPCG(1, 2))
		return func(i int) {
			// A random load per tick: more jobs, more garbage, more noise.
			n := jobsPerTick/2 + rng.IntN(jobsPerTick)
			p.Submit(rng, i*10*jobsPerTick, n)
		}, nil
	})
}

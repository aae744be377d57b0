// Package churn is the control group: it allocates and runs goroutines every
// tick, but nothing it does grows over time. A leak analyzer must not report
// anything from this package (except, at most, the plateau while Bounded
// fills during the first snapshots).
package churn

// scratchSize is a variable, not a constant, so that make() below really
// allocates on the heap: a constant-size buffer that does not escape would be
// put on the stack by the compiler and never show up in a heap profile.
var scratchSize = 16 << 10

// Process allocates temporary buffers and drops them. After a GC their
// inuse_space is zero; only alloc_space grows.
func Process(rounds int) int {
	sum := 0
	for i := range rounds {
		tmp := make([]byte, scratchSize)
		tmp[i%len(tmp)] = byte(i)
		sum += int(tmp[i%len(tmp)])
	}
	return sum
}

// Pool is a fixed set of goroutines (churn.poolWorker) waiting on a channel:
// the goroutine count is the same in every snapshot.
type Pool struct {
	jobs chan int
}

// StartPool starts n poolWorker goroutines.
func StartPool(n int) *Pool {
	p := &Pool{jobs: make(chan int)}
	for range n {
		go p.poolWorker()
	}
	return p
}

// Submit hands a job to one of the workers (blocks until one takes it).
func (p *Pool) Submit(job int) { p.jobs <- job }

func (p *Pool) poolWorker() {
	for job := range p.jobs {
		_ = Process(job % 4) // short-lived garbage only
	}
}

// Bounded is an LRU-ish (FIFO-evicting) cache with a fixed capacity: its
// inuse_space rises while it fills, then stays flat (a plateau, not a leak).
type Bounded struct {
	max   int
	m     map[int][]byte
	order []int // insertion order; order[0] is evicted first
}

// NewBounded returns a cache holding at most max entries.
func NewBounded(max int) *Bounded {
	return &Bounded{max: max, m: make(map[int][]byte, max)}
}

// Put stores a fresh 4 KiB value under key, evicting the oldest entry when
// the cache is full.
func (b *Bounded) Put(key int) {
	if len(b.m) >= b.max {
		oldest := b.order[0]
		b.order = append(b.order[:0], b.order[1:]...) // reuse the backing array
		delete(b.m, oldest)
	}
	b.m[key] = make([]byte, 4<<10)
	b.order = append(b.order, key)
}

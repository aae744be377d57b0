// Regenerate:
//
//	testdata/scenarios/regen.sh walbacklog-tidwall walbacklog-tidwall-truncated
//
// Command walbacklog-tidwall is a change-feed relay: every request appends
// an event to a write-ahead log from a real library, github.com/tidwall/wal
// (the log of tidwall's Raft and Uhaha), on a temporary folder, and
// subscribers (replicas in other regions) read the events back by index and
// acknowledge them. A checkpointer truncates the front of the log up to the
// lowest acknowledged index (Log.TruncateFront), the log's only way to
// shrink.
//
// What tidwall/wal keeps in memory: the tail segment's whole content (its
// ebuf, appended to by every Write, and epos, 16 bytes per entry), and the
// content of up to SegmentCacheSize older segments in its LRU cache: cycle()
// pushes every finished segment into the cache with its ebuf and epos, and
// Read loads evicted ones back from disk into it. Only eviction or
// TruncateFront (which clears the whole cache) drop them. Plus a *segment and
// its path for every segment file, for as long as the file exists.
//
// The relay opens the log with SegmentCacheSize 4096 so that subscribers
// catching up read from memory ("a day of segments"), counting on the
// checkpoint to keep the log short. BUG (the leak): a replica that was
// decommissioned is still registered as a subscriber; it never acknowledges
// anything, the lowest acknowledged index stays at 0 and TruncateFront is
// never called. Every segment the relay ever wrote stays in the cache: one
// more 1 MiB segment per tick, allocated where wal's appendBinaryEntry grows
// the tail segment's buffer.
//
// -truncate ignores subscribers that stopped acknowledging (the
// walbacklog-tidwall-truncated control): the checkpoint truncates the front
// every tick, which clears the cache, and memory stays at the tail segment
// plus the segment subscribers are reading.
//
// Steady work beside the leak: live subscribers read every new event (a
// copy per Read, garbage once replicated), and an idempotency cache of
// recent request IDs and their responses is bounded and full before the
// first snapshot.
package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/tidwall/wal"

	"github.com/leakdiff/leakdiff/testdata/scenarios/internal/snap"
)

const (
	segmentSize      = 1 << 20 // wal.Options.SegmentSize (the default is 20 MB)
	segmentCacheSize = 4096    // wal.Options.SegmentCacheSize (the default is 2)
	eventsPerTick    = 2000    // about one segment per tick
	eventSize        = 512
	idemEntries      = 2048
	responseSize     = 2 << 10 // bytes per cached response: 4 MiB of steady cache
)

// Subscriber is a replica reading the feed.
type Subscriber struct {
	Name  string
	Acked uint64 // highest index replicated
	Live  bool   // false: decommissioned, never reads again
}

// Relay is the service.
type Relay struct {
	log      *wal.Log
	last     uint64
	subs     []*Subscriber
	truncate bool // checkpoint ignores subscribers that are not live (the fix)
	rng      *rand.Rand
	idem     *lru.Cache[string, []byte]
}

// publish appends one event (a request) and remembers its response.
func (r *Relay) publish(req int) error {
	ev := make([]byte, eventSize)
	for i := 0; i < len(ev); i += 8 {
		binary.LittleEndian.PutUint64(ev[i:], r.rng.Uint64())
	}
	r.last++
	binary.BigEndian.PutUint64(ev, r.last)
	if err := r.log.Write(r.last, ev); err != nil {
		return err
	}
	id := fmt.Sprintf("req-%09d", req)
	r.idem.Add(id, renderResponse(id, ev))
	return nil
}

// renderResponse builds the response the idempotency cache keeps.
func renderResponse(id string, ev []byte) []byte {
	out := make([]byte, responseSize)
	copy(out, id)
	copy(out[64:], ev[:64])
	return out
}

// replicate lets every live subscriber read what it has not acknowledged.
func (r *Relay) replicate() (int, error) {
	n := 0
	for _, s := range r.subs {
		if !s.Live {
			continue
		}
		for i := max(s.Acked+1, 1); i <= r.last; i++ {
			data, err := r.log.Read(i) // a copy, garbage once sent
			if err != nil {
				return n, fmt.Errorf("%s: read %d: %w", s.Name, i, err)
			}
			n += len(data)
			s.Acked = i
		}
	}
	return n, nil
}

// checkpoint truncates the log up to the lowest acknowledged index. BUG:
// without -truncate a subscriber that left pins it at 0.
func (r *Relay) checkpoint() error {
	low := r.last
	for _, s := range r.subs {
		if r.truncate && !s.Live {
			continue
		}
		low = min(low, s.Acked)
	}
	first, err := r.log.FirstIndex()
	if err != nil {
		return err
	}
	if low <= first {
		return nil
	}
	return r.log.TruncateFront(low)
}

func main() {
	var (
		truncate bool
		log      *wal.Log
	)
	dir, err := os.MkdirTemp("", "walbacklog-tidwall-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer os.RemoveAll(dir)
	defer func() {
		if log == nil {
			return
		}
		first, _ := log.FirstIndex()
		last, _ := log.LastIndex()
		files, _ := filepath.Glob(filepath.Join(dir, "feed", "*"))
		fmt.Fprintf(os.Stderr, "walbacklog-tidwall: entries %d..%d in %d segment files at close\n", first, last, len(files))
		log.Close()
	}()
	snap.Main(snap.Options{
		Out: "out", Source: "relay", N: 30, Every: 600 * time.Millisecond,
		SimInterval: 5 * time.Minute, SimStart: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC),
		Formats: "proto", GC: true, MemProfileRate: 64 << 10,
	}, func(fs *flag.FlagSet) {
		fs.BoolVar(&truncate, "truncate", false, "checkpoint ignores subscribers that stopped acknowledging (the fix)")
	}, func(o *snap.Options) (func(int), error) {
		var err error
		log, err = wal.Open(filepath.Join(dir, "feed"), &wal.Options{
			NoSync:           true, // the relay syncs once per batch of requests
			SegmentSize:      segmentSize,
			SegmentCacheSize: segmentCacheSize,
		})
		if err != nil {
			return nil, err
		}
		idem, err := lru.New[string, []byte](idemEntries)
		if err != nil {
			return nil, err
		}
		r := &Relay{
			log:      log,
			truncate: truncate,
			rng:      rand.New(rand.NewPCG(5, 42)),
			idem:     idem,
			subs: []*Subscriber{
				{Name: "replica-us-east", Live: true},
				{Name: "replica-eu-west", Live: true},
				{Name: "replica-ap-south", Live: false}, // decommissioned, still registered
			},
		}
		req := 0
		// Traffic before the first snapshot fills the idempotency cache.
		for range idemEntries * 2 {
			req++
			if err := r.publish(req); err != nil {
				return nil, err
			}
		}
		if err := log.Sync(); err != nil {
			return nil, err
		}
		return func(i int) {
			// Replication first: the first allocation after a snapshot
			// is always sampled (snap toggles MemProfileRate), and it
			// should land on short-lived garbage, not on a kept object.
			if _, err := r.replicate(); err != nil {
				panic(err)
			}
			if err := r.checkpoint(); err != nil {
				panic(err)
			}
			for range eventsPerTick {
				req++
				if err := r.publish(req); err != nil {
					panic(err)
				}
			}
			if err := log.Sync(); err != nil {
				panic(err)
			}
		}, nil
	})
}

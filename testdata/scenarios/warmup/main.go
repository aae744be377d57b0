// Command warmup is a control scenario: a bounded LRU cache filled by
// requests. The heap grows while the cache warms up (the first third of the
// series), then stays flat because every new entry evicts an old one. A leak
// analyzer must not report it.
//
// Regenerate the fixture:
//
//	cd testdata/scenarios && go run ./warmup -out ../fixtures/warmup
package main

import (
	"flag"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/leakdiff/leakdiff/testdata/scenarios/internal/snap"
)

const (
	cacheEntries   = 1024    // the cache's bound
	recordSize     = 8 << 10 // bytes per cached record: 8 MiB when full
	newKeysPerTick = 75      // misses per tick: full after ~14 of 40 ticks
	hitsPerTick    = 200     // requests for recently seen keys
)

// Record is what the cache holds: a decoded row fetched from a backend.
type Record struct {
	ID   int
	Data []byte
}

// RecordCache serves records, fetching them on a miss.
type RecordCache struct {
	lru  *lru.Cache[int, *Record]
	next int // the next never-seen key
}

// fetchRecord stands for a backend read; its allocation is the cache's
// memory, so it is the site an analyzer sees.
func fetchRecord(id int) *Record {
	r := &Record{ID: id, Data: make([]byte, recordSize)}
	for i := range r.Data {
		r.Data[i] = byte(id + i)
	}
	return r
}

// Get returns the record for id, fetching and caching it on a miss (the
// LRU evicts the least recently used record once full).
func (c *RecordCache) Get(id int) *Record {
	if r, ok := c.lru.Get(id); ok {
		return r
	}
	r := fetchRecord(id)
	c.lru.Add(id, r)
	return r
}

// serveRequests handles one tick's traffic: new keys (misses) and repeats
// of recent keys (hits).
func (c *RecordCache) serveRequests() {
	for range newKeysPerTick {
		c.Get(c.next)
		c.next++
	}
	for i := range hitsPerTick {
		if c.next > 0 {
			c.Get(c.next - 1 - i%min(c.next, cacheEntries/2))
		}
	}
}

func main() {
	snap.Main(snap.Options{
		Source:      "cache",
		N:           40,
		Every:       750 * time.Millisecond,
		SimInterval: time.Minute,
		SimStart:    time.Date(2026, 11, 21, 22, 0, 0, 0, time.UTC),
		Formats:     "proto",
		GC:          true,
		// Sample about every 4 KiB so the 8 KiB records are nearly all
		// seen: the plateau is flat, not quantised by sampling.
		MemProfileRate: 4096,
	}, func(*flag.FlagSet) {}, func(*snap.Options) (func(int), error) {
		l, err := lru.New[int, *Record](cacheEntries)
		if err != nil {
			return nil, err
		}
		c := &RecordCache{lru: l}
		return func(int) { c.serveRequests() }, nil
	})
}

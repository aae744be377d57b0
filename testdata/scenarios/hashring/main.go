// Regenerate:
//
//	cd testdata/scenarios && go run ./hashring -out ../fixtures/hashring
//
// Command hashring reproduces zfoo incident 3: a consistent-hash load balancer
// under instance churn. Every tick some service instances join and as many
// leave; (*Ring).Add hashes each instance's virtual nodes into the ring, and
// (*Ring).Remove forgets the instance but never deletes its virtual-node keys,
// so the ring (its sorted hash slice and its hash→instance map) grows without
// bound and keeps every departed instance alive.
//
// The leak is a small share of a busy heap: the balancer also serves requests
// through a response cache (a bounded LRU that is full from the start and only
// churns) and allocates short-lived request buffers, far more bytes per tick
// than the ring leaks.
package main

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/cespare/xxhash/v2"
	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/leakdiff/leakdiff/testdata/scenarios/internal/snap"
)

const (
	virtualNodes    = 200 // virtual nodes per instance
	churnPerTick    = 20  // instances that join (and leave) per tick
	requestsPerTick = 4000
	cacheEntries    = 6000
	responseSize    = 4 << 10 // bytes per cached response: ~24 MiB of steady cache
)

// Instance is one provider of the service.
type Instance struct {
	Name     string
	Addr     string
	Metadata []byte // labels, certificates, health history
}

// Ring is a consistent-hash ring: sorted virtual-node hashes and the instance
// owning each.
type Ring struct {
	hashes  []uint64
	owner   map[uint64]*Instance
	members map[string]*Instance
}

func NewRing() *Ring {
	return &Ring{owner: map[uint64]*Instance{}, members: map[string]*Instance{}}
}

// Add puts an instance and its virtual nodes on the ring.
func (r *Ring) Add(inst *Instance) {
	r.members[inst.Name] = inst
	for v := range virtualNodes {
		h := xxhash.Sum64String(inst.Name + "#" + strconv.Itoa(v))
		r.owner[h] = inst
		r.hashes = append(r.hashes, h)
	}
	slices.Sort(r.hashes)
}

// Remove takes an instance out of the member list. BUG (the leak): it never
// deletes the instance's virtual-node keys from r.owner and r.hashes, so they
// pile up with every instance that ever joined.
func (r *Ring) Remove(name string) {
	delete(r.members, name)
}

// Pick returns the instance for a key: the first virtual node at or after its
// hash that belongs to a live member (departed instances are skipped, which
// only hides the leak).
func (r *Ring) Pick(key string) *Instance {
	h := xxhash.Sum64String(key)
	i, _ := slices.BinarySearch(r.hashes, h)
	for n := range len(r.hashes) {
		inst := r.owner[r.hashes[(i+n)%len(r.hashes)]]
		if _, ok := r.members[inst.Name]; ok {
			return inst
		}
	}
	return nil
}

// Balancer routes requests to instances and caches responses.
type Balancer struct {
	ring  *Ring
	cache *lru.Cache[string, []byte]
	live  []string
	next  int
}

// serve handles one request: a short-lived request buffer, and a response
// stored in the bounded cache (which evicts as much as it stores).
func (b *Balancer) serve(req int) {
	key := "user-" + strconv.Itoa(req)
	buf := make([]byte, 2<<10) // request body, garbage after the call
	inst := b.ring.Pick(key)
	if inst == nil {
		return
	}
	buf[0] = inst.Name[0]
	b.cache.Add(key, renderResponse(inst, buf))
}

// renderResponse builds the response body that the cache keeps.
func renderResponse(inst *Instance, req []byte) []byte {
	out := make([]byte, responseSize)
	copy(out, inst.Addr)
	out[len(out)-1] = req[0]
	return out
}

// joinInstance starts a new instance (a new pod name each time).
func (b *Balancer) joinInstance() {
	b.next++
	name := fmt.Sprintf("provider-%06d", b.next)
	b.ring.Add(&Instance{Name: name, Addr: fmt.Sprintf("10.0.%d.%d:9000", b.next/250, b.next%250), Metadata: make([]byte, 1<<10)})
	b.live = append(b.live, name)
}

// leaveInstance stops the oldest instance.
func (b *Balancer) leaveInstance() {
	b.ring.Remove(b.live[0])
	b.live = b.live[1:]
}

func main() {
	snap.Main(snap.Options{
		Out: "out", Source: "balancer", N: 40, Every: 500 * time.Millisecond,
		SimInterval: 5 * time.Minute, SimStart: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC),
		Formats: "proto", ViaHTTP: true, MemProfileRate: 128 << 10,
	}, nil, func(o *snap.Options) (func(int), error) {
		cache, err := lru.New[string, []byte](cacheEntries)
		if err != nil {
			return nil, err
		}
		b := &Balancer{ring: NewRing(), cache: cache}
		for range 20 {
			b.joinInstance()
		}
		// Warm the cache before the first snapshot: it is full and flat
		// from then on.
		req := 0
		for range cacheEntries * 2 {
			req++
			b.serve(req)
		}
		return func(i int) {
			for range churnPerTick {
				b.joinInstance()
				b.leaveInstance()
			}
			for range requestsPerTick {
				req++
				b.serve(req)
			}
		}, nil
	})
}

// Regenerate:
//
//	testdata/scenarios/regen.sh hashring-consistent hashring-consistent-fixed hashring-groupcache
//	testdata/scenarios/regen.sh hashring-serialx hashring-serialx-fixed
//
// Command hashring-consistent is a tenant router: it spreads tenant keys over
// the pods of a backend service with a consistent-hash ring from a real
// library, github.com/buraksezer/consistent (bounded-load consistent hashing,
// as in Olric; -ring groupcache uses github.com/golang/groupcache's
// consistenthash instead, -ring serialx github.com/serialx/hashring, the
// libketama port whose HashRing is immutable: AddWeightedNode and RemoveNode
// return a new ring, rebuilt from all its nodes). The service is under
// steady pod churn: every tick a rollout starts new pods (new names each
// time) and as many old pods go away. The discovery handler adds every new
// pod to the ring, but when a pod leaves it only drops it from the router's
// endpoint table and never calls (*Consistent).Remove (and groupcache's Map
// has no Remove at all; with serialx the router keeps the ring
// AddWeightedNode returns but never asks for the one RemoveNode would), so
// the ring keeps every pod that ever existed: its virtual-node map and sorted
// hash slice grow with the total number of pods seen. A Go map or slice that
// only grows is reallocated at double (map) or 1.25× (slice) its size, so the
// ring's in-use bytes climb as a staircase: big steps when the map's tables
// split, flat in between.
//
// With serialx every join rebuilds the whole ring (map and sorted keys of
// every pod ever seen) and the previous ring becomes garbage, so in-use bytes
// follow the live ring: they grow with the pods seen, in steps where the
// rebuilt map's table count and the sorted slice's capacity cross a size.
//
// -remove calls Remove when a pod leaves: the ring stays at the live pods
// (the hashring-consistent-fixed and hashring-serialx-fixed controls).
//
// Around the leak the router does steady work: it serves requests through a
// bounded response cache (full before the first snapshot, then it only
// churns) and allocates short-lived request buffers.
package main

import (
	"flag"
	"fmt"
	"strconv"
	"time"

	"github.com/buraksezer/consistent"
	"github.com/cespare/xxhash/v2"
	"github.com/golang/groupcache/consistenthash"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/serialx/hashring"

	"github.com/leakdiff/leakdiff/testdata/scenarios/internal/snap"
)

const (
	livePods        = 30   // pods of the backend running at any time
	rolloutPerTick  = 30   // pods replaced per tick (new names join, as many old ones leave)
	partitionCount  = 1201 // consistent.Config.PartitionCount: more than the pods ever added
	virtualNodes    = 200  // consistent.Config.ReplicationFactor
	groupcacheNodes = 100  // replicas per pod on the groupcache ring
	serialxWeight   = 50   // weight of a pod on the serialx ring: its number of ring points
	requestsPerTick = 3000
	cacheEntries    = 2048
	responseSize    = 4 << 10 // bytes per cached response: 8 MiB of steady cache
)

// Pod is one backend instance, as discovery reports it. It is the ring's
// member (consistent.Member: String is its name).
type Pod struct {
	Name string
	Addr string
	Zone string
}

func (p *Pod) String() string { return p.Name }

// hasher is the ring's hash function: xxhash, as Olric configures it.
type hasher struct{}

func (hasher) Sum64(data []byte) uint64 { return xxhash.Sum64(data) }

// Ring is what the router needs from a consistent-hash ring.
type Ring interface {
	Add(p *Pod)
	Remove(name string)
	Owner(key []byte) string
}

// boundedRing is buraksezer/consistent.
type boundedRing struct{ c *consistent.Consistent }

func (r boundedRing) Add(p *Pod)         { r.c.Add(p) }
func (r boundedRing) Remove(name string) { r.c.Remove(name) }
func (r boundedRing) Owner(key []byte) string {
	if m := r.c.LocateKey(key); m != nil {
		return m.String()
	}
	return ""
}

// groupcacheRing is groupcache's consistenthash.Map: it has no Remove, so
// leaving pods stay on it whatever the router does.
type groupcacheRing struct{ m *consistenthash.Map }

func (r groupcacheRing) Add(p *Pod)              { r.m.Add(p.Name) }
func (r groupcacheRing) Remove(string)           {}
func (r groupcacheRing) Owner(key []byte) string { return r.m.Get(string(key)) }

// serialxRing is github.com/serialx/hashring: an immutable ring, replaced
// by the one each AddWeightedNode or RemoveNode returns.
type serialxRing struct{ r *hashring.HashRing }

func (s *serialxRing) Add(p *Pod)         { s.r = s.r.AddWeightedNode(p.Name, serialxWeight) }
func (s *serialxRing) Remove(name string) { s.r = s.r.RemoveNode(name) }
func (s *serialxRing) Owner(key []byte) string {
	node, _ := s.r.GetNode(string(key))
	return node
}

// Router routes tenant requests to pods.
type Router struct {
	ring      Ring
	removeOld bool            // call Remove when a pod leaves (the fix)
	endpoints map[string]*Pod // live pods by name
	order     []string        // live pods, oldest first
	cache     *lru.Cache[string, []byte]
	seq       int // pods started so far
	misroutes int // requests whose ring owner had already left
}

// onJoin handles a discovery event for a new pod.
func (r *Router) onJoin(p *Pod) {
	r.endpoints[p.Name] = p
	r.order = append(r.order, p.Name)
	r.ring.Add(p)
}

// onLeave handles a discovery event for a pod that went away. BUG (the
// leak): without -remove the pod is dropped from the endpoint table only; the
// ring keeps its virtual nodes for good.
func (r *Router) onLeave(name string) {
	delete(r.endpoints, name)
	r.order = r.order[1:]
	if r.removeOld {
		r.ring.Remove(name)
	}
}

// rollout replaces n of the oldest pods by new ones.
func (r *Router) rollout(n int) {
	for range n {
		r.onJoin(r.startPod())
		r.onLeave(r.order[0])
	}
}

// startPod is a new pod as discovery reports it: a new name every time.
func (r *Router) startPod() *Pod {
	r.seq++
	return &Pod{
		Name: fmt.Sprintf("inventory-7d9f8c6b5-%05d", r.seq),
		Addr: fmt.Sprintf("10.42.%d.%d:8080", r.seq/250%250, r.seq%250),
		Zone: "zone-" + strconv.Itoa(r.seq%3),
	}
}

// serve handles one request for a tenant: a short-lived request buffer, the
// ring lookup, and a response kept in the bounded cache.
func (r *Router) serve(req int) {
	tenant := "tenant-" + strconv.Itoa(req%50000)
	body := make([]byte, 2<<10) // request body, garbage after the call
	copy(body, tenant)
	pod, ok := r.endpoints[r.ring.Owner([]byte(tenant))]
	if !ok {
		// The owner has left: retry on a live pod.
		r.misroutes++
		pod = r.endpoints[r.order[req%len(r.order)]]
	}
	r.cache.Add(tenant, renderResponse(pod, body))
}

// renderResponse builds the response body that the cache keeps.
func renderResponse(pod *Pod, req []byte) []byte {
	out := make([]byte, responseSize)
	copy(out, pod.Addr)
	out[len(out)-1] = req[0]
	return out
}

func main() {
	var (
		removeOld bool
		ringKind  = "consistent"
	)
	snap.Main(snap.Options{
		Out: "out", Source: "router", N: 24, Every: 500 * time.Millisecond,
		SimInterval: 5 * time.Minute, SimStart: time.Date(2026, 11, 23, 6, 0, 0, 0, time.UTC),
		Formats: "proto", GC: true, MemProfileRate: 32 << 10,
	}, func(fs *flag.FlagSet) {
		fs.BoolVar(&removeOld, "remove", false, "remove leaving pods from the ring (the fix)")
		fs.StringVar(&ringKind, "ring", ringKind, "ring library: consistent (buraksezer/consistent), groupcache (golang/groupcache/consistenthash) or serialx (serialx/hashring)")
	}, func(o *snap.Options) (func(int), error) {
		r := &Router{removeOld: removeOld, endpoints: map[string]*Pod{}}
		switch ringKind {
		case "consistent":
			r.ring = boundedRing{consistent.New(nil, consistent.Config{
				Hasher:            hasher{},
				PartitionCount:    partitionCount,
				ReplicationFactor: virtualNodes,
				Load:              1.25,
			})}
		case "groupcache":
			r.ring = groupcacheRing{consistenthash.New(groupcacheNodes, nil)}
		case "serialx":
			r.ring = &serialxRing{hashring.New(nil)}
		default:
			return nil, fmt.Errorf("-ring must be consistent, groupcache or serialx, not %q", ringKind)
		}
		cache, err := lru.New[string, []byte](cacheEntries)
		if err != nil {
			return nil, err
		}
		r.cache = cache
		for range livePods {
			r.onJoin(r.startPod())
		}
		// Fill the cache before the first snapshot: full and flat from then on.
		req := 0
		for range cacheEntries * 2 {
			req++
			r.serve(req)
		}
		return func(i int) {
			// Requests first: the first allocation after a snapshot is
			// always sampled (snap toggles MemProfileRate), and it should
			// land on short-lived garbage, not on a kept object.
			for range requestsPerTick {
				req++
				r.serve(req)
			}
			r.rollout(rolloutPerTick)
		}, nil
	})
}

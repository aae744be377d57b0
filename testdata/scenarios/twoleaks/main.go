// Regenerate:
//
//	testdata/scenarios/regen.sh twoleaks twoleaks-fixed
//
// Command twoleaks is an API gateway with two independent leaks of very
// different rates (about 30:1 in bytes per hour), in different functions and
// for different reasons:
//
//   - the audit log: (*AuditLog).Record appends an entry per request (with
//     copies of the method, path, user, client address and the first KiB of
//     the body) to a slice that is meant to be shipped in batches by a
//     shipper that was configured but never enabled, so it only grows (about
//     3.2 MiB per tick);
//   - the per-client rate limiters: (*ClientLimiter).stateFor keeps a
//     golang.org/x/time/rate Limiter, counters and a burst window per client
//     address in a map with no eviction; clients come and go (mobile
//     addresses, NAT pools), so the map grows with every address ever seen
//     (about 0.11 MiB per tick, the Limiters a quarter of it).
//
// -bounded ships the log in batches of 5000 entries (it is truncated after
// each batch, a sawtooth below 6 MiB) and evicts clients idle for 3 ticks:
// the twoleaks-fixed control.
//
// Steady work around the leaks: each request allocates a short-lived body
// and response, and upstream responses go through a bounded LRU that is full
// before the first snapshot.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"

	"github.com/leakdiff/leakdiff/testdata/scenarios/internal/snap"
)

const (
	requestsPerTick   = 2800
	newClientsPerTick = 300  // client addresses never seen before, per tick
	activeClients     = 600  // addresses that keep calling
	bodySnippet       = 1024 // bytes of request body kept in an audit entry
	upstreamEntries   = 1024
	upstreamSize      = 4 << 10
	idleTicks         = 3    // -bounded: clients idle this long are forgotten
	flushBatch        = 5000 // -bounded: entries shipped at a time
)

// Request is one API call as the gateway sees it.
type Request struct {
	Method     string
	Path       string
	User       string
	RemoteAddr string
	Body       []byte
}

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	At         time.Time
	Method     string
	Path       string
	User       string
	RemoteAddr string
	Status     int
	Body       []byte
}

// AuditLog collects entries until they are shipped in batches.
type AuditLog struct {
	entries []*AuditEntry
	ship    bool // ship batches of flushBatch entries (the fix)
	shipped int
}

// Record appends the audit entry of a request. The entry owns copies of the
// request's strings and of the start of its body.
func (l *AuditLog) Record(req *Request, status int) {
	e := &AuditEntry{
		At:         time.Now(),
		Method:     strings.Clone(req.Method),
		Path:       strings.Clone(req.Path),
		User:       strings.Clone(req.User),
		RemoteAddr: strings.Clone(req.RemoteAddr),
		Status:     status,
		Body:       bytes.Clone(req.Body[:min(len(req.Body), bodySnippet)]),
	}
	l.entries = append(l.entries, e)
	if l.ship && len(l.entries) >= flushBatch {
		l.Flush(io.Discard)
	}
}

// Flush ships the collected entries and truncates the log. BUG (the big
// leak): without -bounded nothing ever calls it (the shipper was configured
// but never enabled).
func (l *AuditLog) Flush(w io.Writer) {
	for _, e := range l.entries {
		fmt.Fprintf(w, "%s %s %s %s %d %d\n", e.At.Format(time.RFC3339), e.RemoteAddr, e.Method, e.Path, e.Status, len(e.Body))
	}
	l.shipped += len(l.entries)
	clear(l.entries)
	l.entries = l.entries[:0]
}

// clientState is what the gateway keeps per client address.
type clientState struct {
	limiter  *rate.Limiter
	lastSeen int       // tick
	requests int64     // counters for the usage report
	rejected int64     //
	recent   [24]int64 // request times of the last burst window
	key      string
}

// ClientLimiter rate-limits each client address.
type ClientLimiter struct {
	clients map[string]*clientState
	evict   bool
}

// stateFor returns the state of a client, creating it on first sight. BUG
// (the small leak): without -bounded, nothing removes clients that went
// away.
func (c *ClientLimiter) stateFor(addr string, tick int) *clientState {
	st, ok := c.clients[addr]
	if !ok {
		key := strings.Clone(addr) // do not keep the request's buffer alive
		st = &clientState{limiter: rate.NewLimiter(rate.Limit(20), 40), key: key}
		c.clients[key] = st
	}
	st.lastSeen = tick
	return st
}

// evictIdle forgets clients not seen for idleTicks (-bounded).
func (c *ClientLimiter) evictIdle(tick int) {
	for k, st := range c.clients {
		if tick-st.lastSeen >= idleTicks {
			delete(c.clients, k)
		}
	}
}

// Gateway serves requests.
type Gateway struct {
	audit    *AuditLog
	limits   *ClientLimiter
	upstream *lru.Cache[string, []byte]
	bounded  bool
	nextAddr int
}

// handle serves one request.
func (g *Gateway) handle(req *Request, tick int) int {
	st := g.limits.stateFor(req.RemoteAddr, tick)
	st.requests++
	st.recent[st.requests%int64(len(st.recent))] = int64(tick)
	status := 200
	if !st.limiter.Allow() {
		st.rejected++
		status = 429
	} else {
		resp, ok := g.upstream.Get(req.Path)
		if !ok {
			resp = callUpstream(req)
			g.upstream.Add(req.Path, resp)
		}
		out := make([]byte, 0, len(resp)+256) // response written, then garbage
		out = append(out, resp...)
		_ = out
	}
	g.audit.Record(req, status)
	return status
}

// callUpstream stands for the backend call.
func callUpstream(req *Request) []byte {
	b := make([]byte, upstreamSize)
	copy(b, req.Path)
	return b
}

// traffic builds one tick's requests: most from active clients, some from
// addresses never seen before.
func (g *Gateway) traffic(tick int) []*Request {
	reqs := make([]*Request, 0, requestsPerTick)
	for n := range requestsPerTick {
		var addr string
		if n%(requestsPerTick/newClientsPerTick) == 0 {
			g.nextAddr++
			addr = fmt.Sprintf("100.%d.%d.%d:%d", 64+g.nextAddr>>16&63, g.nextAddr>>8&255, g.nextAddr&255, 30000+g.nextAddr%30000)
		} else {
			a := n % activeClients
			addr = "10.1." + strconv.Itoa(a>>8) + "." + strconv.Itoa(a&255) + ":443"
		}
		body := make([]byte, 1500)
		copy(body, `{"order":{"items":[{"sku":"A-`+strconv.Itoa(n)+`"}]}}`)
		reqs = append(reqs, &Request{
			Method:     "POST",
			Path:       "/v2/orders/" + strconv.Itoa(n%3000),
			User:       "user-" + strconv.Itoa(n%900),
			RemoteAddr: addr,
			Body:       body,
		})
	}
	return reqs
}

func main() {
	var bounded bool
	snap.Main(snap.Options{
		Out: "out", Source: "gateway", N: 36, Every: 600 * time.Millisecond,
		SimInterval: 5 * time.Minute, SimStart: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC),
		Formats: "proto", GC: true, MemProfileRate: 32 << 10,
	}, func(fs *flag.FlagSet) {
		fs.BoolVar(&bounded, "bounded", false, "ship and truncate the audit log every tick and evict idle clients (the fix)")
	}, func(o *snap.Options) (func(int), error) {
		upstream, err := lru.New[string, []byte](upstreamEntries)
		if err != nil {
			return nil, err
		}
		g := &Gateway{
			audit:    &AuditLog{ship: bounded},
			limits:   &ClientLimiter{clients: map[string]*clientState{}, evict: bounded},
			upstream: upstream,
			bounded:  bounded,
		}
		// Fill the upstream cache before the first snapshot.
		for p := range upstreamEntries * 2 {
			g.upstream.Add("/v2/orders/"+strconv.Itoa(p), callUpstream(&Request{Path: "/v2/orders/" + strconv.Itoa(p)}))
		}
		return func(i int) {
			// traffic allocates short-lived requests first: the first
			// allocation after a snapshot is always sampled (snap toggles
			// MemProfileRate) and should not land on a kept object.
			for _, req := range g.traffic(i) {
				g.handle(req, i)
			}
			if g.bounded {
				g.limits.evictIdle(i)
			}
		}, nil
	})
}

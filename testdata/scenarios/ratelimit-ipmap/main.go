// Regenerate:
//
//	testdata/scenarios/regen.sh ratelimit-ipmap ratelimit-ipmap-evicted
//
// Command ratelimit-ipmap is a public API (net/http on 127.0.0.1, called
// by its own client through what stands for a load balancer: every request
// carries the caller's address in X-Forwarded-For) with a per-client-IP
// rate limit middleware on go.uber.org/ratelimit: (*IPLimiter).limiterFor
// keeps a visitor (a ratelimit.Limiter, 50 requests per second with a slack
// of 10, and the time it was last seen) per client IP in a map, and
// (*IPLimiter).Middleware calls Take on it before the API's handler. The
// usual recipe for this middleware pairs the map with a goroutine that
// forgets visitors not seen for a few minutes. BUG (the leak): that
// goroutine is never started, so the map keeps every address that ever
// called: mobile clients and carrier NAT pools bring about 1200 addresses
// never seen before per tick, and each adds a visitor, its Limiter (a
// 160-byte padded struct from ratelimit.New) and a map slot, for good.
//
// -evict starts the janitor, which every tick forgets visitors idle for
// more than 3 ticks (the ratelimit-ipmap-evicted control): the map holds
// the addresses of the last 3 ticks, about 4300.
//
// Steady work around the leak: about 1200 returning addresses per tick
// (a fixed set of 1200 busy clients) and the API's JSON responses.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/ratelimit"

	"github.com/leakdiff/leakdiff/testdata/scenarios/internal/snap"
)

const (
	newClientsPerTick = 1200 // addresses never seen before, per tick
	busyClients       = 1200 // addresses that call every tick
	clientWorkers     = 8
	perSecond         = 50 // requests per second per client address
	slack             = 10
	idleTicks         = 3 // -evict: visitors idle this long are forgotten
)

// visitor is what the middleware keeps per client address.
type visitor struct {
	limiter  ratelimit.Limiter
	lastSeen time.Time
	requests int64
}

// IPLimiter rate-limits each client address.
type IPLimiter struct {
	mu       sync.Mutex
	visitors map[string]*visitor
}

// clientIP is the caller's address as the load balancer reports it: the
// first entry of X-Forwarded-For, else the connection's peer.
func clientIP(r *http.Request) string {
	if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
		ip, _, _ := strings.Cut(xff, ",")
		return strings.TrimSpace(ip)
	}
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	return host
}

// limiterFor returns the visitor of an address, creating it on first
// sight. BUG (the leak): nothing removes visitors unless the janitor runs.
func (l *IPLimiter) limiterFor(ip string) *visitor {
	l.mu.Lock()
	defer l.mu.Unlock()
	v, ok := l.visitors[ip]
	if !ok {
		v = &visitor{limiter: ratelimit.New(perSecond, ratelimit.WithSlack(slack))}
		l.visitors[ip] = v
	}
	v.lastSeen = time.Now()
	v.requests++
	return v
}

// Middleware delays each request until its client's limiter allows it.
func (l *IPLimiter) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := l.limiterFor(clientIP(r))
		v.limiter.Take()
		next.ServeHTTP(w, r)
	})
}

// janitor forgets visitors idle for longer than idle, every period (-evict).
func (l *IPLimiter) janitor(ctx context.Context, period, idle time.Duration) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			l.mu.Lock()
			for ip, v := range l.visitors {
				if now.Sub(v.lastSeen) > idle {
					delete(l.visitors, ip)
				}
			}
			l.mu.Unlock()
		}
	}
}

func api() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/quotes/{symbol}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		sym := r.PathValue("symbol")
		json.NewEncoder(w).Encode(map[string]any{"symbol": sym, "bid": 101.25, "ask": 101.31, "venue": "XETR", "ts": time.Now().UnixMilli()})
	})
	return mux
}

// call is one API request from a client address.
type call struct {
	ip     string
	symbol string
}

// traffic returns one tick's calls: each busy client once, and each
// address never seen before once.
func traffic(tick int) []call {
	calls := make([]call, 0, newClientsPerTick+busyClients)
	for n := range newClientsPerTick + busyClients {
		var ip string
		if n%2 == 0 && n/2 < newClientsPerTick {
			a := 20000 + tick*newClientsPerTick + n/2 // a new address
			ip = "100." + strconv.Itoa(64+a>>16&63) + "." + strconv.Itoa(a>>8&255) + "." + strconv.Itoa(a&255)
		} else {
			a := n / 2 % busyClients
			ip = "198.51." + strconv.Itoa(a>>8) + "." + strconv.Itoa(a&255)
		}
		calls = append(calls, call{ip: ip, symbol: "SYM" + strconv.Itoa(n%300)})
	}
	return calls
}

func run(ctx context.Context, client *http.Client, base string, calls []call) error {
	ch := make(chan call)
	errc := make(chan error, clientWorkers)
	var wg sync.WaitGroup
	for range clientWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range ch {
				if err := get(ctx, client, base+"/v1/quotes/"+c.symbol, c.ip); err != nil {
					errc <- err
					for range ch {
					}
					return
				}
			}
		}()
	}
	for _, c := range calls {
		ch <- c
	}
	close(ch)
	wg.Wait()
	select {
	case err := <-errc:
		return err
	default:
		return nil
	}
}

func get(ctx context.Context, client *http.Client, url, ip string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("X-Forwarded-For", ip+", 10.0.3.17")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

func main() {
	var evict bool
	snap.Main(snap.Options{
		Out: "out", Source: "api", N: 30, Every: 600 * time.Millisecond,
		SimInterval: 5 * time.Minute, SimStart: time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC),
		Formats: "proto", GC: true, MemProfileRate: 64 << 10,
	}, func(fs *flag.FlagSet) {
		fs.BoolVar(&evict, "evict", false, "run the janitor that forgets idle visitors (the fix)")
	}, func(o *snap.Options) (func(int), error) {
		l := &IPLimiter{visitors: map[string]*visitor{}}
		ctx := context.Background()
		if evict {
			go l.janitor(ctx, o.Every, idleTicks*o.Every)
		}
		mux := http.NewServeMux()
		mux.Handle("/", l.Middleware(api()))
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				panic(err)
			}
		}()
		base := "http://" + ln.Addr().String()
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clientWorkers}, Timeout: 10 * time.Second}
		tick := func(i int) {
			if err := run(ctx, client, base, traffic(i)); err != nil {
				panic(err)
			}
		}
		// Warm up for longer than the janitor's idle time.
		for w := range idleTicks + 1 {
			tick(-idleTicks - 1 + w)
			time.Sleep(o.Every)
		}
		return tick, nil
	})
}

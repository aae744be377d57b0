// Regenerate:
//
//	testdata/scenarios/regen.sh promcardinality promcardinality-bounded
//
// Command promcardinality is an order API (net/http on 127.0.0.1, called by
// its own client) instrumented with github.com/prometheus/client_golang: a
// middleware counts every request in http_requests_total{method,path,code}
// (a CounterVec) and times it in http_request_duration_seconds{method,path}
// (a HistogramVec with the default 11 buckets). BUG (the leak): the path
// label is the raw URL path, r.URL.Path, so every order, user and
// shipment id makes a new child series in both vectors, and nothing ever
// deletes them (client_golang keeps each child until DeleteLabelValues or
// Reset): /api/v1/orders/880123, /api/v1/orders/880124, ... About 320 new
// ids reach the API per tick (345 new paths with the items pages of new
// orders), so both vectors gain about 345 children per tick each, for good;
// every scrape of /metrics renders all of them.
//
// -route-label labels requests with the route pattern net/http's ServeMux
// matched (r.Pattern, e.g. "GET /api/v1/orders/{id}"): a fixed set of 8
// routes, so the vectors hold a fixed set of series, all created before
// the first snapshot (the promcardinality-bounded control).
//
// Steady work around the leak: handlers render JSON bodies from an order
// store of fixed size, the client reads them, and Prometheus scrapes
// /metrics (promhttp) once per tick. A third vector,
// catalog_item_views_total{sku}, has a large but bounded label set (1200
// SKUs of a fixed catalog, all created at start): the same client_golang
// allocation sites, flat.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/leakdiff/leakdiff/testdata/scenarios/internal/snap"
)

const (
	requestsPerTick  = 1000
	newOrdersPerTick = 200 // orders placed per tick: new ids in paths
	newUsersPerTick  = 80  // users seen for the first time per tick
	newShipPerTick   = 40  // shipments created per tick
	storeOrders      = 2048
	catalogSKUs      = 1200 // item views are counted per SKU of a fixed catalog
	clientWorkers    = 8
)

// Metrics is the HTTP instrumentation of the API.
type Metrics struct {
	reg        *prometheus.Registry
	requests   *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	itemViews  *prometheus.CounterVec
	routeLabel bool
}

// NewMetrics registers the request counter and latency histogram.
func NewMetrics(routeLabel bool) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total",
			Help: "HTTP requests served, by method, path and status code.",
		}, []string{"method", "path", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "http_request_duration_seconds",
			Help:    "Time to serve an HTTP request, by method and path.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "path"}),
		itemViews: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "catalog_item_views_total",
			Help: "Order items viewed, by SKU.",
		}, []string{"sku"}),
		routeLabel: routeLabel,
	}
	m.reg.MustRegister(m.requests, m.duration, m.itemViews)
	// The catalog is fixed: every SKU's series is created up front, at
	// zero, as the Prometheus instrumentation guidelines recommend for
	// label values known in advance.
	for n := range catalogSKUs {
		m.itemViews.WithLabelValues(sku(n))
	}
	return m
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

// Instrument wraps the API's handler: one count and one latency
// observation per request.
func (m *Metrics) Instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(sw, r)
		// BUG (the leak): without -route-label the label is the raw path,
		// a new series for every id ever requested.
		path := r.URL.Path
		if m.routeLabel {
			path = r.Pattern // set by the ServeMux: "GET /api/v1/orders/{id}"
			if path == "" {
				path = "unmatched"
			}
		}
		m.requests.WithLabelValues(r.Method, path, strconv.Itoa(sw.code)).Inc()
		m.duration.WithLabelValues(r.Method, path).Observe(time.Since(start).Seconds())
	})
}

// Order is what the API serves.
type Order struct {
	ID       int      `json:"id"`
	User     int      `json:"user"`
	Status   string   `json:"status"`
	Items    []string `json:"items"`
	TotalCts int64    `json:"total_cts"`
}

// API serves orders from a store of fixed size (the latest storeOrders).
type API struct {
	mu     sync.RWMutex
	orders map[int]*Order
}

func sku(n int) string { return "SKU-" + strconv.Itoa(10000+n%catalogSKUs) }

func (a *API) order(id int) *Order {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.orders[id%storeOrders]
}

func (a *API) put(id int) {
	o := &Order{ID: id, User: id % 5000, Status: "placed", TotalCts: int64(id%9000) * 7}
	for k := range 3 {
		o.Items = append(o.Items, sku(id*7+k))
	}
	a.mu.Lock()
	a.orders[id%storeOrders] = o
	a.mu.Unlock()
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (a *API) routes(m *Metrics) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.Atoi(r.PathValue("id"))
		if err != nil {
			http.Error(w, "bad id", http.StatusBadRequest)
			return
		}
		writeJSON(w, a.order(id))
	})
	mux.HandleFunc("POST /api/v1/orders/{id}/cancel", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
	})
	mux.HandleFunc("GET /api/v1/orders/{id}/items", func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.Atoi(r.PathValue("id"))
		items := a.order(id).Items
		for _, it := range items {
			m.itemViews.WithLabelValues(it).Inc()
		}
		writeJSON(w, items)
	})
	mux.HandleFunc("GET /api/v1/users/{id}/cart", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"user": r.PathValue("id"), "items": []string{"SKU-1", "SKU-2"}})
	})
	mux.HandleFunc("GET /api/v1/shipments/{id}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]string{"shipment": r.PathValue("id"), "carrier": "dhl", "state": "in_transit"})
	})
	mux.HandleFunc("GET /api/v1/catalog", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, []string{"SKU-1", "SKU-2", "SKU-3"})
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	})
	mux.HandleFunc("GET /api/v1/search", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, []int{1, 2, 3})
	})
	return mux
}

// traffic returns one tick's request paths. Ids of new orders, users and
// shipments appear in paths for the first time in this tick; the rest
// address recent ones again (and the id-less routes).
func traffic(tick int) []string {
	paths := make([]string, 0, requestsPerTick)
	orderBase := 880000 + tick*newOrdersPerTick
	userBase := 410000 + tick*newUsersPerTick
	shipBase := 70000 + tick*newShipPerTick
	for n := range requestsPerTick {
		var p string
		switch {
		case n < newOrdersPerTick:
			p = "/api/v1/orders/" + strconv.Itoa(orderBase+n)
		case n < newOrdersPerTick+newUsersPerTick:
			p = "/api/v1/users/" + strconv.Itoa(userBase+n-newOrdersPerTick) + "/cart"
		case n < newOrdersPerTick+newUsersPerTick+newShipPerTick:
			p = "/api/v1/shipments/" + strconv.Itoa(shipBase+n-newOrdersPerTick-newUsersPerTick)
		default:
			switch n % 8 {
			case 0, 1:
				p = "/api/v1/orders/" + strconv.Itoa(orderBase+n%newOrdersPerTick)
			case 2:
				p = "/api/v1/orders/" + strconv.Itoa(orderBase+n%newOrdersPerTick) + "/items"
			case 3:
				p = "/api/v1/users/" + strconv.Itoa(userBase+n%newUsersPerTick) + "/cart"
			case 4:
				p = "/api/v1/catalog"
			case 5:
				p = "/healthz"
			case 6:
				p = "/api/v1/search"
			default:
				p = "/api/v1/shipments/" + strconv.Itoa(shipBase+n%newShipPerTick)
			}
		}
		paths = append(paths, p)
	}
	return paths
}

// run sends paths to the API with clientWorkers concurrent clients and
// reads every body.
func run(ctx context.Context, client *http.Client, base string, paths []string) error {
	ch := make(chan string)
	errc := make(chan error, clientWorkers)
	var wg sync.WaitGroup
	for range clientWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range ch {
				if err := get(ctx, client, base+p); err != nil {
					errc <- err
					for range ch {
					}
					return
				}
			}
		}()
	}
	for _, p := range paths {
		ch <- p
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

func get(ctx context.Context, client *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

func main() {
	var routeLabel bool
	snap.Main(snap.Options{
		Out: "out", Source: "api", N: 30, Every: 700 * time.Millisecond,
		SimInterval: 5 * time.Minute, SimStart: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC),
		Formats: "proto", GC: true, MemProfileRate: 64 << 10,
	}, func(fs *flag.FlagSet) {
		fs.BoolVar(&routeLabel, "route-label", false, "label requests with the matched route pattern, not the raw path (the fix)")
	}, func(o *snap.Options) (func(int), error) {
		m := NewMetrics(routeLabel)
		api := &API{orders: map[int]*Order{}}
		for id := range storeOrders {
			api.put(880000 - storeOrders + id)
		}
		mux := http.NewServeMux()
		mux.Handle("/", m.Instrument(api.routes(m)))
		mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
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
		ctx := context.Background()
		// Warm up: every route once, so the control's series all exist
		// before the first snapshot.
		if err := run(ctx, client, base, traffic(-1)); err != nil {
			return nil, err
		}
		return func(i int) {
			// Prometheus scrapes the API once per tick (first: the
			// exposition buffers it leaves in promhttp's pools are then
			// collected during the tick's traffic, as they would be
			// between two scrapes).
			if err := get(ctx, client, base+"/metrics"); err != nil {
				panic(fmt.Errorf("scrape: %w", err))
			}
			for id := range newOrdersPerTick {
				api.put(880000 + i*newOrdersPerTick + id)
			}
			if err := run(ctx, client, base, traffic(i)); err != nil {
				panic(err)
			}
		}, nil
	})
}

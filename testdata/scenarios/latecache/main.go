// Regenerate:
//
//	testdata/scenarios/regen.sh latecache latecache-unbounded
//
// Command latecache is a control: a rendering service whose response cache
// (github.com/hashicorp/golang-lru/v2) is switched on by a configuration
// reload at 60 % of the series (snapshot 24 of 40, one every 5 simulated
// minutes). Before that every request renders its page and drops it; after
// it, misses fill the cache: 600 pages of 32 KiB (about 19 MiB), full within
// 6 snapshots, then every new page evicts the least recently used one and
// memory stays at the cache's capacity. A leak analyzer must not report it:
// the growth is late and short, and it stops.
//
// -cache-entries sets the size the reload configures. The latecache-unbounded
// variant sets 4194304, the cache's size in bytes given where a number of
// entries was meant: the cache is never full, so after the reload it grows
// linearly (100 pages, 3.1 MiB, per tick) to the end of the series.
//
// Steady work throughout: each request is parsed and its page rendered into
// short-lived buffers; a small bounded template cache is loaded at start-up.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/leakdiff/leakdiff/testdata/scenarios/internal/snap"
)

const (
	pageSize        = 32 << 10 // bytes per rendered page
	newPagesPerTick = 100      // requests for pages not seen before, per tick
	repeatsPerTick  = 400      // requests for recently seen pages ...
	hotPages        = 50       // ... among the newest hotPages
	templates       = 64
	templateSize    = 16 << 10
)

// Config is the service's configuration, reloaded at run time.
type Config struct {
	CacheEnabled bool
	CacheEntries int
}

// Renderer renders pages, through the response cache once it is enabled.
type Renderer struct {
	cache     *lru.Cache[string, []byte] // nil until enabled
	templates *lru.Cache[int, []byte]
	next      int // the next page never requested
}

// Reload applies a new configuration.
func (r *Renderer) Reload(c Config) error {
	if !c.CacheEnabled || r.cache != nil {
		return nil
	}
	cache, err := lru.New[string, []byte](c.CacheEntries)
	if err != nil {
		return err
	}
	r.cache = cache
	return nil
}

// Serve answers a request for a page.
func (r *Renderer) Serve(path string) []byte {
	if r.cache != nil {
		if page, ok := r.cache.Get(path); ok {
			return page
		}
	}
	page := r.renderPage(path)
	if r.cache != nil {
		r.cache.Add(path, page)
	}
	return page
}

// renderPage renders a page from its template: the allocation the cache
// keeps once it is enabled.
func (r *Renderer) renderPage(path string) []byte {
	h := 0
	for i := range len(path) {
		h = h*31 + int(path[i])
	}
	id := h & (templates - 1)
	tpl, ok := r.templates.Get(id)
	if !ok {
		tpl = loadTemplate(id)
		r.templates.Add(id, tpl)
	}
	page := make([]byte, pageSize)
	n := copy(page, tpl)
	copy(page[n/2:], path)
	return page
}

// loadTemplate stands for reading a template from disk.
func loadTemplate(id int) []byte {
	b := make([]byte, templateSize)
	for i := range b {
		b[i] = byte(id ^ i)
	}
	return b
}

// Request is a parsed request: garbage once served, except its Path, which
// the cache keeps as a key.
type Request struct {
	Path   string
	Params map[string]string
}

// parseRequest parses a request line.
func parseRequest(line []byte) *Request {
	req := &Request{Params: make(map[string]string, 2)}
	path, query, _ := bytes.Cut(line, []byte("?"))
	req.Path = string(path)
	for _, kv := range bytes.Split(query, []byte("&")) {
		k, v, _ := bytes.Cut(kv, []byte("="))
		req.Params[string(k)] = string(v)
	}
	return req
}

// traffic runs one tick of requests: new pages and repeats of recent ones.
func (r *Renderer) traffic() {
	var line []byte
	serve := func(n int) {
		line = fmt.Appendf(line[:0], "/catalog/item/%d?lang=en&currency=EUR", n)
		r.Serve(parseRequest(line).Path)
	}
	for range newPagesPerTick {
		serve(r.next)
		r.next++
	}
	for k := range repeatsPerTick {
		if r.next > 0 {
			serve(r.next - 1 - k%min(r.next, hotPages))
		}
	}
}

func main() {
	var entries int
	snap.Main(snap.Options{
		Out: "out", Source: "render", N: 40, Every: 500 * time.Millisecond,
		SimInterval: 5 * time.Minute, SimStart: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC),
		Formats: "proto", GC: true, MemProfileRate: 64 << 10,
	}, func(fs *flag.FlagSet) {
		fs.IntVar(&entries, "cache-entries", 600, "response cache size set by the reload, in entries")
	}, func(o *snap.Options) (func(int), error) {
		tpls, err := lru.New[int, []byte](templates)
		if err != nil {
			return nil, err
		}
		r := &Renderer{templates: tpls}
		for id := range templates { // loaded at start-up
			tpls.Add(id, loadTemplate(id))
		}
		reloadAt := o.N * 6 / 10
		return func(i int) {
			// Requests first: the first allocation after a snapshot is
			// always sampled (snap toggles MemProfileRate), and it should
			// land on short-lived garbage.
			r.traffic()
			if i == reloadAt-1 {
				// The reload lands after this tick's requests: the
				// cache serves from tick reloadAt on.
				if err := r.Reload(Config{CacheEnabled: true, CacheEntries: entries}); err != nil {
					panic("reload: " + err.Error())
				}
			}
		}, nil
	})
}

// Regenerate:
//
//	testdata/scenarios/regen.sh slowing slowing-warmup
//
// Command slowing is a web shop's front end that keeps server-side session
// state (cart, CSRF token, recently viewed products, a serialised view state)
// in a github.com/patrickmn/go-cache cache created with cache.NoExpiration:
// sessions are deleted on logout, but most visitors never log out, so every
// session ever started stays in memory. Traffic follows the day: for the
// first two thirds of the series (13:00 to 19:40, one snapshot every 10
// simulated minutes) 400 new sessions start per tick, then in the evening
// new sessions (and requests) fall to 1/10, 40 per tick. The leak slows down
// but never stops: memory grows more slowly, not less.
//
// -max-sessions N bounds the store: once N sessions are held, each new one
// logs out the oldest (the slowing-warmup control, N = 14400: the store is
// full from snapshot 36 on and stays flat through the evening).
//
// Steady work around the leak: each request renders a page into short-lived
// buffers and reads product data through a bounded LRU cache that is full
// before the first snapshot.
package main

import (
	"flag"
	"fmt"
	"strconv"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	gocache "github.com/patrickmn/go-cache"

	"github.com/leakdiff/leakdiff/testdata/scenarios/internal/snap"
)

const (
	daySessionsPerTick   = 400     // new sessions per tick in the day
	nightSessionsPerTick = 40      // ... in the evening (1/10)
	requestsPerSession   = 6       // page views per new session within its tick
	viewStateSize        = 9 << 10 // bytes of serialised view state per session
	productEntries       = 1024
	productSize          = 4 << 10 // bytes per cached product page fragment
)

// CartItem is one line of a cart.
type CartItem struct {
	SKU      string
	Quantity int
	PriceCts int64
}

// Session is the server-side state of one visitor.
type Session struct {
	ID        string
	UserID    int
	CSRFToken [32]byte
	Cart      []CartItem
	Recent    []string // recently viewed product IDs
	ViewState []byte   // serialised form and paging state
	Started   time.Time
}

// SessionStore holds sessions in go-cache.
type SessionStore struct {
	cache *gocache.Cache
	max   int      // 0: unbounded
	order []string // session IDs, oldest first (only with max > 0)
	seq   int
}

// NewSessionStore returns the store. Sessions never expire: they are meant
// to be deleted on logout.
func NewSessionStore(max int) *SessionStore {
	return &SessionStore{cache: gocache.New(gocache.NoExpiration, 0), max: max}
}

// Start creates the session of a new visitor.
func (s *SessionStore) Start(userID int) *Session {
	s.seq++
	sess := newSession(fmt.Sprintf("sess-%09d", s.seq), userID)
	if s.max > 0 {
		for s.cache.ItemCount() >= s.max {
			s.cache.Delete(s.order[0]) // log the oldest session out
			s.order = s.order[1:]
		}
		s.order = append(s.order, sess.ID)
	}
	s.cache.Set(sess.ID, sess, gocache.NoExpiration)
	return sess
}

// newSession allocates a visitor's state.
func newSession(id string, userID int) *Session {
	sess := &Session{
		ID:        id,
		UserID:    userID,
		Cart:      make([]CartItem, 0, 8),
		Recent:    make([]string, 0, 16),
		ViewState: make([]byte, viewStateSize),
		Started:   time.Now(),
	}
	for i := range sess.CSRFToken {
		sess.CSRFToken[i] = byte(userID >> (i % 4))
	}
	for i := range sess.ViewState {
		sess.ViewState[i] = byte(i)
	}
	return sess
}

// Shop serves page views.
type Shop struct {
	sessions *SessionStore
	products *lru.Cache[int, []byte]
}

// view serves one page view, for a session or (nil) an anonymous visitor
// such as a crawler: product data through the bounded cache, the page
// rendered into a short-lived buffer.
func (sh *Shop) view(sess *Session, product int) int {
	frag, ok := sh.products.Get(product)
	if !ok {
		frag = loadProduct(product)
		sh.products.Add(product, frag)
	}
	page := make([]byte, 0, 16<<10) // the rendered page, garbage once written
	if sess != nil {
		if len(sess.Recent) < cap(sess.Recent) {
			sess.Recent = append(sess.Recent, strconv.Itoa(product))
		}
		page = append(page, sess.ViewState[:512]...)
	}
	page = append(page, frag...)
	return len(page)
}

// loadProduct stands for a catalogue read.
func loadProduct(id int) []byte {
	b := make([]byte, productSize)
	for i := range b {
		b[i] = byte(id + i)
	}
	return b
}

// visits runs one tick of traffic: n new visitors, each with a few page views.
func (sh *Shop) visits(n, tick int) {
	for v := range n {
		sess := sh.sessions.Start(tick*1000 + v)
		for r := range requestsPerSession {
			sh.view(sess, (v*7+r*131+tick*17)%(productEntries*2))
		}
	}
}

func main() {
	var maxSessions int
	snap.Main(snap.Options{
		Out: "out", Source: "shop", N: 60, Every: 500 * time.Millisecond,
		SimInterval: 10 * time.Minute, SimStart: time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC),
		Formats: "proto", GC: true, MemProfileRate: 32 << 10,
	}, func(fs *flag.FlagSet) {
		fs.IntVar(&maxSessions, "max-sessions", 0, "sessions held at most; the oldest is logged out (0: unbounded)")
	}, func(o *snap.Options) (func(int), error) {
		products, err := lru.New[int, []byte](productEntries)
		if err != nil {
			return nil, err
		}
		sh := &Shop{sessions: NewSessionStore(maxSessions), products: products}
		// Crawlers fill the product cache before the first snapshot.
		for p := range productEntries * 2 {
			sh.view(nil, p)
		}
		evening := o.N * 2 / 3
		return func(i int) {
			// Each tick starts with crawler traffic, short-lived work:
			// the first allocation after a snapshot is always sampled
			// (snap toggles MemProfileRate), and it should not land on a
			// kept object.
			for p := range 64 {
				sh.view(nil, i*64+p)
			}
			n := daySessionsPerTick
			if i >= evening {
				n = nightSessionsPerTick
			}
			sh.visits(n, i)
		}, nil
	})
}

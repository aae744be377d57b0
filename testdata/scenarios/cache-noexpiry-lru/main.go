// Regenerate:
//
//	testdata/scenarios/regen.sh cache-noexpiry-lru cache-noexpiry-lru-ttl
//
// Command cache-noexpiry-lru is the authentication layer of an API gateway:
// every request carries an opaque OAuth access token, and
// (*TokenCache).Validate looks it up in a
// github.com/hashicorp/golang-lru/v2/expirable LRU before asking the
// identity provider to introspect it (the claims come back as JSON and are
// decoded into a Claims: subject, tenant, scopes, roles, expiry). The
// cache's size and TTL come from the gateway's configuration,
// token_cache_size and token_cache_ttl. BUG (the leak): the deployment does
// not set them, and expirable.NewLRU reads zero as "unlimited size" and
// "no expiration", so the cache never evicts anything. Access tokens live 15
// minutes and clients refresh them, so every refresh adds an entry (about
// 1330 per tick: 4000 active sessions, each refreshing every 3 ticks) and
// the entries of expired tokens stay for good.
//
// -cache-size and -cache-ttl set them (the cache-noexpiry-lru-ttl control:
// 50000 entries and 1.9 s, which stands for the tokens' 15 minutes plus a
// little; a tick, 0.6 s, stands for 5 minutes): expirable's background
// goroutine drops entries as they expire, and the cache holds the tokens of
// the last 3 ticks or so.
//
// Steady work around the leak: 4000 requests per tick, spread over the
// tick, each validated (mostly cache hits), and each building a short-lived
// upstream request. (Spread, not in one burst: expirable files each entry
// in one of 100 expiry buckets, one map each, by time of insertion, and a
// Go map keeps the size of its largest fill; a burst per tick would grow
// bucket after bucket to the burst's size, about 5 MiB in all before they
// have all been hit once.)
package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"

	"github.com/leakdiff/leakdiff/testdata/scenarios/internal/snap"
)

const (
	activeSessions = 4000 // sessions making one request per tick
	refreshTicks   = 3    // an access token is refreshed every 3 ticks (15 minutes)
	arrivals       = 30   // batches of requests per tick, spread over 3/4 of it
)

// Config is the gateway's configuration (from its YAML file).
type Config struct {
	// TokenCacheSize bounds the token cache; 0 means unlimited.
	TokenCacheSize int `yaml:"token_cache_size"`
	// TokenCacheTTL is how long a validated token is trusted; 0 means
	// forever.
	TokenCacheTTL time.Duration `yaml:"token_cache_ttl"`
}

// Claims is what the identity provider says about a token.
type Claims struct {
	Subject  string   `json:"sub"`
	Tenant   string   `json:"tenant"`
	ClientID string   `json:"client_id"`
	Scopes   []string `json:"scope"`
	Roles    []string `json:"roles"`
	Expiry   int64    `json:"exp"`
	IssuedAt int64    `json:"iat"`
	Active   bool     `json:"active"`
}

// IdentityProvider stands for the OAuth introspection endpoint.
type IdentityProvider struct {
	calls int
}

// Introspect returns the introspection response for a token, as JSON.
func (p *IdentityProvider) Introspect(token string) []byte {
	p.calls++
	h := sha256.Sum256([]byte(token))
	user := binary.BigEndian.Uint32(h[:4]) % 90000
	return fmt.Appendf(nil, `{"active":true,"sub":"user-%06d","tenant":"tenant-%03d","client_id":"mobile-app-%d","scope":["orders:read","orders:write","profile:read","payments:read"],"roles":["customer","beta-tester"],"exp":%d,"iat":%d}`,
		user, user%300, user%4, 1796000000+int64(user), 1796000000-900+int64(user))
}

// TokenCache validates tokens through an expirable LRU.
type TokenCache struct {
	lru *expirable.LRU[string, *Claims]
	idp *IdentityProvider
}

// NewTokenCache builds the cache from the configuration. BUG (the leak):
// with the configuration's zero values, the LRU has no size limit and no
// TTL.
func NewTokenCache(cfg Config, idp *IdentityProvider) *TokenCache {
	return &TokenCache{lru: expirable.NewLRU[string, *Claims](cfg.TokenCacheSize, nil, cfg.TokenCacheTTL), idp: idp}
}

// Validate returns the claims of a token, from the cache or from the
// identity provider.
func (c *TokenCache) Validate(token string) (*Claims, error) {
	if cl, ok := c.lru.Get(token); ok {
		return cl, nil
	}
	cl := &Claims{}
	if err := json.Unmarshal(c.idp.Introspect(token), cl); err != nil {
		return nil, err
	}
	if !cl.Active {
		return nil, fmt.Errorf("token not active")
	}
	c.lru.Add(strings.Clone(token), cl) // the key must not pin the request
	return cl, nil
}

// token returns the access token session s holds at tick t: a new one
// every refreshTicks ticks, sessions refreshing in turn.
func token(s, t int) string {
	gen := (t + 100 + s%refreshTicks) / refreshTicks // warm-up ticks are negative
	var b [32]byte
	binary.BigEndian.PutUint64(b[:8], uint64(s))
	binary.BigEndian.PutUint64(b[8:16], uint64(gen))
	h := sha256.Sum256(b[:])
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// Gateway authenticates requests and forwards them.
type Gateway struct {
	tokens *TokenCache
}

// handle serves one request of session s.
func (g *Gateway) handle(s, tick int) error {
	auth := "Bearer " + token(s, tick)
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		return fmt.Errorf("no bearer token")
	}
	cl, err := g.tokens.Validate(tok)
	if err != nil {
		return err
	}
	// The upstream request: garbage once sent.
	up := make([]byte, 0, 2048)
	up = append(up, "GET /internal/orders?tenant="...)
	up = append(up, cl.Tenant...)
	up = append(up, "&user="...)
	up = append(up, cl.Subject...)
	up = strconv.AppendInt(up, int64(s), 10)
	_ = up
	return nil
}

func main() {
	var cfg Config
	snap.Main(snap.Options{
		Out: "out", Source: "gateway", N: 30, Every: 600 * time.Millisecond,
		SimInterval: 5 * time.Minute, SimStart: time.Date(2026, 12, 6, 7, 0, 0, 0, time.UTC),
		Formats: "proto", GC: true, MemProfileRate: 64 << 10,
	}, func(fs *flag.FlagSet) {
		fs.IntVar(&cfg.TokenCacheSize, "cache-size", 0, "token_cache_size: entries at most (0: unlimited)")
		fs.DurationVar(&cfg.TokenCacheTTL, "cache-ttl", 0, "token_cache_ttl: real time an entry is kept (0: forever)")
	}, func(o *snap.Options) (func(int), error) {
		g := &Gateway{tokens: NewTokenCache(cfg, &IdentityProvider{})}
		tick := func(i int) {
			// Requests arrive through the tick, not in one burst.
			for c := range arrivals {
				for s := c; s < activeSessions; s += arrivals {
					if err := g.handle(s, i); err != nil {
						panic(err)
					}
				}
				time.Sleep(o.Every * 3 / 4 / arrivals)
			}
		}
		// Warm up: every session holds a token before the first snapshot,
		// and (with a TTL) the first ones have expired.
		for w := range refreshTicks + 2 {
			tick(-refreshTicks - 2 + w)
			time.Sleep(o.Every)
		}
		return tick, nil
	})
}

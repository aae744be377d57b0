package profile

import (
	"bytes"
	"context"
	"crypto/sha256"
	"hash/maphash"
	"reflect"
	"regexp"
	"slices"
	"sync"
	"testing"
)

// memCache is a Cache in memory that counts its use.
type memCache struct {
	mu         sync.Mutex
	m          map[string][]byte
	gets, hits int
	puts       int
}

func (c *memCache) Get(key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gets++
	v, ok := c.m[key]
	if ok {
		c.hits++
	}
	return v, ok
}

func (c *memCache) Put(key string, v []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.puts++
	c.m[key] = bytes.Clone(v)
	return nil
}

// canonical returns the loaded snapshots, made comparable with
// reflect.DeepEqual (empty and nil are alike; whether names were interned
// is not content), and the skipped files.
func canonical(l *Loaded) ([]Snapshot, []string) {
	snaps := slices.Clone(l.Snapshots)
	for i := range snaps {
		s := &snaps[i]
		s.internedNames = false
		s.stat, s.sum = fileStat{}, [32]byte{} // which file, not what it holds
		if len(s.Labels) == 0 {
			s.Labels = nil
		}
		if len(s.Notes) == 0 {
			s.Notes = nil
		}
		s.Sites = slices.Clone(s.Sites)
		for j := range s.Sites {
			if len(s.Sites[j].Stack) == 0 {
				s.Sites[j].Stack = nil
			}
		}
	}
	var skipped []string
	for _, sk := range l.Skipped {
		skipped = append(skipped, sk.File+": "+sk.Err.Error())
	}
	return snaps, skipped
}

// TestLoadCache: snapshots read from the cache are the decoded ones, for
// every input format; a corrupt, truncated or foreign entry is decoded
// again and rewritten; options that change the reduction use other keys.
func TestLoadCache(t *testing.T) {
	t.Parallel()
	args := []string{"../testdata/formats", "../testdata/snapshots"}
	load := func(c Cache, sp SitePolicy) *Loaded {
		t.Helper()
		l, err := Load(context.Background(), args, LoadOptions{Decode: DecodeOptions{Sites: sp, Cache: c}})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	same := func(what string, got, want *Loaded) {
		t.Helper()
		g, gs := canonical(got)
		w, ws := canonical(want)
		if !slices.Equal(gs, ws) {
			t.Fatalf("%s: skipped %q, want %q", what, gs, ws)
		}
		if len(g) != len(w) {
			t.Fatalf("%s: %d snapshots, want %d", what, len(g), len(w))
		}
		for i := range g {
			if !reflect.DeepEqual(g[i], w[i]) {
				t.Fatalf("%s: snapshot %s differs from the uncached one:\n%+v\nwant\n%+v", what, w[i].File, g[i], w[i])
			}
		}
	}
	policies := map[string]SitePolicy{
		"default": DefaultSitePolicy(),
		"line":    {Granularity: ByLine, Machinery: DefaultMachinery()},
		"leaf":    {Mode: SiteLeaf, Machinery: DefaultMachinery()},
		"skip": {Machinery: append(DefaultMachinery(),
			RegexpRule("user", "--site-skip ^main\\.", regexp.MustCompile(`^main\.`)))},
	}
	c := &memCache{m: map[string][]byte{}}
	for _, name := range []string{"default", "line", "leaf", "skip"} {
		sp := policies[name]
		want := load(nil, sp)
		puts := c.puts
		same(name+" cold", load(c, sp), want)
		if c.puts-puts != len(want.Snapshots) {
			t.Fatalf("%s: %d entries written for %d snapshots: options of another reduction must not share keys", name, c.puts-puts, len(want.Snapshots))
		}
		hits := c.hits
		same(name+" warm", load(c, sp), want)
		if c.hits-hits != len(want.Snapshots) {
			t.Fatalf("%s warm: %d hits for %d snapshots", name, c.hits-hits, len(want.Snapshots))
		}
	}

	// Damage every entry in turn: truncated, a flipped byte, empty, another
	// entry's value (a snapshot of another file).
	want := load(nil, DefaultSitePolicy())
	var foreign []byte // an entry of another file
	for _, v := range c.m {
		foreign = v
		break
	}
	damages := map[string]func([]byte) []byte{
		"truncated": func(v []byte) []byte { return v[:len(v)/2] },
		"flipped":   func(v []byte) []byte { v = bytes.Clone(v); v[len(v)/2] ^= 0x40; return v },
		"empty":     func([]byte) []byte { return nil },
		"garbage":   func(v []byte) []byte { return bytes.Repeat([]byte{0xff}, len(v)) },
		"foreign":   func([]byte) []byte { return foreign },
	}
	for name, damage := range damages {
		for k, v := range c.m {
			c.m[k] = damage(v)
		}
		same(name, load(c, DefaultSitePolicy()), want)
		same(name+" rewritten", load(c, DefaultSitePolicy()), want)
	}

	// A seeded digest differs between runs: no cache then.
	puts, gets := c.puts, c.gets
	if _, err := Load(context.Background(), args, LoadOptions{Decode: DecodeOptions{Sites: DefaultSitePolicy(), Cache: c, Seed: maphash.MakeSeed()}}); err != nil {
		t.Fatal(err)
	}
	if c.puts != puts || c.gets != gets {
		t.Error("the cache was used with a seeded digest")
	}
}

// TestCacheKey: the key changes with the content, the base name and each
// option of the reduction, and with nothing else.
func TestCacheKey(t *testing.T) {
	t.Parallel()
	base := DecodeOptions{Sites: DefaultSitePolicy(), Cache: &memCache{}}
	key := func(o DecodeOptions, data, file string) string {
		k, ok := o.cacheKey(sha256.Sum256([]byte(data)), file)
		if !ok {
			t.Fatalf("no key for %+v", o)
		}
		return k
	}
	k0 := key(base, "data", "dir/heap-1.pb.gz")
	if k := key(base, "data", "other/heap-1.pb.gz"); k != k0 {
		t.Error("the key depends on the folder")
	}
	o := base
	o.Interner, o.Gate = NewInterner(), &Gate{}
	if k := key(o, "data", "dir/heap-1.pb.gz"); k != k0 {
		t.Error("the key depends on the interner or gate")
	}
	differ := map[string]string{}
	add := func(name string, o DecodeOptions, data, file string) {
		k := key(o, data, file)
		if k == k0 {
			t.Errorf("%s: same key", name)
		}
		if prev, ok := differ[k]; ok {
			t.Errorf("%s: same key as %s", name, prev)
		}
		differ[k] = name
	}
	add("content", base, "datb", "dir/heap-1.pb.gz")
	add("name", base, "data", "dir/goroutineleak-1.pb.gz")
	o = base
	o.MaxBytes = 1 << 20
	add("max bytes", o, "data", "dir/heap-1.pb.gz")
	o = base
	o.Sites.Granularity = ByLine
	add("granularity", o, "data", "dir/heap-1.pb.gz")
	o = base
	o.Sites.Mode = SiteLeaf
	add("mode", o, "data", "dir/heap-1.pb.gz")
	o = base
	o.Sites.Mode, o.Sites.Match = SiteMatch, regexp.MustCompile("a")
	add("match a", o, "data", "dir/heap-1.pb.gz")
	o.Sites.Match = regexp.MustCompile("b")
	add("match b", o, "data", "dir/heap-1.pb.gz")
	o = base
	o.Sites.Machinery = append(DefaultMachinery(), RegexpRule("user", "--site-skip x", regexp.MustCompile("x")))
	add("skip x", o, "data", "dir/heap-1.pb.gz")
	o.Sites.Machinery = append(DefaultMachinery(), RegexpRule("user", "--site-skip y", regexp.MustCompile("y")))
	add("skip y", o, "data", "dir/heap-1.pb.gz")
	o = base
	o.Sites.Machinery = []MachineryRule{{Match: func(string) bool { return true }}}
	if _, ok := o.cacheKey(sha256.Sum256([]byte("data")), "f"); ok {
		t.Error("a machinery rule without an id got a key")
	}
}

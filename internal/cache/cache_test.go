package cache

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func key(i int) string { return strings.Repeat(string("0123456789abcdef"[i%16]), 64) }

func entries(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*", "*.entry"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestDir: a value comes back as written; a torn, corrupt, renamed or
// other build's entry is a miss, and the next Put replaces it.
func TestDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	d, err := Open(dir, Options{Namespace: "build a"})
	if err != nil {
		t.Fatal(err)
	}
	val := []byte("reduced snapshot")
	if err := d.Put(key(1), val); err != nil {
		t.Fatal(err)
	}
	if got, ok := d.Get(key(1)); !ok || !bytes.Equal(got, val) {
		t.Fatalf("Get = %q, %v", got, ok)
	}
	if _, ok := d.Get(key(2)); ok {
		t.Fatal("hit on a key never written")
	}
	if err := d.Put("../../etc/passwd", val); err == nil {
		t.Fatal("a key that is no hex digest was accepted")
	}
	other, _ := Open(dir, Options{Namespace: "build b"})
	if _, ok := other.Get(key(1)); ok {
		t.Fatal("another build's entry was a hit")
	}
	p, _ := d.path(key(1))
	whole, _ := os.ReadFile(p)
	damages := map[string][]byte{
		"torn":    whole[:len(whole)-3],
		"header":  whole[:headerLen-1],
		"empty":   nil,
		"flipped": append(bytes.Clone(whole[:len(whole)-1]), whole[len(whole)-1]^1),
	}
	for name, b := range damages {
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, ok := d.Get(key(1)); ok {
			t.Errorf("%s entry was a hit", name)
		}
		if err := d.Put(key(1), val); err != nil {
			t.Fatal(err)
		}
		if got, ok := d.Get(key(1)); !ok || !bytes.Equal(got, val) {
			t.Errorf("%s entry not rewritten", name)
		}
	}
	// An entry renamed to another key is not that key's value.
	p2, _ := d.path(key(2))
	os.MkdirAll(filepath.Dir(p2), 0o700)
	if err := os.WriteFile(p2, whole, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, ok := d.Get(key(2)); ok {
		t.Error("a renamed entry was a hit")
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*", ".tmp-*")); len(m) > 0 {
		t.Errorf("temporary files left: %q", m)
	}
}

// TestDirPrune: past the bound, the least recently used entries go.
func TestDirPrune(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	val := bytes.Repeat([]byte("x"), 1000)
	size := int64(headerLen + len(val))
	d, err := Open(dir, Options{MaxBytes: 4 * size})
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	for i := range 4 {
		if err := d.Put(key(i), val); err != nil {
			t.Fatal(err)
		}
		p, _ := d.path(key(i))
		at := old.Add(time.Duration(i) * time.Minute)
		os.Chtimes(p, at, at)
	}
	d.Get(key(0)) // used: now the most recent
	for i := 4; i < 6; i++ {
		d.written = d.max // prune on every Put
		if err := d.Put(key(i), val); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(entries(t, dir)); int64(n)*size > 4*size {
		t.Fatalf("%d entries left, over the bound of 4", n)
	}
	if _, ok := d.Get(key(0)); !ok {
		t.Error("the most recently used entry was pruned")
	}
	if _, ok := d.Get(key(1)); ok {
		t.Error("the least recently used entry was kept")
	}
}

// TestForRun: no cache with --no-cache, nor in a test binary unless the
// directory is given; the given directory otherwise.
func TestForRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == EnvDir {
				return v
			}
			return ""
		}
	}
	if f, s := ForRun(true, true, env(dir)); f != nil || s != nil {
		t.Error("a cache with noCache")
	}
	if f, s := ForRun(false, false, env("")); f != nil || s != nil {
		t.Error("a test binary got the user's cache")
	}
	if f, s := ForRun(true, false, env("")); f != nil || s != nil {
		t.Error("a test binary got the user's cache with --cache")
	}
	f, s := ForRun(false, false, env(dir)) // the directory alone asks for both
	if f == nil || s == nil {
		t.Fatal("no cache in the given directory")
	}
	if err := f.Put(key(3), []byte("v")); err != nil {
		t.Fatal(err)
	}
	if len(entries(t, dir)) != 1 {
		t.Error("the entry is not in the given directory")
	}
}

// Package cache is leakdiff's on-disk cache of reduced snapshots (see
// profile.Cache): one file per entry under a directory, by default
// os.UserCacheDir()/leakdiff.
//
// Entries are written whole or not at all (a temporary file renamed into
// place), so readers and other leakdiff processes never see half of one.
// Each starts with a header holding a SHA-256 of the build's namespace,
// the key and the value: an entry that was torn, corrupted, written by
// another build or renamed is a miss, never a value. The directory is
// kept under a size bound by deleting the least recently used entries
// (reading one touches its modification time).
package cache

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leakdiff/leakdiff/profile"
)

// DefaultMaxBytes bounds the directory when Options.MaxBytes is 0: a
// week of a large service's snapshots (2,000 heap and 2,000 goroutine
// profiles of 20,000 stacks reduce to about 1.4 GB).
const DefaultMaxBytes = 2 << 30

// EnvDir names the environment variable that overrides the directory.
const EnvDir = "LEAKDIFF_CACHE_DIR"

// Options tunes Open.
type Options struct {
	// MaxBytes bounds the entries' total size; 0 means DefaultMaxBytes.
	MaxBytes int64
	// Namespace is mixed into every entry's check, so that entries of
	// another build are misses; "" for none.
	Namespace string
}

// Dir is a cache directory. Safe for concurrent use.
type Dir struct {
	root string
	max  int64
	ns   [32]byte

	mu      sync.Mutex
	written int64 // bytes written since the last prune
	pruned  bool  // pruned at least once by this Dir
}

// Open returns the cache in dir, creating it.
func Open(dir string, o Options) (*Dir, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("cache %s: %w", dir, err)
	}
	d := &Dir{root: dir, max: o.MaxBytes, ns: sha256.Sum256([]byte(o.Namespace))}
	if d.max <= 0 {
		d.max = DefaultMaxBytes
	}
	return d, nil
}

// ForRun returns the caches a leakdiff run uses, nil for none. state
// keeps each folder's load state (what was folded, so that a folder
// analysed again reads only its new files): on unless noCache. files keeps
// each file's reduced snapshot: only when asked for (use, --cache) or given
// a directory ($LEAKDIFF_CACHE_DIR, read through getenv), since writing an
// entry per file slows a cold run (see the closing note of issue 19); it
// helps when the state cannot be used (a file of the folder removed or
// changed). Both live in one directory, by default os.UserCacheDir()/
// leakdiff, never touched by a test binary. Entries are in the namespace
// of this build (see BuildID). A directory that cannot be made means no
// cache.
func ForRun(use, noCache bool, getenv func(string) string) (files, state profile.Cache) {
	if noCache {
		return nil, nil
	}
	dir := getenv(EnvDir)
	given := dir != ""
	if dir == "" {
		if testing.Testing() {
			return nil, nil
		}
		ucd, err := os.UserCacheDir()
		if err != nil {
			return nil, nil
		}
		dir = filepath.Join(ucd, "leakdiff")
	}
	d, err := Open(dir, Options{Namespace: BuildID()})
	if err != nil {
		return nil, nil
	}
	if use || given {
		return d, d
	}
	return nil, d
}

// BuildID identifies the running build: its VCS revision when built from
// a clean checkout, else a hash of the executable, so that a rebuilt
// leakdiff never trusts what another build reduced.
func BuildID() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		var rev, modified string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
		if rev != "" && modified == "false" {
			return "rev " + rev + " " + bi.GoVersion
		}
	}
	exe, err := os.Executable()
	if err == nil {
		if f, err := os.Open(exe); err == nil {
			defer f.Close()
			h := sha256.New()
			if _, err := f.WriteTo(h); err == nil {
				return "exe " + hex.EncodeToString(h.Sum(nil))
			}
		}
	}
	return "unknown " + time.Now().String() // no sharing between runs
}

// The entry layout: magic, then SHA-256(namespace ‖ key ‖ value), then the
// value.
const magic = "leakdiff-cache-1"

const headerLen = len(magic) + sha256.Size

func (d *Dir) check(key string, value []byte) [sha256.Size]byte {
	h := sha256.New()
	h.Write(d.ns[:])
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(key)))
	h.Write(n[:])
	h.Write([]byte(key))
	h.Write(value)
	return [sha256.Size]byte(h.Sum(nil))
}

// path is the entry's file: keys are hex digests, spread over 256 folders.
func (d *Dir) path(key string) (string, bool) {
	if len(key) < 8 || strings.Trim(key, "0123456789abcdef") != "" {
		return "", false
	}
	return filepath.Join(d.root, key[:2], key+".entry"), true
}

// Get returns the value stored under key; a missing, torn, corrupt or
// foreign entry is a miss.
func (d *Dir) Get(key string) ([]byte, bool) {
	p, ok := d.path(key)
	if !ok {
		return nil, false
	}
	data, err := os.ReadFile(p)
	if err != nil || len(data) < headerLen || string(data[:len(magic)]) != magic {
		return nil, false
	}
	value := data[headerLen:]
	sum := d.check(key, value)
	if !bytes.Equal(sum[:], data[len(magic):headerLen]) {
		return nil, false
	}
	now := time.Now()
	_ = os.Chtimes(p, now, now) // recently used: pruned last
	return value, true
}

// Put stores value under key, replacing any entry, and prunes the
// directory once enough has been written since the last prune.
func (d *Dir) Put(key string, value []byte) error {
	p, ok := d.path(key)
	if !ok {
		return fmt.Errorf("cache: bad key %q", key)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	defer os.Remove(tmp.Name()) // once renamed, removes nothing
	sum := d.check(key, value)
	_, err = tmp.Write(slices.Concat([]byte(magic), sum[:], value))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), p)
	}
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.written += int64(headerLen + len(value))
	if !d.pruned || d.written > d.max/8 {
		d.pruned, d.written = true, 0
		return d.prune()
	}
	return nil
}

// prune deletes the least recently used entries (and temporary files an
// interrupted run left an hour ago or more) until the entries take at most
// 90% of the bound.
func (d *Dir) prune() error {
	type entry struct {
		path string
		size int64
		mod  time.Time
	}
	var entries []entry
	var total int64
	stale := time.Now().Add(-time.Hour)
	err := filepath.WalkDir(d.root, func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed meanwhile by another run
			}
			return err
		}
		if de.IsDir() {
			return nil
		}
		fi, err := de.Info()
		if err != nil {
			return nil
		}
		name := de.Name()
		switch {
		case strings.HasPrefix(name, ".tmp-"):
			if fi.ModTime().Before(stale) {
				os.Remove(p)
			}
		case strings.HasSuffix(name, ".entry"):
			entries = append(entries, entry{p, fi.Size(), fi.ModTime()})
			total += fi.Size()
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("cache: prune: %w", err)
	}
	if total <= d.max {
		return nil
	}
	slices.SortFunc(entries, func(a, b entry) int {
		if c := a.mod.Compare(b.mod); c != 0 {
			return c
		}
		return strings.Compare(a.path, b.path)
	})
	for _, e := range entries {
		if total <= d.max*9/10 {
			break
		}
		if err := os.Remove(e.path); err == nil || errors.Is(err, fs.ErrNotExist) {
			total -= e.size
		}
	}
	return nil
}

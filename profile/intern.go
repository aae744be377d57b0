package profile

import (
	"hash/maphash"
	"strings"
	"sync"
	"unsafe"
)

// Interner shares stacks and names among the snapshots of one load: the
// same stacks recur in every snapshot of a series, and without sharing,
// 240 heap snapshots of a large service would each hold their own copy of
// thousands of 60-frame stacks. Safe for concurrent use.
type Interner struct {
	mu     sync.Mutex
	salt   uint64
	stacks map[uint64][]Stack
	names  map[string]string
	// normalized caches NormalizeFunction of raw names, interned.
	normalized map[string]string
	// machinery caches SitePolicy.IsMachinery per function name: its
	// regexps would otherwise run for every function of every snapshot.
	machinery map[string]bool
}

// NewInterner returns an empty interner.
func NewInterner() *Interner {
	return &Interner{salt: new(maphash.Hash).Sum64(), stacks: map[uint64][]Stack{}, names: map[string]string{}, machinery: map[string]bool{}, normalized: map[string]string{}}
}

// isMachinery is p.IsMachinery(fn), remembered. All snapshots of one load
// share one policy.
func (in *Interner) isMachinery(p *SitePolicy, fn string) bool {
	if in == nil {
		return p.IsMachinery(fn)
	}
	in.mu.Lock()
	m, ok := in.machinery[fn]
	in.mu.Unlock()
	if !ok {
		m = p.IsMachinery(fn)
		in.mu.Lock()
		in.machinery[strings.Clone(fn)] = m
		in.mu.Unlock()
	}
	return m
}

// stack returns the shared copy of s (equal function names, files and
// lines), adding s when it is new.
func (in *Interner) stack(s Stack) Stack {
	if in == nil || len(s) == 0 {
		return s
	}
	k := in.hash(len(s), func(i int) *Frame { return &s[i] })
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, c := range in.stacks[k] {
		if equalStacks(c, s) {
			return c
		}
	}
	in.stacks[k] = append(in.stacks[k], s)
	return s
}

// stackOf returns the shared stack of n frames given by frame(i), building
// it only when it is new: most stacks of a snapshot were seen before.
func (in *Interner) stackOf(n int, frame func(i int) *Frame) Stack {
	k := in.hash(n, frame)
	in.mu.Lock()
	for _, c := range in.stacks[k] {
		if len(c) == n && func() bool {
			for i := range c {
				if c[i] != *frame(i) {
					return false
				}
			}
			return true
		}() {
			in.mu.Unlock()
			return c
		}
	}
	in.mu.Unlock()
	s := make(Stack, n)
	for i := range s {
		s[i] = *frame(i)
	}
	return in.stack(s)
}

// hash hashes frames by their strings' pointers and lengths and their line:
// names in stacks are interned (the decoders intern them), so equal strings
// share their data.
func (in *Interner) hash(n int, frame func(i int) *Frame) uint64 {
	ptr := func(s string) uint64 {
		if s == "" {
			return 0 // empty strings may point anywhere
		}
		return uint64(uintptr(unsafe.Pointer(unsafe.StringData(s))))
	}
	// A multiply-xor mix of five words per frame; collisions are resolved
	// by comparing the frames.
	h := in.salt
	mix := func(v uint64) {
		h ^= v
		h *= 0x9e3779b97f4a7c15
		h ^= h >> 29
	}
	for i := range n {
		f := frame(i)
		mix(ptr(f.Function))
		mix(uint64(len(f.Function)))
		mix(ptr(f.File))
		mix(uint64(len(f.File)))
		mix(uint64(f.Line))
	}
	return h
}

// name returns the shared copy of a string.
func (in *Interner) name(s string) string {
	if in == nil {
		return strings.Clone(s) // s may point into a decode buffer
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.nameLocked(s)
}

func (in *Interner) nameLocked(s string) string {
	if c, ok := in.names[s]; ok {
		return c
	}
	s = strings.Clone(s) // s may point into a decode buffer
	in.names[s] = s
	return s
}

func equalStacks(a, b Stack) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// sites shares the names, stacks and site names of sites.
func (in *Interner) sites(sv []SiteValue) {
	if in == nil {
		return
	}
	for i := range sv {
		in.mu.Lock()
		for j := range sv[i].Stack {
			f := &sv[i].Stack[j]
			f.Function, f.File = in.nameLocked(f.Function), in.nameLocked(f.File)
		}
		in.mu.Unlock()
		sv[i].Stack = in.stack(sv[i].Stack)
		sv[i].Site.Function = in.name(sv[i].Site.Function)
		sv[i].Site.File = in.name(sv[i].Site.File)
	}
}

// normalize is NormalizeFunction(raw), interned and remembered.
func (in *Interner) normalize(raw string) string {
	if in == nil {
		return strings.Clone(NormalizeFunction(raw))
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if n, ok := in.normalized[raw]; ok {
		return n
	}
	n := in.nameLocked(NormalizeFunction(raw))
	in.normalized[strings.Clone(raw)] = n
	return n
}

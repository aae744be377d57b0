package profile

import (
	"hash/maphash"
	"strings"
	"sync"
)

// Interner shares stacks and names among the snapshots of one load: the
// same stacks recur in every snapshot of a series, and without sharing,
// 240 heap snapshots of a large service would each hold their own copy of
// thousands of 60-frame stacks. Safe for concurrent use.
type Interner struct {
	mu     sync.Mutex
	seed   maphash.Seed
	stacks map[uint64][]Stack
	names  map[string]string
	// machinery caches SitePolicy.IsMachinery per function name: its
	// regexps would otherwise run for every function of every snapshot.
	machinery map[string]bool
}

// NewInterner returns an empty interner.
func NewInterner() *Interner {
	return &Interner{seed: maphash.MakeSeed(), stacks: map[uint64][]Stack{}, names: map[string]string{}, machinery: map[string]bool{}}
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
	var h maphash.Hash
	h.SetSeed(in.seed)
	for _, f := range s {
		h.WriteString(f.Function)
		h.WriteByte(0)
		h.WriteString(f.File)
		h.WriteByte(byte(f.Line))
		h.WriteByte(byte(f.Line >> 8))
		h.WriteByte(byte(f.Line >> 16))
	}
	k := h.Sum64()
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, c := range in.stacks[k] {
		if equalStacks(c, s) {
			return c
		}
	}
	for i := range s {
		s[i].Function = in.nameLocked(s[i].Function)
		s[i].File = in.nameLocked(s[i].File)
	}
	in.stacks[k] = append(in.stacks[k], s)
	return s
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

// intern shares the stacks and site names of sites.
func (in *Interner) sites(sv []SiteValue) {
	if in == nil {
		return
	}
	for i := range sv {
		sv[i].Stack = in.stack(sv[i].Stack)
		sv[i].Site.Function = in.name(sv[i].Site.Function)
		sv[i].Site.File = in.name(sv[i].Site.File)
	}
}

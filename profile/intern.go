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
	mu    sync.Mutex
	salt  uint64
	names map[string]string
	// Stacks, by hash, in shards with their own locks: every decoder
	// looks up each of its sites' stacks.
	shards [64]struct {
		mu     sync.Mutex
		stacks map[uint64][]Stack
	}
	// fns holds, per raw function name, what the lean decoder needs of it:
	// one map lookup per function of every function table.
	fns    map[string]*fnName
	normID map[string]int32
	// byKey holds the stacks read from cache entries, by content key
	// (Stack.contentKey): each distinct stack's frames are read once.
	keyMu sync.Mutex
	byKey map[[2]uint64]Stack
	// keyOf holds the content keys known of shared stacks (by their
	// frames' memory), so that a stack written again is not hashed again.
	keyOf map[stackID][2]uint64
}

type stackID struct {
	first *Frame
	n     int
}

// contentKey is st.contentKey(), hashed once per shared stack.
func (in *Interner) contentKey(st Stack) [2]uint64 {
	if in == nil || len(st) == 0 {
		return st.contentKey()
	}
	id := stackID{&st[0], len(st)}
	in.keyMu.Lock()
	k, ok := in.keyOf[id]
	in.keyMu.Unlock()
	if !ok {
		k = st.contentKey()
		in.noteKey(k, st)
	}
	return k
}

// noteKey records k as the content key of shared stack st.
func (in *Interner) noteKey(k [2]uint64, st Stack) {
	in.keyMu.Lock()
	defer in.keyMu.Unlock()
	in.noteKeyLocked(k, st)
}

func (in *Interner) noteKeyLocked(k [2]uint64, st Stack) {
	if len(st) == 0 {
		return
	}
	if in.keyOf == nil {
		in.keyOf = map[stackID][2]uint64{}
	}
	in.keyOf[stackID{&st[0], len(st)}] = k
}

// stackByKey returns the stack of content key k, if one was kept.
func (in *Interner) stackByKey(k [2]uint64) (Stack, bool) {
	in.keyMu.Lock()
	defer in.keyMu.Unlock()
	st, ok := in.byKey[k]
	return st, ok
}

// keepStackKey keeps st, read and checked against its content key k.
func (in *Interner) keepStackKey(k [2]uint64, st Stack) {
	in.keyMu.Lock()
	defer in.keyMu.Unlock()
	if in.byKey == nil {
		in.byKey = map[[2]uint64]Stack{}
	}
	in.byKey[k] = st
	in.noteKeyLocked(k, st)
}

// fnName is a raw function name's normalised, interned form, its id (one
// per normalised name, shared by the load) and what the site rules say of
// it.
type fnName struct {
	norm  string
	id    int32
	flags uint8
	file  string // the file last seen with it, interned
}

const (
	fnKnown     uint8 = 1 << iota // set in per-decode tables
	fnMachinery                   // SitePolicy.IsMachinery
	fnGoexit                      // runtime.goexit at the root of goroutines
	fnAddress                     // an unsymbolized address
)

// function returns the entry of a raw function name, and file interned.
// One Interner serves one load, so one policy.
func (in *Interner) function(raw, file string, p *SitePolicy) (*fnName, string) {
	in.mu.Lock()
	e := in.fns[raw]
	if e != nil && e.file == file {
		in.mu.Unlock()
		return e, e.file // and so Printable(file) is file
	}
	in.mu.Unlock()
	// What a new name or file needs is worked out unlocked: decoders, and
	// a load state's columns, intern names beside each other.
	file = Printable(file)
	var norm string
	var flags uint8
	if e == nil {
		norm = NormalizeFunction(raw)
		flags = fnKnown
		if p.IsMachinery(norm) {
			flags |= fnMachinery
		}
		if norm == "runtime.goexit" || norm == "runtime.goexit1" {
			flags |= fnGoexit
		}
		if isAddress(norm) {
			flags |= fnAddress
		}
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if e = in.fns[raw]; e == nil { // or made meanwhile
		norm = in.nameLocked(norm)
		id, ok := in.normID[norm]
		if !ok {
			id = int32(len(in.normID))
			in.normID[norm] = id
		}
		e = &fnName{norm: norm, id: id, flags: flags}
		in.fns[strings.Clone(raw)] = e
	}
	if e.file != file {
		e.file = in.nameLocked(file)
	}
	return e, e.file
}

// NewInterner returns an empty interner.
func NewInterner() *Interner {
	return &Interner{salt: new(maphash.Hash).Sum64(), names: map[string]string{}, fns: map[string]*fnName{}, normID: map[string]int32{}}
}

// stack returns the shared copy of s (equal function names, files and
// lines), adding s when it is new.
func (in *Interner) stack(s Stack) Stack {
	if in == nil || len(s) == 0 {
		return s
	}
	h := in.salt
	for i := range s {
		h = mixHash(h, frameHash(&s[i]))
	}
	return in.stackOf(h, len(s), func(i int) *Frame { return &s[i] }, s)
}

// stackOf returns the shared stack of n frames given by frame(i), whose
// hash is h (mixHash of frameHash over the frames, from in.salt). It
// builds the stack only when it is new, unless made is already one: most
// stacks of a snapshot were seen before.
func (in *Interner) stackOf(h uint64, n int, frame func(i int) *Frame, made Stack) Stack {
	sh := &in.shards[h%uint64(len(in.shards))]
	sh.mu.Lock()
	for _, c := range sh.stacks[h] {
		if len(c) == n && func() bool {
			for i := range c {
				if !sameFrame(&c[i], frame(i)) {
					return false
				}
			}
			return true
		}() {
			sh.mu.Unlock()
			return c
		}
	}
	sh.mu.Unlock()
	if made == nil {
		made = make(Stack, n)
		for i := range made {
			made[i] = *frame(i)
		}
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	for _, c := range sh.stacks[h] {
		if equalStacks(c, made) { // added meanwhile
			return c
		}
	}
	if sh.stacks == nil {
		sh.stacks = map[uint64][]Stack{}
	}
	sh.stacks[h] = append(sh.stacks[h], made)
	return made
}

// frameHash hashes a frame by its strings' pointers and lengths and its
// line: names in stacks are interned (the decoders intern them), so equal
// strings share their data. Collisions are resolved by comparing frames.
func frameHash(f *Frame) uint64 {
	ptr := func(s string) uint64 {
		if s == "" {
			return 0 // empty strings may point anywhere
		}
		return uint64(uintptr(unsafe.Pointer(unsafe.StringData(s))))
	}
	h := mixHash(0, ptr(f.Function))
	h = mixHash(h, uint64(len(f.Function)))
	h = mixHash(h, ptr(f.File))
	h = mixHash(h, uint64(len(f.File)))
	return mixHash(h, uint64(f.Line))
}

// mixHash is one multiply-xor step.
func mixHash(h, v uint64) uint64 {
	h ^= v
	h *= 0x9e3779b97f4a7c15
	return h ^ h>>29
}

// sameFrame is a == b, quick when their strings are interned.
func sameFrame(a, b *Frame) bool {
	return a.Line == b.Line && sameString(a.Function, b.Function) && sameString(a.File, b.File)
}

func sameString(a, b string) bool {
	return len(a) == len(b) && (unsafe.StringData(a) == unsafe.StringData(b) || a == b)
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

// nameBytes returns the shared copy of b's string, allocating only when
// it is new.
func (in *Interner) nameBytes(b []byte) string {
	in.mu.Lock()
	defer in.mu.Unlock()
	if c, ok := in.names[string(b)]; ok {
		return c
	}
	s := string(b)
	in.names[s] = s
	return s
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

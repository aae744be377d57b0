package profile

import (
	"math"
	"math/bits"
	"slices"
	"sync"
)

// A fold holds the per-site values of every snapshot a Load read, folded
// into columns as each snapshot is decoded, so that what stays in memory
// grows with the number of sites, not with sites × snapshots of per-site
// structs (LoadOptions.Fold). Each snapshot keeps its header (time, file,
// totals, digest, build, counters) and its slot in its group's columns;
// Align builds the series from the columns.
type fold struct {
	mu     sync.Mutex
	groups map[foldKey]*foldGroup
	// table is the string table of the load state the fold was read
	// from; what it holds unchanged (raw bytes) refers to it, so a state
	// written again starts from it and copies those bytes. stateLen is
	// that state's length.
	table    []string
	stateLen int
}

// foldKey is a snapshot's series group: its source (by SourceKey, known
// before AssignSources names it) and kind.
type foldKey struct {
	source string
	kind   Kind
}

type foldGroup struct {
	idx   map[Site]int32
	sites []*foldSite
	slots int // snapshots folded so far
	// consumed marks the metrics whose series Align built.
	consumed map[int]bool
	// raw is the group as a load state held it, until a snapshot is
	// added (written again as it was: see fold.table); rawLen its length.
	raw    []byte
	rawLen int
}

// foldSite is one site's columns in a group.
type foldSite struct {
	site Site
	// vals[m] holds the site's values of metric m, one per slot (slots
	// are added in order; a column ends at the last slot the site appeared
	// in: later ones read 0).
	vals []packed
	// seen marks the slots the site appeared in.
	seen []uint64
	// stacks are the site's distinct heaviest stacks (interned: usually
	// one or two), each with the slots of its greatest value, so that
	// Align picks among the snapshots it keeps as buildSeries does,
	// without a value per slot and stack.
	stacks []foldStack
	// gors are the slots with goroutine details (goroutine dumps).
	gors []slotGoroutines
	// raw is the site as a load state held it, until it changes.
	raw []byte
	// chosen: stack and gor are picked (by the group's first series) and
	// the columns above dropped.
	chosen bool
	stack  Stack
	gor    *GoroutineInfo
}

type slotGoroutines struct {
	slot int
	info *GoroutineInfo
}

// foldStack is one of a site's heaviest stacks and the slots where it
// weighed most.
type foldStack struct {
	stack Stack
	max   int64
	slot  int      // the slot of max, while it is the only one
	ties  []uint64 // once max is reached again: all its slots, as bits
	// frames is the stack's frames as a load state held them (fold.table).
	frames []byte
}

// addStack records that st was the site's heaviest stack, of value v, in
// slot. Stacks are interned, so the same stack shares its first frame.
func (fs *foldSite) addStack(st Stack, v int64, slot int) {
	i := slices.IndexFunc(fs.stacks, func(o foldStack) bool {
		return len(o.stack) == len(st) && (len(st) == 0 || &o.stack[0] == &st[0])
	})
	if i < 0 {
		fs.stacks = append(fs.stacks, foldStack{stack: st, max: v, slot: slot})
		return
	}
	b := &fs.stacks[i]
	switch {
	case v > b.max:
		b.max, b.slot, b.ties = v, slot, nil
	case v == b.max:
		if b.ties == nil {
			b.ties = setBit(nil, b.slot)
		}
		b.ties = setBit(b.ties, slot)
	}
}

// eachBit calls f with the index of every bit set in words, in order.
func eachBit(words []uint64, f func(i int)) {
	for w, word := range words {
		for ; word != 0; word &= word - 1 {
			f(w*64 + bits.TrailingZeros64(word))
		}
	}
}

func setBit(bits []uint64, i int) []uint64 {
	for len(bits) <= i/64 {
		bits = append(bits, 0)
	}
	bits[i/64] |= 1 << (i % 64)
	return bits
}

// add folds s into its group's columns and drops its per-site values.
func (f *fold) add(s *Snapshot, o *LoadOptions) {
	if s.Kind == KindOther {
		return // set aside whole: never aligned
	}
	k := foldKey{source: SourceKey(s, o), kind: s.Kind}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.groups == nil {
		f.groups = map[foldKey]*foldGroup{}
	}
	g := f.groups[k]
	if g == nil {
		g = &foldGroup{idx: map[Site]int32{}}
		f.groups[k] = g
	}
	slot := g.slots
	g.slots++
	g.raw = nil
	for i := range s.Sites {
		sv := &s.Sites[i]
		j, ok := g.idx[sv.Site]
		if !ok {
			j = int32(len(g.sites))
			g.idx[sv.Site] = j
			g.sites = append(g.sites, &foldSite{site: sv.Site})
		}
		fs := g.sites[j]
		if fs.in(slot) {
			continue // a snapshot's sites are distinct: never happens
		}
		fs.raw = nil
		for len(fs.vals) < len(sv.Values) {
			fs.vals = append(fs.vals, packed{})
		}
		for m, v := range sv.Values {
			fs.vals[m].pad(slot)
			fs.vals[m].add(v)
		}
		fs.seen = setBit(fs.seen, slot)
		fs.addStack(sv.Stack, sv.StackValue, slot)
		if sv.Goroutines != nil {
			fs.gors = append(fs.gors, slotGoroutines{slot, sv.Goroutines})
		}
	}
	s.Sites = nil
	s.fold, s.foldKey, s.foldSlot = f, k, slot
}

func (fs *foldSite) in(slot int) bool {
	return slot/64 < len(fs.seen) && fs.seen[slot/64]&(1<<(slot%64)) != 0
}

// foldedSites fills s.Sites of a series built from folded snapshots g (in
// series order): the sites that appear in any of them, their values of
// metric m, their heaviest stack and goroutine details. Building a series
// consumes its metric's columns (and the first one the stack columns), so
// that a group's columns and its series are not held twice: folded
// snapshots are aligned once.
func foldedSites(s *Series, g []Snapshot, m int) {
	f := g[0].fold
	f.mu.Lock()
	defer f.mu.Unlock()
	grp := f.groups[g[0].foldKey]
	if grp.consumed == nil {
		grp.consumed = map[int]bool{}
	}
	if grp.consumed[m] {
		panic("profile: folded snapshots aligned twice (Align consumes their columns)")
	}
	grp.consumed[m] = true
	pos := make([]int, grp.slots) // slot → index in g, -1 if left out
	for i := range pos {
		pos[i] = -1
	}
	for i := range g {
		pos[g[i].foldSlot] = i
	}
	// Slots in series order (a load state keeps them so) are taken as
	// they are: the same values, packed the same way.
	inOrder := grp.slots == len(g)
	for i := range g {
		inOrder = inOrder && g[i].foldSlot == i
	}
	var bySlot, ordered []int64
	for _, fs := range grp.sites {
		present := false
		for i := range g {
			if fs.in(g[i].foldSlot) {
				present = true
				break
			}
		}
		if !present {
			continue // only in snapshots dedupe left out
		}
		if !fs.chosen {
			fs.choose(pos)
		}
		if inOrder {
			var p packed
			if m < len(fs.vals) {
				p, fs.vals[m] = fs.vals[m], packed{}
			}
			p.pad(len(g))
			p.clip()
			s.Sites = append(s.Sites, SiteSeries{Site: fs.site, Stack: fs.stack, Goroutines: fs.gor, values: p})
			continue
		}
		bySlot = bySlot[:0]
		if m < len(fs.vals) {
			bySlot = fs.vals[m].appendTo(bySlot)
			fs.vals[m] = packed{} // consumed: the series holds the values now
		}
		ordered = ordered[:0]
		for i := range g {
			var v int64
			if sl := g[i].foldSlot; sl < len(bySlot) {
				v = bySlot[sl]
			}
			ordered = append(ordered, v)
		}
		s.Sites = append(s.Sites, SiteSeries{Site: fs.site, Stack: fs.stack, Goroutines: fs.gor, values: packInts(ordered)})
	}
}

// choose picks, as buildSeries does, the heaviest stack (the earliest on a
// tie) and the goroutine details of the last snapshot that has them, among
// the snapshots g kept (pos maps a slot to its index in g, -1 if left
// out); then drops what it chose from. One case differs: a stack whose
// greatest value was only in snapshots Align left out (taken at the same
// moment as another, with other content) is weighed at that value.
func (fs *foldSite) choose(pos []int) {
	best, bestAt := -1, 0
	for i := range fs.stacks {
		b := &fs.stacks[i]
		at := math.MaxInt // where it weighed most first, in series order
		if b.ties == nil {
			if p := pos[b.slot]; p >= 0 {
				at = p
			}
		} else {
			eachBit(b.ties, func(slot int) {
				if p := pos[slot]; p >= 0 {
					at = min(at, p)
				}
			})
		}
		if best < 0 || b.max > fs.stacks[best].max || b.max == fs.stacks[best].max && at < bestAt {
			best, bestAt = i, at
		}
	}
	if best >= 0 {
		fs.stack = fs.stacks[best].stack
	}
	last := -1
	for _, sg := range fs.gors {
		if i := pos[sg.slot]; i > last {
			fs.gor, last = sg.info, i
		}
	}
	fs.chosen = true
	fs.stacks, fs.gors = nil, nil
}

// clone copies what a load state holds of f, so that it can be encoded
// while Align consumes f: each site's columns are copied (Align empties
// them), the rest is shared (Align replaces it, never changes it).
func (f *fold) clone() *fold {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := &fold{groups: make(map[foldKey]*foldGroup, len(f.groups)), table: f.table, stateLen: f.stateLen}
	for k, g := range f.groups {
		cg := &foldGroup{idx: g.idx, slots: g.slots, sites: make([]*foldSite, len(g.sites)), raw: g.raw, rawLen: g.rawLen}
		all := make([]foldSite, len(g.sites))
		for i, fs := range g.sites {
			all[i] = foldSite{site: fs.site, vals: slices.Clone(fs.vals), seen: fs.seen, stacks: fs.stacks, gors: fs.gors, raw: fs.raw}
			cg.sites[i] = &all[i]
		}
		c.groups[k] = cg
	}
	return c
}

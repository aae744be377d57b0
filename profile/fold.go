package profile

import "sync"

// A fold holds the per-site values of every snapshot a Load read, folded
// into columns as each snapshot is decoded, so that what stays in memory
// grows with the number of sites, not with sites × snapshots of per-site
// structs (LoadOptions.Fold). Each snapshot keeps its header (time, file,
// totals, digest, build, counters) and its slot in its group's columns;
// Align builds the series from the columns.
type fold struct {
	mu     sync.Mutex
	groups map[foldKey]*foldGroup
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
}

// foldSite is one site's columns in a group.
type foldSite struct {
	site Site
	// vals[m][slot] is the site's value of metric m in the snapshot of
	// that slot (columns end at the last slot the site appeared in).
	vals []column[int64]
	// seen marks the slots the site appeared in.
	seen []uint64
	// stacks are the site's distinct heaviest stacks (interned: usually
	// one or two); stackIdx and stackVal give each slot's, so that Align
	// picks among the snapshots it keeps exactly as buildSeries does.
	stacks   []Stack
	stackIdx column[uint32]
	stackVal column[int64]
	// gors are the slots with goroutine details (goroutine dumps).
	gors []slotGoroutines
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

// stackIndex is st's index among the site's distinct stacks, added if new.
// Stacks are interned, so the same stack shares its first frame.
func (fs *foldSite) stackIndex(st Stack) uint32 {
	for i, o := range fs.stacks {
		if len(o) == len(st) && (len(st) == 0 || &o[0] == &st[0]) {
			return uint32(i)
		}
	}
	fs.stacks = append(fs.stacks, st)
	return uint32(len(fs.stacks) - 1)
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
	for i := range s.Sites {
		sv := &s.Sites[i]
		j, ok := g.idx[sv.Site]
		if !ok {
			j = int32(len(g.sites))
			g.idx[sv.Site] = j
			g.sites = append(g.sites, &foldSite{site: sv.Site})
		}
		fs := g.sites[j]
		for len(fs.vals) < len(sv.Values) {
			fs.vals = append(fs.vals, column[int64]{})
		}
		for m, v := range sv.Values {
			fs.vals[m].set(slot, v)
		}
		for len(fs.seen) <= slot/64 {
			fs.seen = append(fs.seen, 0)
		}
		fs.seen[slot/64] |= 1 << (slot % 64)
		fs.stackIdx.set(slot, fs.stackIndex(sv.Stack))
		// Kept as the difference from the site's first value, which it
		// equals whenever one stack makes the site: then nothing is stored.
		var v0 int64
		if len(sv.Values) > 0 {
			v0 = sv.Values[0]
		}
		fs.stackVal.set(slot, sv.StackValue-v0)
		if sv.Goroutines != nil {
			fs.gors = append(fs.gors, slotGoroutines{slot, sv.Goroutines})
		}
	}
	s.Sites = nil
	s.fold, s.foldKey, s.foldSlot = f, k, slot
}

// value is the site's value of metric m in a slot.
func (fs *foldSite) value(m, slot int) int64 {
	if m < len(fs.vals) {
		return fs.vals[m].get(slot)
	}
	return 0
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
	var pos map[int]int // slot → index in g
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
			if len(fs.gors) > 0 && pos == nil {
				pos = make(map[int]int, len(g))
				for i := range g {
					pos[g[i].foldSlot] = i
				}
			}
			fs.choose(g, pos)
		}
		ss := SiteSeries{Site: fs.site, Values: make([]int64, len(g)), Stack: fs.stack, Goroutines: fs.gor}
		for i := range g {
			ss.Values[i] = fs.value(m, g[i].foldSlot)
		}
		if m < len(fs.vals) {
			fs.vals[m] = column[int64]{} // consumed: the series holds the values now
		}
		s.Sites = append(s.Sites, ss)
	}
}

// choose picks, as buildSeries does, the heaviest stack (the earliest on a
// tie) and the goroutine details of the last snapshot that has them, among
// the snapshots g kept; then drops the per-slot stack columns. It runs
// while the first metric's column is still there (stackVal is kept
// relative to it).
func (fs *foldSite) choose(g []Snapshot, pos map[int]int) {
	var best int64
	for i := range g {
		slot := g[i].foldSlot
		if !fs.in(slot) {
			continue
		}
		if v := fs.value(0, slot) + fs.stackVal.get(slot); fs.stack == nil || v > best {
			fs.stack, best = fs.stacks[fs.stackIdx.get(slot)], v
		}
	}
	last := -1
	for _, sg := range fs.gors {
		if i, ok := pos[sg.slot]; ok && i > last {
			fs.gor, last = sg.info, i
		}
	}
	fs.chosen = true
	fs.stacks, fs.stackIdx, fs.stackVal, fs.gors = nil, column[uint32]{}, column[int64]{}, nil
}

// chunk is how many slots a column allocates at a time: columns grow by
// whole chunks, never by doubling, and a site absent from a run of
// snapshots costs nothing there.
const chunk = 128

// column is one value per slot, stored in chunks; a slot never set reads 0.
type column[T int64 | uint32] struct {
	chunks []*[chunk]T
}

func (c *column[T]) set(slot int, v T) {
	i := slot / chunk
	for len(c.chunks) <= i {
		c.chunks = append(c.chunks, nil)
	}
	if c.chunks[i] == nil {
		if v == 0 {
			return
		}
		c.chunks[i] = new([chunk]T)
	}
	c.chunks[i][slot%chunk] = v
}

func (c *column[T]) get(slot int) T {
	if i := slot / chunk; i < len(c.chunks) && c.chunks[i] != nil {
		return c.chunks[i][slot%chunk]
	}
	return 0
}

package profile

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"google.golang.org/protobuf/encoding/protowire"
)

// The lean decoder reads a pprof protobuf (profile.proto) straight into
// per-site values, reading only the fields leakdiff uses, without building
// pprof's object graph: on large heap profiles that graph costs most of the
// time and memory. Anything it does not expect makes it give up with
// errLean, and Decode falls back to github.com/google/pprof/profile, which
// also gives the error messages for broken input. TestLeanMatchesPprof
// checks that both paths give identical snapshots on every fixture and
// corpus profile.
//
// Field numbers (profile.proto):
//
//	Profile:  1 sample_type, 2 sample, 3 mapping, 4 location, 5 function,
//	          6 string_table, 9 time_nanos, 11 period_type, 12 period
//	Sample:   1 location_id (packed), 2 value (packed), 3 label
//	Label:    1 key, 2 str, 3 num
//	Mapping:  1 id, 5 filename, 6 build_id
//	Location: 1 id, 2 mapping_id, 3 address, 4 line
//	Line:     1 function_id, 2 line
//	Function: 1 id, 2 name, 3 system_name, 4 filename

var errLean = errors.New("lean decoder: unsupported input")

type leanFunc struct {
	name, file string // normalised name, file as recorded
	nameID     int32  // the Interner's id of name (fnName.id)
}

// leanFrame is a frame and its frameHash, read together by
// idReducer.stack: one cache miss per frame, not two.
type leanFrame struct {
	Frame
	hash uint64
}

// leanLoc is one location: its frame ids are locFrames[start:start+n],
// innermost inlined frame first; n is 0 when it is unsymbolized. Locations
// are values in one pooled slice and their frames share one pooled arena:
// a large heap profile has tens of thousands of them.
type leanLoc struct {
	start, n int32
	addr     uint64
	unsymb   bool // n is 1 for its address frame
	// site is, for idReducer.quickSite, the first frame that is not
	// machinery, siteNone when all are, siteSlow when the full path must
	// decide.
	site int32
}

const (
	siteNone   = -1
	siteSlow   = -2
	siteAbsent = -3 // in locSite only
)

// leanProfile holds one decoded protobuf's tables.
type leanProfile struct {
	strs      []string
	types     []valueType
	nsamples  int
	timeNanos int64
	binary    string
	buildID   string
	funcs     *idTable[leanFunc]
	locs      *idTable[int32] // id → index in locArr
	locArr    []leanLoc
	locFrames []int32
	// Per location id, when the ids are dense: its leanLoc.site
	// (siteAbsent when there is no such location) and its frame when it
	// has exactly one, -2-i when it has more (i its index in locArr), else
	// -1. The per-sample loops read these compact tables, not locArr.
	locSite, locFrame []int32
	in                *Interner
	policy            *SitePolicy
	// The frame table: every distinct (function, file, line) once, with
	// its name's id; flags holds, per name id used in this decode, its
	// fnName flags.
	frames    []leanFrame
	frameName []int32
	flags     []uint8

	// Scratch kept between decodes (leanPool).
	rawTypes, rawMappings, rawLocs, rawFuncs [][]byte
	siteAt                                   []*idSiteAcc
	idArena                                  []int32 // idSiteAcc.best
	funcTable                                idTable[leanFunc]
	locTable                                 idTable[int32]
}

// leanPool recycles decode tables: a day of large snapshots would otherwise
// allocate and collect gigabytes of them.
var leanPool = sync.Pool{New: func() any { return &leanProfile{} }}

func (lp *leanProfile) reset(in *Interner, sp *SitePolicy) {
	lp.in, lp.policy = in, sp
	lp.strs, lp.types, lp.nsamples = lp.strs[:0], lp.types[:0], 0
	lp.timeNanos, lp.binary, lp.buildID = 0, "", ""
	lp.frames, lp.frameName = lp.frames[:0], lp.frameName[:0]
	clear(lp.flags)
	lp.locArr, lp.locFrames = lp.locArr[:0], lp.locFrames[:0]
	lp.funcs, lp.locs = nil, nil
	clear(lp.siteAt) // drop the last decode's accumulators
	lp.idArena = lp.idArena[:0]
}

// unsafeString views b as a string without copying.
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// idTable maps protobuf ids to values: a slice when the ids are dense, as
// every writer we know makes them (1…n), else a map.
type idTable[T any] struct {
	dense []T
	ok    []bool
	m     map[uint64]T
}

// reset empties t for ids up to n, reusing its slices.
func (t *idTable[T]) reset(n int) *idTable[T] {
	t.dense = append(t.dense[:0], make([]T, n+1)...)
	t.ok = append(t.ok[:0], make([]bool, n+1)...)
	t.m = nil
	return t
}

// put sets id's value; it reports false, setting nothing, when id has one
// already: pprof refuses a profile with a duplicate id, and so do we.
func (t *idTable[T]) put(id uint64, v T) bool {
	if id < uint64(len(t.dense)) {
		if t.ok[id] {
			return false
		}
		t.dense[id], t.ok[id] = v, true
		return true
	}
	if t.m == nil {
		t.m = map[uint64]T{}
	}
	if _, ok := t.m[id]; ok {
		return false
	}
	t.m[id] = v
	return true
}

func (t *idTable[T]) get(id uint64) (T, bool) {
	if id < uint64(len(t.dense)) {
		return t.dense[id], t.ok[id]
	}
	v, ok := t.m[id]
	return v, ok
}

// function returns what the function table needs of a raw function name
// and its file, noting the name's id for this decode.
func (lp *leanProfile) function(raw, file string) leanFunc {
	e, file := lp.in.function(raw, file, lp.policy)
	if int(e.id) >= len(lp.flags) {
		n := max(int(e.id)+1, 2*len(lp.flags))
		lp.flags = append(lp.flags, make([]uint8, n-len(lp.flags))...)
	}
	lp.flags[e.id] = e.flags
	return leanFunc{name: e.norm, file: file, nameID: e.id}
}

// frame returns the id of a frame, adding it to the table; nameID is the
// id of f.Function (leanFunc.nameID).
func (lp *leanProfile) frame(f Frame, nameID int32) int32 {
	lp.frames = append(lp.frames, leanFrame{f, frameHash(&f)})
	lp.frameName = append(lp.frameName, nameID)
	return int32(len(lp.frames) - 1)
}

func decodeLean(data []byte, sp *SitePolicy, in *Interner) (*Snapshot, error) {
	interned := in != nil
	if in == nil {
		in = NewInterner()
	}
	lp, err := leanTables(data, in, sp)
	if lp != nil {
		defer leanPool.Put(lp) // nothing returned refers to its tables
	}
	if err != nil {
		return nil, err
	}
	s := &Snapshot{Format: FormatProto, Cumulative: -1, internedNames: interned}
	if lp.timeNanos > 0 {
		s.Time = time.Unix(0, lp.timeNanos).UTC()
		s.TimeFrom = TimeFromProfileData
	}
	s.Binary = lp.binary
	idx := classify(lp.types, s)
	if lp.nsamples == 0 {
		s.Notes = append(s.Notes, "no samples")
	}
	if s.Kind == KindOther {
		s.Totals = nil
		return s, nil
	}
	r := newReducer(sp, len(idx)) // for the labels
	cumIdx := -1
	for i, t := range lp.types {
		if t.Type == "alloc_objects" {
			cumIdx = i
			break
		}
	}
	var (
		locIDs     []uint64
		values     []int64
		vals       = make([]int64, len(idx))
		ids        []int32
		negative   bool
		cumulative int64
	)
	ir := newIDReducer(lp, sp, len(idx), in)
	// The quick path (idReducer.quickSite) needs dense location ids and
	// sites chosen by the machinery rules.
	quick := sp.Mode == SiteAuto && lp.locs.m == nil && len(idx) > 0
	for rest := data; ; {
		var sm []byte
		if sm, rest = nextSample(rest); rest == nil {
			break
		}
		locIDs, values = locIDs[:0], values[:0]
		// locRaw holds the packed location ids while the sample has one
		// packed field for them (every writer we know); otherwise they are
		// all in locIDs.
		var locRaw []byte
		packed := true
		type label struct{ key, str int64 }
		var labels []label
		for len(sm) > 0 {
			// One-byte tags (fields 1 to 15) inline: the compiler will
			// not inline a helper for them.
			num, typ, n := protowire.Number(sm[0]>>3), protowire.Type(sm[0]&7), 1
			if sm[0]-8 >= 0x78 {
				num, typ, n = protowire.ConsumeTag(sm)
			}
			if n < 0 {
				return nil, errLean
			}
			sm = sm[n:]
			switch {
			case num == 1 && typ == protowire.BytesType && packed && locRaw == nil:
				if locRaw, n = protowire.ConsumeBytes(sm); n < 0 {
					return nil, errLean
				}
				sm = sm[n:]
			case num == 1 && (typ == protowire.BytesType || typ == protowire.VarintType):
				if packed {
					packed = false
					var ok bool
					if locIDs, ok = appendPacked(locIDs, locRaw); !ok {
						return nil, errLean
					}
					locRaw = nil
				}
				if locIDs, n = appendVarints(locIDs, sm, typ); n < 0 {
					return nil, errLean
				}
				sm = sm[n:]
			case num == 2 && (typ == protowire.BytesType || typ == protowire.VarintType):
				if values, n = appendVarints(values, sm, typ); n < 0 {
					return nil, errLean
				}
				sm = sm[n:]
			case num == 3 && typ == protowire.BytesType:
				b, n := protowire.ConsumeBytes(sm)
				if n < 0 {
					return nil, errLean
				}
				sm = sm[n:]
				var l label
				for len(b) > 0 {
					f, t, m := protowire.ConsumeTag(b)
					if m < 0 {
						return nil, errLean
					}
					b = b[m:]
					if t != protowire.VarintType {
						if m = protowire.ConsumeFieldValue(f, t, b); m < 0 {
							return nil, errLean
						}
						b = b[m:]
						continue
					}
					v, m := protowire.ConsumeVarint(b)
					if m < 0 {
						return nil, errLean
					}
					b = b[m:]
					switch f {
					case 1:
						l.key = int64(v)
					case 2:
						l.str = int64(v)
					}
				}
				labels = append(labels, l)
			default:
				m := protowire.ConsumeFieldValue(num, typ, sm)
				if m < 0 {
					return nil, errLean
				}
				sm = sm[m:]
			}
		}
		if len(values) != len(lp.types) {
			return nil, errLean // pprof reports this as malformed
		}
		allZero := true
		for i, j := range idx {
			vals[i] = values[j]
			if vals[i] < 0 {
				negative = true
			}
			if vals[i] != 0 {
				allZero = false
			}
		}
		if cumIdx >= 0 {
			addSat(&cumulative, values[cumIdx], &ir.saturated)
		}
		if allZero {
			// pprof checks every sample's location ids: so do we.
			if packed && !validLocIDs(lp, locRaw) {
				return nil, errLean
			}
			for _, id := range locIDs {
				if _, ok := lp.locs.get(id); !ok {
					return nil, errLean
				}
			}
			continue
		}
		var seen map[int64]bool
		if len(labels) > 0 {
			seen = map[int64]bool{}
		}
		for _, l := range labels {
			if seen[l.key] || l.str == 0 {
				continue // pprof keeps the first string value of a key
			}
			seen[l.key] = true
			k, ok1 := lp.str(l.key)
			v, ok2 := lp.str(l.str)
			if !ok1 || !ok2 {
				return nil, errLean
			}
			r.addLabel(strings.Clone(k), strings.Clone(v)) // kept beyond the decode
		}
		if quick && packed {
			// Most samples of a large profile do not outweigh their
			// site's heaviest sample: only their values count. A
			// heavier one, or a site's first, is kept as its packed
			// ids, turned into frames only if it is still the heaviest
			// at the end. Ties compare stacks: the full path.
			acc := ir.quickSite(locRaw)
			if ir.err != nil {
				return nil, ir.err
			}
			if acc != nil && (!acc.seen || vals[0] != acc.value) {
				for i, v := range vals {
					addSat(&acc.values[i], v, &ir.saturated)
				}
				if !acc.seen || vals[0] > acc.value {
					acc.raw, acc.value, acc.seen = locRaw, vals[0], true
				}
				continue
			}
		}
		var ok bool
		if packed {
			ids, ok = lp.expandPacked(ids[:0], locRaw)
		} else {
			ids, ok = lp.expand(ids[:0], locIDs)
		}
		if !ok {
			return nil, errLean
		}
		if ir.add(ids, vals); ir.err != nil {
			return nil, ir.err
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	if s.Sites, s.Totals, err = ir.finish(len(data)); err != nil {
		return nil, err
	}
	s.Labels = r.dominantLabels()
	if cumIdx >= 0 {
		s.Cumulative = cumulative
	}
	used, unsymb := len(lp.locArr), 0
	for i := range lp.locArr {
		if l := &lp.locArr[i]; l.n == 0 || l.unsymb {
			unsymb++
		}
	}
	if unsymb > 0 && unsymb*2 >= used {
		s.Notes = append(s.Notes, fmt.Sprintf("%d of %d locations have no function name: their sites are addresses, which line up only across snapshots of the same binary", unsymb, used))
	}
	if ir.saturated > 0 {
		s.Notes = append(s.Notes, saturationNote(ir.saturated))
	}
	if negative {
		s.Notes = append(s.Notes, "negative values: this looks like a diff of two profiles, not a snapshot")
	}
	return s, nil
}

func (lp *leanProfile) str(i int64) (string, bool) {
	if i < 0 || i >= int64(len(lp.strs)) {
		return "", false
	}
	return lp.strs[i], true
}

// leanBudget is what the stacks kept from content of n bytes may hold:
// real profiles keep a fraction of it.
func leanBudget(n int) int { return 16<<20 + n }

// entryCaps are the most functions, locations, mappings and strings (by
// field number) a Profile may hold: each function costs about a KiB to
// decode (its interned name, frames), each location or string tens of
// bytes, and a hostile profile of millions of them would take gigabytes.
// The largest real profiles we know have 23,000 functions; the caps at the
// default size limit are 131,072 functions and mappings, twice that many
// locations and eight times that many strings.
func entryCaps(sp *SitePolicy) [7]int {
	c := sp.siteCap()
	return [7]int{3: c, 4: 2 * c, 5: c, 6: 8 * c}
}

var entryNames = [7]string{3: "mappings", 4: "locations", 5: "functions", 6: "strings"}

// overBudget refuses content whose stacks would hold more than
// leanBudget: no profiler writes stacks that long over that many sites.
func overBudget(size int, what string, held int) error {
	return fmt.Errorf("%w: %s would take over %d MiB to hold, for %d MiB of content (no profiler writes entries this small): refused", ErrTooLarge, what, held>>20, size>>20)
}

// nextSample returns the next sample's bytes in the top-level fields b and
// what follows it; rest is nil when there is none. leanTables checked the
// fields.
func nextSample(b []byte) (sample, rest []byte) {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, nil
		}
		b = b[n:]
		if typ != protowire.BytesType {
			if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
				return nil, nil
			}
			b = b[n:]
			continue
		}
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return nil, nil
		}
		if b = b[n:]; num == 2 {
			if b == nil {
				b = []byte{}
			}
			return v, b
		}
	}
	return nil, nil
}

// leanTables reads the top-level fields, then the function, mapping and
// location tables, which the samples refer to by id.
func leanTables(data []byte, in *Interner, sp *SitePolicy) (*leanProfile, error) {
	lp := leanPool.Get().(*leanProfile)
	lp.reset(in, sp)
	types, mappings, locs, funcs := lp.rawTypes[:0], lp.rawMappings[:0], lp.rawLocs[:0], lp.rawFuncs[:0]
	defer func() { lp.rawTypes, lp.rawMappings, lp.rawLocs, lp.rawFuncs = types, mappings, locs, funcs }()
	// One walk reads the top-level fields and counts the entries: none is
	// held past its cap (entryCaps) and none is processed before all are
	// counted and the whole buffer is known to be well formed.
	var count [7]int
	caps := entryCaps(sp)
	for b := data; len(b) > 0; {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, errLean
		}
		b = b[n:]
		if typ == protowire.BytesType {
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return nil, errLean
			}
			b = b[n:]
			if num > 6 {
				continue
			}
			if count[num]++; count[num] > caps[num] && num >= 3 {
				continue // refused after the walk
			}
			switch num {
			case 1:
				types = append(types, v)
			case 2:
				lp.nsamples++ // read again by nextSample: holding them costs 24 bytes each
			case 3:
				mappings = append(mappings, v)
			case 4:
				locs = append(locs, v)
			case 5:
				funcs = append(funcs, v)
			case 6:
				// Zero-copy: these strings point into data and must not
				// outlive the decode; what is kept is cloned or interned.
				lp.strs = append(lp.strs, unsafeString(v))
			}
			continue
		}
		if num == 9 && typ == protowire.VarintType {
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return nil, errLean
			}
			b = b[n:]
			lp.timeNanos = int64(v)
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return nil, errLean
		}
		b = b[n:]
	}
	for num := 3; num <= 6; num++ {
		if count[num] > caps[num] {
			return nil, tooManySites(entryNames[num], caps[num])
		}
	}
	if len(lp.strs) == 0 || lp.strs[0] != "" {
		return nil, errLean // pprof requires an empty first string
	}
	for _, t := range types {
		f, err := varintFields(t)
		if err != nil {
			return nil, err
		}
		ty, ok1 := lp.str(int64(f[1]))
		un, ok2 := lp.str(int64(f[2]))
		if !ok1 || !ok2 {
			return nil, errLean
		}
		lp.types = append(lp.types, valueType{strings.Clone(ty), strings.Clone(un)})
	}
	for _, m := range mappings {
		f, err := varintFields(m)
		if err != nil {
			return nil, err
		}
		build, _ := lp.str(int64(f[6]))
		file, _ := lp.str(int64(f[5]))
		if build != "" || file != "" {
			lp.buildID = strings.Clone(build)
			lp.binary = lp.buildID
			if lp.binary == "" {
				lp.binary = strings.Clone(file)
			}
			break
		}
	}
	lp.funcs = lp.funcTable.reset(len(funcs))
	for _, fb := range funcs {
		f, err := varintFields(fb)
		if err != nil {
			return nil, err
		}
		name, ok1 := lp.str(int64(f[2]))
		sys, ok2 := lp.str(int64(f[3]))
		file, ok3 := lp.str(int64(f[4]))
		if !ok1 || !ok2 || !ok3 {
			return nil, errLean
		}
		if name == "" {
			name = sys
		}
		if !lp.funcs.put(f[1], lp.function(name, file)) {
			return nil, fmt.Errorf("malformed profile: duplicate function id %d", f[1])
		}
	}
	lp.locs = lp.locTable.reset(len(locs))
	// Sized once from the counts: grown by append, the tables of a
	// process's first decode (all a load that reads one new file does)
	// were a quarter of it.
	if n := len(locs); cap(lp.locArr) < n {
		lp.locArr = make([]leanLoc, 0, n)
	}
	if n := len(locs) + len(locs)/4; cap(lp.frames) < n {
		lp.frames = make([]leanFrame, 0, n)
		lp.frameName = make([]int32, 0, n)
		lp.locFrames = make([]int32, 0, n)
	}
	for _, lb := range locs {
		l := leanLoc{start: int32(len(lp.locFrames))}
		var id uint64
		for b := lb; len(b) > 0; {
			num, typ, n := protowire.Number(b[0]>>3), protowire.Type(b[0]&7), 1
			if b[0]-8 >= 0x78 { // not a one-byte tag
				num, typ, n = protowire.ConsumeTag(b)
			}
			if n < 0 {
				return nil, errLean
			}
			b = b[n:]
			switch {
			case num == 4 && typ == protowire.BytesType:
				v, n := protowire.ConsumeBytes(b)
				if n < 0 {
					return nil, errLean
				}
				b = b[n:]
				lf, err := lineFields(v)
				if err != nil {
					return nil, err
				}
				fn, ok := lp.funcs.get(lf[1])
				if !ok {
					if lf[1] != 0 {
						return nil, errLean
					}
					continue // a line without a function: pprof skips it too
				}
				lp.locFrames = append(lp.locFrames, lp.frame(Frame{Function: fn.name, File: fn.file, Line: int(int64(lf[2]))}, fn.nameID))
				l.n++
			case typ == protowire.VarintType:
				v, n := protowire.ConsumeVarint(b)
				if n < 0 {
					return nil, errLean
				}
				b = b[n:]
				switch num {
				case 1:
					id = v
				case 3:
					l.addr = v
				}
			default:
				n = protowire.ConsumeFieldValue(num, typ, b)
				if n < 0 {
					return nil, errLean
				}
				b = b[n:]
			}
		}
		if id == 0 {
			return nil, errLean
		}
		l.site = siteSlow
		if l.n == 0 {
			l.start = 0
		} else {
			l.site = lp.siteFrame(lp.locFrames[l.start : l.start+l.n])
		}
		if !lp.locs.put(id, int32(len(lp.locArr))) {
			return nil, fmt.Errorf("malformed profile: duplicate location id %d", id)
		}
		lp.locArr = append(lp.locArr, l)
	}
	lp.locSite, lp.locFrame = lp.locSite[:0], lp.locFrame[:0]
	if lp.locs.m == nil {
		for id, i := range lp.locs.dense {
			site, frame := int32(siteAbsent), int32(-1)
			if lp.locs.ok[id] {
				l := &lp.locArr[i]
				site = l.site
				switch {
				case l.n == 1:
					frame = lp.locFrames[l.start]
				case l.n > 1:
					frame = -2 - i
				}
			}
			lp.locSite, lp.locFrame = append(lp.locSite, site), append(lp.locFrame, frame)
		}
	}
	return lp, nil
}

// appendVarints appends the values of a repeated varint field, packed
// (typ BytesType) or not, to dst; n is how many bytes of b it used, negative
// when they are malformed.
func appendVarints[T uint64 | int64](dst []T, b []byte, typ protowire.Type) ([]T, int) {
	if typ == protowire.VarintType {
		v, n := protowire.ConsumeVarint(b)
		if n < 0 {
			return dst, n
		}
		return append(dst, T(v)), n
	}
	p, n := protowire.ConsumeBytes(b)
	if n < 0 {
		return dst, n
	}
	for len(p) > 0 {
		v, m := varint(p)
		if m < 0 {
			return dst, m
		}
		dst = append(dst, T(v))
		p = p[m:]
	}
	return dst, n
}

// appendPacked appends packed varints p to dst; false when malformed.
func appendPacked(dst []uint64, p []byte) ([]uint64, bool) {
	for len(p) > 0 {
		var v uint64
		var m int
		switch {
		case p[0] < 0x80:
			v, m = uint64(p[0]), 1
		case len(p) > 1 && p[1] < 0x80:
			v, m = uint64(p[0]&0x7f)|uint64(p[1])<<7, 2
		default:
			if v, m = varint(p); m < 0 {
				return dst, false
			}
		}
		dst = append(dst, v)
		p = p[m:]
	}
	return dst, true
}

// validLocIDs reports whether packed location ids p are well formed and
// all in the location table.
func validLocIDs(lp *leanProfile, p []byte) bool {
	for len(p) > 0 {
		id, m := varint(p)
		if m < 0 {
			return false
		}
		if _, ok := lp.locs.get(id); !ok {
			return false
		}
		p = p[m:]
	}
	return true
}

// lineFields is varintFields for a Line, with its usual encoding (function
// id, then line, each a short varint) read inline.
func lineFields(b []byte) ([8]uint64, error) {
	if len(b) >= 4 && b[0] == 0x08 && b[1] < 0x80 && b[2] == 0x10 && b[3] < 0x80 && len(b) == 4 {
		return [8]uint64{1: uint64(b[1]), 2: uint64(b[3])}, nil
	}
	if len(b) >= 5 && b[0] == 0x08 && b[1] >= 0x80 && b[2] < 0x80 && b[3] == 0x10 {
		fn := uint64(b[1]&0x7f) | uint64(b[2])<<7
		switch {
		case len(b) == 5 && b[4] < 0x80:
			return [8]uint64{1: fn, 2: uint64(b[4])}, nil
		case len(b) == 6 && b[4] >= 0x80 && b[5] < 0x80:
			return [8]uint64{1: fn, 2: uint64(b[4]&0x7f) | uint64(b[5])<<7}, nil
		}
	}
	return varintFields(b)
}

// varintFields reads a message of varint fields numbered 1 to 7 (ValueType,
// Mapping, Function, Line), skipping others; f[n] is field n.
func varintFields(b []byte) ([8]uint64, error) {
	var f [8]uint64
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return f, errLean
		}
		b = b[n:]
		if typ == protowire.VarintType && num < 8 {
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return f, errLean
			}
			f[num] = v
			b = b[n:]
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return f, errLean
		}
		b = b[n:]
	}
	return f, nil
}

// idReducer is the reducer of the lean path: stacks are frame ids, keyed by
// their interned function names, and turned into Stack values only for the
// heaviest stack of each site. It gives what reducer gives for the same
// samples (TestLeanMatchesPprof).
type idReducer struct {
	err       error // the first sample past the site cap
	saturated int   // sums held at the int64 bounds (addSat)
	lp        *leanProfile
	in        *Interner
	// siteAt holds, per site key (siteKey), the site a stack whose site
	// frame has that key belongs to.
	siteAt []*idSiteAcc
	byName bool // sites are function names: keyed by name id, not frame id
	policy *SitePolicy
	nvals  int
	// sites holds the sites siteAt does not key by name: every one at
	// line granularity, and those of address-only and empty stacks.
	sites    map[Site]*idSiteAcc
	accs     []*idSiteAcc // every site, in the order made
	accChunk []idSiteAcc
	valChunk []int64
	siteBuf  Stack
}

type idSiteAcc struct {
	site   Site
	values []int64
	best   []int32 // the heaviest sample's frame ids, unless raw is set
	raw    []byte  // or its packed location ids (set by the quick path)
	value  int64   // its value
	seen   bool
}

func newIDReducer(lp *leanProfile, sp *SitePolicy, nvals int, in *Interner) *idReducer {
	// At function granularity a site is its frame's function name, and
	// keying sites by name id sends every frame of one function to the
	// same site without a map lookup.
	byName := sp.Granularity != ByLine
	n := len(lp.frames)
	if byName {
		n = len(lp.flags) // past every name id of this decode
	}
	// siteAt is sized once: grown entry by entry it was most of a
	// series' allocations.
	lp.siteAt = append(lp.siteAt[:0], make([]*idSiteAcc, n)...)
	return &idReducer{lp: lp, in: in, policy: sp, nvals: nvals, sites: map[Site]*idSiteAcc{}, siteAt: lp.siteAt, byName: byName}
}

// siteKey is the key in siteAt of the site whose site frame is frame id f.
func (ir *idReducer) siteKey(f int32) int32 {
	if ir.byName {
		return ir.lp.frameName[f]
	}
	return f
}

// siteFor returns the site whose site frame is frame id f, making it if
// new; nil, setting ir.err, past the site cap.
func (ir *idReducer) siteFor(f int32) *idSiteAcc {
	k := ir.siteKey(f)
	if n := int(k) + 1; n > len(ir.siteAt) { // an address frame made since
		ir.siteAt = append(ir.siteAt, make([]*idSiteAcc, n-len(ir.siteAt))...)
		ir.lp.siteAt = ir.siteAt
	}
	if acc := ir.siteAt[k]; acc != nil {
		return acc
	}
	fr := &ir.lp.frames[f]
	site := Site{Function: fr.Function}
	var acc *idSiteAcc
	if ir.byName {
		if len(ir.sites) > 0 {
			acc = ir.sites[site] // an address site of the same name
		}
		if acc == nil {
			acc = ir.newSite(site)
		}
	} else {
		site.File = NormalizeFile(fr.File)
		site.Line = fr.Line
		acc = ir.siteOf(site)
	}
	ir.siteAt[k] = acc
	return acc
}

// siteOf returns the site of a stack without a site frame (empty or only
// addresses) or, at line granularity, of any stack, making it if new; nil,
// setting ir.err, past the site cap.
func (ir *idReducer) siteOf(site Site) *idSiteAcc {
	if acc := ir.sites[site]; acc != nil {
		return acc
	}
	if ir.byName {
		// A function of this very name may have its site keyed by name.
		ir.in.mu.Lock()
		id, ok := ir.in.normID[site.Function]
		ir.in.mu.Unlock()
		if ok && int(id) < len(ir.siteAt) && ir.siteAt[id] != nil {
			ir.sites[site] = ir.siteAt[id]
			return ir.siteAt[id]
		}
	}
	acc := ir.newSite(site)
	if acc != nil {
		ir.sites[site] = acc
	}
	return acc
}

func (ir *idReducer) newSite(site Site) *idSiteAcc {
	if len(ir.accs) >= ir.policy.siteCap() {
		ir.err = tooManySites("sites", ir.policy.siteCap())
		return nil
	}
	// Sites and their values come in chunks: one allocation each per
	// site was most of a decode's.
	if len(ir.accChunk) == 0 {
		n := min(256, max(16, 2*len(ir.accs)))
		ir.accChunk, ir.valChunk = make([]idSiteAcc, n), make([]int64, n*ir.nvals)
	}
	acc := &ir.accChunk[0]
	acc.site, acc.values = site, ir.valChunk[:ir.nvals:ir.nvals]
	ir.accChunk, ir.valChunk = ir.accChunk[1:], ir.valChunk[ir.nvals:]
	ir.accs = append(ir.accs, acc)
	return acc
}

// has reports whether the name of frame id has flag.
func (lp *leanProfile) has(id int32, flag uint8) bool {
	return lp.flags[lp.frameName[id]]&flag != 0
}

// siteIndex mirrors reducer.siteIndex on frame ids.
func (ir *idReducer) siteIndex(ids []int32) int {
	lp := ir.lp
	if ir.policy.Mode != SiteAuto {
		ir.siteBuf = ir.siteBuf[:0]
		for _, id := range ids {
			ir.siteBuf = append(ir.siteBuf, lp.frames[id].Frame)
		}
		return ir.policy.SiteIndex(ir.siteBuf)
	}
	if len(ids) == 0 {
		return -1
	}
	for i, id := range ids {
		if !lp.has(id, fnMachinery) {
			return i
		}
	}
	for i := len(ids) - 1; i >= 0; i-- {
		if !lp.has(ids[i], fnAddress) {
			return i
		}
	}
	return -1
}

// quickSite returns the site of a sample whose packed location ids are p,
// without building its stack: it walks frames only up to the site frame
// and then just checks the remaining ids. It returns nil, sending the
// sample down the full path, when a frame needs more than the machinery
// rules (an address, a runtime.goexit), when none is a site or when an id
// is bad; nil with ir.err set past the site cap. Needs dense ids and
// SiteAuto.
func (ir *idReducer) quickSite(p []byte) *idSiteAcc {
	sites := ir.lp.locSite
	site := int32(siteNone)
	for len(p) > 0 {
		var id uint64
		var m int
		switch {
		case p[0] < 0x80:
			id, m = uint64(p[0]), 1
		case len(p) > 1 && p[1] < 0x80:
			id, m = uint64(p[0]&0x7f)|uint64(p[1])<<7, 2
		default:
			id, m = varint(p)
		}
		if m < 0 || id >= uint64(len(sites)) || sites[id] == siteAbsent {
			return nil
		}
		p = p[m:]
		if site != siteNone {
			continue
		}
		switch f := sites[id]; {
		case f == siteSlow:
			return nil
		case f >= 0:
			site = f
		}
	}
	if site < 0 {
		return nil
	}
	return ir.siteFor(site)
}

// siteFrame is leanLoc.site for a location's frames.
func (lp *leanProfile) siteFrame(frames []int32) int32 {
	for _, f := range frames {
		if fl := lp.flags[lp.frameName[f]]; fl&fnGoexit != 0 {
			return siteSlow
		} else if fl&fnMachinery == 0 {
			return f
		}
	}
	return siteNone
}

// expand appends the frame ids of locations locIDs to dst, leaf first;
// false for an unknown location.
func (lp *leanProfile) expand(dst []int32, locIDs []uint64) ([]int32, bool) {
	for _, id := range locIDs {
		var ok bool
		if dst, ok = lp.expandLoc(dst, id); !ok {
			return dst, false
		}
	}
	return dst, true
}

// expandPacked is expand for packed location ids p; false also when they
// are malformed.
func (lp *leanProfile) expandPacked(dst []int32, p []byte) ([]int32, bool) {
	single := lp.locFrame
	for len(p) > 0 {
		var id uint64
		var m int
		switch {
		case p[0] < 0x80:
			id, m = uint64(p[0]), 1
		case len(p) > 1 && p[1] < 0x80:
			id, m = uint64(p[0]&0x7f)|uint64(p[1])<<7, 2
		default:
			if id, m = varint(p); m < 0 {
				return dst, false
			}
		}
		p = p[m:]
		if id < uint64(len(single)) {
			if f := single[id]; f >= 0 { // most locations
				dst = append(dst, f)
				continue
			} else if f <= -2 {
				l := &lp.locArr[-2-f]
				dst = append(dst, lp.locFrames[l.start:l.start+l.n]...)
				continue
			}
		}
		var ok bool
		if dst, ok = lp.expandLoc(dst, id); !ok {
			return dst, false
		}
	}
	return dst, true
}

// expandLoc appends the frame ids of location id to dst.
func (lp *leanProfile) expandLoc(dst []int32, id uint64) ([]int32, bool) {
	li, ok := lp.locs.get(id)
	if !ok {
		return dst, false
	}
	l := &lp.locArr[li]
	if l.n == 0 {
		// Unsymbolized: its address is its frame, made on first use.
		l.start, l.n, l.unsymb = int32(len(lp.locFrames)), 1, true
		fn := lp.function("0x"+strconv.FormatUint(l.addr, 16), "")
		lp.locFrames = append(lp.locFrames, lp.frame(Frame{Function: fn.name}, fn.nameID))
	}
	if l.n == 1 { // most locations: no inlined frames; skips a memmove call
		return append(dst, lp.locFrames[l.start]), true
	}
	return append(dst, lp.locFrames[l.start:l.start+l.n]...), true
}

// trimGoexit drops runtime.goexit frames at the root, as trimStack does.
func (lp *leanProfile) trimGoexit(ids []int32) []int32 {
	for n := len(ids); n > 0 && lp.has(ids[n-1], fnGoexit); n-- {
		ids = ids[:n-1]
	}
	return ids
}

// bestIDs returns the frame ids of acc's heaviest sample, expanding the
// packed ids quickSite kept.
func (ir *idReducer) bestIDs(acc *idSiteAcc) []int32 {
	if acc.raw != nil {
		lp := ir.lp
		n := len(lp.idArena)
		ids, _ := lp.expandPacked(lp.idArena, acc.raw) // quickSite checked them
		best := lp.trimGoexit(ids[n:])
		acc.best, acc.raw, lp.idArena = best[:len(best):len(best)], nil, ids
	}
	return acc.best
}

// keepBest makes ids acc's heaviest sample's frame ids.
func (ir *idReducer) keepBest(acc *idSiteAcc, ids []int32) {
	acc.raw = nil
	if len(ids) <= cap(acc.best) {
		acc.best = append(acc.best[:0], ids...)
		return
	}
	// Most sites' first sample is their heaviest: one arena, kept
	// between decodes, holds their ids.
	lp := ir.lp
	n := len(lp.idArena)
	lp.idArena = append(lp.idArena, ids...)
	acc.best = lp.idArena[n:len(lp.idArena):len(lp.idArena)]
}

func (ir *idReducer) add(ids []int32, vals []int64) {
	ids = ir.lp.trimGoexit(ids)
	var acc *idSiteAcc
	switch i := ir.siteIndex(ids); {
	case i >= 0:
		acc = ir.siteFor(ids[i])
	case len(ids) == 0:
		acc = ir.siteOf(Site{Function: "(no stack)"})
	default:
		ir.siteBuf = ir.siteBuf[:0]
		for _, id := range ids {
			ir.siteBuf = append(ir.siteBuf, ir.lp.frames[id].Frame)
		}
		acc = ir.siteOf(addressSite(ir.siteBuf))
	}
	if acc == nil {
		return // past the site cap
	}
	for i, v := range vals {
		addSat(&acc.values[i], v, &ir.saturated)
	}
	var v int64
	if len(vals) > 0 {
		v = vals[0]
	}
	switch {
	case !acc.seen || v > acc.value:
		ir.keepBest(acc, ids)
		acc.value, acc.seen = v, true
	case v == acc.value && ir.lessIDs(ids, ir.bestIDs(acc)):
		ir.keepBest(acc, ids)
	}
}

// lessIDs is lessStack on frame ids: ties are many (every sample of one
// object) and must not build stacks.
func (ir *idReducer) lessIDs(a, b []int32) bool {
	for i := range min(len(a), len(b)) {
		if c := strings.Compare(ir.lp.frames[a[i]].Function, ir.lp.frames[b[i]].Function); c != 0 {
			return c < 0
		}
	}
	return len(a) < len(b)
}

func (ir *idReducer) stack(ids []int32) Stack {
	if len(ids) == 0 {
		return nil // as reducer keeps an empty stack
	}
	h := ir.in.salt // decodeLean always has an Interner
	for _, id := range ids {
		h = mixHash(h, ir.lp.frames[id].hash)
	}
	return ir.in.stackOf(h, len(ids), func(i int) *Frame { return &ir.lp.frames[ids[i]].Frame }, nil)
}

// finish returns the sites sorted by Site, and the totals. Each site's stack
// is its heaviest sample's; ties go to the smaller Stack.Key, as in
// reducer.finish.
func (ir *idReducer) finish(size int) ([]SiteValue, []int64, error) {
	if ir.err != nil {
		return nil, nil, ir.err
	}
	totals := make([]int64, ir.nvals)
	accs := ir.accs
	// Sorting pointers moves an eighth of the bytes sorting SiteValues does.
	slices.SortFunc(accs, func(a, b *idSiteAcc) int { return a.site.Compare(b.site) })
	frames := 0
	for _, acc := range accs {
		frames += len(ir.bestIDs(acc))
	}
	if held := frames * int(unsafe.Sizeof(Frame{})); held > leanBudget(size) {
		return nil, nil, overBudget(size, fmt.Sprintf("the stacks of its %d sites (%d frames)", len(accs), frames), held)
	}
	out := make([]SiteValue, len(accs))
	for j, acc := range accs {
		for i, v := range acc.values {
			addSat(&totals[i], v, &ir.saturated)
		}
		out[j] = SiteValue{Site: acc.site, Values: acc.values, Stack: ir.stack(ir.bestIDs(acc)), StackValue: acc.value}
	}
	return out, totals, nil
}

// varint is protowire.ConsumeVarint with the one- and two-byte cases (most
// location ids and counts) first. The hottest loops repeat those cases
// inline: the Go compiler will not inline this.
func varint(b []byte) (uint64, int) {
	if len(b) > 0 && b[0] < 0x80 {
		return uint64(b[0]), 1
	}
	if len(b) > 1 && b[1] < 0x80 {
		return uint64(b[0]&0x7f) | uint64(b[1])<<7, 2
	}
	return protowire.ConsumeVarint(b)
}

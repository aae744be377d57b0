package profile

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unsafe"

	"google.golang.org/protobuf/encoding/protowire"
)

// A load state is what a Load folded (its groups' columns) and, per file,
// the snapshot's header, where its values went and how to know the file
// again. The everyday loop adds a snapshot to a folder and analyses the
// folder again: with the state of the last run, only the new file is read
// and decoded (LoadOptions.State).
//
// A file is known again, without reading it, by its size, modification
// and change times, inode and device, as git knows its index: a file
// rewritten since has another change time, which no tool sets back. A file
// changed within two seconds before the state's run began (the clock tick
// of some file systems) is read and checked against its SHA-256 instead,
// as is every file where the platform gives no change time. The state is
// used only when every file it holds is unchanged and still an input: a
// file changed or gone would leave its values in the columns, so the
// state is then dropped and the load starts from the files.
//
//	State:  1 version (varint, must be 1)  2 strings (bytes, repeated: the table)
//	        3 start (varint Unix ns, zigzag: when the writing run began)
//	        4 group (bytes, repeated)  5 file (bytes, repeated)
//	Group:  1 source (index) 2 kind (varint) 3 slots (varint) 4 site (bytes, repeated)
//	Site:   1 function 2 file (indexes) 3 line (varint)
//	        4 column (bytes, repeated: one per metric: 1 packed tokens,
//	          2 values, 3 last value (zigzag), 4 run, 5 run token offset)
//	        5 seen (bytes: little-endian 64-bit words)
//	        6 stack (bytes, repeated: 1 key, 2 frames as in the snapshot
//	          encoding, 3 max (zigzag), 4 slot, 5 ties (words as seen))
//	        7 goroutines (bytes, repeated: 1 slot, 2 details as in the
//	          snapshot encoding)
//	File:   2 size 3 mtime ns (zigzag) 4 ctime ns (zigzag) 5 inode 6 device
//	        7 SHA-256 (bytes) 8 group (varint: index+1, 0 for none) 9 slot
//	        10 header (bytes: snapshot fields 3 to 16; its file is the path)
const stateCodecVersion = 1

// racyWindow: a file changed this close before a state's run began is
// checked by content, not by its times.
const racyWindow = 2 * time.Second

// fileStat identifies a file's content without reading it (statOf).
type fileStat struct {
	size, mtime, ctime int64
	ino, dev           uint64
}

// fileStatOf is statOf's result from what the platform's stat gives.
func fileStatOf(fi fs.FileInfo, ctimeSec, ctimeNsec int64, ino, dev uint64) fileStat {
	return fileStat{size: fi.Size(), mtime: fi.ModTime().UnixNano(), ctime: ctimeSec*1e9 + ctimeNsec, ino: ino, dev: dev}
}

// stateFile is one file of a load state: its snapshot's header (File the
// path, with its stat and sum), folded into group at slot.
type stateFile struct {
	snap  Snapshot
	group int // index in loadState.keys, -1 for none
	slot  int
}

type loadState struct {
	start time.Time
	keys  []foldKey
	fold  *fold
	files []stateFile

	// What decodeGroups needs of parseState.
	rawGroups [][]byte
	str       func(uint64) (string, error)
	strs      int // the table's length
	in        *Interner
}

// stateKey names the state of a load of files with o: its folders (and
// the working folder the paths are relative to), and every option that
// changes what a file reduces to or which series it joins. ok is false
// when snapshots cannot be cached (see cacheKey) or one input is
// standard input.
func (o *LoadOptions) stateKey(files []string) (key string, ok bool) {
	d := &o.Decode
	h := sha256.New()
	w := keyWriter{h}
	w.str("leakdiff load state")
	w.num(stateCodecVersion)
	if !d.writeReduction(w) {
		return "", false
	}
	w.str(o.Source)
	w.str(o.SourceLabel)
	if o.SourceRegexp != nil {
		w.str(o.SourceRegexp.String())
	} else {
		w.num(-1)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", false
	}
	w.str(wd)
	var dirs []string
	for _, f := range files {
		if f == stdinName {
			return "", false
		}
		dirs = append(dirs, filepath.Dir(f))
	}
	slices.Sort(dirs)
	dirs = slices.Compact(dirs)
	w.num(int64(len(dirs)))
	for _, d := range dirs {
		w.str(d)
	}
	return hex.EncodeToString(h.Sum(nil)), true
}

// encodeState encodes the fold f and the files that went into it (each
// snapshot with its stat and sum: see Load), start being when the load
// began.
func encodeState(f *fold, snaps []*Snapshot, start time.Time, in *Interner) []byte {
	t := &strTable{index: make(map[strKey]uint64, len(f.table))}
	for i, str := range f.table { // the indexes of what is copied
		if k := (strKey{unsafe.StringData(str), len(str)}); t.index[k] == 0 {
			t.index[k] = uint64(i)
		}
	}
	t.list = slices.Clone(f.table)
	// Sized from the state the fold was read from, if any: grown by
	// append, the state's bytes were copied over and over.
	body := appendZigZag(make([]byte, 0, f.stateLen+f.stateLen/8), 3, start.UnixNano())
	keys := make([]foldKey, 0, len(f.groups))
	for k := range f.groups {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b foldKey) int {
		return cmp.Or(strings.Compare(a.source, b.source), cmp.Compare(a.kind, b.kind))
	})
	index := map[foldKey]int{}
	perms := seriesOrder(f, snaps)
	var gb, sb, xb []byte
	var vals []int64
	for i, k := range keys {
		index[k] = i
		g := f.groups[k]
		perm := perms[k]
		inOrder := true
		for i, p := range perm {
			inOrder = inOrder && i == p
		}
		bits := func(words []uint64) []uint64 { // the slots of words, moved
			if inOrder {
				return words
			}
			var out []uint64
			eachBit(words, func(slot int) { out = setBit(out, perm[slot]) })
			return out
		}
		if g.raw != nil && inOrder {
			body = appendBytes(body, 4, g.raw)
			continue
		}
		if n := g.rawLen + g.rawLen/8; cap(gb) < n {
			gb = make([]byte, 0, n)
		}
		gb = gb[:0]
		gb = appendVarint(gb, 1, t.id(k.source))
		gb = appendVarint(gb, 2, uint64(k.kind))
		gb = appendVarint(gb, 3, uint64(g.slots))
		for _, fs := range g.sites {
			if fs.raw != nil && inOrder {
				gb = appendBytes(gb, 4, fs.raw)
				continue
			}
			sb = appendSite(sb[:0], t, fs.site)
			for _, col := range fs.vals {
				if !inOrder {
					vals = col.appendTo(vals[:0])
					moved := make([]int64, g.slots)
					for s, v := range vals {
						moved[perm[s]] = v
					}
					col = packInts(moved)
				}
				xb = appendBytes(xb[:0], 1, col.b)
				xb = appendVarint(xb, 2, uint64(col.n))
				xb = appendZigZag(xb, 3, col.last)
				xb = appendVarint(xb, 4, uint64(col.run))
				xb = appendVarint(xb, 5, uint64(col.runAt))
				sb = appendBytes(sb, 4, xb)
			}
			sb = appendBytes(sb, 5, appendWords(xb[:0], bits(fs.seen)))
			for _, st := range fs.stacks {
				if st.frames != nil && len(st.stack) > 0 {
					k := in.contentKey(st.stack)
					xb = appendBytes(xb[:0], 1, binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, k[0]), k[1]))
					xb = appendBytes(xb, 2, st.frames)
				} else {
					xb = appendStack(xb[:0], t, 1, 2, st.stack, in.contentKey)
				}
				xb = appendZigZag(xb, 3, st.max)
				xb = appendVarint(xb, 4, uint64(perm[st.slot]))
				if st.ties != nil {
					xb = appendBytes(xb, 5, appendWords(nil, bits(st.ties)))
				}
				sb = appendBytes(sb, 6, xb)
			}
			for _, sg := range fs.gors {
				xb = xb[:0]
				xb = appendVarint(xb, 1, uint64(perm[sg.slot]))
				xb = appendBytes(xb, 2, appendGoroutines(nil, t, sg.info))
				sb = appendBytes(sb, 7, xb)
			}
			gb = appendBytes(gb, 4, sb)
		}
		body = appendBytes(body, 4, gb)
	}
	var fb []byte
	for _, s := range snaps {
		future := futureNote(s)
		fb = appendVarint(fb[:0], 2, uint64(s.stat.size))
		fb = appendZigZag(fb, 3, s.stat.mtime)
		fb = appendZigZag(fb, 4, s.stat.ctime)
		fb = appendVarint(fb, 5, s.stat.ino)
		fb = appendVarint(fb, 6, s.stat.dev)
		fb = appendBytes(fb, 7, s.sum[:])
		if s.fold != nil {
			fb = appendVarint(fb, 8, uint64(index[s.foldKey]+1))
			fb = appendVarint(fb, 9, uint64(perms[s.foldKey][s.foldSlot]))
		}
		// The header as read, before Load names sources; a note on a
		// time in the future is made again against the next run's clock.
		h := *s
		h.Notes = slices.DeleteFunc(slices.Clone(h.Notes), func(n string) bool { return n == future })
		fb = appendBytes(fb, 10, h.appendHeader(nil, t))
		body = appendBytes(body, 5, fb)
	}
	return t.appendTable(stateCodecVersion, body)
}

// seriesOrder returns, per group of f, where each slot goes so that the
// slots are in the order of the group's series (Order): a load that reads
// the state and adds later snapshots then has its columns in series order,
// which Align takes as they are (foldedSites). Folding leaves them in the
// order the files were decoded in.
func seriesOrder(f *fold, snaps []*Snapshot) map[foldKey][]int {
	byGroup := map[foldKey][]Snapshot{}
	for _, s := range snaps {
		if s.fold != nil {
			byGroup[s.foldKey] = append(byGroup[s.foldKey], *s)
		}
	}
	perms := make(map[foldKey][]int, len(f.groups))
	for k, g := range f.groups {
		perm := make([]int, g.slots)
		for i := range perm {
			perm[i] = i
		}
		if gs := byGroup[k]; len(gs) == g.slots {
			Order(gs)
			for i := range gs {
				perm[gs[i].foldSlot] = i
			}
		}
		perms[k] = perm
	}
	return perms
}

func appendWords(b []byte, words []uint64) []byte {
	for _, w := range words {
		b = binary.LittleEndian.AppendUint64(b, w)
	}
	return b
}

func readWords(b []byte) ([]uint64, error) {
	if len(b)%8 != 0 {
		return nil, errCodec
	}
	w := make([]uint64, len(b)/8)
	for i := range w {
		w[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
	return w, nil
}

// maxStateSlots bounds a group's slots in a state: more snapshots than any
// load reads, so that a crafted count cannot ask for memory.
const maxStateSlots = 1 << 24

// decodeState decodes what encodeState wrote, interning names and stacks
// with in, refusing anything malformed or inconsistent (a slot outside its
// group, a column longer than its group, two files in one slot) with an
// error, never a panic.
func decodeState(data []byte, in *Interner) (*loadState, error) {
	st, err := parseState(data, in)
	if err != nil {
		return nil, err
	}
	if err := st.decodeGroups(); err != nil {
		return nil, err
	}
	return st, nil
}

// parseState reads a state's string table and files; decodeGroups then
// reads its columns (a load does so beside the decoding of new files).
func parseState(data []byte, in *Interner) (*loadState, error) {
	version, str, n, rest, err := readTable(data, in)
	if err != nil {
		return nil, err
	}
	if version != stateCodecVersion {
		return nil, fmt.Errorf("%w %d (this build reads %d)", ErrCodecVersion, version, stateCodecVersion)
	}
	st := &loadState{fold: &fold{groups: map[foldKey]*foldGroup{}, stateLen: len(data)}, str: str, strs: n, in: in}
	err = fields(rest, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
		switch num {
		case 3:
			st.start = time.Unix(0, protowire.DecodeZigZag(v))
		case 4:
			st.rawGroups = append(st.rawGroups, b)
		case 5:
			f, err := decodeStateFile(b, str)
			if err != nil {
				return err
			}
			st.files = append(st.files, f)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// decodeGroups decodes the columns parseState left, and puts each file's
// snapshot in its group's slot.
func (st *loadState) decodeGroups() error {
	var groups []*foldGroup
	sd := siteDecoder{in: st.in, trusted: true}
	for _, b := range st.rawGroups {
		k, g, err := decodeGroup(b, st.str, &sd)
		if err != nil {
			return err
		}
		if st.fold.groups[k] != nil {
			return fmt.Errorf("%w: a group twice", errCodec)
		}
		st.fold.groups[k] = g
		st.keys = append(st.keys, k)
		groups = append(groups, g)
	}
	st.rawGroups = nil
	taken := make([]map[int]bool, len(groups))
	for i := range st.files {
		f := &st.files[i]
		if f.group < 0 {
			continue
		}
		if f.group >= len(groups) || f.slot >= groups[f.group].slots || taken[f.group][f.slot] {
			return fmt.Errorf("%w: a file's slot is outside its group or taken", errCodec)
		}
		if taken[f.group] == nil {
			taken[f.group] = map[int]bool{}
		}
		taken[f.group][f.slot] = true
		f.snap.fold, f.snap.foldKey, f.snap.foldSlot = st.fold, st.keys[f.group], f.slot
	}
	// Every slot is a file's: a group's columns are no longer than the
	// files the state holds.
	for i, g := range groups {
		if len(taken[i]) != g.slots {
			return fmt.Errorf("%w: a group of %d slots holds %d files", errCodec, g.slots, len(taken[i]))
		}
	}
	// What is written again unchanged is copied: its string indexes stay
	// those of this table.
	st.fold.table = make([]string, st.strs)
	for i := range st.fold.table {
		var err error
		if st.fold.table[i], err = st.str(uint64(i)); err != nil {
			return err
		}
	}
	return nil
}

func decodeGroup(b []byte, str func(uint64) (string, error), sd *siteDecoder) (foldKey, *foldGroup, error) {
	var k foldKey
	g := &foldGroup{idx: map[Site]int32{}, raw: b, rawLen: len(b)}
	var err error
	var sites [][]byte
	e := fields(b, func(num protowire.Number, _ protowire.Type, v uint64, data []byte) error {
		switch num {
		case 1:
			k.source, err = str(v)
		case 2:
			if v >= uint64(len(kindNames)) {
				return errCodec
			}
			k.kind = Kind(v)
		case 3:
			if v > maxStateSlots {
				return errCodec
			}
			g.slots = int(v)
		case 4:
			sites = append(sites, data) // once slots is known
		}
		return err
	})
	if e != nil {
		return k, nil, e
	}
	for _, data := range sites {
		fs, err := decodeFoldSite(data, g.slots, str, sd)
		if err != nil {
			return k, nil, err
		}
		if _, dup := g.idx[fs.site]; dup {
			return k, nil, fmt.Errorf("%w: a site twice in a group", errCodec)
		}
		g.idx[fs.site] = int32(len(g.sites))
		g.sites = append(g.sites, fs)
	}
	return k, g, nil
}

func decodeFoldSite(b []byte, slots int, str func(uint64) (string, error), sd *siteDecoder) (*foldSite, error) {
	fs := &foldSite{raw: b}
	var err error
	inSlots := func(words []uint64) bool { // no bit at slots or past it
		for w, word := range words {
			if from := slots - 64*w; from <= 0 && word != 0 || from > 0 && from < 64 && word>>from != 0 {
				return false
			}
		}
		return true
	}
	e := fields(b, func(num protowire.Number, _ protowire.Type, v uint64, data []byte) error {
		switch num {
		case 1:
			fs.site.Function, err = str(v)
		case 2:
			fs.site.File, err = str(v)
		case 3:
			fs.site.Line = int(min(v, 1<<31-1))
		case 4:
			p, ok := unpack(data, slots)
			if !ok {
				return fmt.Errorf("%w: a malformed column", errCodec)
			}
			fs.vals = append(fs.vals, p)
		case 5:
			if fs.seen, err = readWords(data); err == nil && !inSlots(fs.seen) {
				err = fmt.Errorf("%w: a site seen outside its group's slots", errCodec)
			}
		case 6:
			fst, e := decodeFoldStack(data, slots, str, sd)
			if e == nil && (fst.slot >= slots || !inSlots(fst.ties)) {
				e = fmt.Errorf("%w: a stack's slot outside its group", errCodec)
			}
			fs.stacks, err = append(fs.stacks, fst), e
		case 7:
			var sg slotGoroutines
			sg.slot = -1
			err = fields(data, func(num protowire.Number, _ protowire.Type, v uint64, data []byte) error {
				var e error
				switch num {
				case 1:
					sg.slot = int(min(v, maxStateSlots))
				case 2:
					sg.info, e = decodeGoroutines(data, str)
				}
				return e
			})
			if err == nil && (sg.slot < 0 || sg.slot >= slots || sg.info == nil) {
				err = fmt.Errorf("%w: goroutine details outside their group", errCodec)
			}
			fs.gors = append(fs.gors, sg)
		}
		return err
	})
	if e != nil {
		return nil, e
	}
	return fs, nil
}

func decodeFoldStack(b []byte, slots int, str func(uint64) (string, error), sd *siteDecoder) (foldStack, error) {
	var fst foldStack
	var key [2]uint64
	var hasKey bool
	var err error
	e := fields(b, func(num protowire.Number, _ protowire.Type, v uint64, data []byte) error {
		switch num {
		case 1:
			if len(data) != 16 {
				return errCodec
			}
			key = [2]uint64{binary.LittleEndian.Uint64(data), binary.LittleEndian.Uint64(data[8:])}
			hasKey = true
		case 2:
			fst.stack, err = sd.stack(data, key, hasKey, str)
			fst.frames = data
		case 3:
			fst.max = protowire.DecodeZigZag(v)
		case 4:
			fst.slot = int(min(v, maxStateSlots))
		case 5:
			fst.ties, err = readWords(data)
		}
		return err
	})
	return fst, e
}

func decodeStateFile(b []byte, str func(uint64) (string, error)) (stateFile, error) {
	f := stateFile{group: -1, snap: Snapshot{Cumulative: -1, internedNames: true}}
	var err error
	hasSum := false
	e := fields(b, func(num protowire.Number, _ protowire.Type, v uint64, data []byte) error {
		switch num {
		case 2:
			f.snap.stat.size = int64(min(v, 1<<63-1))
		case 3:
			f.snap.stat.mtime = protowire.DecodeZigZag(v)
		case 4:
			f.snap.stat.ctime = protowire.DecodeZigZag(v)
		case 5:
			f.snap.stat.ino = v
		case 6:
			f.snap.stat.dev = v
		case 7:
			if len(data) != sha256.Size {
				return errCodec
			}
			copy(f.snap.sum[:], data)
			hasSum = true
		case 8:
			f.group = int(min(v, maxStateSlots)) - 1
		case 9:
			f.slot = int(min(v, maxStateSlots))
		case 10:
			err = fields(data, func(num protowire.Number, _ protowire.Type, v uint64, data []byte) error {
				return f.snap.headerField(num, v, data, str)
			})
		}
		return err
	})
	if e == nil && (!hasSum || f.snap.File == "" || len(f.snap.Totals) != len(f.snap.Metrics)) {
		e = fmt.Errorf("%w: a file without its path, sum or totals", errCodec)
	}
	return f, e
}

// unpack returns the packed column written as b, ready to take more
// values; false when its counts are out of range (more values than
// limit, a run token past the end). Its tokens are not walked: the cache
// checked the state's bytes, and next reads a malformed token as the end.
func unpack(b []byte, limit int) (packed, bool) {
	var p packed
	ok := true
	err := fields(b, func(num protowire.Number, _ protowire.Type, v uint64, data []byte) error {
		switch num {
		case 1:
			p.b = data[:len(data):len(data)] // add must not write into what follows
		case 2:
			ok = ok && v <= uint64(limit)
			p.n = int32(min(v, maxStateSlots))
		case 3:
			p.last = protowire.DecodeZigZag(v)
		case 4:
			ok = ok && v <= uint64(limit)
			p.run = int32(min(v, maxStateSlots))
		case 5:
			p.runAt = int32(min(v, maxStateSlots))
		}
		return nil
	})
	if err != nil || !ok || int(p.runAt) > len(p.b) || p.run > 0 && p.runAt == int32(len(p.b)) {
		return packed{}, false
	}
	return p, true
}

// futureNote is the note noteFuture adds to s.
func futureNote(s *Snapshot) string {
	return fmt.Sprintf("taken at %s, in the future (time from the %s): a wrong clock; ordered by it anyway", s.Time.Format(time.RFC3339), s.TimeFrom)
}

// reusable returns, per path, the state's files that are unchanged and
// still inputs; nil when any of the state's files is not (changed, gone,
// no longer an input): its values are in the columns, so the state cannot
// be used. verified is how many were read to be checked.
func (st *loadState) reusable(files []string) (byPath map[string]*stateFile, verified int) {
	inputs := make(map[string]bool, len(files))
	for _, f := range files {
		inputs[f] = true
	}
	byPath = make(map[string]*stateFile, len(st.files))
	for i := range st.files {
		f := &st.files[i]
		path, was := f.snap.File, &f.snap.stat
		if !inputs[path] || byPath[path] != nil {
			return nil, 0
		}
		fi, err := os.Stat(path)
		if err != nil || !fi.Mode().IsRegular() {
			return nil, 0
		}
		now, ok := statOf(fi)
		if !ok || now != *was || time.Unix(0, now.ctime).After(st.start.Add(-racyWindow)) || time.Unix(0, now.mtime).After(st.start.Add(-racyWindow)) {
			sum, err := fileSum(path, was.size)
			if err != nil || sum != f.snap.sum {
				return nil, 0
			}
			verified++
			*was = now
		}
		byPath[path] = f
	}
	return byPath, verified
}

// fileSum is the SHA-256 of a file, refusing one whose size is not size.
func fileSum(path string, size int64) ([sha256.Size]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return [sha256.Size]byte{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(f, size+1))
	if err == nil && n != size {
		err = errors.New("size changed")
	}
	return [sha256.Size]byte(h.Sum(nil)), err
}

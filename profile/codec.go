package profile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
	"unsafe"

	"github.com/klauspost/compress/zstd"
	"google.golang.org/protobuf/encoding/protowire"
)

// The encoding of a reduced snapshot, for moving snapshots between the
// stages of a distributed pipeline (leakdiff-beam) without their profiles.
//
// It is protobuf wire format written field by field with protowire, under
// a leading version field, and compressed as one zstd frame
// (github.com/klauspost/compress, fastest level): readers skip fields they
// do not know, so fields can be added within a version; a new version is
// for changes that old readers must refuse. Strings that repeat within a
// snapshot (function and file names of its stacks) are written once in a
// table and referred to by index; zstd then takes what is left of them
// (package paths shared by many names): the fixtures' snapshots travel in a
// sixth of their files' bytes, the random names of internal/bigseries in
// half.
//
//	Snapshot:   1 version (varint, must be 1)   2 strings (bytes, repeated: the table)
//	            3 file 4 source 5 kind 6 type 7 format (string indexes)
//	            8 time (varint Unix ns, zigzag) 9 time from (varint) 10 binary (index)
//	            11 cumulative (zigzag) 12 digest (fixed64) 13 note (index, repeated)
//	            14 metric (bytes: 1 name, 2 unit, indexes) 15 total (zigzag, repeated)
//	            16 label (bytes: 1 key, 2 value) 17 site (bytes, repeated)
//	Site:       1 function 2 file (indexes) 3 line (varint) 4 values (packed zigzag)
//	            8 stack key (16 bytes: Stack.contentKey, written before 5)
//	            5 stack (packed indexes: function, file, line per frame)
//	            6 stack value (zigzag) 7 goroutines (bytes)
//	Goroutines: 1 state (bytes: 1 name index, 2 count) 2 max wait ns 3 leaked 4 created by (index)
const snapshotCodecVersion = 1

// ErrCodecVersion is returned by UnmarshalBinary for an encoding of a
// version this build does not read.
var ErrCodecVersion = errors.New("snapshot encoding of an unknown version")

// strTable numbers the strings of one snapshot. Its map is keyed by the
// strings' memory, not their bytes: decoded names are interned, so equal
// names share memory and a lookup hashes 16 bytes instead of a 60-byte
// name (a third of the encoding's time on a 20,000-stack heap). Equal
// strings held apart are only written twice.
type strTable struct {
	index map[strKey]uint64
	list  []string
}

type strKey struct {
	p *byte
	n int
}

func (t *strTable) id(s string) uint64 {
	k := strKey{unsafe.StringData(s), len(s)}
	if i, ok := t.index[k]; ok {
		return i
	}
	i := uint64(len(t.list))
	t.index[k] = i
	t.list = append(t.list, s)
	return i
}

// MarshalBinary encodes the reduced snapshot (see the encoding above).
func (s *Snapshot) MarshalBinary() ([]byte, error) { return s.marshal(nil) }

// marshal is MarshalBinary taking stacks' content keys from in, where each
// shared stack is hashed once per load, not once per snapshot.
func (s *Snapshot) marshal(in *Interner) ([]byte, error) {
	t := &strTable{index: map[strKey]uint64{}}
	body := s.appendHeader(nil, t)
	var sb, packed []byte
	for i := range s.Sites {
		sv := &s.Sites[i]
		sb = appendSite(sb[:0], t, sv.Site)
		packed = packed[:0]
		for _, v := range sv.Values {
			packed = protowire.AppendVarint(packed, protowire.EncodeZigZag(v))
		}
		sb = appendBytes(sb, 4, packed)
		sb = appendStack(sb, t, 8, 5, sv.Stack, in.contentKey)
		sb = appendZigZag(sb, 6, sv.StackValue)
		if g := sv.Goroutines; g != nil {
			sb = appendBytes(sb, 7, appendGoroutines(nil, t, g))
		}
		body = appendBytes(body, 17, sb)
	}
	return codecEncoder.EncodeAll(t.appendTable(snapshotCodecVersion, body), nil), nil
}

// appendTable returns the version field, the string table, then body.
func (t *strTable) appendTable(version uint64, body []byte) []byte {
	n := len(body) + 2
	for _, str := range t.list {
		n += len(str) + 2 + protowire.SizeVarint(uint64(len(str)))
	}
	out := make([]byte, 0, n)
	out = appendVarint(out, 1, version)
	for _, str := range t.list {
		out = protowire.AppendTag(out, 2, protowire.BytesType)
		out = protowire.AppendString(out, str)
	}
	return append(out, body...)
}

// appendVarint appends field num, a varint.
func appendVarint(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

// appendBytes appends field num, bytes.
func appendBytes(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func appendZigZag(b []byte, num protowire.Number, v int64) []byte {
	return appendVarint(b, num, protowire.EncodeZigZag(v))
}

// appendHeader appends what a snapshot holds beside its sites (fields 3
// to 16).
func (s *Snapshot) appendHeader(body []byte, t *strTable) []byte {
	str := func(num protowire.Number, v string) {
		body = appendVarint(body, num, t.id(v))
	}
	str(3, s.File)
	str(4, s.Source)
	str(5, s.Kind.String())
	str(6, s.Type)
	str(7, string(s.Format))
	if !s.Time.IsZero() {
		body = appendZigZag(body, 8, s.Time.UnixNano())
	}
	body = appendVarint(body, 9, uint64(s.TimeFrom))
	str(10, s.Binary)
	body = appendZigZag(body, 11, s.Cumulative)
	body = protowire.AppendTag(body, 12, protowire.Fixed64Type)
	body = protowire.AppendFixed64(body, s.Digest)
	for _, n := range s.Notes {
		str(13, n)
	}
	for _, m := range s.Metrics {
		var b []byte
		b = appendVarint(b, 1, t.id(m.Name))
		b = appendVarint(b, 2, t.id(m.Unit))
		body = appendBytes(body, 14, b)
	}
	for _, v := range s.Totals {
		body = appendZigZag(body, 15, v)
	}
	keys := make([]string, 0, len(s.Labels))
	for k := range s.Labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		var b []byte
		b = appendVarint(b, 1, t.id(k))
		b = appendVarint(b, 2, t.id(s.Labels[k]))
		body = appendBytes(body, 16, b)
	}
	return body
}

// appendSite appends a site's fields 1 to 3.
func appendSite(b []byte, t *strTable, site Site) []byte {
	b = appendVarint(b, 1, t.id(site.Function))
	b = appendVarint(b, 2, t.id(site.File))
	return appendVarint(b, 3, uint64(max(site.Line, 0)))
}

// appendStack appends a stack as its content key (field keyNum, when it
// has frames) and its frames (field framesNum).
func appendStack(b []byte, t *strTable, keyNum, framesNum protowire.Number, st Stack, key func(Stack) [2]uint64) []byte {
	if len(st) > 0 {
		k := key(st)
		b = appendBytes(b, keyNum, binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, k[0]), k[1]))
	}
	var packed []byte
	for _, f := range st {
		packed = protowire.AppendVarint(packed, t.id(f.Function))
		packed = protowire.AppendVarint(packed, t.id(f.File))
		packed = protowire.AppendVarint(packed, uint64(max(f.Line, 0)))
	}
	return appendBytes(b, framesNum, packed)
}

// appendGoroutines appends g's fields.
func appendGoroutines(gb []byte, t *strTable, g *GoroutineInfo) []byte {
	for _, st := range g.States {
		var b []byte
		b = appendVarint(b, 1, t.id(st.State))
		b = appendVarint(b, 2, uint64(max(st.Count, 0)))
		gb = appendBytes(gb, 1, b)
	}
	gb = appendVarint(gb, 2, uint64(max(g.MaxWait, 0)))
	gb = appendVarint(gb, 3, uint64(max(g.Leaked, 0)))
	return appendVarint(gb, 4, t.id(g.CreatedBy))
}

// The zstd coder of the encoding, shared: EncodeAll and DecodeAll are safe
// for concurrent use. Decoding is bounded to the largest snapshot leakdiff
// reads, so a crafted frame cannot ask for more.
var (
	codecEncoder, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
	codecDecoder, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(DefaultMaxBytes))
)

// errCodec is a malformed encoding.
var errCodec = errors.New("malformed snapshot encoding")

// fields calls fn for every field of b; fn gets the number, the wire type
// and, for varint and fixed64 fields, the value, else the bytes.
func fields(b []byte, fn func(num protowire.Number, typ protowire.Type, v uint64, data []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return errCodec
		}
		b = b[n:]
		var v uint64
		var data []byte
		switch typ {
		case protowire.VarintType:
			v, n = protowire.ConsumeVarint(b)
		case protowire.Fixed64Type:
			v, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			data, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return errCodec
		}
		b = b[n:]
		if err := fn(num, typ, v, data); err != nil {
			return err
		}
	}
	return nil
}

// varints reads a packed run of varints.
// UnmarshalBinary decodes what MarshalBinary wrote, refusing an unknown
// version and any malformed or out-of-range field with an error (never a
// panic).
func (s *Snapshot) UnmarshalBinary(data []byte) error {
	return s.unmarshal(data, nil)
}

// unmarshal is UnmarshalBinary taking each string of the table, once,
// from in when it is set: every frame then refers to shared names.
func (s *Snapshot) unmarshal(data []byte, in *Interner) error {
	*s = Snapshot{Cumulative: -1}
	data, err := codecDecoder.DecodeAll(data, nil)
	if err != nil {
		return fmt.Errorf("%w: %v", errCodec, err)
	}
	version, str, _, rest, err := readTable(data, in)
	if err != nil {
		return err
	}
	if version != snapshotCodecVersion {
		return fmt.Errorf("%w %d (this build reads %d)", ErrCodecVersion, version, snapshotCodecVersion)
	}
	sd := siteDecoder{in: in}
	e := fields(rest, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
		if num == 17 {
			sv, err := sd.decode(b, str)
			s.Sites = append(s.Sites, sv)
			return err
		}
		return s.headerField(num, v, b, str)
	})
	if e != nil {
		return e
	}
	if len(s.Totals) != len(s.Metrics) {
		return fmt.Errorf("%w: %d totals for %d metrics", errCodec, len(s.Totals), len(s.Metrics))
	}
	for i := range s.Sites {
		if len(s.Sites[i].Values) != len(s.Metrics) {
			return fmt.Errorf("%w: a site with %d values for %d metrics", errCodec, len(s.Sites[i].Values), len(s.Metrics))
		}
		if i > 0 && s.Sites[i-1].Site.Compare(s.Sites[i].Site) >= 0 {
			return fmt.Errorf("%w: sites out of order", errCodec)
		}
	}
	return nil
}

// readTable reads the version and the string table that lead an
// encoding; str gives a string by index (made a string when first used,
// from in when it is set), rest is what follows the table.
func readTable(data []byte, in *Interner) (version uint64, str func(uint64) (string, error), n int, rest []byte, err error) {
	var raw [][]byte
	rest = data
	for len(rest) > 0 {
		num, typ, n := protowire.ConsumeTag(rest)
		if n < 0 || num > 2 {
			break
		}
		rest = rest[n:]
		switch {
		case num == 1 && typ == protowire.VarintType:
			version, n = protowire.ConsumeVarint(rest)
		case num == 2 && typ == protowire.BytesType:
			var b []byte
			b, n = protowire.ConsumeBytes(rest)
			raw = append(raw, b)
		default:
			n = -1
		}
		if n < 0 {
			return 0, nil, 0, nil, errCodec
		}
		rest = rest[n:]
	}
	// Most of the table names frames of stacks the load already has
	// (siteDecoder): those are never made strings.
	strs, made := make([]string, len(raw)), make([]bool, len(raw))
	str = func(v uint64) (string, error) {
		if v >= uint64(len(raw)) {
			return "", errCodec
		}
		if !made[v] {
			if in != nil {
				strs[v] = in.nameBytes(raw[v])
			} else {
				strs[v] = string(raw[v])
			}
			made[v] = true
		}
		return strs[v], nil
	}
	return version, str, len(raw), rest, nil
}

// headerField decodes one of the header's fields (3 to 16) into s,
// ignoring others.
func (s *Snapshot) headerField(num protowire.Number, v uint64, b []byte, str func(uint64) (string, error)) error {
	var err error
	set := func(dst *string, v uint64) {
		if err == nil {
			*dst, err = str(v)
		}
	}
	switch num {
	case 3:
		set(&s.File, v)
	case 4:
		set(&s.Source, v)
	case 5:
		var k string
		set(&k, v)
		if err == nil {
			err = s.Kind.UnmarshalText([]byte(k))
		}
	case 6:
		set(&s.Type, v)
	case 7:
		var f string
		set(&f, v)
		s.Format = Format(f)
	case 8:
		s.Time = time.Unix(0, protowire.DecodeZigZag(v)).UTC()
	case 9:
		s.TimeFrom = TimeOrigin(v)
	case 10:
		set(&s.Binary, v)
	case 11:
		s.Cumulative = protowire.DecodeZigZag(v)
	case 12:
		s.Digest = v
	case 13:
		var note string
		set(&note, v)
		s.Notes = append(s.Notes, note)
	case 14:
		var m Metric
		err = errors.Join(err, fields(b, func(num protowire.Number, _ protowire.Type, v uint64, _ []byte) error {
			switch num {
			case 1:
				set(&m.Name, v)
			case 2:
				set(&m.Unit, v)
			}
			return nil
		}))
		s.Metrics = append(s.Metrics, m)
	case 15:
		s.Totals = append(s.Totals, protowire.DecodeZigZag(v))
	case 16:
		var k, val string
		err = errors.Join(err, fields(b, func(num protowire.Number, _ protowire.Type, v uint64, _ []byte) error {
			switch num {
			case 1:
				set(&k, v)
			case 2:
				set(&val, v)
			}
			return nil
		}))
		if s.Labels == nil {
			s.Labels = map[string]string{}
		}
		s.Labels[k] = val
	}
	return err
}

// siteDecoder decodes the sites of one snapshot. With an Interner, a
// site's stack is decoded into scratch and replaced by the shared one, made
// only when new (a cache entry holds the stacks a run has mostly seen);
// values are cut from one array per snapshot.
type siteDecoder struct {
	in *Interner
	// trusted: keys are taken as written (a load state, whose bytes the
	// cache checked), not checked against the frames nor offered to
	// cache entries (stackByKey).
	trusted bool
	scratch []Frame
	values  []int64
}

// errStackKey: a stack does not hash to the key written beside it.
var errStackKey = fmt.Errorf("%w: a stack does not match its key", errCodec)

func (d *siteDecoder) decode(b []byte, str func(uint64) (string, error)) (SiteValue, error) {
	var sv SiteValue
	var key [2]uint64
	var hasKey, known bool
	var err error
	set := func(dst *string, v uint64) {
		if err == nil {
			*dst, err = str(v)
		}
	}
	e := fields(b, func(num protowire.Number, _ protowire.Type, v uint64, data []byte) error {
		switch num {
		case 1:
			set(&sv.Site.Function, v)
		case 2:
			set(&sv.Site.File, v)
		case 3:
			sv.Site.Line = int(min(v, math.MaxInt32))
		case 4:
			if cap(d.values)-len(d.values) < len(data) {
				d.values = make([]int64, 0, max(1024, len(data)))
			}
			from := len(d.values)
			for len(data) > 0 {
				x, n := protowire.ConsumeVarint(data)
				if n < 0 {
					return errCodec
				}
				d.values, data = append(d.values, protowire.DecodeZigZag(x)), data[n:]
			}
			sv.Values = d.values[from:len(d.values):len(d.values)]
		case 8:
			if len(data) != 16 {
				return errCodec
			}
			key = [2]uint64{binary.LittleEndian.Uint64(data), binary.LittleEndian.Uint64(data[8:])}
			hasKey = true
			if d.in != nil {
				sv.Stack, known = d.in.stackByKey(key)
			}
		case 5:
			if known {
				break // the load has this stack: its frames need not be read
			}
			sv.Stack, err = d.stack(data, key, hasKey, str)
		case 6:
			sv.StackValue = protowire.DecodeZigZag(v)
		case 7:
			sv.Goroutines, err = decodeGoroutines(data, str)
		}
		return err
	})
	return sv, errors.Join(err, e)
}

// stack decodes a stack's frames (packed string indexes and lines),
// checks them against their content key when there is one, and returns
// the shared stack when d has an Interner.
func (d *siteDecoder) stack(data []byte, key [2]uint64, hasKey bool, str func(uint64) (string, error)) (Stack, error) {
	var err error
	set := func(dst *string, v uint64) {
		if err == nil {
			*dst, err = str(v)
		}
	}
	st := d.scratch[:0]
	var f [3]uint64
	for k := 0; len(data) > 0; k++ {
		x, n := protowire.ConsumeVarint(data)
		if n < 0 {
			return nil, errCodec
		}
		if f[k%3], data = x, data[n:]; k%3 == 2 {
			fr := Frame{Line: int(min(f[2], math.MaxInt32))}
			set(&fr.Function, f[0])
			set(&fr.File, f[1])
			st = append(st, fr)
		} else if len(data) == 0 {
			return nil, errCodec // not whole frames
		}
	}
	d.scratch = st
	if err != nil {
		return nil, err
	}
	if hasKey && !d.trusted && Stack(st).contentKey() != key {
		return nil, errStackKey
	}
	if len(st) == 0 {
		return nil, nil // as decoders leave a site without frames
	}
	if d.in == nil {
		return slices.Clone(st), nil
	}
	h := d.in.salt
	for i := range st {
		h = mixHash(h, frameHash(&st[i]))
	}
	shared := d.in.stackOf(h, len(st), func(i int) *Frame { return &st[i] }, nil)
	switch {
	case hasKey && d.trusted:
		d.in.noteKey(key, shared)
	case hasKey:
		d.in.keepStackKey(key, shared)
	}
	return shared, nil
}

// decodeGoroutines decodes what appendGoroutines wrote.
func decodeGoroutines(data []byte, str func(uint64) (string, error)) (*GoroutineInfo, error) {
	var err error
	set := func(dst *string, v uint64) {
		if err == nil {
			*dst, err = str(v)
		}
	}
	g := &GoroutineInfo{}
	e := fields(data, func(num protowire.Number, _ protowire.Type, v uint64, data []byte) error {
		switch num {
		case 1:
			var st StateCount
			if e := fields(data, func(num protowire.Number, _ protowire.Type, v uint64, _ []byte) error {
				switch num {
				case 1:
					set(&st.State, v)
				case 2:
					st.Count = int(min(v, math.MaxInt32))
				}
				return nil
			}); e != nil {
				return e
			}
			g.States = append(g.States, st)
		case 2:
			g.MaxWait = time.Duration(min(v, math.MaxInt64))
		case 3:
			g.Leaked = int(min(v, math.MaxInt32))
		case 4:
			set(&g.CreatedBy, v)
		}
		return nil
	})
	if err = errors.Join(err, e); err != nil {
		return nil, err
	}
	return g, nil
}

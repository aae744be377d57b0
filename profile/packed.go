package profile

import "encoding/binary"

// packed is a sequence of int64 kept as varint tokens of the change from
// the previous value, runs of equal values as one token. A site's value
// moves little from one snapshot to the next and often not at all (an idle
// goroutine count, a site absent for hours), so a value costs one to three
// bytes instead of eight, and a run costs one token whatever its length:
// what a series holds grows with its sites' changes, not with 8 bytes ×
// snapshots (measured on the bench series: see scripts/bench scale).
//
// Token u (a uvarint): u&1 == 0 is one value, the previous plus the
// zigzag-decoded u>>1; u&1 == 1 is u>>1 more copies of the previous value,
// except u == 1 (no copies), which is followed by a value as 8 bytes little
// endian (a change of 2^62 or more). The value before the first is 0.
type packed struct {
	b     []byte
	n     int32 // values held
	run   int32 // length of the run token that ends b; 0 if b ends otherwise
	runAt int32 // offset of that run token
	last  int64
}

// add appends v.
func (p *packed) add(v int64) {
	if cap(p.b)-len(p.b) <= binary.MaxVarintLen64 {
		// Grow by an eighth, not by append's quarter to double: a
		// column's spare room is memory held at the peak of a Load.
		b := make([]byte, len(p.b), len(p.b)+max(32, len(p.b)/8))
		p.b = b[:copy(b, p.b)]
	}
	if v == p.last {
		if p.run == 0 {
			p.runAt = int32(len(p.b))
		}
		p.run++
		p.b = binary.AppendUvarint(p.b[:p.runAt], uint64(p.run)<<1|1)
	} else {
		d := v - p.last // wraps, as the decoder's sum does
		if zz := uint64(d<<1 ^ d>>63); zz < 1<<63 {
			p.b = binary.AppendUvarint(p.b, zz<<1)
		} else { // too far to shift: escape, then the value itself
			p.b = binary.LittleEndian.AppendUint64(append(p.b, 1), uint64(v))
		}
		p.run, p.last = 0, v
	}
	p.n++
}

// pad appends zeros until p holds n values.
func (p *packed) pad(n int) {
	for int(p.n) < n {
		p.add(0)
	}
}

// len is the number of values held.
func (p *packed) len() int { return int(p.n) }

// appendTo appends p's values to dst.
func (p *packed) appendTo(dst []int64) []int64 {
	var v int64
	for b := p.b; len(b) > 0; {
		var n int
		v, n, b = next(v, b)
		for range n {
			dst = append(dst, v)
		}
	}
	return dst
}

// allZero reports whether every value in [from, to) is 0, without
// decoding into memory.
func (p *packed) allZero(from, to int) bool {
	if from >= to {
		return true
	}
	var v int64
	i := 0
	for b := p.b; len(b) > 0 && i < to; {
		var n int
		v, n, b = next(v, b)
		if v != 0 && i+n > from {
			return false
		}
		i += n
	}
	return true
}

// next decodes the token at the start of b, v the value before it: the
// value it gives, how many times, and the rest of b.
func next(v int64, b []byte) (int64, int, []byte) {
	u, k := binary.Uvarint(b)
	if k <= 0 {
		return v, 0, nil // malformed (a load state's bytes are not walked before use): the end
	}
	b = b[k:]
	switch {
	case u == 1:
		if len(b) < 8 {
			return v, 0, nil
		}
		return int64(binary.LittleEndian.Uint64(b)), 1, b[8:]
	case u&1 == 1:
		return v, int(u >> 1), b
	}
	u >>= 1
	return v + (int64(u>>1) ^ -int64(u&1)), 1, b
}

// clip drops spare capacity: a packed column built by add holds up to an
// eighth more than it needs.
func (p *packed) clip() {
	if cap(p.b) > len(p.b) {
		p.b = append([]byte(nil), p.b...)
	}
}

// packInts packs v.
func packInts(v []int64) packed {
	var p packed
	for _, x := range v {
		p.add(x)
	}
	p.clip()
	return p
}

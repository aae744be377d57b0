package profile

import (
	"bytes"
	"encoding/binary"

	"google.golang.org/protobuf/encoding/protowire"
)

// implausible names why content starting with head (its first 64 KiB or
// all of it) cannot be a snapshot, or returns "" when it may be one. It is
// asked before a large input is read or inflated whole, so that zeros,
// random bytes and other kinds of file are refused at once and by name,
// not after the parsers have been through all of it. total bounds the
// content's size (a field longer than it is malformed).
func implausible(head []byte, total int64) string {
	if len(head) == 0 || isText(head) {
		return "" // text formats are parsed line by line, lines bounded
	}
	if why := otherBinary(head); why != "" {
		return why
	}
	if legacyCPU(head) {
		return ""
	}
	if !bytes.ContainsFunc(head, func(r rune) bool { return r != 0 }) {
		return "all zero bytes (a preallocated, sparse or wiped file?)"
	}
	if !protoPrefix(head, total) {
		return "binary data that is not a pprof protobuf (its first bytes are not profile.proto fields; leakdiff reads pprof protobuf, legacy pprof text profiles, Go goroutine dumps and Prometheus metrics text)"
	}
	return ""
}

// otherBinary names binary formats found where profiles are kept.
func otherBinary(head []byte) string {
	for _, m := range []struct {
		magic, what string
	}{
		{"\x28\xb5\x2f\xfd", "zstd-compressed data (decompress it first: zstd -d)"},
		{"BZh", "bzip2-compressed data (decompress it first: bunzip2)"},
		{"\xfd7zXZ\x00", "xz-compressed data (decompress it first: unxz)"},
		{"PK\x03\x04", "a zip archive (unzip it first)"},
		{"PERFILE", "a Linux perf.data file, not a pprof profile (convert it with perf_to_profile from perf_data_converter)"},
		{"\x7fELF", "an ELF executable or core file, not a profile"},
		{"\x89PNG", "a PNG image, not a profile"},
		{"%PDF", "a PDF document, not a profile"},
		{"SQLite format 3\x00", "an SQLite database, not a profile"},
	} {
		if bytes.HasPrefix(head, []byte(m.magic)) {
			return m.what
		}
	}
	if len(head) > 262 && string(head[257:262]) == "ustar" {
		return "a tar archive (extract it first)"
	}
	return ""
}

// legacyCPU reports whether head starts with the header of a legacy binary
// CPU profile (words 0, 3, 0 or 1, period, 0 in 32 or 64 bits, either byte
// order), which pprof's parser reads.
func legacyCPU(head []byte) bool {
	for _, w := range []int{4, 8} {
		if len(head) < 5*w {
			continue
		}
		for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			word := func(i int) uint64 {
				if w == 4 {
					return uint64(order.Uint32(head[i*4:]))
				}
				return order.Uint64(head[i*8:])
			}
			if word(0) == 0 && word(1) == 3 && word(2) <= 1 && word(3) > 0 && word(4) == 0 {
				return true
			}
		}
	}
	return false
}

// profileWire is the wire type of each profile.proto field of Profile.
var profileWire = map[protowire.Number]protowire.Type{
	1: protowire.BytesType, 2: protowire.BytesType, 3: protowire.BytesType,
	4: protowire.BytesType, 5: protowire.BytesType, 6: protowire.BytesType,
	7: protowire.VarintType, 8: protowire.VarintType, 9: protowire.VarintType,
	10: protowire.VarintType, 11: protowire.BytesType, 12: protowire.VarintType,
	13: protowire.VarintType, 14: protowire.VarintType,
}

// protoPrefix reports whether head reads as the start of a Profile
// message: fields with numbers and wire types profile.proto allows (a
// field unknown to it must at least be a valid protobuf field below 64),
// lengths within total; the last field may be cut off by the end of head.
func protoPrefix(head []byte, total int64) bool {
	fields := 0
	for b := head; len(b) > 0; fields++ {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fields > 0 && len(b) < 10 // a tag cut off by the end of head
		}
		want, known := profileWire[num]
		switch {
		case known && typ != want && !(num == 13 && typ == protowire.BytesType): // comments may be packed
			return false
		case !known && (num >= 64 || typ == protowire.StartGroupType || typ == protowire.EndGroupType):
			return false
		}
		b = b[n:]
		if typ == protowire.BytesType {
			l, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return fields > 0 && len(b) < 10
			}
			if l > uint64(total) {
				return false
			}
			if uint64(len(b)-n) < l {
				return true // cut off by the end of head
			}
			b = b[n+int(l):]
			continue
		}
		if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
			return fields > 0 && len(b) < 10
		}
		b = b[n:]
	}
	return fields > 0
}

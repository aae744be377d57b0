// Package bomb writes gzip decompression bombs for tests and measurements:
// files of a few megabytes that inflate to gigabytes of zeros, as one
// gzip member or as many concatenated members.
package bomb

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
)

const chunk = 1 << 20 // zeros per repeated deflate block or member

// Gzip writes to w a gzip stream that inflates to total bytes of zeros
// (rounded up to whole MiB): one member whose deflate blocks repeat (a
// block of zeros after zeros decodes the same wherever it is), or, with
// members, one small member per MiB. The trailers are valid.
func Gzip(w io.Writer, total int64, members bool) error {
	n := (total + chunk - 1) / chunk
	if members {
		m, err := member()
		if err != nil {
			return err
		}
		for range n {
			if _, err := w.Write(m); err != nil {
				return err
			}
		}
		return nil
	}
	first, rest, end, err := blocks()
	if err != nil {
		return err
	}
	hdr := []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}
	if _, err := w.Write(append(hdr, first...)); err != nil {
		return err
	}
	for range n - 1 {
		if _, err := w.Write(rest); err != nil {
			return err
		}
	}
	var tr [8]byte
	binary.LittleEndian.PutUint32(tr[:4], zerosCRC(n*chunk))
	binary.LittleEndian.PutUint32(tr[4:], uint32(n*chunk))
	_, err = w.Write(append(end, tr[:]...))
	return err
}

// blocks returns the deflate bytes of the first MiB of zeros, of every
// further MiB (after a sync flush the encoder is byte aligned) and of the
// final empty block.
func blocks() (first, rest, end []byte, err error) {
	var out bytes.Buffer
	fw, err := flate.NewWriter(&out, flate.BestCompression)
	if err != nil {
		return nil, nil, nil, err
	}
	zeros := make([]byte, chunk)
	cut := func() ([]byte, error) {
		if err := fw.Flush(); err != nil {
			return nil, err
		}
		b := bytes.Clone(out.Bytes())
		out.Reset()
		return b, nil
	}
	fw.Write(zeros)
	if first, err = cut(); err != nil {
		return nil, nil, nil, err
	}
	fw.Write(zeros)
	if rest, err = cut(); err != nil {
		return nil, nil, nil, err
	}
	// The second MiB must encode as back-references only: check it
	// decodes to zeros after zeros before repeating it.
	if err := fw.Close(); err != nil {
		return nil, nil, nil, err
	}
	end = bytes.Clone(out.Bytes())
	got, err := io.ReadAll(flate.NewReader(bytes.NewReader(bytes.Join([][]byte{first, rest, rest, end}, nil))))
	if err != nil || len(got) != 3*chunk || bytes.ContainsFunc(got, func(r rune) bool { return r != 0 }) {
		return nil, nil, nil, fmt.Errorf("bomb: repeated block does not decode to zeros (%d bytes, %v)", len(got), err)
	}
	return first, rest, end, nil
}

// member is one gzip member of a MiB of zeros.
func member() ([]byte, error) {
	first, _, end, err := blocks()
	if err != nil {
		return nil, err
	}
	b := append([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}, first...)
	b = append(b, end...)
	b = binary.LittleEndian.AppendUint32(b, zerosCRC(chunk))
	return binary.LittleEndian.AppendUint32(b, chunk), nil
}

// zerosCRC is the CRC-32 of n zero bytes (n a multiple of chunk).
func zerosCRC(n int64) uint32 {
	zeros := make([]byte, chunk)
	var c uint32
	for range n / chunk {
		c = crc32.Update(c, crc32.IEEETable, zeros)
	}
	return c
}

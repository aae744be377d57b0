// Package bomb writes gzip decompression bombs for tests and measurements:
// files of a few megabytes that inflate to gigabytes of zeros, as one
// gzip member or as many concatenated members, after a chosen head (say,
// the start of a valid protobuf, so that the content is not refused at
// sight) and nested in further gzip layers.
package bomb

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
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
	return GzipAfter(w, nil, total, members)
}

// GzipAfter is Gzip with content that starts with head: head, then total
// bytes of zeros (rounded up to whole MiB). With members, head is the
// first member's.
func GzipAfter(w io.Writer, head []byte, total int64, members bool) error {
	n := (total + chunk - 1) / chunk
	if members {
		if len(head) > 0 {
			m, err := member(head)
			if err != nil {
				return err
			}
			if _, err := w.Write(m); err != nil {
				return err
			}
			n--
		}
		m, err := member(nil)
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
	first, rest, end, err := blocks(head)
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
	binary.LittleEndian.PutUint32(tr[:4], zerosCRC(head, n*chunk))
	binary.LittleEndian.PutUint32(tr[4:], uint32(int64(len(head))+n*chunk))
	_, err = w.Write(append(end, tr[:]...))
	return err
}

// blocks returns the deflate bytes of head and the first MiB of zeros, of
// every further MiB (after a sync flush the encoder is byte aligned) and
// of the final empty block.
func blocks(head []byte) (first, rest, end []byte, err error) {
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
	fw.Write(head)
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
	if err != nil || len(got) != len(head)+3*chunk || !bytes.HasPrefix(got, head) || bytes.ContainsFunc(got[len(head):], func(r rune) bool { return r != 0 }) {
		return nil, nil, nil, fmt.Errorf("bomb: repeated block does not decode to zeros (%d bytes, %v)", len(got), err)
	}
	return first, rest, end, nil
}

// member is one gzip member of head and a MiB of zeros.
func member(head []byte) ([]byte, error) {
	first, _, end, err := blocks(head)
	if err != nil {
		return nil, err
	}
	b := append([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}, first...)
	b = append(b, end...)
	b = binary.LittleEndian.AppendUint32(b, zerosCRC(head, chunk))
	return binary.LittleEndian.AppendUint32(b, uint32(len(head)+chunk)), nil
}

// zerosCRC is the CRC-32 of head and n zero bytes (n a multiple of chunk).
func zerosCRC(head []byte, n int64) uint32 {
	zeros := make([]byte, chunk)
	c := crc32.ChecksumIEEE(head)
	for range n / chunk {
		c = crc32.Update(c, crc32.IEEETable, zeros)
	}
	return c
}

// Nest gzips data once more, layers times: a bomb in a bomb inflates to
// its inner bomb, which is small, and then to what that inflates to.
func Nest(data []byte, layers int) ([]byte, error) {
	for range layers {
		var out bytes.Buffer
		zw, err := gzip.NewWriterLevel(&out, gzip.BestCompression)
		if err != nil {
			return nil, err
		}
		if _, err := zw.Write(data); err != nil {
			return nil, err
		}
		if err := zw.Close(); err != nil {
			return nil, err
		}
		data = out.Bytes()
	}
	return data, nil
}

package profile

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
)

// maxGzipLayers bounds nested gzip: a .pb.gz gzipped once more (a
// .pb.gz.gz, or a body saved with its Content-Encoding) is read; a stream
// nested deeper is refused, since each layer multiplies what a few bytes
// can inflate to.
const maxGzipLayers = 3

// sniffLen is how much content is checked (implausible) before the rest is
// read or inflated.
const sniffLen = 64 << 10

// isGzip reports whether b starts with the gzip magic number.
func isGzip(b []byte) bool { return len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b }

// gzipStream reads the members of one gzip stream one by one, so that
// what follows the last member is judged, not guessed at: zero padding
// (tape blocks, preallocated files) ends the stream as gzip(1) ends it;
// anything else is an error naming it.
type gzipStream struct {
	br   peeker
	zr   *gzip.Reader
	in   io.Reader // what the inflater reads: br's bytes
	done bool
}

// peeker is what a stream is judged with between members.
type peeker interface {
	Peek(n int) ([]byte, error)
	ReadByte() (byte, error)
}

// bytesPeeker peeks into a bytes.Reader without moving it.
type bytesPeeker struct {
	r   *bytes.Reader
	buf [8]byte
}

func (p *bytesPeeker) Peek(n int) ([]byte, error) {
	m, err := p.r.ReadAt(p.buf[:min(n, len(p.buf))], p.r.Size()-int64(p.r.Len()))
	return p.buf[:m], err
}

func (p *bytesPeeker) ReadByte() (byte, error) { return p.r.ReadByte() }

func newGzipStream(r io.Reader) (*gzipStream, error) {
	// Bytes in memory are inflated from where they are: klauspost's
	// inflater reads a *bytes.Reader, like a *bufio.Reader, byte by byte
	// without a call through an interface, and without copying them into
	// a buffer first.
	g := &gzipStream{in: r}
	if br, ok := r.(*bytes.Reader); ok {
		g.br = &bytesPeeker{r: br}
	} else {
		br := bufio.NewReaderSize(r, 32<<10)
		g.br, g.in = br, br
	}
	zr, err := gzip.NewReader(g.in)
	if err != nil {
		return nil, err
	}
	zr.Multistream(false)
	g.zr = zr
	return g, nil
}

func (g *gzipStream) Read(p []byte) (int, error) {
	for !g.done {
		n, err := g.zr.Read(p)
		if err == io.EOF {
			err = g.nextMember()
		}
		if n > 0 || err != nil {
			return n, err
		}
	}
	return 0, io.EOF
}

// nextMember moves past the end of a member: to the next member, or to
// the end of the stream.
func (g *gzipStream) nextMember() error {
	b, err := g.br.Peek(1)
	if len(b) == 0 {
		g.done = true
		if err == io.EOF {
			return nil
		}
		return err
	}
	if b[0] == 0 {
		for {
			c, err := g.br.ReadByte()
			if err == io.EOF {
				g.done = true
				return nil
			}
			if err != nil {
				return err
			}
			if c != 0 {
				return errors.New("data after the zero padding that follows the gzip stream")
			}
		}
	}
	if b, _ := g.br.Peek(2); !isGzip(b) {
		return errors.New("data after the end of the gzip stream that is neither gzip nor zero padding")
	}
	if err := g.zr.Reset(g.in); err != nil {
		return err
	}
	g.zr.Multistream(false)
	return nil
}

// openGzip returns the content of a gzip stream, looking through nested
// gzip layers (up to maxGzipLayers in all).
func openGzip(data []byte) (io.Reader, error) {
	var r io.Reader = bytes.NewReader(data)
	for layer := 1; ; layer++ {
		g, err := newGzipStream(r)
		if err != nil {
			return nil, err
		}
		br := bufio.NewReaderSize(g, 32<<10)
		head, err := br.Peek(2)
		if len(head) < 2 && err != nil && err != io.EOF {
			return nil, err
		}
		if !isGzip(head) {
			return br, nil
		}
		if layer == maxGzipLayers {
			return nil, fmt.Errorf("%w: gzip nested more than %d deep (a decompression bomb?)", ErrUnrecognized, maxGzipLayers)
		}
		r = br
	}
}

// largeInput is the size past which an input or its inflated content is
// held only under the DecodeOptions' Gate: smaller ones decode side by
// side, one worker each.
const largeInput = 16 << 20

// gunzip inflates data (through nested layers) into buf, up to maxBytes,
// with klauspost/compress, whose decoder is about twice as fast as the
// standard library's on profiles.
//
// Memory follows the content, not what the stream claims. Its first 64 KiB
// are checked first (implausible): zeros or random bytes are refused
// having inflated only that. The content is then buffered up to a first
// bound (8× the compressed size, at least 16 MiB); content that goes on
// past it is measured by inflating on into io.Discard, refused past
// maxBytes, and only then, under the gate for large inputs, inflated again
// into a buffer of its size. A decompression bomb (a few KB inflating to
// gigabytes, in one member, many, or nested layers) is so refused having
// allocated tens of MB, not the limit.
func gunzip(buf *bytes.Buffer, data []byte, maxBytes int64, h *hold) ([]byte, error) {
	r, err := openGzip(data)
	if err != nil {
		return nil, err
	}
	first := min(maxBytes, max(largeInput, 8*int64(len(data))))
	// The trailer's ISIZE is the last member's size mod 2^32: a hint that
	// sizes the buffer once for the usual single-member file, never past
	// the first bound.
	hint := 4 * int64(len(data))
	if len(data) >= 18 {
		if isize := int64(binary.LittleEndian.Uint32(data[len(data)-4:])); isize > 0 {
			hint = isize + bytes.MinRead
		}
	}
	buf.Reset()
	buf.Grow(int(min(hint, first, sniffLen) + bytes.MinRead))
	n, err := io.Copy(buf, io.LimitReader(r, min(sniffLen, maxBytes+1)))
	if err != nil {
		return nil, err
	}
	if n > maxBytes {
		return nil, tooLargeInflated(maxBytes)
	}
	if why := implausible(buf.Bytes(), maxBytes); why != "" {
		return nil, fmt.Errorf("%w: its content is %s", ErrUnrecognized, why)
	}
	if n < sniffLen {
		return buf.Bytes(), nil
	}
	// The first pass stops at the hint too: ISIZE is exact for a
	// single-member file under 4 GiB, and a stream longer than it claims
	// is measured rather than buffered by doubling.
	// Past largeInput, content goes to the gate's buffer, once held.
	large := func() { buf = h.adopt(buf, true) }
	bound := max(min(first, hint), n)
	if bound > largeInput {
		large()
	}
	buf.Grow(int(max(min(hint, bound)-n, 0) + bytes.MinRead))
	m, err := io.Copy(buf, io.LimitReader(r, bound+1-n))
	if err != nil {
		return nil, err
	}
	if n += m; n <= bound {
		return buf.Bytes(), nil
	}
	// Longer than the first bound: measure before buffering.
	more, err := io.Copy(io.Discard, io.LimitReader(r, maxBytes+1-n))
	if err != nil {
		return nil, err
	}
	size := n + more
	if size > maxBytes {
		return nil, tooLargeInflated(maxBytes)
	}
	if size > largeInput {
		large()
	}
	buf.Reset()
	if r, err = openGzip(data); err != nil {
		return nil, err
	}
	buf.Grow(int(size + bytes.MinRead))
	if _, err := io.Copy(buf, io.LimitReader(r, size)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func tooLargeInflated(maxBytes int64) error {
	return fmt.Errorf("%w: inflates to more than %s, the limit (--max-snapshot-size): refused without holding it in memory", ErrTooLarge, byteSize(maxBytes))
}

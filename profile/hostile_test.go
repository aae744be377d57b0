package profile

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/leakdiff/leakdiff/internal/bomb"
	"google.golang.org/protobuf/encoding/protowire"
)

const heapFixture = "../testdata/builds/b/heap-20261122T005459Z.pb.gz"

func decodeTest(t *testing.T, data []byte, maxBytes int64) (*Snapshot, error) {
	t.Helper()
	return Decode(data, "heap.pb.gz", &DecodeOptions{Sites: DefaultSitePolicy(), MaxBytes: maxBytes})
}

// TestNestedGzip: a profile gzipped once more (twice more) decodes as the
// profile itself; nested deeper it is refused, by name.
func TestNestedGzip(t *testing.T) {
	data, err := os.ReadFile(heapFixture)
	if err != nil {
		t.Fatal(err)
	}
	want, err := decodeTest(t, data, 0)
	if err != nil {
		t.Fatal(err)
	}
	for layers := 1; layers <= 3; layers++ {
		nested, err := bomb.Nest(data, layers)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeTest(t, nested, 0)
		switch {
		case layers < 3 && err != nil:
			t.Errorf("%d more layers: %v", layers, err)
		case layers < 3 && !reflect.DeepEqual(got.Sites, want.Sites):
			t.Errorf("%d more layers: sites differ", layers)
		case layers == 3 && (!errors.Is(err, ErrUnrecognized) || !strings.Contains(err.Error(), "nested more than 3 deep")):
			t.Errorf("%d more layers: %v, want a refusal of the nesting", layers, err)
		}
	}
}

// TestGzipTail: zero padding after the stream is what gzip(1) ignores;
// anything else after it, or a stream cut short, is an error that says so.
func TestGzipTail(t *testing.T) {
	data, err := os.ReadFile(heapFixture)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data []byte
		want string // "" for no error
	}{
		{"padded", append(bytes.Clone(data), make([]byte, 4096)...), ""},
		{"padded-short", append(bytes.Clone(data), 0, 0, 0), ""},
		{"garbage", append(bytes.Clone(data), "trailing junk"...), "neither gzip nor zero padding"},
		{"padding-then-garbage", append(append(bytes.Clone(data), make([]byte, 64)...), 'x'), "after the zero padding"},
		{"truncated", data[:len(data)-100], "truncated gzip stream"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeTest(t, tc.data, 0)
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

// TestImplausible: what cannot be a profile is named from its first bytes;
// what can be is let through.
func TestImplausible(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 64<<10)
	for i := range random {
		random[i] = byte(r.UintN(256))
	}
	cpu := make([]byte, 64)
	for i, w := range []uint64{0, 3, 0, 10000, 0} {
		binary.LittleEndian.PutUint64(cpu[8*i:], w)
	}
	proto := protowire.AppendTag(nil, 1, protowire.BytesType)
	proto = protowire.AppendBytes(proto, []byte{8, 1, 16, 2})
	proto = protowire.AppendTag(proto, 6, protowire.BytesType)
	proto = protowire.AppendString(proto, "")
	for _, tc := range []struct {
		name string
		head []byte
		want string // "" for plausible
	}{
		{"zeros", make([]byte, 4096), "all zero bytes"},
		{"random", random, "not a pprof protobuf"},
		{"png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "PNG image"},
		{"zstd", []byte("\x28\xb5\x2f\xfd\x00\x58"), "zstd"},
		{"elf", []byte("\x7fELF\x02\x01\x01\x00"), "ELF"},
		{"perf", []byte("PERFILE2\x68\x00\x00\x00"), "perf.data"},
		{"group-wire-type", []byte{1<<3 | 3, 0, 0}, "not a pprof protobuf"},
		{"wrong-wire-type", []byte{6<<3 | 0, 1}, "not a pprof protobuf"},
		{"string-longer-than-file", protowire.AppendVarint(append(bytes.Clone(proto[:6]), 6<<3|2), 1<<40), "not a pprof protobuf"},
		{"legacy-cpu", cpu, ""},
		{"protobuf", proto, ""},
		{"text", []byte("heap profile: 1: 2 [3: 4] @ heap/1048576\n"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := implausible(tc.head, 1<<20)
			if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
				t.Errorf("implausible = %q, want %q", got, tc.want)
			}
		})
	}
	// Every fixture and corpus protobuf passes the first look.
	for _, p := range fixtureFiles(t) {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if isGzip(data) {
			zr, err := gzip.NewReader(bytes.NewReader(data))
			if err != nil {
				continue
			}
			if data, err = io.ReadAll(zr); err != nil {
				continue
			}
		}
		if _, err := decodeTest(t, data, 0); err == nil {
			if why := implausible(data[:min(len(data), sniffLen)], int64(len(data))); why != "" {
				t.Errorf("%s decodes but is called %s", p, why)
			}
		}
	}
}

// countingReader counts what is read from it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestReadFileRefusesAtSight: an endless stream of zeros (analyze - <
// /dev/zero) is refused having read its first 64 KiB, not the limit.
func TestReadFileRefusesAtSight(t *testing.T) {
	cr := &countingReader{r: zeros{}}
	_, err := ReadFile(cr, -1, "-", &DecodeOptions{Sites: DefaultSitePolicy()}, time.Now())
	if !errors.Is(err, ErrUnrecognized) || !strings.Contains(err.Error(), "all zero bytes") {
		t.Errorf("got %v, want a refusal of zeros", err)
	}
	if cr.n > sniffLen {
		t.Errorf("read %d bytes, want at most %d", cr.n, sniffLen)
	}
}

// TestSiteCap: content holding more sites, functions or strings than the
// cap at its size limit (one per KiB) is refused as too large, in every
// decoder; under a limit that allows them it is read.
func TestSiteCap(t *testing.T) {
	const sites = 5000 // over the cap at 4 MiB (4,096), under it at 8 MiB
	var dump bytes.Buffer
	for i := range sites {
		fmt.Fprintf(&dump, "goroutine %d [chan receive]:\nexample.com/x.f%d()\n\t/x.go:1 +0x1\n\n", i+1, i)
	}
	var metrics bytes.Buffer
	metrics.WriteString("# TYPE m gauge\n")
	for i := range sites {
		fmt.Fprintf(&metrics, "m{id=\"%d\"} 1\n", i)
	}
	var text bytes.Buffer
	text.WriteString("heap profile: 1: 1 [1: 1] @ heap/1048576\n")
	for i := range sites {
		fmt.Fprintf(&text, "1: 1 [1: 1] @ 0x%x\n", i+1)
	}
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"dump", dump.Bytes()},
		{"metrics", metrics.Bytes()},
		{"legacy-text", text.Bytes()},
		{"protobuf", protoSites(sites)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Decode(tc.data, "goroutine.txt", &DecodeOptions{Sites: DefaultSitePolicy(), MaxBytes: 4 << 20}); !errors.Is(err, ErrTooLarge) {
				t.Errorf("under a 4 MiB limit: %v, want too large", err)
			}
			if _, err := Decode(tc.data, "goroutine.txt", &DecodeOptions{Sites: DefaultSitePolicy(), MaxBytes: 8 << 20}); err != nil {
				t.Errorf("under an 8 MiB limit: %v", err)
			}
		})
	}
}

// protoSites is a heap profile of n functions, one location and one
// sample each.
func protoSites(n int) []byte {
	var b []byte
	msg := func(num protowire.Number, body []byte) {
		b = protowire.AppendTag(b, num, protowire.BytesType)
		b = protowire.AppendBytes(b, body)
	}
	field := func(b []byte, num protowire.Number, v uint64) []byte {
		return protowire.AppendVarint(protowire.AppendTag(b, num, protowire.VarintType), v)
	}
	for _, s := range []string{"", "inuse_space", "bytes"} {
		msg(6, []byte(s))
	}
	msg(1, field(field(nil, 1, 1), 2, 2))
	for i := range n {
		msg(6, fmt.Appendf(nil, "example.com/x.f%d", i))
		msg(5, field(field(nil, 1, uint64(i+1)), 2, uint64(i+3)))
		line := field(nil, 1, uint64(i+1))
		loc := field(nil, 1, uint64(i+1))
		loc = protowire.AppendTag(loc, 4, protowire.BytesType)
		msg(4, protowire.AppendBytes(loc, line))
		s := protowire.AppendTag(nil, 1, protowire.BytesType)
		s = protowire.AppendBytes(s, protowire.AppendVarint(nil, uint64(i+1)))
		s = protowire.AppendTag(s, 2, protowire.BytesType)
		msg(2, protowire.AppendBytes(s, protowire.AppendVarint(nil, 1024)))
	}
	return b
}

// fixtureFiles lists every fixture and corpus file that is not code or
// prose.
func fixtureFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, dir := range []string{fixtures, corpusDir} {
		_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && !strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, ".md") && !strings.HasSuffix(p, ".json") {
				files = append(files, p)
			}
			return nil
		})
	}
	return files
}

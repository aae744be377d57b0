package profile

import (
	"bytes"
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/leakdiff/leakdiff/internal/bomb"
	"google.golang.org/protobuf/encoding/protowire"
)

// stringHead is the start of a valid Profile message whose first string
// spans size bytes: content that passes the first look (implausible) and
// must be measured.
func stringHead(size int64) []byte {
	b := protowire.AppendTag(nil, 6, protowire.BytesType)
	return protowire.AppendVarint(b, uint64(size))
}

// TestDecompressionBomb: gzip bombs of a few MB that inflate to 4 GiB,
// as one member or as 4096, bare or nested in another gzip layer, of zeros
// or of zeros after a valid protobuf head, are refused having allocated a
// small fraction of the limit: zeros at first sight, the rest as too
// large; nesting past three layers is refused outright.
func TestDecompressionBomb(t *testing.T) {
	if testing.Short() {
		t.Skip("inflates GiBs")
	}
	const size = 4 << 30
	for _, tc := range []struct {
		name    string
		head    []byte
		members bool
		nest    int
		want    error
		reason  string
	}{
		{name: "zeros", want: ErrUnrecognized, reason: "all zero bytes"},
		{name: "zeros/members", members: true, want: ErrUnrecognized, reason: "all zero bytes"},
		{name: "zeros/nested", nest: 1, want: ErrUnrecognized, reason: "all zero bytes"},
		{name: "head", head: stringHead(64 << 20), want: ErrTooLarge},
		{name: "head/members", head: stringHead(64 << 20), members: true, want: ErrTooLarge},
		{name: "head/nested", head: stringHead(64 << 20), nest: 1, want: ErrTooLarge},
		{name: "head/nested-deep", head: stringHead(64 << 20), nest: 3, want: ErrUnrecognized, reason: "gzip nested more than 3 deep"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := bomb.GzipAfter(&b, tc.head, size, tc.members); err != nil {
				t.Fatal(err)
			}
			data, err := bomb.Nest(b.Bytes(), tc.nest)
			if err != nil {
				t.Fatal(err)
			}
			if len(data) > 6<<20 {
				t.Fatalf("bomb is %d bytes, want a few MB", len(data))
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			s, err := Decode(data, "bomb.pb.gz", &DecodeOptions{Sites: DefaultSitePolicy()})
			runtime.ReadMemStats(&after)
			if s != nil || !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("got %v, %v; want %v with %q", s, err, tc.want, tc.reason)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
				t.Errorf("refusing allocated %d MiB, want < 64 MiB", alloc>>20)
			}
			t.Logf("%d bytes refused: %v", len(data), err)
		})
	}
}

// TestBombUnderLimit: content under the limit that passes the first look
// is read whole and then refused by the decoder, not as too large.
func TestBombUnderLimit(t *testing.T) {
	var b bytes.Buffer
	if err := bomb.GzipAfter(&b, stringHead(40<<20), 40<<20, false); err != nil {
		t.Fatal(err)
	}
	_, err := Decode(b.Bytes(), "zeros.pb.gz", &DecodeOptions{Sites: DefaultSitePolicy(), MaxBytes: 64 << 20})
	if err == nil || errors.Is(err, ErrTooLarge) {
		t.Errorf("a 40 MiB string under a 64 MiB limit: %v, want a decode error, not ErrTooLarge", err)
	}
}

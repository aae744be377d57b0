package profile

import (
	"bytes"
	"errors"
	"runtime"
	"testing"

	"github.com/leakdiff/leakdiff/internal/bomb"
)

// TestDecompressionBomb: a gzip of ~4 MB that inflates to 4 GiB, as one
// member or as 4096, is refused as too large having allocated a small
// fraction of the limit; the same stream under a limit it fits is read.
func TestDecompressionBomb(t *testing.T) {
	if testing.Short() {
		t.Skip("inflates a GiB")
	}
	for _, members := range []bool{false, true} {
		var b bytes.Buffer
		if err := bomb.Gzip(&b, 4<<30, members); err != nil {
			t.Fatal(err)
		}
		if b.Len() > 6<<20 {
			t.Fatalf("members=%v: bomb is %d bytes, want a few MB", members, b.Len())
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		s, err := Decode(b.Bytes(), "bomb.pb.gz", &DecodeOptions{Sites: DefaultSitePolicy()})
		runtime.ReadMemStats(&after)
		if s != nil || !errors.Is(err, ErrTooLarge) {
			t.Fatalf("members=%v: got %v, %v; want ErrTooLarge", members, s, err)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
			t.Errorf("members=%v: refusing allocated %d MiB, want < 64 MiB", members, alloc>>20)
		}
		t.Logf("members=%v: %d bytes refused: %v", members, b.Len(), err)
	}
	// Under the limit, a long run of zeros past the first bound is
	// measured, then read whole: zeros are not a profile.
	var b bytes.Buffer
	if err := bomb.Gzip(&b, 40<<20, false); err != nil {
		t.Fatal(err)
	}
	_, err := Decode(b.Bytes(), "zeros.pb.gz", &DecodeOptions{Sites: DefaultSitePolicy(), MaxBytes: 64 << 20})
	if err == nil || errors.Is(err, ErrTooLarge) {
		t.Errorf("40 MiB of zeros under a 64 MiB limit: %v, want a decode error, not ErrTooLarge", err)
	}
}

package profile

import (
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

// roundTrip encodes and decodes s and reports the first difference.
func roundTrip(t *testing.T, s *Snapshot) {
	t.Helper()
	data, err := s.MarshalBinary()
	if err != nil {
		t.Fatalf("%s: marshal: %v", s.File, err)
	}
	var got Snapshot
	if err := got.UnmarshalBinary(data); err != nil {
		t.Fatalf("%s: unmarshal: %v", s.File, err)
	}
	want := *s
	want.internedNames = false
	if len(want.Labels) == 0 {
		want.Labels = nil
	}
	if !want.Time.IsZero() {
		want.Time = want.Time.UTC()
	}
	if !reflect.DeepEqual(got, want) {
		switch {
		case !reflect.DeepEqual(got.Sites, want.Sites):
			for i := range want.Sites {
				if i >= len(got.Sites) || !reflect.DeepEqual(got.Sites[i], want.Sites[i]) {
					t.Fatalf("%s: site %d differs:\n got %+v\nwant %+v", s.File, i, got.Sites[i], want.Sites[i])
				}
			}
		default:
			got.Sites, want.Sites = nil, nil
			t.Fatalf("%s: differs:\n got %+v\nwant %+v", s.File, got, want)
		}
	}
}

// TestSnapshotCodecRoundTrip: every fixture's reduced snapshot survives the
// encoding unchanged, and the encoding is a fraction of the profile.
func TestSnapshotCodecRoundTrip(t *testing.T) {
	t.Parallel()
	var files, encoded, raw int64
	err := filepath.WalkDir(fixtures, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".go") || strings.HasSuffix(p, ".md") || strings.HasSuffix(p, ".json") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		s, err := DecodeFile(data, p, &DecodeOptions{Sites: DefaultSitePolicy()}, time.Now())
		if err != nil {
			return nil // not a snapshot: TestLoad covers those
		}
		s.Source = "src"
		roundTrip(t, s)
		b, _ := s.MarshalBinary()
		files++
		encoded += int64(len(b))
		raw += int64(len(data))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 {
		t.Fatalf("only %d snapshots round-tripped", files)
	}
	t.Logf("%d snapshots: %d bytes as files, %d encoded", files, raw, encoded)
}

func TestSnapshotCodecRefuses(t *testing.T) {
	t.Parallel()
	s := &Snapshot{File: "f", Kind: KindHeap, Metrics: []Metric{{"inuse_space", "bytes"}}, Totals: []int64{1},
		Sites: []SiteValue{{Site: Site{Function: "main.f"}, Values: []int64{1}}}}
	good, _ := s.MarshalBinary()
	plain, _ := codecDecoder.DecodeAll(good, nil)
	reencode := func(b []byte) []byte { return codecEncoder.EncodeAll(b, nil) }
	future := protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), 99)
	tests := []struct {
		name    string
		data    []byte
		version bool
	}{
		{"empty", reencode(nil), true},
		{"not_zstd", plain, false},
		{"future_version", reencode(append(future, plain[2:]...)), true},
		{"truncated", good[:len(good)-3], false},
		{"truncated_inside", reencode(plain[:len(plain)-3]), false},
		{"string_index_out_of_range", reencode(append(append([]byte{}, plain...), protowire.AppendVarint(protowire.AppendTag(nil, 4, protowire.VarintType), 1000)...)), false},
		{"values_without_metrics", func() []byte {
			b := *s
			b.Metrics = nil
			b.Totals = nil
			d, _ := b.MarshalBinary()
			return d
		}(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got Snapshot
			err := got.UnmarshalBinary(tt.data)
			if err == nil {
				t.Fatal("no error")
			}
			if tt.version != errors.Is(err, ErrCodecVersion) {
				t.Errorf("error %v: version error %v, want %v", err, errors.Is(err, ErrCodecVersion), tt.version)
			}
		})
	}
}

// FuzzSnapshotCodec: any bytes decode or are refused, never a panic; what
// decodes encodes to something that decodes the same.
func FuzzSnapshotCodec(f *testing.F) {
	for _, p := range []string{fixtures + "snapshots/primary", fixtures + "formats/debug2"} {
		entries, _ := os.ReadDir(p)
		for _, e := range entries[:min(4, len(entries))] {
			data, err := os.ReadFile(filepath.Join(p, e.Name()))
			if err != nil {
				continue
			}
			if s, err := DecodeFile(data, e.Name(), &DecodeOptions{Sites: DefaultSitePolicy()}, time.Now()); err == nil {
				b, _ := s.MarshalBinary()
				f.Add(b)
			}
		}
	}
	hostile := Snapshot{File: "x\n\x1b[2J.pb.gz", Source: "a\u202e", Kind: KindHeap, Type: "heap", Cumulative: -1,
		Metrics: []Metric{{Name: "inuse_space", Unit: "bytes"}}, Totals: []int64{math.MaxInt64},
		Sites: []SiteValue{{Site: Site{Function: "main.f\x1b]0;owned\x07"}, Values: []int64{math.MaxInt64}}}}
	if b, err := hostile.MarshalBinary(); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var s Snapshot
		if s.UnmarshalBinary(data) != nil {
			return
		}
		b, err := s.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var again Snapshot
		if err := again.UnmarshalBinary(b); err != nil {
			t.Fatalf("re-encoding does not decode: %v", err)
		}
		if !reflect.DeepEqual(again.Sites, s.Sites) {
			t.Fatal("re-encoding changed the sites")
		}
	})
}

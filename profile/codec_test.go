package profile

import (
	"bytes"
	"encoding/binary"
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

// TestSnapshotCodecStackKeys: a stack's frames are read once per load and
// shared by the entries that name it by its key; a key that does not match
// its frames refuses the entry.
func TestSnapshotCodecStackKeys(t *testing.T) {
	t.Parallel()
	stack := func(fns ...string) Stack {
		var st Stack
		for i, f := range fns {
			st = append(st, Frame{Function: f, File: f + ".go", Line: i + 1})
		}
		return st
	}
	a, b := stack("main.leak", "main.main"), stack("main.other", "main.main")
	if a.contentKey() == b.contentKey() || a.contentKey() != stack("main.leak", "main.main").contentKey() {
		t.Fatal("content keys do not follow content")
	}
	snap := func(st Stack) *Snapshot {
		return &Snapshot{File: "f", Kind: KindHeap, Metrics: []Metric{{"inuse_space", "bytes"}}, Totals: []int64{1},
			Sites: []SiteValue{{Site: Site{Function: "main.f"}, Values: []int64{1}, Stack: st, StackValue: 1}}}
	}
	in := NewInterner()
	var got [2]Snapshot
	for i := range got {
		data, err := snap(a).MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if err := got[i].unmarshal(data, in); err != nil {
			t.Fatal(err)
		}
		if st := got[i].Sites[0].Stack; !reflect.DeepEqual(st, a) {
			t.Fatalf("entry %d: stack %v, want %v", i, st, a)
		}
	}
	if &got[0].Sites[0].Stack[0] != &got[1].Sites[0].Stack[0] {
		t.Error("the second entry's stack is not the one the first read")
	}
	// The frames of a, under b's key.
	data, _ := snap(a).MarshalBinary()
	plain, _ := codecDecoder.DecodeAll(data, nil)
	ka, kb := a.contentKey(), b.contentKey()
	enc := func(k [2]uint64) []byte {
		return binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, k[0]), k[1])
	}
	forged := bytes.Replace(plain, enc(ka), enc(kb), 1)
	if bytes.Equal(forged, plain) {
		t.Fatal("key not found in the entry")
	}
	var s Snapshot
	if err := s.unmarshal(codecEncoder.EncodeAll(forged, nil), NewInterner()); !errors.Is(err, errStackKey) {
		t.Fatalf("forged key: error %v, want %v", err, errStackKey)
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

package profile

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	pprof "github.com/google/pprof/profile"
	"google.golang.org/protobuf/encoding/protowire"
)

// TestLeanMatchesPprof: on every protobuf fixture and corpus file, the lean
// decoder gives exactly the snapshot the pprof path gives (or declines and
// leaves it to pprof).
func TestLeanMatchesPprof(t *testing.T) {
	t.Parallel()
	var files []string
	for _, dir := range []string{fixtures, corpusDir} {
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				files = append(files, p)
			}
			return nil
		})
	}
	sp := DefaultSitePolicy()
	line := SitePolicy{Granularity: ByLine}
	compared := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if len(data) > 2 && data[0] == 0x1f && data[1] == 0x8b {
			zr, err := gzip.NewReader(bytes.NewReader(data))
			if err != nil {
				continue
			}
			if data, err = io.ReadAll(zr); err != nil {
				continue
			}
		}
		if len(data) == 0 || isText(data) {
			continue
		}
		for _, p := range []*SitePolicy{&sp, &line} {
			lean, lerr := decodeLean(data, p, nil)
			if lerr != nil {
				continue
			}
			full, err := decodeWithPprof(data, p)
			if err != nil {
				t.Errorf("%s: lean decoded what pprof refuses (%v)", f, err)
				continue
			}
			compared++
			if !reflect.DeepEqual(lean, full) {
				t.Errorf("%s: lean and pprof differ:\nlean %+v\npprof %+v", f, summary(lean), summary(full))
				for i := range min(len(lean.Sites), len(full.Sites)) {
					if !reflect.DeepEqual(lean.Sites[i], full.Sites[i]) {
						t.Errorf("first differing site:\nlean %+v\npprof %+v", lean.Sites[i], full.Sites[i])
						break
					}
				}
			}
		}
	}
	if compared < 100 {
		t.Errorf("compared %d decodes, want the fixtures' and corpus' protobufs (>100)", compared)
	}
}

func summary(s *Snapshot) any {
	return struct {
		Kind, Type, Binary string
		Totals             []int64
		Sites              int
		Notes              []string
		Labels             map[string]string
		Cum                int64
	}{s.Kind.String(), s.Type, s.Binary, s.Totals, len(s.Sites), s.Notes, s.Labels, s.Cumulative}
}

// TestLineFieldsMatchesVarintFields: the inline fast paths read what the
// general reader reads, for short and long ids and lines, with and
// without extra fields.
func TestLineFieldsMatchesVarintFields(t *testing.T) {
	vals := []uint64{0, 1, 127, 128, 300, 16383, 16384, 1 << 21, 1<<63 + 5}
	for _, fn := range vals {
		for _, line := range vals {
			for _, col := range []uint64{0, 7} {
				var b []byte
				b = protowire.AppendTag(b, 1, protowire.VarintType)
				b = protowire.AppendVarint(b, fn)
				b = protowire.AppendTag(b, 2, protowire.VarintType)
				b = protowire.AppendVarint(b, line)
				if col != 0 {
					b = protowire.AppendTag(b, 3, protowire.VarintType)
					b = protowire.AppendVarint(b, col)
				}
				got, err1 := lineFields(b)
				want, err2 := varintFields(b)
				if got != want || (err1 == nil) != (err2 == nil) {
					t.Errorf("fn %d line %d col %d: lineFields %v, %v; varintFields %v, %v", fn, line, col, got, err1, want, err2)
				}
				if got[1] != fn || got[2] != line {
					t.Errorf("fn %d line %d: read %d, %d", fn, line, got[1], got[2])
				}
			}
		}
	}
}

// TestLeanSiteNames: a function named like the site of an empty or an
// address-only stack shares that site, in either order, on both paths;
// the lean decoder keys function sites by name id and the others by Site.
func TestLeanSiteNames(t *testing.T) {
	fns := []*pprof.Function{{ID: 1, Name: "(no stack)"}, {ID: 2, Name: "0x1<0x2"}}
	named := []*pprof.Location{{ID: 1, Line: []pprof.Line{{Function: fns[0], Line: 1}}}, {ID: 2, Line: []pprof.Line{{Function: fns[1], Line: 1}}}}
	addrs := []*pprof.Location{{ID: 3, Address: 1}, {ID: 4, Address: 2}}
	for _, nameFirst := range []bool{true, false} {
		named1 := []*pprof.Sample{
			{Location: named[:1], Value: []int64{5}},
			{Location: named[1:], Value: []int64{7}},
		}
		other := []*pprof.Sample{
			{Value: []int64{3}},
			{Location: addrs, Value: []int64{11}},
		}
		samples := append(append([]*pprof.Sample{}, named1...), other...)
		if !nameFirst {
			samples = append(append([]*pprof.Sample{}, other...), named1...)
		}
		p := &pprof.Profile{
			SampleType: []*pprof.ValueType{{Type: "inuse_space", Unit: "bytes"}},
			Function:   fns, Location: append(append([]*pprof.Location{}, named...), addrs...),
			Sample: samples,
		}
		var b bytes.Buffer
		if err := p.WriteUncompressed(&b); err != nil {
			t.Fatal(err)
		}
		for _, sp := range []SitePolicy{DefaultSitePolicy(), {Granularity: ByLine}} {
			lean, err := decodeLean(b.Bytes(), &sp, nil)
			if err != nil {
				t.Fatal(err)
			}
			full, err := decodeWithPprof(b.Bytes(), &sp)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(lean, full) {
				t.Errorf("name first %v, granularity %v: lean %+v, pprof %+v", nameFirst, sp.Granularity, lean.Sites, full.Sites)
			}
			if sp.Granularity == ByFunction && len(lean.Sites) != 2 {
				t.Errorf("name first %v: %d sites, want 2: %+v", nameFirst, len(lean.Sites), lean.Sites)
			}
		}
	}
}

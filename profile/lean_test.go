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

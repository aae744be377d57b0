package profile

import (
	"bytes"
	"strings"
	"testing"

	pprof "github.com/google/pprof/profile"
)

// TestDuplicateSampleTypes: a profile naming a sample type twice is read
// with the first and says so, in the lean decoder and in pprof's path.
func TestDuplicateSampleTypes(t *testing.T) {
	t.Parallel()
	fn := &pprof.Function{ID: 1, Name: "main.leak"}
	loc := &pprof.Location{ID: 1, Line: []pprof.Line{{Function: fn}}}
	p := &pprof.Profile{
		SampleType: []*pprof.ValueType{{Type: "inuse_space", Unit: "bytes"}, {Type: "inuse_space", Unit: "bytes"}},
		Sample:     []*pprof.Sample{{Location: []*pprof.Location{loc}, Value: []int64{10, 20}}},
		Location:   []*pprof.Location{loc},
		Function:   []*pprof.Function{fn},
		TimeNanos:  1,
	}
	var b bytes.Buffer
	if err := p.WriteUncompressed(&b); err != nil {
		t.Fatal(err)
	}
	sp := DefaultSitePolicy()
	for name, decode := range map[string]func() (*Snapshot, error){
		"lean":  func() (*Snapshot, error) { return decodeLean(b.Bytes(), &sp, nil) },
		"pprof": func() (*Snapshot, error) { return decodeWithPprof(b.Bytes(), &sp) },
	} {
		s, err := decode()
		if err != nil || len(s.Notes) != 1 || !strings.Contains(s.Notes[0], "inuse_space appears more than once") || s.Totals[0] != 10 {
			t.Errorf("%s: %+v, %v; want the first inuse_space used, with a note", name, s, err)
		}
	}
}

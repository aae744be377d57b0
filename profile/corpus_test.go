package profile

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakdiff/leakdiff/internal/golden"
)

// corpusDir holds real profiles written by other projects (see its
// PROVENANCE.md); it sits beside the repository, not in it.
const corpusDir = "../../shared/corpus"

// TestCorpus reads every corpus file: each is either decoded, with its kind,
// type and site count, or refused with a reason. The result is a golden file,
// so a change in what leakdiff makes of real-world files shows in review.
func TestCorpus(t *testing.T) {
	if _, err := os.Stat(corpusDir); err != nil {
		t.Skipf("corpus not found at %s (it lives in shared/ beside the repository): %v", corpusDir, err)
	}
	var b strings.Builder
	n := 0
	err := filepath.WalkDir(corpusDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == "PROVENANCE.md" {
			return err
		}
		n++
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(corpusDir, p)
		s, err := Decode(data, p, &DecodeOptions{Sites: DefaultSitePolicy()})
		if err != nil {
			if strings.TrimSpace(err.Error()) == "" {
				t.Errorf("%s: refused without a reason", rel)
			}
			fmt.Fprintf(&b, "%s: refused: %v\n", rel, err)
			return nil
		}
		fmt.Fprintf(&b, "%s: %s %q %s", rel, s.Kind, s.Type, s.Format)
		if s.Kind != KindOther {
			var metrics []string
			for i, m := range s.Metrics {
				metrics = append(metrics, fmt.Sprintf("%s=%d", m.Name, s.Totals[i]))
			}
			top := ""
			if len(s.Sites) > 0 {
				best := s.Sites[0]
				for _, sv := range s.Sites {
					if sv.Values[0] > best.Values[0] {
						best = sv
					}
				}
				top = best.Site.Function
			}
			fmt.Fprintf(&b, " sites=%d %s top=%q", len(s.Sites), strings.Join(metrics, " "), top)
		}
		if s.TimeFrom == TimeUnknown {
			b.WriteString(" no-time")
		}
		for _, note := range s.Notes {
			fmt.Fprintf(&b, " note=%q", note)
		}
		b.WriteString("\n")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 90 {
		t.Errorf("walked %d corpus files, want the ~98 of PROVENANCE.md", n)
	}
	golden.Check(t, "testdata/corpus.golden", []byte(b.String()))
}

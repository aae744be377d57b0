package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/leakdiff/leakdiff/diff"
	"github.com/leakdiff/leakdiff/profile"
)

const fixturesDir = "../../testdata/fixtures"

// Expect is a scenario's NAME.expect.json, beside its folder NAME: what leakdiff must find in its
// fixture, and what it must leave alone.
type Expect struct {
	Scenario string  `json:"scenario"`
	What     string  `json:"what"`
	Leaks    []Entry `json:"leaks"`
	Quiet    []Entry `json:"quiet"`
}

// Entry names one series (source, kind, metric) and a site in it by a
// regexp on the full function name.
type Entry struct {
	Source string `json:"source"`
	Kind   string `json:"kind"`
	Metric string `json:"metric"`
	Site   string `json:"site"`
	// Rule is the catalog rule the leak should match, once rules exist.
	Rule string `json:"rule,omitempty"`
	// Why says what shape makes a control harmless.
	Why string `json:"why,omitempty"`
}

func loadExpect(t *testing.T, path string) Expect {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var e Expect
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(e.Leaks)+len(e.Quiet) == 0 {
		t.Fatalf("%s: no leaks and no quiet entries", path)
	}
	return e
}

func findSeries(set *profile.Set, e Entry) *profile.Series {
	for i := range set.Series {
		s := &set.Series[i]
		if s.Source == e.Source && s.Kind.String() == e.Kind && s.Metric.Name == e.Metric {
			return s
		}
	}
	return nil
}

// TestScenarios checks every fixture against its expectations.
func TestScenarios(t *testing.T) {
	t.Parallel()
	paths, err := filepath.Glob(filepath.Join(fixturesDir, "*.expect.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatalf("no scenario fixtures under %s", fixturesDir)
	}
	for _, p := range paths {
		dir := strings.TrimSuffix(p, ".expect.json")
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			exp := loadExpect(t, p)
			sp := profile.DefaultSitePolicy()
			loaded, err := profile.Load(context.Background(), []string{dir}, profile.LoadOptions{Decode: profile.DecodeOptions{Sites: sp}})
			if err != nil {
				t.Fatal(err)
			}
			for _, sk := range loaded.Skipped {
				t.Errorf("skipped %s: %v", sk.File, sk.Err)
			}
			set := profile.Align(loaded.Snapshots)
			for _, l := range exp.Leaks {
				s := findSeries(set, l)
				if s == nil {
					t.Errorf("leak %+v: no such series", l)
					continue
				}
				re := regexp.MustCompile(l.Site)
				ranked := diff.RankGrowth(s)
				if len(ranked) == 0 {
					t.Errorf("leak %+v: series has no site", l)
					continue
				}
				top := s.Sites[ranked[0].Site]
				if !re.MatchString(top.Site.Function) {
					t.Errorf("%s/%s/%s: ranked first %s (%+d), want a site matching %s", l.Source, l.Kind, l.Metric, top.Site.Function, ranked[0].Delta, l.Site)
				}
				t.Logf("leak %s/%s/%s: %s %d → %d over %d snapshots", l.Source, l.Kind, l.Metric, top.Site.Function, ranked[0].First, ranked[0].Last, len(s.Times))
				if ranked[0].Delta <= 0 {
					t.Errorf("%s/%s/%s: top site does not grow (%+d)", l.Source, l.Kind, l.Metric, ranked[0].Delta)
				}
			}
			for _, q := range exp.Quiet {
				// Until trends are fitted, check only that the control
				// site is there, so the expectation cannot go stale.
				s := findSeries(set, q)
				if s == nil {
					t.Errorf("quiet %+v: no such series", q)
					continue
				}
				re := regexp.MustCompile(q.Site)
				found := false
				for _, ss := range s.Sites {
					found = found || re.MatchString(ss.Site.Function)
				}
				if !found {
					t.Errorf("quiet %+v: no site matches in the series", q)
				}
			}
		})
	}
}

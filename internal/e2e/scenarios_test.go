package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/leakdiff/leakdiff/diff"
	"github.com/leakdiff/leakdiff/profile"
	"github.com/leakdiff/leakdiff/rules"
)

const fixturesDir = "../../testdata/fixtures"

// Expect is a scenario's NAME.expect.json, beside its folder NAME: what leakdiff must find in its
// fixture, and what it must leave alone.
type Expect struct {
	Scenario string  `json:"scenario"`
	What     string  `json:"what"`
	Leaks    []Entry `json:"leaks"`
	Quiet    []Entry `json:"quiet"`
	// AlsoRules are rules that may fire on other sites of the same leak
	// (etcd's watch streams also leave gRPC and context goroutines).
	AlsoRules []string `json:"also_rules,omitempty"`
	// Asymmetries lists "growing>steady" source pairs that must be called
	// out (the primary/replica pattern).
	Asymmetries []string `json:"asymmetries,omitempty"`
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
			set.AddBalances(rules.Builtin().RelatedMetrics())
			an := diff.Analyze(set, diff.Options{})
			matches := rules.Annotate(an, rules.Builtin())
			// best returns the top finding of the series e names.
			best := func(e Entry) (*diff.Finding, *profile.Series) {
				for i := range an.Findings {
					f := &an.Findings[i]
					s := an.Series[f.Series].Series
					if s.Source == e.Source && s.Kind.String() == e.Kind && s.Metric.Name == e.Metric {
						return f, s
					}
				}
				return nil, nil
			}
			for _, l := range exp.Leaks {
				f, s := best(l)
				if f == nil {
					t.Errorf("leak %+v: no such series or no finding in it", l)
					continue
				}
				site := s.Sites[f.Site].Site.Function
				t.Logf("leak %s/%s/%s: %s %s %s, %.4g → %.4g over %d snapshots, %+.4g/h, p %.2g (%s), score %.2f", l.Source, l.Kind, l.Metric, f.Severity, f.Trend.Shape, site, f.Trend.Start, f.Trend.End, f.Trend.N, f.Trend.TheilSen, f.Trend.P, f.Trend.PMethod, f.Score)
				if !regexp.MustCompile(l.Site).MatchString(site) {
					t.Errorf("%s/%s/%s: ranked first %s, want a site matching %s", l.Source, l.Kind, l.Metric, site, l.Site)
				}
				if f.Severity < diff.SeverityMedium {
					t.Errorf("%s/%s/%s: %s is %s (%s, p %.3g, score %.2f), want medium or worse", l.Source, l.Kind, l.Metric, site, f.Severity, f.Trend.Shape, f.Trend.P, f.Score)
				}
				got := ""
				if m := matches[rules.Key{Series: f.Series, Site: f.Site}]; m != nil {
					got = m.Rule.ID
				}
				if got != l.Rule {
					t.Errorf("%s/%s/%s: %s matched rule %q, want %q", l.Source, l.Kind, l.Metric, site, got, l.Rule)
				}
			}
			for _, q := range exp.Quiet {
				re := regexp.MustCompile(q.Site)
				found := false
				for _, f := range an.Findings {
					s := an.Series[f.Series].Series
					if s.Source != q.Source || s.Kind.String() != q.Kind || s.Metric.Name != q.Metric || !re.MatchString(s.Sites[f.Site].Site.Function) {
						continue
					}
					found = true
					t.Logf("quiet %s/%s/%s: %s %s %s (%s)", q.Source, q.Kind, q.Metric, f.Severity, f.Trend.Shape, s.Sites[f.Site].Site.Function, q.Why)
					if f.Severity >= diff.SeverityMedium {
						t.Errorf("quiet %s/%s/%s: %s is %s (%s, p %.3g, score %.2f): %s", q.Source, q.Kind, q.Metric, s.Sites[f.Site].Site.Function, f.Severity, f.Trend.Shape, f.Trend.P, f.Score, q.Why)
					}
				}
				if !found {
					t.Errorf("quiet %+v: no site matches in the series", q)
				}
			}
			var found []string
			for _, as := range an.Asymmetries() {
				for _, p := range as.Steady {
					found = append(found, as.Growing+">"+p.Source)
				}
				t.Logf("asymmetry: %s", as.Describe())
			}
			for _, want := range exp.Asymmetries {
				if !slices.Contains(found, want) {
					t.Errorf("asymmetry %s not reported (found %v)", want, found)
				}
			}
			if len(exp.Asymmetries) == 0 && len(found) > 0 {
				t.Errorf("unexpected asymmetries %v", found)
			}
			// A rule fires only for this scenario's leaks.
			allowed := map[string]bool{}
			for _, l := range exp.Leaks {
				allowed[l.Rule] = true
			}
			for _, r := range exp.AlsoRules {
				allowed[r] = true
			}
			for k, m := range matches {
				if !allowed[m.Rule.ID] {
					s := an.Series[k.Series].Series
					t.Errorf("rule %s fired on %s/%s %s, which this scenario does not expect (%v)", m.Rule.ID, s.Source, s.Kind, s.Sites[k.Site].Site.Function, m.Evidence)
				}
			}
			// Controls: nothing at all medium or worse.
			if len(exp.Leaks) == 0 {
				for _, f := range an.Findings {
					if f.Severity >= diff.SeverityMedium {
						s := an.Series[f.Series].Series
						t.Errorf("control: %s/%s/%s %s reported %s (%s, score %.2f)", s.Source, s.Kind, s.Metric.Name, s.Sites[f.Site].Site.Function, f.Severity, f.Trend.Shape, f.Score)
					}
				}
			}
		})
	}
}

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
	// Dir is the fixture's folder relative to testdata/fixtures when it is
	// not the one named like the file (series kept elsewhere in testdata).
	Dir string `json:"dir,omitempty"`
}

// fixtureDir is the folder an expect file describes.
func fixtureDir(path string, e Expect) string {
	if e.Dir != "" {
		return filepath.Join(fixturesDir, e.Dir)
	}
	return strings.TrimSuffix(path, ".expect.json")
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
	// Top: the leak's site must be among the first Top findings of its
	// series (default 1: ranked first).
	Top int `json:"top,omitempty"`
	// Group lists regexps of sites that must be members of the leak's
	// finding (one leak, one finding); leaks of one source not listed in
	// each other's group must be separate findings.
	Group []string `json:"group,omitempty"`
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
		t.Run(strings.TrimSuffix(filepath.Base(p), ".expect.json"), func(t *testing.T) {
			t.Parallel()
			exp := loadExpect(t, p)
			dir := fixtureDir(p, exp)
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
			// best returns the finding of the series e names whose site
			// matches, among its first e.Top (default 1), else the top one.
			best := func(e Entry) (*diff.Finding, *profile.Series) {
				re := regexp.MustCompile(e.Site)
				var first *diff.Finding
				var fs *profile.Series
				n := 0
				for i := range an.Findings {
					f := &an.Findings[i]
					s := an.Series[f.Series].Series
					if s.Source != e.Source || s.Kind.String() != e.Kind || s.Metric.Name != e.Metric {
						continue
					}
					if first == nil {
						first, fs = f, s
					}
					if n++; n > max(e.Top, 1) {
						break
					}
					if re.MatchString(s.Sites[f.Site].Site.Function) {
						return f, s
					}
				}
				return first, fs
			}
			lead := func(f *diff.Finding) diff.Ref {
				if f.GroupedInto != nil {
					return *f.GroupedInto
				}
				return f.Ref()
			}
			leads := map[diff.Ref]Entry{}
			// listed reports whether e's group names a site regexp.
			listed := func(e Entry, site string) bool { return slices.Contains(e.Group, site) }
			for _, l := range exp.Leaks {
				f, s := best(l)
				if f == nil {
					t.Errorf("leak %+v: no such series or no finding in it", l)
					continue
				}
				// One leak, one finding: the named members are in its
				// group; two leaks are two findings.
				ld := lead(f)
				if other, ok := leads[ld]; ok && !listed(other, l.Site) && !listed(l, other.Site) {
					t.Errorf("leak %s and leak %s are one finding; they are two leaks (or say so with \"group\")", l.Site, other.Site)
				}
				leads[ld] = l
				for _, g := range l.Group {
					re := regexp.MustCompile(g)
					found := re.MatchString(an.Series[ld.Series].Series.Sites[ld.Site].Site.Function)
					for i := range an.Findings {
						m := &an.Findings[i]
						if m.GroupedInto != nil && *m.GroupedInto == ld && re.MatchString(an.Series[m.Series].Series.Sites[m.Site].Site.Function) {
							found = true
						}
					}
					if !found {
						t.Errorf("%s/%s/%s: no member of the finding of %s matches %s", l.Source, l.Kind, l.Metric, l.Site, g)
					}
				}
				site := s.Sites[f.Site].Site.Function
				t.Logf("leak %s/%s/%s: %s %s %s, %.4g → %.4g over %d snapshots, %+.4g/h, p %.2g (%s), score %.2f", l.Source, l.Kind, l.Metric, f.Severity, f.Trend.Shape, site, f.Trend.Start, f.Trend.End, f.Trend.N, f.Trend.TheilSen, f.Trend.P, f.Trend.PMethod, f.Score)
				if !regexp.MustCompile(l.Site).MatchString(site) {
					t.Errorf("%s/%s/%s: ranked first %s, want a site matching %s among the first %d", l.Source, l.Kind, l.Metric, site, l.Site, max(l.Top, 1))
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

// TestRuleTable: every built-in rule is proven on at least one fixture
// written by a real program (a leak of that fixture carries it), and fires
// on no fixture that does not name it (TestScenarios checks each fixture;
// this checks the catalog). Run with -v for the table rule → fixtures.
func TestRuleTable(t *testing.T) {
	t.Parallel()
	paths, err := filepath.Glob(filepath.Join(fixturesDir, "*.expect.json"))
	if err != nil {
		t.Fatal(err)
	}
	proven := map[string][]string{} // rule → fixtures whose leak carries it
	for _, p := range paths {
		exp := loadExpect(t, p)
		dir := fixtureDir(p, exp)
		loaded, err := profile.Load(context.Background(), []string{dir}, profile.LoadOptions{Decode: profile.DecodeOptions{Sites: profile.DefaultSitePolicy()}})
		if err != nil {
			t.Fatal(err)
		}
		set := profile.Align(loaded.Snapshots)
		set.AddBalances(rules.Builtin().RelatedMetrics())
		an := diff.Analyze(set, diff.Options{})
		matches := rules.Annotate(an, rules.Builtin())
		fired := map[string]bool{}
		for _, m := range matches {
			fired[m.Rule.ID] = true
		}
		for _, l := range exp.Leaks {
			if l.Rule != "" && fired[l.Rule] {
				proven[l.Rule] = append(proven[l.Rule], strings.TrimSuffix(filepath.Base(p), ".expect.json"))
			}
		}
	}
	for _, r := range rules.Builtin().Rules {
		fx := slices.Compact(proven[r.ID])
		t.Logf("%-34s %s", r.ID, strings.Join(fx, ", "))
		if len(fx) == 0 {
			t.Errorf("rule %s is proven on no fixture: no fixture's leak carries it", r.ID)
		}
	}
}

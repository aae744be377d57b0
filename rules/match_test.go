package rules

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/leakdiff/leakdiff/diff"
	"github.com/leakdiff/leakdiff/profile"
)

// ruleCase names one real finding: a fixture folder under the repository's
// testdata/, a source, a kind and a regexp on the site's function.
type ruleCase struct {
	Fixture string `yaml:"fixture"`
	Source  string `yaml:"source"`
	Kind    string `yaml:"kind"`
	Site    string `yaml:"site"`
}

var analyses sync.Map // fixture → *diff.Analysis

func analysis(t *testing.T, fixture string) *diff.Analysis {
	t.Helper()
	if a, ok := analyses.Load(fixture); ok {
		return a.(*diff.Analysis)
	}
	dir := filepath.Join("..", "testdata", fixture)
	opts := profile.LoadOptions{Decode: profile.DecodeOptions{Sites: profile.DefaultSitePolicy()}}
	if fixture == "formats/proto" || fixture == "formats/goroutineleak" {
		opts.Source = filepath.Base(fixture)
	}
	l, err := profile.Load(context.Background(), []string{dir}, opts)
	if err != nil {
		t.Fatal(err)
	}
	a := diff.Analyze(profile.Align(l.Snapshots), diff.Options{})
	analyses.Store(fixture, a)
	return a
}

func findCase(t *testing.T, c ruleCase) (*diff.Analysis, *diff.Finding) {
	t.Helper()
	a := analysis(t, c.Fixture)
	re := regexp.MustCompile(c.Site)
	for i := range a.Findings {
		f := &a.Findings[i]
		s := a.Series[f.Series].Series
		if s.Source == c.Source && s.Kind.String() == c.Kind && re.MatchString(s.Sites[f.Site].Site.Function) {
			return a, f
		}
	}
	t.Fatalf("no finding %+v", c)
	return nil, nil
}

// TestRuleFixtures: every rule matches its real positive case (as the best
// match) and is not the best match for its negative case.
func TestRuleFixtures(t *testing.T) {
	t.Parallel()
	cat := Builtin()
	for _, r := range cat.Rules {
		for _, want := range []bool{true, false} {
			name := "nomatch"
			if want {
				name = "match"
			}
			t.Run(r.ID+"/"+name, func(t *testing.T) {
				t.Parallel()
				data, err := os.ReadFile(filepath.Join("testdata", r.ID, name+".yaml"))
				if err != nil {
					t.Skip(err) // TestEveryRuleHasFixtures reports it
				}
				var c ruleCase
				if err := yaml.Unmarshal(data, &c); err != nil {
					t.Fatal(err)
				}
				a, f := findCase(t, c)
				s := SubjectOf(a, f)
				m := cat.Match(&s)
				got := ""
				if m != nil {
					got = m.Rule.ID
				}
				if want && got != r.ID {
					t.Errorf("%s: best match %q, want %s (shape %s, stack %v)", c.Site, got, r.ID, f.Trend.Shape, s.Stack.Functions())
				}
				if !want && got == r.ID {
					t.Errorf("%s: matched %s with %v", c.Site, r.ID, m.Evidence)
				}
			})
		}
	}
}

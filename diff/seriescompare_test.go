package diff_test

import (
	"context"
	"strings"
	"testing"

	"github.com/leakdiff/leakdiff/diff"
	"github.com/leakdiff/leakdiff/profile"
	"github.com/leakdiff/leakdiff/rules"
)

func analyseFixture(t *testing.T, name string) *diff.Analysis {
	t.Helper()
	l, err := profile.Load(context.Background(), []string{"../testdata/fixtures/" + name}, profile.LoadOptions{Decode: profile.DecodeOptions{Sites: profile.DefaultSitePolicy()}})
	if err != nil {
		t.Fatal(err)
	}
	set := profile.Align(l.Snapshots)
	cat := rules.Builtin()
	set.AddBalances(cat.RelatedMetrics())
	an := diff.Analyze(set, diff.Options{Thresholds: diff.DefaultThresholds()})
	rules.Annotate(an, cat)
	return an
}

// TestCompareSeriesFixes: fixtures leaking and fixed the way the upstream
// fix did, by real libraries. Leaking → fixed gives "fixed" for the leak's
// sites and no new leak; fixed → leaking gives "new leak".
func TestCompareSeriesFixes(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		leaking, fixed string
		site           string // a site of the leak
	}{
		{"remotedialer-metrics", "remotedialer-fixed", "github.com/rancher/remotedialer.(*readBuffer).Read"},
		{"chain", "chain-closed", "main.(*Session).forwardEvents"},
		{"k8swatch", "k8swatch-stopped", ""},
		{"sqlrows", "sqlrows-closed", ""},
		{"hashring-consistent", "hashring-consistent-fixed", ""},
		{"timermap", "timermap-stopped", ""},
		{"saramaconsumer", "saramaconsumer-closed", ""},
	} {
		t.Run(tt.leaking, func(t *testing.T) {
			t.Parallel()
			leak, fixed := analyseFixture(t, tt.leaking), analyseFixture(t, tt.fixed)
			c := diff.CompareSeries(leak, fixed, diff.CompareOptions{})
			t.Logf("leaking → fixed:%s", summary(c))
			if c.Count(diff.VerdictFixed) == 0 || c.Count(diff.VerdictNewLeak) != 0 || c.Count(diff.VerdictStillLeaking) != 0 || c.Count(diff.VerdictWorse) != 0 {
				t.Errorf("leaking → fixed: %s", summary(c))
			}
			if tt.site != "" {
				found := false
				for _, v := range c.Verdicts {
					if v.Site.Function == tt.site {
						found = true
						if v.Verdict != diff.VerdictFixed {
							t.Errorf("%s: %s (%s), want fixed", tt.site, v.Verdict, v.Why)
						}
					}
				}
				if !found {
					t.Errorf("%s: no verdict; %s", tt.site, summary(c))
				}
			}
			if tt.leaking == "remotedialer-metrics" {
				// The add and remove counters: out of balance, then together.
				n := 0
				for _, v := range c.Verdicts {
					if v.Balance {
						n++
						if v.Verdict != diff.VerdictFixed || !strings.Contains(v.Why, "balanced") {
							t.Errorf("balance %s: %s (%s), want fixed, balanced", v.Site.Function, v.Verdict, v.Why)
						}
					}
				}
				if n == 0 {
					t.Error("no verdict on the add/remove balance")
				}
			}
			back := diff.CompareSeries(fixed, leak, diff.CompareOptions{})
			if back.Count(diff.VerdictNewLeak) == 0 || back.Count(diff.VerdictFixed) != 0 {
				t.Errorf("fixed → leaking: %s", summary(back))
			}
			same := diff.CompareSeries(leak, leak, diff.CompareOptions{})
			if same.Count(diff.VerdictStillLeaking) == 0 || len(same.Verdicts) != same.Count(diff.VerdictStillLeaking) {
				t.Errorf("leaking → leaking: %s", summary(same))
			}
		})
	}
}

func summary(c *diff.SeriesComparison) string {
	s := ""
	for _, v := range c.Verdicts {
		s += "\n  " + v.Verdict.String() + ": " + v.Kind.String() + " " + v.Site.Function + " — " + v.Why
	}
	return s
}

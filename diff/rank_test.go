package diff

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestRankMatchesSortingFindings checks that Rank, which sorts positions
// and then moves the findings, orders them as sorting the findings
// themselves with compareFindings does, ties included.
func TestRankMatchesSortingFindings(t *testing.T) {
	t.Parallel()
	a := Analyze(syntheticSet(2000, 30), Options{})
	r := rand.New(rand.NewPCG(7, 8))
	for range 5 {
		r.Shuffle(len(a.Findings), func(i, j int) { a.Findings[i], a.Findings[j] = a.Findings[j], a.Findings[i] })
		// Ties on every key but the site.
		for i := range a.Findings {
			if r.IntN(3) == 0 {
				f := &a.Findings[i]
				f.Severity, f.Score, f.Trend.Growth = SeverityLow, 1, 0
			}
		}
		want := slices.Clone(a.Findings)
		slices.SortFunc(want, func(p, q Finding) int { return compareFindings(a, &p, &q) })
		a.Rank()
		for i := range want {
			if g, w := a.Findings[i], want[i]; g.Series != w.Series || g.Site != w.Site || g.Score != w.Score {
				t.Fatalf("position %d: finding %d/%d, want %d/%d", i, g.Series, g.Site, w.Series, w.Site)
			}
		}
	}
}

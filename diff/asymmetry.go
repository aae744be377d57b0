package diff

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/leakdiff/leakdiff/profile"
)

// Asymmetry is growth in one source where a peer source, running the same
// program, stays flat: the primary/replica pattern, where one side keeps
// what the other purges.
type Asymmetry struct {
	Kind   profile.Kind
	Metric profile.Metric
	// Site is zero for a whole-series asymmetry (the totals).
	Site profile.Site
	// Growing is the source that grows (linear), with its trend;
	// Steady lists the peers that do not, with their shapes.
	Growing      string
	GrowingTrend Trend
	Steady       []SourceShape
}

// SourceShape is a peer source and the shape of its series there.
type SourceShape struct {
	Source string
	Shape  Shape
}

// Describe says it in one sentence.
func (s *Asymmetry) Describe() string {
	what := fmt.Sprintf("%s %s", s.Kind, s.Metric.Name)
	if s.Site.Function != "" {
		what += " at " + s.Site.Function
	}
	var peers []string
	for _, p := range s.Steady {
		peers = append(peers, fmt.Sprintf("%s (%s)", p.Source, p.Shape))
	}
	return fmt.Sprintf("%s grows in %s (linear) but not in %s, which run the same program", what, s.Growing, strings.Join(peers, ", "))
}

// peerSimilarity is the least overlap of two sources' site sets (shared
// sites over the smaller set) for them to count as the same program; at
// least one shared site must be outside the standard library, since any two
// Go programs share runtime sites.
const peerSimilarity = 0.5

// Asymmetries compares sources of the same kind and metric that run the
// same program (their sites overlap by peerSimilarity or more, with a
// shared site of their own code): a total, or
// a site rated medium or worse, that grows in one and not in another.
func (a *Analysis) Asymmetries() []Asymmetry {
	type key struct {
		kind   profile.Kind
		metric string
	}
	groups := map[key][]int{}
	for i, sf := range a.Series {
		if sf.Series.Secondary {
			continue
		}
		k := key{sf.Series.Kind, sf.Series.Metric.Name}
		groups[k] = append(groups[k], i)
	}
	// Findings by series and site.
	bySite := map[[2]int]*Finding{}
	for i := range a.Findings {
		f := &a.Findings[i]
		bySite[[2]int{f.Series, f.Site}] = f
	}
	var out []Asymmetry
	for _, idx := range groups {
		if len(idx) < 2 {
			continue
		}
		for _, gi := range idx {
			g := &a.Series[gi]
			var steady []SourceShape
			var steadySites []int
			for _, pi := range idx {
				p := &a.Series[pi]
				if pi == gi || siteSimilarity(g.Series, p.Series) < peerSimilarity {
					continue
				}
				if !p.Total.Rising() {
					steady = append(steady, SourceShape{p.Series.Source, p.Total.Shape})
				}
				steadySites = append(steadySites, pi)
			}
			if g.Total.Rising() && len(steady) > 0 {
				out = append(out, Asymmetry{Kind: g.Series.Kind, Metric: g.Series.Metric, Growing: g.Series.Source, GrowingTrend: g.Total, Steady: steady})
			}
			// Sites rated medium or worse here that peers hold without growth.
			for si, site := range g.Series.Sites {
				f := bySite[[2]int{gi, si}]
				if f == nil || f.Severity < SeverityMedium {
					continue
				}
				var st []SourceShape
				for _, pi := range steadySites {
					p := &a.Series[pi]
					j, ok := slices.BinarySearchFunc(p.Series.Sites, site.Site, func(s profile.SiteSeries, t profile.Site) int { return s.Site.Compare(t) })
					if !ok {
						continue
					}
					if pf := bySite[[2]int{pi, j}]; pf != nil && !pf.Trend.Rising() {
						st = append(st, SourceShape{p.Series.Source, pf.Trend.Shape})
					}
				}
				if len(st) > 0 {
					out = append(out, Asymmetry{Kind: g.Series.Kind, Metric: g.Series.Metric, Site: site.Site, Growing: g.Series.Source, GrowingTrend: f.Trend, Steady: st})
				}
			}
		}
	}
	slices.SortFunc(out, func(x, y Asymmetry) int {
		if c := cmp.Compare(x.Kind, y.Kind); c != 0 {
			return c
		}
		if c := cmp.Compare(x.Growing, y.Growing); c != 0 {
			return c
		}
		return x.Site.Compare(y.Site)
	})
	return out
}

// siteSimilarity is the overlap coefficient of two series' site sets (both
// sorted by site): shared sites over the smaller set; 0 when they share no
// site outside the standard library.
func siteSimilarity(a, b *profile.Series) float64 {
	i, j, both, own := 0, 0, 0, 0
	for i < len(a.Sites) && j < len(b.Sites) {
		switch c := a.Sites[i].Site.Compare(b.Sites[j].Site); {
		case c == 0:
			both++
			if !profile.IsGoStdlib(a.Sites[i].Site.Function) {
				own++
			}
			i++
			j++
		case c < 0:
			i++
		default:
			j++
		}
	}
	smaller := min(len(a.Sites), len(b.Sites))
	if smaller == 0 || own == 0 {
		return 0
	}
	return float64(both) / float64(smaller)
}

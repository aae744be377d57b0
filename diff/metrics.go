package diff

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"gonum.org/v1/gonum/stat"

	"github.com/leakdiff/leakdiff/profile"
)

// Link is a metrics finding and a profile finding of the same source that
// grow together.
type Link struct {
	Metric, Profile int // indexes into Analysis.Findings
	// R is Pearson's correlation of the two series' increments between
	// snapshots of the same moments, or of their levels when either grows
	// by a constant step (increments without variance); Levels says which.
	R      float64
	Levels bool
	N      int // points compared
}

// MinLinkR is the correlation from which a link is reported.
const MinLinkR = 0.8

// Links pairs every growing metrics finding (a gauge or a counter
// balance) with the growing heap and goroutine findings of the same source
// whose values move with it, matching snapshots taken within a second of
// each other (collect scrapes a round at once; scenario files share a
// time). Correlation of increments is the evidence; two steady linear
// series have constant increments, and are then compared by level, which
// says less (any two growing series correlate) and is marked so. At least
// 5 common snapshots are needed. Each link is also written into both
// findings' Evidence.
func (a *Analysis) Links() []Link {
	l, _ := a.LinksContext(context.Background())
	return l
}

// LinksContext is Links that stops, with ctx's error and no link written,
// once ctx is done.
//
// It costs O(F + M·P·T) for F findings, M growing metrics findings, P
// growing profile findings of their source and T snapshots: profile
// candidates are indexed by source once, and the snapshots two series have
// in common are matched once per pair of series, not per pair of findings
// (100,000 metrics series a scrape must not cost 10¹⁰ comparisons).
func (a *Analysis) LinksContext(ctx context.Context) ([]Link, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Profile findings that can be linked, by source, in finding order.
	cands := map[string][]int{}
	for pi := range a.Findings {
		p := &a.Findings[pi]
		ps := a.Series[p.Series].Series
		if ps.Kind == profile.KindMetrics || ps.Secondary || p.Severity < SeverityMedium || p.GroupedInto != nil || p.Trend.Pace.Slope <= 0 {
			continue
		}
		cands[ps.Source] = append(cands[ps.Source], pi)
	}
	if len(cands) == 0 {
		return nil, nil
	}
	type seriesPair struct{ m, p int }
	pairs := map[seriesPair][][2]int{} // snapshot indexes in common
	var x, y, dx, dy []float64
	var out []Link
	work := 0
	a.memo = map[Ref][]int64{} // the candidates' values, decoded once
	defer func() { a.memo = nil }()
	var mvBuf []int64
	for mi := range a.Findings {
		m := &a.Findings[mi]
		ms := a.Series[m.Series].Series
		if ms.Kind != profile.KindMetrics || !m.Trend.Rising() || m.Severity < SeverityMedium && !m.Symptom || m.Trend.Pace.Slope <= 0 {
			continue
		}
		var mv []int64 // decoded once a candidate needs it
		for _, pi := range cands[ms.Source] {
			if work++; work%256 == 0 && ctx.Err() != nil {
				return nil, ctx.Err()
			}
			p := &a.Findings[pi]
			key := seriesPair{m.Series, p.Series}
			at, ok := pairs[key]
			if !ok {
				at = a.commonSnapshots(m.Series, p.Series)
				pairs[key] = at
			}
			if len(at) < 5 {
				continue
			}
			if mv == nil {
				mvBuf = ms.Sites[m.Site].AppendValues(mvBuf[:0])
				mv = mvBuf
			}
			pv := a.values(p)
			x, y = x[:0], y[:0]
			for _, ij := range at {
				x, y = append(x, float64(mv[ij[0]])), append(y, float64(pv[ij[1]]))
			}
			l := Link{Metric: mi, Profile: pi, N: len(x)}
			dx, dy = appendIncrements(dx[:0], x), appendIncrements(dy[:0], y)
			if stat.Variance(dx, nil) > 0 && stat.Variance(dy, nil) > 0 {
				l.R = stat.Correlation(dx, dy, nil)
			} else {
				l.R, l.Levels = stat.Correlation(x, y, nil), true
			}
			if math.IsNaN(l.R) || l.R < MinLinkR {
				continue
			}
			out = append(out, l)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(x, y Link) int {
		if x.Profile != y.Profile {
			return x.Profile - y.Profile
		}
		return cmp.Compare(y.R, x.R)
	})
	for _, l := range out {
		m, p := &a.Findings[l.Metric], &a.Findings[l.Profile]
		how := fmt.Sprintf("r %.2f of increments over %d snapshots", l.R, l.N)
		if l.Levels {
			how = fmt.Sprintf("r %.2f of levels over %d snapshots: one of them grows by constant steps, so increments cannot be compared", l.R, l.N)
		}
		p.Evidence = append(p.Evidence, fmt.Sprintf("grows with metric %s (%s)", a.site(m).Function, how))
		m.Evidence = append(m.Evidence, fmt.Sprintf("grows with %s %s (%s)", a.Series[p.Series].Series.Kind, a.site(p).Function, how))
	}
	return out, nil
}

func (a *Analysis) site(f *Finding) profile.Site {
	return a.Series[f.Series].Series.Sites[f.Site].Site
}

// common returns the values of two findings' sites at the snapshots of
// their fitted segments taken within a second of each other.
func (a *Analysis) common(m, p *Finding) (x, y []float64) {
	mv, pv := a.values(m), a.values(p)
	for _, ij := range a.commonSnapshots(m.Series, p.Series) {
		x, y = append(x, float64(mv[ij[0]])), append(y, float64(pv[ij[1]]))
	}
	return x, y
}

// commonSnapshots returns the pairs of snapshot indexes (in series ms, in
// series ps) of their fitted segments taken within a second of each other,
// oldest first.
func (a *Analysis) commonSnapshots(msi, psi int) [][2]int {
	ms, ps := a.Series[msi], a.Series[psi]
	if !ms.Series.TimesKnown || !ps.Series.TimesKnown {
		return nil
	}
	var out [][2]int
	j := ps.Start
	for i := ms.Start; i < len(ms.Series.Times); i++ {
		t := ms.Series.Times[i]
		for j < len(ps.Series.Times) && ps.Series.Times[j].Before(t.Add(-time.Second)) {
			j++
		}
		if j < len(ps.Series.Times) && ps.Series.Times[j].Sub(t).Abs() <= time.Second {
			out = append(out, [2]int{i, j})
		}
	}
	return out
}

func appendIncrements(d, v []float64) []float64 {
	for i := 1; i < len(v); i++ {
		d = append(d, v[i]-v[i-1])
	}
	return d
}

func increments(v []float64) []float64 {
	d := make([]float64, len(v)-1)
	for i := range d {
		d[i] = v[i+1] - v[i]
	}
	return d
}

// PerUnit expresses the growth of every heap, goroutine and metrics finding
// per unit of work: its Theil–Sen slope divided by the Theil–Sen slope of
// counter (a metric name, summed over its labels) in the same source, over
// the same hours. The result is keyed by finding index; sources without the
// counter, or where it does not grow, are named in the returned notes. It
// is also written into the findings' Evidence.
func (a *Analysis) PerUnit(counter string) (map[int]float64, []string) {
	slopes := map[string]float64{} // source → counter slope per hour
	for _, sf := range a.Series {
		s := sf.Series
		if s.Kind != profile.KindMetrics {
			continue
		}
		y := make([]float64, len(s.Times)-sf.Start)
		found := false
		for _, ss := range s.Sites {
			if ss.Site.File == profile.MetricCounter && profile.MetricName(ss.Site.Function) == counter {
				found = true
				for i, v := range ss.Values()[sf.Start:] {
					y[i] += float64(v)
				}
			}
		}
		if found {
			slope, _, _ := theilSen(hoursSince(s, sf.Start, len(s.Times)), y, nil)
			slopes[s.Source] = slope
		}
	}
	out := map[int]float64{}
	var notes []string
	noted := map[string]bool{}
	for i := range a.Findings {
		f := &a.Findings[i]
		s := a.Series[f.Series].Series
		c, ok := slopes[s.Source]
		if !ok || c <= 0 {
			if !noted[s.Source] {
				noted[s.Source] = true
				if !ok {
					notes = append(notes, fmt.Sprintf("%s: no counter %s among its metrics snapshots: no growth per unit", s.Source, counter))
				} else {
					notes = append(notes, fmt.Sprintf("%s: counter %s does not grow: no growth per unit", s.Source, counter))
				}
			}
			continue
		}
		if f.Severity < SeverityLow || f.Trend.Pace.Slope <= 0 {
			continue
		}
		out[i] = f.Trend.Pace.Slope / c
		unit := PerUnitUnit(s, s.Sites[f.Site].Site)
		x, u := out[i], unit
		if unit == "bytes" {
			if x, u = scaleBytes(x); u == "" {
				u = "bytes"
			}
		}
		v := fmt.Sprintf("%.3g %s", x, u)
		f.Evidence = append(f.Evidence, fmt.Sprintf("%s per %s (Theil–Sen slopes %.4g/h ÷ %.4g/h)", v, counter, f.Trend.Pace.Slope, c))
	}
	return out, notes
}

// PerUnitUnit names what a site of s counts, for growth per unit of work:
// bytes, goroutines, inuse_objects, or for a metric its unit (bytes for a
// *_bytes gauge, else units).
func PerUnitUnit(s *profile.Series, site profile.Site) string {
	switch {
	case s.Kind == profile.KindMetrics:
		name, _, _ := strings.Cut(site.Function, "{")
		if strings.HasSuffix(name, "_bytes") {
			return "bytes"
		}
		return "units"
	case s.Metric.Unit == "count":
		return s.Metric.Name // goroutines, inuse_objects
	}
	return s.Metric.Unit
}

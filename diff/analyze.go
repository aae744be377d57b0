package diff

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/leakdiff/leakdiff/profile"
)

// Options tunes Analyze.
type Options struct {
	Thresholds Thresholds
	// MemoryLimit, in bytes, is the heap size at which a source is in
	// trouble (its GOMEMLIMIT or container limit); 0 means none.
	MemoryLimit int64
}

// SeriesFit is a series with the fit of its total over its last segment.
type SeriesFit struct {
	Series *profile.Series
	// Start is the index of the first fitted snapshot (the last segment's).
	Start int
	// Total is the trend of the series' total.
	Total Trend
	// HoursToLimit is the time until the source's in-use heap reaches the
	// memory limit at the total's Theil–Sen slope: 0 when it already has,
	// NaN when there is no limit, the series is not in-use heap bytes, or
	// the heap is not growing.
	HoursToLimit float64
}

// Finding is one site's fitted trend, scored and rated.
type Finding struct {
	// Series indexes Analysis.Series; Site indexes that series' Sites.
	Series, Site int
	Trend        Trend
	// Share is the site's part of the series' total growth (0 when the
	// total did not grow).
	Share float64
	// SlopeShare is the site's part of the total's slope: its contribution
	// to reaching the memory limit. NaN when the total is not growing.
	SlopeShare float64
	// Q is the Benjamini–Hochberg adjusted p-value of the site's pace
	// among the tested (non-constant) sites of its series: rating on
	// Q < AlphaMedium keeps the expected share of false findings among a
	// series' reported sites below AlphaMedium. NaN with fewer than 3
	// points.
	Q float64
	// Cost is what the growth will cost if it goes on (see Rate).
	Cost     Cost
	Score    float64
	Severity Severity
	// Confidence says how far the verdict can be trusted: low with few
	// snapshots or a late start, medium on a window shorter than
	// ShortWindow or under 8 snapshots; the reasons are in
	// Trend.Warnings.
	Confidence Confidence
	// Evidence lists facts beyond the numbers (longest goroutine wait, a
	// restart), for people and for rules.
	Evidence []string
	// Symptom marks a runtime gauge of a metrics snapshot (go_goroutines,
	// go_memstats_*, process_*): it shows a leak's effect on the process,
	// not where the leak is, so it is never rated above low; Links ties it
	// to the findings it follows.
	Symptom bool
	// Members lists, for the finding that leads a group, the other
	// findings of the same leak (see Group); GroupedInto is set on a
	// member and names its lead. GroupShare is the summed share of the
	// lead and the members of its series.
	Members     []Ref
	GroupedInto *Ref
	GroupShare  float64
	// GroupWhy says, on a member, what tied it into its group.
	GroupWhy string
}

// Ref names a finding by its series and site, which ranking does not
// change.
type Ref struct{ Series, Site int }

// Ref returns f's reference.
func (f *Finding) Ref() Ref { return Ref{f.Series, f.Site} }

// Analysis is the result of Analyze.
type Analysis struct {
	Series []SeriesFit
	// Findings holds one entry per site with a non-zero value in the last
	// segment, ranked: severity, then score, then growth, then sites outside
	// the standard library, then site name.
	Findings []Finding

	// memo holds decoded site values while Group or Links compares one
	// site with many.
	memo map[Ref][]int64
}

// values returns f's site values: decoded, or from the memo while Group or
// Links runs.
func (a *Analysis) values(f *Finding) []int64 {
	if v, ok := a.memo[f.Ref()]; ok {
		return v
	}
	v := a.Series[f.Series].Series.Sites[f.Site].Values()
	if a.memo != nil {
		a.memo[f.Ref()] = v
	}
	return v
}

// Analyze fits every site of every primary series (heap inuse_space,
// goroutines) over the series' last segment, scores and rates it, and ranks
// the findings; secondary series (inuse_objects) get their total fitted
// only. Sites are fitted by GOMAXPROCS workers, each result stored by index,
// so the outcome does not depend on scheduling.
func Analyze(set *profile.Set, o Options) *Analysis {
	a, _ := AnalyzeContext(context.Background(), set, o)
	return a
}

// AnalyzeContext is Analyze that stops, with ctx's error, once ctx is done:
// a series of thousands of sites takes seconds to fit.
func AnalyzeContext(ctx context.Context, set *profile.Set, o Options) (*Analysis, error) {
	th := o.Thresholds
	if th == (Thresholds{}) {
		th = DefaultThresholds()
	}
	a := &Analysis{}
	type job struct{ series, site int }
	var jobs []job
	xs := make([][]float64, len(set.Series))
	var sc scratch
	for si := range set.Series {
		s := &set.Series[si]
		start, end := s.LastSegment()
		x := hoursSince(s, start, end)
		xs[si] = x
		y := make([]float64, end-start)
		for i := range y {
			y[i] = float64(s.Totals[start+i])
		}
		sf := SeriesFit{Series: s, Start: start, Total: fit(x, y, &th, &sc), HoursToLimit: math.NaN()}
		if o.MemoryLimit > 0 && s.Metric.Unit == "bytes" && s.Kind == profile.KindHeap {
			switch lim := float64(o.MemoryLimit); {
			case sf.Total.End >= lim:
				sf.HoursToLimit = 0
			case sf.Total.Pace.Slope > 0:
				sf.HoursToLimit = (lim - sf.Total.End) / sf.Total.Pace.Slope
			}
		}
		a.Series = append(a.Series, sf)
		if s.Secondary {
			continue
		}
		for i := range s.Sites {
			// A counter only ever grows: its trend says nothing. The
			// balance of a pair of counters does (Set.AddBalances).
			if s.Kind == profile.KindMetrics && s.Sites[i].Site.File == profile.MetricCounter {
				continue
			}
			if !s.Sites[i].Zero(start, end) {
				jobs = append(jobs, job{si, i})
			}
		}
	}
	a.Findings = make([]Finding, len(jobs))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(jobs)/256))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var sc scratch
			var y []float64
			var v []int64
			for j := w; j < len(jobs); j += workers {
				if j%64 == w%64 && ctx.Err() != nil {
					return
				}
				si, i := jobs[j].series, jobs[j].site
				s, sf := &set.Series[si], &a.Series[si]
				v = s.Sites[i].AppendValues(v[:0])
				y = y[:0]
				for _, val := range v[sf.Start:] {
					y = append(y, float64(val))
				}
				a.Findings[j] = Finding{Series: si, Site: i, Trend: fit(xs[si], y, &th, &sc)}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	adjustFDR(a.Findings)
	for j := range a.Findings {
		f := &a.Findings[j]
		rate(set, a, f, &th, o.MemoryLimit > 0)
	}
	a.Rank()
	return a, nil
}

// adjustFDR sets each finding's Q: the Benjamini–Hochberg (1995) step-up
// adjustment of its pace's p-value among the tested sites of its series,
// q₍ᵢ₎ = min over j ≥ i of p₍ⱼ₎·m/j for p-values sorted ascending, m the
// number of tested sites. It controls the false-discovery rate for
// independent tests and for positively dependent ones (Benjamini and
// Yekutieli 2001), which sites of one process growing with the same load
// are. Constant sites were not tested and do not count in m.
func adjustFDR(fs []Finding) {
	bySeries := map[int][]int{}
	for i := range fs {
		fs[i].Q = math.NaN()
		if p := fs[i].Trend.Pace.P; !math.IsNaN(p) && fs[i].Trend.Pace.PMethod != "constant" {
			bySeries[fs[i].Series] = append(bySeries[fs[i].Series], i)
		} else if fs[i].Trend.Pace.PMethod == "constant" {
			fs[i].Q = 1
		}
	}
	for _, idx := range bySeries {
		slices.SortFunc(idx, func(a, b int) int {
			if c := cmp.Compare(fs[a].Trend.Pace.P, fs[b].Trend.Pace.P); c != 0 {
				return c
			}
			return cmp.Compare(a, b)
		})
		m := float64(len(idx))
		q := 1.0
		for r := len(idx) - 1; r >= 0; r-- {
			i := idx[r]
			q = min(q, fs[i].Trend.Pace.P*m/float64(r+1))
			fs[i].Q = q
		}
	}
}

// Rank sorts the findings: severity, then score, then growth, then sites
// outside the standard library, then site name, then series. Call it again
// after changing severities.
func (a *Analysis) Rank() {
	// Sort positions, then move each finding once: a Finding is large, and
	// sorting the findings themselves copied two of them per comparison.
	// The sort makes the same comparisons and swaps either way.
	fs := a.Findings
	order := make([]int, len(fs))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int { return compareFindings(a, &fs[i], &fs[j]) })
	// Position k takes the finding at order[k]: follow each cycle of the
	// permutation, marking positions done by order[k] = k.
	for k := range order {
		if order[k] == k {
			continue
		}
		held := fs[k]
		j := k
		for {
			src := order[j]
			order[j] = j
			if src == k {
				fs[j] = held
				break
			}
			fs[j] = fs[src]
			j = src
		}
	}
}

// minLimitShare is the least share of the heap's slope that lets the
// projection to the memory limit make a site critical.
const minLimitShare = 0.2

// rate scores and rates one site's trend within its series.
func rate(set *profile.Set, a *Analysis, f *Finding, th *Thresholds, limit bool) {
	s, sf := &set.Series[f.Series], &a.Series[f.Series]
	t := &f.Trend
	f.SlopeShare = math.NaN()
	if g := sf.Total.Growth; g > 0 && t.Growth > 0 {
		f.Share = clamp01(t.Growth / g)
	}
	if ts := sf.Total.Pace.Slope; ts > 0 {
		f.SlopeShare = t.Pace.Slope / ts
	}
	f.Score = Score(t, f.Share)
	// What the growth will cost: against the source's heap for bytes,
	// against its goroutines (at least CountRef) for counts; over the
	// horizon, or until the heap reaches the memory limit.
	horizon, ref := th.Horizon, max(sf.Total.End, th.CountRef)
	switch {
	case s.Kind == profile.KindMetrics:
		ref = max(math.Abs(t.End), th.CountRef)
	case s.Metric.Unit == "bytes":
		ref = sf.Total.End
		if limit && !math.IsNaN(sf.HoursToLimit) {
			horizon = min(max(sf.HoursToLimit, 1), 720)
		}
	}
	f.Cost = NewCost(&t.Pace, horizon, ref)
	// The memory limit makes a site critical only when the site drives a
	// fair part of the heap's growth towards it.
	hours := math.NaN()
	if f.SlopeShare >= minLimitShare {
		hours = sf.HoursToLimit
	}
	f.Severity = Rate(t, f.Q, f.Cost, s.Metric.Unit, hours, th)
	if s.Kind == profile.KindMetrics && profile.IsRuntimeGauge(s.Sites[f.Site].Site.Function) {
		f.Symptom = true
		f.Severity = min(f.Severity, SeverityLow)
	}
	f.Confidence = confidence(t, s.TimesKnown, th)
	f.Evidence = evidence(s, f.Site, sf.Start)
}

// confidence rates how far t's verdict can be trusted, adding the reason
// to its warnings.
func confidence(t *Trend, timesKnown bool, th *Thresholds) Confidence {
	switch {
	case t.N <= th.WeakPoints, t.Undecided:
		return ConfidenceLow
	case timesKnown && t.Rising() && t.Hours < th.ShortWindow:
		t.Warnings = append(t.Warnings, fmt.Sprintf("fitted over %s only: rated on %s of growth at this pace, %.0f× the window (confidence lowered; take snapshots over a longer span)",
			fmtHours(t.Hours), fmtHours(th.Horizon), th.Horizon/max(t.Hours, 1e-9)))
		return ConfidenceMedium
	case t.N < minMKPoints:
		return ConfidenceMedium
	}
	return ConfidenceHigh
}

// fmtHours says a number of hours as a duration: "19s", "24h", "1h45m".
func fmtHours(h float64) string {
	d := time.Duration(h * float64(time.Hour)).Round(time.Second)
	if d >= time.Hour {
		d = d.Round(time.Minute)
	}
	return strings.TrimSuffix(strings.TrimSuffix(d.String(), "0s"), "0m")
}

// hoursSince returns the fitted snapshots' times in hours since the first
// of them, or their index when the series has no times.
func hoursSince(s *profile.Series, start, end int) []float64 {
	x := make([]float64, end-start)
	for i := range x {
		if s.TimesKnown {
			x[i] = s.Times[start+i].Sub(s.Times[start]).Hours()
		} else {
			x[i] = float64(i)
		}
	}
	return x
}

func evidence(s *profile.Series, site, start int) []string {
	var ev []string
	if len(s.Segments) > 1 {
		ev = append(ev, fmt.Sprintf("restart: fitted on the last of %d segments (%d of %d snapshots)", len(s.Segments), len(s.Times)-start, len(s.Times)))
	}
	if !s.TimesKnown {
		ev = append(ev, "no times: slopes are per snapshot")
	}
	if g := s.Sites[site].Goroutines; g != nil && len(g.States) > 0 {
		e := fmt.Sprintf("goroutines in %s", g.States[0].State)
		if g.MaxWait > 0 {
			e += fmt.Sprintf(", the longest blocked for %s", g.MaxWait.Round(time.Minute))
		}
		if g.Leaked > 0 {
			e += fmt.Sprintf("; %d marked leaked by the runtime", g.Leaked)
		}
		ev = append(ev, e)
	}
	return ev
}

func compareFindings(a *Analysis, p, q *Finding) int {
	if c := cmp.Compare(q.Severity, p.Severity); c != 0 {
		return c
	}
	if c := cmp.Compare(q.Score, p.Score); c != 0 {
		return c
	}
	if c := cmp.Compare(q.Trend.Growth, p.Trend.Growth); c != 0 {
		return c
	}
	ps := a.Series[p.Series].Series.Sites[p.Site].Site
	qs := a.Series[q.Series].Series.Sites[q.Site].Site
	if c := cmp.Compare(b2i(profile.IsGoStdlib(ps.Function)), b2i(profile.IsGoStdlib(qs.Function))); c != 0 {
		return c
	}
	if c := ps.Compare(qs); c != 0 {
		return c
	}
	return cmp.Compare(p.Series, q.Series)
}

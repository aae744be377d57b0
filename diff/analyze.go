package diff

import (
	"cmp"
	"fmt"
	"math"
	"runtime"
	"slices"
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
	Score      float64
	Severity   Severity
	// Evidence lists facts beyond the numbers (longest goroutine wait, a
	// restart), for people and for rules.
	Evidence []string
}

// Analysis is the result of Analyze.
type Analysis struct {
	Series []SeriesFit
	// Findings holds one entry per site with a non-zero value in the last
	// segment, ranked: severity, then score, then growth, then sites outside
	// the standard library, then site name.
	Findings []Finding
}

// Analyze fits every site of every primary series (heap inuse_space,
// goroutines) over the series' last segment, scores and rates it, and ranks
// the findings; secondary series (inuse_objects) get their total fitted
// only. Sites are fitted by GOMAXPROCS workers, each result stored by index,
// so the outcome does not depend on scheduling.
func Analyze(set *profile.Set, o Options) *Analysis {
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
			case sf.Total.TheilSen > 0:
				sf.HoursToLimit = (lim - sf.Total.End) / sf.Total.TheilSen
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
			if !allZero(s.Sites[i].Values[start:end]) {
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
			for j := w; j < len(jobs); j += workers {
				si, i := jobs[j].series, jobs[j].site
				s, sf := &set.Series[si], &a.Series[si]
				v := s.Sites[i].Values[sf.Start:]
				y = y[:0]
				for _, val := range v {
					y = append(y, float64(val))
				}
				a.Findings[j] = finding(s, sf, si, i, fit(xs[si], y, &th, &sc), &th)
			}
		}()
	}
	wg.Wait()
	a.Rank()
	return a
}

// Rank sorts the findings: severity, then score, then growth, then sites
// outside the standard library, then site name, then series. Call it again
// after changing severities.
func (a *Analysis) Rank() {
	slices.SortFunc(a.Findings, func(p, q Finding) int { return compareFindings(a, &p, &q) })
}

// minLimitShare is the least share of the heap's slope that lets the
// projection to the memory limit make a site critical.
const minLimitShare = 0.2

// finding scores and rates one site's trend within its series.
func finding(s *profile.Series, sf *SeriesFit, si, site int, t Trend, th *Thresholds) Finding {
	f := Finding{Series: si, Site: site, Trend: t, SlopeShare: math.NaN()}
	if g := sf.Total.Growth; g > 0 && t.Growth > 0 {
		f.Share = clamp01(t.Growth / g)
	}
	if ts := sf.Total.TheilSen; ts > 0 {
		f.SlopeShare = t.TheilSen / ts
	}
	f.Score = Score(&f.Trend, f.Share)
	// The memory limit makes a site critical only when the site drives a
	// fair part of the heap's growth towards it.
	hours := math.NaN()
	if f.SlopeShare >= minLimitShare {
		hours = sf.HoursToLimit
	}
	f.Severity = Rate(&f.Trend, f.Score, s.Metric.Unit, hours, th)
	f.Evidence = evidence(s, site, sf.Start)
	return f
}

func allZero(v []int64) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
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

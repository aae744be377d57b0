package report

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/leakdiff/leakdiff/diff"
	"github.com/leakdiff/leakdiff/profile"
)

// listed returns the findings every format lists, in rank order: those at
// or above MinSeverity that lead a group or stand alone, at most top of
// them; notListed counts the other leads and singles (a group's members are
// shown with their lead, never counted apart).
func (r *Report) listed() (out []*diff.Finding, notListed int) {
	for i := range r.Analysis.Findings {
		f := &r.Analysis.Findings[i]
		if f.GroupedInto != nil {
			continue
		}
		if f.Severity >= r.MinSeverity && len(out) < r.top() {
			out = append(out, f)
		} else {
			notListed++
		}
	}
	return out, notListed
}

// finding returns the finding ref names.
func (r *Report) finding(ref diff.Ref) *diff.Finding {
	for i := range r.Analysis.Findings {
		if f := &r.Analysis.Findings[i]; f.Series == ref.Series && f.Site == ref.Site {
			return f
		}
	}
	return nil
}

// members returns a lead's members, in rank order.
func (r *Report) members(f *diff.Finding) []*diff.Finding {
	var out []*diff.Finding
	for i := range r.Analysis.Findings {
		m := &r.Analysis.Findings[i]
		if g := m.GroupedInto; g != nil && g.Series == f.Series && g.Site == f.Site {
			out = append(out, m)
		}
	}
	return out
}

// at formats the time of fitted point i of a series (its index when times
// are unknown).
func at(sf *diff.SeriesFit, i int) string {
	s := sf.Series
	if !s.TimesKnown {
		return fmt.Sprintf("snapshot %d", sf.Start+i+1)
	}
	span := s.Times[len(s.Times)-1].Sub(s.Times[sf.Start])
	layout := clockFormat(span)
	if s.Times[len(s.Times)-1].UTC().Format(time.DateOnly) != s.Times[sf.Start].UTC().Format(time.DateOnly) {
		layout = "2006-01-02 " + layout
	}
	return s.Times[sf.Start+i].UTC().Format(layout)
}

// shapePhrase says what a trend's shape means, with its times:
// "staircase: 4 steps, at 09:20, 09:45, 10:30, 11:40; still climbing".
func shapePhrase(sf *diff.SeriesFit, tr *diff.Trend) string {
	s := sf.Series
	switch tr.Shape {
	case diff.ShapeLinear:
		if tr.Since > 0 {
			return "linear since " + at(sf, tr.Since)
		}
		return "linear"
	case diff.ShapeStaircase:
		var ts []string
		for _, i := range tr.Steps {
			ts = append(ts, at(sf, i))
		}
		return fmt.Sprintf("staircase: %d steps, flat between them (at %s), still climbing", len(tr.Steps), strings.Join(ts, ", "))
	case diff.ShapeSlowing:
		p := "growing, slower since " + at(sf, tr.ChangeAt)
		if !math.IsNaN(tr.SlopeBefore) {
			p += fmt.Sprintf(" (%s before, %s since)", fmtSlope(s, tr.SlopeBefore), fmtSlope(s, tr.Pace.Slope))
		}
		return p
	case diff.ShapePlateau:
		if tr.ChangeAt > 0 {
			return "plateau: levelled off at " + at(sf, tr.ChangeAt)
		}
		return "plateau"
	case diff.ShapeFill:
		return fmt.Sprintf("fill: filled between %s and %s, flat since", at(sf, tr.Since), at(sf, tr.ChangeAt))
	case diff.ShapeStep:
		if tr.ChangeAt > 0 {
			return "step at " + at(sf, tr.ChangeAt)
		}
		return "step"
	}
	return tr.Shape.String()
}

// costPhrase says what a finding is rated on: "rated on the pace's 95 %
// lower bound, +1.2 MiB/h: +29 MiB in 24h, 140 % of the source's heap
// (21 MiB); q 3e-09 (Benjamini–Hochberg over the series' sites)".
func costPhrase(s *profile.Series, f *diff.Finding) string {
	c := f.Cost
	if math.IsNaN(c.Fraction) || !f.Trend.Rising() {
		return ""
	}
	ref := fmt.Sprintf("the source's heap (%s)", humanValue("bytes", int64(c.Ref), false))
	switch {
	case s.Kind == profile.KindMetrics:
		ref = fmt.Sprintf("%s (its own level, at least %d)", humanValue("count", int64(c.Ref), false), 1000)
	case s.Metric.Unit != "bytes":
		ref = fmt.Sprintf("%s %s (the source's count, at least %d)", humanValue("count", int64(c.Ref), false), s.Metric.Name, 1000)
	}
	frac := fmt.Sprintf("%.0f %% of", 100*c.Fraction)
	if c.Fraction >= 10 {
		frac = fmt.Sprintf("%.0f×", c.Fraction)
	}
	return fmt.Sprintf("rated on the pace's 95 %% lower bound, %s: %s in %s, %s %s; q %s (Benjamini–Hochberg over the series' sites)",
		fmtSlope(s, f.Trend.Pace.Low), humanValue(s.Metric.Unit, int64(c.Projected), true), fmtDuration(time.Duration(c.Horizon*float64(time.Hour))),
		frac, ref, fmtP(f.Q))
}

// symptoms returns the runtime gauges of metrics snapshots (see
// diff.Finding.Symptom), by source and name: they are shown beside the
// series totals, not ranked as findings.
func (r *Report) symptoms() []*diff.Finding {
	var out []*diff.Finding
	for i := range r.Analysis.Findings {
		if f := &r.Analysis.Findings[i]; f.Symptom {
			out = append(out, f)
		}
	}
	slices.SortFunc(out, func(p, q *diff.Finding) int {
		if c := cmp.Compare(p.Series, q.Series); c != 0 {
			return c
		}
		return cmp.Compare(p.Site, q.Site)
	})
	return out
}

// gaugeUnit is a metrics site's unit: bytes for a *_bytes gauge.
func gaugeUnit(name string) string {
	n, _, _ := strings.Cut(name, "{")
	if strings.HasSuffix(n, "_bytes") {
		return "bytes"
	}
	return "count"
}

// memberLine describes a group member in one line.
func memberLine(r *Report, m *diff.Finding) string {
	sf := &r.Analysis.Series[m.Series]
	sf = withSiteUnit(sf, sf.Series.Sites[m.Site].Site)
	s := sf.Series
	tr := &m.Trend
	line := fmt.Sprintf("%s (%s · %s): %s → %s, %s, %s", s.Sites[m.Site].Site.Function, s.Kind, s.Metric.Name,
		humanValue(s.Metric.Unit, int64(tr.Start), false), humanValue(s.Metric.Unit, int64(tr.End), false), fmtSlope(s, tr.Pace.Slope), tr.Shape)
	if m.Share > 0 {
		line += fmt.Sprintf(", %.0f %% of the series' growth", 100*m.Share)
	}
	if m.GroupWhy != "" {
		line += "; tied by " + m.GroupWhy
	}
	return line
}

// groupPhrase says why a group is one finding.
func groupPhrase(r *Report, f *diff.Finding) string {
	ms := r.members(f)
	if len(ms) == 0 {
		return ""
	}
	same := 0
	for _, m := range ms {
		if m.Series == f.Series {
			same++
		}
	}
	p := fmt.Sprintf("one leak at %d sites that grow together", len(ms)+1)
	if same > 0 {
		p += fmt.Sprintf("; together %.0f %% of the series' growth", 100*f.GroupShare)
	}
	return p
}

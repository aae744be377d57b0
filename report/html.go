package report

import (
	_ "embed"
	"fmt"
	"html"
	"html/template"
	"io"
	"math"
	"strings"
	"time"

	"github.com/leakdiff/leakdiff/diff"
	"github.com/leakdiff/leakdiff/profile"
)

//go:embed report.html.tmpl
var htmlTemplate string

var htmlTmpl = template.Must(template.New("report").Parse(htmlTemplate))

type htmlFinding struct {
	Rank                         int
	Member                       bool
	ID                           string
	Severity, Series, Site, Func string
	Levels, Slope, R2, P, Shape  string
	Score                        string
	Rule                         *Rule
	Chart                        template.HTML
	Summary                      string
	Notes                        []string
	Group                        string
	Members                      []string
	Stack                        string
}

type htmlSeries struct {
	Name, Snapshots, Span, Total, Slope, Shape, Limit string
	Chart                                             template.HTML
}

type htmlView struct {
	Title, Analysed, Generated string
	Series                     []htmlSeries
	Findings                   []htmlFinding
	Details                    []htmlFinding
	NotListed                  int
	MinSeverity                string
	Asymmetries                []string
	Skipped, CountedOnce       []FileNote
	SameMoment                 []FileNote
}

// WriteHTML writes one self-contained page: inline CSS and SVG charts, no
// scripts, fonts or anything fetched, so it opens offline as a ticket
// attachment.
func WriteHTML(w io.Writer, r *Report) error {
	j := BuildJSON(r)
	a := r.Analysis
	v := htmlView{Title: "leakdiff report", Generated: r.Generated.UTC().Format(time.RFC3339), MinSeverity: r.MinSeverity.String(),
		NotListed: j.FindingsNotListed, Skipped: j.Inputs.Skipped, CountedOnce: j.Inputs.CountedOnce, SameMoment: j.Inputs.SameMoment}
	v.Analysed = fmt.Sprintf("%d files, %d snapshots in %d series; %d counted once, %d set aside, %d skipped",
		j.Inputs.Files, j.Inputs.Snapshots, len(j.Series), len(j.Inputs.CountedOnce), len(j.Inputs.SetAside), len(j.Inputs.Skipped))
	for _, sf := range a.Series {
		if sf.Series.Kind == profile.KindMetrics {
			continue // a sum over unrelated metrics: no total to show
		}
		s := sf.Series
		hs := htmlSeries{Name: fmt.Sprintf("%s · %s · %s", s.Source, s.Kind, s.Metric.Name), Snapshots: fmt.Sprint(sf.Total.N),
			Total: humanValue(s.Metric.Unit, int64(sf.Total.Start), false) + " → " + humanValue(s.Metric.Unit, int64(sf.Total.End), false),
			Slope: fmtSlope(s, sf.Total.Pace.Slope), Shape: sf.Total.Shape.String()}
		if s.TimesKnown {
			hs.Span = fmt.Sprintf("%s → %s", s.Times[sf.Start].UTC().Format("2006-01-02 15:04"), s.Times[len(s.Times)-1].UTC().Format("15:04 MST"))
		}
		hs.Limit = fmtLimit(sf.HoursToLimit)
		if !s.Secondary {
			hs.Chart = chart(s, sf.Start, s.Totals, &sf.Total, 560, 120)
		}
		v.Series = append(v.Series, hs)
	}
	for _, f := range r.symptoms() {
		sf := &a.Series[f.Series]
		s, tr := sf.Series, &f.Trend
		name := s.Sites[f.Site].Site.Function
		unit := gaugeUnit(name)
		hs := htmlSeries{Name: fmt.Sprintf("%s · metrics · %s", s.Source, shortFunction(name)), Snapshots: fmt.Sprint(tr.N),
			Total: humanValue(unit, int64(tr.Start), false) + " → " + humanValue(unit, int64(tr.End), false),
			Slope: fmtSlopeUnit(s, unit, tr.Pace.Slope), Shape: tr.Shape.String()}
		if s.TimesKnown {
			hs.Span = fmt.Sprintf("%s → %s", s.Times[sf.Start].UTC().Format("2006-01-02 15:04"), s.Times[len(s.Times)-1].UTC().Format("15:04 MST"))
		}
		v.Series = append(v.Series, hs)
	}
	details := r.Details
	if details == 0 {
		details = 3
	}
	listed, _ := r.listed()
	row := func(f *diff.Finding, rank int, member bool) htmlFinding {
		s := a.Series[f.Series].Series
		tr := &f.Trend
		fn := s.Sites[f.Site].Site.Function
		hf := htmlFinding{Rank: rank, Member: member, ID: fmt.Sprintf("f%d", rank), Severity: f.Severity.String(), Series: fmt.Sprintf("%s · %s", s.Source, s.Kind),
			Site: shortFunction(fn), Func: fn,
			Levels: humanValue(s.Metric.Unit, int64(tr.Start), false) + " → " + humanValue(s.Metric.Unit, int64(tr.End), false),
			Slope:  fmtSlope(s, tr.Pace.Slope), R2: fmtFloat(tr.OLS.R2, 2), P: fmtP(tr.P), Shape: tr.Shape.String(), Score: fmt.Sprintf("%.2f", f.Score)}
		if m := r.match(f); m != nil {
			hf.Rule = &Rule{ID: m.Rule.ID}
		}
		return hf
	}
	for i, f := range listed {
		jf := j.Findings[i]
		sf := &a.Series[f.Series]
		s := sf.Series
		tr := &f.Trend
		hf := row(f, jf.Rank, false)
		hf.Rule = jf.Rule
		if i < details {
			hf.Chart = chart(s, sf.Start, s.Sites[f.Site].Values, tr, 640, 180)
			hf.Summary = fmt.Sprintf("%s, %s, over %d snapshots (%s). Confidence %s.", fmtSlope(s, tr.Pace.Slope), shapePhrase(sf, tr), tr.N, statsLine(tr), f.Confidence)
			if c := costPhrase(s, f); c != "" {
				hf.Summary += " " + capitalize(c) + "."
			}
			if f.Share > 0 && len(f.Members) == 0 {
				hf.Summary += fmt.Sprintf(" %.0f %% of the series' growth.", 100*f.Share)
			}
			if g := groupPhrase(r, f); g != "" {
				hf.Group = capitalize(g) + ":"
				for _, m := range r.members(f) {
					hf.Members = append(hf.Members, memberLine(r, m))
				}
			}
			if h := sf.HoursToLimit; !math.IsNaN(h) && h > 0 && !math.IsNaN(f.SlopeShare) {
				hf.Summary += fmt.Sprintf(" The heap reaches the %s limit in %s at this rate, %.0f %% of it from this site.", humanValue("bytes", r.MemoryLimit, false), fmtDuration(time.Duration(h*float64(time.Hour))), 100*clamp(f.SlopeShare))
			}
			hf.Notes = append(append(hf.Notes, f.Evidence...), prefixed("caution: ", tr.Warnings)...)
			hf.Stack = strings.Join(stackLines(s.Sites[f.Site].Stack, jf.Site.Function, 24), "\n")
			v.Details = append(v.Details, hf)
		}
		v.Findings = append(v.Findings, hf)
		for _, m := range r.members(f) {
			v.Findings = append(v.Findings, row(m, jf.Rank, true))
		}
	}
	for _, as := range r.Asymmetries {
		v.Asymmetries = append(v.Asymmetries, as.Describe())
	}
	return htmlTmpl.Execute(w, v)
}

func prefixed(p string, ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = p + s
	}
	return out
}

// chart draws values over the fitted snapshots as an SVG line chart with the
// Theil–Sen line dashed over it, the level range and times on the axes.
func chart(s *profile.Series, start int, values []int64, tr *diff.Trend, width, height int) template.HTML {
	const padL, padR, padT, padB = 72, 12, 10, 26
	n := len(s.Times) - start
	if n < 1 {
		return ""
	}
	xs := make([]float64, n)
	for i := range xs {
		if s.TimesKnown {
			xs[i] = s.Times[start+i].Sub(s.Times[start]).Hours()
		} else {
			xs[i] = float64(i)
		}
	}
	lo, hi := float64(values[start]), float64(values[start])
	for _, v := range values[start:] {
		lo, hi = math.Min(lo, float64(v)), math.Max(hi, float64(v))
	}
	if lo > 0 && lo < hi/3 {
		lo = 0
	}
	if hi == lo { // a flat series: centre it
		lo, hi = lo-1, hi+1
	}
	span := xs[n-1]
	if span == 0 {
		span = 1
	}
	pw, ph := float64(width-padL-padR), float64(height-padT-padB)
	px := func(x float64) float64 { return float64(padL) + x/span*pw }
	py := func(y float64) float64 { return float64(padT) + (1-(y-lo)/(hi-lo))*ph }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="values over time">`, width, height, width, height)
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.0f" height="%.0f" class="plot"/>`, padL, padT, pw, ph)
	unit := s.Metric.Unit
	seen := map[string]bool{}
	for _, yv := range []float64{lo, (lo + hi) / 2, hi} {
		label := humanValue(unit, int64(math.Round(yv)), false)
		if seen[label] { // a flat or tiny range: one label per value
			continue
		}
		seen[label] = true
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" class="grid"/>`, padL, width-padR, py(yv), py(yv))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" class="ylab">%s</text>`, padL-6, py(yv)+4, html.EscapeString(label))
	}
	if s.TimesKnown {
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="xlab" text-anchor="start">%s</text>`, padL, height-8, s.Times[start].UTC().Format("01-02 15:04"))
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="xlab" text-anchor="end">%s</text>`, width-padR, height-8, s.Times[len(s.Times)-1].UTC().Format("01-02 15:04 MST"))
	}
	var pts []string
	for i, x := range xs {
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(x), py(float64(values[start+i]))))
	}
	fmt.Fprintf(&b, `<polyline points="%s" class="series"/>`, strings.Join(pts, " "))
	if n <= 60 {
		for _, p := range pts {
			xy := strings.SplitN(p, ",", 2)
			fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="2" class="dot"/>`, xy[0], xy[1])
		}
	}
	if !math.IsNaN(tr.TheilSen) && tr.N >= 3 {
		y0 := tr.TheilSenIntercept
		y1 := tr.TheilSenIntercept + tr.TheilSen*xs[n-1]
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="fit"><title>Theil–Sen fit</title></line>`,
			px(0), py(math.Max(math.Min(y0, hi), lo)), px(xs[n-1]), py(math.Max(math.Min(y1, hi), lo)))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

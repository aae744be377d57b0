package report

import (
	_ "embed"
	"fmt"
	"html"
	"html/template"
	"io"
	"math"
	"regexp"
	"strings"
	"time"

	"github.com/leakdiff/leakdiff/diff"
	"github.com/leakdiff/leakdiff/profile"
)

//go:embed report.html.tmpl
var htmlTemplate string

var htmlTmpl = template.Must(template.New("report").Funcs(template.FuncMap{"breakable": breakable, "linkify": linkify}).Parse(htmlTemplate))

type htmlFinding struct {
	Rank                         int
	Member                       bool
	ID                           string
	Severity, Series, Site, Func string
	Levels, Slope, R2, P, Shape  string
	Score                        string
	Rule                         *Rule
	Chart                        template.HTML
	Caption                      string
	Summary                      string
	Notes                        []string
	Group                        string
	Members                      []string
	Stack                        string
}

type htmlSeries struct {
	Name, Snapshots, Span, Total, Slope, Shape, Limit string
	Chart                                             template.HTML
	Caption                                           string
}

type htmlView struct {
	Title, Analysed, Generated string
	Version, Command           string
	Series                     []htmlSeries
	Limit                      bool
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
// attachment. Every listed finding has its card.
func WriteHTML(w io.Writer, r *Report) error {
	j := BuildJSON(r)
	a := r.Analysis
	v := htmlView{Title: "leakdiff report", Generated: r.Generated.UTC().Format(time.RFC3339), MinSeverity: r.MinSeverity.String(),
		NotListed: j.FindingsNotListed, Skipped: j.Inputs.Skipped, CountedOnce: j.Inputs.CountedOnce, SameMoment: j.Inputs.SameMoment,
		Analysed: r.Summary().Line(), Version: r.Tool.Version, Command: r.Tool.CommandLine(), Limit: r.MemoryLimit > 0}
	for _, sf := range a.Series {
		if sf.Series.Kind == profile.KindMetrics {
			continue // a sum over unrelated metrics: no total to show
		}
		s := sf.Series
		name := fmt.Sprintf("%s · %s · %s", s.Source, s.Kind, s.Metric.Name)
		hs := htmlSeries{Name: name, Snapshots: fmt.Sprint(sf.Total.N),
			Total: humanValue(s.Metric.Unit, int64(sf.Total.Start), false) + " → " + humanValue(s.Metric.Unit, int64(sf.Total.End), false),
			Slope: fmtSlope(s, sf.Total.Pace.Slope), Shape: sf.Total.Shape.String()}
		if s.TimesKnown {
			hs.Span = spanText(s.Times[sf.Start], s.Times[len(s.Times)-1])
		}
		hs.Limit = fmtLimit(sf.HoursToLimit)
		if !s.Secondary {
			var base string
			hs.Chart, base = chart(s, sf.Start, s.Totals, &sf.Total, 560, 140)
			hs.Caption = chartCaption(name+": total", s, sf.Start, base)
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
			hs.Span = spanText(s.Times[sf.Start], s.Times[len(s.Times)-1])
		}
		v.Series = append(v.Series, hs)
	}
	listed, _ := r.listed()
	row := func(f *diff.Finding, rank int, member bool) htmlFinding {
		sf := &a.Series[f.Series]
		sf = withSiteUnit(sf, sf.Series.Sites[f.Site].Site)
		s := sf.Series
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
		sf = withSiteUnit(sf, sf.Series.Sites[f.Site].Site)
		s := sf.Series
		tr := &f.Trend
		hf := row(f, jf.Rank, false)
		hf.Rule = jf.Rule
		var base string
		hf.Chart, base = chart(s, sf.Start, s.Sites[f.Site].Values(), tr, 640, 180)
		hf.Caption = chartCaption(shortFunction(jf.Site.Function)+" · "+s.Metric.Name, s, sf.Start, base)
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

// breakable escapes a name and lets it wrap after the dots, slashes and
// brackets of a Go or metric name, never inside a word.
func breakable(s string) template.HTML {
	var b strings.Builder
	for _, r := range s {
		b.WriteString(html.EscapeString(string(r)))
		switch r {
		case '.', '/', '(', ')', '{', ',', '_', ' ':
			b.WriteString("<wbr>")
		}
	}
	return template.HTML(b.String())
}

var urlRE = regexp.MustCompile(`https?://[^\s<>"]+[^\s<>".,;:)]`)

// linkify escapes text and makes its http(s) URLs links.
func linkify(s string) template.HTML {
	var b strings.Builder
	last := 0
	for _, m := range urlRE.FindAllStringIndex(s, -1) {
		b.WriteString(html.EscapeString(s[last:m[0]]))
		u := html.EscapeString(s[m[0]:m[1]])
		fmt.Fprintf(&b, `<a href="%s">%s</a>`, u, u)
		last = m[1]
	}
	b.WriteString(html.EscapeString(s[last:]))
	return template.HTML(b.String())
}

func prefixed(p string, ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = p + s
	}
	return out
}

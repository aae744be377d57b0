package report

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter/tw"

	"github.com/leakdiff/leakdiff/diff"
	"github.com/leakdiff/leakdiff/profile"
)

// CompareSchemaVersion names the JSON of leakdiff compare.
const CompareSchemaVersion = "leakdiff.compare/v1"

// Verification is what leakdiff compare shows: a baseline series and a
// candidate series (before and after a fix, or a change under review),
// each analysed as leakdiff analyze does, and a verdict for every site that
// leaks in either.
type Verification struct {
	// Base and Cand are each side's report; BaseLabel and CandLabel say
	// what was read for it (paths or a source).
	Base, Cand           *Report
	BaseLabel, CandLabel string
	Comparison           *diff.SeriesComparison
	MinSnapshots         int
	Generated            time.Time
	Tool                 Tool
	// Width bounds the table's lines (0: none), as Report.Width.
	Width int
}

// Verify compares two reports' analyses (see diff.CompareSeries).
func Verify(base, cand *Report, o diff.CompareOptions) *Verification {
	if o.MinSnapshots <= 0 {
		o.MinSnapshots = 6
	}
	return &Verification{Base: base, Cand: cand, Comparison: diff.CompareSeries(base.Analysis, cand.Analysis, o),
		MinSnapshots: o.MinSnapshots, Generated: base.Generated, Tool: base.Tool}
}

// JSONVerification is leakdiff compare's JSON (schema
// leakdiff.compare/v1). Other programs may import this type to read it.
type JSONVerification struct {
	Schema    string         `json:"schema"`
	Generated time.Time      `json:"generated"`
	Generator *JSONGenerator `json:"generator"`
	Baseline  JSONSide       `json:"baseline"`
	Candidate JSONSide       `json:"candidate"`
	// Tolerance: "fixed" needs the candidate's slope below tolerance × the
	// baseline's pace, with 95 % confidence; MinSnapshots is the fewest
	// fitted candidate snapshots that can tell a leak gone or new.
	Tolerance    float64 `json:"tolerance"`
	MinSnapshots int     `json:"min_snapshots"`
	// Counts has one entry per verdict (fixed, better, too-few-snapshots,
	// still-leaking, worse, new-leak), zero or not; Unchanged counts the
	// sites that leak in neither (not listed).
	Counts    map[string]int `json:"counts"`
	Unchanged int            `json:"unchanged"`
	// Verdicts lists every site leaking in either side, worst first.
	Verdicts []JSONSiteVerdict `json:"verdicts"`
}

// JSONSide is what one side read.
type JSONSide struct {
	Label  string `json:"label"`
	Inputs Inputs `json:"inputs"`
}

// JSONSiteVerdict is one site's verdict.
type JSONSiteVerdict struct {
	// Verdict is fixed, better, too-few-snapshots, still-leaking, worse or
	// new-leak.
	Verdict string `json:"verdict"`
	Kind    string `json:"kind"`
	Metric  string `json:"metric"`
	Unit    string `json:"unit"`
	Site    Site   `json:"site"`
	// Balance marks a pair of counters (adds − removes).
	Balance bool   `json:"balance"`
	Why     string `json:"why"`
	// RateRatio is the candidate's pace over the baseline's when both
	// leak, else null.
	RateRatio *float64 `json:"rate_ratio"`
	// Allowed is the rate the candidate's upper bound is held to.
	AllowedPerHour float64 `json:"allowed_per_hour"`
	// Baseline and Candidate are the site's trend on each side; null when
	// it is no finding there (absent, or zero throughout: see
	// candidate_present).
	Baseline         *JSONSideTrend `json:"baseline"`
	Candidate        *JSONSideTrend `json:"candidate"`
	CandidatePresent bool           `json:"candidate_present"`
}

// JSONSideTrend is a site's trend on one side.
type JSONSideTrend struct {
	Source            string   `json:"source"`
	Leak              bool     `json:"leak"`
	Severity          string   `json:"severity"`
	First             float64  `json:"first"`
	Last              float64  `json:"last"`
	Growth            float64  `json:"growth"`
	SlopePerHour      *float64 `json:"slope_per_hour"`
	SlopeLowerPerHour *float64 `json:"slope_lower_per_hour"`
	SlopeUpperPerHour *float64 `json:"slope_upper_per_hour"`
	PValue            *float64 `json:"p_value"`
	Trend             string   `json:"trend"`
	Snapshots         int      `json:"snapshots"`
	Rule              *string  `json:"rule"`
	Series            []Point  `json:"series"`
}

func sideTrend(r *Report, i int, leak bool) *JSONSideTrend {
	if i < 0 {
		return nil
	}
	f := &r.Analysis.Findings[i]
	sf := &r.Analysis.Series[f.Series]
	s := sf.Series
	t := &f.Trend
	st := &JSONSideTrend{Source: s.Source, Leak: leak, Severity: f.Severity.String(), First: t.Start, Last: t.End, Growth: t.Growth,
		SlopePerHour: num(t.Pace.Slope), SlopeLowerPerHour: num(t.Pace.Low), SlopeUpperPerHour: num(t.SlopeUpper()), PValue: num(t.P),
		Trend: t.Shape.String(), Snapshots: t.N, Series: fittedPoints(sf, f.Site)}
	if m := r.match(f); m != nil {
		id := m.Rule.ID
		st.Rule = &id
	}
	return st
}

// BuildVerificationJSON turns a verification into its JSON form.
func BuildVerificationJSON(v *Verification) *JSONVerification {
	c := v.Comparison
	j := &JSONVerification{Schema: CompareSchemaVersion, Generated: v.Generated.UTC(), Tolerance: c.Tolerance, MinSnapshots: v.MinSnapshots,
		Baseline:  JSONSide{Label: profile.Printable(v.BaseLabel), Inputs: jsonInputs(v.Base)},
		Candidate: JSONSide{Label: profile.Printable(v.CandLabel), Inputs: jsonInputs(v.Cand)},
		Counts:    map[string]int{}, Unchanged: c.Unchanged, Verdicts: []JSONSiteVerdict{}, Generator: v.Tool.generator()}
	for _, vd := range []diff.Verdict{diff.VerdictFixed, diff.VerdictBetter, diff.VerdictUndecided, diff.VerdictStillLeaking, diff.VerdictWorse, diff.VerdictNewLeak} {
		j.Counts[vd.Slug()] = c.Count(vd)
	}
	for _, sv := range c.Verdicts {
		jv := JSONSiteVerdict{Verdict: sv.Verdict.Slug(), Kind: sv.Kind.String(), Metric: sv.Metric, Unit: sv.Unit,
			Site: jsonSite(sv.Kind, sv.Site, nil), Balance: sv.Balance, Why: sv.Why, RateRatio: num(sv.Ratio),
			AllowedPerHour: sv.Allowed, CandidatePresent: sv.CandPresent,
			Baseline: sideTrend(v.Base, sv.Base, sv.BaseLeak), Candidate: sideTrend(v.Cand, sv.Cand, sv.CandLeak)}
		if sv.Kind == profile.KindMetrics {
			jv.Unit = gaugeUnit(sv.Site.Function)
		}
		j.Verdicts = append(j.Verdicts, jv)
	}
	return j
}

// paceText is a side's pace for the table: "+24/h", "absent", "0 (zero
// throughout)".
func (v *Verification) paceText(r *Report, i int, sv *diff.SiteVerdict, cand bool) string {
	if i < 0 {
		if cand && sv.CandPresent {
			return "zero"
		}
		return "absent"
	}
	f := &r.Analysis.Findings[i]
	sf := withSiteUnit(&r.Analysis.Series[f.Series], r.Analysis.Series[f.Series].Series.Sites[f.Site].Site)
	s := fmtSlope(sf.Series, f.Trend.Pace.Slope)
	if !(cand && sv.BaseLeak && !sv.CandLeak) {
		return s
	}
	return s + " (≤ " + fmtSlope(sf.Series, math.Max(sv.CandUpper, 0)) + ")"
}

func (v *Verification) siteName(sv *diff.SiteVerdict) string {
	if sv.Kind == profile.KindMetrics {
		return shortMetric(sv.Site.Function)
	}
	return shortFunction(sv.Site.Function)
}

// WriteVerificationText renders a verification for a terminal.
func WriteVerificationText(w io.Writer, v *Verification) error {
	ew := &errWriter{w: w}
	w = ew
	c := v.Comparison
	fmt.Fprintln(w, wrap("baseline:  "+profile.Printable(v.BaseLabel)+": "+v.Base.Summary().Line(), v.Width))
	fmt.Fprintln(w, wrap("candidate: "+profile.Printable(v.CandLabel)+": "+v.Cand.Summary().Line(), v.Width))
	fmt.Fprintln(w)
	if len(c.Verdicts) == 0 {
		fmt.Fprintf(w, "no site leaks in either (%d sites compared)\n", c.Unchanged)
	} else {
		header := []string{"#", "verdict", "kind", "site", "baseline", "candidate", "change"}
		align := []tw.Align{tw.AlignRight, tw.AlignLeft, tw.AlignLeft, tw.AlignLeft, tw.AlignRight, tw.AlignRight, tw.AlignRight}
		var rows [][]string
		for i := range c.Verdicts {
			sv := &c.Verdicts[i]
			change := ""
			if !math.IsNaN(sv.Ratio) {
				change = fmt.Sprintf("%.2g×", sv.Ratio)
			}
			rows = append(rows, []string{fmt.Sprint(i + 1), sv.Verdict.String(), sv.Kind.String(), v.siteName(sv),
				v.paceText(v.Base, sv.Base, sv, false), v.paceText(v.Cand, sv.Cand, sv, true), change})
		}
		if err := fitTable(header, align, rows, v.Width, []fitStep{drop(6), elide(3, 40), drop(2), elide(3, 24)}).render(w); err != nil {
			return err
		}
		fmt.Fprintln(w)
		for i := range c.Verdicts {
			sv := &c.Verdicts[i]
			line := fmt.Sprintf("%2d. %s — %s: %s", i+1, profile.Printable(sv.Site.Function), sv.Verdict, profile.Printable(sv.Why))
			fmt.Fprintln(w, wrap(line, v.Width))
		}
		fmt.Fprintf(w, "\n%d site(s) leak in neither (unchanged, not listed).\n", c.Unchanged)
	}
	fmt.Fprintf(w, "verdicts: %s\n", countsLine(c))
	fmt.Fprintf(w, "fixed: the candidate's slope is below %.3g × the baseline's pace with 95 %% confidence (GLS under AR(1) errors, Student's t); a leak: a rising finding of medium severity or worse; at least %d candidate snapshots tell.\n", c.Tolerance, v.MinSnapshots)
	if t := v.Tool; t.Version != "" || len(t.Command) > 0 {
		fmt.Fprintf(w, "\nmade by leakdiff %s: %s\n", t.Version, t.CommandLine())
	}
	return ew.err
}

func countsLine(c *diff.SeriesComparison) string {
	var parts []string
	for _, vd := range []diff.Verdict{diff.VerdictFixed, diff.VerdictBetter, diff.VerdictUndecided, diff.VerdictStillLeaking, diff.VerdictWorse, diff.VerdictNewLeak} {
		parts = append(parts, fmt.Sprintf("%d %s", c.Count(vd), vd))
	}
	return strings.Join(parts, ", ")
}

// WriteVerificationMarkdown renders a verification for a ticket.
func WriteVerificationMarkdown(w io.Writer, v *Verification) error {
	ew := &errWriter{w: w}
	w = ew
	c := v.Comparison
	fmt.Fprintln(w, "# leakdiff compare")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "**Baseline** %s: %s.\n\n", mdSpan(v.BaseLabel), mdText(capitalize(v.Base.Summary().Line())))
	fmt.Fprintf(w, "**Candidate** %s: %s.\n\n", mdSpan(v.CandLabel), mdText(capitalize(v.Cand.Summary().Line())))
	fmt.Fprintf(w, "**Verdicts:** %s; %d site(s) leak in neither.\n\n", countsLine(c), c.Unchanged)
	if len(c.Verdicts) > 0 {
		fmt.Fprintln(w, "| # | verdict | kind | site | baseline | candidate | change | why |")
		fmt.Fprintln(w, "|---:|---|---|---|---:|---:|---:|---|")
		for i := range c.Verdicts {
			sv := &c.Verdicts[i]
			change := ""
			if !math.IsNaN(sv.Ratio) {
				change = fmt.Sprintf("%.2g×", sv.Ratio)
			}
			verdict := sv.Verdict.String()
			if sv.Verdict >= diff.VerdictStillLeaking {
				verdict = "**" + verdict + "**"
			}
			fmt.Fprintf(w, "| %d | %s | %s | %s | %s | %s | %s | %s |\n", i+1, verdict, sv.Kind, mdCode(v.siteName(sv)),
				mdCell(v.paceText(v.Base, sv.Base, sv, false)), mdCell(v.paceText(v.Cand, sv.Cand, sv, true)), change, mdCell(mdText(sv.Why)))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "_Fixed_ means the candidate's slope is below %.3g × the baseline's pace with 95 %% confidence (GLS under AR(1) errors, Student's t); a leak is a rising finding of medium severity or worse; at least %d candidate snapshots tell.\n", c.Tolerance, v.MinSnapshots)
	if t := v.Tool; t.Version != "" || len(t.Command) > 0 {
		fmt.Fprintf(w, "\n---\n_Made by leakdiff %s:_ %s\n", mdText(t.Version), mdSpan(t.CommandLine()))
	}
	return ew.err
}

type htmlVerdict struct {
	Rank                     int
	Verdict, Class           string
	Kind, Site, Func         string
	Base, Cand, Change, Why  string
	BaseChart, CandChart     template.HTML
	BaseCaption, CandCaption string
}

var verifyHTML = template.Must(template.New("compare").Funcs(template.FuncMap{"breakable": breakable}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>leakdiff compare</title>
{{.Style}}
<style>
  .v-fixed { background: #2f9e44; color: #fff; } .v-better { background: #f4a259; color: #2b1700; } .v-too-few-snapshots { background: var(--head); color: var(--muted); }
  .v-still-leaking, .v-worse, .v-new-leak { background: #d7263d; color: #fff; }
  .pair { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(380px, 100%), 1fr)); gap: 8px 20px; }
</style>
</head>
<body>
<main>
<h1>leakdiff compare</h1>
<p class="meta"><strong>Baseline</strong> <code>{{.BaseLabel}}</code>: {{.BaseLine}}</p>
<p class="meta"><strong>Candidate</strong> <code>{{.CandLabel}}</code>: {{.CandLine}}</p>
<p><strong>Verdicts:</strong> {{.Counts}}; {{.Unchanged}} site(s) leak in neither.</p>
{{if .Rows}}<h2 id="verdicts">Sites</h2>
<div class="wide"><table>
<thead><tr><th>#</th><th>verdict</th><th>kind</th><th>site</th><th>baseline</th><th>candidate</th><th>change</th></tr></thead>
<tbody>{{range .Rows}}<tr><td class="num"><a href="#v{{.Rank}}">{{.Rank}}</a></td><td><span class="sev {{.Class}}">{{.Verdict}}</span></td><td>{{.Kind}}</td><td class="site"><code title="{{.Func}}">{{breakable .Site}}</code></td><td class="num">{{.Base}}</td><td class="num">{{.Cand}}</td><td class="num">{{.Change}}</td></tr>
{{end}}</tbody></table></div>
{{range .Rows}}<section class="card" id="v{{.Rank}}">
<a class="back" href="#verdicts">↑ sites</a>
<h3>{{.Rank}}. <code>{{breakable .Func}}</code> <span class="sev {{.Class}}">{{.Verdict}}</span></h3>
<p>{{.Why}}.</p>
<div class="pair">{{if .BaseChart}}<figure>{{.BaseChart}}<figcaption>baseline: {{.BaseCaption}}</figcaption></figure>{{else}}<p class="muted">baseline: {{.Base}}</p>{{end}}{{if .CandChart}}<figure>{{.CandChart}}<figcaption>candidate: {{.CandCaption}}</figcaption></figure>{{else}}<p class="muted">candidate: {{.Cand}}</p>{{end}}</div>
</section>
{{end}}{{end}}
<p class="muted">{{.Method}}</p>
<footer>Made by leakdiff{{if .Version}} {{.Version}}{{end}} at {{.Generated}}{{if .Command}}: <code>{{.Command}}</code>{{end}}</footer>
</main>
</body>
</html>
`))

// WriteVerificationHTML writes one self-contained page: each verdict with
// the site's chart on both sides.
func WriteVerificationHTML(w io.Writer, v *Verification) error {
	c := v.Comparison
	style := htmlTemplate[strings.Index(htmlTemplate, "<style>") : strings.Index(htmlTemplate, "</style>")+len("</style>")]
	view := struct {
		Style                                    template.HTML
		BaseLabel, CandLabel, BaseLine, CandLine string
		Counts                                   string
		Unchanged                                int
		Rows                                     []htmlVerdict
		Method, Version, Command, Generated      string
	}{Style: template.HTML(style), BaseLabel: profile.Printable(v.BaseLabel), CandLabel: profile.Printable(v.CandLabel),
		BaseLine: v.Base.Summary().Line(), CandLine: v.Cand.Summary().Line(), Counts: countsLine(c), Unchanged: c.Unchanged,
		Version: v.Tool.Version, Command: v.Tool.CommandLine(), Generated: v.Generated.UTC().Format(time.RFC3339),
		Method: fmt.Sprintf("Fixed means the candidate's slope is below %.3g × the baseline's pace with 95 %% confidence (GLS under AR(1) errors, Student's t); a leak is a rising finding of medium severity or worse; at least %d candidate snapshots tell.", c.Tolerance, v.MinSnapshots)}
	side := func(r *Report, i int) (template.HTML, string) {
		if i < 0 {
			return "", ""
		}
		f := &r.Analysis.Findings[i]
		sf := withSiteUnit(&r.Analysis.Series[f.Series], r.Analysis.Series[f.Series].Series.Sites[f.Site].Site)
		svg, base := chart(sf.Series, sf.Start, sf.Series.Sites[f.Site].Values(), &f.Trend, 560, 160)
		return svg, chartCaption(sf.Series.Source+" · "+sf.Series.Metric.Name, sf.Series, sf.Start, base)
	}
	for i := range c.Verdicts {
		sv := &c.Verdicts[i]
		hv := htmlVerdict{Rank: i + 1, Verdict: sv.Verdict.String(), Class: "v-" + sv.Verdict.Slug(), Kind: sv.Kind.String(),
			Site: v.siteName(sv), Func: sv.Site.Function, Base: v.paceText(v.Base, sv.Base, sv, false), Cand: v.paceText(v.Cand, sv.Cand, sv, true), Why: sv.Why}
		if !math.IsNaN(sv.Ratio) {
			hv.Change = fmt.Sprintf("%.2g×", sv.Ratio)
		}
		hv.BaseChart, hv.BaseCaption = side(v.Base, sv.Base)
		hv.CandChart, hv.CandCaption = side(v.Cand, sv.Cand)
		view.Rows = append(view.Rows, hv)
	}
	return verifyHTML.Execute(w, view)
}

// RenderVerification writes a verification in any format.
func RenderVerification(w io.Writer, v *Verification, f Format) error {
	switch f {
	case FormatTable:
		return WriteVerificationText(w, v)
	case FormatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(BuildVerificationJSON(v))
	case FormatMarkdown:
		return WriteVerificationMarkdown(w, v)
	case FormatHTML:
		return WriteVerificationHTML(w, v)
	}
	panic(fmt.Sprintf("report: unknown format %d", int(f)))
}

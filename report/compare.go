package report

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter/tw"

	"github.com/leakdiff/leakdiff/diff"
	"github.com/leakdiff/leakdiff/profile"
)

// CompareReport is what `leakdiff diff` shows.
type CompareReport struct {
	Base, New  *profile.Snapshot
	Comparison *diff.Comparison
	// Top bounds the sites listed per metric (0: 20).
	Top int
	// Generated is the time the report is made at.
	Generated time.Time
}

// WriteCompareText renders a two-snapshot comparison.
func WriteCompareText(w io.Writer, r CompareReport) error {
	ew := &errWriter{w: w}
	w = ew
	top := r.Top
	if top <= 0 {
		top = 20
	}
	c := r.Comparison
	fmt.Fprintf(w, "%s: %s → %s", c.Kind, describeSnap(r.Base), describeSnap(r.New))
	if r.Base.TimeFrom != profile.TimeUnknown && r.New.TimeFrom != profile.TimeUnknown {
		fmt.Fprintf(w, " (%s apart)", fmtDuration(r.New.Time.Sub(r.Base.Time)))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "a difference of two snapshots, not a trend: take a series and run leakdiff analyze to tell a leak from warm-up or noise")
	for m, metric := range c.Metrics {
		ds := c.Deltas[m]
		fmt.Fprintf(w, "\n%s (%s): total %s → %s (%s)\n", metric.Name, metric.Unit,
			humanValue(metric.Unit, c.BaseTotal[m], false), humanValue(metric.Unit, c.NewTotal[m], false), humanValue(metric.Unit, c.NewTotal[m]-c.BaseTotal[m], true))
		shown := ds[:min(top, len(ds))]
		var vals []int64
		for _, d := range shown {
			vals = append(vals, d.Base, d.New, d.Change)
		}
		sc := commonScale(metric.Unit, vals...)
		t := newTable(w, []tw.Align{tw.AlignRight, tw.AlignLeft, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight})
		t.Header([]string{"#", "site", "base", "new", "change", "relative"})
		for i, d := range shown {
			rel := fmtRelative(num(d.Relative))
			if err := t.Append([]string{fmt.Sprint(i + 1), shortFunction(d.Site.Function), sc.format(d.Base, false), sc.format(d.New, false), sc.format(d.Change, true), rel}); err != nil {
				return err
			}
		}
		if err := t.Render(); err != nil {
			return err
		}
		if more := len(ds) - len(shown); more > 0 {
			fmt.Fprintf(w, "… %d more site(s)\n", more)
		}
	}
	return ew.err
}

func describeSnap(s *profile.Snapshot) string {
	if s.TimeFrom == profile.TimeUnknown {
		return s.File
	}
	return fmt.Sprintf("%s (%s)", s.File, s.Time.Format(time.RFC3339))
}

// DiffSchemaVersion names the JSON form of `leakdiff diff`.
const DiffSchemaVersion = "leakdiff.diff/v1"

// JSONComparison is `leakdiff diff --format json`: per metric, every site's
// base and new value, largest growth first.
type JSONComparison struct {
	Schema    string          `json:"schema"`
	Generated time.Time       `json:"generated"`
	Kind      string          `json:"kind"`
	Base      JSONSnapshotRef `json:"base"`
	New       JSONSnapshotRef `json:"new"`
	Metrics   []JSONDeltas    `json:"metrics"`
}

// JSONSnapshotRef names one of the two snapshots.
type JSONSnapshotRef struct {
	File string     `json:"file"`
	Time *time.Time `json:"time"`
}

// JSONDeltas is one metric's comparison.
type JSONDeltas struct {
	Metric    string      `json:"metric"`
	Unit      string      `json:"unit"`
	BaseTotal int64       `json:"base_total"`
	NewTotal  int64       `json:"new_total"`
	Sites     []JSONDelta `json:"sites"`
}

// JSONDelta is one site's change; relative is null for a new site.
type JSONDelta struct {
	Site     Site     `json:"site"`
	Base     int64    `json:"base"`
	New      int64    `json:"new"`
	Change   int64    `json:"change"`
	Relative *float64 `json:"relative"`
}

func ref(s *profile.Snapshot) JSONSnapshotRef {
	r := JSONSnapshotRef{File: s.File}
	if s.TimeFrom != profile.TimeUnknown {
		r.Time = tp(s.Time)
	}
	return r
}

// BuildCompareJSON turns a comparison into its JSON form (at most Top sites
// per metric).
func BuildCompareJSON(r *CompareReport) *JSONComparison {
	c := r.Comparison
	j := &JSONComparison{Schema: DiffSchemaVersion, Generated: r.Generated.UTC(), Kind: c.Kind.String(), Base: ref(r.Base), New: ref(r.New)}
	top := r.Top
	if top <= 0 {
		top = 20
	}
	for m, metric := range c.Metrics {
		jd := JSONDeltas{Metric: metric.Name, Unit: metric.Unit, BaseTotal: c.BaseTotal[m], NewTotal: c.NewTotal[m], Sites: []JSONDelta{}}
		for _, d := range c.Deltas[m][:min(top, len(c.Deltas[m]))] {
			jd.Sites = append(jd.Sites, JSONDelta{Site: Site{Function: d.Site.Function, File: d.Site.File, Line: d.Site.Line}, Base: d.Base, New: d.New, Change: d.Change, Relative: num(d.Relative)})
		}
		j.Metrics = append(j.Metrics, jd)
	}
	return j
}

// RenderCompare writes a comparison in any format.
func RenderCompare(w io.Writer, r *CompareReport, f Format) error {
	switch f {
	case FormatTable:
		return WriteCompareText(w, *r)
	case FormatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(BuildCompareJSON(r))
	case FormatMarkdown, FormatHTML:
		j := BuildCompareJSON(r)
		var b strings.Builder
		fmt.Fprintf(&b, "# leakdiff diff: %s\n\n%s → %s\n\nA difference of two snapshots, not a trend: run `leakdiff analyze` on a series to tell a leak from warm-up or noise.\n", j.Kind, describeSnap(r.Base), describeSnap(r.New))
		for _, m := range j.Metrics {
			fmt.Fprintf(&b, "\n## %s (%s): %s → %s\n\n| # | site | base | new | change | relative |\n|---:|---|---:|---:|---:|---:|\n", m.Metric, m.Unit,
				humanValue(m.Unit, m.BaseTotal, false), humanValue(m.Unit, m.NewTotal, false))
			for i, d := range m.Sites {
				rel := fmtRelative(d.Relative)
				fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %s |\n", i+1, mdCode(shortFunction(d.Site.Function)), humanValue(m.Unit, d.Base, false), humanValue(m.Unit, d.New, false), humanValue(m.Unit, d.Change, true), rel)
			}
		}
		if f == FormatMarkdown {
			_, err := io.WriteString(w, b.String())
			return err
		}
		return compareHTML.Execute(w, struct {
			Title string
			J     *JSONComparison
			Rows  func(JSONDeltas) [][]string
		}{"leakdiff diff", j, func(m JSONDeltas) [][]string {
			var rows [][]string
			for i, d := range m.Sites {
				rel := fmtRelative(d.Relative)
				rows = append(rows, []string{fmt.Sprint(i + 1), d.Site.Function, humanValue(m.Unit, d.Base, false), humanValue(m.Unit, d.New, false), humanValue(m.Unit, d.Change, true), rel})
			}
			return rows
		}})
	}
	panic(fmt.Sprintf("report: unknown format %d", int(f)))
}

var compareHTML = template.Must(template.New("diff").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>body{font:14px/1.45 system-ui,sans-serif;color:#1d2330;max-width:1100px;margin:0 auto;padding:24px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eceef2}
th{background:#eef1f5;font-size:12px;text-transform:uppercase}td.num{text-align:right;font-variant-numeric:tabular-nums}
code{font:12.5px ui-monospace,Menlo,Consolas,monospace;overflow-wrap:anywhere}</style></head><body>
<h1>{{.Title}}: {{.J.Kind}}</h1>
<p>{{.J.Base.File}} → {{.J.New.File}}. A difference of two snapshots, not a trend: run <code>leakdiff analyze</code> on a series to tell a leak from warm-up or noise.</p>
{{range .J.Metrics}}<h2>{{.Metric}} ({{.Unit}})</h2>
<table><tr><th>#</th><th>site</th><th>base</th><th>new</th><th>change</th><th>relative</th></tr>
{{range call $.Rows .}}<tr><td class="num">{{index . 0}}</td><td><code>{{index . 1}}</code></td><td class="num">{{index . 2}}</td><td class="num">{{index . 3}}</td><td class="num">{{index . 4}}</td><td class="num">{{index . 5}}</td></tr>
{{end}}</table>{{end}}
</body></html>
`))

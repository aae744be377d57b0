package report

import (
	"context"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/leakdiff/leakdiff/diff"
	"github.com/leakdiff/leakdiff/profile"
	"github.com/leakdiff/leakdiff/rules"
)

// Report is everything the renderers show.
type Report struct {
	// Files counts the files considered.
	Files    int
	Skipped  []profile.Skipped
	Warnings []string
	Set      *profile.Set
	Analysis *diff.Analysis
	// MinSeverity is the least severity listed; the rest is counted.
	MinSeverity diff.Severity
	// Top bounds the findings listed (0: 20); Details how many of them get
	// a detail block with their stack (0: 3).
	Top, Details int
	// Line shows file:line next to each site.
	Line bool
	// MemoryLimit is the --memory-limit in bytes, 0 if none.
	MemoryLimit int64
	// Matches holds the rule matched by each finding, if any.
	Matches map[rules.Key]*rules.Match
	// Asymmetries are growth in one source where peers stay flat.
	Asymmetries []diff.Asymmetry
	// Links are metrics findings growing with profile findings.
	Links []diff.Link
	// Per is --per's counter; PerUnit each finding's growth per unit of it,
	// by index into Analysis.Findings.
	Per     string
	PerUnit map[int]float64
	// Generated is the time the report is made at (a parameter, so that
	// output is a pure function of the inputs).
	Generated time.Time
	// Tool is the leakdiff and command line that made the report.
	Tool Tool
	// Width bounds the table's lines, in columns (0: no bound): long names
	// are elided and low-value columns dropped to fit.
	Width int

	color bool
}

// Config says how New analyses and what the report lists.
type Config struct {
	// Catalog names known leaks; nil matches no rule.
	Catalog *rules.Catalog
	// MemoryLimit in bytes (0: none) makes projections to it.
	MemoryLimit int64
	// MinSeverity, Top and Line: see Report.
	MinSeverity diff.Severity
	Top         int
	Line        bool
	// Per is a counter of the sources' metrics snapshots to express growth
	// per unit of ("" for none).
	Per string
	// Generated is the report's time.
	Generated time.Time
	// Tool is recorded in every format.
	Tool Tool
}

// New analyses the snapshots one run of leakdiff read, the way leakdiff
// analyze does: it aligns them into series (profile.Align), adds the
// balances of the catalog's related metrics, fits and rates every site
// (diff.Analyze), matches rules and groups the findings of one leak
// (rules.Annotate), links metrics to findings, computes growth per unit of
// c.Per and the asymmetries between sources. files counts the files
// considered, skipped and warnings come from loading. It returns the
// report and the notes of --per (also added to the report's warnings).
func New(snaps []profile.Snapshot, files int, skipped []profile.Skipped, warnings []string, c Config) (*Report, []string) {
	r, notes, _ := NewContext(context.Background(), snaps, files, skipped, warnings, c)
	return r, notes
}

// NewContext is New that stops, with ctx's error, once ctx is done (Ctrl-C
// during a long analysis).
func NewContext(ctx context.Context, snaps []profile.Snapshot, files int, skipped []profile.Skipped, warnings []string, c Config) (*Report, []string, error) {
	set := profile.Align(snaps)
	cat := c.Catalog
	if cat == nil {
		cat = &rules.Catalog{}
	}
	set.AddBalances(cat.RelatedMetrics())
	an, err := diff.AnalyzeContext(ctx, set, diff.Options{Thresholds: diff.DefaultThresholds(), MemoryLimit: c.MemoryLimit})
	if err != nil {
		return nil, nil, err
	}
	matches := rules.Annotate(an, cat) // ranks again: findings are final after it
	links, err := an.LinksContext(ctx)
	if err != nil {
		return nil, nil, err
	}
	r := &Report{Files: files, Set: set, Analysis: an, Skipped: skipped, Warnings: warnings,
		MinSeverity: c.MinSeverity, Top: c.Top, Line: c.Line, MemoryLimit: c.MemoryLimit,
		Matches: matches, Links: links, Per: c.Per, Generated: c.Generated, Tool: c.Tool}
	var notes []string
	if c.Per != "" {
		r.PerUnit, notes = an.PerUnit(c.Per)
		for _, n := range notes {
			r.Warnings = append(r.Warnings, "--per: "+n)
		}
	}
	r.Asymmetries = an.Asymmetries()
	return r, notes, ctx.Err()
}

// ANSI colours of the severities in the table.
var severityColor = map[diff.Severity]string{
	diff.SeverityCritical: "\033[1;31m", diff.SeverityHigh: "\033[31m", diff.SeverityMedium: "\033[33m",
}

func (r *Report) paint(sev diff.Severity, s string) string {
	if c, ok := severityColor[sev]; ok && r.color {
		return c + s + "\033[0m"
	}
	return s
}

func (r *Report) top() int {
	if r.Top <= 0 {
		return 20
	}
	return r.Top
}

func (r *Report) match(f *diff.Finding) *rules.Match {
	if r.Matches == nil {
		return nil
	}
	return r.Matches[rules.Key{Series: f.Series, Site: f.Site}]
}

func newTable(w io.Writer, align []tw.Align) *tablewriter.Table {
	return tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders:  tw.BorderNone,
			Symbols:  tw.NewSymbols(tw.StyleNone),
			Settings: tw.Settings{Separators: tw.Separators{BetweenColumns: tw.Off, BetweenRows: tw.Off}, Lines: tw.Lines{ShowHeaderLine: tw.Off}},
		})),
		tablewriter.WithConfig(tablewriter.Config{
			Header: tw.CellConfig{Formatting: tw.CellFormatting{AutoFormat: tw.Off}, Alignment: tw.CellAlignment{Global: tw.AlignLeft}},
			Row: tw.CellConfig{
				Formatting: tw.CellFormatting{AutoWrap: tw.WrapNone},
				Alignment:  tw.CellAlignment{PerColumn: align},
			},
		}),
	)
}

// WriteText renders r for a terminal: what was read, one line per series,
// the findings at or above MinSeverity, and details of the first few.
func WriteText(w io.Writer, r Report) error {
	ew := &errWriter{w: w}
	w = ew
	a := r.Analysis
	details := r.Details
	if details == 0 {
		details = 3
	}
	fmt.Fprintln(w, wrap(r.Summary().Line(), r.Width))

	if len(a.Series) > 0 {
		fmt.Fprintln(w)
		if err := writeSeriesTable(w, &r); err != nil {
			return err
		}
		for _, sf := range a.Series {
			if sf.Series.Secondary {
				continue
			}
			for _, seg := range sf.Series.Segments[1:] {
				fmt.Fprintf(w, "  %s · %s: segment from snapshot %d: %s\n", sf.Series.Source, sf.Series.Kind, seg.Start+1, seg.Reason)
			}
			for _, n := range sf.Series.Notes {
				fmt.Fprintf(w, "  %s · %s: note: %s\n", sf.Series.Source, sf.Series.Kind, profile.Printable(n))
			}
		}
	}

	listed, below := r.listed()
	fmt.Fprintln(w)
	if len(listed) == 0 {
		fmt.Fprintf(w, "no finding is %s or worse\n", r.MinSeverity)
	} else {
		fmt.Fprintf(w, "findings, %s or worse", r.MinSeverity)
		if err := writeFindingsTable(w, &r, listed); err != nil {
			return err
		}
	}
	if below > 0 {
		fmt.Fprintf(w, "… %d more finding(s) not listed (--min-severity info --top N to see them)\n", below)
	}
	for i, f := range listed[:min(details, len(listed))] {
		fmt.Fprintln(w)
		var b strings.Builder
		writeDetail(&b, &r, i+1, f)
		io.WriteString(w, wrap(b.String(), r.Width))
	}

	if len(r.Asymmetries) > 0 {
		fmt.Fprintln(w, "\nasymmetries (peers running the same program, one growing):")
		for _, as := range r.Asymmetries {
			fmt.Fprintf(w, "  %s\n", as.Describe())
		}
	}
	if len(r.Set.SetAside) > 0 {
		fmt.Fprintln(w, "\nset aside (read, not analysed):")
		for _, sn := range r.Set.SetAside {
			fmt.Fprintf(w, "  %s: %s profile\n", profile.Printable(sn.File), sn.Type)
		}
	}
	if d := r.Set.Duplicates; len(d) > 0 {
		// Usually one per moment when two formats were saved together:
		// a few examples say what happened without burying the report.
		const show = 3
		fmt.Fprintln(w, "\ncounted once (identical content, or the same moment and totals):")
		for _, sk := range d[:min(show, len(d))] {
			fmt.Fprintf(w, "  %s: %s\n", profile.Printable(sk.File), profile.Printable(sk.Err.Error()))
		}
		if len(d) > show {
			fmt.Fprintf(w, "  … and %d more\n", len(d)-show)
		}
	}
	if len(r.Set.SameMoment) > 0 {
		fmt.Fprintln(w, "\nnot analysed (the same moment as another snapshot of their source, other content):")
		for _, sk := range r.Set.SameMoment {
			fmt.Fprintf(w, "  %s: %s\n", profile.Printable(sk.File), profile.Printable(sk.Err.Error()))
		}
	}
	if len(r.Skipped) > 0 {
		fmt.Fprintln(w, "\nskipped:")
		for _, sk := range r.Skipped {
			fmt.Fprintf(w, "  %s: %s\n", profile.Printable(sk.File), profile.Printable(sk.Err.Error()))
		}
	}
	if t := r.Tool; t.Version != "" || len(t.Command) > 0 {
		fmt.Fprintf(w, "\nmade by leakdiff %s: %s\n", t.Version, t.CommandLine())
	}
	return ew.err
}

func writeSeriesTable(w io.Writer, r *Report) error {
	header := []string{"series", "snapshots", "span", "total", "slope", "shape", "limit"}
	align := []tw.Align{tw.AlignLeft, tw.AlignRight, tw.AlignLeft, tw.AlignRight, tw.AlignRight, tw.AlignLeft, tw.AlignLeft}
	var rows [][]string
	for _, sf := range r.Analysis.Series {
		if sf.Series.Kind == profile.KindMetrics {
			continue // a sum over unrelated metrics: no total to show
		}
		s := sf.Series
		tr := &sf.Total
		span := "no times"
		if s.TimesKnown {
			span = spanText(s.Times[sf.Start], s.Times[len(s.Times)-1])
		}
		n := fmt.Sprint(tr.N)
		if sf.Start > 0 {
			n = fmt.Sprintf("%d of %d", tr.N, len(s.Times))
		}
		limit := fmtLimit(sf.HoursToLimit)
		total := fmt.Sprintf("%s → %s", humanValue(s.Metric.Unit, int64(tr.Start), false), humanValue(s.Metric.Unit, int64(tr.End), false))
		rows = append(rows, []string{fmt.Sprintf("%s · %s · %s", s.Source, s.Kind, s.Metric.Name), n, span, total, fmtSlope(s, tr.Pace.Slope), tr.Shape.String(), limit})
	}
	// Runtime gauges are the whole process's symptoms: beside the totals.
	for _, f := range r.symptoms() {
		sf := &r.Analysis.Series[f.Series]
		s, tr := sf.Series, &f.Trend
		name := s.Sites[f.Site].Site.Function
		unit := gaugeUnit(name)
		span := ""
		if s.TimesKnown {
			span = spanText(s.Times[sf.Start], s.Times[len(s.Times)-1])
		}
		total := fmt.Sprintf("%s → %s", humanValue(unit, int64(tr.Start), false), humanValue(unit, int64(tr.End), false))
		rows = append(rows, []string{fmt.Sprintf("%s · metrics · %s", s.Source, shortFunction(name)), fmt.Sprint(tr.N), span, total, fmtSlopeUnit(s, unit, tr.Pace.Slope), tr.Shape.String(), ""})
	}
	if r.MemoryLimit == 0 { // no limit, no column
		header, align = header[:6], align[:6]
		for i := range rows {
			rows[i] = rows[i][:6]
		}
	}
	// Narrower: shapes and counts go before the names are cut short; the
	// summary line above keeps the whole span.
	steps := []fitStep{elide(0, 48), drop(5), elide(0, 36), drop(1), drop(2), elide(0, 24)}
	return fitTable(header, align, rows, r.Width, steps).render(w)
}

func writeFindingsTable(w io.Writer, r *Report, listed []*diff.Finding) error {
	fmt.Fprintln(w)
	const siteCol = 3
	header := []string{"#", "severity", "series", "site", "first → last", "trend", "slope", "R²", "p", "shape", "score", "rule"}
	align := []tw.Align{tw.AlignRight, tw.AlignLeft, tw.AlignLeft, tw.AlignLeft, tw.AlignRight, tw.AlignLeft, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignLeft, tw.AlignRight, tw.AlignLeft}
	var rows [][]string
	var names, ruleIDs []string // each row's whole site name and rule
	oneSource := r.Summary().Sources == 1
	row := func(rank string, f *diff.Finding, member bool) []string {
		s := r.Analysis.Series[f.Series].Series
		site := s.Sites[f.Site]
		s = withSiteUnit(&r.Analysis.Series[f.Series], site.Site).Series
		tr := &f.Trend
		name := shortFunction(site.Site.Function)
		if r.Line && site.Site.File != "" && s.Kind != profile.KindMetrics {
			name += fmt.Sprintf(" %s:%d", site.Site.File, site.Site.Line)
		}
		if member {
			name = "  ↳ " + name
		}
		series := fmt.Sprintf("%s · %s", s.Source, s.Kind)
		if oneSource && r.Width > 0 {
			series = s.Kind.String() // the summary line names the one source
		}
		sc := commonScale(s.Metric.Unit, int64(tr.Start), int64(tr.End))
		out := []string{
			rank, r.paint(f.Severity, f.Severity.String()), series, name,
			sc.format(int64(tr.Start), false) + " → " + sc.format(int64(tr.End), false),
			sparkline(site.Values()[r.Analysis.Series[f.Series].Start:], 16), fmtSlope(s, tr.Pace.Slope), fmtFloat(tr.OLS.R2, 2), fmtP(tr.P), tr.Shape.String(), fmt.Sprintf("%.2f", f.Score), "—",
		}
		names = append(names, site.Site.Function)
		ruleIDs = append(ruleIDs, "")
		if m := r.match(f); m != nil {
			out[len(out)-1] = m.Rule.ID
			ruleIDs[len(ruleIDs)-1] = m.Rule.ID
		}
		return out
	}
	var ranks []string
	for i, f := range listed {
		rows = append(rows, row(fmt.Sprint(i+1), f, false))
		ranks = append(ranks, fmt.Sprint(i+1))
		for _, m := range r.members(f) {
			rows = append(rows, row("", m, true))
			ranks = append(ranks, fmt.Sprintf("%d ↳", i+1))
		}
	}
	// Narrower: the statistics a detail block repeats go first, then long
	// names are cut short and rules move below the table.
	const ruleCol = 11
	steps := []fitStep{drop(10), drop(7), drop(5), drop(8), drop(9), elide(siteCol, 40), drop(4), elide(siteCol, 28),
		drop(ruleCol), elide(2, 12), elide(siteCol, 20), drop(2)}
	ft := fitTable(header, align, rows, r.Width, steps)
	if err := ft.render(w); err != nil {
		return err
	}
	sc, ruleKept := -1, false // the site column's index among those kept
	for i, h := range ft.header {
		switch h {
		case "site":
			sc = i
		case "rule":
			ruleKept = true
		}
	}
	first := true
	for i, cut := range ft.cut {
		siteCut := sc >= 0 && cut[sc]
		if !siteCut && (ruleKept || ruleIDs[i] == "") {
			continue
		}
		if first {
			fmt.Fprintln(w, "  in full (--wide shows every column):")
			first = false
		}
		line := fmt.Sprintf("  %4s  %s", ranks[i], names[i])
		if !ruleKept && ruleIDs[i] != "" {
			line += "  rule " + ruleIDs[i]
		}
		fmt.Fprintln(w, line)
	}
	return nil
}

// writeDetail explains one finding in sentences, with its stack.
func writeDetail(w io.Writer, r *Report, rank int, f *diff.Finding) {
	sf := &r.Analysis.Series[f.Series]
	site := sf.Series.Sites[f.Site]
	sf = withSiteUnit(sf, site.Site)
	s := sf.Series
	tr := &f.Trend
	fmt.Fprintf(w, "%d. %s — %s · %s · %s — %s (confidence %s)\n", rank, site.Site.Function, s.Source, s.Kind, s.Metric.Name, f.Severity, f.Confidence)
	fmt.Fprintf(w, "   grows %s, %s: %s → %s over %d snapshots (%s).\n", fmtSlope(s, tr.Pace.Slope), shapePhrase(sf, tr),
		humanValue(s.Metric.Unit, int64(tr.Start), false), humanValue(s.Metric.Unit, int64(tr.End), false), tr.N, statsLine(tr))
	if c := costPhrase(s, f); c != "" {
		fmt.Fprintf(w, "   %s.\n", c)
	}
	if g := groupPhrase(r, f); g != "" {
		fmt.Fprintf(w, "   %s:\n", g)
		for _, m := range r.members(f) {
			fmt.Fprintf(w, "     - %s\n", memberLine(r, m))
		}
	}
	if !math.IsNaN(f.Share) && f.Share > 0 && len(f.Members) == 0 {
		fmt.Fprintf(w, "   %.0f %% of the series' growth", 100*f.Share)
		if h := sf.HoursToLimit; !math.IsNaN(h) && !math.IsNaN(f.SlopeShare) && h > 0 {
			fmt.Fprintf(w, "; the heap reaches the %s limit in %s at the current rate, %.0f %% of it from this site", humanValue("bytes", r.MemoryLimit, false), fmtDuration(time.Duration(h*float64(time.Hour))), 100*clamp(f.SlopeShare))
		}
		fmt.Fprintln(w, ".")
	}
	for _, e := range f.Evidence {
		fmt.Fprintf(w, "   %s.\n", e)
	}
	for _, warn := range tr.Warnings {
		fmt.Fprintf(w, "   caution: %s.\n", warn)
	}
	if m := r.match(f); m != nil {
		fmt.Fprintf(w, "   rule %s: %s.\n", m.Rule.ID, m.Rule.Title)
		writeIndented(w, "   ", m.Rule.Explanation)
		fmt.Fprintln(w, "   remedy:")
		writeIndented(w, "     ", m.Rule.Remedy)
		for _, ref := range m.Rule.References {
			fmt.Fprintf(w, "   see %s\n", ref)
		}
		if len(m.Rule.Metrics) > 0 {
			fmt.Fprintf(w, "   metrics to look at: %s\n", strings.Join(m.Rule.Metrics, ", "))
		}
		fmt.Fprintf(w, "   matched: %s\n", strings.Join(m.Evidence, "; "))
		for _, v := range m.Versions {
			fmt.Fprintf(w, "   version: %s.\n", v.Note())
		}
	} else if len(site.Stack) > 0 {
		fmt.Fprintln(w, "   no rule in the catalog matches: the statistics found it, the stack below says where to look.")
	} else {
		fmt.Fprintln(w, "   no rule in the catalog matches: the statistics found it.")
	}
	if len(site.Stack) == 0 {
		return // a metric: no stack
	}
	fmt.Fprintln(w, "   stack (leaf first, → the site):")
	for _, line := range stackLines(site.Stack, site.Site.Function, 11) {
		fmt.Fprintf(w, "   %s\n", line)
	}
}

// stackLines renders a stack around its site: two frames of machinery above
// the site say how it waits or allocates, the rest (up to max lines) who
// called it; the site is marked →.
func stackLines(stk profile.Stack, site string, maxLines int) []string {
	at := 0
	for i, fr := range stk {
		if fr.Function == site {
			at = i
			break
		}
	}
	from, to := max(0, at-2), min(len(stk), at+maxLines-2)
	var out []string
	if from > 0 {
		out = append(out, fmt.Sprintf("  … %d frame(s)", from))
	}
	for i, fr := range stk[from:to] {
		mark := "  "
		if from+i == at {
			mark = "→ "
		}
		loc := ""
		if fr.File != "" {
			loc = fmt.Sprintf("  %s:%d", profile.NormalizeFile(fr.File), fr.Line)
		}
		out = append(out, mark+fr.Function+loc)
	}
	if len(stk) > to {
		out = append(out, fmt.Sprintf("  … %d more frame(s)", len(stk)-to))
	}
	return out
}

func statsLine(tr *diff.Trend) string {
	var parts []string
	switch tr.PMethod {
	case "":
	default:
		parts = append(parts, fmt.Sprintf("p %s by %s", fmtP(tr.P), tr.PMethod))
	}
	if !math.IsNaN(tr.OLS.R2) {
		parts = append(parts, fmt.Sprintf("R² %.2f", tr.OLS.R2))
	}
	if !math.IsNaN(tr.MK.Tau) {
		parts = append(parts, fmt.Sprintf("Kendall tau %.2f", tr.MK.Tau))
	}
	if tr.Autocorr > 0 {
		parts = append(parts, fmt.Sprintf("lag-1 autocorrelation %.2f", tr.Autocorr))
	}
	if len(parts) == 0 {
		return "no test"
	}
	return strings.Join(parts, ", ")
}

func clamp(v float64) float64 { return min(max(v, 0), 1) }

func fmtFloat(v float64, prec int) string {
	if math.IsNaN(v) {
		return "—"
	}
	return fmt.Sprintf("%.*f", prec, v)
}

// fmtP prints a p-value: "—" when undefined, "<1e-12" when tiny.
func fmtP(p float64) string {
	switch {
	case math.IsNaN(p):
		return "—"
	case p < 1e-12:
		return "<1e-12"
	case p < 0.001:
		return fmt.Sprintf("%.0e", p)
	default:
		return fmt.Sprintf("%.3f", p)
	}
}

// fmtSlope prints a slope in the series' unit per hour (per snapshot when
// times are unknown).
func fmtSlope(s *profile.Series, perHour float64) string {
	return fmtSlopeUnit(s, s.Metric.Unit, perHour)
}

// fmtSlopeUnit is fmtSlope in a unit of its own (a metrics gauge's).
func fmtSlopeUnit(s *profile.Series, unit string, perHour float64) string {
	if math.IsNaN(perHour) {
		return "—"
	}
	per := "/h"
	if !s.TimesKnown {
		per = "/snapshot"
	}
	if unit == "bytes" {
		return humanValue("bytes", int64(perHour), true) + per
	}
	if math.Abs(perHour) < 10 {
		v := fmt.Sprintf("%.2g", perHour)
		if perHour > 0 {
			v = "+" + v
		}
		return v + per
	}
	return humanValue("count", int64(math.Round(perHour)), true) + per
}

func fmtDuration(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%.1fd", d.Hours()/24)
	case d >= time.Hour:
		d = d.Round(time.Minute)
		if m := d % time.Hour / time.Minute; m != 0 {
			return fmt.Sprintf("%dh%dm", d/time.Hour, m)
		}
		return fmt.Sprintf("%dh", d/time.Hour)
	default:
		return d.Round(time.Second).String()
	}
}

// spanText is "2026-01-01 05:00 → 07:30 (2.5h)", with the end's date too
// when it is another day's.
func spanText(first, last time.Time) string {
	first, last = first.UTC(), last.UTC()
	clock := clockFormat(last.Sub(first))
	end := last.Format(clock)
	if first.Format(time.DateOnly) != last.Format(time.DateOnly) {
		end = last.Format(time.DateOnly + " " + clock)
	}
	return fmt.Sprintf("%s → %s (%s)", first.Format(time.DateOnly+" "+clock), end, fmtDuration(last.Sub(first)))
}

// clockFormat shows seconds when a series spans less than ten minutes.
func clockFormat(span time.Duration) string {
	if span < 10*time.Minute {
		return "15:04:05"
	}
	return "15:04"
}

// writeIndented writes text (possibly several lines) with a prefix on each
// line.
func writeIndented(w io.Writer, prefix, text string) {
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		fmt.Fprintf(w, "%s%s\n", prefix, strings.TrimSpace(line))
	}
}

// fmtLimit says when the memory limit is reached: "" (no limit or no
// growth), "reached", or "in 3h12m".
func fmtLimit(hours float64) string {
	switch {
	case math.IsNaN(hours):
		return ""
	case hours == 0:
		return "reached"
	default:
		return "in " + fmtDuration(time.Duration(hours*float64(time.Hour)))
	}
}

// fmtRelative prints a relative change, "new" when there was nothing before.
func fmtRelative(rel *float64) string {
	if rel == nil {
		return "new"
	}
	return fmt.Sprintf("%+.0f %%", 100**rel)
}

// errWriter keeps the first write error and writes nothing after it: a
// report is many small writes, checked once at the end, so that a full disk
// or a closed pipe fails the command rather than leave a short report.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

// wrap breaks prose into lines of at most width columns (0: one line),
// as wrapBlock does.
func wrap(s string, width int) string {
	if width <= 0 {
		return s
	}
	return wrapBlock(s, width)
}

// wrapBlock wraps each line of text longer than width at spaces, its
// continuation lines indented two more than the line itself.
func wrapBlock(text string, width int) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(text, "\n") {
		body := strings.TrimRight(line, "\n")
		if cellWidth(body) <= width {
			b.WriteString(line)
			continue
		}
		indent := body[:len(body)-len(strings.TrimLeft(body, " "))]
		rest := strings.TrimLeft(body, " ")
		if strings.HasPrefix(rest, "- ") {
			indent += "  "
		}
		var cur strings.Builder
		cur.WriteString(body[:len(body)-len(rest)])
		n := len(cur.String())
		for i, word := range strings.Fields(strings.ReplaceAll(rest, " %", "\x00%")) { // "33 %" stays whole
			word = strings.ReplaceAll(word, "\x00", " ")
			w := cellWidth(word)
			if i > 0 && n+1+w > width && n > len(indent)+2 {
				b.WriteString(cur.String() + "\n")
				cur.Reset()
				cur.WriteString(indent + "  ")
				n = len(indent) + 2
			} else if i > 0 {
				cur.WriteByte(' ')
				n++
			}
			cur.WriteString(word)
			n += w
		}
		b.WriteString(cur.String())
		if strings.HasSuffix(line, "\n") {
			b.WriteString("\n")
		}
	}
	return b.String()
}

package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/leakdiff/leakdiff/diff"
	"github.com/leakdiff/leakdiff/profile"
)

// Summary is what the summary view shows: what was read, and per series the
// sites that grew most.
type Summary struct {
	// Files counts the files considered.
	Files    int
	Set      *profile.Set
	Skipped  []profile.Skipped
	Warnings []string
	// Top bounds the sites listed per series; 0 means 10.
	Top int
	// Line shows file:line next to each site.
	Line bool
}

// WriteSummary renders s as text.
func WriteSummary(w io.Writer, s Summary) error {
	top := s.Top
	if top <= 0 {
		top = 10
	}
	snaps := 0
	for _, sr := range s.Set.Series {
		if sr.Metric == firstMetric(s.Set, sr) {
			snaps += len(sr.Times)
		}
	}
	nseries := 0
	for _, sr := range s.Set.Series {
		if sr.Metric == firstMetric(s.Set, sr) {
			nseries++
		}
	}
	fmt.Fprintf(w, "%s read: %s in %s, %d counted once, %d set aside, %d skipped\n",
		plural(s.Files, "file"), plural(snaps, "snapshot"), plural(nseries, "series"),
		len(s.Set.Duplicates), len(s.Set.SetAside), len(s.Skipped))
	for _, sr := range s.Set.Series {
		fmt.Fprintln(w)
		if err := writeSeries(w, &sr, top, s.Line); err != nil {
			return err
		}
	}
	if len(s.Set.SetAside) > 0 {
		fmt.Fprintln(w, "\nset aside (read, not analysed):")
		for _, sn := range s.Set.SetAside {
			fmt.Fprintf(w, "  %s: %s profile\n", sn.File, sn.Type)
		}
	}
	if d := s.Set.Duplicates; len(d) > 0 {
		// Usually one per moment when two formats were saved together:
		// a few examples say what happened without burying the report.
		const show = 3
		fmt.Fprintln(w, "\ncounted once (identical content, or the same moment as another snapshot):")
		for _, sk := range d[:min(show, len(d))] {
			fmt.Fprintf(w, "  %s: %v\n", sk.File, sk.Err)
		}
		if len(d) > show {
			fmt.Fprintf(w, "  … and %d more\n", len(d)-show)
		}
	}
	if len(s.Skipped) > 0 {
		fmt.Fprintln(w, "\nskipped:")
		for _, sk := range s.Skipped {
			fmt.Fprintf(w, "  %s: %v\n", sk.File, sk.Err)
		}
	}
	return nil
}

func firstMetric(set *profile.Set, sr profile.Series) profile.Metric {
	for _, o := range set.Series {
		if o.Source == sr.Source && o.Kind == sr.Kind {
			return o.Metric
		}
	}
	return sr.Metric
}

func plural(n int, word string) string {
	if n == 1 || word == "series" {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func writeSeries(w io.Writer, sr *profile.Series, top int, line bool) error {
	n := len(sr.Times)
	fmt.Fprintf(w, "%s · %s · %s (%s)\n", sr.Source, sr.Kind, sr.Metric.Name, sr.Metric.Unit)
	span := "times unknown: ordered by file name"
	if sr.TimesKnown && n == 1 {
		span = "at " + sr.Times[0].Format(time.RFC3339)
	} else if sr.TimesKnown {
		first, last := sr.Times[0], sr.Times[n-1]
		span = fmt.Sprintf("%s → %s (%s)", first.Format(time.RFC3339), last.Format(time.RFC3339), last.Sub(first).Round(time.Second))
	}
	t0, t1 := sr.Totals[0], sr.Totals[n-1]
	sc := commonScale(sr.Metric.Unit, t0, t1)
	fmt.Fprintf(w, "  %s, %s; total %s → %s (%s)\n", plural(n, "snapshot"), span,
		sc.format(t0, false), sc.format(t1, false), humanValue(sr.Metric.Unit, t1-t0, true))
	for _, seg := range sr.Segments[1:] {
		fmt.Fprintf(w, "  segment from snapshot %d: %s\n", seg.Start+1, seg.Reason)
	}
	if len(sr.Segments) > 1 {
		fmt.Fprintf(w, "  growth below is over the last segment only\n")
	}
	for _, note := range sr.Notes {
		fmt.Fprintf(w, "  note: %s\n", note)
	}
	if n < 2 {
		fmt.Fprintf(w, "  one snapshot: growth needs at least two\n")
	}
	ranked := diff.RankGrowth(sr)
	shown := ranked[:min(top, len(ranked))]
	var vals []int64
	for _, g := range shown {
		vals = append(vals, g.First, g.Last, g.Delta)
	}
	cs := commonScale(sr.Metric.Unit, vals...)
	tbl := tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders:  tw.BorderNone,
			Symbols:  tw.NewSymbols(tw.StyleNone),
			Settings: tw.Settings{Separators: tw.Separators{BetweenColumns: tw.Off, BetweenRows: tw.Off}, Lines: tw.Lines{ShowHeaderLine: tw.Off}},
		})),
		tablewriter.WithConfig(tablewriter.Config{
			Header: tw.CellConfig{Formatting: tw.CellFormatting{AutoFormat: tw.Off}, Alignment: tw.CellAlignment{Global: tw.AlignLeft}},
			Row: tw.CellConfig{
				Formatting: tw.CellFormatting{AutoWrap: tw.WrapNone},
				Alignment:  tw.CellAlignment{PerColumn: []tw.Align{tw.AlignRight, tw.AlignLeft, tw.AlignRight, tw.AlignRight, tw.AlignRight}},
			},
		}),
	)
	tbl.Header([]string{"#", "site", "first", "last", "growth"})
	for i, g := range shown {
		site := &sr.Sites[g.Site]
		name := shortFunction(site.Site.Function)
		if line {
			if site.Site.File != "" {
				name += " " + fmt.Sprintf("%s:%d", site.Site.File, site.Site.Line)
			}
		}
		if gi := site.Goroutines; gi != nil && len(gi.States) > 0 {
			name += " [" + gi.States[0].State
			if gi.MaxWait > 0 {
				name += ", " + gi.MaxWait.String()
			}
			if gi.Leaked > 0 {
				name += fmt.Sprintf(", %d leaked", gi.Leaked)
			}
			name += "]"
		}
		if err := tbl.Append([]string{fmt.Sprint(i + 1), name, cs.format(g.First, false), cs.format(g.Last, false), cs.format(g.Delta, true)}); err != nil {
			return err
		}
	}
	if len(shown) > 0 {
		if err := tbl.Render(); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(w, "  no site has a value")
	}
	if more := len(ranked) - len(shown); more > 0 {
		fmt.Fprintf(w, "  … %d more site(s)\n", more)
	}
	return nil
}

// shortFunction drops the import path up to the last slash:
// "github.com/rancher/remotedialer.pipe.func2" → "remotedialer.pipe.func2".
func shortFunction(fn string) string {
	// The path ends at the last '/' before the first '.' that follows it;
	// a '/' inside generic brackets never counts since names are folded.
	if i := strings.LastIndexByte(fn, '/'); i >= 0 {
		return fn[i+1:]
	}
	return fn
}

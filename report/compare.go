package report

import (
	"fmt"
	"io"
	"math"
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
}

// WriteCompareText renders a two-snapshot comparison.
func WriteCompareText(w io.Writer, r CompareReport) error {
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
			rel := "new"
			if !math.IsNaN(d.Relative) {
				rel = fmt.Sprintf("%+.0f %%", 100*d.Relative)
			}
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
	return nil
}

func describeSnap(s *profile.Snapshot) string {
	if s.TimeFrom == profile.TimeUnknown {
		return s.File
	}
	return fmt.Sprintf("%s (%s)", s.File, s.Time.Format(time.RFC3339))
}

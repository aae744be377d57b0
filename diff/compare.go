package diff

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/leakdiff/leakdiff/profile"
)

// Delta is one site's change between two snapshots.
type Delta struct {
	Site  profile.Site
	Stack profile.Stack
	// Base and New are the site's values; Change = New − Base.
	Base, New, Change int64
	// Relative = Change / Base; NaN when Base is 0 (a new site).
	Relative float64
}

// Comparison is the result of Compare: per metric of the snapshots' kind,
// every site present in either, largest growth first.
type Comparison struct {
	Kind    profile.Kind
	Metrics []profile.Metric
	// Deltas has one slice per metric; ties are broken by the larger new
	// value, then by site.
	Deltas [][]Delta
	// BaseTotal and NewTotal are the totals per metric.
	BaseTotal, NewTotal []int64
}

// Compare lines up two snapshots by site name, as go tool pprof -diff_base
// does by address, so that profiles of different builds compare. Both must
// be of the same analysable kind.
func Compare(base, next *profile.Snapshot) (*Comparison, error) {
	if base.Kind == profile.KindOther || next.Kind == profile.KindOther {
		return nil, fmt.Errorf("only heap and goroutine profiles compare (got %s and %s)", base.Type, next.Type)
	}
	if base.Kind != next.Kind {
		return nil, fmt.Errorf("cannot compare a %s profile with a %s profile", base.Kind, next.Kind)
	}
	c := &Comparison{Kind: base.Kind}
	for m, metric := range base.Metrics {
		if m >= len(next.Metrics) || next.Metrics[m] != metric {
			break
		}
		c.Metrics = append(c.Metrics, metric)
		c.BaseTotal = append(c.BaseTotal, base.Totals[m])
		c.NewTotal = append(c.NewTotal, next.Totals[m])
		idx := map[profile.Site]int{}
		var ds []Delta
		for _, sv := range base.Sites {
			idx[sv.Site] = len(ds)
			ds = append(ds, Delta{Site: sv.Site, Stack: sv.Stack, Base: sv.Values[m]})
		}
		for _, sv := range next.Sites {
			i, ok := idx[sv.Site]
			if !ok {
				i = len(ds)
				ds = append(ds, Delta{Site: sv.Site})
			}
			ds[i].New = sv.Values[m]
			ds[i].Stack = sv.Stack // the newer stack is the one to look at
		}
		for i := range ds {
			d := &ds[i]
			d.Change = d.New - d.Base
			d.Relative = math.NaN()
			if d.Base != 0 {
				d.Relative = float64(d.Change) / math.Abs(float64(d.Base))
			}
		}
		slices.SortFunc(ds, func(a, b Delta) int {
			if c := cmp.Compare(b.Change, a.Change); c != 0 {
				return c
			}
			if c := cmp.Compare(b.New, a.New); c != 0 {
				return c
			}
			return a.Site.Compare(b.Site)
		})
		c.Deltas = append(c.Deltas, ds)
	}
	if len(c.Metrics) == 0 {
		return nil, fmt.Errorf("the two profiles measure different things (%v and %v)", base.Metrics, next.Metrics)
	}
	return c, nil
}

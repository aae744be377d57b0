package diff

import (
	"time"

	"testing"

	"github.com/leakdiff/leakdiff/profile"
)

func TestRankGrowth(t *testing.T) {
	t.Parallel()
	site := func(fn string, v ...int64) profile.SiteSeries {
		return profile.NewSiteSeries(profile.Site{Function: fn}, v)
	}
	s := &profile.Series{
		Times:    make([]time.Time, 4),
		Segments: []profile.Segment{{Start: 0}, {Start: 1, Reason: "restart"}},
		Sites: []profile.SiteSeries{
			site("a.flat", 5, 5, 5, 5),
			site("b.leak", 900, 10, 20, 40),                                  // the drop before the restart does not count
			site("c.tie", 0, 0, 10, 30),                                      // same growth as d, larger last
			site("d.top", 0, 5, 15, 40),                                      // growth 35
			site("e.gone", 0, 0, 0, 0),                                       // never seen in the last segment
			site("f.shrink", 0, 100, 50, 10),                                 // negative growth ranks last
			site("context.(*cancelCtx).propagateCancel.func2", 0, 5, 15, 40), // ties d.top: the standard library yields
		},
	}
	got := RankGrowth(s)
	var order []string
	for _, g := range got {
		order = append(order, s.Sites[g.Site].Site.Function)
	}
	want := []string{"d.top", "context.(*cancelCtx).propagateCancel.func2", "b.leak", "c.tie", "a.flat", "f.shrink"}
	if len(order) != len(want) {
		t.Fatalf("order %v, want %v", order, want)
	}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("order %v, want %v", order, want)
		}
	}
	if g := got[2]; g.First != 10 || g.Last != 40 || g.Delta != 30 {
		t.Errorf("b.leak growth %+v, want 10 → 40 (+30) over the last segment", g)
	}
}

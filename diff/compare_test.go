package diff

import (
	"math"
	"testing"
	"time"

	"github.com/leakdiff/leakdiff/profile"
)

func TestCompare(t *testing.T) {
	t.Parallel()
	m := []profile.Metric{{Name: "inuse_space", Unit: "bytes"}}
	sv := func(fn string, v int64) profile.SiteValue {
		return profile.SiteValue{Site: profile.Site{Function: fn}, Values: []int64{v}}
	}
	base := &profile.Snapshot{Kind: profile.KindHeap, Metrics: m, Totals: []int64{130}, Sites: []profile.SiteValue{sv("a.grows", 100), sv("b.gone", 20), sv("c.same", 10)}}
	next := &profile.Snapshot{Kind: profile.KindHeap, Metrics: m, Totals: []int64{360}, Sites: []profile.SiteValue{sv("a.grows", 300), sv("c.same", 10), sv("d.new", 50)}}
	c, err := Compare(base, next)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, d := range c.Deltas[0] {
		order = append(order, d.Site.Function)
	}
	want := []string{"a.grows", "d.new", "c.same", "b.gone"}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("order %v, want %v", order, want)
		}
	}
	if d := c.Deltas[0][0]; d.Change != 200 || d.Relative != 2 {
		t.Errorf("a.grows %+v, want +200 (+200 %%)", d)
	}
	if d := c.Deltas[0][1]; d.Change != 50 || !math.IsNaN(d.Relative) {
		t.Errorf("d.new %+v, want +50, relative NaN", d)
	}
	goroutines := &profile.Snapshot{Kind: profile.KindGoroutine, Type: "goroutine", Metrics: []profile.Metric{{Name: "goroutines", Unit: "count"}}}
	if _, err := Compare(base, goroutines); err == nil {
		t.Error("heap vs goroutine: no error")
	}
}

func TestAsymmetries(t *testing.T) {
	t.Parallel()
	at := func(i int) time.Time { return time.Date(2026, 11, 21, 0, i, 0, 0, time.UTC) }
	series := func(source string, leak bool) profile.Series {
		s := profile.Series{Source: source, Kind: profile.KindHeap, Metric: profile.Metric{Name: "inuse_space", Unit: "bytes"}, TimesKnown: true, Segments: []profile.Segment{{}}}
		var shared, keep []int64
		for i := range 30 {
			s.Times = append(s.Times, at(i))
			v := int64(10 << 20)
			if leak {
				v += int64(i) << 20
			}
			shared = append(shared, v)
			keep = append(keep, 1<<20)
			s.Totals = append(s.Totals, v+1<<20)
		}
		s.Sites = []profile.SiteSeries{profile.NewSiteSeries(profile.Site{Function: "app.cache"}, shared), profile.NewSiteSeries(profile.Site{Function: "app.keep"}, keep)}
		return s
	}
	set := &profile.Set{Series: []profile.Series{series("primary", false), series("replica", true)}}
	a := Analyze(set, Options{})
	as := a.Asymmetries()
	if len(as) != 2 {
		t.Fatalf("asymmetries %+v, want the total and app.cache", as)
	}
	for _, x := range as {
		if x.Growing != "replica" || len(x.Steady) != 1 || x.Steady[0].Source != "primary" {
			t.Errorf("asymmetry %s", x.Describe())
		}
	}
}

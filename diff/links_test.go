package diff

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"gonum.org/v1/gonum/stat"

	"github.com/leakdiff/leakdiff/profile"
)

// linkedAnalysis builds, without fitting, an analysis of one source with a
// metrics series of metrics sites (every one a rising, medium finding:
// the worst case for linking) and a heap series of heap sites, snaps
// snapshots a minute apart; heap site j grows in step with the metrics
// sites i ≡ j (mod heap). The metrics snapshots are taken half a second
// after the heap ones, and the heap series starts its fit at snapshot 3.
func linkedAnalysis(metrics, heap, snaps int) *Analysis {
	r := rand.New(rand.NewPCG(3, 4))
	t0 := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	series := func(kind profile.Kind, n int, offset time.Duration) *profile.Series {
		s := &profile.Series{Source: "api", Kind: kind, Metric: profile.Metric{Name: "value", Unit: "count"},
			Times: make([]time.Time, snaps), TimesKnown: true, Totals: make([]int64, snaps), Segments: []profile.Segment{{Start: 0}}}
		for i := range s.Times {
			s.Times[i] = t0.Add(time.Duration(i)*time.Minute + offset)
		}
		s.Sites = make([]profile.SiteSeries, n)
		return s
	}
	ms, hs := series(profile.KindMetrics, metrics, 500*time.Millisecond), series(profile.KindHeap, heap, 0)
	steps := make([][]int64, heap)
	for j := range steps {
		steps[j] = make([]int64, snaps)
		for i := range steps[j] {
			steps[j][i] = int64(r.IntN(100))
		}
	}
	fill := func(v []int64, j int, noise int) {
		var level int64
		for i := range v {
			level += steps[j][i] + int64(r.IntN(noise+1))
			v[i] = level
		}
	}
	a := &Analysis{Series: []SeriesFit{{Series: ms}, {Series: hs, Start: 3}}}
	rising := Trend{Shape: ShapeLinear, Growth: 1, Pace: Pace{Slope: 1}}
	for i := range ms.Sites {
		v := make([]int64, snaps)
		fill(v, i%heap, 10*(i%4)) // some correlate, some do not
		ms.Sites[i] = profile.NewSiteSeries(profile.Site{Function: fmt.Sprintf("app_queue_items{queue=\"q%06d\"}", i), File: profile.MetricGauge}, v)
		a.Findings = append(a.Findings, Finding{Series: 0, Site: i, Trend: rising, Severity: SeverityMedium})
	}
	for j := range hs.Sites {
		v := make([]int64, snaps)
		fill(v, j, 0)
		hs.Sites[j] = profile.NewSiteSeries(profile.Site{Function: fmt.Sprintf("example.com/svc.f%d", j)}, v)
		f := Finding{Series: 1, Site: j, Trend: rising, Severity: SeverityHigh}
		if j == heap-1 {
			f.Severity = SeverityLow // not linked
		}
		a.Findings = append(a.Findings, f)
	}
	return a
}

// linksReference is the links as first written: every metrics finding
// against every finding.
func linksReference(a *Analysis) []Link {
	var out []Link
	for mi := range a.Findings {
		m := &a.Findings[mi]
		ms := a.Series[m.Series].Series
		if ms.Kind != profile.KindMetrics || !m.Trend.Rising() || m.Severity < SeverityMedium && !m.Symptom || m.Trend.Pace.Slope <= 0 {
			continue
		}
		for pi := range a.Findings {
			p := &a.Findings[pi]
			ps := a.Series[p.Series].Series
			if ps.Kind == profile.KindMetrics || ps.Source != ms.Source || ps.Secondary || p.Severity < SeverityMedium || p.GroupedInto != nil || p.Trend.Pace.Slope <= 0 {
				continue
			}
			x, y := a.common(m, p)
			if len(x) < 5 {
				continue
			}
			l := Link{Metric: mi, Profile: pi, N: len(x)}
			dx, dy := increments(x), increments(y)
			if stat.Variance(dx, nil) > 0 && stat.Variance(dy, nil) > 0 {
				l.R = stat.Correlation(dx, dy, nil)
			} else {
				l.R, l.Levels = stat.Correlation(x, y, nil), true
			}
			if math.IsNaN(l.R) || l.R < MinLinkR {
				continue
			}
			out = append(out, l)
		}
	}
	slices.SortStableFunc(out, func(x, y Link) int {
		if x.Profile != y.Profile {
			return x.Profile - y.Profile
		}
		return cmp.Compare(y.R, x.R)
	})
	return out
}

// TestLinksAsReference: the indexed links are the pairwise ones, in the
// same order, with the same evidence.
func TestLinksAsReference(t *testing.T) {
	t.Parallel()
	a := linkedAnalysis(400, 6, 40)
	want := linksReference(a)
	got, err := a.LinksContext(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(want) == 0 || len(want) == 400*5 {
		t.Fatalf("the fixture links %d pairs: it should link some, not all", len(want))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("links differ from the pairwise reference: %d vs %d", len(got), len(want))
	}
	for _, l := range got {
		if a.Findings[l.Profile].Series != 1 || l.N != 37 {
			t.Fatalf("link %+v: want a heap finding over the 37 snapshots from the heap's start", l)
		}
	}
	linked := 0
	for _, f := range a.Findings {
		if len(f.Evidence) > 0 {
			linked++
		}
	}
	if linked == 0 {
		t.Error("no evidence written")
	}
}

// TestLinksContextCanceled: a done context stops linking with its error and
// writes nothing.
func TestLinksContextCanceled(t *testing.T) {
	t.Parallel()
	a := linkedAnalysis(2000, 4, 20)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	links, err := a.LinksContext(ctx)
	if err != context.Canceled || links != nil {
		t.Fatalf("LinksContext = %d links, %v; want none, context.Canceled", len(links), err)
	}
	for _, f := range a.Findings {
		if len(f.Evidence) > 0 {
			t.Fatalf("evidence written after cancel: %q", f.Evidence)
		}
	}
}

// BenchmarkLinks links one source's metrics scrapes (every series a
// rising finding) to its heap findings: the time should grow linearly with
// the series.
func BenchmarkLinks(b *testing.B) {
	for _, n := range []int{12500, 25000, 50000, 100000} {
		a := linkedAnalysis(n, 8, 100)
		b.Run(fmt.Sprintf("series=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for i := range a.Findings {
					a.Findings[i].Evidence = nil
				}
				if _, err := a.LinksContext(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

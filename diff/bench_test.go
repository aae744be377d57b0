package diff

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/leakdiff/leakdiff/profile"
)

// syntheticSet builds one heap series of sites × snapshots, a minute apart:
// 1 % of sites leak, 9 % are noisy, the rest (as in real heaps) hold the
// same value in every snapshot or come and go.
func syntheticSet(sites, snaps int) *profile.Set {
	r := rand.New(rand.NewPCG(1, 2))
	s := profile.Series{
		Source: "svc", Kind: profile.KindHeap, Metric: profile.Metric{Name: "inuse_space", Unit: "bytes"},
		Times: make([]time.Time, snaps), TimesKnown: true, Totals: make([]int64, snaps),
		Segments: []profile.Segment{{Start: 0}},
	}
	t0 := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	for i := range s.Times {
		s.Times[i] = t0.Add(time.Duration(i) * time.Minute)
	}
	s.Sites = make([]profile.SiteSeries, sites)
	for j := range s.Sites {
		v := make([]int64, snaps)
		base := int64(r.IntN(1 << 20))
		for i := range v {
			switch {
			case j%100 == 0:
				v[i] = base + int64(i)*4096 + int64(r.NormFloat64()*8192)
			case j%10 == 1:
				v[i] = base + int64(r.NormFloat64()*65536)
			default:
				v[i] = base
			}
			s.Totals[i] += v[i]
		}
		s.Sites[j] = profile.NewSiteSeries(profile.Site{Function: fmt.Sprintf("pkg.f%d", j)}, v)
	}
	return &profile.Set{Series: []profile.Series{s}}
}

func BenchmarkAnalyze(b *testing.B) {
	for _, c := range []struct{ sites, snaps int }{{1000, 240}, {10000, 240}, {100000, 240}} {
		set := syntheticSet(c.sites, c.snaps)
		b.Run(fmt.Sprintf("sites=%d/snapshots=%d", c.sites, c.snaps), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				a := Analyze(set, Options{})
				if len(a.Findings) == 0 {
					b.Fatal("no findings")
				}
			}
		})
	}
}

// BenchmarkFit is one noisy site of 240 points: the cost of the statistics.
func BenchmarkFit(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	x := minutes(240)
	y := shaped(r, 240, 1, 0.5, func(i int) float64 { return float64(i) / 60 })
	th := DefaultThresholds()
	var sc scratch
	b.ReportAllocs()
	for b.Loop() {
		fit(x, y, &th, &sc)
	}
}

package profile

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestPacked(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	jitter := func(n int) []int64 {
		v := make([]int64, n)
		for i := range v {
			v[i] = 1<<20 + r.Int64N(1<<16)
		}
		return v
	}
	sparse := func(n int) []int64 {
		v := make([]int64, n)
		for i := range v {
			if r.IntN(5) == 0 {
				v[i] = r.Int64N(3) - 1
			}
		}
		return v
	}
	for _, tc := range []struct {
		name string
		v    []int64
		// maxBytes bounds the encoding: the point of packing.
		maxBytes int
	}{
		{"empty", nil, 0},
		{"zero", []int64{0}, 1},
		{"zeros", make([]int64, 5000), 2},
		{"constant", slices.Repeat([]int64{42}, 3000), 4},
		{"extremes", []int64{math.MaxInt64, math.MinInt64, 0, math.MaxInt64, -1, math.MinInt64, math.MinInt64}, 7 * 9},
		{"steps", append(append(make([]int64, 100), slices.Repeat([]int64{7}, 100)...), slices.Repeat([]int64{9}, 100)...), 8},
		{"jitter", jitter(2000), 2000 * 3},
		{"sparse", sparse(2000), 2000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := packInts(tc.v)
			if p.len() != len(tc.v) {
				t.Fatalf("len %d, want %d", p.len(), len(tc.v))
			}
			if got := p.appendTo(nil); !slices.Equal(got, tc.v) && len(tc.v) > 0 {
				t.Fatalf("decoded %v…, want %v…", got[:min(8, len(got))], tc.v[:min(8, len(tc.v))])
			}
			if len(p.b) > tc.maxBytes {
				t.Errorf("%d values in %d bytes, want at most %d", len(tc.v), len(p.b), tc.maxBytes)
			}
			// Built value by value (as a fold column is), padded: the same.
			var q packed
			for i, x := range tc.v {
				if x == 0 && i%3 == 0 {
					continue // left for pad
				}
				q.pad(i)
				q.add(x)
			}
			q.pad(len(tc.v))
			if !slices.Equal(q.appendTo(nil), tc.v) && len(tc.v) > 0 {
				t.Fatal("padded column decodes otherwise")
			}
			for range 50 {
				from := r.IntN(len(tc.v) + 1)
				to := from + r.IntN(len(tc.v)-from+1)
				want := !slices.ContainsFunc(tc.v[from:to], func(x int64) bool { return x != 0 })
				if got := p.allZero(from, to); got != want {
					t.Fatalf("allZero(%d, %d) = %v, want %v", from, to, got, want)
				}
			}
		})
	}
}

func TestSiteSeriesValues(t *testing.T) {
	t.Parallel()
	s := NewSiteSeries(Site{Function: "f"}, []int64{0, 0, 3, 3, 5})
	if got := s.Values(); !slices.Equal(got, []int64{0, 0, 3, 3, 5}) || s.Len() != 5 {
		t.Fatalf("Values %v Len %d", got, s.Len())
	}
	if got := s.AppendValues([]int64{9}); !slices.Equal(got, []int64{9, 0, 0, 3, 3, 5}) {
		t.Fatalf("AppendValues %v", got)
	}
	if !s.Zero(0, 2) || s.Zero(0, 3) || s.Zero(2, 5) || !s.Zero(5, 5) {
		t.Fatal("Zero wrong")
	}
	s.SetValues([]int64{1})
	if got := s.Values(); !slices.Equal(got, []int64{1}) {
		t.Fatalf("after SetValues: %v", got)
	}
}

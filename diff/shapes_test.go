package diff

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// A shape family of the property test: a generator of levels and the
// verdict each of its series must get.
type family struct {
	name string
	// leak: the series must be rated medium or worse (and its shape be
	// one of shapes); otherwise it must stay below medium.
	leak bool
	// shapes are the shape names that count as right for the family.
	shapes []Shape
	// maxStrictSD is the largest noise (a fraction of the rise) at which
	// the family's verdict is asserted: a slowing leak's tail rises by
	// about a twentieth of the whole rise, so beyond 1 % noise its tail is
	// flat within its confidence interval and "plateau" is the honest
	// verdict.
	maxStrictSD float64
	// minStrictN is the least number of points at which it is asserted:
	// with 24 points a slowing leak's tail holds about 8, and a
	// twentieth of the rise over 8 noisy points is at the edge of what a
	// test can see (measured: 65 % found at 24 points, 98 % at 60).
	minStrictN int
	// gen returns the noiseless level at each of n points (rise R over a
	// base), or nil when the family cannot be drawn with n points.
	gen func(r *rand.Rand, n int) []float64
}

const (
	propBase = 10 * mib
	propRise = 10 * mib
	// propSpan: every generated series spans four hours, whatever its
	// number of points, so that its pace (and so its cost) does not
	// depend on n.
	propSpan = 4.0
)

func propX(n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = propSpan * float64(i) / float64(n-1)
	}
	return x
}

// levels builds base + f(u) at u = i/(n−1).
func levels(n int, f func(u float64) float64) []float64 {
	y := make([]float64, n)
	for i := range y {
		y[i] = propBase + f(float64(i)/float64(n-1))
	}
	return y
}

var families = []family{
	{"linear", true, []Shape{ShapeLinear}, 0.03, 24, func(r *rand.Rand, n int) []float64 {
		return levels(n, func(u float64) float64 { return propRise * u })
	}},
	{"staircase", true, []Shape{ShapeStaircase, ShapeLinear}, 0.03, 24, func(r *rand.Rand, n int) []float64 {
		// 2–6 steps, each level at least 3 points long; steps evenly
		// spaced or doubling their distance (a map growing by doubling),
		// heights equal or doubling.
		k := 2 + r.IntN(5)
		if k > (n-3)/3 {
			k = (n - 3) / 3
		}
		if k < 2 {
			return nil
		}
		doubling := r.IntN(2) == 0
		var at, h []float64
		var hs float64
		for j := range k {
			t := float64(j+1) / float64(k+1)
			hj := 1.0
			if doubling {
				t = 0.9 * math.Pow(2, float64(j-k+1))
				hj = math.Pow(2, float64(j))
			}
			at, h, hs = append(at, t), append(h, hj), hs+hj
		}
		// Steps on the grid, at least 3 points apart and 3 from the end.
		idx := make([]int, k)
		for j, t := range at {
			idx[j] = max(int(math.Round(t*float64(n-1))), 3*(j+1))
			if j > 0 {
				idx[j] = max(idx[j], idx[j-1]+3)
			}
		}
		if idx[k-1] > n-3 {
			return nil
		}
		y := make([]float64, n)
		for i := range y {
			y[i] = propBase
			for j := range k {
				if i >= idx[j] {
					y[i] += propRise * h[j] / hs
				}
			}
		}
		return y
	}},
	{"slowing", true, []Shape{ShapeSlowing, ShapeLinear}, 0.01, 60, func(r *rand.Rand, n int) []float64 {
		// The rate falls to 1/6–1/10 at 55–67 % of the span and stays.
		c := 0.55 + 0.12*r.Float64()
		slow := 1 / (6 + 4*r.Float64())
		return levels(n, func(u float64) float64 {
			if u < c {
				return propRise * u
			}
			return propRise * (c + slow*(u-c))
		})
	}},
	{"fill", false, []Shape{ShapeFill}, 0.03, 24, func(r *rand.Rand, n int) []float64 {
		// Switched on at 50–70 % of the span, full within 3–6 snapshots,
		// at least 6 snapshots at capacity after.
		on := int((0.5 + 0.2*r.Float64()) * float64(n-1))
		d := 3 + r.IntN(4)
		if on < 3 || on+d > n-7 {
			return nil
		}
		y := make([]float64, n)
		for i := range y {
			y[i] = propBase + propRise*min(1, max(0, float64(i-on)/float64(d)))
		}
		return y
	}},
	{"plateau", false, []Shape{ShapePlateau, ShapeFill}, 0.03, 24, func(r *rand.Rand, n int) []float64 {
		c := 0.2 + 0.3*r.Float64()
		return levels(n, func(u float64) float64 { return propRise * min(u, c) / c })
	}},
	{"sawtooth", false, []Shape{ShapeSawtooth}, 0.03, 24, func(r *rand.Rand, n int) []float64 {
		p := 4 + r.IntN(5)
		if n < 3*p {
			return nil
		}
		y := make([]float64, n)
		for i := range y {
			y[i] = propBase + propRise*float64(i%p)/float64(p-1)
		}
		return y
	}},
	{"step", false, []Shape{ShapeStep}, 0.03, 24, func(r *rand.Rand, n int) []float64 {
		c := 0.3 + 0.4*r.Float64()
		return levels(n, func(u float64) float64 {
			if u < c {
				return 0
			}
			return propRise
		})
	}},
	{"flat", false, []Shape{ShapeFlat}, 0.03, 24, func(r *rand.Rand, n int) []float64 {
		return levels(n, func(float64) float64 { return 0 })
	}},
}

// propNoise are the noise levels: standard deviation as a fraction of the
// rise, white or AR(1).
var propNoise = []struct {
	name string
	sd   float64
	phi  float64
}{
	{"1%", 0.01, 0}, {"3%", 0.03, 0}, {"10%", 0.10, 0},
	{"3%-ar1", 0.03, 0.5}, {"10%-ar1", 0.10, 0.5},
}

var propLengths = []int{8, 12, 24, 60, 120, 240}

// propResult counts verdicts of one family.
type propResult struct {
	series, leak, right int
	shapes              map[Shape]int
}

// runProperty fits seeds series per family, length and noise level and
// returns the counts by family, over the levels with strict set when
// strictOnly.
func runProperty(seeds int, strictOnly bool) (map[string]*propResult, map[Shape]map[string]int) {
	th := DefaultThresholds()
	res := map[string]*propResult{}
	predicted := map[Shape]map[string]int{} // shape → family → count
	for fi, fam := range families {
		pr := &propResult{shapes: map[Shape]int{}}
		res[fam.name] = pr
		for _, n := range propLengths {
			if strictOnly && n < fam.minStrictN {
				continue
			}
			x := propX(n)
			for ni, nz := range propNoise {
				if strictOnly && nz.sd > fam.maxStrictSD {
					continue
				}
				for seed := range seeds {
					r := rand.New(rand.NewPCG(uint64(seed), uint64(1000*fi+10*ni+n)))
					lv := fam.gen(r, n)
					if lv == nil {
						continue
					}
					e := noise(r, n, nz.sd*propRise, nz.phi)
					y := make([]float64, n)
					for i := range y {
						y[i] = lv[i] + e[i]
					}
					tr := Fit(x, y, &th)
					leak := rateAlone(&tr, "bytes", &th) >= SeverityMedium
					pr.series++
					pr.shapes[tr.Shape]++
					if predicted[tr.Shape] == nil {
						predicted[tr.Shape] = map[string]int{}
					}
					predicted[tr.Shape][fam.name]++
					if leak {
						pr.leak++
					}
					if leak == fam.leak && slices.Contains(fam.shapes, tr.Shape) {
						pr.right++
					}
				}
			}
		}
	}
	return res, predicted
}

// TestShapeProperty is the verdict property of the classifier over
// generated series: for each family (staircases of 2–6 steps, slowing
// leaks, late fills, plateaus, sawtooth, single steps, flat noise, straight
// lines), lengths 8–240, white and AR(1) noise of 1–10 % of the rise, the
// share of series that get their family's verdict (a leak rated medium or
// worse with a leak's shape; anything else below medium with its shape),
// the leak rate, and per predicted shape its precision. Run it with -v to
// see the table; the bounds are asserted at each family's strict noise
// levels and lengths, where a verdict can be asked for.
func TestShapeProperty(t *testing.T) {
	if testing.Short() {
		t.Skip("thousands of fits")
	}
	t.Parallel()
	seeds := 40
	all, predicted := runProperty(seeds, false)
	t.Logf("all lengths (8–240) and noise levels, %d seeds each:", seeds)
	logProperty(t, all, predicted)
	strict, spred := runProperty(seeds, true)
	t.Logf("where the verdict is asserted: from 24 points, noise up to 3 %% white and AR(1) (slowing leaks: from 60 points, 1 %%):")
	logProperty(t, strict, spred)
	// Bounds: where the families can be told apart, nearly every series
	// gets its verdict, every leak is rated one, and what is not a leak
	// is (almost) never rated one.
	for _, fam := range families {
		pr := strict[fam.name]
		right := float64(pr.right) / float64(pr.series)
		leak := float64(pr.leak) / float64(pr.series)
		if want := 0.9; right < want {
			t.Errorf("%s: %.1f %% got their verdict, want at least %.0f %%", fam.name, 100*right, 100*want)
		}
		if fam.leak && leak < 0.95 {
			t.Errorf("%s: rated a leak in %.1f %%, want at least 95 %%", fam.name, 100*leak)
		}
		if !fam.leak && leak > 0.02 {
			t.Errorf("%s: rated a leak in %.1f %%, want at most 2 %%", fam.name, 100*leak)
		}
	}
}

func logProperty(t *testing.T, res map[string]*propResult, predicted map[Shape]map[string]int) {
	t.Helper()
	t.Logf("  %-10s %7s %9s %9s  %s", "family", "series", "verdict", "as leak", "shapes given")
	for _, fam := range families {
		pr := res[fam.name]
		var parts []string
		for sh := ShapeFlat; int(sh) < len(shapeNames); sh++ {
			if c := pr.shapes[sh]; c > 0 {
				parts = append(parts, fmt.Sprintf("%s %.0f%%", sh, 100*float64(c)/float64(pr.series)))
			}
		}
		t.Logf("  %-10s %7d %8.1f%% %8.1f%%  %s", fam.name, pr.series, 100*float64(pr.right)/float64(pr.series),
			100*float64(pr.leak)/float64(pr.series), strings.Join(parts, ", "))
	}
	// Precision and recall of each shape name against the family it is
	// the name of.
	own := map[Shape]string{ShapeLinear: "linear", ShapeStaircase: "staircase", ShapeSlowing: "slowing", ShapeFill: "fill",
		ShapePlateau: "plateau", ShapeSawtooth: "sawtooth", ShapeStep: "step", ShapeFlat: "flat"}
	t.Logf("  %-10s %9s %9s", "shape", "precision", "recall")
	for sh := ShapeFlat; int(sh) < len(shapeNames); sh++ {
		fam, ok := own[sh]
		if !ok {
			continue
		}
		total := 0
		for _, c := range predicted[sh] {
			total += c
		}
		prec := math.NaN()
		if total > 0 {
			prec = float64(predicted[sh][fam]) / float64(total)
		}
		rec := float64(res[fam].shapes[sh]) / float64(res[fam].series)
		t.Logf("  %-10s %8.1f%% %8.1f%%", sh, 100*prec, 100*rec)
	}
}

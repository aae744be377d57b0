package diff

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// OLS is an ordinary least-squares fit y = Intercept + Slope·x.
//
// Slope and Intercept come from gonum's stat.LinearRegression, R2 from
// stat.RSquared. SE is the slope's standard error,
//
//	SE = sqrt( Σ(yᵢ − ŷᵢ)² / (n − 2) / Σ(xᵢ − x̄)² ),
//
// inflated by sqrt(Inflation) when the residuals are autocorrelated (see
// Trend.Inflation); T = Slope/SE and P is the two-sided p-value of T under
// Student's t with n − 2 degrees of freedom (gonum distuv.StudentsT).
// Assumes independent, equal-variance residuals around a straight line; with
// n ≤ 2, R2, SE, T and P are NaN.
type OLS struct {
	Slope, Intercept float64
	R2               float64
	SE, T, P         float64
}

func fitOLS(x, y []float64, inflation float64) OLS {
	n := len(x)
	o := OLS{R2: math.NaN(), SE: math.NaN(), T: math.NaN(), P: math.NaN()}
	if n < 2 {
		return o
	}
	o.Intercept, o.Slope = stat.LinearRegression(x, y, nil, false)
	if n < 3 {
		return o
	}
	mx := stat.Mean(x, nil)
	var sxx, sse, sst float64
	my := stat.Mean(y, nil)
	for i := range x {
		d := x[i] - mx
		sxx += d * d
		r := y[i] - (o.Intercept + o.Slope*x[i])
		sse += r * r
		sst += (y[i] - my) * (y[i] - my)
	}
	if sst > 0 {
		o.R2 = stat.RSquared(x, y, nil, o.Intercept, o.Slope)
	} else {
		o.R2 = 0
	}
	if sxx == 0 {
		return o
	}
	o.SE = math.Sqrt(sse / float64(n-2) / sxx * max(inflation, 1))
	switch {
	case o.SE > 0:
		o.T = o.Slope / o.SE
		t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 2)}
		o.P = 2 * t.Survival(math.Abs(o.T))
	case o.Slope == 0:
		o.T, o.P = 0, 1
	default: // a perfect line
		o.T, o.P = math.Copysign(math.Inf(1), o.Slope), 0
	}
	return o
}

// maxTheilSenPairs bounds the pairs Theil–Sen looks at: all of them up to
// n = 64, an evenly spread subset beyond (the median of 2,016 slopes
// estimates the median of all of them to well within its own noise).
const maxTheilSenPairs = 2016

// theilSen returns the Theil–Sen slope, the median of the slopes
// (yⱼ − yᵢ)/(xⱼ − xᵢ) over pairs i < j with xⱼ ≠ xᵢ, and the intercept
// median(yᵢ − slope·xᵢ). Robust to up to 29 % of outliers (a GC caught in the
// middle of a snapshot). For long series it uses an evenly spread,
// deterministic subset of at most maxTheilSenPairs pairs. NaN for n < 2.
func theilSen(x, y []float64, scratch []float64) (slope, intercept float64, _ []float64) {
	n := len(x)
	if n < 2 {
		return math.NaN(), math.NaN(), scratch
	}
	total := n * (n - 1) / 2
	step := max(1, total/maxTheilSenPairs)
	slopes := scratch[:0]
	// Walk pairs (i, j) in row order, taking every step-th.
	k := 0
	for i := 0; i < n-1; i++ {
		row := n - 1 - i
		if k+row <= 0 {
			k += row
			continue
		}
		j0 := i + 1 + (step-k%step)%step
		for j := j0; j < n; j += step {
			if x[j] != x[i] {
				slopes = append(slopes, (y[j]-y[i])/(x[j]-x[i]))
			}
		}
		k += row
	}
	if len(slopes) == 0 {
		return math.NaN(), math.NaN(), slopes
	}
	slope = median(slopes)
	res := slopes[:0]
	for i := range x {
		res = append(res, y[i]-slope*x[i])
	}
	return slope, median(res), res
}

// MannKendall is the Mann–Kendall trend test on a series in time order
// (Gilbert 1987, ch. 16):
//
//	S = Σ_{i<j} sign(yⱼ − yᵢ)
//	Var(S) = [n(n−1)(2n+5) − Σ_g t_g(t_g−1)(2t_g+5)] / 18   (t_g: size of tie group g)
//	Z = (S − sign(S)) / sqrt(Var(S) · Inflation)          (continuity correction)
//	P = 2 · (1 − Φ(|Z|))                                    (two-sided, gonum distuv.UnitNormal)
//	Tau = S / sqrt((n₀ − n₁)·n₀),  n₀ = n(n−1)/2, n₁ = Σ_g t_g(t_g−1)/2   (Kendall's tau-b)
//
// It assumes independent observations; Inflation (≥ 1) widens Var(S) for
// lag-1 autocorrelation as the effective-sample-size correction of Bayley
// and Hammersley (1946) does. The normal approximation is fair from n ≈ 8;
// for n < 3 Z and P are NaN.
type MannKendall struct {
	S         float64
	Var       float64
	Z, P, Tau float64
}

func mannKendall(y []float64, inflation float64, scratch []float64) (MannKendall, []float64) {
	n := len(y)
	mk := MannKendall{Z: math.NaN(), P: math.NaN(), Tau: math.NaN()}
	if cap(scratch) < 2*n {
		scratch = make([]float64, 2*n)
	}
	sorted := scratch[:n]
	copy(sorted, y)
	// Every pair is concordant, discordant or tied, so
	// S = n₀ − n₁ − 2·discordant, and a merge sort counts the discordant
	// pairs (inversions) in O(n log n) where comparing all pairs took
	// O(n²). NaN compares neither way and is no equivalence: with one,
	// count pairs as the definition does.
	nan := slices.ContainsFunc(y, math.IsNaN)
	var discordant int
	if nan {
		slices.Sort(sorted)
	} else {
		discordant = sortInversions(sorted, scratch[n:2*n])
	}
	var tieVar, n1 float64
	var tiedPairs int
	for i := 0; i < n; {
		j := i + 1
		for j < n && sorted[j] == sorted[i] {
			j++
		}
		if t := float64(j - i); t > 1 {
			tieVar += t * (t - 1) * (2*t + 5)
			n1 += t * (t - 1) / 2
			tiedPairs += (j - i) * (j - i - 1) / 2
		}
		i = j
	}
	si := n*(n-1)/2 - tiedPairs - 2*discordant
	if nan {
		si = pairSign(y)
	}
	s := float64(si)
	mk.S = s
	if n < 3 {
		return mk, scratch
	}
	fn := float64(n)
	mk.Var = (fn*(fn-1)*(2*fn+5) - tieVar) / 18
	n0 := fn * (fn - 1) / 2
	if d := (n0 - n1) * n0; d > 0 {
		mk.Tau = s / math.Sqrt(d)
	}
	if mk.Var <= 0 {
		mk.Z, mk.P = 0, 1
		return mk, scratch
	}
	sd := math.Sqrt(mk.Var * max(inflation, 1))
	switch {
	case s > 0:
		mk.Z = (s - 1) / sd
	case s < 0:
		mk.Z = (s + 1) / sd
	default:
		mk.Z = 0
	}
	mk.P = 2 * distuv.UnitNormal.Survival(math.Abs(mk.Z))
	return mk, scratch
}

// pairSign is Σ_{i<j} sign(yⱼ − yᵢ) by comparing every pair.
func pairSign(y []float64) int {
	// Branch-free counting: on noisy data a branch per pair mispredicts
	// half the time.
	var s int
	for i, yi := range y {
		for _, yj := range y[i+1:] {
			s += b2i(yj > yi) - b2i(yj < yi)
		}
	}
	return s
}

// sortInversions sorts v ascending and returns the number of pairs i < j
// with v[i] > v[j] (equal values are no inversion); tmp must be at least
// half as long as v. v must hold no NaN.
func sortInversions(v, tmp []float64) int {
	n := len(v)
	if n <= 16 {
		// Insertion sort: each element moves past exactly the larger
		// ones before it.
		inv := 0
		for i := 1; i < n; i++ {
			x := v[i]
			j := i
			for j > 0 && v[j-1] > x {
				v[j] = v[j-1]
				j--
			}
			v[j] = x
			inv += i - j
		}
		return inv
	}
	h := n / 2
	inv := sortInversions(v[:h], tmp) + sortInversions(v[h:], tmp)
	if v[h-1] <= v[h] {
		return inv
	}
	// Merge the left half, copied out, with the right one in place: the
	// write index never passes the right half's read index.
	a := tmp[:h]
	copy(a, v[:h])
	i, j, k := 0, h, 0
	for i < h && j < n {
		if v[j] < a[i] {
			// v[j] is smaller than all of a[i:].
			inv += h - i
			v[k] = v[j]
			j++
		} else {
			v[k] = a[i]
			i++
		}
		k++
	}
	copy(v[k:], a[i:])
	return inv
}

// lag1 returns the lag-1 autocorrelation of r around its mean, corrected for
// its small-sample bias (E[r̂₁] ≈ φ − (1 + 3φ)/n for an AR(1) process,
// Kendall 1954), and clamped to [0, 0.95]: negative autocorrelation does not
// narrow the tests, and beyond 0.95 the series carries too little
// information to estimate it.
func lag1(r []float64) float64 {
	n := len(r)
	if n < 4 {
		return 0
	}
	m := stat.Mean(r, nil)
	var num, den float64
	for i := range r {
		d := r[i] - m
		den += d * d
		if i > 0 {
			num += d * (r[i-1] - m)
		}
	}
	if den == 0 {
		return 0
	}
	rho := num / den
	rho += (2 + 4*rho) / float64(n)
	return min(max(rho, 0), 0.95)
}

// median returns the median of v, reordering v. NaN for an empty slice.
// Quickselect: linear on average, which matters for Theil–Sen's thousands of
// pairwise slopes per site.
func median(v []float64) float64 {
	n := len(v)
	if n == 0 {
		return math.NaN()
	}
	hi := selectKth(v, n/2)
	if n%2 == 1 {
		return hi
	}
	// The lower middle is the largest value left of n/2.
	lo := v[0]
	for _, x := range v[1 : n/2] {
		lo = max(lo, x)
	}
	return (lo + hi) / 2
}

// selectKth reorders v so that v[k] is the k-th smallest value, everything
// before it no larger and everything after no smaller, and returns v[k].
func selectKth(v []float64, k int) float64 {
	lo, hi := 0, len(v)-1
	for hi > lo {
		if hi-lo < 16 {
			slices.Sort(v[lo : hi+1])
			return v[k]
		}
		// Median of three as pivot.
		mid := lo + (hi-lo)/2
		if v[mid] < v[lo] {
			v[mid], v[lo] = v[lo], v[mid]
		}
		if v[hi] < v[lo] {
			v[hi], v[lo] = v[lo], v[hi]
		}
		if v[hi] < v[mid] {
			v[hi], v[mid] = v[mid], v[hi]
		}
		pivot := v[mid]
		i, j := lo, hi
		for i <= j {
			for v[i] < pivot {
				i++
			}
			for v[j] > pivot {
				j--
			}
			if i <= j {
				v[i], v[j] = v[j], v[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return v[k]
		}
	}
	return v[k]
}

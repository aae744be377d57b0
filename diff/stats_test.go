package diff

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

func near(a, b, tol float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b))
}

func seq(n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = float64(i + 1)
	}
	return x
}

// Reference values for the two series below were computed independently
// with JavaScript libraries (Node 20): ml-regression-theil-sen 3.0.0 for
// Theil–Sen, simple-statistics 7.12.1 for OLS and R², jStat 1.9.6 for the
// Student's t p-value (script in diff/testdata/reference.mjs).
var (
	// The Mann–Kendall "by hand" example of Holy Cross College
	// (mathcs.holycross.edu/~little/Montserrat/MannKendallByHand.txt):
	// S = 54, one tie, V = 14·13·33/18 − 2·1·9/18, Z = 2.9058, one-sided p ≈ .0018.
	holyCross = []float64{12.9, 14.8, 13.2, 15.7, 13.8, 15.6, 12.9, 11.0, 17.3, 15.9, 19.0, 18.3, 20.1, 21.7}
	// A line with one wild point, as a snapshot taken mid-GC can be.
	withOutlier = []float64{1, 2.1, 2.9, 4.2, 5.0, 30, 7.1, 7.9, 9.2, 10.1}
)

func TestOLSAgainstReference(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		y    []float64
		want OLS
	}{
		{"holy_cross", holyCross, OLS{Slope: 0.5613186813186813, Intercept: 11.66153846153846, R2: 0.5797106652849886, SE: 0.13797087315936452, T: 4.0683853661658365, P: 0.0015581079470929904}},
		{"outlier", withOutlier, OLS{Slope: 1.1533333333333333, Intercept: 1.6066666666666665, R2: 0.17589162880032494, SE: 0.8826315107894029, T: 1.3066985703941407, P: 0.22762553369143035}},
	}
	for _, tt := range tests {
		got := fitOLS(seq(len(tt.y)), tt.y, 1)
		for _, c := range []struct {
			name      string
			got, want float64
		}{{"slope", got.Slope, tt.want.Slope}, {"intercept", got.Intercept, tt.want.Intercept}, {"r2", got.R2, tt.want.R2}, {"se", got.SE, tt.want.SE}, {"t", got.T, tt.want.T}, {"p", got.P, tt.want.P}} {
			if !near(c.got, c.want, 1e-9) {
				t.Errorf("%s: %s = %.15g, want %.15g", tt.name, c.name, c.got, c.want)
			}
		}
	}
}

func TestTheilSenAgainstReference(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name             string
		y                []float64
		slope, intercept float64
	}{
		{"holy_cross", holyCross, 0.566666666666667, 12.2},
		// ml-array-median takes the lower of the two middle values for an
		// even count (it gives −0.0111…); the usual median, ours, averages
		// the two middle residuals −0.0111… and 0.0222….
		{"outlier", withOutlier, 1.011111111111111, (-0.011111111111111072 + 0.022222222222222143) / 2},
	}
	for _, tt := range tests {
		s, b, _ := theilSen(seq(len(tt.y)), tt.y, nil)
		if !near(s, tt.slope, 1e-12) || !near(b, tt.intercept, 1e-9) {
			t.Errorf("%s: theilSen = %.15g, %.15g; want %.15g, %.15g", tt.name, s, b, tt.slope, tt.intercept)
		}
	}
	// The outlier moves OLS by 14 % but Theil–Sen by 1 %.
	if o := fitOLS(seq(10), withOutlier, 1); o.Slope < 1.1 {
		t.Errorf("OLS slope %v: the outlier should pull it", o.Slope)
	}
}

func TestMannKendallHolyCross(t *testing.T) {
	t.Parallel()
	mk, _ := mannKendall(holyCross, 1, nil)
	wantVar := 14.0*13*33/18 - 2.0*1*9/18
	if mk.S != 54 || !near(mk.Var, wantVar, 1e-12) || !near(mk.Z, 2.9058, 1e-4) {
		t.Errorf("S=%v Var=%v Z=%v; want 54, %v, 2.9058", mk.S, mk.Var, mk.Z, wantVar)
	}
	// The example's p ≈ .0018 is one-sided; ours is two-sided.
	if !near(mk.P/2, 0.0018, 0.05) {
		t.Errorf("p = %v, want about 2 × 0.0018", mk.P)
	}
	// tau-b: 54 / sqrt((91 − 1) · 91).
	if !near(mk.Tau, 54/math.Sqrt(90*91), 1e-12) {
		t.Errorf("tau = %v", mk.Tau)
	}
	// Autocorrelation widens the test: inflation 4 halves Z.
	mk4, _ := mannKendall(holyCross, 4, nil)
	if !near(mk4.Z, mk.Z/2, 1e-12) {
		t.Errorf("Z with inflation 4 = %v, want %v", mk4.Z, mk.Z/2)
	}
}

// mannKendallPairs is the Mann–Kendall test as defined: S from every pair,
// ties from a sorted copy. mannKendall must match it exactly.
func mannKendallPairs(y []float64, inflation float64) MannKendall {
	n := len(y)
	mk := MannKendall{Z: math.NaN(), P: math.NaN(), Tau: math.NaN()}
	var si int
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			switch {
			case y[j] > y[i]:
				si++
			case y[j] < y[i]:
				si--
			}
		}
	}
	s := float64(si)
	mk.S = s
	if n < 3 {
		return mk
	}
	sorted := slices.Clone(y)
	slices.Sort(sorted)
	var tieVar, n1 float64
	for i := 0; i < n; {
		j := i + 1
		for j < n && sorted[j] == sorted[i] {
			j++
		}
		if t := float64(j - i); t > 1 {
			tieVar += t * (t - 1) * (2*t + 5)
			n1 += t * (t - 1) / 2
		}
		i = j
	}
	fn := float64(n)
	mk.Var = (fn*(fn-1)*(2*fn+5) - tieVar) / 18
	n0 := fn * (fn - 1) / 2
	if d := (n0 - n1) * n0; d > 0 {
		mk.Tau = s / math.Sqrt(d)
	}
	if mk.Var <= 0 {
		mk.Z, mk.P = 0, 1
		return mk
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
	return mk
}

// TestMannKendallMatchesPairs checks the merge-sort count of S against
// every pair, bit for bit, on series with many ties, signed zeros,
// infinities and NaN, runs already in order and in reverse.
func TestMannKendallMatchesPairs(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(5, 6))
	same := func(a, b float64) bool {
		return math.Float64bits(a) == math.Float64bits(b) || math.IsNaN(a) && math.IsNaN(b)
	}
	var scratch []float64
	for iter := range 4000 {
		n := r.IntN(300)
		if iter < 40 {
			n = iter
		}
		y := make([]float64, n)
		kind := iter % 7
		for i := range y {
			switch kind {
			case 0: // continuous
				y[i] = r.NormFloat64()
			case 1: // few levels: ties everywhere
				y[i] = float64(r.IntN(4))
			case 2: // a trend in coarse units
				y[i] = math.Floor(float64(i)/10 + r.NormFloat64())
			case 3: // sorted, then a few swaps
				y[i] = float64(i / 3)
			case 4: // descending
				y[i] = float64(n - i/2)
			case 5: // signed zeros and infinities among ties
				y[i] = []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), 1, -1}[r.IntN(6)]
			default: // integers with a NaN or two
				y[i] = float64(r.IntN(20))
				if r.IntN(50) == 0 {
					y[i] = math.NaN()
				}
			}
		}
		if kind == 3 {
			for range 3 {
				if n > 1 {
					i, j := r.IntN(n), r.IntN(n)
					y[i], y[j] = y[j], y[i]
				}
			}
		}
		infl := 1 + 3*r.Float64()
		y0 := slices.Clone(y)
		var got MannKendall
		got, scratch = mannKendall(y, infl, scratch)
		want := mannKendallPairs(y, infl)
		if !slices.EqualFunc(y, y0, same) {
			t.Fatalf("mannKendall changed its input")
		}
		if !same(got.S, want.S) || !same(got.Var, want.Var) || !same(got.Z, want.Z) || !same(got.P, want.P) || !same(got.Tau, want.Tau) {
			t.Fatalf("n=%d kind=%d: got %+v, want %+v (y=%v)", n, kind, got, want, y)
		}
	}
}

func TestStatsEdgeCases(t *testing.T) {
	t.Parallel()
	flat := []float64{5, 5, 5, 5}
	o := fitOLS(seq(4), flat, 1)
	if o.Slope != 0 || o.P != 1 || o.R2 != 0 {
		t.Errorf("flat OLS %+v, want slope 0, p 1, r2 0", o)
	}
	mk, _ := mannKendall(flat, 1, nil)
	if mk.S != 0 || mk.P != 1 {
		t.Errorf("flat MK %+v, want S 0, p 1", mk)
	}
	line := []float64{1, 2, 3, 4}
	if o := fitOLS(seq(4), line, 1); o.P != 0 || !math.IsInf(o.T, 1) {
		t.Errorf("perfect line %+v, want p 0, t +Inf", o)
	}
	two := fitOLS(seq(2), []float64{1, 3}, 1)
	if two.Slope != 2 || !math.IsNaN(two.P) || !math.IsNaN(two.R2) {
		t.Errorf("two points %+v, want slope 2 and NaN p, r2", two)
	}
	if s, _, _ := theilSen([]float64{1}, []float64{1}, nil); !math.IsNaN(s) {
		t.Errorf("theilSen of one point = %v, want NaN", s)
	}
}

func TestMedianMatchesSort(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for n := 1; n < 200; n++ {
		v := make([]float64, n)
		for i := range v {
			v[i] = math.Floor(r.NormFloat64() * 5) // ties on purpose
		}
		s := slices.Clone(v)
		slices.Sort(s)
		want := s[n/2]
		if n%2 == 0 {
			want = (s[n/2-1] + s[n/2]) / 2
		}
		if got := median(v); got != want {
			t.Fatalf("n=%d: median %v, want %v", n, got, want)
		}
	}
}

func TestLag1(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	const n = 5000
	ar := make([]float64, n)
	white := make([]float64, n)
	for i := 1; i < n; i++ {
		ar[i] = 0.7*ar[i-1] + r.NormFloat64()
		white[i] = r.NormFloat64()
	}
	if got := lag1(ar); !near(got, 0.7, 0.05) {
		t.Errorf("lag1(AR(1) 0.7) = %v", got)
	}
	if got := lag1(white); got > 0.05 {
		t.Errorf("lag1(white) = %v, want about 0", got)
	}
}

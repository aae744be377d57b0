package diff

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// Thresholds are the tunables of fitting and scoring. Use DefaultThresholds
// and change fields; new fields get their defaults there.
type Thresholds struct {
	// Alpha is the significance level for calling a trend at all (the
	// autocorrelation-corrected Mann–Kendall p-value must be below it).
	Alpha float64
	// AlphaMedium is the stricter level a finding needs to be medium or
	// worse.
	AlphaMedium float64
	// MKGuard is the level at which the Mann–Kendall test must agree with
	// the OLS slope's direction for the OLS p-value to decide alone.
	MKGuard float64
	// WeakPoints: with this many points or fewer, significance is weak and
	// the trend says so.
	WeakPoints int
	// ModelMargin is how much lower (in BIC, computed on the effective sample
	// size) a step or plateau model must score than a straight line to be
	// preferred: 6 is "strong" evidence on the Kass–Raftery scale.
	ModelMargin float64
	// PlateauLast: a plateau must start levelling off before this fraction
	// of the span; later, it is a leak that has not levelled off yet.
	PlateauLast float64
	// SawtoothDrop is the fraction of a series' range a single fall must
	// exceed to count as a release.
	SawtoothDrop float64
	// MinGrowthBytes and MinGrowthCount: below this absolute growth over
	// the fitted span a finding stays low at most.
	MinGrowthBytes float64
	MinGrowthCount float64
	// Score thresholds of the severities (see Score).
	MediumScore, HighScore, CriticalScore float64
	// CriticalWithin: a leak is critical only when the memory limit is
	// projected to be reached within this many hours.
	CriticalWithin float64
}

// DefaultThresholds returns the thresholds leakdiff uses.
func DefaultThresholds() Thresholds {
	return Thresholds{
		Alpha:          0.01,
		AlphaMedium:    0.001,
		MKGuard:        0.05,
		WeakPoints:     5,
		ModelMargin:    6,
		PlateauLast:    0.8,
		SawtoothDrop:   0.3,
		MinGrowthBytes: 256 << 10,
		MinGrowthCount: 3,
		MediumScore:    0.5,
		HighScore:      0.7,
		CriticalScore:  0.8,
		CriticalWithin: 24,
	}
}

// Trend is what fitting says about one series. x is hours since the first
// fitted point (or the snapshot index when times are unknown); slopes are
// per hour (per snapshot).
type Trend struct {
	// N is the number of points fitted (the last segment's snapshots).
	N int
	// Hours is the span of the fitted points.
	Hours float64
	// Start and End are robust levels: the medians of the first and of the
	// last k points, k = clamp(N/4, 1, 5). Growth = End − Start.
	Start, End, Growth float64
	// RelGrowth = Growth / Start; NaN when Start is 0 (growth from nothing).
	RelGrowth float64
	OLS       OLS
	// GLSSlope and GLSP are the slope per hour and its two-sided p-value
	// from generalised least squares under AR(1) errors with φ = Autocorr
	// (Prais–Winsten transform, then OLS; Student's t with n − 3 degrees of
	// freedom): the efficient test of a line in autocorrelated noise.
	GLSSlope, GLSP float64
	// P is the p-value that decides whether there is a trend at all, and
	// PMethod names its test (see decide): "ols+mann-kendall" when the OLS
	// slope's t-test decides with the Mann–Kendall test agreeing, "ols" or
	// "mann-kendall" otherwise. Below 8 points Mann–Kendall cannot reach
	// small p-values even for a perfectly monotone series (7 points: 0.0027
	// at best) and OLS decides alone. NaN with fewer than 3 points.
	P       float64
	PMethod string
	// TheilSen is the Theil–Sen slope per hour and TheilSenIntercept its
	// intercept.
	TheilSen, TheilSenIntercept float64
	MK                          MannKendall
	// Autocorr is the lag-1 autocorrelation φ of the residuals around the
	// best-fitting of a line, a step and the two broken sticks (so that a
	// plateau's misfit is not taken for autocorrelation), bias-corrected and
	// clamped to [0, 0.95]. Inflation is the factor by which AR(1) noise
	// with that φ widens the OLS slope's variance for these x:
	// Σᵢⱼ (xᵢ−x̄)(xⱼ−x̄) φ^|i−j| / Σᵢ (xᵢ−x̄)² (about (1+φ)/(1−φ) for long
	// series). The Mann–Kendall variance is widened by Hamed and Rao's
	// (1998) factor for the same process.
	Autocorr, Inflation float64
	Shape               Shape
	// ChangeAt is the index of the first point after a step, or of the
	// point where a plateau levels off; -1 when it does not apply.
	ChangeAt int
	// Since is the index of the point where linear growth began when the
	// series was flat before (a "hockey stick"); 0 when it grew from the
	// start.
	Since int
	// Warnings are caveats a reader must see (few points, no times, …).
	Warnings []string
}

// Rising reports whether the trend is a leak's: growth still going on at
// the end.
func (t *Trend) Rising() bool { return t.Shape == ShapeLinear && t.Growth > 0 }

// minMKPoints: below it the Mann–Kendall test cannot reach small p-values
// and does not guard the decision.
const minMKPoints = 8

// decide picks the p-value that says whether there is a trend. The OLS
// slope's t-test, with the slope's variance widened for autocorrelation, is
// the most powerful test for a line in AR(1) noise (at 60 points and phi
// 0.7 it finds a 6-sigma rise nearly always, the corrected Mann–Kendall test
// in two thirds of cases); but one wild point can move it. So it decides
// alone only when the rank-based Mann–Kendall test agrees on the direction
// at MKGuard; otherwise the larger of the two p-values decides.
func decide(t *Trend, n int, th *Thresholds) (float64, string) {
	if n < minMKPoints {
		return t.GLSP, "gls"
	}
	if t.MK.P < th.MKGuard && (t.MK.S > 0) == (t.GLSSlope > 0) {
		return t.GLSP, "gls+mann-kendall"
	}
	if t.MK.P > t.GLSP {
		return t.MK.P, "mann-kendall"
	}
	return t.GLSP, "gls"
}

// risingTest reports the direction of the deciding test.
func (t *Trend) risingTest() bool {
	if t.PMethod == "mann-kendall" {
		return t.MK.S > 0
	}
	return t.GLSSlope > 0
}

// scratch holds buffers reused across fits.
type scratch struct{ a, b []float64 }

// Fit fits y over x (hours, increasing; at least one point) and classifies
// its shape. It computes OLS, Theil–Sen, Mann–Kendall and the robust levels,
// estimates the residuals' autocorrelation, then:
//
//  1. no significant trend (P ≥ Alpha): a step if a two-level
//     model beats a constant by ModelMargin in BIC, a sawtooth if the series
//     rises gradually and falls sharply at least twice, else flat;
//  2. a significant fall: a step if a two-level model beats the line, else
//     decline;
//  3. a significant rise: a sawtooth when it falls sharply twice without
//     its floor rising; a step or a plateau (rise, then flat from a knot
//     before PlateauLast of the span) when that model beats the line by
//     ModelMargin; else linear, with Since set when a flat start followed by
//     a rise fits better still.
//
// BIC is computed on the effective sample size N/Inflation, so that
// autocorrelated noise does not pass for structure.
func Fit(x, y []float64, th *Thresholds) Trend {
	return fit(x, y, th, &scratch{})
}

func fit(x, y []float64, th *Thresholds, sc *scratch) Trend {
	if len(x) != len(y) {
		panic("diff: Fit with slices of different lengths")
	}
	n := len(y)
	t := Trend{N: n, ChangeAt: -1, RelGrowth: math.NaN(), Inflation: 1, P: math.NaN()}
	if n == 0 {
		return t
	}
	t.Hours = x[n-1] - x[0]
	if n >= 3 && constant(y) {
		// Most sites of a real heap hold the same bytes in every
		// snapshot: nothing to test.
		t.Start, t.End = y[0], y[0]
		t.OLS = OLS{R2: math.NaN(), SE: math.NaN(), T: math.NaN(), P: math.NaN()}
		t.MK = MannKendall{Z: math.NaN(), P: math.NaN(), Tau: math.NaN()}
		t.TheilSen, t.TheilSenIntercept = 0, y[0]
		t.GLSSlope, t.GLSP = 0, math.NaN()
		if y[0] != 0 {
			t.RelGrowth = 0
		}
		t.P, t.PMethod = 1, "constant"
		t.OLS.R2, t.OLS.P, t.MK.P = 0, 1, 1
		t.OLS.Slope, t.OLS.Intercept = 0, y[0]
		if n <= th.WeakPoints {
			t.Warnings = append(t.Warnings, fmt.Sprintf("%d snapshots: significance is weak; take more", n))
		}
		return t
	}
	k := min(max(n/4, 1), 5)
	sc.a = append(sc.a[:0], y[:k]...)
	t.Start = median(sc.a)
	sc.a = append(sc.a[:0], y[n-k:]...)
	t.End = median(sc.a)
	t.Growth = t.End - t.Start
	if t.Start != 0 {
		t.RelGrowth = t.Growth / math.Abs(t.Start)
	}
	t.TheilSen, t.TheilSenIntercept, sc.a = theilSen(x, y, sc.a)
	mkInflation := 1.0
	if n >= 4 {
		sc.b = residuals(x, y, sc.b, th.ModelMargin)
		t.Autocorr = lag1(sc.b)
		t.Inflation = slopeInflation(x, t.Autocorr)
		mkInflation = mkInflationAR1(n, t.Autocorr)
	}
	t.OLS = fitOLS(x, y, t.Inflation)
	t.GLSSlope, t.GLSP = math.NaN(), math.NaN()
	if n >= 4 {
		t.GLSSlope, _, t.GLSP = newModels(x, y, t.Autocorr).lineTest()
	} else {
		t.GLSSlope, t.GLSP = t.OLS.Slope, t.OLS.P
	}
	t.MK, sc.a = mannKendall(y, mkInflation, sc.a)
	t.P, t.PMethod = decide(&t, n, th)

	switch {
	case n < 2:
		t.Warnings = append(t.Warnings, "one snapshot: no trend")
		return t
	case n == 2:
		t.Warnings = append(t.Warnings, "two snapshots: a two-point difference, not a trend")
		switch {
		case t.Growth > 0:
			t.Shape = ShapeLinear
		case t.Growth < 0:
			t.Shape = ShapeDecline
		}
		return t
	case n <= th.WeakPoints:
		t.Warnings = append(t.Warnings, fmt.Sprintf("%d snapshots: significance is weak; take more", n))
	}
	t.Shape = classify(x, y, &t, th, sc)
	return t
}

func classify(x, y []float64, t *Trend, th *Thresholds, sc *scratch) Shape {
	lo, hi := y[0], y[0]
	for _, v := range y {
		lo, hi = min(lo, v), max(hi, v)
	}
	if hi == lo {
		return ShapeFlat
	}
	m := newModels(x, y, t.Autocorr)
	bicConst := m.bic(m.sst, 1)
	bicLin := m.bic(m.line(), 2)
	stepSSE, stepAt := m.step()
	bicStep := m.bic(stepSSE, 3)
	saw, floorsRise := sawtooth(y, th.SawtoothDrop*(hi-lo))

	significant := t.P < th.Alpha
	switch {
	case !significant:
		if stepAt > 0 && bicStep < bicConst-th.ModelMargin {
			t.ChangeAt = stepAt
			return ShapeStep
		}
		if saw {
			return ShapeSawtooth
		}
		return ShapeFlat
	case !t.risingTest():
		if stepAt > 0 && bicStep < bicLin-th.ModelMargin {
			t.ChangeAt = stepAt
			return ShapeStep
		}
		return ShapeDecline
	}
	if saw && !floorsRise {
		return ShapeSawtooth
	}
	platSSE, platAt := m.brokenStick(true, th.PlateauLast)
	bicPlat := m.bic(platSSE, 3)
	// A leak that started mid-series (flat, then rising) is still linear
	// growth: the alternatives must beat it too.
	hockSSE, hockAt := m.brokenStick(false, 1)
	bicHock := m.bic(hockSSE, 3)
	best, bestBIC := ShapeLinear, min(bicLin, bicHock)-th.ModelMargin
	if stepAt > 0 && bicStep < bestBIC {
		best, bestBIC = ShapeStep, bicStep
		t.ChangeAt = stepAt
	}
	if platAt > 0 && bicPlat < bestBIC {
		best = ShapePlateau
		t.ChangeAt = platAt
	}
	if best != ShapeLinear {
		return best
	}
	t.ChangeAt = -1
	// Still growing at the end? The second half must rise on its own
	// (Theil–Sen slope above zero); a rise that has stopped is a plateau
	// even when no knot was clear enough to beat the line.
	if h := len(x) / 2; len(x)-h >= 4 {
		if ts, _, _ := theilSen(x[h:], y[h:], sc.b); !(ts > 0) {
			t.ChangeAt = h
			return ShapePlateau
		}
	}
	if saw {
		t.Warnings = append(t.Warnings, "rises between sharp releases, and the floor it falls back to keeps rising")
	}
	if hockAt > 1 && bicHock < bicLin-th.ModelMargin {
		t.Since = hockAt
	}
	return ShapeLinear
}

// sawtooth reports whether y rises gradually and falls by more than drop at
// least twice, and whether the floors it falls to keep rising (a leak under
// periodic releases). Gradual: at least 75 % of the steps that are not
// releases go up, so plain noise, which falls as often as it rises, is not
// a sawtooth.
func sawtooth(y []float64, drop float64) (saw, floorsRise bool) {
	drops, ups, others := 0, 0, 0
	var floors []float64
	for i := 1; i < len(y); i++ {
		d := y[i] - y[i-1]
		switch {
		case -d > drop:
			drops++
			floors = append(floors, y[i])
		case d > 0:
			ups++
		default:
			others++
		}
	}
	if drops < 2 || ups+others < 2*drops || float64(ups) < 0.75*float64(ups+others) {
		return false, false
	}
	floorsRise = true
	for i := 1; i < len(floors); i++ {
		if floors[i] < floors[i-1] {
			floorsRise = false
		}
	}
	return true, floorsRise && floors[len(floors)-1]-floors[0] > drop
}

// models compares piecewise models of y over x by BIC. With phi > 0 the
// comparison is by generalised least squares under AR(1) errors: data and
// regressors go through the Prais–Winsten transform (first row scaled by
// s = sqrt(1 − φ²), then each row minus φ times the one before), whose
// residuals are independent when the errors are AR(1) with that φ, so BIC
// on the n transformed residuals is a fair likelihood comparison. Without
// it, a wandering noise looks like a level-off or a step.
//
// Every model is a constant plus one regressor v (a line, a step, a broken
// stick); the transformed v of a step or a stick at knot k is piecewise
// simple, so each knot costs O(1) from prefix sums, and a whole search O(n).
type models struct {
	x      []float64
	n      float64
	phi, q float64 // q = 1 − φ
	// Transformed constant u, data w and x xt, and their cross sums.
	u, w, xt []float64
	uu, uw   float64
	ww, sst  float64
	// Prefix sums over i < j (index j) of u·xt, xt², xt·w, xt, u, w.
	pUX, pXX, pXW, pX, pU, pW []float64
}

func newModels(x, y []float64, phi float64) *models {
	n := len(y)
	m := &models{x: x, n: float64(n), phi: phi, q: 1 - phi}
	buf := make([]float64, 3*n+6*(n+1))
	m.u, m.w, m.xt = buf[:n], buf[n:2*n], buf[2*n:3*n]
	rest := buf[3*n:]
	m.pUX, m.pXX, m.pXW = rest[:n+1], rest[n+1:2*n+2], rest[2*n+2:3*n+3]
	m.pX, m.pU, m.pW = rest[3*n+3:4*n+4], rest[4*n+4:5*n+5], rest[5*n+5:6*n+6]
	s := math.Sqrt(1 - phi*phi)
	for i := range y {
		if i == 0 {
			m.u[0], m.w[0], m.xt[0] = s, s*y[0], s*x[0]
		} else {
			m.u[i], m.w[i], m.xt[i] = m.q, y[i]-phi*y[i-1], x[i]-phi*x[i-1]
		}
		u, w, xt := m.u[i], m.w[i], m.xt[i]
		m.uu += u * u
		m.uw += u * w
		m.ww += w * w
		m.pUX[i+1] = m.pUX[i] + u*xt
		m.pXX[i+1] = m.pXX[i] + xt*xt
		m.pXW[i+1] = m.pXW[i] + xt*w
		m.pX[i+1] = m.pX[i] + xt
		m.pU[i+1] = m.pU[i] + u
		m.pW[i+1] = m.pW[i] + w
	}
	m.sst = m.ww - m.uw*m.uw/m.uu
	return m
}

// solve fits w = a·u + b·v given Σuv, Σvv, Σvw; it returns the residual sum
// of squares and the coefficients (Inf when v is collinear with u).
func (m *models) solve(uv, vv, vw float64) (sse, a, b float64) {
	det := m.uu*vv - uv*uv
	if det <= 1e-12*m.uu*vv || vv == 0 {
		return math.Inf(1), 0, 0
	}
	a = (vv*m.uw - uv*vw) / det
	b = (m.uu*vw - uv*m.uw) / det
	return max(m.ww-(a*m.uw+b*vw), 0), a, b
}

// sums over i in [from, to) of the prefix arrays.
func seg(p []float64, from, to int) float64 { return p[to] - p[from] }

// line fits a straight line; it returns its residual sum of squares, the
// coefficients, and det(X'V⁻¹X) for the slope's variance.
func (m *models) lineFit() (sse, a, b, det float64) {
	n := len(m.u)
	uv, vv, vw := seg(m.pUX, 0, n), seg(m.pXX, 0, n), seg(m.pXW, 0, n)
	sse, a, b = m.solve(uv, vv, vw)
	return sse, a, b, m.uu*vv - uv*uv
}

// line returns the residual sum of squares of a straight line.
func (m *models) line() float64 {
	sse, _, _, _ := m.lineFit()
	return sse
}

// lineTest is the generalised-least-squares line under AR(1) errors with
// the models' φ (Prais–Winsten): its slope, the slope's standard error
// s·sqrt(uu/det) with s² = SSE/(n − 3) (one degree of freedom spent on φ
// when φ > 0), and the two-sided p-value under Student's t.
func (m *models) lineTest() (slope, se, p float64) {
	sse, _, slope, det := m.lineFit()
	df := m.n - 2
	if m.phi > 0 {
		df--
	}
	if math.IsInf(sse, 1) || det <= 0 || df < 1 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	se = math.Sqrt(sse / df * m.uu / det)
	switch {
	case se > 0:
		t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}
		p = 2 * t.Survival(math.Abs(slope/se))
	case slope == 0:
		p = 1
	default:
		p = 0
	}
	return slope, se, p
}

// bic is the Bayesian information criterion of a model with p parameters
// and (transformed) residual sum of squares sse.
func (m *models) bic(sse float64, p int) float64 {
	sse = max(sse, 1e-12*m.sst, 1e-300)
	return m.n*math.Log(sse/m.n) + float64(p)*math.Log(m.n)
}

// step returns the smallest residual sum of squares of a two-level model
// (each side at least two points) and the index of the first point of the
// second level; 0 when the series is too short.
func (m *models) step() (float64, int) {
	sse, k, _, _ := m.stepFit()
	return sse, k
}

// stepFit is step with the two levels. For z = 1{i ≥ k} the transformed
// regressor is 0 before k, 1 at k and 1 − φ after.
func (m *models) stepFit() (sse float64, at int, lo, hi float64) {
	n := len(m.u)
	sse = math.Inf(1)
	if n < 4 {
		return sse, 0, 0, 0
	}
	for k := 2; k <= n-2; k++ {
		uv := m.u[k] + m.q*seg(m.pU, k+1, n)
		vv := 1 + m.q*m.q*float64(n-1-k)
		vw := m.w[k] + m.q*seg(m.pW, k+1, n)
		e, a, b := m.solve(uv, vv, vw)
		if e < sse {
			sse, at, lo, hi = e, k, a, a+b
		}
	}
	return sse, at, lo, hi
}

// brokenStick fits y = a + b·z with z = min(x, c) (levelOff: grow, then
// flat from the knot c) or z = max(0, x − c) (flat, then grow from c), over
// knots at the points, with at least two points on each side and a rising b;
// knots of a levelling-off must lie before maxFrac of the span. It returns the
// best residual sum of squares and the knot's index (0 when none fits).
func (m *models) brokenStick(levelOff bool, maxFrac float64) (float64, int) {
	sse, k, _, _ := m.stickFit(levelOff, maxFrac)
	return sse, k
}

// stickFit is brokenStick with the intercept a and slope b. At knot k
// (c = x_k) the transformed regressor is, for a levelling-off
// (z = min(x, c)): the transformed x up to k, then c(1 − φ); for a late rise
// (z = max(0, x − c)): 0 up to k, x_{k+1} − c at k+1, then the transformed
// x minus c(1 − φ).
func (m *models) stickFit(levelOff bool, maxFrac float64) (sse float64, at int, a, b float64) {
	n := len(m.x)
	sse = math.Inf(1)
	if n < 5 {
		return sse, 0, 0, 0
	}
	span := m.x[n-1] - m.x[0]
	for k := 2; k <= n-3; k++ {
		c := m.x[k]
		if levelOff && c-m.x[0] > maxFrac*span {
			break
		}
		cq := c * m.q
		var uv, vv, vw float64
		if levelOff {
			tail := float64(n - 1 - k)
			uv = seg(m.pUX, 0, k+1) + cq*seg(m.pU, k+1, n)
			vv = seg(m.pXX, 0, k+1) + cq*cq*tail
			vw = seg(m.pXW, 0, k+1) + cq*seg(m.pW, k+1, n)
		} else {
			d := m.x[k+1] - c
			from := k + 2
			cnt := float64(n - from)
			uv = m.u[k+1]*d + seg(m.pUX, from, n) - cq*seg(m.pU, from, n)
			vv = d*d + seg(m.pXX, from, n) - 2*cq*seg(m.pX, from, n) + cq*cq*cnt
			vw = d*m.w[k+1] + seg(m.pXW, from, n) - cq*seg(m.pW, from, n)
		}
		e, ak, bk := m.solve(uv, vv, vw)
		if bk <= 0 {
			continue
		}
		if e < sse {
			sse, at, a, b = e, k, ak, bk
		}
	}
	return sse, at, a, b
}

// constant reports whether every value equals the first.
func constant(y []float64) bool {
	for _, v := range y[1:] {
		if v != y[0] {
			return false
		}
	}
	return true
}

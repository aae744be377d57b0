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
	// worse. It applies to the Benjamini–Hochberg q-value of the site
	// among its series' sites, so it bounds the expected share of false
	// findings among those reported (the false-discovery rate).
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
	// MinTail is the least number of points after a knot (where growth
	// levelled off, slowed or a fill ended) that can show whether the tail
	// is flat; with fewer the verdict says so.
	MinTail int
	// MinSince is the least number of points since growth began late in a
	// series for it to count as a leak: before that a cache filling up and
	// a leak look alike, and the finding stays below medium.
	MinSince int
	// MinGrowthBytes and MinGrowthCount: a two-snapshot difference below
	// this stays low.
	MinGrowthBytes float64
	MinGrowthCount float64
	// Horizon is how many hours of growth a finding is rated on (see
	// Cost); --memory-limit replaces it by the time to the limit.
	Horizon float64
	// MediumCost and HighCost are the fractions of the reference (the
	// process's heap, or CountRef goroutines) that the slope's lower
	// confidence bound must add over the horizon for medium and high.
	MediumCost, HighCost float64
	// MinCostBytes is the least projected growth, in bytes, that is medium
	// whatever the heap (a 3 MiB program gaining 100 KiB a day is noise).
	MinCostBytes float64
	// CountRef is the least reference for counts (goroutines, metric
	// balances): a process with 40 goroutines gaining 40 a day has a leak,
	// but growth is measured against at least this many.
	CountRef float64
	// ShortWindow, in hours: a finding fitted over a shorter span is
	// extrapolated far beyond what was seen; its confidence is lowered,
	// and it says so.
	ShortWindow float64
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
		MinTail:        5,
		MinSince:       8,
		MinGrowthBytes: 256 << 10,
		MinGrowthCount: 3,
		Horizon:        24,
		MediumCost:     0.05,
		HighCost:       0.5,
		MinCostBytes:   1 << 20,
		CountRef:       1000,
		ShortWindow:    1,
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
	// series was flat before (a "hockey stick"), or where a fill began;
	// 0 when it grew from the start.
	Since int
	// Steps holds a staircase's steps: the index of the first point of
	// each new level, oldest first; nil for other shapes.
	Steps []int
	// Pace is the growth the verdict is about: over the whole series, or
	// from Since (growth began late) or ChangeAt (slowing) on.
	Pace Pace
	// SlopeBefore is, for a slowing leak, the Theil–Sen slope per hour up
	// to ChangeAt (Pace.Slope is the one after); NaN otherwise.
	SlopeBefore float64
	// Undecided is set when growth began so late (fewer than MinSince
	// points ago) that a leak cannot be told from a cache filling up.
	Undecided bool
	// Warnings are caveats a reader must see (few points, no times, …).
	Warnings []string
}

// Rising reports whether the trend is a leak's: growth still going on at
// the end.
func (t *Trend) Rising() bool {
	switch t.Shape {
	case ShapeLinear, ShapeStaircase, ShapeSlowing:
		return t.Growth > 0
	}
	return false
}

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

// scratch holds buffers reused across fits: a worker fits thousands of
// sites, and allocating per site kept the garbage collector busy.
type scratch struct {
	a, b, c []float64
	// line holds fit's models of the whole series under its φ, which
	// classify reuses; resid backs residuals', tail levelOff's and
	// paceOver's.
	line, resid, tail models
	tq95              map[float64]float64
}

// t95 is the 95 % quantile of Student's t with df degrees of freedom,
// remembered by df: inverting the incomplete beta function for every site
// was a tenth of the analysis.
func (sc *scratch) t95(df float64) float64 {
	q, ok := sc.tq95[df]
	if !ok {
		if sc.tq95 == nil {
			sc.tq95 = map[float64]float64{}
		}
		q = distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Quantile(0.95)
		sc.tq95[df] = q
	}
	return q
}

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
	t := Trend{N: n, ChangeAt: -1, RelGrowth: math.NaN(), Inflation: 1, P: math.NaN(), SlopeBefore: math.NaN()}
	t.Pace = Pace{Slope: math.NaN(), GLSSlope: math.NaN(), SE: math.NaN(), Low: math.NaN(), P: math.NaN()}
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
		t.Pace = Pace{Slope: 0, GLSSlope: 0, SE: 0, Low: 0, P: 1, PMethod: "constant"}
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
	var st stairs
	if n >= 4 {
		// The noise is measured around the model that explains the
		// series' structure: a staircase's levels when it climbs in
		// abrupt steps (around a line, the other stairs would pass for
		// strong autocorrelation and hide the trend), else a line, a
		// step or a broken stick (see residuals).
		st, sc.b = findStairs(y, sc.b)
		if st.ok {
			sc.b = st.residuals(y, sc.b)
		} else {
			sc.b = residuals(&sc.resid, x, y, sc.b, th.ModelMargin)
		}
		t.Autocorr = lag1(sc.b)
		t.Inflation, sc.c = slopeInflation(x, t.Autocorr, sc.c)
		mkInflation = mkInflationAR1(n, t.Autocorr)
	}
	t.OLS = fitOLS(x, y, t.Inflation)
	t.GLSSlope, t.GLSP = math.NaN(), math.NaN()
	var glsSE float64
	var m *models
	if n >= 4 {
		m = sc.line.init(x, y, t.Autocorr)
		t.GLSSlope, glsSE, t.GLSP = m.lineTest()
	} else {
		t.GLSSlope, glsSE, t.GLSP = t.OLS.Slope, t.OLS.SE, t.OLS.P
	}
	t.MK, sc.a = mannKendall(y, mkInflation, sc.a)
	t.P, t.PMethod = decide(&t, n, th)
	if st.ok && t.GLSSlope > 0 {
		// Two tests of the same rise, the line's and the jumps': the
		// smaller p, doubled (Bonferroni).
		if pj := 2 * st.p; pj < t.P {
			t.P, t.PMethod = min(1, pj), "jumps"
		} else {
			t.P = min(1, 2*t.P)
		}
	}
	t.Pace = Pace{From: 0, Slope: t.TheilSen, GLSSlope: t.GLSSlope, SE: glsSE, Low: math.NaN(), P: t.P, PMethod: t.PMethod, Phi: t.Autocorr}
	if df := float64(n - 2 - b2i(t.Autocorr > 0 && n >= 4)); df >= 1 && !math.IsNaN(glsSE) {
		t.Pace.Low = t.GLSSlope - sc.t95(df)*glsSE
	}

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
	t.Shape = classify(x, y, &t, th, sc, &st, m)
	// The pace of a leak that began late or slowed is measured where it
	// is now.
	switch {
	case t.Shape == ShapeSlowing:
		// levelOff measured the pace after the knot.
		t.SlopeBefore, _, sc.a = theilSen(x[:t.ChangeAt+1], y[:t.ChangeAt+1], sc.a)
	case t.Shape == ShapeLinear && t.Since > 0:
		t.Pace = paceOver(x, y, t.Since, t.Autocorr, th, sc)
	}
	return t
}

// classify names the shape of a series whose trend test is in t (see Fit).
// m holds the series' models under t.Autocorr, when fit built them.
func classify(x, y []float64, t *Trend, th *Thresholds, sc *scratch, st *stairs, m *models) Shape {
	lo, hi := y[0], y[0]
	for _, v := range y {
		lo, hi = min(lo, v), max(hi, v)
	}
	if hi == lo {
		return ShapeFlat
	}
	if m == nil {
		m = sc.line.init(x, y, t.Autocorr)
	}
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
	if st.ok {
		if st.climbing(x) {
			t.Steps = append([]int(nil), st.at...)
			return ShapeStaircase
		}
		// Grew in steps, then stopped for far longer than it ever
		// waited between two of them: a plateau, or a fill when it was
		// flat before the first step.
		t.ChangeAt = st.ends[len(st.ends)-1]
		if x[st.at[0]]-x[0] >= 0.1*t.Hours {
			t.Since = st.at[0] - 1
			return ShapeFill
		}
		return ShapePlateau
	}
	platSSE, platAt := m.brokenStick(true, th.PlateauLast)
	bicPlat := m.bic(platSSE, 3)
	// A leak that started mid-series (flat, then rising) is still linear
	// growth: the alternatives must beat it too.
	hockSSE, hockAt := m.brokenStick(false, 1)
	bicHock := m.bic(hockSSE, 3)
	fillSSE, fillFrom, fillTo := m.fill(th.PlateauLast)
	bicFill := m.bic(fillSSE, 4)
	best, bestBIC := ShapeLinear, min(bicLin, bicHock)-th.ModelMargin
	if stepAt > 0 && bicStep < bestBIC {
		best, bestBIC = ShapeStep, bicStep
	}
	if platAt > 0 && bicPlat < bestBIC {
		best, bestBIC = ShapePlateau, bicPlat
	}
	if fillTo > 0 && bicFill < bestBIC {
		best = ShapeFill
	}
	switch best {
	case ShapeStep:
		t.ChangeAt = stepAt
		return ShapeStep
	case ShapePlateau:
		return levelOff(x, y, platAt, t, th, sc)
	case ShapeFill:
		// Flat, a rise, flat again: a fill if the end is flat.
		t.Since, t.ChangeAt = fillFrom, fillTo
		if len(y)-fillTo < th.MinTail {
			t.Undecided = true
			t.Warnings = append(t.Warnings, fmt.Sprintf("growth began late and only %d snapshots follow its end: too few to tell a leak from a cache filling up; take more", len(y)-fillTo))
			return ShapeFill
		}
		if p := paceOver(x, y, fillTo, t.Autocorr, th, sc); p.rises(th.Alpha) {
			// Still rising after the ramp: a leak that began late.
			t.ChangeAt = -1
			return lateStart(y, fillFrom, t, th)
		}
		return ShapeFill
	}
	t.ChangeAt = -1
	// Still growing at the end? The second half must rise on its own
	// (Theil–Sen slope above zero); a rise that has stopped is a plateau
	// even when no knot was clear enough to beat the line.
	if h := len(x) / 2; len(x)-h >= 4 {
		var ts float64
		if ts, _, sc.b = theilSen(x[h:], y[h:], sc.b); !(ts > 0) {
			t.ChangeAt = h
			return ShapePlateau
		}
	}
	if saw {
		t.Warnings = append(t.Warnings, "rises between sharp releases, and the floor it falls back to keeps rising")
	}
	if hockAt > 1 && bicHock < bicLin-th.ModelMargin {
		return lateStart(y, hockAt, t, th)
	}
	return ShapeLinear
}

// lateStart is linear growth that began at index since, after a flat
// start; with fewer than MinSince points since, it is undecided.
func lateStart(y []float64, since int, t *Trend, th *Thresholds) Shape {
	t.Since = since
	if k := len(y) - since; k < th.MinSince {
		t.Undecided = true
		t.Warnings = append(t.Warnings, fmt.Sprintf("growth began late, %d snapshots before the end: too few to tell a leak from a cache filling up (it takes %d); take more", k, th.MinSince))
	}
	return ShapeLinear
}

// levelOff decides between a plateau and a slowing leak once a rise that
// levels off at index k beats a line: a plateau when the slope after k is
// not significantly above zero (segmented regression, see segmentedTail),
// a slowing leak when it is, unless the rest levels off later in its turn
// (then a plateau from there: a warm-up that approaches its level
// gradually).
func levelOff(x, y []float64, k int, t *Trend, th *Thresholds, sc *scratch) Shape {
	t.ChangeAt = k
	n := len(y)
	if n-k < th.MinTail {
		t.Warnings = append(t.Warnings, fmt.Sprintf("levelled off with only %d snapshots after: too few to tell whether growth stopped; take more", n-k))
		return ShapePlateau
	}
	// The knot of a slowing leak is where two slopes fit best, not where
	// a rise and a flat tail do (that one is pulled late by the tail's
	// own slope).
	ks := segmentedKnot(x, y, th.MinTail)
	if ks == 0 {
		return ShapePlateau
	}
	tail := segmentedTail(x, y, ks, sc)
	if !tail.rises(th.Alpha) {
		return ShapePlateau
	}
	// The two slopes must beat the plateau (slope zero after its own best
	// knot) by the model margin in BIC, under the same φ: a knot that
	// landed early in a wandering noise buys a tail slope out of the end
	// of the rise, but not a better fit.
	m := sc.tail.init(x, y, tail.Phi)
	if platSSE, pk := m.brokenStick(true, th.PlateauLast); pk > 0 && !(m.bic(tail.sse, 4) < m.bic(platSSE, 3)-th.ModelMargin) {
		return ShapePlateau
	}
	// Does the rest level off in its turn?
	xs, ys := x[ks:], y[ks:]
	tm := sc.tail.init(xs, ys, tail.Phi) // m is no longer needed

	if sse, k2 := tm.brokenStick(true, th.PlateauLast); k2 > 0 && tm.bic(sse, 3) < tm.bic(tm.line(), 2)-th.ModelMargin && len(ys)-k2 >= th.MinTail {
		if p := segmentedTail(x, y, ks+k2, sc); !p.rises(th.Alpha) {
			t.ChangeAt = ks + k2
			return ShapePlateau
		}
	}
	t.ChangeAt, t.Pace = ks, tail
	return ShapeSlowing
}

// sawtooth reports whether y rises gradually and falls by more than drop at
// least twice, and whether the floors it falls to keep rising (a leak under
// periodic releases). Gradual: at least 75 % of the steps that are not
// releases go up, so plain noise, which falls as often as it rises, is not
// a sawtooth.
func sawtooth(y []float64, drop float64) (saw, floorsRise bool) {
	drops, ups, others := 0, 0, 0
	// The floors need not be kept: the first, the last, and whether one
	// ever fell below the one before.
	var first, last float64
	floorsRise = true
	for i := 1; i < len(y); i++ {
		d := y[i] - y[i-1]
		switch {
		case -d > drop:
			if drops == 0 {
				first = y[i]
			} else if y[i] < last {
				floorsRise = false
			}
			last = y[i]
			drops++
		case d > 0:
			ups++
		default:
			others++
		}
	}
	if drops < 2 || ups+others < 2*drops || float64(ups) < 0.75*float64(ups+others) {
		return false, false
	}
	return true, floorsRise && last-first > drop
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
	buf                       []float64 // backs the slices above
}

func newModels(x, y []float64, phi float64) *models {
	return new(models).init(x, y, phi)
}

// init sets m up for y over x under φ = phi, reusing m's storage: a fit
// builds several models per site, and allocating each was much of its cost.
func (m *models) init(x, y []float64, phi float64) *models {
	n := len(y)
	buf := m.buf
	if cap(buf) < 3*n+6*(n+1) {
		buf = make([]float64, 3*n+6*(n+1))
	}
	buf = buf[:3*n+6*(n+1)]
	*m = models{x: x, n: float64(n), phi: phi, q: 1 - phi, buf: buf}
	m.u, m.w, m.xt = buf[:n], buf[n:2*n], buf[2*n:3*n]
	rest := buf[3*n:]
	m.pUX, m.pXX, m.pXW = rest[:n+1], rest[n+1:2*n+2], rest[2*n+2:3*n+3]
	m.pX, m.pU, m.pW = rest[3*n+3:4*n+4], rest[4*n+4:5*n+5], rest[5*n+5:6*n+6]
	m.pUX[0], m.pXX[0], m.pXW[0], m.pX[0], m.pU[0], m.pW[0] = 0, 0, 0, 0, 0, 0
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
	slope, se, p, _ = m.lineTestDF()
	return slope, se, p
}

// lineTestDF is lineTest with the degrees of freedom of its t statistic.
func (m *models) lineTestDF() (slope, se, p, df float64) {
	sse, _, slope, det := m.lineFit()
	df = m.n - 2
	if m.phi > 0 {
		df--
	}
	if math.IsInf(sse, 1) || det <= 0 || df < 1 {
		return math.NaN(), math.NaN(), math.NaN(), df
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
	return slope, se, p, df
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

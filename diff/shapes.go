package diff

import (
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"
)

// stairs is a series read as a staircase: a few abrupt rises with flat runs
// between them.
type stairs struct {
	ok bool
	// at holds the index of the first point of each new level, oldest
	// first; a rise spread over two adjacent intervals is one step.
	at []int
	// ends holds, for each step, the index of its last jump's point (equal
	// to at[j] for a one-interval step): the next level starts there.
	ends []int
	// p is the probability of seeing as many rising jumps as large, and
	// none falling, in stationary noise (see findStairs).
	p float64
}

// stairJump is how many robust standard deviations of the first
// differences a difference must exceed to count as a jump. The scale is
// 1.4826·MAD of the differences around their median, which ignores the few
// jumps themselves (Gaussian noise passes 4 in 6 of 100,000 differences).
const stairJump = 4

// findStairs looks for a staircase in y: differences that stand out from
// the rest by stairJump robust standard deviations are jumps; the series is
// a staircase when
//
//   - there are no falling jumps (a sawtooth or a spike is not a staircase),
//   - there are at least two rising steps (adjacent jumps merged), and no
//     more than max(2, n/4) (more and it is a line seen in coarse units),
//   - every level between steps holds at least two points, and the levels
//     rise from each to the next,
//   - the jumps account for at least 60 % of the rise from the first level
//     to the last (flat between them, not a slope with a few bumps).
//
// A jump at the very last point is not counted (one point cannot tell a
// step from a spike). It returns ok false otherwise.
//
// Its p-value asks how likely k rising jumps this large are in stationary
// noise: with z the smallest step's largest difference in robust standard
// deviations, each of the m differences exceeds z with probability
// p₁ = P(T > z) (Student's t with m − k − 1 degrees of freedom, for the
// estimated scale), and p = P(Binomial(m, p₁) ≥ k)·2⁻ᵏ, the last factor
// because under no trend a jump is as likely to fall as to rise. It
// assumes the differences of the noise are roughly Gaussian; wild single
// points make a rise and a fall, which rule a staircase out.
func findStairs(y []float64, buf []float64) (stairs, []float64) {
	n := len(y)
	var st stairs
	if n < 6 {
		return st, buf
	}
	lo, hi := y[0], y[0]
	for _, v := range y {
		lo, hi = min(lo, v), max(hi, v)
	}
	if hi == lo {
		return st, buf
	}
	// The differences, and a copy to select medians in, share buf.
	if cap(buf) < 2*(n-1) {
		buf = make([]float64, 2*(n-1))
	}
	d, tmp := buf[:n-1], buf[n-1:2*(n-1)]
	for i := 1; i < n; i++ {
		d[i-1] = y[i] - y[i-1]
	}
	copy(tmp, d)
	med := median(tmp)
	for i := range tmp {
		tmp[i] = math.Abs(d[i] - med)
	}
	sd := 1.4826 * median(tmp)
	thr := max(stairJump*sd, 1e-9*(hi-lo))
	// Jumps, as indexes of the point after them.
	var jumps []int
	for i, v := range d {
		switch dv := v - med; {
		case dv < -thr:
			return st, d
		case dv > thr:
			jumps = append(jumps, i+1)
		}
	}
	if len(jumps) > 0 && jumps[len(jumps)-1] == n-1 {
		jumps = jumps[:len(jumps)-1]
	}
	for i := 0; i < len(jumps); {
		j := i
		for j+1 < len(jumps) && jumps[j+1] == jumps[j]+1 {
			j++
		}
		st.at = append(st.at, jumps[i])
		st.ends = append(st.ends, jumps[j])
		i = j + 1
	}
	k := len(st.at)
	if k < 2 || k > max(2, n/4) {
		return stairs{}, d
	}
	// Levels: the means of the runs between steps.
	level := func(from, to int) float64 {
		var s float64
		for _, v := range y[from:to] {
			s += v
		}
		return s / float64(to-from)
	}
	var jumpRise float64
	prevEnd, prev := 0, math.NaN()
	for j := 0; j <= k; j++ {
		from, to := prevEnd, n
		if j < k {
			to = st.at[j]
		}
		if j > 0 {
			// The level after a step starts at its last jump's point.
			from = st.ends[j-1]
		}
		if to-from < 2 {
			return stairs{}, d
		}
		l := level(from, to)
		if j > 0 && !(l > prev) {
			return stairs{}, d
		}
		prev = l
		if j < k {
			prevEnd = st.ends[j]
			for i := st.at[j]; i <= st.ends[j]; i++ {
				jumpRise += d[i-1]
			}
		}
	}
	first := level(0, st.at[0])
	if rise := prev - first; !(rise > 0) || jumpRise < 0.6*rise {
		return stairs{}, d
	}
	zMin := math.Inf(1)
	for j := range st.at {
		z := 0.0
		for i := st.at[j]; i <= st.ends[j]; i++ {
			z = max(z, (d[i-1]-med)/sd)
		}
		zMin = min(zMin, z)
	}
	m := float64(len(d))
	if nu := m - float64(k) - 1; nu >= 1 && !math.IsInf(zMin, 1) && !math.IsNaN(zMin) {
		p1 := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: nu}.Survival(zMin)
		st.p = distuv.Binomial{N: m, P: p1}.Survival(float64(k)-0.5) * math.Pow(2, -float64(k))
	}
	st.ok = true
	return st, d
}

// residuals returns y minus the staircase's levels: the means of the runs
// between steps (the inner point of a step spread over two intervals counts
// with the level before it).
func (st *stairs) residuals(y, buf []float64) []float64 {
	buf = buf[:0]
	from := 0
	for j := 0; j <= len(st.at); j++ {
		to := len(y)
		if j < len(st.at) {
			to = st.ends[j]
		}
		var s float64
		for _, v := range y[from:to] {
			s += v
		}
		m := s / float64(to-from)
		for _, v := range y[from:to] {
			buf = append(buf, v-m)
		}
		from = to
	}
	return buf
}

// climbing reports whether the staircase is still climbing at the end: the
// time since its last step is at most twice the longest time between two
// steps. A map or slice that doubles its storage waits about twice as long
// for each next step; a warm-up that loaded in a few steps and stopped
// waits far longer.
func (st *stairs) climbing(x []float64) bool {
	var gap float64
	for j := 1; j < len(st.at); j++ {
		gap = max(gap, x[st.at[j]]-x[st.at[j-1]])
	}
	return x[len(x)-1]-x[st.at[len(st.at)-1]] <= 2*gap
}

// fill fits a flat start, a ramp and a flat end: y = a + b·clamp(x, c1, c2)
// with knots c1 = x[k1], c2 = x[k2] at points, at least two points before
// the ramp, one inside it and two after, the ramp starting after the first
// tenth of the span and ending before maxFrac of it, and a rising b. It
// returns the smallest residual sum of squares (GLS under the models' φ)
// and the knots (0, 0 when none fits). O(n²) knot pairs, each O(1) from
// prefix sums: the transformed regressor is c1·u before the ramp,
// x[k1+1] − φ·c1 at its first point, the transformed x inside it and c2·u
// after it.
func (m *models) fill(maxFrac float64) (sse float64, k1, k2 int) {
	n := len(m.x)
	sse = math.Inf(1)
	if n < 7 {
		return sse, 0, 0
	}
	x0, span := m.x[0], m.x[n-1]-m.x[0]
	s2, q2 := m.u[0]*m.u[0], m.q*m.q
	uw0 := m.u[0] * m.w[0]
	for a := 1; a <= n-5; a++ {
		c1 := m.x[a]
		if c1-x0 < 0.1*span {
			continue
		}
		// Region A: points 0..a, regressor c1·u.
		aUU := s2 + float64(a)*q2
		aUW := uw0 + m.q*seg(m.pW, 1, a+1)
		b1 := m.x[a+1] - m.phi*c1 // first ramp point's regressor
		for b := a + 2; b <= n-3; b++ {
			c2 := m.x[b]
			if c2-x0 > maxFrac*span {
				break
			}
			// Region C: points a+2..b, the transformed x; region D:
			// points b+1.., regressor c2·u (u = q there).
			dCnt := float64(n - 1 - b)
			dUW := m.q * seg(m.pW, b+1, n)
			uv := c1*aUU + m.u[a+1]*b1 + seg(m.pUX, a+2, b+1) + c2*q2*dCnt
			vv := c1*c1*aUU + b1*b1 + seg(m.pXX, a+2, b+1) + c2*c2*q2*dCnt
			vw := c1*aUW + b1*m.w[a+1] + seg(m.pXW, a+2, b+1) + c2*dUW
			e, _, bk := m.solve(uv, vv, vw)
			if bk > 0 && e < sse {
				sse, k1, k2 = e, a, b
			}
		}
	}
	return sse, k1, k2
}

// Pace is the growth a verdict is about, measured over the points from
// From on: the whole fitted series, or the part after growth began late
// (linear since) or slowed (slowing).
type Pace struct {
	// From is the index of the first point measured.
	From int
	// Slope is the Theil–Sen slope per hour over those points.
	Slope float64
	// GLSSlope and SE are the generalised-least-squares slope under AR(1)
	// errors and its standard error; Low = GLSSlope − t₀.₉₅·SE is the
	// one-sided 95 % lower confidence bound of the slope (Student's t).
	GLSSlope, SE, Low float64
	// P is the deciding two-sided p-value of a trend over those points
	// (see Trend.P), PMethod its test.
	P       float64
	PMethod string
	// Phi is the lag-1 autocorrelation used.
	Phi float64

	sse float64 // of the segmented model (segmentedTail), transformed
}

// rises reports whether the pace is a significant rise at level alpha.
func (r *Pace) rises(alpha float64) bool {
	return r.P < alpha && r.GLSSlope > 0 && r.Slope > 0
}

// paceOver measures the trend of y over x from index from on. φ is
// estimated afresh from the residuals around that part's own line when it
// has minMKPoints points or more (a tail's noise, not the misfit of a model
// of the whole series), else phi is used.
func paceOver(x, y []float64, from int, phi float64, th *Thresholds, sc *scratch) Pace {
	xs, ys := x[from:], y[from:]
	r := Pace{From: from, Slope: math.NaN(), GLSSlope: math.NaN(), SE: math.NaN(), Low: math.NaN(), P: math.NaN(), Phi: phi}
	n := len(ys)
	if n < 2 {
		return r
	}
	r.Slope, _, sc.a = theilSen(xs, ys, sc.a)
	if n < 3 {
		return r
	}
	if n >= minMKPoints {
		sc.b = residuals(&sc.resid, xs, ys, sc.b, math.Inf(1))
		r.Phi = lag1(sc.b)
	}
	m := sc.tail.init(xs, ys, r.Phi)
	var df float64
	r.GLSSlope, r.SE, r.P, df = m.lineTestDF()
	r.PMethod = "gls"
	if !math.IsNaN(r.SE) && df >= 1 {
		r.Low = r.GLSSlope - sc.t95(df)*r.SE
	} else if r.SE == 0 {
		r.Low = r.GLSSlope
	}
	if n >= minMKPoints {
		var mk MannKendall
		mk, sc.a = mannKendall(ys, mkInflationAR1(n, r.Phi), sc.a)
		switch {
		case mk.P < th.MKGuard && (mk.S > 0) == (r.GLSSlope > 0):
			r.PMethod = "gls+mann-kendall"
		case mk.P > r.P:
			r.P, r.PMethod = mk.P, "mann-kendall"
		}
	}
	return r
}

// segmentedTail tests whether a series still rises after the knot at
// index k, by segmented regression (continuous at the knot, two slopes):
//
//	y = a + b₁·min(x, c) + b₂·max(0, x − c),   c = x[k]
//
// fitted by generalised least squares under AR(1) errors, φ estimated from
// the ordinary fit's residuals: the larger of their bias-corrected lag-1
// correlation and the difference-based estimate (diffPhi), since a model
// whose knot was fitted to a wandering noise leaves residuals that look
// less correlated than the noise is, and a plateau in autocorrelated noise
// would pass for a slowing leak; the data and
// the three regressors put through the Prais–Winsten transform (gonum's QR
// for the least squares). b₂ is the slope after the knot, its standard
// error s·sqrt([(X'X)⁻¹]₂₂) with s² = SSE/(n − 3 − 1), and P its
// two-sided Student's t p-value. Testing b₂ within the whole series'
// model spends the noise estimate on every point, not only the tail's,
// which is what gives it the power to tell a leak that slowed to an
// eighth of its rate from one that stopped. The knot is taken as known
// (it was chosen by the broken-stick fit), which makes P slightly
// optimistic; it is compared with Alpha, not with AlphaMedium alone.
func segmentedTail(x, y []float64, k int, sc *scratch) Pace {
	n := len(y)
	p := Pace{From: k, Slope: math.NaN(), GLSSlope: math.NaN(), SE: math.NaN(), Low: math.NaN(), P: math.NaN(), PMethod: "segmented-gls"}
	if n-k < 2 || k < 1 || n < 6 {
		return p
	}
	p.Slope, _, sc.a = theilSen(x[k:], y[k:], sc.a)
	c := x[k]
	cols := func(i int) (float64, float64, float64) { return 1, min(x[i], c), max(0, x[i]-c) }
	fitGLS := func(phi float64) (beta [3]float64, se2 float64, sse float64, ok bool) {
		s := math.Sqrt(1 - phi*phi)
		X := mat.NewDense(n, 3, nil)
		Y := mat.NewVecDense(n, nil)
		for i := range n {
			u, z1, z2 := cols(i)
			yi := y[i]
			if i == 0 {
				u, z1, z2, yi = s*u, s*z1, s*z2, s*yi
			} else {
				pu, pz1, pz2 := cols(i - 1)
				u, z1, z2, yi = u-phi*pu, z1-phi*pz1, z2-phi*pz2, yi-phi*y[i-1]
			}
			X.SetRow(i, []float64{u, z1, z2})
			Y.SetVec(i, yi)
		}
		var xtx, inv mat.Dense
		xtx.Mul(X.T(), X)
		if err := inv.Inverse(&xtx); err != nil {
			return beta, 0, 0, false
		}
		var xty, b mat.VecDense
		xty.MulVec(X.T(), Y)
		b.MulVec(&inv, &xty)
		for i := range 3 {
			beta[i] = b.AtVec(i)
		}
		var fitted mat.VecDense
		fitted.MulVec(X, &b)
		for i := range n {
			r := Y.AtVec(i) - fitted.AtVec(i)
			sse += r * r
		}
		return beta, inv.At(2, 2), sse, true
	}
	beta, _, _, ok := fitGLS(0)
	if !ok {
		return p
	}
	res := sc.b[:0]
	for i := range n {
		_, z1, z2 := cols(i)
		res = append(res, y[i]-(beta[0]+beta[1]*z1+beta[2]*z2))
	}
	sc.b = res
	p.Phi = max(lag1(res), diffPhi(res))
	beta, v22, sse, ok := fitGLS(p.Phi)
	if !ok {
		return p
	}
	df := float64(n - 3 - b2i(p.Phi > 0))
	if df < 1 {
		return p
	}
	p.GLSSlope, p.sse = beta[2], sse
	p.SE = math.Sqrt(sse / df * v22)
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}
	switch {
	case p.SE > 0:
		p.P = 2 * t.Survival(math.Abs(p.GLSSlope/p.SE))
		p.Low = p.GLSSlope - sc.t95(df)*p.SE
	case p.GLSSlope == 0:
		p.P, p.Low = 1, 0
	default:
		p.P, p.Low = 0, p.GLSSlope
	}
	return p
}

// segmentedKnot returns the knot (an index with at least two points before
// it and minTail from it on) at which the continuous two-slope model of
// segmentedTail fits y best by least squares; 0 when none fits.
func segmentedKnot(x, y []float64, minTail int) int {
	n := len(y)
	best, at := math.Inf(1), 0
	for k := 2; k <= n-minTail; k++ {
		c := x[k]
		// Ordinary least squares of y on 1, min(x, c), max(0, x − c)
		// through the normal equations (3×3, by Cramer's rule).
		var s [3][3]float64
		var r [3]float64
		for i := range n {
			v := [3]float64{1, min(x[i], c), max(0, x[i]-c)}
			for a := range 3 {
				r[a] += v[a] * y[i]
				for b := range 3 {
					s[a][b] += v[a] * v[b]
				}
			}
		}
		beta, ok := solve3(s, r)
		if !ok {
			continue
		}
		var sse float64
		for i := range n {
			e := y[i] - (beta[0] + beta[1]*min(x[i], c) + beta[2]*max(0, x[i]-c))
			sse += e * e
		}
		if sse < best {
			best, at = sse, k
		}
	}
	return at
}

// solve3 solves the 3×3 system s·β = r by Cramer's rule.
func solve3(s [3][3]float64, r [3]float64) ([3]float64, bool) {
	det := func(m [3][3]float64) float64 {
		return m[0][0]*(m[1][1]*m[2][2]-m[1][2]*m[2][1]) - m[0][1]*(m[1][0]*m[2][2]-m[1][2]*m[2][0]) + m[0][2]*(m[1][0]*m[2][1]-m[1][1]*m[2][0])
	}
	d := det(s)
	var out [3]float64
	if d == 0 || math.IsNaN(d) || math.Abs(d) < 1e-12*math.Abs(s[0][0]*s[1][1]*s[2][2]) {
		return out, false
	}
	for c := range 3 {
		m := s
		for a := range 3 {
			m[a][c] = r[a]
		}
		out[c] = det(m) / d
	}
	return out, true
}

// diffPhi estimates the AR(1) coefficient of the noise from the lag-1
// correlation ρ of the first differences of residuals: for AR(1) noise
// ρ = −(1 − φ)/2, so φ = 1 + 2ρ (clamped to [0, 0.95]). Differencing
// removes what a fitted trend left of the level, so the estimate hardly
// depends on how well the trend's knot was placed (a difference-based
// estimator in the manner of Hall and Van Keilegom, 2003).
func diffPhi(res []float64) float64 {
	n := len(res)
	if n < 5 {
		return 0
	}
	var num, den float64
	prev := res[1] - res[0]
	den = prev * prev
	for i := 2; i < n; i++ {
		d := res[i] - res[i-1]
		num += d * prev
		den += d * d
		prev = d
	}
	if den == 0 {
		return 0
	}
	return min(max(1+2*num/den, 0), 0.95)
}

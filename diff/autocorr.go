package diff

import "math"

// residuals returns y minus a line (OLS), or minus two levels (a step) or a
// broken stick (rise then flat, flat then rise) when one of those beats the
// line by margin in BIC on the raw sample size. The residuals feed the
// autocorrelation estimate: around a line alone, a plateau's or a late
// leak's misfit would look like strong autocorrelation and hide the trend;
// but letting any flexible model win would let it soak up a wandering
// noise's autocorrelation and make noise look significant. m is storage for
// the models.
func residuals(m *models, x, y, buf []float64, margin float64) []float64 {
	m.init(x, y, 0)
	z := m.design(margin)
	_, a, b := m.fitDesign(z)
	buf = buf[:0]
	for i := range y {
		buf = append(buf, y[i]-(a+b*z(i)))
	}
	return buf
}

// fitDesign regresses y on a constant and z(i) (untransformed: φ = 0 only).
func (m *models) fitDesign(z func(i int) float64) (sse, a, b float64) {
	var uv, vv, vw float64
	for i := range m.u {
		v := z(i)
		uv += m.u[i] * v
		vv += v * v
		vw += v * m.w[i]
	}
	return m.solve(uv, vv, vw)
}

// designFor returns the regressor of the model the noise is measured
// around: x itself (a line), unless a step or a broken stick (rise then
// flat, flat then rise) beats the line by margin in BIC on the raw sample
// size. Around a line alone, a plateau's or a late leak's misfit would look
// like strong autocorrelation and hide the trend; letting any flexible model
// win would let it soak up a wandering noise and make noise significant.
func designFor(x, y []float64, margin float64) func(i int) float64 {
	return newModels(x, y, 0).design(margin)
}

func (m *models) design(margin float64) func(i int) float64 {
	x := m.x
	best := m.bic(m.line(), 2) - margin
	z := func(i int) float64 { return x[i] }
	if sse, k, _, _ := m.stepFit(); k > 0 && m.bic(sse, 3) < best {
		best = m.bic(sse, 3)
		z = func(i int) float64 {
			if i < k {
				return 0
			}
			return 1
		}
	}
	for _, levelOff := range []bool{true, false} {
		if sse, k, _, _ := m.stickFit(levelOff, 1); k > 0 && m.bic(sse, 3) < best {
			best = m.bic(sse, 3)
			c := x[k]
			if levelOff {
				z = func(i int) float64 { return min(x[i], c) }
			} else {
				z = func(i int) float64 { return max(0, x[i]-c) }
			}
		}
	}
	return z
}

// slopeInflation is the exact factor by which AR(1) errors with lag-1
// correlation phi widen the variance of an OLS slope on x:
// Σᵢⱼ dᵢdⱼ φ^|i−j| / Σᵢ dᵢ², dᵢ = xᵢ − x̄, computed in O(n) with a forward and
// a backward filter. buf is storage for the forward filter.
func slopeInflation(x []float64, phi float64, buf []float64) (float64, []float64) {
	n := len(x)
	if phi <= 0 || n < 3 {
		return 1, buf
	}
	var mx float64
	for _, v := range x {
		mx += v
	}
	mx /= float64(n)
	var den, num, f float64
	fwd := buf[:0]
	if cap(fwd) < n {
		fwd = make([]float64, n)
	}
	fwd = fwd[:n]
	for i, v := range x {
		d := v - mx
		den += d * d
		f = d + phi*f
		fwd[i] = f
	}
	var b float64
	for i := n - 1; i >= 0; i-- {
		d := x[i] - mx
		b = d + phi*b
		num += d * (fwd[i] + b - d)
	}
	if den == 0 {
		return 1, fwd
	}
	return max(num/den, 1), fwd
}

// mkInflationAR1 is Hamed and Rao's (1998) variance correction of the
// Mann–Kendall S for n points of an AR(1) process with lag-1 correlation
// phi: 1 + 2/(n(n−1)(n−2)) Σₖ (n−k)(n−k−1)(n−k−2) ρₖ, with ρₖ the rank
// autocorrelation (6/π)·asin(φᵏ/2) of a Gaussian process.
func mkInflationAR1(n int, phi float64) float64 {
	if phi <= 0 || n < 3 {
		return 1
	}
	fn := float64(n)
	var s float64
	pk := 1.0
	for k := 1; k < n; k++ {
		pk *= phi
		if pk < 1e-12 {
			break
		}
		fk := float64(k)
		s += (fn - fk) * (fn - fk - 1) * (fn - fk - 2) * (6 / math.Pi) * math.Asin(pk/2)
	}
	return max(1+2*s/(fn*(fn-1)*(fn-2)), 1)
}

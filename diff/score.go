package diff

import "math"

// Score rates how surely and how badly a trend is a leak, in [0, 1]:
//
//	score = shape × (0.35·significance + 0.20·fit + 0.20·persistence + 0.25·magnitude)
//
//	significance = clamp(−log10(P) / 6, 0, 1)     P = 1e-6 or smaller counts fully
//	fit          = clamp(R², 0, 1)                how well a line explains it (OLS)
//	persistence  = clamp(Mann–Kendall tau-b, 0, 1) how monotone: 1 = every later point higher
//	magnitude    = ½·min(1, 2·Growth/max(End, |Start|)) + ½·clamp(share, 0, 1)
//	               how much of the site is new (doubling counts fully), and its
//	               share of the series' total growth
//	shape        = 1 for linear, 0.3 plateau or sawtooth, 0.2 step, 0 flat or decline
//
// Significance weighs most because it is the one term that accounts for
// noise; fit and persistence separate steady leaks from lucky noise that
// passes a test; magnitude keeps a significant but negligible drift low.
// The shape factor keeps growth that stopped (warm-up, a one-time load)
// out of medium whatever the other terms say.
func Score(t *Trend, share float64) float64 {
	var factor float64
	switch t.Shape {
	case ShapeLinear:
		factor = 1
	case ShapePlateau, ShapeSawtooth:
		factor = 0.3
	case ShapeStep:
		factor = 0.2
	default:
		return 0
	}
	sig := 0.0
	if !math.IsNaN(t.P) && t.P < 1 {
		sig = clamp01(-math.Log10(max(t.P, 1e-300)) / 6)
	}
	fitTerm := 0.0
	if !math.IsNaN(t.OLS.R2) {
		fitTerm = clamp01(t.OLS.R2)
	}
	persist := 0.0
	switch {
	case !math.IsNaN(t.MK.Tau):
		persist = clamp01(t.MK.Tau)
	case t.N == 2 && t.Growth > 0:
		persist = 1
	}
	mag := 0.5*min(1, 2*growthFraction(t)) + 0.5*clamp01(share)
	return factor * (0.35*sig + 0.20*fitTerm + 0.20*persist + 0.25*mag)
}

// growthFraction is Growth over the larger of the end and start levels:
// 0.5 means the site doubled, 1 that it grew from nothing.
func growthFraction(t *Trend) float64 {
	den := max(t.End, math.Abs(t.Start))
	if den <= 0 || t.Growth <= 0 {
		return 0
	}
	return clamp01(t.Growth / den)
}

func clamp01(v float64) float64 { return min(max(v, 0), 1) }

// Rate decides a finding's severity from its trend, score and the hours
// until the source's memory limit is reached at the current rate (NaN when
// there is no limit or the heap is not growing):
//
//	info      not a rising (linear) trend
//	low       rising, but growth under MinGrowth, P ≥ AlphaMedium, or score < MediumScore
//	medium    score ≥ MediumScore
//	high      score ≥ HighScore
//	critical  score ≥ CriticalScore and the limit is reached within CriticalWithin hours
//	          (Analyze passes the hours only for sites with a fifth or more of the heap's slope)
//
// Two snapshots give a difference, not a trend: medium at most, and only
// when the site at least doubled and grew by MinGrowth; three to WeakPoints
// snapshots are capped at medium too, since their significance is weak.
func Rate(t *Trend, score float64, unit string, hoursToLimit float64, th *Thresholds) Severity {
	if !t.Rising() {
		return SeverityInfo
	}
	minGrowth := th.MinGrowthCount
	if unit == "bytes" {
		minGrowth = th.MinGrowthBytes
	}
	if t.N == 2 {
		if t.Growth >= minGrowth && growthFraction(t) >= 0.5 {
			return SeverityMedium
		}
		return SeverityLow
	}
	if t.Growth < minGrowth || !(t.P < th.AlphaMedium) && t.N > th.WeakPoints || score < th.MediumScore {
		return SeverityLow
	}
	sev := SeverityMedium
	switch {
	case t.N <= th.WeakPoints:
	case score >= th.CriticalScore && hoursToLimit >= 0 && hoursToLimit <= th.CriticalWithin:
		sev = SeverityCritical
	case score >= th.HighScore:
		sev = SeverityHigh
	}
	return sev
}

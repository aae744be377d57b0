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
//	shape        = 1 for the shapes of a leak (linear, staircase, slowing),
//	               0.3 plateau, fill or sawtooth, 0.2 step, 0 flat or decline
//
// The score orders findings of the same severity; severity itself comes
// from significance and cost (see Rate).
func Score(t *Trend, share float64) float64 {
	var factor float64
	switch t.Shape {
	case ShapeLinear, ShapeStaircase, ShapeSlowing:
		factor = 1
	case ShapePlateau, ShapeSawtooth, ShapeFill:
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

// Cost is what a finding's growth will cost if it goes on: the slope's
// lower confidence bound projected over a horizon, against what the
// process holds.
type Cost struct {
	// Horizon is the hours projected: Thresholds.Horizon, or with a memory
	// limit the time until the source's heap reaches it (at least an hour,
	// at most 30 days).
	Horizon float64
	// Projected = Pace.Low × Horizon, in the series' unit: the growth over
	// the horizon at the one-sided 95 % lower bound of the slope (a
	// conservative projection: noisier or shorter series project less).
	Projected float64
	// Ref is what the growth is measured against: the source's in-use heap
	// (End of its total) for bytes, the series' total but at least
	// CountRef for counts.
	Ref float64
	// Fraction = Projected / Ref; NaN when either is undefined.
	Fraction float64
}

// NewCost projects pace's lower bound over horizon hours against ref.
func NewCost(p *Pace, horizon, ref float64) Cost {
	c := Cost{Horizon: horizon, Ref: ref, Projected: math.NaN(), Fraction: math.NaN()}
	if !math.IsNaN(p.Low) {
		c.Projected = max(p.Low, 0) * horizon
		if ref > 0 {
			c.Fraction = c.Projected / ref
		}
	}
	return c
}

// Rate decides a finding's severity from its trend, its q-value (the
// Benjamini–Hochberg adjusted p-value of its pace among its series' sites),
// its cost, and the hours until the source's heap reaches the memory limit
// (NaN without a limit, or when this site drives less than a fifth of the
// heap's growth):
//
//	info      not the shape of a leak (linear, staircase, slowing) or not growing
//	low       a leak's shape, but q ≥ AlphaMedium, undecided (began too late to
//	          tell from a fill), or the projected growth under MediumCost of the
//	          reference (or under MinCostBytes)
//	medium    certain (q < AlphaMedium) and projected to add MediumCost or more
//	high      projected to add HighCost or more (half the heap in a day by default)
//	critical  medium or worse and the limit is reached within CriticalWithin hours
//
// Two snapshots give a difference, not a trend: medium at most, and only
// when the site at least doubled and grew by MinGrowth; three to
// WeakPoints snapshots are capped at medium too, since their significance
// is weak. The short window itself never lowers a certain leak below what
// its cost says: it lowers the confidence (see Finding.Confidence).
func Rate(t *Trend, q float64, c Cost, unit string, hoursToLimit float64, th *Thresholds) Severity {
	if !t.Rising() {
		return SeverityInfo
	}
	if t.N == 2 {
		minGrowth := th.MinGrowthCount
		if unit == "bytes" {
			minGrowth = th.MinGrowthBytes
		}
		if t.Growth >= minGrowth && growthFraction(t) >= 0.5 {
			return SeverityMedium
		}
		return SeverityLow
	}
	weak := t.N <= th.WeakPoints
	switch {
	case t.Undecided, !weak && !(q < th.AlphaMedium), !(t.Pace.Low > 0):
		return SeverityLow
	case !(c.Fraction >= th.MediumCost), unit == "bytes" && !(c.Projected >= th.MinCostBytes):
		return SeverityLow
	}
	sev := SeverityMedium
	if weak {
		return sev
	}
	if c.Fraction >= th.HighCost {
		sev = SeverityHigh
	}
	if hoursToLimit >= 0 && hoursToLimit <= th.CriticalWithin {
		sev = SeverityCritical
	}
	return sev
}

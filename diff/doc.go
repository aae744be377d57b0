// Package diff turns aligned series into honest statements about growth:
// how fast each call site grows, whether it is still growing, how sure that
// is, and how bad.
//
// It is second in leakdiff's pipeline:
//
//  1. profile reads snapshots and aligns them into per-site series;
//  2. diff (this package) fits each site's series over its last segment
//     (after the last restart), classifies its shape, scores and rates it
//     (Analyze), or compares two snapshots (Compare);
//  3. rules names known leaks;
//  4. report ranks and renders.
//
// # Statistics
//
// x is hours since the first fitted snapshot (the snapshot index when times
// are unknown), so slopes are per hour. For each series (Fit):
//
//   - OLS: slope, intercept and R² from gonum's stat.LinearRegression and
//     stat.RSquared; the slope's standard error, t and two-sided p-value from
//     Student's t (gonum distuv), the variance widened for autocorrelated
//     residuals.
//   - GLS: the same line under AR(1) errors (Prais–Winsten transform), the
//     efficient test of a line in autocorrelated noise.
//   - Theil–Sen slope: the median pairwise slope, robust to up to 29 % of
//     wild points (a snapshot taken mid-GC).
//   - Mann–Kendall: S, tau-b, Z and p with the tie correction, its variance
//     widened by Hamed and Rao's factor for the estimated autocorrelation.
//   - Robust levels: Start and End are medians of the first and last
//     clamp(n/4, 1, 5) points; Growth = End − Start; RelGrowth = Growth/Start.
//   - Autocorrelation: φ, the lag-1 correlation of the residuals around a
//     line (or a step or broken stick when one fits far better), corrected
//     for small-sample bias.
//
// Assumptions: the noise around the trend is stationary and at most AR(1);
// snapshots are in time order; a trend is a straight line over the fitted
// segment. The deciding p-value is GLS's when Mann–Kendall agrees on the
// direction at 0.05, else the larger of the two; below 8 points Mann–Kendall
// cannot reach small p-values and GLS decides alone. With 2 snapshots there
// is no test, only a difference.
//
// # Shapes
//
// Leaks: linear (significant growth still going on at the end), staircase
// (abrupt rising steps, flat between, still climbing: see findStairs),
// slowing (segmented regression: the slope after the knot is still
// significant; see segmentedTail). Not leaks: plateau (rose, then flat
// within its confidence interval), fill (flat, a late ramp, flat again; see
// models.fill), step (a one-time jump), sawtooth (repeated growth and
// release), flat, decline. Step, plateau and fill are preferred to a line
// when their GLS model beats it by 6 in BIC ("strong" evidence); a rise is
// called linear only if the second half of the segment still rises on its
// own. Each trend has a Pace: the growth now, over the whole segment or from
// where growth began late or slowed, with the one-sided 95 % lower bound of
// its slope.
//
// # Score, severity, false discoveries
//
// See Score and Rate. Severity is rated on the Cost: the pace's lower bound
// projected over 24 hours (or until the memory limit) against the process's
// heap, or at least 1,000 goroutines; medium needs 5 % of it and a
// Benjamini–Hochberg q-value below 0.001 among the series' tested sites
// (adjustFDR), high 50 %; critical the memory limit reached within 24 hours.
// Two snapshots, or 3 to 5, are medium at most. The score orders findings of
// one severity.
//
// # One leak, one finding
//
// Group joins a source's rising findings that are one leak (increments that
// move together and a tie in the code: a rule, a shared frame, a goroutine's
// creator, or goroutine counts equal at every snapshot) under one lead.
//
// # Limits
//
// Measured on 1,000 seeded series of 60 points each (TestFalseAndTruePositiveRates):
// flat white noise is reported medium or worse in 0 % of seeds, flat AR(1)
// noise (φ = 0.7) in 0.3 % (0.7 % on another 4,000 seeds: the lag-1
// estimate of φ from 60 points is sometimes far too low); a rise of 3 noise
// standard deviations in white noise is found in 95.8 %, of 6 in AR(1) noise
// in 94.8 %. A plateau reached at 40 % of the series is reported in 0 % when
// its rise is 10 (white) or 20 (AR(1)) standard deviations, but in 15 % and
// 13 % when it is as small as those linear rises: over 60 points such a
// plateau and a line are statistically close (their likelihood-ratio
// statistics overlap), and leakdiff prefers to flag a slow leak.
package diff

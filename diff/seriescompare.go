package diff

import (
	"cmp"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/leakdiff/leakdiff/profile"
)

// Verdict is what became of one site between a baseline series and a
// candidate series (a build with a fix, or a change under review).
type Verdict int

// The verdicts, from the best news to the worst.
const (
	// VerdictFixed: it leaked in the baseline; in the candidate the 95 %
	// upper bound of its slope is below the tolerance.
	VerdictFixed Verdict = iota
	// VerdictBetter: it leaked in the baseline; in the candidate it is no
	// longer a finding, or grows at half the rate or less, but a leak
	// cannot be ruled out.
	VerdictBetter
	// VerdictUnchanged: a leak in neither.
	VerdictUnchanged
	// VerdictUndecided: the candidate has too few snapshots (or lacks the
	// series) to tell.
	VerdictUndecided
	// VerdictStillLeaking: a leak in both, at a rate within a factor 2.
	VerdictStillLeaking
	// VerdictWorse: a leak in both, at least 1.5 times faster in the
	// candidate.
	VerdictWorse
	// VerdictNewLeak: a leak in the candidate only.
	VerdictNewLeak
)

var verdictNames = [...]string{"fixed", "better", "unchanged", "too few snapshots", "still leaking", "worse", "new leak"}

func (v Verdict) String() string {
	if v < 0 || int(v) >= len(verdictNames) {
		return fmt.Sprintf("Verdict(%d)", int(v))
	}
	return verdictNames[v]
}

// Slug is the verdict with dashes for spaces ("new-leak"), as JSON and
// --fail-on write it.
func (v Verdict) Slug() string { return strings.ReplaceAll(v.String(), " ", "-") }

// CompareOptions tunes CompareSeries.
type CompareOptions struct {
	// MatchSources matches sites of the same source only; otherwise a
	// site is matched by kind, metric and name whatever its source (one
	// process before and after a fix, in folders of other names).
	MatchSources bool
	// Tolerance is the fraction of the baseline's pace below which the
	// candidate's upper bound counts as fixed (0: 0.1).
	Tolerance float64
	// MinSnapshots is the fewest fitted snapshots of a candidate series
	// that can show a leak gone or new (0: 6).
	MinSnapshots int
}

// SiteVerdict is one site's verdict with the numbers behind it.
type SiteVerdict struct {
	Verdict Verdict
	// Kind, Metric and Site say which site; Balance marks a pair of
	// counters (adds − removes) of metrics snapshots.
	Kind    profile.Kind
	Metric  string
	Unit    string
	Site    profile.Site
	Balance bool
	// BaseSource and CandSource are the sources the site was found in
	// ("" when absent from that side).
	BaseSource, CandSource string
	// Base and Cand index the sides' Analysis.Findings (-1: no finding:
	// the site is absent or never above zero there).
	Base, Cand int
	// BaseLeak and CandLeak: a finding of medium severity or worse that
	// rises.
	BaseLeak, CandLeak bool
	// BasePace and CandPace are the Theil–Sen paces per hour (0 for a
	// side without the site); CandUpper is the 95 % upper confidence bound
	// of the candidate's slope (GLS under AR(1) errors, Student's t), 0
	// when the site is absent or constant there; Allowed is the tolerance
	// it is held to (Tolerance × BasePace).
	BasePace, CandPace, CandUpper, Allowed float64
	// CandPresent: the site is in the candidate's series (it may be zero
	// throughout there, and so no finding).
	CandPresent bool
	// Ratio is CandPace / BasePace when both leak, else NaN.
	Ratio float64
	// Why says the verdict in words.
	Why string
}

// SeriesComparison is the result of CompareSeries.
type SeriesComparison struct {
	Base, Cand *Analysis
	// Verdicts lists every site that leaks in either side, worst verdict
	// first; Unchanged counts the sites that leak in neither.
	Verdicts  []SiteVerdict
	Unchanged int
	Tolerance float64
}

// Count returns how many verdicts are v.
func (c *SeriesComparison) Count(v Verdict) int {
	n := 0
	for _, sv := range c.Verdicts {
		if sv.Verdict == v {
			n++
		}
	}
	return n
}

type compareKey struct {
	source string
	kind   profile.Kind
	metric string
	site   profile.Site
}

func (a *Analysis) leaks(f *Finding) bool {
	return f.Severity >= SeverityMedium && f.Trend.Rising() && !f.Symptom
}

// CompareSeries matches the sites of two analyses by name (as Compare
// matches two snapshots) and gives each site that leaks in either a
// verdict. A leak is a rising finding of medium severity or worse; "fixed"
// needs more: the candidate's slope must be below Tolerance × the
// baseline's pace with 95 % confidence, so a short or noisy candidate
// series says "better" or "too few snapshots", never "fixed" by default.
func CompareSeries(base, cand *Analysis, o CompareOptions) *SeriesComparison {
	if o.Tolerance <= 0 {
		o.Tolerance = 0.1
	}
	if o.MinSnapshots <= 0 {
		o.MinSnapshots = 6
	}
	c := &SeriesComparison{Base: base, Cand: cand, Tolerance: o.Tolerance}
	key := func(a *Analysis, f *Finding) compareKey {
		s := a.Series[f.Series].Series
		k := compareKey{kind: s.Kind, metric: s.Metric.Name, site: s.Sites[f.Site].Site}
		if o.MatchSources {
			k.source = s.Source
		}
		return k
	}
	candIdx := map[compareKey]int{}
	loose := map[compareKey][]int{} // metric sites by a key blind to numbers
	for i := range cand.Findings {
		k := key(cand, &cand.Findings[i])
		candIdx[k] = i
		if k.kind == profile.KindMetrics {
			lk := looseKey(k)
			loose[lk] = append(loose[lk], i)
		}
	}
	// A candidate series of each kind and metric (and source), to tell an
	// absent site (flat at zero: gone) from an absent series (unknown).
	type seriesKey struct {
		source string
		kind   profile.Kind
		metric string
	}
	candSeries := map[seriesKey]*SeriesFit{}
	for i := range cand.Series {
		sf := &cand.Series[i]
		k := seriesKey{kind: sf.Series.Kind, metric: sf.Series.Metric.Name}
		if o.MatchSources {
			k.source = sf.Series.Source
		}
		if old, ok := candSeries[k]; !ok || sf.Total.N < old.Total.N {
			candSeries[k] = sf // the shortest decides what can be told
		}
	}
	// Every site of the candidate's series, findings or not (a site never
	// above zero is no finding), to tell "zero there" from "absent".
	present := map[compareKey]bool{}
	for i := range cand.Series {
		cs := cand.Series[i].Series
		for _, ss := range cs.Sites {
			k := compareKey{kind: cs.Kind, metric: cs.Metric.Name, site: ss.Site}
			if o.MatchSources {
				k.source = cs.Source
			}
			present[k] = true
			if k.kind == profile.KindMetrics {
				present[looseKey(k)] = true
			}
		}
	}
	seen := map[compareKey]bool{}
	for bi := range base.Findings {
		bf := &base.Findings[bi]
		k := key(base, bf)
		bs := base.Series[bf.Series].Series
		sv := SiteVerdict{Kind: bs.Kind, Metric: bs.Metric.Name, Unit: bs.Metric.Unit, Site: k.site,
			Balance:    bs.Kind == profile.KindMetrics && k.site.File == profile.MetricBalance,
			BaseSource: bs.Source, Base: bi, Cand: -1, BaseLeak: base.leaks(bf), BasePace: bf.Trend.Pace.Slope, Ratio: math.NaN()}
		ci, inCand := candIdx[k]
		if !inCand && k.kind == profile.KindMetrics {
			// Label values holding an ephemeral port or an id differ
			// between runs: one candidate site alike but for numbers is
			// the same series.
			if l := loose[looseKey(k)]; len(l) == 1 {
				ci, inCand = l[0], true
				k = key(cand, &cand.Findings[ci])
			}
		}
		seen[k] = true
		sv.CandPresent = inCand || present[k] || k.kind == profile.KindMetrics && present[looseKey(k)]
		if inCand {
			cf := &cand.Findings[ci]
			cs := cand.Series[cf.Series].Series
			sv.Cand, sv.CandSource, sv.CandLeak, sv.CandPace = ci, cs.Source, cand.leaks(cf), cf.Trend.Pace.Slope
			sv.CandUpper = cf.Trend.SlopeUpper()
		}
		if !sv.BaseLeak && !sv.CandLeak {
			c.Unchanged++
			continue
		}
		sk := seriesKey{kind: bs.Kind, metric: bs.Metric.Name}
		if o.MatchSources {
			sk.source = bs.Source
		}
		csf := candSeries[sk]
		c.Verdicts = append(c.Verdicts, judge(sv, csf, cand, o))
	}
	for ci := range cand.Findings {
		cf := &cand.Findings[ci]
		k := key(cand, cf)
		if seen[k] || !cand.leaks(cf) {
			if !seen[k] {
				c.Unchanged++
			}
			continue
		}
		cs := cand.Series[cf.Series].Series
		sv := SiteVerdict{Kind: cs.Kind, Metric: cs.Metric.Name, Unit: cs.Metric.Unit, Site: k.site,
			Balance:    cs.Kind == profile.KindMetrics && k.site.File == profile.MetricBalance,
			CandSource: cs.Source, Base: -1, Cand: ci, CandLeak: true, CandPresent: true, CandPace: cf.Trend.Pace.Slope,
			CandUpper: cf.Trend.SlopeUpper(), Ratio: math.NaN()}
		c.Verdicts = append(c.Verdicts, judge(sv, &cand.Series[cf.Series], cand, o))
	}
	slices.SortStableFunc(c.Verdicts, func(a, b SiteVerdict) int {
		if d := cmp.Compare(b.Verdict, a.Verdict); d != 0 {
			return d
		}
		return cmp.Compare(math.Max(b.BasePace, b.CandPace), math.Max(a.BasePace, a.CandPace))
	})
	return c
}

// judge decides a verdict for a site that leaks in at least one side.
func judge(sv SiteVerdict, csf *SeriesFit, cand *Analysis, o CompareOptions) SiteVerdict {
	sv.Allowed = o.Tolerance * sv.BasePace
	what := "grows"
	if sv.Balance {
		what = "is out of balance (adds outrun removes)"
	}
	switch {
	case csf == nil:
		sv.Verdict = VerdictUndecided
		sv.Why = fmt.Sprintf("the candidate has no %s · %s series to tell", sv.Kind, sv.Metric)
	case sv.BaseLeak && sv.CandLeak:
		sv.Ratio = sv.CandPace / sv.BasePace
		switch {
		case sv.Ratio >= 1.5:
			sv.Verdict = VerdictWorse
		case sv.Ratio <= 0.5:
			sv.Verdict = VerdictBetter
		default:
			sv.Verdict = VerdictStillLeaking
		}
		sv.Why = fmt.Sprintf("%s in both; the candidate's pace is %.2g× the baseline's", what, sv.Ratio)
	case sv.CandLeak:
		if csf.Total.N < o.MinSnapshots {
			sv.Verdict = VerdictUndecided
			sv.Why = fmt.Sprintf("%s in the candidate, from %d snapshots only (at least %d tell)", what, csf.Total.N, o.MinSnapshots)
			break
		}
		sv.Verdict = VerdictNewLeak
		sv.Why = fmt.Sprintf("%s in the candidate; no finding in the baseline", what)
	default: // a leak in the baseline only
		if csf.Total.N < o.MinSnapshots {
			sv.Verdict = VerdictUndecided
			sv.Why = fmt.Sprintf("the candidate has %d snapshots: at least %d tell a leak gone", csf.Total.N, o.MinSnapshots)
			break
		}
		if sv.CandUpper < sv.Allowed {
			sv.Verdict = VerdictFixed
			sv.Why = fmt.Sprintf("the candidate's slope is below %s (a tenth of the baseline's pace) with 95 %% confidence", perHour(sv.Allowed, sv.Unit))
			if o.Tolerance != 0.1 {
				sv.Why = fmt.Sprintf("the candidate's slope is below %s (%.3g of the baseline's pace) with 95 %% confidence", perHour(sv.Allowed, sv.Unit), o.Tolerance)
			}
			switch {
			case sv.Cand < 0 && sv.CandPresent:
				sv.Why = "zero throughout the candidate"
			case sv.Cand < 0:
				sv.Why = "absent from the candidate"
			}
			if sv.Balance {
				sv.Why = "balanced in the candidate: adds and removes rise together; " + sv.Why
			}
			break
		}
		sv.Verdict = VerdictBetter
		sv.Why = fmt.Sprintf("no finding in the candidate, but its slope's upper bound %s is not below %s: a slower leak is not ruled out", perHour(sv.CandUpper, sv.Unit), perHour(sv.Allowed, sv.Unit))
	}
	return sv
}

// perHour formats a rate for a verdict's words: 3 significant digits, in
// KiB or MiB for bytes.
func perHour(v float64, unit string) string {
	if unit != "bytes" {
		return fmt.Sprintf("%.3g/h", v)
	}
	x, u := scaleBytes(v)
	if u == "" {
		u = "B"
	}
	return fmt.Sprintf("%.3g %s/h", x, u)
}

// scaleBytes expresses a byte count in MiB or KiB from 1 of them on ("" for
// bytes below 1 KiB).
func scaleBytes(v float64) (float64, string) {
	switch a := math.Abs(v); {
	case a >= 1<<20:
		return v / (1 << 20), "MiB"
	case a >= 1<<10:
		return v / (1 << 10), "KiB"
	}
	return v, ""
}

var digits = regexp.MustCompile(`[0-9]+`)

// looseKey is k with every run of digits made alike.
func looseKey(k compareKey) compareKey {
	k.site.Function = digits.ReplaceAllString(k.site.Function, "#")
	return k
}

// SlopeUpper is the one-sided 95 % upper confidence bound of the trend's
// slope per hour: the mirror of Pace.Low around the GLS slope; 0 for a
// constant series (no slope, no noise), the Theil–Sen pace (at least 0)
// when the bound is undefined.
func (t *Trend) SlopeUpper() float64 {
	p := t.Pace
	if math.IsNaN(p.Low) || math.IsNaN(p.GLSSlope) {
		return math.Max(p.Slope, 0)
	}
	return p.GLSSlope + (p.GLSSlope - p.Low)
}

package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/leakdiff/leakdiff/diff"
	"github.com/leakdiff/leakdiff/profile"
)

// Subject is what a rule looks at: one finding's site, stack, goroutine
// evidence and trend.
type Subject struct {
	Kind       profile.Kind
	Site       profile.Site
	Stack      profile.Stack
	Goroutines *profile.GoroutineInfo
	Shape      diff.Shape
	// SlopePerHour is the Theil–Sen slope of the current growth (the
	// trend's pace) in the series' unit.
	SlopePerHour float64
}

// SubjectOf builds the subject of finding f of analysis a.
func SubjectOf(a *diff.Analysis, f *diff.Finding) Subject {
	s := a.Series[f.Series].Series
	site := s.Sites[f.Site]
	return Subject{Kind: s.Kind, Site: site.Site, Stack: site.Stack, Goroutines: site.Goroutines, Shape: f.Trend.Shape, SlopePerHour: f.Trend.Pace.Slope}
}

// Match is a rule that matched, with what matched.
type Match struct {
	Rule *Rule
	// Evidence says which frame matched which pattern, and the wait reason.
	Evidence []string
	// Specificity ranks matches: 3 for a site pattern, 2 per stack pattern,
	// 1 each for a wait reason and a minimum wait.
	Specificity int
	// Versions compares the module versions the finding's stack runs with
	// the rule's FixedIn (see CheckVersions); nil when it says nothing.
	Versions []VersionCheck
}

// Note says a version check in a sentence.
func (v *VersionCheck) Note() string {
	ref := ""
	if v.Fix.Reference != "" {
		ref = " (" + v.Fix.Reference + ")"
	}
	if v.Affected {
		return fmt.Sprintf("%s %s runs here, before the fix of this leak in %s%s: upgrade", v.Module, v.Running, v.Fix.Version, ref)
	}
	return fmt.Sprintf("%s %s runs here, with the library's fix of %s%s: the growth comes from how it is used", v.Module, v.Running, v.Fix.Version, ref)
}

// Match returns the most specific matching rule for s, or nil. Ties go to
// the earlier rule in the catalog.
func (c *Catalog) Match(s *Subject) *Match {
	var best *Match
	for _, r := range c.Rules {
		m := r.match(s)
		if m != nil && (best == nil || m.Specificity > best.Specificity) {
			best = m
		}
	}
	return best
}

func (r *Rule) match(s *Subject) *Match {
	if !r.appliesTo(s.Kind) || !slices.Contains(r.Trend.shapes, s.Shape) || s.SlopePerHour < r.Trend.MinSlope {
		return nil
	}
	var best *Match
	for i := range r.Match {
		if m := r.Match[i].match(s); m != nil && (best == nil || m.Specificity > best.Specificity) {
			m.Rule = r
			best = m
		}
	}
	return best
}

func (m *Matcher) match(s *Subject) *Match {
	out := &Match{}
	if len(m.site) > 0 {
		ok := false
		for _, re := range m.site {
			if re.MatchString(s.Site.Function) {
				out.Evidence = append(out.Evidence, fmt.Sprintf("site %s matches %s", s.Site.Function, re))
				ok = true
				break
			}
		}
		if !ok {
			return nil
		}
		out.Specificity += 3
	}
	for _, re := range m.stack {
		i := slices.IndexFunc(s.Stack, func(f profile.Frame) bool { return re.MatchString(f.Function) })
		if i < 0 {
			return nil
		}
		out.Evidence = append(out.Evidence, fmt.Sprintf("frame %s matches %s", s.Stack[i].Function, re))
		out.Specificity += 2
	}
	for _, re := range m.not {
		if slices.ContainsFunc(s.Stack, func(f profile.Frame) bool { return re.MatchString(f.Function) }) {
			return nil
		}
	}
	if g := s.Goroutines; g != nil && len(g.States) > 0 {
		if len(m.Wait) > 0 {
			if !slices.Contains(m.Wait, g.States[0].State) {
				return nil
			}
			out.Evidence = append(out.Evidence, fmt.Sprintf("goroutines wait in %q", g.States[0].State))
			out.Specificity++
		}
		if m.minWait > 0 {
			if g.MaxWait < m.minWait {
				return nil
			}
			out.Evidence = append(out.Evidence, fmt.Sprintf("blocked for %s (at least %s)", g.MaxWait, m.minWait))
			out.Specificity++
		}
	} else if len(m.site)+len(m.stack) == 0 {
		// A matcher of wait conditions only needs a dump to say anything.
		return nil
	}
	return out
}

// Key identifies a finding across re-ranking.
type Key struct{ Series, Site int }

// Annotate matches every finding of a against c, applies each matched
// rule's severity adjustment (a rule never raises a finding that is not
// rising, nor lowers one below info), ranks the findings again, groups the
// findings of one leak (diff.Analysis.Group, a shared rule being one of
// its ties), gives a group's lead the rule of its most specific member when
// it matched none and the group's rule to members that matched none (a
// group is one leak), and returns the matches by finding.
func Annotate(a *diff.Analysis, c *Catalog) map[Key]*Match {
	out := map[Key]*Match{}
	for i := range a.Findings {
		f := &a.Findings[i]
		s := SubjectOf(a, f)
		m := c.Match(&s)
		if m == nil {
			m = c.matchBalance(&s)
		}
		// A rule names a leak: a finding the statistics rate below medium
		// (uncertain, or too small to matter) is not named after one,
		// unless the rule asks for other shapes than a leak's (proof such
		// as the goroutineleak profile needs no trend).
		if m == nil || f.Severity < diff.SeverityMedium && m.Rule.defaultTrend() {
			continue
		}
		m.Versions = CheckVersions(s.Stack, m.Rule.FixedIn)
		out[Key{f.Series, f.Site}] = m
		if adj := m.Rule.Severity; adj != 0 && f.Trend.Rising() {
			f.Severity = diff.Severity(min(max(int(f.Severity)+adj, int(diff.SeverityLow)), int(diff.SeverityCritical)))
		}
	}
	a.Rank()
	a.Group(func(f *diff.Finding) string {
		if m := out[Key{f.Series, f.Site}]; m != nil {
			return m.Rule.ID
		}
		return ""
	})
	// A group is one leak: a rule that names one of its members names the
	// group when its lead matched none (a cache's entries are allocated by
	// the caller's code, its index by the library the rule knows).
	for i := range a.Findings {
		f := &a.Findings[i]
		if len(f.Members) == 0 || out[Key{f.Series, f.Site}] != nil {
			continue
		}
		var best *Match
		var via string
		for _, ref := range f.Members {
			if m := out[Key{ref.Series, ref.Site}]; m != nil && (best == nil || m.Specificity > best.Specificity) {
				best, via = m, a.Series[ref.Series].Series.Sites[ref.Site].Site.Function
			}
		}
		if best != nil {
			lead := *best
			lead.Evidence = append([]string{"member " + via + " matched"}, best.Evidence...)
			lead.Versions = CheckVersions(SubjectOf(a, f).Stack, best.Rule.FixedIn)
			if len(lead.Versions) == 0 {
				lead.Versions = best.Versions
			}
			out[Key{f.Series, f.Site}] = &lead
		}
	}
	// And the group's rule names its members that matched none.
	for i := range a.Findings {
		f := &a.Findings[i]
		lm := out[Key{f.Series, f.Site}]
		if lm == nil {
			continue
		}
		for _, ref := range f.Members {
			if out[Key{ref.Series, ref.Site}] != nil {
				continue
			}
			mm := *lm
			mm.Evidence = append([]string{"one leak with " + a.Series[f.Series].Series.Sites[f.Site].Site.Function}, lm.Evidence...)
			out[Key{ref.Series, ref.Site}] = &mm
		}
	}
	return out
}

// matchBalance matches a counter balance (profile.Set.AddBalances) to the
// rule that declares its pair in related_metrics.
func (c *Catalog) matchBalance(s *Subject) *Match {
	if s.Kind != profile.KindMetrics || s.Site.File != profile.MetricBalance {
		return nil
	}
	a, b, ok := strings.Cut(s.Site.Function, profile.BalanceSep)
	if !ok {
		return nil
	}
	for _, r := range c.Rules {
		for _, p := range r.RelatedMetrics {
			if len(p) == 2 && profile.MetricName(a) == p[0] && profile.MetricName(b) == p[1] {
				return &Match{Rule: r, Evidence: []string{fmt.Sprintf("related_metrics: %s must move with %s", p[0], p[1])}}
			}
		}
	}
	return nil
}

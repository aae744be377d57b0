package diff

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"

	"gonum.org/v1/gonum/stat"

	"github.com/leakdiff/leakdiff/profile"
)

// maxGroupCandidates bounds the rising findings of one source that Group
// compares pairwise (the best-ranked ones).
const maxGroupCandidates = 400

// Group joins the rising findings of a source that are one leak: the
// goroutines of one leaked chain, or the objects one leaked graph holds,
// each at its own site. Two findings are tied when they move together and
// something in their code ties them, and no two different rules name them:
//
//   - in one series: their increments correlate (Pearson r ≥ 0.8), or,
//     when either grows by constant steps, their levels do (r ≥ 0.9); and
//     they match the same rule, or one's site (closures folded into their
//     function: pipe.func2 is pipe) is a frame of the other's stack, or the
//     function that created one's goroutines is the other's site or in its
//     stack; goroutine counts that are equal, or a small whole multiple of
//     each other, at every snapshot (one of each per leaked chain) need no
//     more;
//   - across a source's heap and goroutine series: the same rule, the same
//     site, one's site in the other's stack, the goroutines' creator in
//     the heap site's code, or a heap site that allocates goroutine
//     descriptors (runtime.malg) beside growing goroutines; and levels that correlate (r ≥ 0.8) at the
//     snapshots taken together. Groups are first formed in each series;
//     then each joins at most one better-ranked group of another series
//     that has joined none, so that one heap site in two leaks' stacks
//     cannot chain them into one.
//
// Metrics findings join only other metrics findings (two counter balances of
// one leak); Links ties metrics to profile findings.
//
// Each group is led by its best-ranked finding (call Group after Rank): it
// gets the members' references, the highest severity among them and the
// summed share of the members in its series; each member gets its lead.
// ruleOf returns the rule id matched by a finding, "" for none.
func (a *Analysis) Group(ruleOf func(f *Finding) string) {
	a.memo = map[Ref][]int64{}
	defer func() { a.memo = nil }()
	bySource := map[string][]int{}
	for i := range a.Findings {
		f := &a.Findings[i]
		f.Members, f.GroupedInto, f.GroupShare, f.GroupWhy = nil, nil, f.Share, ""
		if !f.Trend.Rising() || f.Symptom || f.Severity < SeverityLow {
			continue
		}
		src := a.Series[f.Series].Series.Source
		if len(bySource[src]) < maxGroupCandidates {
			bySource[src] = append(bySource[src], i)
		}
	}
	parent := make([]int, len(a.Findings))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	srcs := make([]string, 0, len(bySource))
	for s := range bySource {
		srcs = append(srcs, s)
	}
	slices.Sort(srcs)
	union := func(i, j int, why string) {
		// The better-ranked root stays root; the reason goes to the
		// other root (it has none yet), else to j.
		ri, rj := find(i), find(j)
		child := max(ri, rj)
		parent[child] = min(ri, rj)
		switch {
		case a.Findings[child].GroupWhy == "":
			a.Findings[child].GroupWhy = why
		case a.Findings[j].GroupWhy == "":
			a.Findings[j].GroupWhy = why
		}
	}
	for _, src := range srcs {
		idx := bySource[src]
		// Within each series first.
		for x, i := range idx {
			for _, j := range idx[x+1:] {
				if a.Findings[i].Series != a.Findings[j].Series || find(i) == find(j) {
					continue
				}
				if why := a.tied(&a.Findings[i], &a.Findings[j], ruleOf); why != "" {
					union(i, j, why)
				}
			}
		}
		// Then each group joins at most one better-ranked group of
		// another series, tied to one of that group's own sites: the heap
		// a leaked goroutine chain holds joins that chain. A group that
		// joined only because it holds goroutine descriptors (which every
		// goroutine leak of the source has) is never joined in its turn,
		// so it cannot chain two leaks together.
		comps := map[int][]int{}
		var roots []int
		for _, i := range idx {
			r := find(i)
			if comps[r] == nil {
				roots = append(roots, r)
			}
			comps[r] = append(comps[r], i)
		}
		slices.Sort(roots)
		joined := map[int]bool{}
		for ci, c := range roots {
			for _, d := range roots[:ci] {
				if a.Findings[c].Series == a.Findings[d].Series {
					continue
				}
				if i, j, why := a.crossTied(comps[d], comps[c], ruleOf); why != "" {
					union(i, j, why)
					joined[c] = true
					break
				}
			}
		}
		// Last, a heap group that only allocates goroutine descriptors
		// (runtime.malg: every goroutine started costs one) joins the
		// best-ranked goroutine group growing with it, under that group's
		// lead whatever the ranks: it follows the goroutines, it is not
		// their cause, and it never ties two of them together.
		for _, c := range roots {
			if joined[c] || !a.descriptorsOnly(comps[c]) {
				continue
			}
			for _, d := range roots {
				if a.Series[a.Findings[d].Series].Series.Kind == profile.KindHeap || find(d) == find(c) {
					continue
				}
				if r, k := a.levelsR(&a.Findings[comps[d][0]], &a.Findings[c]); k >= 5 && r >= 0.8 {
					rc := find(c)
					parent[rc] = find(d)
					if a.Findings[rc].GroupWhy == "" {
						a.Findings[rc].GroupWhy = fmt.Sprintf("%s, levels r %.2f at %d common snapshots", descriptorsTie, r, k)
					}
					break
				}
			}
		}
	}
	for i := range a.Findings {
		r := find(i)
		if r == i {
			continue
		}
		lead, f := &a.Findings[r], &a.Findings[i]
		ref := lead.Ref()
		f.GroupedInto = &ref
		lead.Members = append(lead.Members, f.Ref())
		lead.Severity = max(lead.Severity, f.Severity)
		if f.Series == lead.Series {
			lead.GroupShare += f.Share
		}
	}
	for i := range a.Findings {
		a.Findings[i].GroupShare = min(a.Findings[i].GroupShare, 1)
	}
}

// tied says why p and q are one leak (see Group), "" when they are not.
func (a *Analysis) tied(p, q *Finding, ruleOf func(f *Finding) string) string {
	rp, rq := ruleOf(p), ruleOf(q)
	if rp != "" && rq != "" && rp != rq {
		return ""
	}
	sameRule := rp != "" && rp == rq
	ps, qs := a.Series[p.Series].Series, a.Series[q.Series].Series
	pm, qm := ps.Kind == profile.KindMetrics, qs.Kind == profile.KindMetrics
	if pm != qm {
		return ""
	}
	pss, qss := &ps.Sites[p.Site], &qs.Sites[q.Site]
	if p.Series != q.Series {
		if pm {
			return ""
		}
		var how string
		switch {
		case sameRule:
			how = "the same rule (" + rp + ")"
		case foldClosure(pss.Site.Function) == foldClosure(qss.Site.Function):
			how = "the same site"
		case inStack(pss.Site.Function, qss.Stack), inStack(qss.Site.Function, pss.Stack):
			how = "one's site is in the other's stack"
		case createdIn(pss, qss), createdIn(qss, pss):
			how = "one's goroutines are created in the other's code"
		default:
			return ""
		}
		x, y := a.common(p, q)
		if r := correlation(x, y); len(x) >= 5 && r >= 0.8 {
			return fmt.Sprintf("%s, levels r %.2f at %d common snapshots", how, r, len(x))
		}
		return ""
	}
	start := a.Series[p.Series].Start
	pv, qv := a.values(p)[start:], a.values(q)[start:]
	if ps.Metric.Unit == "count" {
		if k := multiple(pv, qv); k == 1 {
			return "equal counts at every snapshot"
		} else if k > 1 {
			return fmt.Sprintf("%d× the count of the other at every snapshot", k)
		}
	}
	x, y := floats(pv), floats(qv)
	how := ""
	dx, dy := increments(x), increments(y)
	if stat.Variance(dx, nil) > 0 && stat.Variance(dy, nil) > 0 {
		if r := correlation(dx, dy); r >= 0.8 {
			how = fmt.Sprintf("increments r %.2f", r)
		}
	}
	if r := correlation(x, y); how == "" && r >= 0.9 {
		how = fmt.Sprintf("levels r %.2f", r)
	}
	switch {
	case how == "":
		return ""
	case sameRule:
		return fmt.Sprintf("the same rule (%s), %s", rp, how)
	case pm:
		return ""
	case inStack(pss.Site.Function, qss.Stack), inStack(qss.Site.Function, pss.Stack):
		return "one's site is in the other's stack, " + how
	case createdIn(pss, qss), createdIn(qss, pss):
		return "one's goroutines are created in the other's code, " + how
	}
	return ""
}

// descriptorsTie is the reason of a tie through goroutine descriptors.
const descriptorsTie = "the heap holds the goroutines' descriptors (runtime.malg)"

// descriptorsOnly reports whether every finding of a group is heap that
// allocates goroutine descriptors.
func (a *Analysis) descriptorsOnly(idx []int) bool {
	for _, i := range idx {
		f := &a.Findings[i]
		s := a.Series[f.Series].Series
		if s.Kind != profile.KindHeap || !holdsGoroutines(s.Sites[f.Site].Stack) {
			return false
		}
	}
	return true
}

// levelsR is Pearson's r of two findings' levels at the snapshots taken
// together, and how many there are.
func (a *Analysis) levelsR(p, q *Finding) (float64, int) {
	x, y := a.common(p, q)
	return correlation(x, y), len(x)
}

// crossTied looks for a tie between a member of group d and one of group c
// (in another series); it returns the pair and the reason.
func (a *Analysis) crossTied(d, c []int, ruleOf func(f *Finding) string) (int, int, string) {
	for _, i := range d {
		for _, j := range c {
			if why := a.tied(&a.Findings[i], &a.Findings[j], ruleOf); why != "" {
				return i, j, why
			}
		}
	}
	return 0, 0, ""
}

// multiple returns k when one of two goroutine counts is k times the other
// (k from 1 to 4) at every snapshot and both grow by at least 3; 0
// otherwise.
func multiple(p, q []int64) int64 {
	if len(p) < 3 || p[len(p)-1]-p[0] < 3 || q[len(q)-1]-q[0] < 3 {
		return 0
	}
	for _, k := range []int64{1, 2, 3, 4} {
		ok := true
		for i := range p {
			if p[i] != k*q[i] && q[i] != k*p[i] {
				ok = false
				break
			}
		}
		if ok {
			return k
		}
	}
	return 0
}

// closureSuffix matches what the compiler appends to a function for its
// closures and go statements: .func2, .func1.3, .gowrap1.
var closureSuffix = regexp.MustCompile(`(\.(func|gowrap)\d+)(\.\d+)*$`)

// foldClosure folds a closure's name into its enclosing function's.
func foldClosure(fn string) string {
	for {
		loc := closureSuffix.FindStringIndex(fn)
		if loc == nil {
			return fn
		}
		fn = fn[:loc[0]]
	}
}

// tieable reports whether a function can tie two sites: not the standard
// library, and not a program's entry point, which every stack shares.
func tieable(fn string) bool {
	return fn != "" && !profile.IsGoStdlib(fn) && fn != "main.main" && !strings.HasPrefix(fn, "runtime.")
}

// inStack reports whether fn (closures folded) is a frame of st (closures
// folded), other than its entry point.
func inStack(fn string, st profile.Stack) bool {
	fn = foldClosure(fn)
	if !tieable(fn) {
		return false
	}
	return slices.ContainsFunc(st, func(f profile.Frame) bool { return foldClosure(f.Function) == fn })
}

// createdIn reports whether the function that created p's goroutines is
// q's site or in q's stack.
func createdIn(p, q *profile.SiteSeries) bool {
	if p.Goroutines == nil {
		return false
	}
	c := foldClosure(p.Goroutines.CreatedBy)
	return tieable(c) && (foldClosure(q.Site.Function) == c || inStack(c, q.Stack))
}

// holdsGoroutines reports whether a heap stack allocates goroutine
// descriptors: each goroutine started costs one, and a goroutine leak's
// descriptors grow with it.
func holdsGoroutines(st profile.Stack) bool {
	return slices.ContainsFunc(st, func(f profile.Frame) bool { return f.Function == "runtime.malg" })
}

func floats(v []int64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// correlation is Pearson's r, NaN-safe (NaN counts as no correlation).
func correlation(x, y []float64) float64 {
	r := stat.Correlation(x, y, nil)
	if math.IsNaN(r) {
		return 0
	}
	return r
}

package profile

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
)

// goroutineSample is what a goroutine dump adds to a sample.
type goroutineSample struct {
	state     string
	wait      time.Duration
	leaked    bool
	createdBy string
}

// reducer turns samples into per-site values as they are decoded, so that no
// full profile has to be kept.
type reducer struct {
	err error // the first sample past the site cap
	// mergeStacks sums samples with the same stack (by function names)
	// before choosing a site's heaviest stack: a goroutine dump has one
	// sample per goroutine. Profiles, whose samples are already one per
	// stack, keep the heaviest sample (as the lean decoder does).
	mergeStacks bool
	stacks      int // distinct stacks kept, in all sites
	saturated   int // sums held at the int64 bounds (addSat)
	policy      *SitePolicy
	nvals       int
	sites       map[Site]*siteAcc
	machinery   map[string]bool
	labels      map[string]map[string]int
}

type siteAcc struct {
	values []int64
	stacks map[string]*stackAcc
	states map[string]int
	wait   time.Duration
	leaked int
	hasG   bool
}

type stackAcc struct {
	stack     Stack
	value     int64
	createdBy string
	set       bool // value holds a sample's (heaviest-sample mode)
}

func newReducer(p *SitePolicy, nvals int) *reducer {
	return &reducer{policy: p, nvals: nvals, sites: map[Site]*siteAcc{}, machinery: map[string]bool{}}
}

func (r *reducer) siteIndex(stk Stack) int {
	if r.policy.Mode != SiteAuto {
		return r.policy.SiteIndex(stk)
	}
	if len(stk) == 0 {
		return -1
	}
	for i, f := range stk {
		m, ok := r.machinery[f.Function]
		if !ok {
			m = r.policy.IsMachinery(f.Function)
			r.machinery[f.Function] = m
		}
		if !m {
			return i
		}
	}
	return fallbackIndex(stk)
}

// addLabel counts one sample label, to find the dominant value per key.
func (r *reducer) addLabel(k, v string) {
	k, v = Printable(k), Printable(v)
	if r.labels == nil {
		r.labels = map[string]map[string]int{}
	}
	m := r.labels[k]
	if m == nil {
		if len(r.labels) >= r.policy.siteCap() {
			r.err = tooManySites("label keys", r.policy.siteCap())
			return
		}
		m = map[string]int{}
		r.labels[k] = m
	}
	if _, ok := m[v]; !ok && len(m) >= r.policy.siteCap() {
		r.err = tooManySites("values of label "+strconv.Quote(k), r.policy.siteCap())
		return
	}
	m[v]++
}

// add accounts one sample. vals has r.nvals entries; stk is leaf first and
// may be reused by the caller after the call.
func (r *reducer) add(stk Stack, vals []int64, g *goroutineSample) {
	stk = trimStack(stk)
	site := siteAt(r.policy, stk, r.siteIndex(stk))
	acc := r.sites[site]
	if acc == nil {
		if len(r.sites) >= r.policy.siteCap() {
			r.err = tooManySites("sites", r.policy.siteCap())
			return
		}
		acc = &siteAcc{values: make([]int64, r.nvals), stacks: map[string]*stackAcc{}}
		r.sites[site] = acc
	}
	for i, v := range vals {
		addSat(&acc.values[i], v, &r.saturated)
	}
	key := ""
	if r.mergeStacks {
		key = stk.Key()
	}
	sa := acc.stacks[key]
	if sa == nil {
		if r.stacks++; r.stacks > r.policy.siteCap() {
			r.err = tooManySites("distinct stacks", r.policy.siteCap())
			return
		}
		// Callers reuse stk: keep a copy.
		sa = &stackAcc{stack: append(Stack(nil), stk...)}
		acc.stacks[key] = sa
	}
	switch v := int64(0); {
	case r.mergeStacks:
		if len(vals) > 0 {
			addSat(&sa.value, vals[0], &r.saturated)
		}
	default:
		// One slot per site: the heaviest sample so far, ties to the
		// smaller key.
		if len(vals) > 0 {
			v = vals[0]
		}
		if !sa.set || v > sa.value || v == sa.value && lessStack(stk, sa.stack) {
			sa.stack, sa.value, sa.set = append(sa.stack[:0], stk...), v, true
		}
	}
	if g != nil {
		acc.hasG = true
		if acc.states == nil {
			acc.states = map[string]int{}
		}
		acc.states[g.state]++
		acc.wait = max(acc.wait, g.wait)
		if g.leaked {
			acc.leaked++
		}
		if sa.createdBy == "" {
			sa.createdBy = g.createdBy
		}
	}
}

// finish returns the sites sorted by Site, and the totals.
func (r *reducer) finish() ([]SiteValue, []int64, error) {
	if r.err != nil {
		return nil, nil, r.err
	}
	totals := make([]int64, r.nvals)
	out := make([]SiteValue, 0, len(r.sites))
	for site, acc := range r.sites {
		for i, v := range acc.values {
			addSat(&totals[i], v, &r.saturated)
		}
		var best *stackAcc
		var bestKey string
		for k, sa := range acc.stacks {
			if best == nil || sa.value > best.value || sa.value == best.value && k < bestKey {
				best, bestKey = sa, k
			}
		}
		sv := SiteValue{Site: site, Values: acc.values, Stack: best.stack, StackValue: best.value}
		if acc.hasG {
			gi := &GoroutineInfo{MaxWait: acc.wait, Leaked: acc.leaked, CreatedBy: best.createdBy}
			for st, n := range acc.states {
				gi.States = append(gi.States, StateCount{State: st, Count: n})
			}
			slices.SortFunc(gi.States, func(a, b StateCount) int {
				if c := cmp.Compare(b.Count, a.Count); c != 0 {
					return c
				}
				return cmp.Compare(a.State, b.State)
			})
			sv.Goroutines = gi
		}
		out = append(out, sv)
	}
	slices.SortFunc(out, func(a, b SiteValue) int { return a.Site.Compare(b.Site) })
	return out, totals, nil
}

// dominantLabels returns, per label key, the most frequent value (ties by
// value).
func (r *reducer) dominantLabels() map[string]string {
	if len(r.labels) == 0 {
		return nil
	}
	out := make(map[string]string, len(r.labels))
	for k, m := range r.labels {
		best, bn := "", -1
		for v, n := range m {
			if n > bn || n == bn && v < best {
				best, bn = v, n
			}
		}
		out[k] = best
	}
	return out
}

// addSat adds v to *dst, holding the sum at the int64 bounds rather than
// wrapping (two samples of 2^63−1 sum to 2^63−1, not −2), and counts each
// saturation in *n for a note.
func addSat(dst *int64, v int64, n *int) {
	s := *dst + v
	if (*dst >= 0) == (v >= 0) && (s >= 0) != (v >= 0) {
		s = math.MaxInt64
		if v < 0 {
			s = math.MinInt64
		}
		*n++
	}
	*dst = s
}

// saturationNote is the note for n saturated sums.
func saturationNote(n int) string {
	return fmt.Sprintf("%d sum(s) of values passed the int64 range and were held at its bound (2^63−1): these values are a floor", n)
}

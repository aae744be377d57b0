package diff

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/leakdiff/leakdiff/profile"
)

// site is a synthetic site: its name, stack (leaf first, the site
// included) and values.
type site struct {
	fn    string
	stack []string
	v     []int64
}

// seriesOf builds a series of one source, a minute apart.
func seriesOf(source string, kind profile.Kind, metric profile.Metric, sites ...site) profile.Series {
	n := len(sites[0].v)
	s := profile.Series{Source: source, Kind: kind, Metric: metric, Times: make([]time.Time, n), TimesKnown: true,
		Totals: make([]int64, n), Segments: []profile.Segment{{Start: 0}}}
	t0 := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	for i := range s.Times {
		s.Times[i] = t0.Add(time.Duration(i) * 5 * time.Minute)
	}
	for _, st := range sites {
		var stk profile.Stack
		for _, f := range st.stack {
			stk = append(stk, profile.Frame{Function: f})
		}
		ss := profile.NewSiteSeries(profile.Site{Function: st.fn}, st.v)
		ss.Stack = stk
		s.Sites = append(s.Sites, ss)
		for i, v := range st.v {
			s.Totals[i] += v
		}
	}
	return s
}

// ramp is a leak of per goroutines per snapshot from base, with a seeded
// jitter of the increments when jitter > 0.
func ramp(n int, base, per int64, jitter float64, seed uint64) []int64 {
	r := rand.New(rand.NewPCG(seed, 9))
	v := make([]int64, n)
	v[0] = base
	for i := 1; i < n; i++ {
		d := per
		if jitter > 0 {
			d += int64(r.NormFloat64() * jitter * float64(per))
		}
		v[i] = v[i-1] + max(d, 0)
	}
	return v
}

var (
	goroutines = profile.Metric{Name: "goroutines", Unit: "count"}
	inuse      = profile.Metric{Name: "inuse_space", Unit: "bytes"}
)

// groups analyses set, groups with rules from ruleOf (by site function)
// and returns each site's lead's site function.
func groups(t *testing.T, set *profile.Set, rule map[string]string) map[string]string {
	t.Helper()
	a := Analyze(set, Options{})
	a.Group(func(f *Finding) string { return rule[a.site(f).Function] })
	out := map[string]string{}
	for i := range a.Findings {
		f := &a.Findings[i]
		s := a.Series[f.Series].Series
		key := s.Kind.String() + " " + a.site(f).Function
		lead := key
		if g := f.GroupedInto; g != nil {
			ls := a.Series[g.Series].Series
			lead = ls.Kind.String() + " " + ls.Sites[g.Site].Site.Function
		}
		out[key] = lead
	}
	return out
}

func TestGroup(t *testing.T) {
	t.Parallel()
	const n = 24
	flat := func(v int64) []int64 {
		out := make([]int64, n)
		for i := range out {
			out[i] = v
		}
		return out
	}
	tests := []struct {
		name string
		set  *profile.Set
		rule map[string]string
		// together and apart list pairs of "kind site" keys.
		together, apart [][2]string
	}{
		{
			name: "equal_goroutine_counts_one_chain",
			set: &profile.Set{Series: []profile.Series{seriesOf("svc", profile.KindGoroutine, goroutines,
				site{"lib.(*Sub).reader", []string{"runtime.gopark", "lib.(*Sub).reader"}, ramp(n, 2, 2, 0, 1)},
				site{"lib.(*Sub).dispatch", []string{"runtime.gopark", "lib.(*Sub).dispatch"}, ramp(n, 2, 2, 0, 1)},
				site{"main.handle", []string{"runtime.gopark", "main.handle"}, ramp(n, 2, 2, 0, 1)},
				site{"main.poolWorker", []string{"runtime.gopark", "main.poolWorker"}, flat(8)},
			)}},
			together: [][2]string{{"goroutine lib.(*Sub).reader", "goroutine lib.(*Sub).dispatch"}, {"goroutine lib.(*Sub).reader", "goroutine main.handle"}},
		},
		{
			name: "closure_in_stack",
			set: &profile.Set{Series: []profile.Series{seriesOf("svc", profile.KindGoroutine, goroutines,
				site{"lib.pipe", []string{"io.Copy", "lib.pipe", "lib.clientDial"}, ramp(n, 2, 3, 0.3, 2)},
				site{"lib.(*buf).Read", []string{"sync.(*Cond).Wait", "lib.(*buf).Read", "io.Copy", "lib.pipe.func2"}, ramp(n, 2, 3, 0.3, 2)},
			)}},
			together: [][2]string{{"goroutine lib.pipe", "goroutine lib.(*buf).Read"}},
		},
		{
			name: "two_heap_leaks_different_code",
			set: &profile.Set{Series: []profile.Series{seriesOf("svc", profile.KindHeap, inuse,
				site{"main.(*AuditLog).Append", []string{"main.(*AuditLog).Append", "main.handleRequest", "main.main"}, ramp(n, 1<<20, 300<<10, 0.4, 3)},
				site{"main.(*Limiters).Get", []string{"main.(*Limiters).Get", "main.handleRequest", "main.main"}, ramp(n, 64<<10, 10<<10, 0.4, 4)},
			)}},
			apart: [][2]string{{"heap main.(*AuditLog).Append", "heap main.(*Limiters).Get"}},
		},
		{
			name: "different_rules_never",
			set: &profile.Set{Series: []profile.Series{seriesOf("svc", profile.KindGoroutine, goroutines,
				site{"main.tick", []string{"runtime.gopark", "time.Sleep", "main.tick"}, ramp(n, 2, 2, 0, 1)},
				site{"net/http.(*persistConn).readLoop", []string{"runtime.gopark", "net/http.(*persistConn).readLoop"}, ramp(n, 2, 2, 0, 1)},
			)}},
			rule:  map[string]string{"main.tick": "ticker-not-stopped", "net/http.(*persistConn).readLoop": "http-body-not-closed"},
			apart: [][2]string{{"goroutine main.tick", "goroutine net/http.(*persistConn).readLoop"}},
		},
		{
			name: "descriptors_join_one_leak_and_chain_none",
			set: &profile.Set{Series: []profile.Series{
				seriesOf("svc", profile.KindGoroutine, goroutines,
					site{"main.watch", []string{"runtime.gopark", "main.watch"}, ramp(n, 2, 4, 0.3, 5)},
					site{"main.poll", []string{"runtime.gopark", "main.poll"}, ramp(n, 2, 2, 0.3, 6)},
				),
				seriesOf("svc", profile.KindHeap, inuse,
					site{"runtime.systemstack", []string{"runtime.mallocgc", "runtime.malg", "runtime.newproc1", "runtime.systemstack"}, ramp(n, 64<<10, 6<<10, 0.1, 7)},
				),
			}},
			apart:    [][2]string{{"goroutine main.watch", "goroutine main.poll"}},
			together: [][2]string{{"goroutine main.watch", "heap runtime.systemstack"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := groups(t, tt.set, tt.rule)
			for _, p := range tt.together {
				if g[p[0]] == "" || g[p[0]] != g[p[1]] {
					t.Errorf("%s and %s: leads %q and %q, want one group", p[0], p[1], g[p[0]], g[p[1]])
				}
			}
			for _, p := range tt.apart {
				if g[p[0]] == "" || g[p[0]] == g[p[1]] {
					t.Errorf("%s and %s: leads %q and %q, want two findings", p[0], p[1], g[p[0]], g[p[1]])
				}
			}
		})
	}
}

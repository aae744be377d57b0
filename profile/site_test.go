package profile

import (
	"regexp"
	"testing"
)

func stack(fns ...string) Stack {
	s := make(Stack, len(fns))
	for i, f := range fns {
		s[i] = Frame{Function: f, File: "/src/" + f + ".go", Line: 10 + i}
	}
	return s
}

func TestSiteOf(t *testing.T) {
	t.Parallel()
	remotedialer := stack(
		"runtime.gopark", "runtime.netpollblock", "internal/poll.runtime_pollWait",
		"internal/poll.(*pollDesc).wait", "internal/poll.(*FD).Read", "net.(*conn).Read",
		"bufio.(*Reader).fill", "bufio.(*Reader).Read",
		"github.com/rancher/remotedialer.(*readBuffer).Read", "io.copyBuffer", "io.Copy",
		"github.com/rancher/remotedialer.pipe.func2",
	)
	persistConn := stack("runtime.gopark", "runtime.selectgo", "net/http.(*persistConn).readLoop")
	heap := stack("runtime.mallocgc", "runtime.growslice", "example.com/app/cache.(*Store).Put", "main.main", "runtime.main")
	rust := stack("malloc", "alloc::raw_vec::finish_grow", "<alloc::vec::Vec<T> as core::clone::Clone>::clone", "myapp::cache::insert", "main")
	cpp := stack("tc_new", "std::vector<int>::_M_realloc_insert", "Server::HandleRequest", "main")
	java := stack("java.util.HashMap.resize", "java.util.HashMap.putVal", "com.example.SessionStore.add", "java.lang.Thread.run")
	tests := []struct {
		name   string
		policy SitePolicy
		stk    Stack
		want   Site
	}{
		{"remotedialer_under_bufio", DefaultSitePolicy(), remotedialer, Site{Function: "github.com/rancher/remotedialer.(*readBuffer).Read"}},
		{"all_stdlib_goroutine_entry", DefaultSitePolicy(), persistConn, Site{Function: "net/http.(*persistConn).readLoop"}},
		{"heap_skips_mallocgc", DefaultSitePolicy(), heap, Site{Function: "example.com/app/cache.(*Store).Put"}},
		{"rust_allocator", DefaultSitePolicy(), rust, Site{Function: "myapp::cache::insert"}},
		{"cpp_allocator", DefaultSitePolicy(), cpp, Site{Function: "Server::HandleRequest"}},
		{"jvm", DefaultSitePolicy(), java, Site{Function: "com.example.SessionStore.add"}},
		{"leaf", SitePolicy{Mode: SiteLeaf}, heap, Site{Function: "runtime.mallocgc"}},
		{"regexp", SitePolicy{Mode: SiteMatch, Match: regexp.MustCompile(`remotedialer\.pipe`)}, remotedialer, Site{Function: "github.com/rancher/remotedialer.pipe.func2"}},
		{"regexp_no_match_falls_back", SitePolicy{Mode: SiteMatch, Match: regexp.MustCompile(`nothing`)}, heap, Site{Function: "example.com/app/cache.(*Store).Put"}},
		{"line_granularity", SitePolicy{Granularity: ByLine}, heap, Site{Function: "example.com/app/cache.(*Store).Put", File: "app/cache.(*Store).Put.go", Line: 12}},
		{"user_skip", SitePolicy{Machinery: append(DefaultMachinery(), RegexpRule("u", "", regexp.MustCompile(`cache`)))}, heap, Site{Function: "main.main"}},
		{"empty", DefaultSitePolicy(), nil, Site{Function: "(no stack)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.policy.SiteOf(tt.stk); got != tt.want {
				t.Errorf("SiteOf = %+v, want %+v", got, tt.want)
			}
			// The reducer's cached path must agree with SiteOf.
			r := newReducer(&tt.policy, 1)
			r.add(tt.stk, []int64{1}, nil)
			sites, _, _ := r.finish()
			if len(sites) != 1 || sites[0].Site != tt.want {
				t.Errorf("reducer site = %+v, want %+v", sites, tt.want)
			}
		})
	}
}

func TestDefaultMachineryHasReasons(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, r := range DefaultMachinery() {
		if r.ID == "" || r.Why == "" || r.Match == nil {
			t.Errorf("rule %+v lacks an id, a reason or a matcher", r)
		}
		if seen[r.ID] {
			t.Errorf("duplicate rule id %q", r.ID)
		}
		seen[r.ID] = true
	}
}

func TestReducerAggregatesFlatAtSite(t *testing.T) {
	t.Parallel()
	p := DefaultSitePolicy()
	r := newReducer(&p, 2)
	a := stack("runtime.mallocgc", "example.com/app.leak", "example.com/app.handlerA")
	b := stack("runtime.mallocgc", "example.com/app.leak", "example.com/app.handlerB")
	c := stack("runtime.mallocgc", "example.com/app.other", "example.com/app.handlerA")
	r.add(a, []int64{100, 1}, nil)
	r.add(b, []int64{300, 3}, nil)
	r.add(a, []int64{50, 1}, nil)
	r.add(c, []int64{7, 1}, nil)
	sites, totals, _ := r.finish()
	if len(sites) != 2 {
		t.Fatalf("got %d sites, want 2: %+v", len(sites), sites)
	}
	leak := sites[0]
	if leak.Site.Function != "example.com/app.leak" || leak.Values[0] != 450 || leak.Values[1] != 5 {
		t.Errorf("leak site = %+v, want example.com/app.leak with 450 bytes, 5 objects", leak)
	}
	if leak.Stack.Key() != b.Key() || leak.StackValue != 300 {
		t.Errorf("representative stack = %v (%d), want handlerB's (300)", leak.Stack.Functions(), leak.StackValue)
	}
	if totals[0] != 457 || totals[1] != 6 {
		t.Errorf("totals = %v, want [457 6]", totals)
	}
}

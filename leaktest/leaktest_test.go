package leaktest_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leakdiff/leakdiff/diff"
	"github.com/leakdiff/leakdiff/leaktest"
	"github.com/leakdiff/leakdiff/profile"
)

// recorder is a leaktest.TB that records failures instead of failing the
// test, so that a test can assert that Check fails a leaking workload.
type recorder struct {
	errors []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

const pkg = "github.com/leakdiff/leakdiff/leaktest_test."

// blockOn is the goroutine leakGoroutines leaves behind: it waits for a
// channel that is closed only when the test ends.
//
//go:noinline
func blockOn(stop chan struct{}) { <-stop }

// leakGoroutine starts a goroutine per call that nothing ends while the
// workload runs.
//
//go:noinline
func leakGoroutine(stop chan struct{}) { go blockOn(stop) }

// kept is what leakHeap appends to: it only grows (until the test resets it).
var kept [][]byte

// leakHeap keeps 64 bytes per call in a global slice.
//
//go:noinline
func leakHeap() { kept = append(kept, make([]byte, 64)) }

var sink any

// churn allocates about 8 KiB per call (a map, strings, a buffer, a sorted
// slice) and keeps none of it beyond the next call.
//
//go:noinline
func churn() {
	m := make(map[string]int, 16)
	for i := range 64 {
		m[strconv.Itoa(i)] = i
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	buf := make([]byte, 4096)
	copy(buf, strings.Join(keys, ","))
	sink = buf
}

// find returns the growth per call at site fn of kind, whether a finding
// of its own or grouped under another as one leak (a goroutine leak's heap
// may lead it), and whether it was found.
func find(r *leaktest.Result, kind profile.Kind, fn string) (float64, bool) {
	for _, f := range r.Findings {
		if f.Kind == kind && f.Site.Function == fn {
			return f.PerCall, true
		}
		for _, m := range f.Related {
			if m.Kind == kind && m.Site.Function == fn {
				return m.PerCall, true
			}
		}
	}
	return 0, false
}

func TestLeakingGoroutine(t *testing.T) {
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	rec := &recorder{}
	r := leaktest.Check(rec, func() { leakGoroutine(stop) }, leaktest.Duration(5*time.Second), leaktest.MaxCalls(2000))
	if r == nil {
		t.Fatalf("Check returned no result: %q", rec.errors)
	}
	site := pkg + "blockOn"
	perCall, ok := find(r, profile.KindGoroutine, site)
	if !ok {
		t.Fatalf("no goroutine finding at %s among %+v (%d calls)", site, r.Findings, r.Calls)
	}
	if perCall < 0.5 || perCall > 2 {
		t.Errorf("%s: %.2f goroutines per call, want about 1", site, perCall)
	}
	if len(rec.errors) != len(r.Findings) || len(rec.errors) == 0 {
		t.Fatalf("Check reported %d failure(s) for %d finding(s): %q", len(rec.errors), len(r.Findings), rec.errors)
	}
	msg := strings.Join(rec.errors, "\n")
	for _, want := range []string{"goroutines grow by", "per call at " + site, "stack:", "leaktest_test.go:"} {
		if !strings.Contains(msg, want) {
			t.Errorf("failure message lacks %q:\n%s", want, msg)
		}
	}
}

func TestLeakingHeap(t *testing.T) {
	t.Cleanup(func() { kept = nil })
	rec := &recorder{}
	r := leaktest.Check(rec, leakHeap)
	if r == nil {
		t.Fatalf("Check returned no result: %q", rec.errors)
	}
	site := pkg + "leakHeap"
	perCall, ok := find(r, profile.KindHeap, site)
	if !ok {
		t.Fatalf("no heap finding at %s among %+v (%d calls)", site, r.Findings, r.Calls)
	}
	// 64 bytes per call, plus the slice's share of its backing array
	// (24 to 48 bytes): sampled, so only roughly.
	if perCall < 32 || perCall > 512 {
		t.Errorf("%s: %.0f bytes per call, want about 100", site, perCall)
	}
	if len(rec.errors) == 0 {
		t.Fatal("Check reported no failure")
	}
	if msg := strings.Join(rec.errors, "\n"); !strings.Contains(msg, "heap grows by") || !strings.Contains(msg, "per call at "+site) {
		t.Errorf("failure message lacks the heap finding at %s:\n%s", site, msg)
	}
}

func TestCleanChurn(t *testing.T) {
	rec := &recorder{}
	r := leaktest.Check(rec, churn)
	if r == nil {
		t.Fatalf("Check returned no result: %q", rec.errors)
	}
	if len(rec.errors) > 0 {
		t.Errorf("Check failed a clean workload (%d calls, %d warm-up):\n%s", r.Calls, r.WarmUp, strings.Join(rec.errors, "\n"))
	}
	if r.Calls == 0 {
		t.Error("no call during the soak")
	}
	for _, f := range r.Findings {
		if strings.Contains(f.Site.Function, "leakdiff/leakdiff/profile.") || strings.HasPrefix(f.Site.Function, "github.com/leakdiff/leakdiff/leaktest.") {
			t.Errorf("the package's own memory reported: %s", &f)
		}
	}
}

// TestIgnoreSites checks that an ignored site does not fail the test.
func TestIgnoreSites(t *testing.T) {
	t.Cleanup(func() { kept = nil })
	rec := &recorder{}
	r := leaktest.Check(rec, leakHeap, leaktest.Duration(time.Second), leaktest.IgnoreSites(`\.leakHeap$`))
	if r == nil {
		t.Fatalf("Check returned no result: %q", rec.errors)
	}
	if _, ok := find(r, profile.KindHeap, pkg+"leakHeap"); ok {
		t.Errorf("ignored site reported: %+v", r.Findings)
	}
}

func TestInvalidOptions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opt  leaktest.Option
		want string
	}{
		{"zero_duration", leaktest.Duration(0), "duration 0s out of range"},
		{"long_duration", leaktest.Duration(time.Hour), "duration 1h0m0s out of range"},
		{"few_snapshots", leaktest.Snapshots(3), "3 snapshots out of range"},
		{"few_calls", leaktest.MaxCalls(2), "max calls 2"},
		{"negative_warm_up", leaktest.WarmUp(-1), "warm-up of -1 calls"},
		{"negative_rate", leaktest.MemProfileRate(-1), "memory profile rate -1"},
		{"bad_severity", leaktest.MinSeverity(diff.Severity(9)), "minimum severity 9"},
		{"bad_regexp", leaktest.IgnoreSites("("), "ignore sites: error parsing regexp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{}
			calls := 0
			if r := leaktest.Check(rec, func() { calls++ }, tc.opt); r != nil {
				t.Errorf("Check returned a result for invalid options")
			}
			if len(rec.errors) != 1 || !strings.Contains(rec.errors[0], tc.want) {
				t.Errorf("errors = %q, want one containing %q", rec.errors, tc.want)
			}
			if calls != 0 {
				t.Errorf("workload called %d times with invalid options", calls)
			}
		})
	}
}

func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	_, err := leaktest.Run(ctx, func() {
		calls++
		if calls == 10 {
			cancel()
		}
	})
	if err != context.Canceled {
		t.Errorf("Run = %v, want %v", err, context.Canceled)
	}
}

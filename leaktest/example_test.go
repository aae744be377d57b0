package leaktest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/leakdiff/leakdiff/leaktest"
	"github.com/leakdiff/leakdiff/profile"
)

// worker waits for a job that never comes.
func worker(jobs chan int) {
	for range jobs {
	}
}

// startWorker starts a worker per call and forgets to close its channel.
func startWorker() {
	go worker(make(chan int))
}

func ExampleRun() {
	r, err := leaktest.Run(context.Background(), startWorker, leaktest.Duration(time.Second), leaktest.MaxCalls(1000))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range r.Findings {
		if f.Kind == profile.KindGoroutine {
			fmt.Printf("%s: %.0f goroutine per call, started by %s\n", f.Site.Function, f.PerCall, f.CreatedBy)
			fmt.Printf("rule %s: %s\n", f.Rule, f.RuleTitle)
		}
	}
	// Output:
	// github.com/leakdiff/leakdiff/leaktest_test.worker: 1 goroutine per call, started by github.com/leakdiff/leakdiff/leaktest_test.startWorker
	// rule blocked-channel-goroutines: Goroutines blocked forever on a channel
}

// A test calls Check with its *testing.T and a workload: one call of the
// code under test. Check fails the test with each leak it finds.
func ExampleCheck() {
	testHandler := func(t *testing.T) {
		cache := map[string]string{}
		get := func(k string) string {
			if v, ok := cache[k]; ok {
				return v
			}
			cache[k] = k + "!" // one key only: filled once, in the warm-up
			return cache[k]
		}
		leaktest.Check(t, func() { get("key") },
			leaktest.Duration(5*time.Second),
			leaktest.IgnoreSites(`^example\.com/app/metrics\.`))
	}
	_ = testHandler // func TestHandler(t *testing.T) in a _test.go file
}

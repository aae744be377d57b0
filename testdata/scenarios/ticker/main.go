// Regenerate:
//
//	cd testdata/scenarios && go run ./ticker -out ../fixtures/ticker
//
// Command ticker is a status poller: for each job request, startPolling makes
// a time.Ticker and starts go pollStatus(...), which ranges over ticker.C
// forever. Nothing stops the ticker or ends the goroutine when the job is
// done, so goroutines (and their timers) accumulate with every request.
package main

import (
	"sync/atomic"
	"time"

	"github.com/leakdiff/leakdiff/testdata/scenarios/internal/snap"
)

const requestsPerTick = 25

var polls atomic.Int64

// Job is one submitted job whose status is polled.
type Job struct {
	ID   int
	Done atomic.Bool
}

// startPolling starts the poller of one job. BUG (the leak): the ticker is
// never stopped and pollStatus has no way out.
func startPolling(job *Job) {
	t := time.NewTicker(2 * time.Second)
	go pollStatus(t, job)
}

// pollStatus checks the job on every tick, forever (even once it is done).
func pollStatus(t *time.Ticker, job *Job) {
	for range t.C {
		if job.Done.Load() {
			continue // should have been: t.Stop(); return
		}
		polls.Add(1)
	}
}

func main() {
	snap.Main(snap.Options{
		Out: "out", Source: "poller", N: 16, Every: time.Second,
		SimInterval: 5 * time.Minute, SimStart: time.Date(2026, 11, 24, 18, 0, 0, 0, time.UTC),
		Formats: "proto",
	}, nil, func(o *snap.Options) (func(int), error) {
		id := 0
		return func(i int) {
			for range requestsPerTick {
				id++
				job := &Job{ID: id}
				startPolling(job)
				job.Done.Store(true) // the job finishes quickly; its poller does not
			}
		}, nil
	})
}

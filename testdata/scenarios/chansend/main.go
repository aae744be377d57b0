// Regenerate:
//
//	cd testdata/scenarios && go run ./chansend -out ../fixtures/chansend
//
// Command chansend is an API whose request handler computes a quote in a
// goroutine, go resultSender(...), and waits for it with a deadline. When the
// deadline passes first the handler returns an error and nobody ever receives
// from the unbuffered result channel: resultSender blocks forever on its send.
// Fast requests (most of them) finish in time and leave nothing behind.
package main

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/leakdiff/leakdiff/testdata/scenarios/internal/snap"
)

const requestsPerTick = 40

// Quote is the result of a pricing computation.
type Quote struct {
	Symbol string
	Price  float64
	Legs   []float64
}

// resultSender computes a quote and sends it to the handler. BUG (the leak):
// the channel is unbuffered and the handler may have given up, so the send
// can block forever.
func resultSender(ch chan<- Quote, symbol string, work time.Duration) {
	time.Sleep(work)
	ch <- Quote{Symbol: symbol, Price: 101.5, Legs: make([]float64, 64)}
}

// handleQuote serves one request with a deadline.
func handleQuote(ctx context.Context, symbol string, work time.Duration) (Quote, error) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	ch := make(chan Quote) // unbuffered: the fix is make(chan Quote, 1)
	go resultSender(ch, symbol, work)
	select {
	case q := <-ch:
		return q, nil
	case <-ctx.Done():
		return Quote{}, errors.New("quote: deadline exceeded")
	}
}

func main() {
	snap.Main(snap.Options{
		Out: "out", Source: "api", N: 25, Every: 700 * time.Millisecond,
		SimInterval: time.Minute, SimStart: time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC),
		Formats: "proto,debug2", GC: true, ViaHTTP: true,
	}, nil, func(o *snap.Options) (func(int), error) {
		rng := rand.New(rand.NewPCG(7, 7))
		return func(i int) {
			var wg sync.WaitGroup
			for n := range requestsPerTick {
				// One request in five hits a slow pricing path.
				work := time.Duration(1+rng.IntN(5)) * time.Millisecond
				if n%5 == 0 {
					work = 60 * time.Millisecond
				}
				wg.Go(func() { handleQuote(context.Background(), "SYM", work) })
			}
			wg.Wait()
		}, nil
	})
}

// Command ctxleak reproduces the most common context leak: a request handler
// derives a cancellable context (context.WithTimeout) from a long-lived
// context and drops the cancel func on one path. The parent here is the
// service's own context type (it wraps a shutdown channel and carries the
// tenant; many frameworks hand out such contexts), so the standard library
// cannot link the child to it and starts a goroutine per child
// (context.(*cancelCtx).propagateCancel.func2) that waits for either to end;
// neither ever does, and each goroutine keeps its context, timer and request
// state. go vet's lostcancel check finds the plain form of this bug; here
// cancel is kept in the request, as real handlers keep it, and vet cannot.
//
// With -cancel the handler calls cancel (defer cancel()): the control.
//
// Regenerate:
//
//	cd testdata/scenarios && go run ./ctxleak -out ../fixtures/ctxleak
package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/leakdiff/leakdiff/testdata/scenarios/internal/snap"
)

// serviceContext is the service's long-lived context: done at shutdown.
type serviceContext struct {
	done   chan struct{}
	tenant string
}

func (c *serviceContext) Deadline() (time.Time, bool) { return time.Time{}, false }
func (c *serviceContext) Done() <-chan struct{}       { return c.done }
func (c *serviceContext) Err() error {
	select {
	case <-c.done:
		return context.Canceled
	default:
		return nil
	}
}
func (c *serviceContext) Value(key any) any {
	if key == tenantKey {
		return c.tenant
	}
	return nil
}

type ctxKey int

const tenantKey ctxKey = 0

// request is what a handler keeps while it works; finish releases it.
type request struct {
	id      int
	payload []byte
	cancel  context.CancelFunc
}

func (r *request) finish() { r.cancel() }

// cancelEach is -cancel: finish every request, cancelling its context.
var cancelEach = new(bool)

// handle serves one request with a deadline derived from the service
// context. BUG (the leak): the cache-hit path returns before the request is
// finished, so its context is never cancelled and stays registered with its
// parent (go vet's lostcancel check cannot see it: cancel is kept in the
// request).
func handle(base context.Context, id int) int {
	ctx, cancel := context.WithTimeout(base, 24*time.Hour)
	req := &request{id: id, payload: make([]byte, 2<<10), cancel: cancel}
	if *cancelEach {
		defer req.finish()
	}
	ctx = context.WithValue(ctx, ctxKey(1), req)
	if id%3 == 0 { // a cache hit: the early return that skips finish
		return lookup(ctx)
	}
	if !*cancelEach {
		defer req.finish()
	}
	return lookup(ctx) + len(req.payload)
}

func lookup(ctx context.Context) int {
	if r, ok := ctx.Value(ctxKey(1)).(*request); ok {
		return r.id
	}
	return 0
}

// churn is steady short-lived work beside the leak.
func churn(n int) int {
	sum := 0
	for i := range n {
		b := make([]byte, 4<<10)
		b[i%len(b)] = byte(i)
		sum += int(b[0])
	}
	return sum
}

func main() {
	snap.Main(snap.Options{
		Source: "api", N: 24, Every: 400 * time.Millisecond, SimInterval: 5 * time.Minute,
		SimStart: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC), Formats: "proto,debug2", GC: true, MemProfileRate: 64 << 10,
	}, func(fs *flag.FlagSet) {
		fs.BoolVar(cancelEach, "cancel", false, "finish every request, cancelling its context (the control)")
	}, func(*snap.Options) (func(int), error) {
		base := &serviceContext{done: make(chan struct{}), tenant: "acme"}
		next := 0
		return func(i int) {
			for range 60 {
				next++
				handle(base, next)
			}
			if churn(500) < 0 {
				fmt.Println("unreachable")
			}
		}, nil
	})
}

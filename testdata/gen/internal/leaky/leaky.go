// Package leaky contains the classic goroutine leak: a goroutine that
// sends on an unbuffered channel that nobody ever receives from.
package leaky

import (
	"context"
	"runtime/pprof"
)

// Handler pretends to serve requests. Every request leaks one goroutine.
type Handler struct {
	// Labels makes Serve start its goroutine under pprof.Do so the leaked
	// goroutines carry the label handler=leaky in goroutine profiles.
	Labels bool
}

// Serve starts worker and forgets about it. The result channel is local and
// never read, so worker blocks forever in chansend. Nothing else references
// the channel, which also makes the leak visible to the runtime's
// goroutineleak detector (GOEXPERIMENT=goroutineleakprofile).
func (h *Handler) Serve(req int) {
	result := make(chan int)
	if !h.Labels {
		go worker(req, result)
		return
	}
	pprof.Do(context.Background(), pprof.Labels("handler", "leaky"), func(context.Context) {
		go worker(req, result) // inherits the labels of the calling goroutine
	})
}

// worker is the leak site that shows up at the top of goroutine stacks
// (below runtime.gopark / runtime.chansend1).
func worker(req int, result chan<- int) {
	result <- req * 2 // blocks forever: no receiver
}

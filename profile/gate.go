package profile

import (
	"bytes"
	"sync"
)

// A Gate lets one large input at a time (over 16 MiB, on disk or
// inflated) be held in memory, whatever the number of workers: memory for
// a run is then bounded by workers × 16 MiB (read and inflated) plus one
// snapshot of up to DecodeOptions.MaxBytes, with the tables decoding
// builds from them. The gate keeps the large buffers for the next holder:
// a series of large snapshots reuses them rather than leaving the garbage
// collector hundreds of MB to catch up with. Load makes one for its
// workers; callers that decode in parallel themselves share one through
// DecodeOptions.Gate.
type Gate struct {
	mu            sync.Mutex
	file, content bytes.Buffer
}

// hold is one decode's use of a gate: taken at most once, given back by
// release. A nil gate never blocks.
type hold struct {
	g    *Gate
	held bool
}

func (h *hold) take() {
	if h == nil || h.g == nil || h.held {
		return
	}
	h.g.mu.Lock()
	h.held = true
}

// buffers returns the gate's buffers while it is held, else nil ones.
func (h *hold) buffers() (file, content *bytes.Buffer) {
	if h == nil || !h.held {
		return nil, nil
	}
	return &h.g.file, &h.g.content
}

// adopt takes the gate and moves buf's bytes into the gate's file (or,
// with content, its content) buffer, which it returns; buf itself when
// there is no gate or buf is already that buffer.
func (h *hold) adopt(buf *bytes.Buffer, content bool) *bytes.Buffer {
	h.take()
	gb, cb := h.buffers()
	if content {
		gb = cb
	}
	if gb == nil || gb == buf {
		return buf
	}
	gb.Reset()
	gb.Write(buf.Bytes())
	return gb
}

func (h *hold) release() {
	if h != nil && h.held {
		h.held = false
		h.g.file.Reset()
		h.g.content.Reset()
		h.g.mu.Unlock()
	}
}

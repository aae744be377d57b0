// Regenerate:
//
//	testdata/scenarios/regen.sh timermap timermap-stopped
//
// Command timermap is the presence service of a chat application (standard
// library only): each client connection is a session that must be expired
// when it stays idle, so (*IdleTimers).Touch arms a time.AfterFunc timer per
// session, kept in a map by session id and Reset on every message. An idle
// session's timer fires, and (*Presence).expire removes the session and its
// timer. BUG (the leak): most sessions end by an explicit disconnect, and
// (*Presence).Disconnect removes the session but neither stops nor deletes
// its timer; when that timer fires, expire finds no session and returns,
// so the *time.Timer (with the runtime timer inside it) and its closure
// stay in the map for good. 1250 sessions connect per tick and talk; in
// the next tick 1000 of them disconnect (the other 250 go idle and expire): the
// map gains 1000 timers per tick, about 145 bytes each with the map slot.
//
// -stop-timers stops and deletes the timer on disconnect (the
// timermap-stopped control): the map holds the timers of the sessions open
// now (about 2450: this tick's 1250 and the idle ones not expired yet).
//
// Times are real but stand for simulated ones: a tick (0.6 s) stands for 5
// minutes, and the idle timeout (3 s, plus up to 0.4 s of jitter) for 25
// minutes.
//
// Steady work around the leak: each session sends messages, each message
// is fanned out to a few peers through short-lived buffers, and the session
// state (a roster, a presence status, a small outbox) lives in a map that
// is cleaned on disconnect and on expiry. At start-up the clients of the
// instance this one replaced reconnect at once, 2000 handshakes in their own
// goroutines.
//
// Three runtime effects shaped the program (they are not leaks, but each
// made a control series drift): g structs are never freed, and an AfterFunc
// callback runs in a new goroutine, so without a pool of free gs (here from
// the start-up reconnects) every new peak of concurrent callbacks allocated
// more, a staircase under runtime.mcall; goroutines parked on channels hold
// sudogs, pooled and never freed while in a P's cache, whose sampled bytes
// wandered (an earlier version had a read-loop goroutine per session); and a
// stopped AfterFunc timer stays in its P's timer heap (a "zombie") until its
// deadline or until zombies exceed a quarter of that heap and that P checks
// its timers, so stopping 1000 timers right before a snapshot showed up to a
// few thousand stopped timers still allocated (disconnects now come 20 ms
// before the tick's other work).
package main

import (
	"flag"
	"strconv"
	"sync"
	"time"

	"github.com/leakdiff/leakdiff/testdata/scenarios/internal/snap"
)

const (
	sessionsPerTick  = 1250 // sessions opened per tick
	idleEvery        = 5    // one session in idleEvery goes idle instead of disconnecting
	messagesPerSess  = 4
	fanout           = 6
	idleTimeout      = 3 * time.Second // stands for 25 minutes
	rosterSize       = 24
	reconnectStorm   = 2000 // clients reconnecting at start-up
	outboxBufferSize = 512
)

// IdleTimers expires sessions that stay idle: one timer per session id.
type IdleTimers struct {
	mu     sync.Mutex
	timers map[uint64]*time.Timer
	fire   func(id uint64)
}

// Touch (re)arms the idle timer of a session.
func (t *IdleTimers) Touch(id uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if tm, ok := t.timers[id]; ok {
		tm.Reset(idleTimeout + jitter(id))
		return
	}
	t.timers[id] = time.AfterFunc(idleTimeout+jitter(id), func() { t.fire(id) })
}

// jitter spreads the expiry of sessions opened together (up to 0.4 s,
// standing for 3 minutes).
func jitter(id uint64) time.Duration { return time.Duration(id%101) * 4 * time.Millisecond }

// Forget stops a session's timer and deletes it.
func (t *IdleTimers) Forget(id uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if tm, ok := t.timers[id]; ok {
		tm.Stop()
		delete(t.timers, id)
	}
}

// Len returns the number of timers held.
func (t *IdleTimers) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.timers)
}

// Session is one client connection's state.
type Session struct {
	ID     uint64
	User   int
	Status string
	Roster []uint64 // users whose presence it follows
	Outbox []byte   // pending frames
}

// Presence holds the open sessions.
type Presence struct {
	mu         sync.Mutex
	sessions   map[uint64]*Session
	idle       *IdleTimers
	stopTimers bool
	seq        uint64
	expired    int
}

// NewPresence returns an empty service.
func NewPresence(stopTimers bool) *Presence {
	p := &Presence{sessions: map[uint64]*Session{}, stopTimers: stopTimers}
	p.idle = &IdleTimers{timers: map[uint64]*time.Timer{}, fire: p.expire}
	return p
}

// Connect opens a session.
func (p *Presence) Connect(user int) *Session {
	p.mu.Lock()
	p.seq++
	s := &Session{ID: p.seq, User: user, Status: "online", Roster: make([]uint64, rosterSize), Outbox: make([]byte, 0, outboxBufferSize)}
	for k := range s.Roster {
		s.Roster[k] = uint64(user*31+k) % 50000
	}
	p.sessions[s.ID] = s
	p.mu.Unlock()
	p.idle.Touch(s.ID)
	return s
}

// Message handles one message from a session: the session is active again
// and the message goes to a few peers.
func (p *Presence) Message(s *Session, text string) {
	p.idle.Touch(s.ID)
	frame := make([]byte, 0, 64+len(text))
	frame = append(frame, `{"from":`...)
	frame = strconv.AppendUint(frame, s.ID, 10)
	frame = append(frame, `,"text":"`...)
	frame = append(frame, text...)
	frame = append(frame, `"}`...)
	for k := range fanout {
		out := make([]byte, len(frame)+8) // written to the peer's socket, then garbage
		copy(out, frame)
		_ = s.Roster[k]
	}
}

// Disconnect ends a session its client closed. BUG (the leak): without
// -stop-timers the session's idle timer is neither stopped nor deleted.
func (p *Presence) Disconnect(s *Session) {
	p.mu.Lock()
	delete(p.sessions, s.ID)
	p.mu.Unlock()
	if p.stopTimers {
		p.idle.Forget(s.ID)
	}
}

// expire is the idle timer's callback: it ends a session that stayed idle.
// A session that is gone already is left alone (and so is its timer).
func (p *Presence) expire(id uint64) {
	p.mu.Lock()
	_, ok := p.sessions[id]
	if ok {
		delete(p.sessions, id)
		p.expired++
	}
	p.mu.Unlock()
	if ok {
		p.idle.Forget(id)
	}
}

func main() {
	var stopTimers bool
	snap.Main(snap.Options{
		Out: "out", Source: "presence", N: 30, Every: 600 * time.Millisecond,
		SimInterval: 5 * time.Minute, SimStart: time.Date(2026, 12, 2, 14, 0, 0, 0, time.UTC),
		Formats: "proto", GC: true, MemProfileRate: 32 << 10,
	}, func(fs *flag.FlagSet) {
		fs.BoolVar(&stopTimers, "stop-timers", false, "stop and delete a session's idle timer on disconnect (the fix)")
	}, func(o *snap.Options) (func(int), error) {
		p := NewPresence(stopTimers)
		user := 0
		var last []*Session // sessions of the last tick, ending this tick
		tick := func(i int) {
			// A presence digest first: short-lived allocations (the
			// first allocation after a snapshot is always sampled, as
			// snap toggles MemProfileRate, and should not land on a kept
			// object).
			digest := make([]byte, 0, 64<<10)
			for _, s := range last {
				digest = strconv.AppendUint(digest, s.ID, 10)
			}
			_ = digest
			// Last tick's sessions end: most disconnect, some go idle
			// (their timers expire them).
			for k, s := range last {
				if k%idleEvery != 0 {
					p.Disconnect(s)
				}
			}
			time.Sleep(20 * time.Millisecond) // a quiet moment
			// This tick's sessions connect and talk.
			open := make([]*Session, 0, sessionsPerTick)
			for range sessionsPerTick {
				user++
				open = append(open, p.Connect(user%40000))
			}
			for _, s := range open {
				for m := range messagesPerSess {
					p.Message(s, "tick "+strconv.Itoa(i)+" message "+strconv.Itoa(m))
				}
			}
			last = open
		}
		// Start-up: the clients of the instance this one replaced
		// reconnect at once, each handshake in its own goroutine.
		var wg sync.WaitGroup
		gate := make(chan struct{})
		last = make([]*Session, reconnectStorm)
		for n := range reconnectStorm {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-gate
				s := p.Connect(50000 + n)
				p.Message(s, "resume")
				last[n] = s
			}()
		}
		close(gate)
		wg.Wait()
		// Warm up for longer than the idle timeout, so the first snapshot
		// already holds idle sessions and expiring timers.
		for w := range 10 {
			tick(-10 + w)
			time.Sleep(o.Every)
		}
		return tick, nil
	})
}

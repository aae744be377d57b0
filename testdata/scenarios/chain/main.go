// Regenerate:
//
//	testdata/scenarios/regen.sh chain chain-closed
//
// Command chain is a notification gateway: each client session (a websocket
// in the real thing) subscribes to its user's Redis channel with
// github.com/redis/go-redis/v9 and forwards the events to the client. A
// session runs (*Session).forwardEvents in its own goroutine; forwardEvents
// calls (*redis.PubSub).Channel, which starts two go-redis goroutines per
// subscription, so every session is a chain of three goroutines linked by
// `go` statements:
//
//	main.(*Hub).Open                      go s.forwardEvents(ctx)
//	└ main.(*Session).forwardEvents       parked in select on ctx and the message channel
//	  ├ redis.(*channel).initMsgChan.func1     parked in (*PubSub).Receive, reading the connection
//	  └ redis.(*channel).initHealthCheck.func1 parked in select on its ping timer
//
// A session ends by cancelling the context of forwardEvents, which closes the
// PubSub (its connection and both go-redis goroutines) and returns. BUG (the
// leak): when a client drops its connection, (*Hub).drop closes the client
// side and forgets the session but never cancels it; forwardEvents keeps
// running (write errors are only counted), so the session's goroutine, both
// go-redis goroutines and the subscription's Redis connection stay for good.
// One session in four is dropped rather than closed.
//
// -close-dropped cancels dropped sessions too (the chain-closed control).
//
// The Redis server is github.com/alicebob/miniredis/v2 in a child process
// (this program re-executed with -redis-server, on 127.0.0.1, ending when its
// standard input closes), so the profiles hold the client's goroutines only,
// as they would in production.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/leakdiff/leakdiff/testdata/scenarios/internal/snap"
)

const (
	sessionsPerTick = 4 // sessions opened per tick; each lives one tick
	dropEvery       = 4 // one session in dropEvery ends by a dropped connection
	eventsPerTick   = 60
)

var errClientGone = errors.New("client connection closed")

// ClientConn stands for the session's websocket.
type ClientConn struct {
	closed bool
	sent   int
}

// WriteMessage sends one event to the client.
func (c *ClientConn) WriteMessage(p []byte) error {
	if c.closed {
		return errClientGone
	}
	c.sent += len(p)
	return nil
}

// Session is one connected client.
type Session struct {
	ID          string
	User        string
	conn        *ClientConn
	ps          *redis.PubSub
	cancel      context.CancelFunc
	writeErrors int
}

// forwardEvents forwards the user's events to the client until the session
// is cancelled.
func (s *Session) forwardEvents(ctx context.Context) {
	defer s.ps.Close()
	ch := s.ps.Channel(redis.WithChannelSize(16))
	for {
		select {
		case <-ctx.Done():
			return
		case msg, ok := <-ch:
			if !ok {
				return
			}
			if err := s.conn.WriteMessage([]byte(msg.Payload)); err != nil {
				// A slow or gone client: count it and go on; the session's
				// owner cancels it when the client leaves.
				s.writeErrors++
			}
		}
	}
}

// Hub holds the open sessions.
type Hub struct {
	rdb          *redis.Client
	sessions     map[string]*Session
	closeDropped bool
	seq          int
}

// Open starts a session for a user: a subscription to the user's channel
// and the goroutine that forwards it.
func (h *Hub) Open(ctx context.Context, user string) (*Session, error) {
	h.seq++
	ps := h.rdb.Subscribe(ctx, "events:"+user)
	// Wait for the subscription to be confirmed, as clients usually do.
	if _, err := ps.Receive(ctx); err != nil {
		ps.Close()
		return nil, err
	}
	sctx, cancel := context.WithCancel(context.Background())
	s := &Session{ID: "ws-" + strconv.Itoa(h.seq), User: user, conn: &ClientConn{}, ps: ps, cancel: cancel}
	h.sessions[s.ID] = s
	go s.forwardEvents(sctx)
	return s, nil
}

// Close ends a session the client closed normally.
func (h *Hub) Close(s *Session) {
	s.cancel()
	delete(h.sessions, s.ID)
}

// drop ends a session whose client connection broke. BUG (the leak):
// without -close-dropped the session is not cancelled.
func (h *Hub) drop(s *Session) {
	s.conn.closed = true
	delete(h.sessions, s.ID)
	if h.closeDropped {
		s.cancel()
	}
}

// publish sends one tick's events to users, through the client's pool.
func (h *Hub) publish(ctx context.Context, users []string, tick int) error {
	for e := range eventsPerTick {
		user := users[e%len(users)]
		payload := fmt.Sprintf(`{"type":"notification","tick":%d,"seq":%d,"text":"order shipped"}`, tick, e)
		if err := h.rdb.Publish(ctx, "events:"+user, payload).Err(); err != nil {
			return err
		}
	}
	return nil
}

// redisStdin is the write end of the Redis child's standard input.
var redisStdin io.WriteCloser

// startRedis runs this program again as a Redis server and returns its
// address. The child ends when our end of its standard input closes, at
// the latest when this process exits.
func startRedis() (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	cmd := exec.Command(self, "-redis-server")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "", err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	if err := cmd.Start(); err != nil {
		return "", err
	}
	redisStdin = stdin // kept open (and reachable: no finalizer closes it) until exit
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		return "", fmt.Errorf("redis server: %w", err)
	}
	return line[:len(line)-1], nil
}

// serveRedis is the child: miniredis on a loopback port until standard
// input closes.
func serveRedis() error {
	m := miniredis.NewMiniRedis()
	if err := m.StartAddr("127.0.0.1:0"); err != nil {
		return err
	}
	defer m.Close()
	fmt.Println(m.Addr())
	_, err := io.Copy(io.Discard, os.Stdin)
	return err
}

func main() {
	if len(os.Args) == 2 && os.Args[1] == "-redis-server" {
		if err := serveRedis(); err != nil {
			fmt.Fprintln(os.Stderr, "redis server:", err)
			os.Exit(1)
		}
		return
	}
	var closeDropped bool
	snap.Main(snap.Options{
		Out: "out", Source: "gateway", N: 24, Every: 600 * time.Millisecond,
		SimInterval: 5 * time.Minute, SimStart: time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC),
		Formats: "proto,debug2", GC: true, MemProfileRate: 64 << 10,
	}, func(fs *flag.FlagSet) {
		fs.BoolVar(&closeDropped, "close-dropped", false, "cancel sessions whose client dropped (the fix)")
	}, func(o *snap.Options) (func(int), error) {
		addr, err := startRedis()
		if err != nil {
			return nil, err
		}
		rdb := redis.NewClient(&redis.Options{Addr: addr, DisableIdentity: true, PoolSize: 4})
		ctx := context.Background()
		if err := rdb.Ping(ctx).Err(); err != nil {
			return nil, err
		}
		h := &Hub{rdb: rdb, sessions: map[string]*Session{}, closeDropped: closeDropped}
		var last []*Session // the sessions open now; each lives one tick
		open := func(i int) error {
			for k := range sessionsPerTick {
				s, err := h.Open(ctx, "user-"+strconv.Itoa(1000+i*sessionsPerTick+k))
				if err != nil {
					return err
				}
				last = append(last, s)
			}
			return nil
		}
		if err := open(0); err != nil {
			return nil, err
		}
		n := 0
		return func(i int) {
			// Events for the open sessions first: short-lived allocations
			// (the first allocation after a snapshot is always sampled, as
			// snap toggles MemProfileRate, and should not land on a kept
			// object).
			users := make([]string, 0, len(last))
			for _, s := range last {
				users = append(users, s.User)
			}
			if err := h.publish(ctx, users, i); err != nil {
				panic(err)
			}
			// Let the forwarders drain.
			time.Sleep(50 * time.Millisecond)
			// The sessions end: most are closed, some dropped.
			for _, s := range last {
				n++
				if n%dropEvery == 0 {
					h.drop(s)
				} else {
					h.Close(s)
				}
			}
			last = last[:0]
			if err := open(i + 1); err != nil {
				panic(err)
			}
			// Let the closed sessions finish.
			time.Sleep(50 * time.Millisecond)
		}, nil
	})
}

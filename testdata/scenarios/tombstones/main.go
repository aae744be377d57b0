// Regenerate (writes both sources, primary and replica):
//
//	cd testdata/scenarios && go run ./tombstones -out ../fixtures/tombstones
//
// Command tombstones reproduces Kanidm incident 5: an active–passive pair of
// the same identity server. Service accounts authenticate with a brand-new
// session on every call and the sessions are revoked soon after. The primary
// purges revoked sessions every few ticks, so its heap rises and falls; the
// replica receives each revocation and keeps a tombstone for it in a map that
// nothing ever purges, so its heap grows linearly.
//
// Run without -role, the program starts itself twice (-role primary and
// -role replica) and waits for both, so one command writes both series.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/leakdiff/leakdiff/testdata/scenarios/internal/snap"
)

const (
	accounts       = 40  // service accounts
	callsPerTick   = 50  // API calls per account per tick, each with a new session
	purgeEvery     = 5   // the primary purges revoked sessions every purgeEvery ticks
	sessionPayload = 512 // bytes of claims and token material per session
)

// Session is one authenticated session of a service account.
type Session struct {
	ID       string
	Account  string
	IssuedAt time.Time
	Claims   []byte
	Revoked  bool
}

// SessionStore is the primary's session table. Revoked sessions stay until
// the next purge, which is what gives the primary its sawtooth.
type SessionStore struct {
	sessions map[string]*Session
}

// authenticate issues a new session for one call of a service account: the
// pattern (a session per call instead of a long-lived token) that feeds the
// leak on the replica.
func (s *SessionStore) authenticate(account string, seq int) *Session {
	sess := &Session{
		ID:       fmt.Sprintf("%s-%08d", account, seq),
		Account:  account,
		IssuedAt: time.Now(),
		Claims:   make([]byte, sessionPayload),
	}
	s.sessions[sess.ID] = sess
	return sess
}

// purgeRevoked drops every revoked session: the primary's memory comes back.
func (s *SessionStore) purgeRevoked() {
	for id, sess := range s.sessions {
		if sess.Revoked {
			delete(s.sessions, id)
		}
	}
}

// Tombstone records that a session was revoked, so a late replication
// message cannot resurrect it.
type Tombstone struct {
	SessionID string
	Account   string
	RevokedAt time.Time
	Reason    string
}

// TombstoneStore is the replica's view of replicated sessions. Apply drops the
// session on revocation but keeps a tombstone for it, and nothing ever purges
// the tombstones: this is the leak.
type TombstoneStore struct {
	live       map[string]*Session
	tombstones map[string]*Tombstone
}

// Apply applies one replicated change: a new session, or its revocation.
func (r *TombstoneStore) Apply(sess *Session, revoked bool) {
	if !revoked {
		r.live[sess.ID] = sess
		return
	}
	delete(r.live, sess.ID)
	r.keepTombstone(sess)
}

// keepTombstone stores the revocation tombstone forever (no expiry, no purge).
func (r *TombstoneStore) keepTombstone(sess *Session) {
	t := &Tombstone{
		// The tombstone owns copies of the strings: the replication message
		// they came from is garbage once applied.
		SessionID: strings.Clone(sess.ID),
		Account:   strings.Clone(sess.Account),
		RevokedAt: time.Now(),
		Reason:    strings.Repeat("revoked:session-per-call;", 4),
	}
	r.tombstones[t.SessionID] = t
}

func main() {
	if !hasRole(os.Args[1:]) {
		os.Exit(runBoth())
	}
	var role string
	snap.Main(snap.Options{
		Out: "out", Source: "primary", N: 30, Every: 500 * time.Millisecond,
		SimInterval: 2 * time.Minute, SimStart: time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC),
		Formats: "proto", GC: true, MemProfileRate: 64 << 10,
	}, func(fs *flag.FlagSet) {
		fs.StringVar(&role, "role", "", "primary or replica (empty: run both as child processes)")
	}, func(o *snap.Options) (func(int), error) {
		primary := &SessionStore{sessions: map[string]*Session{}}
		replica := &TombstoneStore{live: map[string]*Session{}, tombstones: map[string]*Tombstone{}}
		seq := 0
		switch role {
		case "primary":
			return func(i int) {
				for a := range accounts {
					for range callsPerTick {
						seq++
						sess := primary.authenticate(fmt.Sprintf("svc-%02d", a), seq)
						sess.Revoked = true // the call is done: its session is revoked
					}
				}
				if i%purgeEvery == purgeEvery-1 {
					primary.purgeRevoked()
				}
			}, nil
		case "replica":
			return func(i int) {
				for a := range accounts {
					for range callsPerTick {
						seq++
						// The replica sees the same sessions come and go as
						// replication messages.
						sess := receiveReplication(a, seq)
						replica.Apply(sess, false)
						replica.Apply(sess, true)
					}
				}
			}, nil
		}
		return nil, fmt.Errorf("-role must be primary or replica, not %q", role)
	})
}

// receiveReplication decodes one replicated session (the same sessions the
// primary issues).
func receiveReplication(account, seq int) *Session {
	return &Session{ID: fmt.Sprintf("svc-%02d-%08d", account, seq), Account: fmt.Sprintf("svc-%02d", account), IssuedAt: time.Now()}
}

func hasRole(args []string) bool {
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "-role" || a == "--role" || strings.HasPrefix(a, "-role=") || strings.HasPrefix(a, "--role=") {
			return true
		}
	}
	return false
}

// runBoth re-executes this program once per role, concurrently, passing the
// caller's flags through; -source is set to the role.
func runBoth() int {
	self, err := os.Executable()
	if err != nil {
		self = os.Args[0]
	}
	var wg sync.WaitGroup
	codes := make([]int, 2)
	for k, role := range []string{"primary", "replica"} {
		wg.Go(func() {
			args := append(append([]string{}, os.Args[1:]...), "-role", role, "-source", role)
			cmd := exec.Command(self, args...)
			cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
			if err := cmd.Run(); err != nil {
				fmt.Fprintf(os.Stderr, "tombstones -role %s: %v\n", role, err)
				codes[k] = 1
			}
		})
	}
	wg.Wait()
	return codes[0] | codes[1]
}

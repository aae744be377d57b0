// Regenerate:
//
//	testdata/scenarios/regen.sh serf-tombstones serf-tombstones-reaped
//
// Command serf-tombstones is a fleet's membership layer on
// github.com/hashicorp/serf (and so github.com/hashicorp/memberlist): three
// long-lived gateway agents form the cluster, and short-lived CI runners,
// each with a name of its own (runner-<random>), join it to announce
// themselves and go away one tick later: most leave gracefully, one in
// four just dies. A serf agent remembers a member that left (serf's
// leftMembers, a tombstone, so that late gossip cannot resurrect it) for
// TombstoneTimeout, and a member that failed (failedMembers, retried now
// and then) for ReconnectTimeout: 24 hours each by default. Under churn of
// new names that is the leak: each gateway's members map grows by every
// runner that ever existed, with its tags, its network coordinate and the
// memberlist node address it came with, and so does the work of every
// Members() call and every push/pull state exchange.
//
// The three gateways run in this process, the profiled one; the runners
// run in a child process (this program re-executed with -fleet, driven
// tick by tick over its standard input), so the profiles hold the
// long-lived agents only, as they would on a gateway host. All agents
// listen on 127.0.0.1 ports (memberlist's DefaultLocalConfig).
//
// Short intervals are scaled to the simulated clock (a 5-minute tick takes
// 1.5 s): serf's ReapInterval, ReconnectInterval and RecentIntentTimeout,
// and memberlist's GossipToTheDeadTime (how long memberlist itself keeps a
// dead node in its node map before it deletes it). The two long timeouts
// keep serf's defaults; -tombstone-timeout and -reconnect-timeout shorten
// them (the serf-tombstones-reaped control: 4 s, about 13 simulated
// minutes), so the reaper erases those members and memory stays bounded.
package main

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/hashicorp/serf/serf"

	"github.com/leakdiff/leakdiff/testdata/scenarios/internal/snap"
)

const (
	gateways       = 3  // long-lived agents, in the profiled process
	runnersPerTick = 12 // new runners joining per tick; the previous tick's go away
	crashEvery     = 4  // one runner in crashEvery dies without leaving (a failed member)
)

// settings are what every agent of one run shares: the serf timeouts that
// differ between the leak and the control, and the cluster's gossip
// encryption key (new for each run, so that two runs on this machine can
// never gossip with each other, even when one reconnects to a port the
// other has taken over).
type settings struct {
	tombstone, reconnect time.Duration
	key                  []byte
}

// Agent is one serf member.
type Agent struct {
	Name string
	Addr string // host:port of its memberlist
	s    *serf.Serf

	// A gateway keeps its routing table of alive members up to date from
	// serf's member events.
	events chan serf.Event
	mu     sync.Mutex
	alive  map[string]serf.Member
}

func newAgent(name string, tags map[string]string, t settings, gateway bool) (*Agent, error) {
	ml := memberlist.DefaultLocalConfig()
	ml.BindAddr = "127.0.0.1"
	ml.BindPort = 0 // any free port; memberlist advertises the one it got
	ml.LogOutput = io.Discard
	ml.SecretKey = t.key
	// memberlist deletes a dead node from its node map after
	// GossipToTheDeadTime (15 s in the local config, 30 s on a LAN): a
	// fraction of a tick here.
	ml.GossipToTheDeadTime = time.Second
	// memberlist probes one node per ProbeInterval and deletes dead nodes
	// once per round of probes: scaled too, so a round takes a fraction of
	// a tick as it would take a fraction of 5 minutes.
	ml.ProbeInterval = 200 * time.Millisecond
	ml.ProbeTimeout = 100 * time.Millisecond

	conf := serf.DefaultConfig()
	conf.NodeName = name
	conf.Tags = tags
	conf.MemberlistConfig = ml
	conf.LogOutput = io.Discard
	conf.ReapInterval = 500 * time.Millisecond
	conf.ReconnectInterval = time.Second
	conf.RecentIntentTimeout = 1500 * time.Millisecond // serf's 5 minutes: one tick
	conf.TombstoneTimeout = t.tombstone
	conf.ReconnectTimeout = t.reconnect
	a := &Agent{Name: name}
	if gateway {
		a.events = make(chan serf.Event, 256)
		a.alive = map[string]serf.Member{}
		conf.EventCh = a.events
		go a.handleEvents()
	}
	s, err := serf.Create(conf)
	if err != nil {
		return nil, err
	}
	a.s = s
	local := s.LocalMember()
	a.Addr = net.JoinHostPort(local.Addr.String(), strconv.Itoa(int(local.Port)))
	return a, nil
}

// handleEvents keeps the gateway's routing table: alive members only.
func (a *Agent) handleEvents() {
	for ev := range a.events {
		me, ok := ev.(serf.MemberEvent)
		if !ok {
			continue
		}
		a.mu.Lock()
		for _, m := range me.Members {
			switch me.Type {
			case serf.EventMemberJoin, serf.EventMemberUpdate:
				a.alive[m.Name] = m
			default: // leave, failed, reap
				delete(a.alive, m.Name)
			}
		}
		a.mu.Unlock()
	}
}

// HealthCheck is the gateway's members endpoint: alive members by role,
// from serf's own view.
func (a *Agent) HealthCheck() map[string]int {
	byRole := map[string]int{}
	for _, m := range a.s.Members() {
		if m.Status == serf.StatusAlive {
			byRole[m.Tags["role"]]++
		}
	}
	return byRole
}

func randomName(prefix string) string {
	b := make([]byte, 6)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// runnerTags are a runner's serf tags, as a Consul-style agent sets them
// (memberlist caps the encoded tags at 512 bytes).
func runnerTags(tick, k int) map[string]string {
	id := make([]byte, 16)
	rand.Read(id)
	return map[string]string{
		"role":    "ci-runner",
		"dc":      "dc1",
		"zone":    fmt.Sprintf("zone-%c", 'a'+k%3),
		"id":      hex.EncodeToString(id),
		"vsn":     "2",
		"vsn_min": "2",
		"vsn_max": "3",
		"build":   "1.9.3:7d1b5c2e",
		"pool":    fmt.Sprintf("pool-%d", k%4),
		"job":     fmt.Sprintf("build-%06d", tick*runnersPerTick+k),
		"arch":    "amd64",
		"os":      "linux",
	}
}

// fleet is the child: the runners. Each line "tick I" on standard input
// makes the previous tick's runners go away (most leave, one in crashEvery
// just stops) and runnersPerTick new ones join a gateway, then answers "ok"
// once they have joined. It ends when standard input closes.
func fleet(gatewayAddrs []string, t settings) error {
	in := bufio.NewScanner(os.Stdin)
	var runners []*Agent
	var leaving sync.WaitGroup
	for in.Scan() {
		tick, err := strconv.Atoi(strings.TrimPrefix(in.Text(), "tick "))
		if err != nil {
			return fmt.Errorf("bad command %q", in.Text())
		}
		// The previous tick's runners go away in the background (a
		// graceful leave waits for its broadcast, a second or more).
		for k, r := range runners {
			leaving.Go(func() {
				if k%crashEvery != crashEvery-1 {
					r.s.Leave()
				}
				r.s.Shutdown()
			})
		}
		next := make([]*Agent, 0, runnersPerTick)
		for k := range runnersPerTick {
			r, err := newAgent(randomName("runner-"), runnerTags(tick, k), t, false)
			if err != nil {
				return err
			}
			if _, err := r.s.Join([]string{gatewayAddrs[k%len(gatewayAddrs)]}, true); err != nil {
				fmt.Fprintln(os.Stderr, "join:", err)
			}
			next = append(next, r)
		}
		runners = next
		fmt.Println("ok")
	}
	for _, r := range runners {
		r.s.Shutdown()
	}
	leaving.Wait()
	return in.Err()
}

// startFleet starts the runners' child process.
func startFleet(gatewayAddrs []string, t settings) (func(tick int) error, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "-fleet", strings.Join(gatewayAddrs, ","),
		"-tombstone-timeout", t.tombstone.String(), "-reconnect-timeout", t.reconnect.String())
	cmd.Env = append(os.Environ(), "GOSSIP_KEY="+hex.EncodeToString(t.key))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	fleetStdin = stdin // kept open (and reachable) until exit
	out := bufio.NewReader(stdout)
	return func(tick int) error {
		if _, err := fmt.Fprintf(stdin, "tick %d\n", tick); err != nil {
			return err
		}
		line, err := out.ReadString('\n')
		if err != nil {
			return fmt.Errorf("fleet: %w", err)
		}
		if line != "ok\n" {
			return fmt.Errorf("fleet: %q", line)
		}
		return nil
	}, nil
}

// fleetStdin is the write end of the fleet child's standard input.
var fleetStdin io.WriteCloser

func main() {
	t := settings{tombstone: 24 * time.Hour, reconnect: 24 * time.Hour} // serf's defaults
	if len(os.Args) >= 3 && os.Args[1] == "-fleet" {
		fs := flag.NewFlagSet("fleet", flag.ExitOnError)
		fs.DurationVar(&t.tombstone, "tombstone-timeout", t.tombstone, "")
		fs.DurationVar(&t.reconnect, "reconnect-timeout", t.reconnect, "")
		fs.Parse(os.Args[3:])
		t.key, _ = hex.DecodeString(os.Getenv("GOSSIP_KEY"))
		if err := fleet(strings.Split(os.Args[2], ","), t); err != nil {
			fmt.Fprintln(os.Stderr, "fleet:", err)
			os.Exit(1)
		}
		return
	}
	snap.Main(snap.Options{
		Out: "out", Source: "gateway", N: 24, Every: 1500 * time.Millisecond,
		SimInterval: 5 * time.Minute, SimStart: time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC),
		Formats: "proto", GC: true, MemProfileRate: 4 << 10,
	}, func(fs *flag.FlagSet) {
		fs.DurationVar(&t.tombstone, "tombstone-timeout", t.tombstone, "serf TombstoneTimeout: how long left members are kept")
		fs.DurationVar(&t.reconnect, "reconnect-timeout", t.reconnect, "serf ReconnectTimeout: how long failed members are kept")
	}, func(o *snap.Options) (func(int), error) {
		t.key = make([]byte, 32) // AES-256
		rand.Read(t.key)
		var gws []*Agent
		var addrs []string
		for i := range gateways {
			a, err := newAgent(fmt.Sprintf("gw-%d", i+1), map[string]string{"role": "gateway", "dc": "dc1", "version": "1.9.3"}, t, true)
			if err != nil {
				return nil, err
			}
			if i > 0 {
				if _, err := a.s.Join([]string{gws[0].Addr}, true); err != nil {
					return nil, err
				}
			}
			gws = append(gws, a)
			addrs = append(addrs, a.Addr)
		}
		churn, err := startFleet(addrs, t)
		if err != nil {
			return nil, err
		}
		return func(i int) {
			if err := churn(i); err != nil {
				fmt.Fprintln(os.Stderr, err)
			}
			// Steady work: each gateway's health endpoint, and a deploy
			// notice to the fleet as a user event.
			for _, g := range gws {
				g.HealthCheck()
			}
			if err := gws[i%gateways].s.UserEvent("deploy", []byte(fmt.Sprintf(`{"version":"1.9.%d"}`, i)), true); err != nil {
				fmt.Fprintln(os.Stderr, "user event:", err)
			}
		}, nil
	})
}

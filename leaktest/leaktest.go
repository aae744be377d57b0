package leaktest

import (
	"bytes"
	"context"
	"fmt"
	"hash/maphash"
	"math"
	"regexp"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"time"

	"github.com/leakdiff/leakdiff/diff"
	"github.com/leakdiff/leakdiff/profile"
	"github.com/leakdiff/leakdiff/report"
	"github.com/leakdiff/leakdiff/rules"
)

// TB is the part of testing.TB that Check uses; *testing.T and *testing.B
// satisfy it.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
}

// Option changes how Check and Run soak a workload.
type Option func(*config)

type config struct {
	duration   time.Duration
	snapshots  int
	maxCalls   int
	warmUp     int
	ignore     []string
	minSev     diff.Severity
	memProfile int
}

// Defaults and bounds of the options (see each option).
const (
	DefaultDuration  = 3 * time.Second
	MaxDuration      = 5 * time.Minute
	DefaultSnapshots = 16
	// MinSnapshots: with fewer, no trend can reach the significance a
	// medium finding needs (below 8 points Mann–Kendall cannot).
	MinSnapshots   = 8
	MaxSnapshots   = 200
	DefaultCalls   = 10000 // MaxCalls
	DefaultWarmUp  = 100   // calls, WarmUp
	DefaultMemRate = 4096  // bytes per heap-profile sample, MemProfileRate
)

func defaults() config {
	return config{duration: DefaultDuration, snapshots: DefaultSnapshots, maxCalls: DefaultCalls,
		warmUp: DefaultWarmUp, minSev: diff.SeverityMedium, memProfile: DefaultMemRate}
}

// Duration sets how long the soak runs, from the first snapshot to the last
// (3 s by default, at most MaxDuration); a snapshot stalled on a loaded
// machine can make it last longer. A longer soak finds slower leaks.
func Duration(d time.Duration) Option { return func(c *config) { c.duration = d } }

// Snapshots sets how many heap and goroutine snapshots the soak takes (16
// by default; from MinSnapshots to MaxSnapshots). Each costs a GC.
func Snapshots(n int) Option { return func(c *config) { c.snapshots = n } }

// MaxCalls caps the calls of the workload during the soak (10,000 by
// default), paced evenly over its duration. A leaking workload leaks at most
// this many times: 10,000 blocked goroutines are about 25 MiB of stacks.
func MaxCalls(n int) Option { return func(c *config) { c.maxCalls = n } }

// WarmUp sets how many calls run before the first snapshot (100 by
// default): what the workload builds once (caches, pools, lazily compiled
// tables) is then in the baseline. The warm-up stops early after a tenth of
// the duration.
func WarmUp(n int) Option { return func(c *config) { c.warmUp = n } }

// IgnoreSites leaves out of the verdict every site whose function matches
// the regular expression pattern (syntax of package regexp, unanchored): a
// site that grows by design. Function names are as analyze prints them,
// e.g. `^example\.com/app/cache\.\(\*LRU\)\.Add$`. Repeatable.
func IgnoreSites(pattern string) Option {
	return func(c *config) { c.ignore = append(c.ignore, pattern) }
}

// MinSeverity sets the least severity that fails the test (medium by
// default, analyze's default --min-severity). Below medium, a finding has not
// reached the significance analyze requires to call it a leak.
func MinSeverity(s diff.Severity) Option { return func(c *config) { c.minSev = s } }

// MemProfileRate sets runtime.MemProfileRate, the mean number of bytes
// allocated per heap-profile sample, for the soak (4096 by default); the
// process's rate is restored afterwards. A lower rate sees smaller leaks and
// slows allocation; 0 keeps the process's rate (512 KiB unless changed).
func MemProfileRate(bytes int) Option { return func(c *config) { c.memProfile = bytes } }

func (c *config) validate() ([]*regexp.Regexp, error) {
	switch {
	case c.duration <= 0 || c.duration > MaxDuration:
		return nil, fmt.Errorf("duration %v out of range: want more than 0 and at most %v", c.duration, MaxDuration)
	case c.snapshots < MinSnapshots || c.snapshots > MaxSnapshots:
		return nil, fmt.Errorf("%d snapshots out of range: want %d to %d", c.snapshots, MinSnapshots, MaxSnapshots)
	case c.maxCalls < c.snapshots-1:
		return nil, fmt.Errorf("max calls %d: want at least one call between snapshots (%d)", c.maxCalls, c.snapshots-1)
	case c.warmUp < 0:
		return nil, fmt.Errorf("warm-up of %d calls: want 0 or more", c.warmUp)
	case c.memProfile < 0:
		return nil, fmt.Errorf("memory profile rate %d: want 0 (keep the process's) or more", c.memProfile)
	case c.minSev < diff.SeverityInfo || c.minSev > diff.SeverityCritical:
		return nil, fmt.Errorf("minimum severity %d: want info to critical", int(c.minSev))
	}
	var res []*regexp.Regexp
	for _, p := range c.ignore {
		re, err := regexp.Compile(p)
		if err != nil {
			return nil, fmt.Errorf("ignore sites: %w", err)
		}
		res = append(res, re)
	}
	return res, nil
}

// Result is what a soak measured.
type Result struct {
	// Calls is the number of workload calls during the soak (after the
	// warm-up); WarmUp the number before it.
	Calls, WarmUp int
	// Snapshots is the number of snapshots taken of each kind.
	Snapshots int
	// Elapsed is the time from the first snapshot to the last.
	Elapsed time.Duration
	// Findings are the sites that grew, at MinSeverity or worse and not
	// ignored, in analyze's order: severity, then score. Empty when the
	// workload does not leak.
	Findings []Finding
	// Below counts the findings that rose less surely or less steeply (a
	// severity below MinSeverity) and did not fail the test.
	Below int
}

// Finding is one site that grew with the calls.
type Finding struct {
	// Kind is profile.KindHeap (in-use bytes) or profile.KindGoroutine.
	Kind profile.Kind
	Site profile.Site
	// Unit is "bytes" or "goroutines".
	Unit string
	// PerCall is the site's growth per workload call, in Unit: Growth
	// divided by the calls made meanwhile (between the same robust levels);
	// NaN when no call was made.
	PerCall float64
	// Growth is the site's growth over the soak (robust levels of the
	// first and last snapshots, as analyze reports it), in Unit.
	Growth   float64
	Shape    diff.Shape
	Severity diff.Severity
	// Rule and RuleTitle name the catalog rule that matches the finding;
	// empty when none does.
	Rule, RuleTitle string
	// CreatedBy is the function that started the site's goroutines, when
	// the goroutine dump says; empty for heap findings.
	CreatedBy string
	// Related are the other findings of the same leak that analyze groups
	// under this one (the goroutines of a leak whose heap leads, say), in
	// rank order.
	Related []Related
	// Stack is the site's heaviest stack, leaf first.
	Stack profile.Stack
}

// Related is a finding grouped under another as one leak.
type Related struct {
	Kind    profile.Kind
	Site    profile.Site
	Unit    string
	PerCall float64
}

// String describes the finding on one line.
func (f *Finding) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s by %s per call at %s (%s, %s)", what(f.Kind), perCall(f.PerCall, f.Unit), f.Site, f.Shape, f.Severity)
	if f.Rule != "" {
		fmt.Fprintf(&b, "; rule %s: %s", f.Rule, f.RuleTitle)
	}
	return b.String()
}

func what(k profile.Kind) string {
	if k == profile.KindHeap {
		return "heap grows"
	}
	return k.String() + "s grow"
}

func perCall(v float64, unit string) string {
	if unit == "bytes" {
		return fmt.Sprintf("%.0f bytes", v)
	}
	return fmt.Sprintf("%.2f %s", v, unit)
}

// Check soaks workload (see the package doc), and reports each finding at
// MinSeverity or worse with t.Errorf: its site, growth per call, shape, rule
// and stack. Invalid options are reported with t.Errorf too. The workload
// runs on the calling goroutine. When t has a Context method (testing.TB
// does), the soak stops when that context is done. The result is nil when
// the soak could not run.
func Check(t TB, workload func(), opts ...Option) *Result {
	t.Helper()
	ctx := context.Background()
	if c, ok := t.(interface{ Context() context.Context }); ok {
		ctx = c.Context()
	}
	r, err := Run(ctx, workload, opts...)
	if err != nil {
		t.Errorf("leaktest: %v", err)
		return nil
	}
	for i := range r.Findings {
		t.Errorf("leaktest: %s", describe(&r.Findings[i], r))
	}
	return r
}

// describe is the message that fails a test: the finding, then how it was
// measured, then its stack.
func describe(f *Finding, r *Result) string {
	var b strings.Builder
	b.WriteString(f.String())
	fmt.Fprintf(&b, "\n\tgrew by %s over the soak (robust levels; %d calls in %v, %d snapshots)", amount(f.Growth, f.Unit), r.Calls, r.Elapsed.Round(time.Millisecond), r.Snapshots)
	for _, m := range f.Related {
		fmt.Fprintf(&b, "\n\tsame leak: %s by %s per call at %s", what(m.Kind), perCall(m.PerCall, m.Unit), m.Site)
	}
	if f.CreatedBy != "" {
		fmt.Fprintf(&b, "\n\tgoroutines started by %s", profile.Printable(f.CreatedBy))
	}
	b.WriteString("\n\tstack:")
	for _, fr := range f.Stack {
		fmt.Fprintf(&b, "\n\t\t%s", profile.Printable(fr.Function))
		if fr.File != "" {
			fmt.Fprintf(&b, "\n\t\t\t%s:%d", profile.Printable(fr.File), fr.Line)
		}
	}
	return b.String()
}

func amount(v float64, unit string) string {
	if unit == "bytes" {
		return fmt.Sprintf("%.0f bytes", v)
	}
	return fmt.Sprintf("%.0f %s", v, unit)
}

// soaks lets one soak run at a time: each sets runtime.MemProfileRate and
// snapshots the whole process.
var soaks sync.Mutex

// Run soaks workload as Check does and returns what it found, without
// failing anything; ctx stops the soak early (with ctx's error). The
// workload runs on the calling goroutine. An error means the options are
// invalid, ctx ended, or a snapshot could not be taken or read.
func Run(ctx context.Context, workload func(), opts ...Option) (*Result, error) {
	c := defaults()
	for _, o := range opts {
		o(&c)
	}
	ignore, err := c.validate()
	if err != nil {
		return nil, err
	}
	soaks.Lock()
	defer soaks.Unlock()
	if c.memProfile > 0 {
		old := runtime.MemProfileRate
		runtime.MemProfileRate = c.memProfile
		defer func() { runtime.MemProfileRate = old }()
	}
	s := &soak{cfg: &c, snaps: make([]profile.Snapshot, 0, 2*c.snapshots), calls: make(map[int64]int, c.snapshots),
		dopts: profile.DecodeOptions{Sites: profile.DefaultSitePolicy(), Seed: maphash.MakeSeed(), Interner: profile.NewInterner()}}
	if err := s.run(ctx, workload); err != nil {
		return nil, err
	}
	return s.analyse(ctx, ignore)
}

// soak is one run of Run: the snapshots taken so far and the calls made
// by each.
type soak struct {
	cfg   *config
	dopts profile.DecodeOptions
	buf   bytes.Buffer
	snaps []profile.Snapshot
	// calls holds the calls made before each snapshot, by its time in Unix
	// nanoseconds.
	calls         map[int64]int
	warm, n       int
	first, latest time.Time
}

// run calls the workload, warm-up then soak, taking the snapshots.
func (s *soak) run(ctx context.Context, workload func()) error {
	c := s.cfg
	warmEnd := time.Now().Add(c.duration / 10)
	for s.warm < c.warmUp && (s.warm == 0 || time.Now().Before(warmEnd)) {
		if err := ctx.Err(); err != nil {
			return err
		}
		workload()
		s.warm++
	}
	// Two collections before the first snapshot (take runs the second):
	// the first frees what the warm-up dropped, the second what
	// finalizers and sync.Pool's victim cache held on to.
	runtime.GC()
	if err := s.take(0); err != nil {
		return err
	}
	// The calls follow one schedule over the soak, from the first
	// snapshot: call j is due at j·duration/maxCalls, snapshot k at
	// k·duration/intervals. The calls a slow snapshot (a GC stalled on a
	// loaded machine) kept from running are made up after it, so that the
	// calls made by each snapshot stay on one line over real time and a
	// stall puts one point off the line rather than shifting all later
	// ones.
	intervals := c.snapshots - 1
	step := c.duration / time.Duration(c.maxCalls)
	for k := 1; k <= intervals; k++ {
		begin := time.Now()
		deadline := s.first.Add(c.duration * time.Duration(k) / time.Duration(intervals))
		target := c.maxCalls * k / intervals
		// A workload too slow for the schedule stops at the deadline;
		// after a snapshot that overran it, it gets a quarter of an
		// interval to catch up.
		stop := deadline
		if late := begin.Add(c.duration / time.Duration(4*intervals)); late.After(stop) {
			stop = late
		}
		for s.n < target {
			if s.n%64 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			now := time.Now()
			if !now.Before(stop) && s.n > 0 {
				break
			}
			// Sleeping only when a millisecond ahead keeps timer slack
			// out of the schedule.
			if due := s.first.Add(step * time.Duration(s.n)); due.Sub(now) > time.Millisecond {
				time.Sleep(due.Sub(now))
			}
			workload()
			s.n++
		}
		if d := time.Until(deadline); d > 0 {
			time.Sleep(d)
		}
		if err := s.take(k); err != nil {
			return err
		}
	}
	return nil
}

// selfFrame is the function that takes snapshots: a stack through it is
// the package's own memory (the buffer, the decoded snapshots kept).
const selfFrame = "github.com/leakdiff/leakdiff/leaktest.(*soak).take"

// profilePackage is the decoder's package: a site in it is the snapshots'
// memory (interned names, sites kept), never the workload's.
const profilePackage = "github.com/leakdiff/leakdiff/profile."

// take collects garbage, then takes snapshot k: the heap profile and a
// goroutine dump, each decoded at once. Both are stamped with the real time
// the workload paused for them: what they capture of the workload is its
// state at that moment (it makes no call until both are taken), and a GC
// that a loaded machine stalls for a second then does not move the point
// in time.
func (s *soak) take(k int) error {
	at := time.Now().Round(0)
	runtime.GC()
	for _, name := range []string{"heap", "goroutine"} {
		s.buf.Reset()
		debug := 0 // heap: pprof protobuf
		if name == "goroutine" {
			debug = 2 // a dump: goroutine states and creators reach the rules
		}
		if err := pprof.Lookup(name).WriteTo(&s.buf, debug); err != nil {
			return fmt.Errorf("snapshot %d: write %s profile: %w", k, name, err)
		}
		file := fmt.Sprintf("%s-%03d", name, k)
		snap, err := profile.Decode(s.buf.Bytes(), file, &s.dopts)
		if err != nil {
			return fmt.Errorf("snapshot %d: decode %s profile: %w", k, name, err)
		}
		snap.File, snap.Source = file, "leaktest"
		snap.Time, snap.TimeFrom = at, profile.TimeFromProfileData
		// One process, one life: no restart to detect. A dump's highest
		// goroutine id, the counter Align watches for restarts, goes down
		// whenever the newest goroutines end (those of a test before).
		snap.Cumulative = -1
		dropSelf(snap)
		s.snaps = append(s.snaps, *snap)
	}
	s.calls[at.UnixNano()] = s.n
	if k == 0 {
		s.first = at
	}
	s.latest = at
	return nil
}

// dropSelf removes the package's own memory from a snapshot: sites whose
// stack runs through take, and sites in the decoder's package. The totals
// lose their values too.
func dropSelf(snap *profile.Snapshot) {
	kept := snap.Sites[:0]
	for _, sv := range snap.Sites {
		if isSelf(&sv) {
			for m := range snap.Totals {
				snap.Totals[m] -= sv.Values[m]
			}
			continue
		}
		kept = append(kept, sv)
	}
	clear(snap.Sites[len(kept):])
	snap.Sites = kept
}

func isSelf(sv *profile.SiteValue) bool {
	if strings.HasPrefix(sv.Site.Function, profilePackage) {
		return true
	}
	for _, f := range sv.Stack {
		if f.Function == selfFrame {
			return true
		}
	}
	return false
}

// analyse runs analyze's pipeline (report.NewContext) on the snapshots and
// turns its findings into the result.
func (s *soak) analyse(ctx context.Context, ignore []*regexp.Regexp) (*Result, error) {
	r := &Result{Calls: s.n, WarmUp: s.warm, Snapshots: s.cfg.snapshots, Elapsed: s.latest.Sub(s.first)}
	for i := range s.snaps {
		snap := &s.snaps[i]
		kept := snap.Sites[:0]
		for _, sv := range snap.Sites {
			if !ignored(sv.Site.Function, ignore) {
				kept = append(kept, sv)
			}
		}
		snap.Sites = kept
	}
	rep, _, err := report.NewContext(ctx, s.snaps, len(s.snaps), nil, nil, report.Config{Catalog: rules.Builtin()})
	if err != nil {
		return nil, err
	}
	an, matches := rep.Analysis, rep.Matches
	for i := range an.Findings {
		f := &an.Findings[i]
		if f.GroupedInto != nil {
			continue
		}
		if f.Severity < s.cfg.minSev {
			r.Below++
			continue
		}
		ser := an.Series[f.Series].Series
		site := &ser.Sites[f.Site]
		out := Finding{Kind: ser.Kind, Site: site.Site, Unit: unit(ser), Growth: f.Trend.Growth,
			Shape: f.Trend.Shape, Severity: f.Severity, Stack: site.Stack}
		out.PerCall = s.perCall(ser, an.Series[f.Series].Start, &f.Trend)
		for j := range an.Findings {
			m := &an.Findings[j]
			if g := m.GroupedInto; g == nil || *g != f.Ref() {
				continue
			}
			ms := an.Series[m.Series].Series
			out.Related = append(out.Related, Related{Kind: ms.Kind, Site: ms.Sites[m.Site].Site, Unit: unit(ms),
				PerCall: s.perCall(ms, an.Series[m.Series].Start, &m.Trend)})
		}
		if g := site.Goroutines; g != nil {
			out.CreatedBy = g.CreatedBy
		}
		if m := matches[rules.Key{Series: f.Series, Site: f.Site}]; m != nil {
			out.Rule, out.RuleTitle = m.Rule.ID, m.Rule.Title
		}
		r.Findings = append(r.Findings, out)
	}
	return r, ctx.Err()
}

func ignored(fn string, ignore []*regexp.Regexp) bool {
	for _, re := range ignore {
		if re.MatchString(fn) {
			return true
		}
	}
	return false
}

func unit(s *profile.Series) string {
	if s.Metric.Unit == "bytes" {
		return "bytes"
	}
	return "goroutines"
}

// perCall is a trend's growth per workload call: its Growth (the median
// of its last k fitted points less that of its first k, see diff.Trend)
// over the calls made between the same medians of the calls made by those
// snapshots. NaN when no call was made.
func (s *soak) perCall(ser *profile.Series, start int, t *diff.Trend) float64 {
	times := ser.Times[start:]
	k := min(max(len(times)/4, 1), 5)
	calls := make([]float64, len(times))
	for i, at := range times {
		calls[i] = float64(s.calls[at.UnixNano()])
	}
	made := median(calls[len(calls)-k:]) - median(calls[:k])
	if made <= 0 {
		return math.NaN()
	}
	return t.Growth / made
}

// median returns the median of sorted values v (the calls made by
// successive snapshots only grow).
func median(v []float64) float64 {
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

package profile

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func loadDir(t *testing.T, opts LoadOptions, args ...string) (*Loaded, *Set) {
	t.Helper()
	if opts.Decode.Sites.Machinery == nil {
		opts.Decode.Sites = DefaultSitePolicy()
	}
	l, err := Load(context.Background(), args, opts)
	if err != nil {
		t.Fatal(err)
	}
	return l, Align(l.Snapshots)
}

func seriesOf(t *testing.T, set *Set, source string, kind Kind, metric string) *Series {
	t.Helper()
	for i := range set.Series {
		s := &set.Series[i]
		if s.Source == source && s.Kind == kind && s.Metric.Name == metric {
			return s
		}
	}
	var have []string
	for _, s := range set.Series {
		have = append(have, fmt.Sprintf("%s/%s/%s", s.Source, s.Kind, s.Metric.Name))
	}
	t.Fatalf("no series %s/%s/%s among %v", source, kind, metric, have)
	return nil
}

func siteValues(t *testing.T, s *Series, fn string) []int64 {
	t.Helper()
	for _, ss := range s.Sites {
		if ss.Site.Function == fn {
			return ss.Values()
		}
	}
	t.Fatalf("series %s/%s has no site %s", s.Source, s.Kind, fn)
	return nil
}

const (
	genPkg    = "github.com/leakdiff/leakdiff/testdata/gen/internal/"
	leakyFn   = genPkg + "leaky.worker"
	cacheFn   = genPkg + "cache.(*Store).Put"
	poolFn    = genPkg + "churn.(*Pool).poolWorker"
	fixtures  = "../testdata/"
	snapshots = fixtures + "snapshots/"
)

// TestAlignExampleSnapshots checks the shipped example: two processes, each
// with heap and goroutine series, told apart by directory.
func TestAlignExampleSnapshots(t *testing.T) {
	t.Parallel()
	l, set := loadDir(t, LoadOptions{}, snapshots)
	if len(l.Skipped) != 0 {
		t.Errorf("skipped %v, want none", l.Skipped)
	}
	for _, src := range []string{"primary", "replica"} {
		for _, k := range []Kind{KindHeap, KindGoroutine} {
			metric := "inuse_space"
			if k == KindGoroutine {
				metric = "goroutines"
			}
			s := seriesOf(t, set, src, k, metric)
			if len(s.Times) != 10 || !s.TimesKnown {
				t.Errorf("%s/%s: %d snapshots (times known %v), want 10 with times", src, k, len(s.Times), s.TimesKnown)
			}
			if !slices.IsSortedFunc(s.Times, func(a, b time.Time) int { return a.Compare(b) }) {
				t.Errorf("%s/%s: times not in order: %v", src, k, s.Times)
			}
			if len(s.Segments) != 1 {
				t.Errorf("%s/%s: segments %v, want one (no restart)", src, k, s.Segments)
			}
		}
	}
	g := siteValues(t, seriesOf(t, set, "primary", KindGoroutine, "goroutines"), leakyFn)
	if g[0] >= g[len(g)-1] {
		t.Errorf("primary leaky.worker goroutines %v do not grow", g)
	}
	p := siteValues(t, seriesOf(t, set, "replica", KindGoroutine, "goroutines"), poolFn)
	if p[0] != p[len(p)-1] {
		t.Errorf("replica pool workers %v, want flat", p)
	}
	h := siteValues(t, seriesOf(t, set, "replica", KindHeap, "inuse_space"), cacheFn)
	if h[len(h)-1]-h[0] < 2<<20 {
		t.Errorf("replica cache.Put %v, want over 2 MiB of growth", h)
	}
}

// TestAlignFormats: one run recorded as protobuf, debug=1 and debug=2 text
// names the same sites with the same goroutine counts.
func TestAlignFormats(t *testing.T) {
	t.Parallel()
	counts := map[string][]int64{}
	for _, dir := range []string{"proto", "debug1", "debug2"} {
		_, set := loadDir(t, LoadOptions{Source: dir}, fixtures+"formats/"+dir)
		s := seriesOf(t, set, dir, KindGoroutine, "goroutines")
		counts[dir] = siteValues(t, s, leakyFn)
		if dir != "debug2" {
			h := seriesOf(t, set, dir, KindHeap, "inuse_space")
			if v := siteValues(t, h, cacheFn); v[len(v)-1] <= v[0] {
				t.Errorf("%s: cache.Put %v does not grow", dir, v)
			}
		}
	}
	if !slices.Equal(counts["proto"], counts["debug1"]) || !slices.Equal(counts["proto"], counts["debug2"]) {
		t.Errorf("leaky.worker goroutines differ by format: %v", counts)
	}
}

// TestAlignBuilds: the same program built twice (other addresses, build IDs
// and, with -trimpath, file paths) aligns to the same sites.
func TestAlignBuilds(t *testing.T) {
	t.Parallel()
	sites := map[string][]string{}
	for _, b := range []string{"a", "b"} {
		_, set := loadDir(t, LoadOptions{Source: b}, fixtures+"builds/"+b)
		for _, k := range []Kind{KindHeap, KindGoroutine} {
			metric := map[Kind]string{KindHeap: "inuse_space", KindGoroutine: "goroutines"}[k]
			s := seriesOf(t, set, b, k, metric)
			for _, ss := range s.Sites {
				if v := ss.Values(); v[len(v)-1] > 0 && !slices.Contains(sites[b], ss.Site.Function) {
					sites[b] = append(sites[b], ss.Site.Function)
				}
			}
		}
		slices.Sort(sites[b])
	}
	for _, fn := range []string{leakyFn, cacheFn, poolFn} {
		if !slices.Contains(sites["a"], fn) || !slices.Contains(sites["b"], fn) {
			t.Errorf("%s missing from a build: a=%v b=%v", fn, sites["a"], sites["b"])
		}
	}
}

// TestAlignSynthetic covers dedupe, restarts and sites that come and go.
func TestAlignSynthetic(t *testing.T) {
	t.Parallel()
	at := func(m int) time.Time { return time.Date(2026, 11, 21, 22, m, 0, 0, time.UTC) }
	snap := func(file string, m int, binary string, cum int64, digest uint64, sites ...SiteValue) Snapshot {
		var total int64
		for _, s := range sites {
			total += s.Values[0]
		}
		return Snapshot{File: file, Source: "svc", Kind: KindHeap, Time: at(m), TimeFrom: TimeFromProfileData,
			Metrics: []Metric{{"inuse_space", "bytes"}}, Totals: []int64{total}, Sites: sites,
			Binary: binary, Cumulative: cum, Digest: digest}
	}
	sv := func(fn string, v int64) SiteValue {
		return SiteValue{Site: Site{Function: fn}, Values: []int64{v}, Stack: Stack{{Function: fn}}, StackValue: v}
	}
	snaps := []Snapshot{
		snap("h3", 3, "b1", 300, 3, sv("a", 30), sv("b", 5)),
		snap("h1", 1, "b1", 100, 1, sv("a", 10)),
		snap("h2", 2, "b1", 200, 2, sv("a", 20)),
		snap("h2copy", 2, "b1", 200, 2, sv("a", 20)), // identical content
		snap("h4", 4, "b1", 50, 4, sv("a", 1)),       // counters reset: restart
		snap("h5", 5, "b2", 60, 5, sv("a", 2)),       // new build: restart
		snap("h6", 6, "b2", 70, 6, sv("c", 9)),
		{File: "cpu", Source: "svc", Kind: KindOther, Type: "cpu"},
	}
	set := Align(snaps)
	if len(set.Series) != 1 || len(set.SetAside) != 1 {
		t.Fatalf("got %d series and %d set aside, want 1 and 1", len(set.Series), len(set.SetAside))
	}
	if len(set.Duplicates) != 1 || set.Duplicates[0].File != "h2copy" {
		t.Errorf("duplicates %v, want h2copy", set.Duplicates)
	}
	s := set.Series[0]
	if !slices.Equal(s.Files, []string{"h1", "h2", "h3", "h4", "h5", "h6"}) {
		t.Errorf("files %v, want h1..h6 in time order", s.Files)
	}
	var starts []int
	for _, seg := range s.Segments {
		starts = append(starts, seg.Start)
	}
	if !slices.Equal(starts, []int{0, 3, 4}) {
		t.Errorf("segments start at %v, want [0 3 4] (counter reset, new build)", starts)
	}
	if got := siteValues(t, &s, "a"); !slices.Equal(got, []int64{10, 20, 30, 1, 2, 0}) {
		t.Errorf("a = %v", got)
	}
	if got := siteValues(t, &s, "c"); !slices.Equal(got, []int64{0, 0, 0, 0, 0, 9}) {
		t.Errorf("c = %v, want zeros where absent", got)
	}
	if st, end := s.LastSegment(); st != 4 || end != 6 {
		t.Errorf("last segment [%d,%d), want [4,6)", st, end)
	}
}

// TestAlignIdenticalContentAtDifferentTimes: a process whose goroutines do
// not change writes identical dumps; they are a flat series, not copies.
// Identical content at the same moment, or with no time at all, is a copy.
func TestAlignIdenticalContentAtDifferentTimes(t *testing.T) {
	t.Parallel()
	mk := func(file string, tm time.Time, from TimeOrigin) Snapshot {
		return Snapshot{File: file, Source: "svc", Kind: KindGoroutine, Time: tm, TimeFrom: from,
			Metrics: []Metric{{"goroutines", "count"}}, Totals: []int64{3}, Cumulative: -1, Digest: 42,
			Sites: []SiteValue{{Site: Site{Function: "main.worker"}, Values: []int64{3}, Stack: Stack{{Function: "main.worker"}}, StackValue: 3}}}
	}
	at := func(m int) time.Time { return time.Date(2026, 11, 21, 22, m, 0, 0, time.UTC) }
	var snaps []Snapshot
	for m := range 6 {
		snaps = append(snaps, mk(fmt.Sprintf("g%d.txt", m), at(m), TimeFromFileName))
	}
	snaps = append(snaps, mk("g5-copy.txt", at(5), TimeFromFileName))
	set := Align(snaps)
	if len(set.Series) != 1 || len(set.Series[0].Files) != 6 {
		t.Fatalf("series %+v, want one of 6 snapshots", set.Series)
	}
	if len(set.Duplicates) != 1 || !strings.HasPrefix(set.Duplicates[0].File, "g5") {
		t.Errorf("duplicates %v, want one of the two files of minute 5", set.Duplicates)
	}
	if got := siteValues(t, &set.Series[0], "main.worker"); !slices.Equal(got, []int64{3, 3, 3, 3, 3, 3}) {
		t.Errorf("main.worker = %v", got)
	}
}

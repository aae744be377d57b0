package profile

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Series is one metric of one kind of one source over time: a compact
// sites × snapshots matrix.
type Series struct {
	Source string
	Kind   Kind
	Metric Metric
	// Secondary is set for a kind's other metrics (heap inuse_objects
	// beside inuse_space): shown for reference, not ranked as findings.
	Secondary bool
	// Times holds each snapshot's time, oldest first; all zero when
	// TimesKnown is false (the snapshots are then in file-name order).
	Times      []time.Time
	TimesKnown bool
	// Files holds each snapshot's file, in the order of Times.
	Files []string
	// Totals holds the metric summed over all sites, per snapshot.
	Totals []int64
	// Segments splits the series at process restarts; there is always at
	// least one, starting at 0.
	Segments []Segment
	// Sites holds one entry per site seen in any snapshot, sorted by Site.
	Sites []SiteSeries
	// Notes are remarks on the series as a whole.
	Notes []string
}

// Segment is a run of snapshots from one process life.
type Segment struct {
	// Start is the index of the segment's first snapshot.
	Start int
	// Reason says why a new segment starts here; empty for the first.
	Reason string
}

// LastSegment returns the index range [start, end) of the final segment.
func (s *Series) LastSegment() (start, end int) {
	return s.Segments[len(s.Segments)-1].Start, len(s.Times)
}

// SiteSeries is one site's values over a series' snapshots.
type SiteSeries struct {
	Site Site
	// Stack is the heaviest stack seen for the site over the series.
	Stack Stack
	// Goroutines is the goroutine-dump evidence of the latest snapshot that
	// had the site; nil when no dump gave any.
	Goroutines *GoroutineInfo
	// values has one entry per snapshot, 0 where the site was absent;
	// packed, so that a series of thousands of snapshots holds a few bytes
	// per site and snapshot (Values, AppendValues and Zero read them).
	values packed
}

// NewSiteSeries returns site's series of values (one per snapshot).
func NewSiteSeries(site Site, values []int64) SiteSeries {
	return SiteSeries{Site: site, values: packInts(values)}
}

// Values returns the site's values, one per snapshot of its series, 0
// where it was absent: a new slice each call.
func (s *SiteSeries) Values() []int64 {
	return s.values.appendTo(make([]int64, 0, s.values.len()))
}

// AppendValues appends the site's values to dst, to decode many sites into
// one buffer.
func (s *SiteSeries) AppendValues(dst []int64) []int64 { return s.values.appendTo(dst) }

// Len is the number of values: the series' snapshots.
func (s *SiteSeries) Len() int { return s.values.len() }

// Zero reports whether the site's values at snapshots [from, to) are all 0.
func (s *SiteSeries) Zero(from, to int) bool { return s.values.allZero(from, to) }

// SetValues replaces the site's values.
func (s *SiteSeries) SetValues(v []int64) { s.values = packInts(v) }

// Set is the result of Align.
type Set struct {
	// Series are sorted by source, kind, then metric order of the kind.
	Series []Series
	// Duplicates are snapshots left out because an earlier snapshot of the
	// same source and kind has identical content, or the same moment and
	// totals.
	Duplicates []Skipped
	// SameMoment are snapshots left out because an earlier snapshot of the
	// same source and kind was taken at the same moment with other totals
	// (two processes under one source, say): a moment is not counted twice,
	// and which of two different profiles is right cannot be told, so the
	// first file's is analysed and these are listed with the totals of
	// both. One profile saved in two forms (debug=0 and debug=2: other
	// bytes, the same totals) is among Duplicates.
	SameMoment []Skipped
	// SetAside are snapshots of kinds that are not analysed (cpu, mutex, …).
	SetAside []Snapshot
}

// Align groups snapshots into series by source and kind, orders each group
// in time, counts identical snapshots once, splits series at restarts and
// lines the same site up across snapshots. The snapshots are consumed (their
// site slices are reused).
func Align(snaps []Snapshot) *Set {
	set := &Set{}
	type gk struct {
		source string
		kind   Kind
	}
	groups := map[gk][]Snapshot{}
	var order []gk
	for _, s := range snaps {
		if s.Kind == KindOther {
			set.SetAside = append(set.SetAside, s)
			continue
		}
		k := gk{s.Source, s.Kind}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], s)
	}
	slices.SortFunc(order, func(a, b gk) int {
		if c := cmp.Compare(a.source, b.source); c != 0 {
			return c
		}
		return cmp.Compare(a.kind, b.kind)
	})
	// Restarts seen in one kind of a source apply to its other kinds.
	restarts := map[string][]restart{}
	ordered := map[gk][]Snapshot{}
	known := map[gk]bool{}
	for _, k := range order {
		g := groups[k]
		known[k] = Order(g)
		g, dups, same := dedupe(g, known[k])
		set.Duplicates = append(set.Duplicates, dups...)
		set.SameMoment = append(set.SameMoment, same...)
		ordered[k] = g
		restarts[k.source] = append(restarts[k.source], findRestarts(g, k.kind)...)
	}
	for _, k := range order {
		g := ordered[k]
		segs := segmentsFor(g, known[k], restarts[k.source])
		for m := range g[0].Metrics {
			set.Series = append(set.Series, buildSeries(g, m, known[k], segs))
		}
	}
	return set
}

// dedupe drops snapshots whose content equals an earlier one's at the same
// moment (or when times are unknown: a copy), and, when times are known,
// snapshots taken at the same moment as an earlier one (the same goroutines
// saved as debug=0 and debug=2, say): counting a moment twice would weigh it
// double. Identical content at different times is kept: a process whose
// goroutines did not change is a flat series, not a copy. g is in time
// order, so the first file of a moment is kept.
func dedupe(g []Snapshot, timesKnown bool) (out []Snapshot, dups, same []Skipped) {
	type seen struct {
		file string
		time Snapshot // only Time and TimeFrom are set
	}
	first := map[uint64]seen{}
	out = g[:0]
	for _, s := range g {
		if f, ok := first[s.Digest]; ok && (!timesKnown || sameMoment(&f.time, &s)) {
			dups = append(dups, Skipped{File: s.File, Err: fmt.Errorf("identical to %s", f.file)})
			continue
		}
		first[s.Digest] = seen{s.File, Snapshot{Time: s.Time, TimeFrom: s.TimeFrom}}
		if n := len(out); timesKnown && n > 0 && sameMoment(&out[n-1], &s) {
			kept, at := &out[n-1], s.Time.Format(time.RFC3339Nano)
			if slices.Equal(kept.Totals, s.Totals) {
				dups = append(dups, Skipped{File: s.File, Err: fmt.Errorf("same moment (%s) and totals as %s: one profile in two forms", at, kept.File)})
			} else {
				same = append(same, Skipped{File: s.File, Err: sameMomentError(kept, &s)})
			}
			continue
		}
		out = append(out, s)
	}
	return out, dups, same
}

// sameMomentError says why s, of the moment of kept but with other
// content and other totals, is not analysed.
func sameMomentError(kept, s *Snapshot) error {
	at := s.Time.Format(time.RFC3339Nano)
	var a, b int64
	if len(kept.Totals) > 0 && len(s.Totals) > 0 {
		a, b = kept.Totals[0], s.Totals[0]
	}
	return fmt.Errorf("taken at the same moment (%s) as %s but with different content (total %d there, %d here): not analysed, %s is; two processes under one source? Name sources with --source-regexp or --source-label", at, kept.File, a, b, kept.File)
}

// sameMoment reports whether two snapshots were taken at the same time, to
// the precision of the coarser of their times (file names carry seconds).
func sameMoment(a, b *Snapshot) bool {
	if a.TimeFrom == TimeFromFileName || b.TimeFrom == TimeFromFileName {
		return a.Time.Truncate(time.Second).Equal(b.Time.Truncate(time.Second))
	}
	return a.Time.Equal(b.Time)
}

// restart is a process restart seen between two snapshots of one kind.
type restart struct {
	after, before time.Time // times of the snapshots either side (zero if unknown)
	file          string    // first snapshot of the new process
	reason        string
}

// findRestarts looks for a new process between consecutive snapshots: a
// different main binary (build ID), or a counter that only grows during a
// process's life going down (heap: total allocations; goroutine dumps: the
// highest goroutine id).
func findRestarts(g []Snapshot, kind Kind) []restart {
	var out []restart
	for i := 1; i < len(g); i++ {
		a, b := &g[i-1], &g[i]
		var why string
		switch {
		case a.Binary != "" && b.Binary != "" && a.Binary != b.Binary:
			why = fmt.Sprintf("the binary changed (build %s → %s)", short(a.Binary), short(b.Binary))
		case a.Cumulative >= 0 && b.Cumulative >= 0 && b.Cumulative < a.Cumulative:
			if kind == KindHeap {
				why = "cumulative allocation counts went down"
			} else {
				why = "goroutine ids started again from a lower number"
			}
		}
		if why != "" {
			out = append(out, restart{after: a.Time, before: b.Time, file: b.File, reason: fmt.Sprintf("restart before %s: %s (seen in the %s series)", b.File, why, kind)})
		}
	}
	return out
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// segmentsFor places the source's restarts in this group: a restart starts
// a new segment at the first snapshot taken after the last snapshot of the
// old process. Without times, only the group's own restarts are placed.
func segmentsFor(g []Snapshot, timesKnown bool, rs []restart) []Segment {
	segs := []Segment{{Start: 0}}
	for _, r := range rs {
		idx := -1
		for i := range g {
			if g[i].File == r.file {
				idx = i
				break
			}
		}
		if idx < 0 && timesKnown && !r.after.IsZero() {
			for i := range g {
				if g[i].Time.After(r.after) {
					idx = i
					break
				}
			}
		}
		if idx <= 0 {
			continue
		}
		if j := slices.IndexFunc(segs, func(s Segment) bool { return s.Start == idx }); j >= 0 {
			continue
		}
		segs = append(segs, Segment{Start: idx, Reason: r.reason})
	}
	slices.SortFunc(segs, func(a, b Segment) int { return cmp.Compare(a.Start, b.Start) })
	return segs
}

func buildSeries(g []Snapshot, m int, timesKnown bool, segs []Segment) Series {
	s := Series{
		Source:     g[0].Source,
		Kind:       g[0].Kind,
		Metric:     g[0].Metrics[m],
		Secondary:  m > 0,
		TimesKnown: timesKnown,
		Times:      make([]time.Time, len(g)),
		Files:      make([]string, len(g)),
		Totals:     make([]int64, len(g)),
		Segments:   segs,
	}
	idx := map[Site]int{}
	type best struct {
		stack Stack
		value int64
	}
	var bests []best
	var dense [][]int64 // values of s.Sites, packed once complete
	for i := range g {
		snap := &g[i]
		if timesKnown {
			s.Times[i] = snap.Time
		}
		s.Files[i] = snap.File
		if m < len(snap.Totals) {
			s.Totals[i] = snap.Totals[m]
		}
		if m >= len(snap.Metrics) {
			s.Notes = append(s.Notes, fmt.Sprintf("%s has no %s values", snap.File, s.Metric.Name))
		} else if snap.Metrics[m] != s.Metric {
			s.Notes = append(s.Notes, fmt.Sprintf("%s measures %s, not %s", snap.File, snap.Metrics[m].Name, s.Metric.Name))
		}
		if snap.fold != nil {
			continue // folded: the sites are filled from the columns below
		}
		for _, sv := range snap.Sites {
			j, ok := idx[sv.Site]
			if !ok {
				j = len(s.Sites)
				idx[sv.Site] = j
				s.Sites = append(s.Sites, SiteSeries{Site: sv.Site})
				dense = append(dense, make([]int64, len(g)))
				bests = append(bests, best{})
			}
			if m < len(sv.Values) {
				dense[j][i] = sv.Values[m]
			}
			if b := &bests[j]; b.stack == nil || sv.StackValue > b.value {
				b.stack, b.value = sv.Stack, sv.StackValue
			}
			if sv.Goroutines != nil {
				s.Sites[j].Goroutines = sv.Goroutines
			}
		}
	}
	for j := range s.Sites {
		s.Sites[j].Stack = bests[j].stack
		s.Sites[j].values = packInts(dense[j])
	}
	if g[0].fold != nil {
		foldedSites(&s, g, m)
	}
	if !timesKnown && len(g) > 1 {
		s.Notes = append(s.Notes, "some snapshots have no time in the profile or the file name: all are in file-name order, and time spans and rates are unknown")
	}
	slices.SortFunc(s.Sites, func(a, b SiteSeries) int { return a.Site.Compare(b.Site) })
	return s
}

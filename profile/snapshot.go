package profile

import (
	"crypto/sha256"
	"time"
)

// Metric names one value column of a snapshot ("inuse_space", "bytes").
type Metric struct {
	Name string
	Unit string
}

// Snapshot is one profile file at one moment, already reduced to values per
// site: the decoded profile is not kept.
type Snapshot struct {
	// File is the path as given (or "-" for standard input).
	File string
	// Source is the process the snapshot came from; set by Load.
	Source string
	Kind   Kind
	// Type names the profile as read: "heap", "goroutine", "cpu",
	// "contentions", … (for KindOther snapshots it is what the summary shows).
	Type   string
	Format Format
	// Time is when the snapshot was taken; zero when TimeFrom is TimeUnknown.
	Time     time.Time
	TimeFrom TimeOrigin
	// Metrics are the analysed value columns, most important first
	// (heap: inuse_space then inuse_objects; goroutine: goroutines).
	Metrics []Metric
	// Totals holds the sum over all samples, one per metric.
	Totals []int64
	// Sites holds one entry per site, sorted by Site.
	Sites []SiteValue
	// Binary identifies the main binary (its build ID, else its file name);
	// empty when the format does not say. A change inside one source is a
	// restart with a new build.
	Binary string
	// Cumulative is a counter that only grows during one process's life
	// (heap: total allocated objects; goroutine dumps: the highest goroutine
	// id), or -1 when unknown. A decrease is a restart.
	Cumulative int64
	// Labels holds, per sample label key, the most frequent value.
	Labels map[string]string
	// Digest is a hash of the decoded content, to count identical
	// snapshots once.
	Digest uint64
	// Notes are non-fatal remarks on the file ("negative values: a diff
	// profile?").
	Notes []string

	internedNames bool // the decoder took its strings from the Interner

	// fold, when set, holds this snapshot's per-site values (Sites is
	// then nil): the columns of its group, at slot foldSlot.
	fold     *fold
	foldKey  foldKey
	foldSlot int

	// stat and sum identify the file it was read from, for a load state
	// (zero unless Load keeps one).
	stat fileStat
	sum  [sha256.Size]byte
}

// Folded reports whether s's per-site values were folded into its
// series' columns as it was read (LoadOptions.Fold): Sites is then nil and
// only Align reads the values.
func (s *Snapshot) Folded() bool { return s.fold != nil }

// SiteValue is a site's values in one snapshot.
type SiteValue struct {
	Site Site
	// Values has one entry per Snapshot.Metrics.
	Values []int64
	// Stack is the heaviest full stack (by the first metric) that owns the
	// site in this snapshot; StackValue is its value.
	Stack      Stack
	StackValue int64
	// Goroutines holds goroutine-dump evidence; nil for other formats.
	Goroutines *GoroutineInfo
}

// GoroutineInfo is what a debug=2 dump says about a site's goroutines
// beyond their count.
type GoroutineInfo struct {
	// States counts goroutines per wait reason ("chan send", "select",
	// "IO wait"), most frequent first, ties by name.
	States []StateCount
	// MaxWait is the longest time one of them has been blocked; the runtime
	// reports whole minutes and only from one minute on, so 0 means "under a
	// minute or not blocked".
	MaxWait time.Duration
	// Leaked counts goroutines the runtime marked "(leaked)".
	Leaked int
	// CreatedBy is the function that started the heaviest stack's
	// goroutines (the "created by" line), if the dump says.
	CreatedBy string
}

// StateCount is the number of goroutines in one state.
type StateCount struct {
	State string
	Count int
}

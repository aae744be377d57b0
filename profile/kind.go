package profile

import (
	"errors"
	"fmt"
)

// Kind is what a snapshot measures. KindHeap, KindGoroutine,
// KindGoroutineLeak and KindMetrics are analysed; KindOther snapshots are
// read, named and set aside.
type Kind int

const (
	// KindOther is any profile leakdiff reads but does not analyse (cpu,
	// mutex, block, threadcreate, allocation-only, wall time, …).
	KindOther Kind = iota
	// KindHeap is a heap profile: in-use bytes and objects per allocation site.
	KindHeap
	// KindGoroutine is a goroutine profile or dump: live goroutines per stack.
	KindGoroutine
	// KindGoroutineLeak is the runtime's goroutineleak profile: goroutines the
	// garbage collector proved blocked forever. Every one is a leak.
	KindGoroutineLeak
	// KindMetrics is a Prometheus /metrics text snapshot: one site per
	// gauge or counter sample (Site.File says which); counters are not
	// trends themselves, but the balance of a pair of them is
	// (Set.AddBalances).
	KindMetrics
)

var kindNames = [...]string{KindOther: "other", KindHeap: "heap", KindGoroutine: "goroutine", KindGoroutineLeak: "goroutineleak", KindMetrics: "metrics"}

// Metric site types, in Site.File of KindMetrics sites.
const (
	MetricCounter = "counter"
	MetricGauge   = "gauge"
	MetricBalance = "balance" // a counter pair's difference
	// BalanceSep joins the two counters of a balance site: "A − B".
	BalanceSep = " − "
)

func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return fmt.Sprintf("Kind(%d)", int(k))
	}
	return kindNames[k]
}

// MarshalText implements encoding.TextMarshaler.
func (k Kind) MarshalText() ([]byte, error) {
	if k < 0 || int(k) >= len(kindNames) {
		return nil, fmt.Errorf("invalid kind %d", int(k))
	}
	return []byte(kindNames[k]), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *Kind) UnmarshalText(b []byte) error {
	for i, n := range kindNames {
		if n == string(b) {
			*k = Kind(i)
			return nil
		}
	}
	return fmt.Errorf("unknown kind %q (want other, heap, goroutine or goroutineleak)", b)
}

// Format is the encoding a snapshot was read from.
type Format string

// The formats leakdiff reads.
const (
	FormatProto         Format = "pprof"            // protobuf, gzip'd or not
	FormatLegacy        Format = "pprof-legacy"     // legacy text/binary formats pprof parses
	FormatGoHeapText    Format = "heap-debug1"      // Go heap profile, debug=1 text
	FormatGoCountText   Format = "go-count-debug1"  // goroutine, goroutineleak, threadcreate
	FormatGoroutineDump Format = "goroutine-debug2" // runtime.Stack / debug=2 / crash output
	FormatPrometheus    Format = "prometheus-text"  // /metrics text exposition (KindMetrics)
	FormatCollectIndex  Format = "collect-index"    // leakdiff collect's index, set aside
)

// TimeOrigin says where a snapshot's time came from, strongest first.
type TimeOrigin int

const (
	// TimeUnknown: neither the profile nor the file name gave a time; the
	// snapshot is ordered by file name.
	TimeUnknown TimeOrigin = iota
	// TimeFromFileName: a timestamp in the file name.
	TimeFromFileName
	// TimeFromProfileData: the profile's own TimeNanos.
	TimeFromProfileData
)

func (o TimeOrigin) String() string {
	switch o {
	case TimeFromProfileData:
		return "profile"
	case TimeFromFileName:
		return "file name"
	default:
		return "unknown"
	}
}

// MarshalText implements encoding.TextMarshaler.
func (o TimeOrigin) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// Errors a caller may branch on.
var (
	// ErrUnrecognized: the input is no profile format leakdiff reads.
	ErrUnrecognized = errors.New("not a profile")
	// ErrEmpty: the input is empty or holds no samples at all.
	ErrEmpty = errors.New("empty input")
	// ErrTooLarge: the input, read or decompressed, is over the size limit
	// (DecodeOptions.MaxBytes).
	ErrTooLarge = errors.New("too large")
)

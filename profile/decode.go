package profile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cespare/xxhash/v2"
	pprof "github.com/google/pprof/profile"
)

// DecodeOptions tunes Decode.
type DecodeOptions struct {
	// Sites chooses each sample's site.
	Sites SitePolicy
	// MaxBytes bounds a snapshot's size after decompression; 0 means
	// DefaultMaxBytes.
	MaxBytes int64
	// Seed keys the content digest; snapshots compared for identity must
	// share it. The zero Seed means an unseeded digest (xxhash64), the same
	// in every process: snapshots read from the Cache compare with fresh
	// ones.
	Seed maphash.Seed
	// Interner, when set, shares stacks and names among snapshots (Load
	// sets one).
	Interner *Interner
	// Gate, when set, lets one large input at a time be held in memory
	// among the decodes that share it (Load sets one).
	Gate *Gate
	// Cache, when set, keeps the snapshots ReadFile (and so Load) reduces,
	// keyed by file content and the options above, and gives them back
	// instead of decoding the same bytes again. Unused with a Seed.
	Cache Cache

	sums bool // ReadFile keeps each file's SHA-256 (Load with a State)
}

// bufPool recycles the buffers snapshots are inflated into: a day of
// snapshots would otherwise allocate (and collect) gigabytes.
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// DefaultMaxBytes is the default bound on one decompressed snapshot: above
// the largest profiles of real services (a heap profile of tens of MB, a
// goroutine dump of 100,000 goroutines), low enough that one hostile input
// at the limit decodes in well under 512 MiB.
const DefaultMaxBytes = 128 << 20

// Decode reads one snapshot from data: a pprof protobuf (gzip'd or not), a
// legacy text profile that pprof parses (Go debug=1 heap and goroutine
// profiles, whose '#' lines give names), or a goroutine text dump (debug=2,
// runtime.Stack, crash output). name is the file name: it tells a
// goroutineleak dump from a goroutine dump, and it prefixes nothing (the
// caller wraps errors with the path).
func Decode(data []byte, name string, opts *DecodeOptions) (*Snapshot, error) {
	h := &hold{g: opts.Gate}
	defer h.release()
	return decode(data, name, opts, h)
}

func decode(data []byte, name string, opts *DecodeOptions, h *hold) (*Snapshot, error) {
	if len(data) == 0 {
		return nil, ErrEmpty
	}
	maxBytes := maxInput(opts)
	if isGzip(data) {
		buf := getBuf()
		defer putBuf(buf) // nothing decoded keeps a reference into it
		raw, err := gunzip(buf, data, maxBytes, h)
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("decompress: truncated gzip stream: %w", err)
		}
		if err != nil {
			if errors.Is(err, ErrUnrecognized) || errors.Is(err, ErrTooLarge) {
				return nil, err
			}
			return nil, fmt.Errorf("decompress: %w", err)
		}
		data = raw
		if len(data) == 0 {
			return nil, ErrEmpty
		}
	} else if int64(len(data)) > maxBytes {
		return nil, fmt.Errorf("%w: %d bytes, over the limit of %s (--max-snapshot-size)", ErrTooLarge, len(data), byteSize(maxBytes))
	} else if why := implausible(data[:min(len(data), sniffLen)], int64(len(data))); why != "" {
		return nil, fmt.Errorf("%w: %s", ErrUnrecognized, why)
	}
	var digest uint64
	if opts.Seed == (maphash.Seed{}) {
		digest = xxhash.Sum64(data)
	} else {
		digest = maphash.Bytes(opts.Seed, data)
	}
	sp := opts.Sites
	sp.maxSites = siteCap(maxBytes)
	var s *Snapshot
	var err error
	switch text := isText(data); {
	case filepath.Base(name) == CollectIndexName:
		s = &Snapshot{Kind: KindOther, Type: "collect index", Format: FormatCollectIndex, Cumulative: -1}
	case text && looksLikePrometheus(data):
		// The text parser holds about 1.5 KiB per series.
		if n := countRecords(data); n > sp.maxSites {
			return nil, tooManySites("metric series", sp.maxSites)
		}
		s, err = decodeMetrics(data)
	case text && looksLikeGoroutineDump(data):
		s, err = decodeDump(data, name, &sp)
	case text:
		// pprof's legacy text parsers hold about a KiB per sample line.
		if n := countRecords(data); n > sp.maxSites {
			return nil, tooManySites("sample lines", sp.maxSites)
		}
		fallthrough
	default:
		s, err = decodePprof(data, &sp, opts.Interner)
	}
	if err != nil {
		return nil, err
	}
	s.Digest = digest
	if !s.internedNames { // the lean decoder's sites and stacks are interned already
		opts.Interner.sites(s.Sites)
	}
	return s, nil
}

// countRecords counts the lines of text that are not blank and not '#'
// comments: the series of metrics text, the samples of a legacy profile.
func countRecords(data []byte) int {
	n := 0
	for line := range bytes.Lines(data) {
		if line = bytes.TrimLeft(line, " \t"); len(line) > 0 && line[0] != '#' && line[0] != '\n' && line[0] != '\r' {
			n++
		}
	}
	return n
}

// getBuf and putBuf recycle the buffers snapshots are read and inflated
// into; one past largeInput is dropped rather than kept for the next.
func getBuf() *bytes.Buffer {
	b := bufPool.Get().(*bytes.Buffer)
	b.Reset()
	return b
}

func putBuf(b *bytes.Buffer) {
	if b.Cap() <= largeInput+sniffLen {
		bufPool.Put(b)
	}
}

// byteSize prints a limit: "1 GiB", "512 MiB", else bytes.
func byteSize(n int64) string {
	for _, u := range []struct {
		size int64
		name string
	}{{1 << 30, "GiB"}, {1 << 20, "MiB"}, {1 << 10, "KiB"}} {
		if n >= u.size && n%u.size == 0 {
			return fmt.Sprintf("%d %s", n/u.size, u.name)
		}
	}
	return fmt.Sprintf("%d bytes", n)
}

// CollectIndexName is the index leakdiff collect writes beside the
// snapshots: read and set aside, not skipped.
const CollectIndexName = "collect-index.jsonl"

// looksLikePrometheus reports whether text starts like the Prometheus text
// exposition format (or OpenMetrics): "# HELP name" or "# TYPE name kind",
// or, since both are optional, lines that all read as samples ("name 1",
// `name{a="b"} 2.5e3 1700000000000`) before any other.
func looksLikePrometheus(data []byte) bool {
	head := data[:min(len(data), 4096)]
	if bytes.HasPrefix(head, []byte("# HELP ")) || bytes.HasPrefix(head, []byte("# TYPE ")) {
		return true
	}
	if len(head) < len(data) { // the last line may be cut
		head = head[:bytes.LastIndexByte(head, '\n')+1]
	}
	samples := 0
	for line := range bytes.Lines(head) {
		line = bytes.TrimSpace(line)
		switch {
		case len(line) == 0 || line[0] == '#':
			continue
		case !promSampleRE.Match(line):
			return false
		}
		if samples++; samples == 5 {
			break
		}
	}
	return samples > 0
}

// promSampleRE is one sample line of the text exposition format.
var promSampleRE = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})?[ \t]+[-+]?([0-9.]+([eE][-+]?[0-9]+)?|NaN|Inf)([ \t]+-?[0-9]+)?$`)

// isText reports whether data looks like text: no control byte other than
// tab, CR and LF in its first 4 KiB (protobuf tags and lengths are full of
// them).
func isText(data []byte) bool {
	for _, c := range data[:min(len(data), 4096)] {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
			return false
		}
	}
	return true
}

func decodeDump(data []byte, name string, p *SitePolicy) (*Snapshot, error) {
	leakOnly := strings.Contains(strings.ToLower(filepath.Base(name)), "goroutineleak")
	s := &Snapshot{Kind: KindGoroutine, Type: "goroutine", Format: FormatGoroutineDump,
		Metrics: []Metric{{Name: "goroutines", Unit: "count"}}, Cumulative: -1}
	if leakOnly {
		s.Kind, s.Type = KindGoroutineLeak, "goroutineleak"
	}
	r := newReducer(p, 1)
	r.mergeStacks = true // one sample per goroutine
	one := []int64{1}
	var maxID int64
	stats, err := ParseGoroutineDump(bytes.NewReader(data), func(g *Goroutine) error {
		maxID = max(maxID, g.ID)
		if leakOnly && !g.Leaked {
			return nil
		}
		for k, v := range g.Labels {
			r.addLabel(k, v)
		}
		r.add(g.Stack, one, &goroutineSample{state: g.State, wait: g.Wait, leaked: g.Leaked, createdBy: g.CreatedBy.Function})
		return r.err
	})
	if r.err != nil {
		return nil, r.err
	}
	if err != nil {
		return nil, fmt.Errorf("parse goroutine dump: %w", err)
	}
	if s.Sites, s.Totals, err = r.finish(); err != nil {
		return nil, err
	}
	s.Labels = r.dominantLabels()
	s.Cumulative = maxID
	if stats.ProblemCount > 0 {
		s.Notes = append(s.Notes, fmt.Sprintf("%d malformed line(s) skipped, first: %v", stats.ProblemCount, stats.Problems[0]))
	}
	if r.saturated > 0 {
		s.Notes = append(s.Notes, saturationNote(r.saturated))
	}
	if stats.HugeIDs > 0 {
		s.Notes = append(s.Notes, fmt.Sprintf("%d goroutine id(s) past 2^63−1, read as that (the goroutines are counted)", stats.HugeIDs))
	}
	return s, nil
}

func decodePprof(data []byte, sp *SitePolicy, in *Interner) (*Snapshot, error) {
	if !isText(data) {
		s, err := decodeLean(data, sp, in)
		switch {
		case err == nil:
			return s, nil
		case !errors.Is(err, errLean):
			return nil, err
		case len(data) > largeInput:
			// pprof's object graph takes about ten times the content:
			// it is asked to name the fault only in smaller files.
			return nil, fmt.Errorf("malformed pprof protobuf (%d MiB; files over %d MiB are not given to github.com/google/pprof's parser, which would say where)", len(data)>>20, largeInput>>20)
		}
	}
	return decodeWithPprof(data, sp)
}

// decodeWithPprof decodes with github.com/google/pprof/profile: every
// legacy format, and any protobuf the lean decoder does not take.
func decodeWithPprof(data []byte, sp *SitePolicy) (*Snapshot, error) {
	p, err := pprof.ParseData(data)
	if err != nil {
		if hint := notAProfile(data); hint != "" {
			return nil, fmt.Errorf("%w: %s", ErrUnrecognized, hint)
		}
		if strings.Contains(err.Error(), bufio.ErrTooLong.Error()) {
			return nil, fmt.Errorf("%w: text with a line over 64 KiB, which no text profile has", ErrUnrecognized)
		}
		if strings.Contains(err.Error(), "unrecognized profile format") {
			return nil, fmt.Errorf("%w (leakdiff reads pprof protobuf, legacy pprof text profiles and Go goroutine dumps)", ErrUnrecognized)
		}
		return nil, err
	}
	s := &Snapshot{Format: FormatProto, Cumulative: -1}
	var symbols map[uint64][]Frame
	if isText(data) {
		s.Format = FormatLegacy
		symbols = legacySymbols(data)
		switch {
		case bytes.HasPrefix(data, []byte("heap profile:")):
			s.Format = FormatGoHeapText
		case goCountRE.Match(data[:min(len(data), 256)]):
			s.Format = FormatGoCountText
		}
	}
	if p.TimeNanos > 0 {
		s.Time = time.Unix(0, p.TimeNanos).UTC()
		s.TimeFrom = TimeFromProfileData
	}
	for _, m := range p.Mapping {
		if m.BuildID != "" || m.File != "" {
			s.Binary = m.BuildID
			if s.Binary == "" {
				s.Binary = m.File
			}
			break
		}
	}
	idx := classify(pprofTypes(p), s)
	if len(p.Sample) == 0 {
		s.Notes = append(s.Notes, "no samples")
	}
	if s.Kind == KindOther {
		s.Totals = nil
		return s, nil
	}

	r := newReducer(sp, len(idx))
	unsymbolized := 0
	frames := make(map[*pprof.Location][]Frame, len(p.Location))
	locFrames := func(l *pprof.Location) []Frame {
		if f, ok := frames[l]; ok {
			return f
		}
		var out []Frame
		if len(l.Line) == 0 && symbols != nil {
			// pprof moved each address back by one to land on the call;
			// the '#' lines print the same adjusted address.
			out = symbols[l.Address]
			if out == nil {
				out = symbols[l.Address+1]
			}
			if out == nil {
				// printStackRecord hides the runtime frames at the
				// leaf (mallocgc, gopark): those are the addresses
				// without a '#' line.
				out = []Frame{}
			}
		}
		if out == nil {
			for _, ln := range l.Line {
				if ln.Function == nil {
					continue
				}
				name := ln.Function.Name
				if name == "" {
					name = ln.Function.SystemName
				}
				out = append(out, Frame{Function: NormalizeFunction(name), File: Printable(ln.Function.Filename), Line: int(ln.Line)})
			}
		}
		if out == nil {
			out = []Frame{{Function: "0x" + strconv.FormatUint(l.Address, 16)}}
			unsymbolized++
		}
		frames[l] = out
		return out
	}
	vals := make([]int64, len(idx))
	negative := false
	// The note on unsymbolized locations counts the whole location table,
	// as the lean decoder does.
	for _, l := range p.Location {
		locFrames(l)
	}
	var cumulative int64
	cumIdx := sampleIndex(p, "alloc_objects")
	var stk Stack
	for _, smp := range p.Sample {
		stk = stk[:0]
		for _, l := range smp.Location {
			stk = append(stk, locFrames(l)...)
		}
		allZero := true
		for i, j := range idx {
			vals[i] = smp.Value[j]
			if vals[i] < 0 {
				negative = true
			}
			if vals[i] != 0 {
				allZero = false
			}
		}
		if cumIdx >= 0 {
			addSat(&cumulative, smp.Value[cumIdx], &r.saturated)
		}
		if allZero {
			continue // freed allocations of a heap profile: no in-use value
		}
		for k, v := range smp.Label {
			if len(v) > 0 {
				r.addLabel(k, v[0])
			}
		}
		if r.add(stk, vals, nil); r.err != nil {
			break
		}
	}
	if s.Sites, s.Totals, err = r.finish(); err != nil {
		return nil, err
	}
	s.Labels = r.dominantLabels()
	if cumIdx >= 0 {
		s.Cumulative = cumulative
	}
	if unsymbolized > 0 && unsymbolized*2 >= len(frames) {
		s.Notes = append(s.Notes, fmt.Sprintf("%d of %d locations have no function name: their sites are addresses, which line up only across snapshots of the same binary", unsymbolized, len(frames)))
	}
	if r.saturated > 0 {
		s.Notes = append(s.Notes, saturationNote(r.saturated))
	}
	if negative {
		s.Notes = append(s.Notes, "negative values: this looks like a diff of two profiles, not a snapshot")
	}
	return s, nil
}

var goCountRE = regexp.MustCompile(`^\s*(\S+) profile: total \d+`)

// classify sets the snapshot's kind, type and metrics from the sample types
// (never from the file name) and returns the sample-value index of each
// metric.
func classify(types []valueType, s *Snapshot) []int {
	seen := map[string]bool{}
	for _, t := range types {
		if seen[t.Type] {
			s.Notes = append(s.Notes, fmt.Sprintf("sample type %s appears more than once: the first is used", t.Type))
		}
		seen[t.Type] = true
	}
	find := func(names ...string) int {
		for _, n := range names {
			for i, st := range types {
				if st.Type == n {
					return i
				}
			}
		}
		return -1
	}
	unit := func(i int) string { return types[i].Unit }
	if i := find("inuse_space", "space"); i >= 0 && unit(i) == "bytes" {
		s.Kind, s.Type = KindHeap, "heap"
		idx := []int{i}
		s.Metrics = []Metric{{Name: types[i].Type, Unit: "bytes"}}
		if j := find("inuse_objects", "objects"); j >= 0 {
			idx = append(idx, j)
			s.Metrics = append(s.Metrics, Metric{Name: types[j].Type, Unit: "count"})
		}
		return idx
	}
	if i := find("goroutine"); i >= 0 {
		s.Kind, s.Type = KindGoroutine, "goroutine"
		s.Metrics = []Metric{{Name: "goroutines", Unit: "count"}}
		return []int{i}
	}
	if i := find("goroutineleak"); i >= 0 {
		s.Kind, s.Type = KindGoroutineLeak, "goroutineleak"
		s.Metrics = []Metric{{Name: "goroutines", Unit: "count"}}
		return []int{i}
	}
	s.Kind = KindOther
	switch {
	case find("alloc_space", "alloc_objects") >= 0:
		s.Type = "allocs (cumulative since start, never a leak signal)"
	case find("cpu") >= 0:
		s.Type = "cpu"
	case find("contentions", "delay") >= 0:
		s.Type = "contentions (mutex or block)"
	case find("threadcreate") >= 0:
		s.Type = "threadcreate"
	case find("wall", "wall-time") >= 0:
		s.Type = "wall time"
	default:
		var names []string
		for _, st := range types {
			names = append(names, st.Type+"/"+st.Unit)
		}
		s.Type = strings.Join(names, ",")
		if s.Type == "" {
			s.Type = "no sample types"
		}
	}
	return nil
}

// valueType is a sample type: "inuse_space", "bytes".
type valueType struct{ Type, Unit string }

func pprofTypes(p *pprof.Profile) []valueType {
	out := make([]valueType, len(p.SampleType))
	for i, st := range p.SampleType {
		out[i] = valueType{st.Type, st.Unit}
	}
	return out
}

func sampleIndex(p *pprof.Profile, name string) int {
	for i, st := range p.SampleType {
		if st.Type == name {
			return i
		}
	}
	return -1
}

// legacySymRE matches the symbol lines a Go debug=1 profile prints after each
// record (runtime/pprof printStackRecord):
//
//	#	0x4b8f2c	main.leak+0x4c	/src/main.go:42
//
// Inlined calls repeat the address on consecutive lines, innermost first.
var legacySymRE = regexp.MustCompile(`^#\t(0x[0-9a-fA-F]+)\t+(\S+?)(?:\+0x[0-9a-fA-F]+)?\t+(.*):(\d+)\s*$`)

// legacySymbols reads the '#' lines of a Go debug=1 text profile, which
// pprof's legacy parser skips as comments, into address → frames.
func legacySymbols(data []byte) map[uint64][]Frame {
	out := map[uint64][]Frame{}
	var last uint64 // address being filled by consecutive lines
	for _, line := range strings.Split(string(data), "\n") {
		m := legacySymRE.FindStringSubmatch(strings.TrimRight(line, "\r"))
		if m == nil {
			last = 0
			continue
		}
		addr, err := strconv.ParseUint(m[1][2:], 16, 64)
		if err != nil || addr != last && out[addr] != nil {
			last = 0 // already known from an earlier record
			continue
		}
		n, _ := strconv.Atoi(m[4])
		out[addr] = append(out[addr], Frame{Function: NormalizeFunction(m[2]), File: Printable(m[3]), Line: n})
		last = addr
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// notAProfile names well-known files that are not profiles, so the error
// says what the file is.
func notAProfile(data []byte) string {
	head := strings.TrimSpace(string(data[:min(len(data), 4096)]))
	switch {
	case strings.HasPrefix(head, "heap_v2/"):
		return "a jemalloc heap_v2 profile, which pprof's parser does not read (convert it with jeprof --proto)"
	case strings.HasPrefix(head, "{") && strings.Contains(head, `"nodes"`):
		return "a Chrome/Node .cpuprofile (JSON), not a pprof profile"
	case strings.HasPrefix(head, "{") || strings.HasPrefix(head, "["):
		return "a JSON document, not a pprof profile"
	case strings.Contains(head, "WARNING: DATA RACE"):
		return "a race detector report, not a goroutine dump"
	case strings.HasPrefix(head, "Type:") || strings.Contains(head, "\nSamples:\n"):
		return "the output of go tool pprof -raw/-text, not a profile file (save the profile itself)"
	case strings.HasPrefix(head, "PERFILE"):
		return "a Linux perf.data file, not a pprof profile (convert it with perf_to_profile from perf_data_converter)"
	case collapsedRE.MatchString(head):
		return "folded/collapsed stacks text, not a pprof profile"
	case perfScriptRE.MatchString(head):
		return "perf script output, not a pprof profile"
	}
	return ""
}

var (
	collapsedRE  = regexp.MustCompile(`^[^\s;]+(;[^;\n]+)* \d+\n`)
	perfScriptRE = regexp.MustCompile(`(?m)^\S+\s+\d+(/\d+)?\s+(\[\d+\]\s+)?[\d.]+:`)
)

// errNotProfile reports whether err means "this file is no profile".
func errNotProfile(err error) bool {
	return errors.Is(err, ErrUnrecognized) || errors.Is(err, ErrEmpty)
}

package bigseries

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/google/pprof/profile"
)

// Kind is the kind of a profile.
type Kind string

// The kinds written.
const (
	KindHeap      Kind = "heap"
	KindGoroutine Kind = "goroutine"
)

// Shape is how a planted site's value moves over the series.
type Shape string

// The shapes of planted sites.
const (
	Linear   Shape = "linear"   // Base + PerHour·t
	Warmup   Shape = "warmup"   // rises by Amplitude over the first 30% of the series, then flat
	Sawtooth Shape = "sawtooth" // Base + Amplitude·frac(t/Period)
)

const MiB = 1 << 20

// Site is a planted site: a function whose value follows a known curve.
type Site struct {
	// Name is the function's name as written in the profiles.
	Name string
	Kind Kind
	// Leak says whether leakdiff should report it as a leak.
	Leak  bool
	Shape Shape
	// Base is the value at the first snapshot: inuse_space bytes (heap) or
	// goroutines.
	Base float64
	// PerHour is a Linear site's growth per hour.
	PerHour float64
	// Amplitude is a Warmup site's rise or a Sawtooth site's tooth height.
	Amplitude float64
	// Period is a Sawtooth site's period.
	Period time.Duration
	// ObjectSize is a heap site's object size in bytes.
	ObjectSize int64
	// Stacks is how many distinct stacks reach the site.
	Stacks int
	tail   []string // root → leaf frames below the site
}

// PlantedSites are the sites with a known trend (see the package doc).
var PlantedSites = []Site{
	{Name: "example.com/svc/session.(*Store).track", Kind: KindHeap, Leak: true, Shape: Linear,
		Base: 4 * MiB, PerHour: 2 * MiB, ObjectSize: 256, Stacks: 3,
		tail: []string{"runtime.mapassign_faststr", "runtime.hashGrow", "runtime.makeBucketArray", "runtime.newarray", "runtime.mallocgc"}},
	{Name: "example.com/svc/cache.(*LRU[go.shape.string,go.shape.int]).Put", Kind: KindHeap, Leak: true, Shape: Linear,
		Base: 16 * MiB, PerHour: 20 * MiB, ObjectSize: 1024, Stacks: 3,
		tail: []string{"runtime.newobject", "runtime.mallocgc"}},
	{Name: "example.com/svc/ingest.(*Batcher).flush.func3", Kind: KindHeap, Leak: true, Shape: Linear,
		Base: 32 * MiB, PerHour: 200 * MiB, ObjectSize: 64 << 10, Stacks: 3,
		tail: []string{"bytes.(*Buffer).Write", "bytes.(*Buffer).grow", "bytes.growSlice", "runtime.growslice", "runtime.mallocgc"}},
	{Name: "example.com/svc/index.(*Trie).insert", Kind: KindHeap, Shape: Warmup,
		Base: 8 * MiB, Amplitude: 64 * MiB, ObjectSize: 128, Stacks: 2,
		tail: []string{"runtime.newobject", "runtime.mallocgc"}},
	{Name: "example.com/svc/stream.(*Window).append", Kind: KindHeap, Shape: Sawtooth,
		Base: 2 * MiB, Amplitude: 48 * MiB, Period: 30 * time.Minute, ObjectSize: 4096, Stacks: 2,
		tail: []string{"runtime.growslice", "runtime.mallocgc"}},
	{Name: "example.com/svc/rpc.(*Client).watch.func2", Kind: KindGoroutine, Leak: true, Shape: Linear,
		Base: 12, PerHour: 30, Stacks: 2,
		tail: []string{"runtime.selectgo", "runtime.gopark"}},
	{Name: "example.com/svc/events.(*Subscriber).loop", Kind: KindGoroutine, Leak: true, Shape: Linear,
		Base: 40, PerHour: 300, Stacks: 2,
		tail: []string{"runtime.chanrecv1", "runtime.chanrecv", "runtime.gopark"}},
}

// Value is the site's total at h hours into a series spanning span hours
// (inuse_space bytes or goroutines, before jitter).
func (s *Site) Value(h, span float64) float64 {
	return s.Base + s.grown(h, span, false)
}

// grown is the rise above Base at h; cumulative, it is what was ever added
// (monotonic, for the alloc_* counters).
func (s *Site) grown(h, span float64, cumulative bool) float64 {
	switch s.Shape {
	case Linear:
		return s.PerHour * h
	case Warmup:
		if span <= 0 {
			return 0
		}
		return s.Amplitude * math.Min(1, h/(0.3*span))
	case Sawtooth:
		x := h / s.Period.Hours()
		if cumulative {
			return s.Amplitude * x
		}
		return s.Amplitude * (x - math.Floor(x))
	}
	return 0
}

func (s *Site) weights() []float64 {
	w := make([]float64, s.Stacks)
	sum := 0.0
	for i := range w {
		w[i] = float64(s.Stacks - i) // 3:2:1
		sum += w[i]
	}
	for i := range w {
		w[i] /= sum
	}
	return w
}

// Config says what to write.
type Config struct {
	Out             string        // folder; files go to Out/Source
	Source          string        // source folder name, e.g. "api"
	Snapshots       int           // snapshots per kind
	Seed            uint64        //
	Stacks          int           // heap stacks per snapshot
	GoroutineStacks int           // goroutine stacks per snapshot
	Interval        time.Duration // between snapshots
	Start           time.Time     // first snapshot; zero: 2026-03-02T08:00:00Z
	Workers         int           // files written at once; 0: runtime.NumCPU()
	Progress        io.Writer     // if set, a line now and then
	// Sites are the planted sites; nil means PlantedSites. A fleet of
	// instances gives the healthy ones the same sites with their leaks
	// stopped (PerHour 0), so that all run the same program.
	Sites []Site
}

// DefaultStart is the time of the first snapshot when Config.Start is zero.
var DefaultStart = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

// File is one written profile.
type File struct {
	Path    string
	Kind    Kind
	Time    time.Time
	Bytes   int64
	Samples int
	// Functions and Locations are the sizes of the profile's tables.
	Functions, Locations int
	// Total is the summed alloc_objects (heap) or goroutines.
	Total int64
}

// Result is what Generate wrote.
type Result struct {
	Dir   string // Out/Source
	Files []File // heap files in time order, then goroutine files
	Bytes int64
}

// Generate writes the series described by cfg.
func Generate(cfg Config) (*Result, error) {
	if cfg.Source == "" {
		cfg.Source = "api"
	}
	if cfg.Snapshots <= 0 || cfg.Stacks < 0 || cfg.GoroutineStacks < 0 || cfg.Interval <= 0 {
		return nil, errors.New("bigseries: snapshots and interval must be positive")
	}
	if cfg.Start.IsZero() {
		cfg.Start = DefaultStart
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.NumCPU()
	}
	m, err := newModel(cfg)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(cfg.Out, cfg.Source)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	n := cfg.Snapshots
	res := &Result{Dir: dir, Files: make([]File, 2*n)}
	jobs := make(chan int)
	errc := make(chan error, cfg.Workers)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for range cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tb := newTables(m)
			for j := range jobs {
				kind, i := KindHeap, j/2
				if j%2 == 1 {
					kind = KindGoroutine
				}
				f, err := tb.write(dir, kind, i)
				if err != nil {
					errc <- err
					for range jobs {
					}
					return
				}
				slot := i
				if kind == KindGoroutine {
					slot = n + i
				}
				mu.Lock()
				res.Files[slot] = f
				done++
				if cfg.Progress != nil && (done%max(2*n/10, 1) == 0 || done == 2*n) {
					fmt.Fprintf(cfg.Progress, "bigseries: %d/%d files\n", done, 2*n)
				}
				mu.Unlock()
			}
		}()
	}
	for j := range 2 * n {
		jobs <- j
	}
	close(jobs)
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		return nil, err
	}
	for i, f := range res.Files {
		res.Bytes += f.Bytes
		if i > 0 && i < n && f.Total < res.Files[i-1].Total {
			return nil, fmt.Errorf("bigseries: summed alloc_objects went down at %s", f.Path)
		}
	}
	return res, nil
}

// tables are one worker's pprof objects, reused from profile to profile
// (profile.Write fills in private fields, so workers cannot share them).
type tables struct {
	m        *model
	mapping  *profile.Mapping
	funcs    []*profile.Function
	locs     []*profile.Location
	locStamp []uint32
	fnStamp  []uint32
	stamp    uint32
	sl       map[Kind][][]*profile.Location
}

func newTables(m *model) *tables {
	tb := &tables{
		m: m,
		mapping: &profile.Mapping{
			ID: 1, Start: mapStart, Limit: (m.nextAddr + 0xfffff) &^ 0xfffff, Offset: 0,
			File: m.binary, BuildID: m.buildID,
			HasFunctions: true, HasFilenames: true, HasLineNumbers: true, HasInlineFrames: true,
		},
		funcs:    make([]*profile.Function, len(m.funcs)),
		locs:     make([]*profile.Location, len(m.locs)),
		locStamp: make([]uint32, len(m.locs)),
		fnStamp:  make([]uint32, len(m.funcs)),
		sl:       map[Kind][][]*profile.Location{},
	}
	for i, f := range m.funcs {
		tb.funcs[i] = &profile.Function{Name: f.name, SystemName: f.name, Filename: f.file, StartLine: f.startLine}
	}
	for i, l := range m.locs {
		pl := &profile.Location{Mapping: tb.mapping, Address: l.addr, Line: make([]profile.Line, len(l.lines))}
		for k, ln := range l.lines {
			pl.Line[k] = profile.Line{Function: tb.funcs[ln.fn], Line: ln.line}
		}
		tb.locs[i] = pl
	}
	for _, kind := range []Kind{KindHeap, KindGoroutine} {
		stacks := m.heap
		if kind == KindGoroutine {
			stacks = m.gor
		}
		out := make([][]*profile.Location, len(stacks))
		for i, s := range stacks {
			out[i] = make([]*profile.Location, len(s.locs))
			for k, l := range s.locs {
				out[i][k] = tb.locs[l]
			}
		}
		tb.sl[kind] = out
	}
	return tb
}

func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// unit is a deterministic uniform number in [0, 1) for (seed, kind, stack, snapshot, salt).
func (m *model) unit(kind Kind, stack, snap int, salt uint64) float64 {
	k := uint64(1)
	if kind == KindGoroutine {
		k = 2
	}
	h := mix(m.cfg.Seed ^ mix(k<<56^uint64(stack)<<20^uint64(snap)) ^ mix(salt+0x632be59bd9b4e019))
	return float64(h>>11) / (1 << 53)
}

const compactTime = "20060102T150405Z"

// profile builds snapshot i of kind.
func (tb *tables) profile(kind Kind, i int) (*profile.Profile, int64) {
	m := tb.m
	cfg := m.cfg
	t := cfg.Start.Add(time.Duration(i) * cfg.Interval)
	h := float64(i) * cfg.Interval.Hours()
	span := float64(cfg.Snapshots-1) * cfg.Interval.Hours()
	minutes := float64(i) * cfg.Interval.Minutes()
	step := cfg.Interval.Minutes()
	p := &profile.Profile{TimeNanos: t.UnixNano(), Mapping: []*profile.Mapping{tb.mapping}}
	stacks := m.heap
	if kind == KindHeap {
		p.SampleType = []*profile.ValueType{
			{Type: "alloc_objects", Unit: "count"}, {Type: "alloc_space", Unit: "bytes"},
			{Type: "inuse_objects", Unit: "count"}, {Type: "inuse_space", Unit: "bytes"},
		}
		p.PeriodType = &profile.ValueType{Type: "space", Unit: "bytes"}
		p.Period = 524288
	} else {
		stacks = m.gor
		p.SampleType = []*profile.ValueType{{Type: "goroutine", Unit: "count"}}
		p.PeriodType = &profile.ValueType{Type: "goroutine", Unit: "count"}
		p.Period = 1
	}
	tb.stamp++
	nv := len(p.SampleType)
	vals := make([]int64, 0, nv*len(stacks))
	samples := make([]profile.Sample, 0, len(stacks))
	var total int64
	for si := range stacks {
		s := &stacks[si]
		if s.flaky && m.unit(kind, si, i, 1) >= 0.5 {
			continue
		}
		jit := 1 + 0.05*(2*m.unit(kind, si, i, 2)-1)
		if kind == KindHeap {
			var objs, alloc float64
			wiggle := 0.5 * s.allocRate * step * m.unit(kind, si, i, 3)
			if s.role == roleNoise {
				objs = math.Round(s.level * jit)
				alloc = s.alloc0 + s.allocRate*minutes + wiggle
			} else {
				ps := &m.planted()[s.role]
				objs = math.Round(ps.Value(h, span) * s.weight * jit / float64(ps.ObjectSize))
				alloc = s.alloc0 + s.allocRate*minutes + wiggle +
					(ps.Base+ps.grown(h, span, true))*s.weight/float64(ps.ObjectSize)
			}
			a := int64(alloc)
			vals = append(vals, a, a*s.size, int64(objs), int64(objs)*s.size)
			total += a
		} else {
			var n float64
			if s.role == roleNoise {
				n = math.Max(1, math.Round(s.level*jit))
			} else {
				ps := &m.planted()[s.role]
				n = math.Max(1, math.Round(ps.Base*s.weight*jit)) + math.Round(ps.grown(h, span, false)*s.weight)
			}
			vals = append(vals, int64(n))
			total += int64(n)
		}
		samples = append(samples, profile.Sample{Location: tb.sl[kind][si], Value: vals[len(vals)-nv:]})
		for _, l := range s.locs {
			if tb.locStamp[l] == tb.stamp {
				continue
			}
			tb.locStamp[l] = tb.stamp
			pl := tb.locs[l]
			pl.ID = uint64(len(p.Location) + 1)
			p.Location = append(p.Location, pl)
			for _, ln := range m.locs[l].lines {
				if tb.fnStamp[ln.fn] == tb.stamp {
					continue
				}
				tb.fnStamp[ln.fn] = tb.stamp
				pf := tb.funcs[ln.fn]
				pf.ID = uint64(len(p.Function) + 1)
				p.Function = append(p.Function, pf)
			}
		}
	}
	p.Sample = make([]*profile.Sample, len(samples))
	for k := range samples {
		p.Sample[k] = &samples[k]
	}
	return p, total
}

func (tb *tables) write(dir string, kind Kind, i int) (File, error) {
	p, total := tb.profile(kind, i)
	if err := p.CheckValid(); err != nil {
		return File{}, fmt.Errorf("bigseries: %s %d: %w", kind, i, err)
	}
	t := time.Unix(0, p.TimeNanos).UTC()
	path := filepath.Join(dir, fmt.Sprintf("%s-%s.pb.gz", kind, t.Format(compactTime)))
	f, err := os.Create(path)
	if err != nil {
		return File{}, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	err = p.Write(w)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return File{}, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return File{}, err
	}
	return File{Path: path, Kind: kind, Time: t, Bytes: st.Size(), Samples: len(p.Sample),
		Functions: len(p.Function), Locations: len(p.Location), Total: total}, nil
}

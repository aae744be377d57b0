package bigseries

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

type class uint8

const (
	clsRuntime class = iota
	clsStd
	clsUser
)

type function struct {
	name      string
	file      string
	startLine int64
	base      uint64 // address of its first instruction
	cls       class
	level     int     // user call graph level (1 = entry), std DAG level
	callees   []int32 // user graph / std DAG
	heapTails []int32 // indices into model.heapTails
	gorTails  []int32 // indices into model.gorTails
	nEdges    int     // locations created in it so far
}

type line struct {
	fn   int32
	line int64
}

type location struct {
	addr  uint64
	lines []line // innermost first, like pprof
}

type role int8

const roleNoise role = -1

type stack struct {
	locs  []int32 // leaf first
	flaky bool    // present in about half of the snapshots, independently
	role  role    // index into the planted sites, or roleNoise
	// weight is this stack's share of its planted site.
	weight float64
	// heap: object size in bytes; goroutine: unused.
	size int64
	// level is the stationary in-use object count (heap) or goroutine
	// count around which the value jitters.
	level float64
	// alloc0 and allocRate (objects per minute) drive the cumulative
	// alloc_* counters.
	alloc0, allocRate float64
}

type model struct {
	cfg       Config
	funcs     []function
	byName    map[string]int32
	locs      []location
	edge      map[[2]int32]int32
	heapTails [][]int32 // root → leaf function indices
	gorTails  [][]int32
	prefixes  []prefix
	levels    [][]int32 // user functions by level (index 0 unused)
	helpers   [2][]int32
	heap      []stack
	gor       []stack
	buildID   string
	binary    string
	nextAddr  uint64
	r         *rand.Rand
	nm        *namer
}

type prefix struct {
	fns     []int32 // root → leaf, starting at runtime.goexit
	entries []int32 // level-1 user functions it calls
}

const (
	mapStart  = 0x400000
	maxLevel  = 56
	nStdSynth = 620
	nDeps     = 900
	nApp      = 3550
	nHelpers  = 260
	inlinePct = 10
)

// Fixed machinery, root → leaf.
var heapRuntimeTails = [][]string{
	{"runtime.newobject", "runtime.mallocgc"},
	{"runtime.growslice", "runtime.mallocgc"},
	{"runtime.makeslice", "runtime.mallocgc"},
	{"runtime.makemap_small", "runtime.mallocgc"},
	{"runtime.makemap", "runtime.newarray", "runtime.mallocgc"},
	{"runtime.mapassign_faststr", "runtime.hashGrow", "runtime.makeBucketArray", "runtime.newarray", "runtime.mallocgc"},
	{"runtime.concatstring2", "runtime.concatstrings", "runtime.rawstringtmp", "runtime.rawstring", "runtime.mallocgc"},
	{"runtime.slicebytetostring", "runtime.mallocgc"},
	{"runtime.stringtoslicebyte", "runtime.rawbyteslice", "runtime.mallocgc"},
	{"runtime.convTstring", "runtime.mallocgc"},
	{"runtime.convT64", "runtime.mallocgc"},
	{"runtime.convT", "runtime.mallocgc"},
}

var heapStdTails = [][]string{
	{"bytes.(*Buffer).Write", "bytes.(*Buffer).grow", "bytes.growSlice", "runtime.growslice", "runtime.mallocgc"},
	{"bytes.(*Buffer).WriteString", "bytes.(*Buffer).grow", "bytes.growSlice", "runtime.growslice", "runtime.mallocgc"},
	{"encoding/json.Marshal", "encoding/json.(*encodeState).marshal", "encoding/json.(*encodeState).reflectValue", "encoding/json.structEncoder.encode", "encoding/json.mapEncoder.encode", "slices.SortFunc[go.shape.[]encoding/json.reflectWithString,go.shape.struct { encoding/json.v reflect.Value; encoding/json.ks string }]", "runtime.growslice", "runtime.mallocgc"},
	{"encoding/json.Unmarshal", "encoding/json.(*decodeState).unmarshal", "encoding/json.(*decodeState).value", "encoding/json.(*decodeState).object", "reflect.MakeMapWithSize", "reflect.makemap", "runtime.makemap", "runtime.newarray", "runtime.mallocgc"},
	{"encoding/json.(*Decoder).Decode", "encoding/json.(*Decoder).refill", "runtime.makeslice", "runtime.mallocgc"},
	{"fmt.Sprintf", "runtime.slicebytetostring", "runtime.mallocgc"},
	{"fmt.Errorf", "errors.New", "runtime.newobject", "runtime.mallocgc"},
	{"strings.(*Builder).WriteString", "strings.(*Builder).grow", "runtime.growslice", "runtime.mallocgc"},
	{"strings.Split", "strings.genSplit", "runtime.makeslice", "runtime.mallocgc"},
	{"bufio.NewReaderSize", "runtime.makeslice", "runtime.mallocgc"},
	{"bufio.NewWriterSize", "runtime.makeslice", "runtime.mallocgc"},
	{"compress/gzip.(*Writer).Write", "compress/flate.NewWriter", "compress/flate.(*compressor).init", "runtime.newobject", "runtime.mallocgc"},
	{"context.WithCancel", "context.withCancel", "runtime.newobject", "runtime.mallocgc"},
	{"context.WithTimeout", "context.WithDeadline", "context.WithDeadlineCause", "time.AfterFunc", "runtime.newobject", "runtime.mallocgc"},
	{"reflect.New", "reflect.unsafe_New", "runtime.mallocgc"},
	{"io.ReadAll", "runtime.growslice", "runtime.mallocgc"},
	{"net/http.(*Request).WithContext", "runtime.newobject", "runtime.mallocgc"},
	{"net/http.Header.Clone", "runtime.makemap", "runtime.newarray", "runtime.mallocgc"},
	{"net/textproto.(*Reader).ReadMIMEHeader", "net/textproto.readMIMEHeader", "runtime.makemap", "runtime.newarray", "runtime.mallocgc"},
	{"database/sql.(*DB).QueryContext", "database/sql.(*DB).query", "database/sql.(*DB).queryDC", "runtime.newobject", "runtime.mallocgc"},
	{"crypto/tls.(*Conn).Write", "crypto/tls.(*Conn).writeRecordLocked", "crypto/tls.sliceForAppend", "runtime.growslice", "runtime.mallocgc"},
	{"strconv.Quote", "strconv.quoteWith", "runtime.makeslice", "runtime.mallocgc"},
	{"log/slog.(*Logger).Info", "log/slog.(*Logger).log", "log/slog.(*Record).AddAttrs", "runtime.growslice", "runtime.mallocgc"},
	{"regexp.(*Regexp).FindAllStringSubmatch", "regexp.(*Regexp).allMatches", "runtime.growslice", "runtime.mallocgc"},
}

var gorTails = [][]string{
	{"runtime.selectgo", "runtime.gopark"},
	{"runtime.selectgo", "runtime.gopark"},
	{"runtime.chanrecv1", "runtime.chanrecv", "runtime.gopark"},
	{"runtime.chanrecv2", "runtime.chanrecv", "runtime.gopark"},
	{"runtime.chansend1", "runtime.chansend", "runtime.gopark"},
	{"sync.(*Cond).Wait", "sync.runtime_notifyListWait", "runtime.goparkunlock", "runtime.gopark"},
	{"sync.(*WaitGroup).Wait", "sync.runtime_SemacquireWaitGroup", "runtime.semacquire1", "runtime.gopark"},
	{"sync.(*Mutex).Lock", "sync.(*Mutex).lockSlow", "sync.runtime_SemacquireMutex", "runtime.semacquire1", "runtime.gopark"},
	{"sync.(*RWMutex).RLock", "sync.runtime_SemacquireRWMutexR", "runtime.semacquire1", "runtime.gopark"},
	{"time.Sleep", "runtime.gopark"},
	{"bufio.(*Reader).Peek", "bufio.(*Reader).fill", "net.(*conn).Read", "net.(*netFD).Read", "internal/poll.(*FD).Read", "internal/poll.(*pollDesc).waitRead", "internal/poll.(*pollDesc).wait", "internal/poll.runtime_pollWait", "runtime.netpollblock", "runtime.gopark"},
	{"io.ReadFull", "io.ReadAtLeast", "crypto/tls.(*Conn).Read", "crypto/tls.(*Conn).readRecord", "crypto/tls.(*Conn).readRecordOrCCS", "crypto/tls.(*Conn).readFromUntil", "bytes.(*Buffer).ReadFrom", "crypto/tls.(*atLeastReader).Read", "net.(*conn).Read", "net.(*netFD).Read", "internal/poll.(*FD).Read", "internal/poll.(*pollDesc).waitRead", "internal/poll.(*pollDesc).wait", "internal/poll.runtime_pollWait", "runtime.netpollblock", "runtime.gopark"},
	{"net.(*TCPListener).Accept", "net.(*TCPListener).accept", "net.(*netFD).accept", "internal/poll.(*FD).Accept", "internal/poll.(*pollDesc).waitRead", "internal/poll.(*pollDesc).wait", "internal/poll.runtime_pollWait", "runtime.netpollblock", "runtime.gopark"},
	{"database/sql.(*DB).connectionOpener", "runtime.selectgo", "runtime.gopark"},
	{"context.(*cancelCtx).propagateCancel.func2", "runtime.selectgo", "runtime.gopark"},
}

// rootChains are the bottoms of stacks (root → leaf), each leading into the
// user call graph.
var rootChains = [][]string{
	{"runtime.goexit", "net/http.(*conn).serve", "net/http.serverHandler.ServeHTTP", "net/http.(*ServeMux).ServeHTTP", "net/http.HandlerFunc.ServeHTTP"},
	{"runtime.goexit", "net/http.(*conn).serve", "net/http.serverHandler.ServeHTTP", "github.com/go-chi/chi/v5.(*Mux).ServeHTTP", "github.com/go-chi/chi/v5.(*Mux).routeHTTP", "net/http.HandlerFunc.ServeHTTP"},
	{"runtime.goexit", "google.golang.org/grpc.(*Server).serveStreams.func2.1", "google.golang.org/grpc.(*Server).handleStream", "google.golang.org/grpc.(*Server).processUnaryRPC"},
	{"runtime.goexit", "google.golang.org/grpc.(*Server).serveStreams.func2.1", "google.golang.org/grpc.(*Server).handleStream", "google.golang.org/grpc.(*Server).processStreamingRPC"},
	{"runtime.goexit", "runtime.main", "main.main", "main.run"},
	{"runtime.goexit", "golang.org/x/sync/errgroup.(*Group).Go.func1"},
	{"runtime.goexit"},
	{"runtime.goexit"},
	{"runtime.goexit", "github.com/segmentio/kafka-go.(*Reader).run", "github.com/segmentio/kafka-go.(*reader).run", "github.com/segmentio/kafka-go.(*reader).read"},
	{"runtime.goexit", "github.com/jackc/puddle/v2.(*Pool[go.shape.*uint8]).initResourceValue.func1", "github.com/jackc/pgx/v5/pgxpool.NewWithConfig.func1"},
	{"runtime.goexit", "time.goFunc"},
}

// allStdGoroutines are goroutines with no user frame (root → leaf).
var allStdGoroutines = [][]string{
	{"runtime.goexit", "net/http.(*conn).serve", "net/http.(*conn).readRequest", "net/http.readRequest", "net/textproto.(*Reader).ReadLine", "net/textproto.(*Reader).readLineSlice", "bufio.(*Reader).ReadLine", "bufio.(*Reader).ReadSlice", "bufio.(*Reader).fill", "net/http.(*connReader).Read", "net.(*conn).Read", "net.(*netFD).Read", "internal/poll.(*FD).Read", "internal/poll.(*pollDesc).waitRead", "internal/poll.(*pollDesc).wait", "internal/poll.runtime_pollWait", "runtime.netpollblock", "runtime.gopark"},
	{"runtime.goexit", "net/http.(*connReader).backgroundRead", "net.(*conn).Read", "net.(*netFD).Read", "internal/poll.(*FD).Read", "internal/poll.(*pollDesc).waitRead", "internal/poll.(*pollDesc).wait", "internal/poll.runtime_pollWait", "runtime.netpollblock", "runtime.gopark"},
	{"runtime.goexit", "net/http.(*persistConn).readLoop", "runtime.selectgo", "runtime.gopark"},
	{"runtime.goexit", "net/http.(*persistConn).writeLoop", "runtime.selectgo", "runtime.gopark"},
	{"runtime.goexit", "database/sql.(*DB).connectionOpener", "runtime.selectgo", "runtime.gopark"},
	{"runtime.goexit", "os/signal.loop", "os/signal.signal_recv", "runtime.gopark"},
	{"runtime.goexit", "runtime.forcegchelper", "runtime.goparkunlock", "runtime.gopark"},
	{"runtime.goexit", "runtime.bgsweep", "runtime.goparkunlock", "runtime.gopark"},
	{"runtime.goexit", "runtime.bgscavenge", "runtime.goparkunlock", "runtime.gopark"},
	{"runtime.goexit", "runtime.runfinq", "runtime.gopark"},
	{"runtime.goexit", "runtime.gcBgMarkWorker", "runtime.gopark"},
	{"runtime.goexit", "internal/singleflight.(*Group).doCall", "runtime.chanrecv1", "runtime.chanrecv", "runtime.gopark"},
}

func classOf(name string) class {
	if strings.HasPrefix(name, "runtime.") || strings.HasPrefix(name, "internal/runtime/") {
		return clsRuntime
	}
	pkgEnd := strings.Index(name, ".")
	if i := strings.LastIndex(name[:max(pkgEnd, 0)], "/"); i >= 0 {
		pkgEnd = i + strings.Index(name[i:], ".")
	}
	if pkgEnd < 0 {
		return clsUser
	}
	first, _, _ := strings.Cut(name[:pkgEnd], "/")
	if strings.Contains(first, ".") || first == "main" {
		return clsUser
	}
	return clsStd
}

// pkgOf returns the import path of a Go function name.
func pkgOf(name string) string {
	slash := strings.LastIndex(name, "/")
	if b := strings.Index(name, "["); b >= 0 && b < slash {
		slash = strings.LastIndex(name[:b], "/")
	}
	rest := name[slash+1:]
	dot := strings.Index(rest, ".")
	if dot < 0 {
		return name
	}
	return name[:slash+1+dot]
}

func fileFor(name string) string {
	pkg := pkgOf(name)
	base := pkg[strings.LastIndex(pkg, "/")+1:]
	if strings.HasPrefix(name, "runtime.") {
		switch {
		case strings.Contains(name, "chan"):
			return "runtime/chan.go"
		case strings.Contains(name, "select"):
			return "runtime/select.go"
		case strings.Contains(name, "map"), strings.Contains(name, "hashGrow"), strings.Contains(name, "Bucket"):
			return "runtime/map.go"
		case strings.Contains(name, "slice") && !strings.Contains(name, "string"):
			return "runtime/slice.go"
		case strings.Contains(name, "string"):
			return "runtime/string.go"
		case strings.Contains(name, "sema"):
			return "runtime/sema.go"
		case strings.Contains(name, "netpoll"):
			return "runtime/netpoll.go"
		case strings.Contains(name, "conv"):
			return "runtime/iface.go"
		case strings.Contains(name, "goexit"):
			return "runtime/asm_amd64.s"
		default:
			return "runtime/malloc.go"
		}
	}
	if strings.Contains(pkg, ".") && !strings.HasPrefix(pkg, "example.com/") {
		return pkg + "@v1.0.0/" + base + ".go" // module cache style
	}
	return pkg + "/" + base + ".go"
}

func (m *model) addFunc(name, file string, cls class, level int) int32 {
	if i, ok := m.byName[name]; ok {
		return i
	}
	if file == "" {
		file = fileFor(name)
	}
	size := uint64(0x200 + m.r.IntN(0x1e00))
	f := function{name: name, file: file, startLine: int64(20 + m.r.IntN(1500)), base: m.nextAddr, cls: cls, level: level}
	m.nextAddr += (size + 0x3f) &^ 0x3f
	m.funcs = append(m.funcs, f)
	i := int32(len(m.funcs) - 1)
	m.byName[name] = i
	m.nm.used[name] = true
	return i
}

func (m *model) named(names []string) []int32 {
	out := make([]int32, len(names))
	for i, n := range names {
		out[i] = m.addFunc(n, "", classOf(n), 0)
	}
	return out
}

// loc returns the location in caller that calls callee (-1: the leaf PC).
func (m *model) loc(caller, callee int32) int32 {
	k := [2]int32{caller, callee}
	if i, ok := m.edge[k]; ok {
		return i
	}
	f := &m.funcs[caller]
	f.nEdges++
	l := location{
		addr:  f.base + uint64(0x10*f.nEdges) + uint64(m.r.IntN(8)),
		lines: []line{{fn: caller, line: f.startLine + int64(f.nEdges*3+m.r.IntN(3))}},
	}
	if f.cls != clsRuntime && m.r.IntN(100) < inlinePct {
		pool := m.helpers[0]
		if f.cls == clsStd {
			pool = m.helpers[1]
		}
		n := 1 + m.r.IntN(2)
		var in []line
		for range n {
			h := pool[m.r.IntN(len(pool))]
			in = append(in, line{fn: h, line: m.funcs[h].startLine + int64(1+m.r.IntN(12))})
		}
		l.lines = append(in, l.lines...)
	}
	m.locs = append(m.locs, l)
	i := int32(len(m.locs) - 1)
	m.edge[k] = i
	return i
}

// locsOf turns a root → leaf list of functions into leaf-first locations.
func (m *model) locsOf(path []int32) []int32 {
	out := make([]int32, len(path))
	for i, f := range path {
		callee := int32(-1)
		if i+1 < len(path) {
			callee = path[i+1]
		}
		out[len(path)-1-i] = m.loc(f, callee)
	}
	return out
}

func logUniform(r *rand.Rand, lo, hi float64) float64 {
	return math.Exp(math.Log(lo) + r.Float64()*(math.Log(hi)-math.Log(lo)))
}

func newModel(cfg Config) (*model, error) {
	r := rand.New(rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15))
	m := &model{
		cfg:      cfg,
		byName:   map[string]int32{},
		edge:     map[[2]int32]int32{},
		nextAddr: mapStart + 0x1000,
		r:        r,
		nm:       &namer{r: r, used: map[string]bool{}},
	}
	m.buildID = fmt.Sprintf("%016x%016x%08x", r.Uint64(), r.Uint64(), r.Uint32())
	m.binary = "/app/bin/" + cfg.Source
	for _, p := range m.planted() {
		m.nm.used[p.Name] = true
	}

	// Standard library: fixed chains, then a synthetic DAG whose level-0
	// functions allocate through a runtime tail.
	var rtTails [][]int32
	for _, t := range heapRuntimeTails {
		rtTails = append(rtTails, m.named(t))
	}
	for _, t := range heapStdTails {
		m.heapTails = append(m.heapTails, m.named(t))
	}
	for _, t := range rtTails {
		m.heapTails = append(m.heapTails, t, t, t) // plain allocations are the most common
	}
	for _, t := range gorTails {
		m.gorTails = append(m.gorTails, m.named(t))
	}
	const stdLevels = 6
	stdLevel := make([][]int32, stdLevels)
	for i := range nStdSynth {
		lv := i % stdLevels
		name, file := m.nm.name(stdPackages[r.IntN(len(stdPackages))], false)
		f := m.addFunc(name, file, clsStd, lv)
		stdLevel[lv] = append(stdLevel[lv], f)
	}
	for lv := 1; lv < stdLevels; lv++ {
		for _, f := range stdLevel[lv] {
			for range 2 + r.IntN(3) {
				m.funcs[f].callees = append(m.funcs[f].callees, stdLevel[lv-1][r.IntN(len(stdLevel[lv-1]))])
			}
		}
	}
	for _, f := range stdLevel[0] {
		for range 1 + r.IntN(2) {
			m.funcs[f].heapTails = append(m.funcs[f].heapTails, int32(r.IntN(len(rtTails))))
		}
	}
	for len(m.heapTails) < 1400 {
		lv := r.IntN(stdLevels)
		f := stdLevel[lv][r.IntN(len(stdLevel[lv]))]
		path := []int32{f}
		for len(m.funcs[f].callees) > 0 {
			f = m.funcs[f].callees[r.IntN(len(m.funcs[f].callees))]
			path = append(path, f)
		}
		rt := rtTails[m.funcs[f].heapTails[r.IntN(len(m.funcs[f].heapTails))]]
		m.heapTails = append(m.heapTails, append(path, rt...))
	}

	// Inlinable helpers.
	for i := range nHelpers {
		var name, file string
		if i%3 == 0 {
			name, file = m.nm.name(stdPackages[r.IntN(len(stdPackages))], false)
			m.helpers[1] = append(m.helpers[1], m.addFunc(name, file, clsStd, 0))
		} else {
			name, file = m.nm.name("example.com/svc/"+appPackages[r.IntN(len(appPackages))], true)
			m.helpers[0] = append(m.helpers[0], m.addFunc(name, file, clsUser, 0))
		}
	}

	// User call graph: levels 1..maxLevel, app code with some dependencies.
	m.levels = make([][]int32, maxLevel+1)
	var all []int32
	for i := range nApp + nDeps {
		lv := 1 + i%maxLevel
		var name, file string
		if i < nApp {
			name, file = m.nm.name("example.com/svc/"+appPackages[r.IntN(len(appPackages))], true)
		} else {
			pkg := depPackages[r.IntN(len(depPackages))]
			name, file = m.nm.name(pkg, true)
			file = strings.Replace(file, pkg, pkg+"@v1.4.2", 1)
		}
		if len(all) > 0 && r.IntN(100) < 16 {
			base := m.funcs[all[r.IntN(len(all))]]
			name = m.nm.closure(base.name)
			file = base.file
		}
		f := m.addFunc(name, file, clsUser, lv)
		m.levels[lv] = append(m.levels[lv], f)
		all = append(all, f)
	}
	for lv := 1; lv <= maxLevel; lv++ {
		for _, f := range m.levels[lv] {
			fn := &m.funcs[f]
			if lv < maxLevel {
				for range 3 + r.IntN(6) {
					to := lv + 1
					if lv+2 <= maxLevel && r.IntN(5) == 0 {
						to = lv + 2
					}
					fn.callees = append(fn.callees, m.levels[to][r.IntN(len(m.levels[to]))])
				}
			}
			for range 1 + r.IntN(3) {
				fn.heapTails = append(fn.heapTails, int32(r.IntN(len(m.heapTails))))
			}
			for range 1 + r.IntN(2) {
				fn.gorTails = append(fn.gorTails, int32(r.IntN(len(m.gorTails))))
			}
		}
	}
	for _, c := range rootChains {
		p := prefix{fns: m.named(c)}
		for range 12 + r.IntN(20) {
			p.entries = append(p.entries, m.levels[1][r.IntN(len(m.levels[1]))])
		}
		m.prefixes = append(m.prefixes, p)
	}

	if err := m.buildHeap(); err != nil {
		return nil, err
	}
	m.buildGoroutines()
	return m, nil
}

// walk returns a root → leaf path: a prefix, then depth user functions.
func (m *model) walk(depth int) []int32 { return m.walkSkew(depth, true) }

func (m *model) walkSkew(depth int, skew bool) []int32 {
	p := m.prefixes[m.r.IntN(len(m.prefixes))]
	path := append([]int32(nil), p.fns...)
	f := p.entries[m.r.IntN(len(p.entries))]
	path = append(path, f)
	for len(path) < len(p.fns)+depth && len(m.funcs[f].callees) > 0 {
		k := m.r.IntN(len(m.funcs[f].callees))
		if skew {
			k = m.skewed(len(m.funcs[f].callees))
		}
		f = m.funcs[f].callees[k]
		path = append(path, f)
	}
	return path
}

// skewed picks an index in [0, n), the first ones more often (hot paths).
func (m *model) skewed(n int) int {
	u := m.r.Float64()
	return min(int(float64(n)*u*u*u), n-1)
}

func stackKey(locs []int32) string {
	var b strings.Builder
	for _, l := range locs {
		fmt.Fprintf(&b, "%d,", l)
	}
	return b.String()
}

// planted returns the planted sites: the configuration's, or PlantedSites.
func (m *model) planted() []Site {
	if m.cfg.Sites != nil {
		return m.cfg.Sites
	}
	return PlantedSites
}

func (m *model) buildHeap() error {
	r := m.r
	seen := map[string]bool{}
	var planted []stack
	for i, ps := range m.planted() {
		if ps.Kind != KindHeap {
			continue
		}
		site := m.addFunc(ps.Name, "", clsUser, 0)
		tail := m.named(ps.tail)
		for k := range ps.Stacks {
			path := append(m.walk(8+r.IntN(14)), site)
			path = append(path, tail...)
			locs := m.locsOf(path)
			seen[stackKey(locs)] = true
			lvl := ps.Base / float64(ps.ObjectSize)
			planted = append(planted, stack{
				locs: locs, role: role(i), weight: ps.weights()[k], size: ps.ObjectSize,
				level: lvl, alloc0: 4 * lvl, allocRate: 40 + 2*lvl,
			})
		}
	}
	n := max(m.cfg.Stacks-len(planted), 0)
	out := make([]stack, 0, n+len(planted))
	for len(out) < n {
		total := 15 + int(46*math.Pow(r.Float64(), 1.7))
		path := m.walk(max(total-7, 3))
		last := path[len(path)-1]
		tails := m.funcs[last].heapTails
		if m.funcs[last].cls != clsUser || len(tails) == 0 {
			continue
		}
		tail := m.heapTails[tails[r.IntN(len(tails))]]
		if n := len(path) + len(tail); n < 15 || n > 60 {
			continue
		}
		locs := m.locsOf(append(path, tail...))
		k := stackKey(locs)
		if seen[k] {
			continue
		}
		seen[k] = true
		s := stack{role: roleNoise, locs: locs}
		switch k := r.IntN(100); {
		case k < 3: // large buffers
			s.size = int64(logUniform(r, 32<<10, 1<<20))
			s.level = float64(1 + r.IntN(4))
		case k < 10:
			s.size = int64(logUniform(r, 4096, 32<<10))
			s.level = math.Floor(logUniform(r, 1, 40))
		default:
			s.size = int64(logUniform(r, 16, 4096))
			s.level = math.Floor(logUniform(r, 1, 300))
		}
		s.size = (s.size + 7) &^ 7
		if r.IntN(100) < 15 { // allocations all freed: alloc_* only
			s.level = 0
		}
		s.allocRate = logUniform(r, 5, 5000)
		s.alloc0 = s.level*(2+4*r.Float64()) + s.allocRate*(60+540*r.Float64())
		if r.IntN(100) < 8 {
			s.flaky = true
			s.allocRate = 0
			s.alloc0 = math.Max(s.level, 1) * (1 + 2*r.Float64())
		}
		out = append(out, s)
	}
	// Planted stacks go in at seeded positions.
	for _, p := range planted {
		i := r.IntN(len(out) + 1)
		out = append(out, stack{})
		copy(out[i+1:], out[i:])
		out[i] = p
	}
	m.heap = out

	// Cumulative alloc_objects summed over the profile must never go down
	// (a decrease reads as a process restart): the flaky stacks, which come
	// and go, must weigh less than what the stable ones add per interval.
	var flaky, growth float64
	step := m.cfg.Interval.Minutes()
	for _, s := range out {
		if s.flaky {
			flaky += s.alloc0
		} else {
			growth += 0.5 * s.allocRate * step
		}
	}
	if len(out) > 0 && flaky >= growth {
		return fmt.Errorf("bigseries: interval %v too short for monotonic allocation totals", m.cfg.Interval)
	}
	return nil
}

func (m *model) buildGoroutines() {
	r := m.r
	seen := map[string]bool{}
	var planted []stack
	for i, ps := range m.planted() {
		if ps.Kind != KindGoroutine {
			continue
		}
		site := m.addFunc(ps.Name, "", clsUser, 0)
		tail := m.named(ps.tail)
		for k := range ps.Stacks {
			var path []int32
			if k == 0 {
				path = m.named([]string{"runtime.goexit"})
			} else {
				path = m.walk(2 + r.IntN(6))
			}
			path = append(path, site)
			locs := m.locsOf(append(path, tail...))
			seen[stackKey(locs)] = true
			planted = append(planted, stack{locs: locs, role: role(i), weight: ps.weights()[k], level: ps.Base})
		}
	}
	n := max(m.cfg.GoroutineStacks-len(planted), 0)
	out := make([]stack, 0, n+len(planted))
	var allStd [][]int32
	for _, c := range allStdGoroutines {
		allStd = append(allStd, m.locsOf(m.named(c)))
	}
	for i, locs := range allStd {
		if len(out) >= n {
			break
		}
		s := stack{role: roleNoise, locs: locs, level: 1}
		if i < 4 {
			s.level = math.Floor(logUniform(r, 20, 400)) // connections
		}
		seen[stackKey(locs)] = true
		out = append(out, s)
	}
	for len(out) < n {
		var depth int
		if r.IntN(100) < 30 {
			depth = 1 + r.IntN(5)
		} else {
			depth = 5 + r.IntN(36)
		}
		path := m.walkSkew(depth, false)
		last := path[len(path)-1]
		tails := m.funcs[last].gorTails
		if m.funcs[last].cls != clsUser || len(tails) == 0 {
			continue
		}
		locs := m.locsOf(append(path, m.gorTails[tails[r.IntN(len(tails))]]...))
		k := stackKey(locs)
		if seen[k] {
			continue
		}
		seen[k] = true
		s := stack{role: roleNoise, locs: locs, level: math.Floor(logUniform(r, 1, 56))}
		if r.IntN(100) < 8 {
			s.flaky = true
		}
		out = append(out, s)
	}
	for _, p := range planted {
		i := r.IntN(len(out) + 1)
		out = append(out, stack{})
		copy(out[i+1:], out[i:])
		out[i] = p
	}
	m.gor = out
}

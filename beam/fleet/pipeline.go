package fleet

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/fileio"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/local" // local paths; the binary adds gs:// and s3://
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/leakdiff/leakdiff/diff"
	"github.com/leakdiff/leakdiff/internal/buildinfo"
	"github.com/leakdiff/leakdiff/internal/options"
	"github.com/leakdiff/leakdiff/profile"
	"github.com/leakdiff/leakdiff/report"
	"github.com/leakdiff/leakdiff/rules"
)

func init() {
	register.DoFn4x1[context.Context, fileio.ReadableFile, func(string, []byte), func(string, string), error](&decodeFn{})
	register.DoFn5x1[context.Context, string, func(*[]byte) bool, func(string) func(*string) bool, func(string), error](&analyseFn{})
	register.DoFn4x1[context.Context, []byte, func(*string) bool, func(*string) bool, error](&summariseFn{})
	register.Emitter1[string]()
	register.Emitter2[string, []byte]()
	register.Emitter2[string, string]()
	register.Iter1[[]byte]()
	register.Iter1[string]()
}

// Config is what the pipeline's stages need. Its fields are plain data:
// Beam serialises it into every worker.
type Config struct {
	// Inputs are file patterns.
	Inputs []string
	// Output is the folder (any Beam filesystem) that receives
	// sources/*.json, fleet-summary.json and fleet-summary.md.
	Output string
	// Load are the reading options (sites, sources, size limit).
	Load options.Load
	// Rules are rule files' contents (YAML), by name, added to (or, with
	// NoBuiltinRules, used instead of) the built-in catalog.
	Rules          []RuleFile
	NoBuiltinRules bool
	// MinSeverity and Top bound what each report lists; MemoryLimit (bytes,
	// 0: none) projects the heap to a limit.
	MinSeverity string
	Top         int
	MemoryLimit int64
	// Service says how a source's service is named: "path:N" or
	// "label:KEY" (see ServiceOf).
	Service string
	// Generated is the time written into every report.
	Generated time.Time
}

// RuleFile is a rule file's name and contents.
type RuleFile struct {
	Name string
	Data string
}

// Check validates the configuration before a pipeline is built.
func (c *Config) Check() error {
	if len(c.Inputs) == 0 {
		return fmt.Errorf("--input: at least one file pattern is needed")
	}
	if c.Output == "" {
		return fmt.Errorf("--output: a folder for the reports is needed")
	}
	if _, err := c.Load.Options(); err != nil {
		return err
	}
	if _, err := c.catalog(); err != nil {
		return err
	}
	if _, err := diff.ParseSeverity(c.MinSeverity); err != nil {
		return fmt.Errorf("--min-severity must be one of info, low, medium, high, critical (got %q)", c.MinSeverity)
	}
	if c.Top < 1 {
		return fmt.Errorf("--top must be at least 1 (got %d)", c.Top)
	}
	if _, err := parseService(c.Service); err != nil {
		return err
	}
	return nil
}

func (c *Config) catalog() (*rules.Catalog, error) {
	base := rules.Builtin()
	if c.NoBuiltinRules {
		base = &rules.Catalog{Version: rules.Version}
	}
	var extra []*rules.Catalog
	for _, f := range c.Rules {
		cat, err := rules.Parse([]byte(f.Data), f.Name)
		if err != nil {
			return nil, fmt.Errorf("rule file problems, nothing analysed:\n%w", err)
		}
		extra = append(extra, cat)
	}
	return rules.Merge(base, extra...), nil
}

// service is a parsed Config.Service.
type service struct {
	level int    // path:N
	label string // label:KEY
}

func parseService(s string) (service, error) {
	if s == "" {
		return service{level: 1}, nil
	}
	kind, arg, _ := strings.Cut(s, ":")
	switch kind {
	case "path":
		n, err := strconv.Atoi(arg)
		if arg == "" {
			n, err = 1, nil
		}
		if err != nil || n < 0 {
			return service{}, fmt.Errorf("--service path:N needs a folder level N of 0 or more (got %q)", s)
		}
		return service{level: n}, nil
	case "label":
		if arg == "" {
			return service{}, fmt.Errorf("--service label:KEY needs a label key (got %q)", s)
		}
		return service{label: arg}, nil
	}
	return service{}, fmt.Errorf("--service must be path:N or label:KEY (got %q)", s)
}

// ServiceOf names the service of a source from its snapshots: with
// "path:N" the N-th folder above the first file (path:0 is the file's own
// folder, path:1 the folder that holds it), with "label:KEY" the label's
// most frequent value among them. "" when there is none.
func ServiceOf(spec string, snaps []profile.Snapshot) string {
	sv, err := parseService(spec)
	if err != nil || len(snaps) == 0 {
		return ""
	}
	if sv.label != "" {
		count := map[string]int{}
		best := ""
		for _, s := range snaps {
			v := s.Labels[sv.label]
			if v == "" {
				continue
			}
			count[v]++
			if count[v] > count[best] || count[v] == count[best] && v < best {
				best = v
			}
		}
		return best
	}
	dir := parentDir(snaps[0].File)
	for range sv.level {
		dir = parentDir(dir)
	}
	return baseName(dir)
}

// parentDir and baseName work on local paths and URLs (gs://bucket/a/b)
// alike: both separate folders with "/" here.
func parentDir(p string) string {
	p = strings.TrimRight(strings.ReplaceAll(p, "\\", "/"), "/")
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return ""
}

func baseName(p string) string {
	p = strings.TrimRight(p, "/")
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		p = p[i+1:]
	}
	if strings.HasSuffix(p, ":") { // gs: of gs://bucket
		return ""
	}
	return p
}

// Build adds the pipeline to s and returns the PCollections of source
// results (JSON of SourceResult) and skipped files (JSON of FileNote).
func Build(s beam.Scope, c Config) (results, skipped beam.PCollection) {
	files := Read(s, c.Inputs)
	snaps, byFolder := Decode(s, c, files)
	results = Analyse(s, c, beam.GroupByKey(s, snaps), byFolder)
	skipped = beam.DropKey(s, byFolder)
	Summarise(s, c, results, skipped)
	return results, skipped
}

// Read matches every input pattern and returns their ReadableFiles,
// uncompressed: leakdiff's decoder inflates gzip itself, within its limit.
func Read(s beam.Scope, patterns []string) beam.PCollection {
	s = s.Scope("Read")
	var matched []beam.PCollection
	for _, p := range patterns {
		matched = append(matched, fileio.MatchFiles(s, p, fileio.MatchEmptyAllow()))
	}
	all := matched[0]
	if len(matched) > 1 {
		all = beam.Flatten(s, matched...)
	}
	// A pattern's matches come out of one element; without a reshuffle the
	// decoding fused behind it would run as one bundle on one worker.
	all = beam.Reshuffle(s, all)
	return fileio.ReadMatches(s, all, fileio.ReadUncompressed(), fileio.ReadDirectorySkip())
}

// Decode turns each file into its reduced snapshot keyed by source; files
// that give none come out of the second PCollection as FileNote JSON keyed
// by their folder.
func Decode(s beam.Scope, c Config, files beam.PCollection) (snaps, skipped beam.PCollection) {
	s = s.Scope("Decode")
	return beam.ParDo2(s, &decodeFn{Load: c.Load}, files)
}

// FileNote is a file and why it gave no snapshot.
type FileNote struct {
	File  string `json:"file"`
	Error string `json:"error"`
}

type decodeFn struct {
	Load options.Load

	opts                   profile.LoadOptions
	n                      int // files decoded in this bundle
	read, skipped, decoded beam.Counter
}

func (fn *decodeFn) Setup() error {
	lo, err := fn.Load.Options()
	if err != nil {
		return err
	}
	fn.opts = lo
	fn.read = beam.NewCounter("leakdiff", "files_read")
	fn.skipped = beam.NewCounter("leakdiff", "files_skipped")
	fn.decoded = beam.NewCounter("leakdiff", "bytes_decoded")
	return nil
}

// internEvery is how many files share an interner. Names and stacks repeat
// from snapshot to snapshot, so interning saves work; but a runner may hand
// one bundle every file (Prism does), so the interner is renewed now and
// then to keep memory bounded.
const internEvery = 64

// workerGate lets one input over 16 MiB at a time be held by the decoders
// of a worker process, however many bundles it runs at once.
var workerGate = &profile.Gate{}

func (fn *decodeFn) StartBundle(context.Context, func(string, []byte), func(string, string)) error {
	fn.n = 0
	return nil
}

func (fn *decodeFn) ProcessElement(ctx context.Context, f fileio.ReadableFile, emit func(string, []byte), skip func(string, string)) error {
	if fn.n%internEvery == 0 {
		fn.opts.Decode.Interner = profile.NewInterner()
	}
	fn.opts.Decode.Gate = workerGate
	fn.n++
	snap, err := fn.decode(ctx, f)
	if errors.Is(err, syscall.EISDIR) {
		return nil // a folder a glob matched: not an input (ReadDirectorySkip knows only paths ending in "/")
	}
	fn.read.Inc(ctx, 1)
	if err == nil {
		var b []byte
		if b, err = snap.MarshalBinary(); err == nil {
			fn.decoded.Inc(ctx, f.Metadata.Size)
			emit(profile.SourceKey(snap, &fn.opts), b)
			return nil
		}
	}
	// One bad file never fails the job: it is listed with its reason.
	fn.skipped.Inc(ctx, 1)
	note, _ := json.Marshal(FileNote{File: f.Metadata.Path, Error: err.Error()})
	skip(parentDir(f.Metadata.Path), string(note))
	return nil
}

func (fn *decodeFn) decode(ctx context.Context, f fileio.ReadableFile) (*profile.Snapshot, error) {
	rc, err := f.Open(ctx)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return profile.ReadFile(rc, f.Metadata.Size, f.Metadata.Path, &fn.opts.Decode, time.Now())
}

// Analyse analyses each source's snapshots (a grouped PCollection of key →
// encoded snapshots), writes its report and returns SourceResult JSON.
// skipped (folder → FileNote JSON) lists in a source's report the files of
// its folders that gave no snapshot, as leakdiff analyze run on those
// folders lists them; every one is in the summary too.
func Analyse(s beam.Scope, c Config, grouped, skipped beam.PCollection) beam.PCollection {
	s = s.Scope("Analyse")
	return beam.ParDo(s, &analyseFn{Config: c}, grouped, beam.SideInput{Input: skipped})
}

type analyseFn struct {
	Config Config

	cat    *rules.Catalog
	lo     profile.LoadOptions
	minSev diff.Severity
	fs     filesystem.Interface
}

func (fn *analyseFn) Setup(ctx context.Context) error {
	cat, err := fn.Config.catalog()
	if err != nil {
		return err
	}
	lo, err := fn.Config.Load.Options()
	if err != nil {
		return err
	}
	fn.cat, fn.lo = cat, lo
	fn.minSev, _ = diff.ParseSeverity(fn.Config.MinSeverity)
	fn.fs, err = filesystem.New(ctx, fn.Config.Output)
	return err
}

func (fn *analyseFn) Teardown() error {
	if fn.fs != nil {
		return fn.fs.Close()
	}
	return nil
}

func (fn *analyseFn) ProcessElement(ctx context.Context, key string, values func(*[]byte) bool, skippedIn func(string) func(*string) bool, emit func(string)) error {
	var snaps []profile.Snapshot
	var b []byte
	for values(&b) {
		var s profile.Snapshot
		if err := s.UnmarshalBinary(b); err != nil {
			return fmt.Errorf("source %q: %w", key, err)
		}
		snaps = append(snaps, s)
	}
	var skipped []profile.Skipped
	folders := map[string]bool{}
	for _, sn := range snaps {
		folders[parentDir(sn.File)] = true
	}
	var line string
	for dir := range folders {
		for it := skippedIn(dir); it(&line); {
			var n FileNote
			if err := json.Unmarshal([]byte(line), &n); err != nil {
				return err
			}
			skipped = append(skipped, profile.Skipped{File: n.File, Err: errors.New(n.Error)})
		}
	}
	res, data := AnalyseSource(snaps, skipped, &fn.Config, fn.cat, &fn.lo)
	res.Report = SourceReportPath(fn.Config.Output, res.Service, res.Source, key)
	if err := writeFile(ctx, fn.fs, res.Report, data); err != nil {
		return fmt.Errorf("source %q: %w", res.Source, err)
	}
	out, err := json.Marshal(res)
	if err != nil {
		return err
	}
	emit(string(out))
	return nil
}

// AnalyseSource analyses one source's snapshots the way leakdiff analyze
// does on their files (in file order, the source named by
// profile.AssignSources; skipped files listed) and returns the brief of its
// findings and its JSON report. lo is the reading options (for the
// source's name).
func AnalyseSource(snaps []profile.Snapshot, skipped []profile.Skipped, c *Config, cat *rules.Catalog, lo *profile.LoadOptions) (SourceResult, []byte) {
	slices.SortFunc(snaps, func(a, b profile.Snapshot) int { return cmp.Compare(a.File, b.File) })
	slices.SortFunc(skipped, func(a, b profile.Skipped) int { return cmp.Compare(a.File, b.File) })
	profile.AssignSources(snaps, lo)
	minSev, _ := diff.ParseSeverity(c.MinSeverity)
	files := len(snaps) + len(skipped)
	res := SourceResult{Service: ServiceOf(c.Service, snaps), Files: len(snaps)}
	if len(snaps) > 0 {
		res.Source = snaps[0].Source
	}
	rep, _ := report.New(snaps, files, skipped, nil, report.Config{Catalog: cat, MemoryLimit: c.MemoryLimit,
		MinSeverity: minSev, Top: c.Top, Line: c.Load.Granularity == "line", Generated: c.Generated,
		Tool: report.Tool{Name: "leakdiff-beam", Version: buildinfo.Version()}})
	j := report.BuildJSON(rep)
	res.Snapshots = j.Inputs.Snapshots
	for _, sr := range j.Series {
		if sr.Secondary && !sr.Gauge {
			continue
		}
		res.Series = append(res.Series, SeriesResult{Kind: sr.Kind, Metric: sr.Metric, Unit: sr.Unit, Shape: sr.Total.Trend,
			Rising: rising(sr.Total.Trend) && sr.Total.Growth > 0, SlopePerHour: deref(sr.Total.SlopePerHour)})
	}
	for _, f := range j.Findings {
		fr := FindingResult{Kind: f.Kind, Metric: f.Metric, Unit: f.Unit, Site: f.Site.Function, Severity: f.Severity,
			Shape: f.Trend, SlopePerHour: deref(f.SlopePerHour), Share: f.Share}
		if f.Rule != nil {
			fr.Rule = f.Rule.ID
		}
		for _, m := range f.Members {
			fr.Members = append(fr.Members, m.Kind+" "+m.Site.Function)
		}
		res.Findings = append(res.Findings, fr)
	}
	var buf strings.Builder
	_ = report.WriteJSON(&buf, rep)
	return res, []byte(buf.String())
}

func deref(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

// rising reports whether a shape name is a leak's.
func rising(shape string) bool {
	var s diff.Shape
	if s.UnmarshalText([]byte(shape)) != nil {
		return false
	}
	t := diff.Trend{Shape: s, Growth: 1}
	return t.Rising()
}

// SourceReportPath is where a source's report goes:
// OUTPUT/sources/SERVICE/SOURCE.json, names made safe for any filesystem
// (and made unique by the source key's hash when they had to change).
func SourceReportPath(output, service, source, key string) string {
	name := safeName(source)
	if name != source {
		name += fmt.Sprintf("-%08x", fnv32(key))
	}
	svc := safeName(service)
	if svc == "" {
		svc = "_"
	}
	return joinPath(output, "sources", svc, name+".json")
}

func safeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	out := strings.Trim(b.String(), ".")
	if len(out) > 120 {
		out = out[:120]
	}
	return out
}

func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

// joinPath joins a local path or a URL (gs://bucket/x) with "/".
func joinPath(base string, elem ...string) string {
	return strings.TrimRight(base, "/") + "/" + path.Join(elem...)
}

func writeFile(ctx context.Context, fs filesystem.Interface, name string, data []byte) error {
	w, err := fs.OpenWrite(ctx, name)
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if _, err := w.Write(data); err != nil {
		w.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// Summarise gathers every source's result and every skipped file on one
// worker and writes the fleet summary.
func Summarise(s beam.Scope, c Config, results, skipped beam.PCollection) {
	s = s.Scope("Summarise")
	beam.ParDo0(s, &summariseFn{Config: c}, beam.Impulse(s), beam.SideInput{Input: results}, beam.SideInput{Input: skipped})
}

type summariseFn struct {
	Config Config
}

func (fn *summariseFn) ProcessElement(ctx context.Context, _ []byte, results func(*string) bool, skipped func(*string) bool) error {
	var rs []SourceResult
	var line string
	for results(&line) {
		var r SourceResult
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			return err
		}
		rs = append(rs, r)
	}
	var sk []FileNote
	for skipped(&line) {
		var n FileNote
		if err := json.Unmarshal([]byte(line), &n); err != nil {
			return err
		}
		sk = append(sk, n)
	}
	sum := Summarize(rs, sk, fn.Config.MinSeverity, fn.Config.Generated)
	fs, err := filesystem.New(ctx, fn.Config.Output)
	if err != nil {
		return err
	}
	defer fs.Close()
	js, err := json.MarshalIndent(sum, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFile(ctx, fs, joinPath(fn.Config.Output, "fleet-summary.json"), append(js, '\n')); err != nil {
		return err
	}
	var md strings.Builder
	if err := WriteMarkdown(&md, sum); err != nil {
		return err
	}
	return writeFile(ctx, fs, joinPath(fn.Config.Output, "fleet-summary.md"), []byte(md.String()))
}

package profile

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// decodeMetrics reads a Prometheus text exposition (what /metrics serves;
// OpenMetrics text too, its "# EOF" and "# UNIT" lines dropped) with
// prometheus/common's parser. Each counter, gauge and untyped sample is a
// site named name{label="value",…}, its File the type; values are rounded
// to integers. Histograms and summaries are left out (counted in a note).
func decodeMetrics(data []byte) (*Snapshot, error) {
	var clean bytes.Buffer
	// OpenMetrics names a counter family without its _total suffix and
	// adds _created samples: rename the family, drop those samples, and
	// the Prometheus text parser reads the rest.
	openMetrics := bytes.Contains(data, []byte("# EOF"))
	counters := map[string]bool{}
	for line := range bytes.Lines(data) {
		if bytes.HasPrefix(line, []byte("# EOF")) || bytes.HasPrefix(line, []byte("# UNIT ")) {
			continue
		}
		if openMetrics {
			f := strings.Fields(string(line))
			if len(f) == 4 && f[0] == "#" && f[1] == "TYPE" && f[3] == "counter" && !strings.HasSuffix(f[2], "_total") {
				counters[f[2]] = true
				fmt.Fprintf(&clean, "# TYPE %s_total counter\n", f[2])
				continue
			}
			if len(f) >= 3 && f[0] == "#" && f[1] == "HELP" && counters[f[2]] {
				clean.WriteString(strings.Replace(string(line), f[2], f[2]+"_total", 1))
				continue
			}
			name, _, _ := strings.Cut(string(line), "{")
			name, _, _ = strings.Cut(name, " ")
			if base, ok := strings.CutSuffix(name, "_created"); ok && counters[base] {
				continue
			}
		}
		clean.Write(line)
	}
	fams, err := parseMetricsText(&clean)
	if err != nil {
		return nil, fmt.Errorf("prometheus metrics text: %w", err)
	}
	s := &Snapshot{Kind: KindMetrics, Type: "metrics", Format: FormatPrometheus, Cumulative: -1,
		Metrics: []Metric{{Name: "value", Unit: "count"}}, Totals: []int64{0}}
	left, unusable, held := 0, 0, 0
	firstID, firstUnusable := "", ""
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			var v float64
			typ := MetricGauge
			switch {
			case m.Counter != nil:
				v, typ = m.Counter.GetValue(), MetricCounter
			case m.Gauge != nil && trendGauge(name):
				v = m.Gauge.GetValue()
			case m.Untyped != nil && trendGauge(name):
				v = m.Untyped.GetValue()
			case m.Gauge != nil || m.Untyped != nil:
				continue
			default:
				left++
				continue
			}
			id := Printable(metricID(name, m.GetLabel()))
			if math.IsNaN(v) || math.IsInf(v, 0) {
				// No trend through them: left out, and said so.
				if unusable++; unusable == 1 || id < firstID { // map order: the smallest, for one report each run
					firstID, firstUnusable = id, fmt.Sprintf("%s = %v", id, v)
				}
				continue
			}
			var iv int64
			switch r := math.Round(v); {
			case r >= math.MaxInt64: // float64(MaxInt64) is 2^63, past it
				iv, held = math.MaxInt64, held+1
			case r <= math.MinInt64:
				iv, held = math.MinInt64, held+1
			default:
				iv = int64(r)
			}
			s.Sites = append(s.Sites, SiteValue{Site: Site{Function: id, File: typ}, Values: []int64{iv}, StackValue: iv})
			addSat(&s.Totals[0], iv, &held)
		}
	}
	if len(s.Sites) == 0 {
		s.Notes = append(s.Notes, fmt.Sprintf("no counter or gauge samples (%d histogram or summary samples)", left))
	}
	if unusable > 0 {
		s.Notes = append(s.Notes, fmt.Sprintf("%d series with NaN or ±Inf values left out (first: %s)", unusable, firstUnusable))
	}
	if held > 0 {
		s.Notes = append(s.Notes, fmt.Sprintf("%d value(s) or sums past the int64 range held at its bound (±2^63): these are a floor", held))
	}
	slices.SortFunc(s.Sites, func(a, b SiteValue) int { return a.Site.Compare(b.Site) })
	return s, nil
}

// runtimeGauges are the gauges of the Go and process collectors that grow
// with a leak; their other gauges (next_gc, *_sys_bytes, stack_*) follow
// these and would only repeat them.
var runtimeGauges = map[string]bool{
	"go_goroutines": true, "go_threads": true,
	"go_memstats_heap_inuse_bytes": true, "go_memstats_heap_objects": true, "go_memstats_heap_alloc_bytes": true,
	"process_resident_memory_bytes": true, "process_open_fds": true,
}

// IsRuntimeGauge reports whether a metrics site (name{labels}) is one of
// the Go and process collectors' gauges: a leak's symptom in the whole
// process, not its place.
func IsRuntimeGauge(site string) bool {
	name, _, _ := strings.Cut(site, "{")
	return runtimeGauges[name]
}

// timeGauge matches gauges that hold a time: they grow by nature.
var timeGauge = regexp.MustCompile(`(^|_)(time|timestamp|last|start|uptime|age|epoch)(_|$)|_seconds$`)

// trendGauge reports whether a gauge's trend can be a leak: not a time,
// and of the runtime's gauges only the ones that grow with a leak.
func trendGauge(name string) bool {
	if strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_") {
		return runtimeGauges[name]
	}
	return !timeGauge.MatchString(name)
}

// parseMetricsText runs prometheus/common's text parser, which panics on
// some malformed input (a nil dereference in TextParser.startLabelName on
// "#…\n{}", found by FuzzMetrics): that is an error about the file here.
func parseMetricsText(r io.Reader) (fams map[string]*dto.MetricFamily, err error) {
	defer func() {
		if e := recover(); e != nil {
			fams, err = nil, fmt.Errorf("malformed (the text parser failed: %v)", e)
		}
	}()
	p := expfmt.NewTextParser(model.UTF8Validation)
	return p.TextToMetricFamilies(r)
}

// metricID is name{k="v",…} with labels sorted, as Prometheus prints it.
func metricID(name string, labels []*dto.LabelPair) string {
	if len(labels) == 0 {
		return name
	}
	ls := slices.Clone(labels)
	slices.SortFunc(ls, func(a, b *dto.LabelPair) int { return strings.Compare(a.GetName(), b.GetName()) })
	var b strings.Builder
	b.WriteString(name)
	b.WriteByte('{')
	for i, l := range ls {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=%q", l.GetName(), l.GetValue())
	}
	b.WriteByte('}')
	return b.String()
}

// MetricName is a metric site's name without its labels.
func MetricName(id string) string {
	name, _, _ := strings.Cut(id, "{")
	return name
}

func metricLabels(id string) string {
	_, l, _ := strings.Cut(id, "{")
	return l
}

// balanceTokens are the words of counter names that come in pairs: a pair
// whose difference grows is something opened and not closed.
var balanceTokens = [][2]string{
	{"add", "remove"}, {"added", "removed"}, {"adds", "removes"},
	{"open", "close"}, {"opened", "closed"}, {"opens", "closes"},
	{"create", "delete"}, {"created", "deleted"}, {"creates", "deletes"},
	{"start", "end"}, {"started", "ended"}, {"started", "finished"}, {"start", "finish"},
	{"inc", "dec"}, {"acquire", "release"}, {"acquired", "released"},
	{"alloc", "free"}, {"allocs", "frees"}, {"register", "unregister"}, {"registered", "unregistered"},
	{"connect", "disconnect"}, {"connected", "disconnected"}, {"connects", "disconnects"},
	{"subscribe", "unsubscribe"}, {"watch", "unwatch"},
}

// pairedName returns the partner of counter name a under one token pair
// (a word of the name, between underscores), or "".
func pairedName(a string, t [2]string) string {
	words := strings.Split(a, "_")
	for i, w := range words {
		if w == t[0] {
			out := slices.Clone(words)
			out[i] = t[1]
			return strings.Join(out, "_")
		}
	}
	return ""
}

// AddBalances adds to every metrics series one balance site per counter
// pair whose names differ by one paired word (add/remove, open/close,
// created/deleted, …) and whose labels are equal, and per declared pair
// (A, B) of metric names, where a missing B counts as zero (a counter
// vector appears only once used). The balance's values are A − B. It
// returns the pairs it added, as "A − B".
func (set *Set) AddBalances(declared [][2]string) []string {
	var added []string
	for si := range set.Series {
		s := &set.Series[si]
		if s.Kind != KindMetrics {
			continue
		}
		counters := map[string]int{}
		for i, ss := range s.Sites {
			if ss.Site.File == MetricCounter {
				counters[ss.Site.Function] = i
			}
		}
		seen := map[string]bool{}
		add := func(a string, b string, bi int) {
			key := a + BalanceSep + b
			if seen[key] {
				return
			}
			seen[key] = true
			ai := counters[a]
			v := s.Sites[ai].Values()
			if bi >= 0 {
				for i, b := range s.Sites[bi].Values() {
					v[i] -= b
				}
			}
			s.Sites = append(s.Sites, NewSiteSeries(Site{Function: key, File: MetricBalance}, v))
			added = append(added, key)
		}
		ids := make([]string, 0, len(counters))
		for id := range counters {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, a := range ids {
			name, labels := MetricName(a), metricLabels(a)
			for _, t := range balanceTokens {
				bn := pairedName(name, t)
				if bn == "" {
					continue
				}
				b := bn
				if labels != "" {
					b += "{" + labels
				}
				if bi, ok := counters[b]; ok {
					add(a, b, bi)
				}
			}
			for _, d := range declared {
				if name != d[0] {
					continue
				}
				b := d[1]
				if labels != "" {
					b += "{" + labels
				}
				bi, ok := counters[b]
				if !ok {
					bi = -1
				}
				add(a, b, bi)
			}
		}
	}
	return added
}

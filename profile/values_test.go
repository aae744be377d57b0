package profile

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	pprof "github.com/google/pprof/profile"
	"google.golang.org/protobuf/encoding/protowire"
)

func hasNote(s *Snapshot, part string) bool {
	for _, n := range s.Notes {
		if strings.Contains(n, part) {
			return true
		}
	}
	return false
}

// TestSaturatingSums: two samples of 2^63−1 at one site sum to 2^63−1,
// not −2, in both protobuf decoders, and the snapshot says so.
func TestSaturatingSums(t *testing.T) {
	fn := &pprof.Function{ID: 1, Name: "main.big"}
	loc := &pprof.Location{ID: 1, Line: []pprof.Line{{Function: fn}}}
	fn2 := &pprof.Function{ID: 2, Name: "main.caller"}
	loc2 := &pprof.Location{ID: 2, Line: []pprof.Line{{Function: fn2}}}
	p := &pprof.Profile{
		SampleType: []*pprof.ValueType{{Type: "inuse_space", Unit: "bytes"}},
		Function:   []*pprof.Function{fn, fn2}, Location: []*pprof.Location{loc, loc2},
		Sample: []*pprof.Sample{
			{Location: []*pprof.Location{loc}, Value: []int64{math.MaxInt64}},
			{Location: []*pprof.Location{loc, loc2}, Value: []int64{math.MaxInt64}},
		},
	}
	var b bytes.Buffer
	if err := p.WriteUncompressed(&b); err != nil {
		t.Fatal(err)
	}
	sp := DefaultSitePolicy()
	for name, decode := range map[string]func() (*Snapshot, error){
		"lean":  func() (*Snapshot, error) { return decodeLean(b.Bytes(), &sp, nil) },
		"pprof": func() (*Snapshot, error) { return decodeWithPprof(b.Bytes(), &sp) },
	} {
		s, err := decode()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(s.Sites) != 1 || s.Sites[0].Values[0] != math.MaxInt64 || s.Totals[0] != math.MaxInt64 {
			t.Errorf("%s: sites %+v totals %v, want one site of 2^63−1", name, s.Sites, s.Totals)
		}
		if !hasNote(s, "held at its bound") {
			t.Errorf("%s: notes %q, want the saturation noted", name, s.Notes)
		}
	}
}

// TestMetricsOutOfRange: NaN and ±Inf gauges are left out and named;
// values past int64 are held at its bounds, noted.
func TestMetricsOutOfRange(t *testing.T) {
	text := "# TYPE go_goroutines gauge\ngo_goroutines{a=\"nan\"} NaN\ngo_goroutines{a=\"inf\"} +Inf\ngo_goroutines{a=\"big\"} 1e19\ngo_goroutines{a=\"small\"} -1e19\ngo_goroutines{a=\"ok\"} 5\n"
	s, err := decodeMetrics([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, sv := range s.Sites {
		got[sv.Site.Function] = sv.Values[0]
	}
	want := map[string]int64{`go_goroutines{a="big"}`: math.MaxInt64, `go_goroutines{a="small"}`: math.MinInt64, `go_goroutines{a="ok"}`: 5}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %d, want %d (all: %v)", k, got[k], v, got)
		}
	}
	if len(got) != 3 {
		t.Errorf("sites %v, want the three finite ones", got)
	}
	if !hasNote(s, "2 series with NaN or ±Inf values left out (first: go_goroutines{a=\"inf\"} = +Inf)") || !hasNote(s, "held at its bound") {
		t.Errorf("notes %q", s.Notes)
	}
}

// TestHugeGoroutineIDs: goroutines whose ids pass int64 are counted, each
// one, with a note.
func TestHugeGoroutineIDs(t *testing.T) {
	dump := "goroutine 18446744073709551615 [chan receive]:\nmain.a()\n\t/x.go:1 +0x1\n\n" +
		"goroutine 99999999999999999999999 [chan receive]:\nmain.a()\n\t/x.go:1 +0x1\n\n" +
		"goroutine 5 [chan receive]:\nmain.a()\n\t/x.go:1 +0x1\ncreated by main.b in goroutine 18446744073709551615\n\t/x.go:9 +0x2\n"
	s, err := Decode([]byte(dump), "goroutine.txt", &DecodeOptions{Sites: DefaultSitePolicy()})
	if err != nil {
		t.Fatal(err)
	}
	if s.Totals[0] != 3 {
		t.Errorf("%d goroutines counted, want 3", s.Totals[0])
	}
	if !hasNote(s, "2 goroutine id(s) past 2^63−1") {
		t.Errorf("notes %q", s.Notes)
	}
}

// TestDuplicateIDs: a profile naming one function or location id twice is
// refused, as pprof refuses it.
func TestDuplicateIDs(t *testing.T) {
	field := func(b []byte, num protowire.Number, v uint64) []byte {
		return protowire.AppendVarint(protowire.AppendTag(b, num, protowire.VarintType), v)
	}
	msg := func(b []byte, num protowire.Number, body []byte) []byte {
		return protowire.AppendBytes(protowire.AppendTag(b, num, protowire.BytesType), body)
	}
	base := func() []byte {
		var b []byte
		for _, s := range []string{"", "inuse_space", "bytes", "main.f"} {
			b = msg(b, 6, []byte(s))
		}
		return msg(b, 1, field(field(nil, 1, 1), 2, 2))
	}
	fn := field(field(nil, 1, 1), 2, 3)
	loc := msg(field(nil, 1, 1), 4, field(nil, 1, 1))
	for name, data := range map[string][]byte{
		"function": msg(msg(msg(base(), 5, fn), 5, fn), 4, loc),
		"location": msg(msg(msg(base(), 5, fn), 4, loc), 4, loc),
	} {
		_, err := Decode(data, "heap.pb", &DecodeOptions{Sites: DefaultSitePolicy()})
		if err == nil || !strings.Contains(err.Error(), "duplicate "+name+" id") {
			t.Errorf("duplicate %s id: %v", name, err)
		}
	}
}

// TestSameMoment: of two snapshots of one source and kind at the same
// moment, one with the same totals is counted once; one with other totals
// is listed apart, not analysed, with both totals.
func TestSameMoment(t *testing.T) {
	at := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	snap := func(file string, total int64, digest uint64, t time.Time) Snapshot {
		return Snapshot{File: file, Source: "api", Kind: KindGoroutine, Type: "goroutine", Time: t, TimeFrom: TimeFromProfileData,
			Metrics: []Metric{{Name: "goroutines", Unit: "count"}}, Totals: []int64{total}, Digest: digest, Cumulative: -1,
			Sites: []SiteValue{{Site: Site{Function: "main.f"}, Values: []int64{total}}}}
	}
	set := Align([]Snapshot{
		snap("a.pb.gz", 10, 1, at),
		snap("a.debug2.txt", 10, 2, at),
		snap("b.pb.gz", 99, 3, at),
		snap("c.pb.gz", 12, 4, at.Add(time.Minute)),
	})
	if len(set.Duplicates) != 1 || set.Duplicates[0].File != "a.pb.gz" { // files of one moment in name order: a.debug2.txt is kept
		t.Errorf("counted once: %v, want a.pb.gz", set.Duplicates)
	}
	if len(set.SameMoment) != 1 || set.SameMoment[0].File != "b.pb.gz" || !strings.Contains(set.SameMoment[0].Err.Error(), "total 10 there, 99 here") {
		t.Errorf("same moment: %v, want b.pb.gz with both totals", set.SameMoment)
	}
}

// TestPrometheusWithoutMetadata: HELP and TYPE lines are optional in the
// text format; samples alone are metrics, not folded stacks. Folded stacks,
// dumps and legacy profiles are not taken for metrics.
func TestPrometheusWithoutMetadata(t *testing.T) {
	for _, tc := range []struct {
		text    string
		metrics bool
	}{
		{"go_goroutines 42\nprocess_open_fds 7\n", true},
		{"# a comment\nhttp_requests_total{code=\"200\",method=\"get\"} 1027 1395066363000\nx -1.5e-3\n", true},
		{"up NaN\n", true},
		{"main;runtime.main;main.leak 12\nmain;main.other 3\n", false},
		{"goroutine 1 [running]:\nmain.main()\n\t/x.go:1 +0x1\n", false},
		{"heap profile: 1: 2 [3: 4] @ heap/1048576\n", false},
		{"threadcreate profile: total 5\n", false},
	} {
		if got := looksLikePrometheus([]byte(tc.text)); got != tc.metrics {
			t.Errorf("looksLikePrometheus(%q) = %v, want %v", tc.text, got, tc.metrics)
		}
	}
	s, err := Decode([]byte("go_goroutines 42\nprocess_open_fds 7\n"), "metrics.prom", &DecodeOptions{Sites: DefaultSitePolicy()})
	if err != nil || s.Kind != KindMetrics || len(s.Sites) != 2 {
		t.Errorf("samples without metadata: %+v, %v; want a metrics snapshot of 2 series", s, err)
	}
}

// escapeProfile is a protobuf whose names hold terminal escapes, a newline
// and a bidi control, and whose two samples of one site sum past int64: a
// fuzz seed for both decoders.
func escapeProfile() []byte {
	fn := &pprof.Function{ID: 1, Name: "main.f\x1b]0;owned\x07\u202e", Filename: "/x\n.go"}
	loc := &pprof.Location{ID: 1, Line: []pprof.Line{{Function: fn, Line: 3}}}
	p := &pprof.Profile{
		SampleType: []*pprof.ValueType{{Type: "inuse_space", Unit: "bytes"}},
		Function:   []*pprof.Function{fn}, Location: []*pprof.Location{loc},
		Sample: []*pprof.Sample{
			{Location: []*pprof.Location{loc}, Value: []int64{math.MaxInt64}, Label: map[string][]string{"k\x1b": {"v\n`"}}},
			{Location: []*pprof.Location{loc}, Value: []int64{math.MaxInt64}},
		},
	}
	var b bytes.Buffer
	p.WriteUncompressed(&b)
	return b.Bytes()
}

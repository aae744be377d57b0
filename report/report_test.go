package report

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/leakdiff/leakdiff/diff"
	"github.com/leakdiff/leakdiff/profile"
	"github.com/leakdiff/leakdiff/rules"
)

func fixtureReport(t *testing.T, dir string) *Report {
	t.Helper()
	l, err := profile.Load(context.Background(), []string{dir}, profile.LoadOptions{Decode: profile.DecodeOptions{Sites: profile.DefaultSitePolicy()}})
	if err != nil {
		t.Fatal(err)
	}
	set := profile.Align(l.Snapshots)
	an := diff.Analyze(set, diff.Options{MemoryLimit: 64 << 20})
	return &Report{Files: l.Files, Set: set, Analysis: an, Skipped: l.Skipped, MinSeverity: diff.SeverityMedium,
		MemoryLimit: 64 << 20, Matches: rules.Annotate(an, rules.Builtin()), Asymmetries: an.Asymmetries(),
		Generated: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)}
}

// TestJSONFields decodes the JSON report as a program would and checks that
// every field of the schema is there with the stated JSON type.
func TestJSONFields(t *testing.T) {
	t.Parallel()
	r := fixtureReport(t, "../testdata/fixtures/remotedialer")
	var buf bytes.Buffer
	if err := WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(buf.String(), "}\n") {
		t.Error("not one object and a newline")
	}
	// Into the schema type, refusing unknown fields: the type is the schema.
	var typed JSONReport
	dec := json.NewDecoder(bytes.NewReader(buf.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&typed); err != nil {
		t.Fatalf("decode into JSONReport: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	check := func(obj map[string]any, field, typ string, nullable bool) {
		t.Helper()
		v, ok := obj[field]
		if !ok {
			t.Errorf("field %q missing", field)
			return
		}
		if v == nil {
			if !nullable {
				t.Errorf("field %q is null", field)
			}
			return
		}
		got := map[string]bool{"string": isType[string](v), "number": isType[float64](v), "object": isType[map[string]any](v), "array": isType[[]any](v), "bool": isType[bool](v)}[typ]
		if !got {
			t.Errorf("field %q is %T, want %s", field, v, typ)
		}
	}
	check(m, "schema", "string", false)
	if m["schema"] != "leakdiff.report/v1" {
		t.Errorf("schema %v", m["schema"])
	}
	check(m, "inputs", "object", false)
	inputs := m["inputs"].(map[string]any)
	check(inputs, "files", "number", false)
	check(inputs, "skipped", "array", false)
	check(m, "series", "array", false)
	for _, s := range m["series"].([]any) {
		so := s.(map[string]any)
		for _, f := range []string{"source", "kind", "metric", "unit"} {
			check(so, f, "string", false)
		}
		check(so, "snapshots", "number", false)
		check(so, "start", "string", true)
		check(so, "end", "string", true)
		if _, err := time.Parse(time.RFC3339, so["start"].(string)); err != nil {
			t.Errorf("start %v is not RFC 3339", so["start"])
		}
	}
	check(m, "findings", "array", false)
	fs := m["findings"].([]any)
	if len(fs) == 0 {
		t.Fatal("no findings")
	}
	for i, f := range fs {
		fo := f.(map[string]any)
		check(fo, "rank", "number", false)
		if fo["rank"].(float64) != float64(i+1) {
			t.Errorf("finding %d has rank %v", i, fo["rank"])
		}
		for _, k := range []string{"kind", "source", "metric", "unit", "trend", "severity"} {
			check(fo, k, "string", false)
		}
		check(fo, "site", "object", false)
		check(fo["site"].(map[string]any), "function", "string", false)
		check(fo["site"].(map[string]any), "file", "string", false)
		check(fo["site"].(map[string]any), "line", "number", false)
		check(fo, "stack", "array", false)
		for _, k := range []string{"first", "last", "growth", "score"} {
			check(fo, k, "number", false)
		}
		for _, k := range []string{"slope_per_hour", "r2", "p_value"} {
			check(fo, k, "number", true)
		}
		check(fo, "rule", "object", true)
		if rule, ok := fo["rule"].(map[string]any); ok {
			for _, k := range []string{"id", "title", "remedy"} {
				check(rule, k, "string", false)
			}
		}
		check(fo, "series", "array", false)
		for _, p := range fo["series"].([]any) {
			check(p.(map[string]any), "t", "string", true)
			check(p.(map[string]any), "v", "number", false)
		}
	}
	if fs[0].(map[string]any)["rule"].(map[string]any)["id"] != "remotedialer-pipe-goroutines" {
		t.Errorf("findings[0].rule.id = %v", fs[0].(map[string]any)["rule"])
	}
}

func isType[T any](v any) bool { _, ok := v.(T); return ok }

// TestJSONNulls: two snapshots give no R² or p-value: null, never NaN.
func TestJSONNulls(t *testing.T) {
	t.Parallel()
	if v := num(0.5); v == nil || *v != 0.5 {
		t.Error("num(0.5)")
	}
	for _, bad := range []float64{nanF(), inf(1), inf(-1)} {
		if num(bad) != nil {
			t.Errorf("num(%v) is not null", bad)
		}
	}
	r := fixtureReport(t, "../testdata/fixtures/chansend-5")
	// Keep two snapshots of the series.
	for i := range r.Set.Series {
		s := &r.Set.Series[i]
		s.Times, s.Totals, s.Files = s.Times[:2], s.Totals[:2], s.Files[:2]
		for j := range s.Sites {
			s.Sites[j].SetValues(s.Sites[j].Values()[:2])
		}
	}
	r.Analysis = diff.Analyze(r.Set, diff.Options{})
	r.Matches, r.MinSeverity = nil, diff.SeverityInfo
	var buf bytes.Buffer
	if err := WriteJSON(&buf, r); err != nil {
		t.Fatalf("write: %v", err)
	}
	if strings.Contains(buf.String(), "NaN") || !strings.Contains(buf.String(), `"r2": null`) || !strings.Contains(buf.String(), `"p_value": null`) {
		t.Errorf("two snapshots: want r2 and p_value null:\n%.600s", buf.String())
	}
}

func nanF() float64     { var z float64; return z / z }
func inf(s int) float64 { var z float64; return float64(s) / z }

// TestHTMLStructure parses the HTML report and checks what a reader needs is
// there, and that nothing is fetched from elsewhere.
func TestHTMLStructure(t *testing.T) {
	t.Parallel()
	r := fixtureReport(t, "../testdata/fixtures/tombstones")
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	ids := map[string]bool{}
	var targets []string
	var sections, svgsInSections int
	var walk func(n *html.Node, inSection bool)
	walk = func(n *html.Node, inSection bool) {
		if n.Type == html.ElementNode {
			count[n.Data]++
			for _, a := range n.Attr {
				// A link the reader may follow is fine (references);
				// nothing may be fetched as the page opens.
				if (a.Key == "src" || a.Key == "href" && n.Data != "a") && !strings.HasPrefix(a.Val, "#") {
					t.Errorf("<%s %s=%q>: the page must not fetch anything", n.Data, a.Key, a.Val)
				}
				if a.Key == "href" && n.Data == "a" && !strings.HasPrefix(a.Val, "#") && !strings.HasPrefix(a.Val, "https://") && !strings.HasPrefix(a.Val, "http://") {
					t.Errorf("<a href=%q>: want a fragment or an http(s) reference", a.Val)
				}
				if a.Key == "href" && strings.HasPrefix(a.Val, "#") {
					targets = append(targets, a.Val[1:])
				}
				if a.Key == "id" {
					ids[a.Val] = true
				}
			}
			if n.Data == "section" {
				sections++
				inSection = true
			}
			if n.Data == "svg" && inSection {
				svgsInSections++
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inSection)
		}
	}
	walk(doc, false)
	if count["script"] != 0 || count["link"] != 0 {
		t.Errorf("scripts %d, links %d: want none", count["script"], count["link"])
	}
	if count["table"] != 2 || count["style"] != 1 || !strings.Contains(buf.String(), "<title>leakdiff report</title>") {
		t.Errorf("tables %d, style %d, or no page title; want 2 and 1", count["table"], count["style"])
	}
	if sections == 0 || svgsInSections != sections {
		t.Errorf("%d finding sections with %d charts: want a chart in each", sections, svgsInSections)
	}
	if count["svg"] < sections+1 {
		t.Errorf("%d charts: want the sources' totals too", count["svg"])
	}
	for _, id := range targets {
		if !ids[id] {
			t.Errorf("a link to #%s, and nothing with that id: every listed finding needs its card", id)
		}
	}
	if !strings.Contains(buf.String(), `<a href="https://`) {
		t.Error("references are not links")
	}
	for _, want := range []string{"session-tombstones", "keepTombstone", "Remedy", "Asymmetries", "Theil–Sen"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
}

func TestSparkline(t *testing.T) {
	t.Parallel()
	tests := []struct {
		v    []int64
		w    int
		want string
	}{
		{[]int64{0, 1, 2, 3, 4, 5, 6, 7}, 8, "▁▂▃▄▅▆▇█"},
		{[]int64{5, 5, 5}, 8, "▁▁▁"},
		{[]int64{0, 10}, 8, "▁█"},
		{nil, 8, ""},
		{[]int64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 4, "▁▂▄█"}, // samples 0, 2, 5 and the last
	}
	for _, tt := range tests {
		if got := sparkline(tt.v, tt.w); got != tt.want {
			t.Errorf("sparkline(%v, %d) = %q, want %q", tt.v, tt.w, got, tt.want)
		}
	}
}

func TestParseFormat(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"table", "json", "markdown", "md", "html"} {
		if _, err := ParseFormat(s); err != nil {
			t.Errorf("ParseFormat(%q): %v", s, err)
		}
	}
	if _, err := ParseFormat("pdf"); err == nil || !strings.Contains(err.Error(), "table, json, markdown, html") {
		t.Errorf("ParseFormat(pdf) = %v", err)
	}
}

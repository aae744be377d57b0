package fleet

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leakdiff/leakdiff/profile"
)

func TestServiceOf(t *testing.T) {
	t.Parallel()
	snaps := []profile.Snapshot{
		{File: "gs://bucket/fleet/api/pod-1/heap-1.pb.gz", Labels: map[string]string{"app": "api"}},
		{File: "gs://bucket/fleet/api/pod-1/heap-2.pb.gz", Labels: map[string]string{"app": "api"}},
		{File: "gs://bucket/fleet/api/pod-1/goroutine-1.pb.gz", Labels: map[string]string{"app": "web"}},
	}
	tests := []struct{ spec, want string }{
		{"", "api"}, {"path:1", "api"}, {"path:0", "pod-1"}, {"path:2", "fleet"}, {"path:9", ""},
		{"label:app", "api"}, {"label:zone", ""},
	}
	for _, tt := range tests {
		if got := ServiceOf(tt.spec, snaps); got != tt.want {
			t.Errorf("ServiceOf(%q) = %q, want %q", tt.spec, got, tt.want)
		}
	}
	local := []profile.Snapshot{{File: "/data/fleet/api/pod-1/heap-1.pb.gz"}}
	if got := ServiceOf("path:1", local); got != "api" {
		t.Errorf("local path: %q, want api", got)
	}
}

func TestConfigCheck(t *testing.T) {
	t.Parallel()
	good := config("out", "in/*")
	if err := good.Check(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(c *Config)
		want string
	}{
		{"no_input", func(c *Config) { c.Inputs = nil }, "--input"},
		{"no_output", func(c *Config) { c.Output = "" }, "--output"},
		{"severity", func(c *Config) { c.MinSeverity = "urgent" }, "--min-severity"},
		{"service", func(c *Config) { c.Service = "pod:1" }, "--service"},
		{"service_level", func(c *Config) { c.Service = "path:x" }, "--service path:N"},
		{"granularity", func(c *Config) { c.Load.Granularity = "word" }, "--granularity"},
		{"rules", func(c *Config) { c.Rules = []RuleFile{{Name: "bad.yaml", Data: "version: 1\nrules: [{id: 'X'}]\n"}} }, "bad.yaml"},
	}
	for _, tt := range tests {
		c := config("out", "in/*")
		tt.edit(&c)
		if err := c.Check(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one naming %s", tt.name, err, tt.want)
		}
	}
}

// results is a service of four pods: one leaks a goroutine chain (its lead
// and a member), two share a heap leak led by different sites.
func results() []SourceResult {
	heap := func(site, sev string, slope float64, members ...string) FindingResult {
		return FindingResult{Kind: "heap", Metric: "inuse_space", Unit: "bytes", Site: site, Severity: sev, Shape: "linear", SlopePerHour: slope, Members: members}
	}
	return []SourceResult{
		{Service: "api", Source: "pod-1", Files: 10, Snapshots: 10, Findings: []FindingResult{
			{Kind: "goroutine", Metric: "goroutines", Unit: "count", Site: "lib.(*Sub).loop", Rule: "blocked-channel-goroutines", Severity: "high", Shape: "linear", SlopePerHour: 30,
				Members: []string{"goroutine lib.(*Sub).dispatch"}},
		}, Series: []SeriesResult{{Kind: "goroutine", Metric: "goroutines", Rising: true}, {Kind: "heap", Metric: "inuse_space"}}},
		{Service: "api", Source: "pod-2", Files: 10, Snapshots: 10, Findings: []FindingResult{heap("cache.Put", "medium", 1<<20)},
			Series: []SeriesResult{{Kind: "goroutine", Metric: "goroutines"}, {Kind: "heap", Metric: "inuse_space", Rising: true}}},
		{Service: "api", Source: "pod-3", Files: 10, Snapshots: 10, Findings: []FindingResult{heap("cache.(*Entry).grow", "high", 4<<20, "heap cache.Put"), heap("log.Write", "low", 1)},
			Series: []SeriesResult{{Kind: "goroutine", Metric: "goroutines"}, {Kind: "heap", Metric: "inuse_space", Rising: true}}},
		{Service: "api", Source: "pod-4", Files: 10, Snapshots: 10,
			Series: []SeriesResult{{Kind: "goroutine", Metric: "goroutines"}, {Kind: "heap", Metric: "inuse_space"}}},
		{Service: "db", Source: "db-1", Files: 5, Snapshots: 5},
	}
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	gen := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	sum := Summarize(results(), []FileNote{{File: "b", Error: "x"}, {File: "a", Error: "y"}}, "medium", gen)
	if sum.Schema != SummarySchema || sum.Inputs.Sources != 5 || sum.Inputs.Services != 2 || sum.Inputs.Files != 45 {
		t.Fatalf("inputs %+v", sum.Inputs)
	}
	if sum.Inputs.Skipped[0].File != "a" {
		t.Errorf("skipped not sorted: %v", sum.Inputs.Skipped)
	}
	api := sum.Services[0]
	if api.Service != "api" || api.Sources != 4 || api.LeakingSources != 3 {
		t.Fatalf("api: %+v", api)
	}
	site := func(name string) *FleetSite {
		for i := range api.Sites {
			if api.Sites[i].Site == name {
				return &api.Sites[i]
			}
		}
		t.Fatalf("no site %s in %+v", name, api.Sites)
		return nil
	}
	// cache.Put leads in pod-2, is a member in pod-3: leaking in 2 of 4,
	// its rate from where it leads.
	if put := site("cache.Put"); put.Leaking != 2 || put.Of != 4 || put.TotalSlopePerHour != 1<<20 || len(put.Worst) != 2 || put.Worst[0].Source != "pod-3" {
		t.Errorf("cache.Put: %+v", put)
	}
	if sub := site("lib.(*Sub).loop"); sub.Leaking != 1 || sub.Rule == nil || *sub.Rule != "blocked-channel-goroutines" {
		t.Errorf("loop: %+v", sub)
	}
	// log.Write is low: not leaking at medium.
	for _, s := range api.Sites {
		if s.Site == "log.Write" {
			t.Errorf("a low finding counted as leaking: %+v", s)
		}
	}
	// Outliers: every site here leaks in half or fewer; the goroutine total
	// grows in 1 of 4, the heap total in 2 of 4.
	var outl []string
	for _, o := range api.Outliers {
		s := "total"
		if o.Site != nil {
			s = *o.Site
		}
		outl = append(outl, o.Kind+" "+s+" "+strings.Join(o.Growing, ","))
	}
	for _, want := range []string{"goroutine total pod-1", "heap total pod-2,pod-3", "heap cache.Put pod-2,pod-3", "goroutine lib.(*Sub).loop pod-1"} {
		if !slices.Contains(outl, want) {
			t.Errorf("outlier %q missing from %q", want, outl)
		}
	}
	// The order of results does not matter.
	rs := results()
	slices.Reverse(rs)
	if again := Summarize(rs, []FileNote{{File: "a", Error: "y"}, {File: "b", Error: "x"}}, "medium", gen); !reflect.DeepEqual(again, sum) {
		t.Error("summary depends on the order of its inputs")
	}
	var md strings.Builder
	if err := WriteMarkdown(&md, sum); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## api: 3 of 4 sources leak", "`cache.Put`", "2 of 4", "**Outliers:**", "## Skipped inputs"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}
}

package fleet

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/leakdiff/leakdiff/beam/internal/fleetgen"
	"github.com/leakdiff/leakdiff/cmd"
	"github.com/leakdiff/leakdiff/internal/options"
)

// TestMain runs the pipelines on Beam's Prism runner, in process.
func TestMain(m *testing.M) { ptest.Main(m) }

var generated = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

func config(out string, inputs ...string) Config {
	return Config{Inputs: inputs, Output: out, Load: options.DefaultLoad(), MinSeverity: "medium", Top: 20,
		Service: "path:1", Generated: generated}
}

// run builds and runs the pipeline and reads the summary it wrote.
func run(t *testing.T, c Config, wantSkipped int) *Summary {
	t.Helper()
	if err := c.Check(); err != nil {
		t.Fatal(err)
	}
	p, s := beam.NewPipelineWithRoot()
	_, skipped := Build(s, c)
	passert.Count(s, skipped, "skipped", wantSkipped)
	ptest.RunAndValidate(t, p)
	data, err := os.ReadFile(filepath.Join(c.Output, "fleet-summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sum Summary
	if err := json.Unmarshal(data, &sum); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(c.Output, "fleet-summary.md")); err != nil {
		t.Error(err)
	}
	return &sum
}

// cli runs leakdiff analyze --format json in process, with the same
// generated time.
var cliMu sync.Mutex

func cli(t *testing.T, args ...string) map[string]any {
	t.Helper()
	cliMu.Lock()
	defer cliMu.Unlock()
	t.Setenv("SOURCE_DATE_EPOCH", fmt.Sprint(generated.Unix()))
	var stdout, stderr bytes.Buffer
	if code := cmd.Run(context.Background(), append([]string{"analyze", "--format", "json", "-q"}, args...), nil, &stdout, &stderr); code != 0 {
		t.Fatalf("leakdiff %v: exit %d: %s", args, code, stderr.String())
	}
	return decodeJSON(t, stdout.Bytes())
}

func decodeJSON(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// sameReport compares a source's report with leakdiff analyze's.
func sameReport(t *testing.T, path string, want map[string]any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got := decodeJSON(t, data)
	// Who made each report differs (leakdiff-beam, leakdiff analyze with
	// its command line); what they say may not.
	if g, ok := got["generator"].(map[string]any); !ok || g["name"] != "leakdiff-beam" {
		t.Errorf("%s: generator %v, want leakdiff-beam's", path, got["generator"])
	}
	delete(got, "generator")
	want = maps.Clone(want)
	delete(want, "generator")
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		gl, wl := strings.Split(string(g), "\n"), strings.Split(string(w), "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Fatalf("%s differs from leakdiff analyze at line %d:\n got %s\nwant %s", path, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("%s differs from leakdiff analyze in length (%d vs %d lines)", path, len(gl), len(wl))
	}
}

// TestFixturesMatchCLI runs the pipeline over every scenario fixture (one
// service per fixture, one source per folder) and compares each source's
// report with leakdiff analyze's on that folder.
func TestFixturesMatchCLI(t *testing.T) {
	fixtures, err := filepath.Abs("../../testdata/fixtures")
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	sum := run(t, config(out, filepath.Join(fixtures, "*", "*", "*")), 0)
	dirs, _ := filepath.Glob(filepath.Join(fixtures, "*", "*"))
	n := 0
	for _, d := range dirs {
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
			continue
		}
		svc, src := filepath.Base(filepath.Dir(d)), filepath.Base(d)
		sameReport(t, SourceReportPath(out, svc, src, ""), cli(t, d))
		n++
	}
	if n < 25 || sum.Inputs.Sources != n {
		t.Errorf("%d source folders, the summary has %d sources", n, sum.Inputs.Sources)
	}
	// The primary/replica asymmetry of incident 5 is a fleet outlier.
	for _, svc := range sum.Services {
		if svc.Service != "tombstones" {
			continue
		}
		found := false
		for _, o := range svc.Outliers {
			if o.Site != nil && *o.Site == "main.(*TombstoneStore).keepTombstone" && slices.Equal(o.Growing, []string{"replica"}) {
				found = true
			}
		}
		if !found {
			t.Errorf("tombstones: no outlier for keepTombstone in replica: %+v", svc.Outliers)
		}
	}
}

// TestGeneratedFleet generates 200 instances of three services (24
// snapshots of each kind, small profiles) with leaks planted in some
// instances of two of them, plus broken files, and checks the summary: the
// planted leaks with the right instance counts and as outliers, nothing
// else leaking, every broken file listed; and a sample of the sources'
// reports equal to leakdiff analyze's.
func TestGeneratedFleet(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 9,600 profiles")
	}
	root := t.TempDir()
	began := time.Now()
	c := fleetgen.Small
	c.Root = root
	if err := fleetgen.Write(c, fleetgen.Plan); err != nil {
		t.Fatal(err)
	}
	// Broken files beside good ones: never a failed job, always listed.
	broken := map[string][]byte{
		filepath.Join(root, "api", "api-000", "heap-truncated.pb.gz"): {0x1f, 0x8b, 0x08, 0x00, 0x00},
		filepath.Join(root, "gateway", "gateway-001", "notes.txt"):    []byte("not a profile\n"),
	}
	for p, b := range broken {
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("generated 200 sources × 48 profiles in %s", time.Since(began).Round(time.Second))
	out := t.TempDir()
	began = time.Now()
	sum := run(t, config(out, filepath.Join(root, "*", "*", "*")), len(broken))
	t.Logf("pipeline on Prism: %s", time.Since(began).Round(time.Second))

	if sum.Inputs.Sources != 200 || sum.Inputs.Services != 3 || sum.Inputs.Files != 200*48 {
		t.Errorf("inputs %+v, want 200 sources of 3 services, 9600 files", sum.Inputs)
	}
	var skipped []string
	for _, n := range sum.Inputs.Skipped {
		skipped = append(skipped, n.File)
		if n.Error == "" {
			t.Errorf("%s skipped without a reason", n.File)
		}
	}
	for p := range broken {
		if !slices.Contains(skipped, p) {
			t.Errorf("%s not listed as skipped (%v)", p, skipped)
		}
	}
	for _, p := range fleetgen.Plan {
		i := slices.IndexFunc(sum.Services, func(s Service) bool { return s.Service == p.Name })
		if i < 0 {
			t.Errorf("service %s missing", p.Name)
			continue
		}
		svc := sum.Services[i]
		if svc.Sources != p.Instances || svc.LeakingSources != p.Leaking {
			t.Errorf("%s: %d sources, %d leaking; want %d, %d", p.Name, svc.Sources, svc.LeakingSources, p.Instances, p.Leaking)
		}
		for _, fs := range svc.Sites {
			if fs.Site != p.LeakSite {
				t.Errorf("%s: %s reported leaking in %d sources; only %s was planted", p.Name, fs.Site, fs.Leaking, p.LeakSite)
				continue
			}
			if fs.Leaking != p.Leaking || fs.Of != p.Instances || len(fs.Worst) != min(3, p.Leaking) || !(fs.TotalSlopePerHour > 0) {
				t.Errorf("%s: %s leaks in %d of %d (worst %d, total %g/h); want %d of %d", p.Name, fs.Site, fs.Leaking, fs.Of, len(fs.Worst), fs.TotalSlopePerHour, p.Leaking, p.Instances)
			}
		}
		if p.LeakSite == "" {
			continue
		}
		found := false
		for _, o := range svc.Outliers {
			if o.Site != nil && *o.Site == p.LeakSite && len(o.Growing) == p.Leaking && len(o.Steady) == p.Instances-p.Leaking {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: %s in %d of %d is not an outlier: %+v", p.Name, p.LeakSite, p.Leaking, p.Instances, svc.Outliers)
		}
	}
	// A sample of the reports is what leakdiff analyze prints.
	// api-000 and gateway-001 hold a broken file: their reports list it.
	for _, src := range []string{"api/api-000", "api/api-050", "worker/worker-002", "gateway/gateway-001", "gateway/gateway-039"} {
		svc, name := filepath.Split(src)
		sameReport(t, SourceReportPath(out, filepath.Clean(svc), name, ""), cli(t, filepath.Join(root, src)))
	}
}

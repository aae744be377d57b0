package diff

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/leakdiff/leakdiff/profile"
)

// writeMetrics writes n /metrics snapshots, one a minute, with
// prometheus/common's encoder: counters from counters(i), a gauge from
// gauge(i).
func writeMetrics(t *testing.T, dir string, n int, counters func(i int) map[string]float64) {
	t.Helper()
	start := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	for i := range n {
		var b bytes.Buffer
		for name, v := range counters(i) {
			mf := &dto.MetricFamily{Name: &name, Type: dto.MetricType_COUNTER.Enum(), Help: ptr("a counter"),
				Metric: []*dto.Metric{{Counter: &dto.Counter{Value: &v}}}}
			if _, err := expfmt.MetricFamilyToText(&b, mf); err != nil {
				t.Fatal(err)
			}
		}
		name := fmt.Sprintf("metrics-%s.prom", start.Add(time.Duration(i)*time.Minute).Format("20060102T150405Z"))
		if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// TestBalancedCountersNoImbalance: pairs of counters found by name
// (opened/closed, started/finished): the balanced pair, whose gap only
// jitters with the work in flight, is not reported; the one whose gap
// grows is, as a metrics finding.
func TestBalancedCountersNoImbalance(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	writeMetrics(t, dir, 24, func(i int) map[string]float64 {
		opened := float64(100 * i)
		inFlight := float64(rng.IntN(6))
		return map[string]float64{
			"connections_opened_total": opened + inFlight,
			"connections_closed_total": opened,
			"jobs_started_total":       float64(50 * i),
			"jobs_finished_total":      float64(48*i) - float64(rng.IntN(3)),
			"http_requests_total":      float64(1000 * i),
		}
	})
	l, err := profile.Load(context.Background(), []string{dir}, profile.LoadOptions{Decode: profile.DecodeOptions{Sites: profile.DefaultSitePolicy()}})
	if err != nil || len(l.Skipped) > 0 {
		t.Fatalf("%v, skipped %v", err, l.Skipped)
	}
	set := profile.Align(l.Snapshots)
	added := set.AddBalances(nil)
	if strings.Join(added, "; ") != "connections_opened_total − connections_closed_total; jobs_started_total − jobs_finished_total" {
		t.Fatalf("balances %q", added)
	}
	a := Analyze(set, Options{})
	sev := map[string]Severity{}
	for _, f := range a.Findings {
		s := a.Series[f.Series].Series.Sites[f.Site].Site
		if s.File == profile.MetricCounter {
			t.Errorf("counter %s became a finding", s.Function)
		}
		sev[s.Function] = f.Severity
	}
	if got := sev["connections_opened_total − connections_closed_total"]; got >= SeverityMedium {
		t.Errorf("balanced connections reported %s", got)
	}
	if got := sev["jobs_started_total − jobs_finished_total"]; got < SeverityMedium {
		t.Errorf("jobs gap growing by 2 a minute reported %s, want medium or worse", got)
	}
}

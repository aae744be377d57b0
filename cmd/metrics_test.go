package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/leakdiff/leakdiff/report"
)

// TestMetricsBalanceLinkedPerRequest is issue 10's acceptance on the
// remotedialer scenario run with its /metrics saved beside the profiles:
// remotedialer's own session_server_total_add_connections rises while
// …_remove_connections never appears; the imbalance is a metrics finding
// named by the remotedialer rule, linked to the goroutine finding, and
// --per rancher_api_requests_total gives one goroutine per request at the
// leaking site (each proxied call leaves exactly one readBuffer.Read).
func TestMetricsBalanceLinkedPerRequest(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), []string{"analyze", "--format", "json", "--strict", "--per", "rancher_api_requests_total",
		"../testdata/fixtures/remotedialer-metrics"}, nil, &stdout, &stderr)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var j report.JSONReport
	if err := json.Unmarshal(stdout.Bytes(), &j); err != nil {
		t.Fatal(err)
	}
	var balance, leak *report.JSONFinding
	for i := range j.Findings {
		f := &j.Findings[i]
		if balance == nil && f.Kind == "metrics" && strings.HasPrefix(f.Site.Function, "session_server_total_add_connections{") &&
			strings.Contains(f.Site.Function, " − session_server_total_remove_connections{") {
			balance = f
		}
		if leak == nil && f.Kind == "goroutine" && f.Site.Function == "github.com/rancher/remotedialer.(*readBuffer).Read" {
			leak = f
		}
	}
	if balance == nil || leak == nil {
		t.Fatalf("balance finding %v, leak finding %v: want both", balance != nil, leak != nil)
	}
	if balance.Severity != "high" && balance.Severity != "medium" || balance.Rule == nil || balance.Rule.ID != "remotedialer-pipe-goroutines" {
		t.Errorf("balance %s: severity %s, rule %+v; want medium or worse, named remotedialer-pipe-goroutines", balance.Site.Function, balance.Severity, balance.Rule)
	}
	linked := false
	for _, l := range balance.Linked {
		linked = linked || l.Kind == "goroutine" && l.Site == leak.Site.Function && l.R >= 0.8
	}
	if !linked {
		t.Errorf("balance linked to %+v, want the readBuffer.Read goroutine finding", balance.Linked)
	}
	if leak.PerUnit == nil || leak.PerUnit.Counter != "rancher_api_requests_total" || math.Abs(leak.PerUnit.Value-1) > 0.15 {
		t.Errorf("goroutines per request %+v, want 1 ± 0.15", leak.PerUnit)
	}
}

// TestPerUnknownCounter: --per naming a counter no source has says so and
// still reports.
func TestPerUnknownCounter(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), []string{"analyze", "--per", "nope_total", "../testdata/fixtures/remotedialer-metrics"}, nil, &stdout, &stderr)
	if code != ExitOK || !strings.Contains(stderr.String(), "no counter nope_total") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}

package cmd

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/leakdiff/leakdiff/internal/golden"
	"github.com/leakdiff/leakdiff/rules"
)

// TestAnalyzeGolden runs the real command tree in-process and compares
// stdout and stderr with golden files (testdata/NAME.stdout, .stderr), as
// benchstat's tests do. Run with -update to rewrite them.
func TestAnalyzeGolden(t *testing.T) {
	t.Parallel()
	debug2, err := os.ReadFile("../testdata/formats/debug2/" + firstFile(t, "../testdata/formats/debug2"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		stdin    []byte
		wantCode int
	}{
		{"example_snapshots", []string{"analyze", "../testdata/snapshots/"}, nil, ExitOK},
		{"quoted_glob", []string{"analyze", "../testdata/snapshots/primary/goroutine-*.pb.gz"}, nil, ExitOK},
		{"stdin_debug2", []string{"analyze", "-"}, debug2, ExitOK},
		{"debug2_series_line_granularity", []string{"analyze", "--granularity", "line", "--top", "3", "../testdata/formats/debug2"}, nil, ExitOK},
		{"memory_limit_all_severities", []string{"analyze", "--memory-limit", "8MiB", "--min-severity", "info", "--top", "6", "../testdata/fixtures/walbacklog"}, nil, ExitOK},
		{"restart", []string{"analyze", "../testdata/fixtures/restart"}, nil, ExitOK},
		{"diff_two_builds", []string{"diff", "--top", "5", "../testdata/builds/a/heap-20261122T005459Z.pb.gz", "../testdata/builds/b/heap-20261122T005504Z.pb.gz"}, nil, ExitOK},
		{"diff_json", []string{"diff", "--format", "json", "--top", "3", "../testdata/builds/a/goroutine-20261122T005459Z.pb.gz", "../testdata/builds/b/goroutine-20261122T005504Z.pb.gz"}, nil, ExitOK},
		{"diff_markdown", []string{"diff", "--format", "markdown", "--top", "3", "../testdata/builds/a/heap-20261122T005459Z.pb.gz", "../testdata/builds/b/heap-20261122T005504Z.pb.gz"}, nil, ExitOK},
		{"diff_html", []string{"diff", "--format", "html", "--top", "3", "../testdata/builds/a/heap-20261122T005459Z.pb.gz", "../testdata/builds/b/heap-20261122T005504Z.pb.gz"}, nil, ExitOK},
		{"diff_kinds_differ", []string{"diff", "../testdata/builds/a/heap-20261122T005459Z.pb.gz", "../testdata/builds/b/goroutine-20261122T005504Z.pb.gz"}, nil, ExitUsage},
		{"diff_not_a_profile", []string{"diff", "testdata/bad/notes.txt", "../testdata/builds/b/heap-20261122T005504Z.pb.gz"}, nil, ExitUsage},
		{"rules_list", []string{"rules", "list"}, nil, ExitOK},
		{"rules_show", []string{"rules", "show", "etcd-watch-stream"}, nil, ExitOK},
		{"rules_show_unknown", []string{"rules", "show", "no-such-rule"}, nil, ExitUsage},
		{"rules_lint_ok", []string{"rules", "lint", "testdata/rules/registry.yaml"}, nil, ExitOK},
		{"rules_lint_typo", []string{"rules", "lint", "testdata/rules/typo.yaml"}, nil, ExitUsage},
		{"analyze_rules_typo", []string{"analyze", "--rules", "testdata/rules/typo.yaml", "../testdata/fixtures/restart"}, nil, ExitUsage},
		{"analyze_user_rule", []string{"analyze", "--rules", "testdata/rules/registry.yaml", "--top", "2", "../testdata/fixtures/restart"}, nil, ExitOK},
		{"tombstones_asymmetry", []string{"analyze", "--top", "1", "../testdata/fixtures/tombstones"}, nil, ExitOK},
		{"format_json", []string{"analyze", "--format", "json", "--top", "3", "../testdata/fixtures/remotedialer"}, nil, ExitOK},
		{"format_markdown", []string{"analyze", "--format", "markdown", "--memory-limit", "16MiB", "../testdata/fixtures/walbacklog"}, nil, ExitOK},
		{"format_html", []string{"analyze", "--format", "html", "../testdata/fixtures/tombstones"}, nil, ExitOK},
		{"fail_on_high_leak", []string{"analyze", "--fail-on", "high", "--top", "1", "../testdata/fixtures/chansend"}, nil, ExitFindings},
		{"fail_on_high_control", []string{"analyze", "--fail-on", "high", "--top", "1", "../testdata/fixtures/sawtooth"}, nil, ExitOK},
		{"bad_format", []string{"analyze", "--format", "pdf", "../testdata/snapshots"}, nil, ExitUsage},
		{"bad_min_severity", []string{"analyze", "--min-severity", "urgent", "../testdata/snapshots"}, nil, ExitUsage},
		{"goroutineleak", []string{"analyze", "../testdata/formats/goroutineleak"}, nil, ExitOK},
		{"bad_inputs_rest_analysed", []string{"analyze", "testdata/bad", "../testdata/snapshots/replica/goroutine-*", "no/such/file.pb.gz"}, nil, ExitOK},
		{"bad_inputs_strict", []string{"analyze", "--strict", "testdata/bad", "../testdata/snapshots/replica/goroutine-*"}, nil, ExitUsage},
		{"no_usable_snapshot", []string{"analyze", "testdata/bad"}, nil, ExitUsage},
		{"bad_flag_value", []string{"analyze", "--granularity", "byte", "../testdata/snapshots"}, nil, ExitUsage},
		{"no_args", []string{"analyze"}, nil, ExitUsage},
		// Every format on three fixtures: one summary for all four.
		{"report_remotedialer_metrics_table", []string{"analyze", "--min-severity", "low", "--top", "6", "../testdata/fixtures/remotedialer-metrics"}, nil, ExitOK},
		{"report_remotedialer_metrics_json", []string{"analyze", "-f", "json", "--min-severity", "low", "--top", "6", "--per", "rancher_api_requests_total", "../testdata/fixtures/remotedialer-metrics"}, nil, ExitOK},
		{"report_remotedialer_metrics_markdown", []string{"analyze", "-f", "markdown", "--min-severity", "low", "--top", "6", "../testdata/fixtures/remotedialer-metrics"}, nil, ExitOK},
		{"report_remotedialer_metrics_html", []string{"analyze", "-f", "html", "--min-severity", "low", "--top", "6", "../testdata/fixtures/remotedialer-metrics"}, nil, ExitOK},
		{"report_walbacklog_table", []string{"analyze", "--memory-limit", "16Mi", "--width", "100", "../testdata/fixtures/walbacklog"}, nil, ExitOK},
		{"report_walbacklog_json", []string{"analyze", "-f", "json", "--memory-limit", "16Mi", "../testdata/fixtures/walbacklog"}, nil, ExitOK},
		{"report_walbacklog_html", []string{"analyze", "-f", "html", "--memory-limit", "16Mi", "../testdata/fixtures/walbacklog"}, nil, ExitOK},
		{"report_tombstones_table", []string{"analyze", "--width", "80", "../testdata/fixtures/tombstones"}, nil, ExitOK},
		{"report_tombstones_json", []string{"analyze", "-f", "json", "../testdata/fixtures/tombstones"}, nil, ExitOK},
		{"report_tombstones_markdown", []string{"analyze", "-f", "markdown", "../testdata/fixtures/tombstones"}, nil, ExitOK},
		{"report_etcdwatch_json", []string{"analyze", "-f", "json", "--min-severity", "info", "--top", "4", "../testdata/fixtures/etcdwatch"}, nil, ExitOK},
		// compare: a fix verified, a regression gated, in every format.
		{"compare_fixed", []string{"compare", "--width", "100", "../testdata/fixtures/remotedialer-metrics", "../testdata/fixtures/remotedialer-fixed"}, nil, ExitOK},
		{"compare_new_leak_fails", []string{"compare", "--fail-on", "new-leak", "../testdata/fixtures/remotedialer-fixed", "../testdata/fixtures/remotedialer-metrics"}, nil, ExitFindings},
		{"compare_json", []string{"compare", "-f", "json", "../testdata/fixtures/chain", "../testdata/fixtures/chain-closed"}, nil, ExitOK},
		{"compare_markdown", []string{"compare", "-f", "markdown", "../testdata/fixtures/k8swatch", "../testdata/fixtures/k8swatch-stopped"}, nil, ExitOK},
		{"compare_html", []string{"compare", "-f", "html", "../testdata/fixtures/remotedialer-metrics", "../testdata/fixtures/remotedialer-fixed"}, nil, ExitOK},
		{"compare_sources", []string{"compare", "--baseline-source", "primary", "--candidate-source", "replica", "--fail-on", "worse", "../testdata/fixtures/tombstones"}, nil, ExitFindings},
		{"compare_too_few", []string{"compare", "--width", "120", "../testdata/fixtures/remotedialer-metrics", "../testdata/fixtures/remotedialer-fixed/rancher/*T09[01]*"}, nil, ExitOK},
		{"compare_one_path", []string{"compare", "../testdata/fixtures/chain"}, nil, ExitUsage},
		{"source_regexp_by_format", []string{"analyze", "--top", "2", "--source-regexp", `\.(?P<source>debug[12]|pb)\.`, "../testdata/formats/goroutineleak"}, nil, ExitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			code := Run(context.Background(), tt.args, bytes.NewReader(tt.stdin), &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d; stderr:\n%s", code, tt.wantCode, stderr.String())
			}
			golden.Check(t, filepath.Join("testdata", tt.name+".stdout"), stdout.Bytes())
			golden.Check(t, filepath.Join("testdata", tt.name+".stderr"), stderr.Bytes())
		})
	}
}

func firstFile(t *testing.T, dir string) string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) == 0 {
		t.Fatalf("read %s: %v", dir, err)
	}
	return ents[0].Name()
}

// TestAnalyzeExampleRanksLeaksFirst checks the acceptance criterion on the
// example directly, independent of golden files: two sources × two kinds,
// ten snapshots each, and the leaking site first where there is one.
func TestAnalyzeExampleRanksLeaksFirst(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	if code := Run(context.Background(), []string{"analyze", "../testdata/snapshots"}, nil, &stdout, &stderr); code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	out := stdout.String()
	for _, series := range []string{"primary · heap · inuse_space", "primary · goroutine · goroutines", "replica · heap · inuse_space", "replica · goroutine · goroutines"} {
		if !regexp.MustCompile(`(?m)^ ` + regexp.QuoteMeta(series) + ` +10 `).MatchString(out) {
			t.Errorf("no line for %s with 10 snapshots in\n%s", series, out)
		}
	}
	first := map[string]string{}
	row := regexp.MustCompile(`(?m)^ +\d+ +(critical|high|medium) +(\w+ · \w+) +(\S+)`)
	for _, m := range row.FindAllStringSubmatch(out, -1) {
		if _, ok := first[m[2]]; !ok {
			first[m[2]] = m[3]
		}
	}
	want := map[string]string{
		"primary · heap":      "cache.(*Store).Put",
		"primary · goroutine": "leaky.worker",
		"replica · heap":      "cache.(*Store).Put",
	}
	for series, site := range want {
		if first[series] != site {
			t.Errorf("%s: first finding %q, want %q", series, first[series], site)
		}
	}
	if s, ok := first["replica · goroutine"]; ok {
		t.Errorf("replica goroutines are flat, but %s is reported", s)
	}
}

func TestAnalyzeFlags(t *testing.T) {
	t.Parallel()
	var got *AnalyzeOptions
	c := newAnalyzeCmd(nil, func(_ context.Context, o *AnalyzeOptions, _ io.Reader, _, _ io.Writer) error {
		got = o
		return nil
	})
	c.SetArgs([]string{"--granularity", "line", "--site", "leaf", "--site-skip", "a", "--site-skip", "b", "--source-label", "pod", "--strict", "-q", "x", "y"})
	c.SetOut(io.Discard)
	c.SetErr(io.Discard)
	if err := c.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Granularity != "line" || got.Site != "leaf" || len(got.SiteSkip) != 2 || got.SourceLabel != "pod" || !got.Strict || !got.Quiet || len(got.Args) != 2 {
		t.Errorf("options %+v", got)
	}
	if got.MaxSize != "128MiB" || got.Top != 20 || got.MinSeverity != "medium" {
		t.Errorf("defaults: max size %q top %d min severity %q, want 128MiB, 20, medium", got.MaxSize, got.Top, got.MinSeverity)
	}
}

func TestLoadOptionsValidation(t *testing.T) {
	t.Parallel()
	bad := []AnalyzeOptions{
		{Granularity: "byte", Site: "auto", MaxSize: "128MiB", Top: 1, MinSeverity: "medium"},
		{Granularity: "function", Site: "root", MaxSize: "128MiB", Top: 1, MinSeverity: "medium"},
		{Granularity: "function", Site: "auto", SiteRegexp: "(", MaxSize: "128MiB", Top: 1, MinSeverity: "medium"},
		{Granularity: "function", Site: "auto", SourceRegexp: "[", MaxSize: "128MiB", Top: 1, MinSeverity: "medium"},
		{Granularity: "function", Site: "auto", MaxSize: "lots", Top: 1, MinSeverity: "medium"},
		{Granularity: "function", Site: "auto", MaxSize: "128MiB", Top: 0, MinSeverity: "medium"},
		{Granularity: "function", Site: "auto", MaxSize: "128MiB", Top: 1, MinSeverity: "urgent"},
		{Granularity: "function", Site: "auto", MaxSize: "128MiB", Top: 1, MinSeverity: "low", MemoryLimit: "lots"},
	}
	for _, o := range bad {
		if _, err := o.loadOptions(); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	var stdout bytes.Buffer
	if code := Run(context.Background(), []string{"version"}, nil, &stdout, io.Discard); code != ExitOK || !strings.HasPrefix(stdout.String(), "leakdiff ") {
		t.Errorf("version: exit %d, output %q", code, stdout.String())
	}
}

// TestInterruptedWritesNothing: a run stopped by Ctrl-C (a cancelled
// context) exits 130, says so, and leaves no report, not even a partial
// one, where --output points.
func TestInterruptedWritesNothing(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "report.json")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	code := Run(ctx, []string{"analyze", "--format", "json", "-o", out, "../testdata/snapshots"}, nil, &stdout, &stderr)
	if code != ExitInterrupted || !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("exit %d, stderr %q; want %d and a word about the interruption", code, stderr.String(), ExitInterrupted)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("%s exists after an interrupted run (%v)", out, err)
	}
	ents, _ := os.ReadDir(filepath.Dir(out))
	if len(ents) != 0 {
		t.Errorf("left behind %v", ents)
	}
}

// TestRulesShowIsARuleFile: for every built-in rule, `rules show ID` is a
// file that `rules lint` accepts and that loads to the same rule.
func TestRulesShowIsARuleFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, r := range rules.Builtin().Rules {
		var out, errb bytes.Buffer
		if code := Run(context.Background(), []string{"rules", "show", r.ID}, nil, &out, &errb); code != ExitOK {
			t.Fatalf("rules show %s: exit %d: %s", r.ID, code, errb.String())
		}
		path := filepath.Join(dir, r.ID+".yaml")
		if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		errb.Reset()
		if code := Run(context.Background(), []string{"rules", "lint", path}, nil, io.Discard, &errb); code != ExitOK {
			t.Errorf("rules lint of rules show %s: exit %d: %s", r.ID, code, errb.String())
			continue
		}
		c, err := rules.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		got, want := *c.Rules[0], *r
		got.File, got.Line, want.File, want.Line = "", 0, "", 0
		gy, _ := yaml.Marshal(&got)
		wy, _ := yaml.Marshal(&want)
		if !bytes.Equal(gy, wy) {
			t.Errorf("rules show %s loads to a different rule:\n%s\nwant\n%s", r.ID, gy, wy)
		}
	}
	var out bytes.Buffer
	Run(context.Background(), []string{"__complete", "rules", "show", "etcd"}, nil, &out, io.Discard)
	if !strings.Contains(out.String(), "etcd-watch-stream") {
		t.Errorf("rules show does not complete rule ids: %q", out.String())
	}
}

package cmd

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakdiff/leakdiff/internal/golden"
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
		{"goroutineleak", []string{"analyze", "../testdata/formats/goroutineleak"}, nil, ExitOK},
		{"bad_inputs_rest_analysed", []string{"analyze", "testdata/bad", "../testdata/snapshots/replica/goroutine-*", "no/such/file.pb.gz"}, nil, ExitOK},
		{"bad_inputs_strict", []string{"analyze", "--strict", "testdata/bad", "../testdata/snapshots/replica/goroutine-*"}, nil, ExitUsage},
		{"no_usable_snapshot", []string{"analyze", "testdata/bad"}, nil, ExitUsage},
		{"bad_flag_value", []string{"analyze", "--granularity", "byte", "../testdata/snapshots"}, nil, ExitUsage},
		{"no_args", []string{"analyze"}, nil, ExitUsage},
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
	blocks := strings.Split(stdout.String(), "\n\n")
	want := map[string]string{
		"primary · heap · inuse_space":     "cache.(*Store).Put",
		"primary · goroutine · goroutines": "leaky.worker",
		"replica · heap · inuse_space":     "cache.(*Store).Put",
	}
	found := 0
	for _, b := range blocks {
		for head, site := range want {
			if !strings.HasPrefix(b, head) {
				continue
			}
			found++
			if !strings.Contains(b, "10 snapshots") {
				t.Errorf("%s: want 10 snapshots in\n%s", head, b)
			}
			lines := strings.Split(b, "\n")
			if len(lines) < 4 || !strings.Contains(lines[3], " 1 ") || !strings.Contains(lines[3], site) {
				t.Errorf("%s: want %s ranked first in\n%s", head, site, b)
			}
		}
	}
	if found != len(want) {
		t.Errorf("found %d of %d series headers in\n%s", found, len(want), stdout.String())
	}
	if !strings.Contains(stdout.String(), "replica · goroutine · goroutines") {
		t.Errorf("no replica goroutine series")
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
	if got.MaxSize != "1GiB" || got.Top != 10 {
		t.Errorf("defaults: max size %q top %d, want 1GiB and 10", got.MaxSize, got.Top)
	}
}

func TestLoadOptionsValidation(t *testing.T) {
	t.Parallel()
	bad := []AnalyzeOptions{
		{Granularity: "byte", Site: "auto", MaxSize: "1GiB", Top: 1},
		{Granularity: "function", Site: "root", MaxSize: "1GiB", Top: 1},
		{Granularity: "function", Site: "auto", SiteRegexp: "(", MaxSize: "1GiB", Top: 1},
		{Granularity: "function", Site: "auto", SourceRegexp: "[", MaxSize: "1GiB", Top: 1},
		{Granularity: "function", Site: "auto", MaxSize: "lots", Top: 1},
		{Granularity: "function", Site: "auto", MaxSize: "1GiB", Top: 0},
	}
	for _, o := range bad {
		if _, err := o.loadOptions(); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}

func TestParseSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"512MiB", 512 << 20, true},
		{"2GB", 2e9, true},
		{"4GiB", 4 << 30, true},
		{"1.5KiB", 1536, true},
		{"100", 100, true},
		{"10 mb", 10e6, true},
		{"", 0, false},
		{"GiB", 0, false},
		{"5XB", 0, false},
		{"0", 0, false},
	}
	for _, tt := range tests {
		got, err := parseSize(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d, ok=%v", tt.in, got, err, tt.want, tt.ok)
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

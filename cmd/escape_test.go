package cmd

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	pprof "github.com/google/pprof/profile"
)

// hostileSeries writes a growing heap series whose leaking function, file
// and label hold terminal escapes, a newline, backticks and pipes, and a
// broken file whose name fakes a line of output.
func hostileSeries(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	fn := &pprof.Function{ID: 1, Name: "main.leak\x1b]0;owned\x07\x1b[2J`|`", Filename: "/src/x\nleakdiff: 0 findings.go"}
	loc := &pprof.Location{ID: 1, Line: []pprof.Line{{Function: fn, Line: 7}}}
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i := range 8 {
		p := &pprof.Profile{
			SampleType: []*pprof.ValueType{{Type: "inuse_objects", Unit: "count"}, {Type: "inuse_space", Unit: "bytes"}},
			PeriodType: &pprof.ValueType{Type: "space", Unit: "bytes"}, Period: 1,
			Function: []*pprof.Function{fn}, Location: []*pprof.Location{loc},
			Sample: []*pprof.Sample{{Location: []*pprof.Location{loc}, Value: []int64{int64(100 * (i + 1)), int64(1 << 20 * (i + 1))},
				Label: map[string][]string{"tenant\x1b[31m": {"a`b\nc|d"}}}},
			TimeNanos: start.Add(time.Duration(i) * time.Hour).UnixNano(),
		}
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("heap-%d.pb.gz", i)))
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Write(f); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	write(t, filepath.Join(dir, "bad\nleakdiff: no finding\x1b[2J.pb.gz"), []byte("not a profile at all\n"))
	return dir
}

// control matches what must never reach a terminal from an input.
var control = regexp.MustCompile("[\x00-\x08\x0b-\x1f\x7f]")

// TestUntrustedTextEscaped: whatever names, labels and file names hold,
// the table and stderr carry no control character and no line the input
// made; Markdown keeps its code spans, fences and table rows whole.
func TestUntrustedTextEscaped(t *testing.T) {
	t.Parallel()
	dir := hostileSeries(t)
	for _, format := range []string{"table", "markdown", "json"} {
		var stdout, stderr bytes.Buffer
		code := Run(context.Background(), []string{"analyze", "--format", format, dir}, nil, &stdout, &stderr)
		if code != ExitOK {
			t.Fatalf("%s: exit %d: %s", format, code, stderr.String())
		}
		for name, out := range map[string]string{"stdout": stdout.String(), "stderr": stderr.String()} {
			if loc := control.FindStringIndex(out); loc != nil {
				t.Errorf("%s %s: control character %q at %d: %q", format, name, out[loc[0]:loc[1]], loc[0], out[max(0, loc[0]-40):min(len(out), loc[1]+40)])
			}
			for _, line := range strings.Split(out, "\n") {
				if strings.HasPrefix(line, "leakdiff: 0 findings") || strings.HasPrefix(line, "leakdiff: no finding") {
					t.Errorf("%s %s: an input made the line %q", format, name, line)
				}
			}
		}
		name := `main.leak\x1b]0;owned\x07`
		if format == "json" {
			name = `main.leak\\x1b]0;owned\\x07`
		}
		if !strings.Contains(stdout.String(), name) {
			t.Errorf("%s: the leak is not shown under its escaped name:\n%s", format, stdout.String())
		}
		if format == "markdown" {
			checkMarkdown(t, stdout.String())
		}
	}
}

// checkMarkdown: every table row of a table has its header's cell count
// (pipes not escaped), every line's code spans are closed, every fence is
// closed.
func checkMarkdown(t *testing.T, md string) {
	t.Helper()
	cells := func(row string) int {
		row = strings.ReplaceAll(row, `\|`, "")
		return strings.Count(row, "|")
	}
	want, fence := -1, ""
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "```") {
			switch {
			case fence == "":
				fence = strings.TrimRight(line, " ")
			case line == fence:
				fence = ""
			}
			continue
		}
		if fence != "" {
			continue
		}
		switch {
		case strings.HasPrefix(line, "|") && want < 0:
			want = cells(line)
		case strings.HasPrefix(line, "|") && cells(line) != want:
			t.Errorf("table row has %d cells, header %d: %q", cells(line), want, line)
		case !strings.HasPrefix(line, "|"):
			want = -1
		}
		if !spansClosed(line) {
			t.Errorf("unclosed code span: %q", line)
		}
	}
	if fence != "" {
		t.Errorf("fence %q never closed", fence)
	}
}

// spansClosed reports whether every run of backticks on the line is closed
// by a run of the same length, as CommonMark pairs them.
func spansClosed(line string) bool {
	var open int
	for i := 0; i < len(line); {
		if line[i] != '`' {
			i++
			continue
		}
		j := i
		for j < len(line) && line[j] == '`' {
			j++
		}
		switch n := j - i; {
		case open == 0:
			open = n
		case open == n:
			open = 0
		}
		i = j
	}
	return open == 0
}

// TestFilesAddUp: the count of files read is what was analysed, counted
// once, set aside and skipped, skips found while walking folders included.
func TestFilesAddUp(t *testing.T) {
	t.Parallel()
	dir := hostileSeries(t) // 8 profiles, 1 broken
	write(t, filepath.Join(dir, ".hidden.pb.gz"), []byte("x"))
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.pb.gz"), 0o600); err != nil {
		t.Skip("no FIFOs:", err)
	}
	var stdout, stderr bytes.Buffer
	if code := Run(context.Background(), []string{"analyze", dir, filepath.Join(dir, "none-*.pb.gz")}, nil, &stdout, &stderr); code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	re := regexp.MustCompile(`(\d+) files read: (\d+) snapshots[^;]*? from \d+ sources?[^;]*; (\d+) counted once, (\d+) set aside, (\d+) skipped`)
	m := re.FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("no summary line in:\n%s", stdout.String())
	}
	n := make([]int, 5)
	for i := range n {
		fmt.Sscan(m[i+1], &n[i])
	}
	if n[0] != n[1]+n[2]+n[3]+n[4] || n[4] != 4 {
		t.Errorf("%q: files do not add up, or not 4 skipped (broken, hidden, FIFO, pattern)", m[0])
	}
}

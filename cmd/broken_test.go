package cmd

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakdiff/leakdiff/report"
)

const corpusDir = "../../shared/corpus"

// TestBrokenInputsOneRun feeds one run every corpus file, a good series,
// and hand-made broken files: a real profile truncated at every 97th byte
// (gzip'd and raw), with a bit flipped, an empty file and a zero-length
// gzip. No panic; every input is analysed or skipped with a reason; the
// good series is still analysed whole.
func TestBrokenInputsOneRun(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(corpusDir); err != nil {
		t.Skipf("corpus not found at %s: %v", corpusDir, err)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	broken := filepath.Join(dir, "broken")
	for _, d := range []string{good, broken} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	src := "../testdata/snapshots/primary"
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(good, e.Name()), b)
	}
	gz, err := os.ReadFile(filepath.Join(src, "heap-20261122T005508Z.pb.gz"))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	var made []string
	add := func(name string, b []byte) {
		p := filepath.Join(broken, name)
		write(t, p, b)
		made = append(made, p)
	}
	for i := 97; i < len(gz); i += 97 {
		add(fmt.Sprintf("cut-gz-%05d.pb.gz", i), gz[:i])
	}
	for i := 97; i < len(raw); i += 97 {
		add(fmt.Sprintf("cut-raw-%05d.pb", i), raw[:i])
	}
	flipped := bytes.Clone(raw)
	flipped[len(flipped)/2] ^= 0x10
	add("flipped.pb", flipped)
	add("empty.pb.gz", nil)
	var zero bytes.Buffer
	zw := gzip.NewWriter(&zero)
	zw.Close()
	add("zero-length.pb.gz", zero.Bytes())

	corpus := 0
	filepath.WalkDir(corpusDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasPrefix(d.Name(), ".") {
			corpus++
		}
		return nil
	})

	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), []string{"analyze", "-q", "--format", "json", "--min-severity", "info", good, broken, corpusDir}, nil, &stdout, &stderr)
	if code != ExitOK && code != ExitFindings {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var j report.JSONReport
	if err := json.Unmarshal(stdout.Bytes(), &j); err != nil {
		t.Fatal(err)
	}
	if want := len(ents) + len(made) + corpus; j.Inputs.Files != want {
		t.Errorf("%d files considered, want %d", j.Inputs.Files, want)
	}
	skipped := map[string]string{}
	for _, s := range j.Inputs.Skipped {
		if strings.TrimSpace(s.Error) == "" {
			t.Errorf("%s skipped without a reason", s.File)
		}
		skipped[s.File] = s.Error
	}
	// Analysed, skipped, counted once (same content or moment as another)
	// or set aside (read, of a kind not analysed): nothing else.
	if got := j.Inputs.Snapshots + len(j.Inputs.Skipped) + len(j.Inputs.CountedOnce) + len(j.Inputs.SetAside); got != j.Inputs.Files {
		t.Errorf("%d analysed + %d skipped + %d counted once + %d set aside = %d, want every one of %d files accounted for",
			j.Inputs.Snapshots, len(j.Inputs.Skipped), len(j.Inputs.CountedOnce), len(j.Inputs.SetAside), got, j.Inputs.Files)
	}
	for _, p := range []string{"empty.pb.gz", "zero-length.pb.gz", "cut-gz-00097.pb.gz"} {
		if _, ok := skipped[filepath.Join(broken, p)]; !ok {
			t.Errorf("%s not skipped", p)
		}
	}
	for _, p := range made {
		if strings.Contains(p, "cut-gz") {
			if _, ok := skipped[p]; !ok {
				t.Errorf("%s: a truncated gzip stream was not skipped", p) // gzip has a length and CRC
			}
		}
	}
	var goodSeries int
	for _, s := range j.Series {
		if s.Source == "good" {
			goodSeries++
			if s.Snapshots != 10 {
				t.Errorf("good %s/%s: %d snapshots, want all 10", s.Kind, s.Metric, s.Snapshots)
			}
		}
	}
	if goodSeries == 0 {
		t.Errorf("no series of the good folder among %d", len(j.Series))
	}
	t.Logf("%d files: %d snapshots, %d skipped, %d counted once, %d set aside", j.Inputs.Files, j.Inputs.Snapshots, len(j.Inputs.Skipped), len(j.Inputs.CountedOnce), len(j.Inputs.SetAside))
}

func write(t *testing.T, p string, b []byte) {
	t.Helper()
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

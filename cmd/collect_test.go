package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakdiff/leakdiff/collect"
	"github.com/leakdiff/leakdiff/report"
)

// leakyWorker is the leak the collect test plants: goroutines blocked on a
// channel nobody closes until the test ends.
func leakyWorker(stop <-chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	<-stop
}

// TestCollectThenAnalyzeFindsLeak: a real net/http/pprof endpoint on
// 127.0.0.1 serves this test process, which starts goroutines that never
// end while leakdiff collect takes 10 snapshots; leakdiff analyze on the
// folder ranks the leaking function first.
func TestCollectThenAnalyzeFindsLeak(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer func() { close(stop); wg.Wait() }()
	collected, leakDone := make(chan struct{}), make(chan struct{})
	go func() { // 8 more every 50 ms until the collection ends (late rounds make it last longer)
		defer close(leakDone)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-collected:
				return
			case <-tick.C:
			}
			for range 8 {
				wg.Add(1)
				go leakyWorker(stop, &wg)
			}
		}
	}()

	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), []string{"collect", "--url", srv.URL, "--source", "svc", "--every", "200ms",
		"--count", "10", "--out", out, "--analyze-every", "5", "--timeout", "10s"}, nil, &stdout, &stderr)
	close(collected)
	<-leakDone
	if code != ExitOK {
		t.Fatalf("collect exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "collect done: 10 rounds, 20 files, 0 failed scrapes") {
		t.Errorf("stderr %q, want the summary", stderr.String())
	}
	if !strings.Contains(stdout.String(), "== after 5 rounds") || !strings.Contains(stdout.String(), "leakyWorker") {
		t.Errorf("no live ranking after 5 rounds in:\n%s", stdout.String())
	}
	files, _ := filepath.Glob(filepath.Join(out, "svc", "goroutine-*.pb.gz"))
	if len(files) != 10 {
		t.Fatalf("%d goroutine files, want 10", len(files))
	}

	stdout.Reset()
	stderr.Reset()
	code = Run(context.Background(), []string{"analyze", "--format", "json", "--strict", out}, nil, &stdout, &stderr)
	if code != ExitOK {
		t.Fatalf("analyze exit %d: %s", code, stderr.String())
	}
	var j report.JSONReport
	if err := json.Unmarshal(stdout.Bytes(), &j); err != nil {
		t.Fatal(err)
	}
	var top string
	for _, f := range j.Findings {
		if f.Kind == "goroutine" {
			top = f.Site.Function
			break
		}
	}
	if !strings.HasSuffix(top, "cmd.leakyWorker") {
		t.Errorf("top goroutine finding %q, want cmd.leakyWorker; findings %+v", top, j.Findings)
	}
	if len(j.Inputs.Skipped) != 0 || len(j.Inputs.SetAside) != 1 || j.Inputs.SetAside[0].Type != "collect index" {
		t.Errorf("skipped %v, set aside %v: want only the index set aside", j.Inputs.Skipped, j.Inputs.SetAside)
	}
	if _, err := os.Stat(filepath.Join(out, "collect-index.jsonl")); err != nil {
		t.Error(err)
	}
}

// TestCollectNothingCollected: when every scrape fails, collect says so
// and exits 2; the index still records each failure.
func TestCollectNothingCollected(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no pprof here", http.StatusNotFound)
	}))
	defer srv.Close()
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), []string{"collect", "--url", srv.URL, "--count", "1", "--every", "1s", "--retries", "0", "-o", out}, nil, &stdout, &stderr)
	if code != ExitUsage || !strings.Contains(stderr.String(), "nothing collected") || !strings.Contains(stderr.String(), "404 Not Found") {
		t.Errorf("exit %d, stderr %q; want 2, the 404 and \"nothing collected\"", code, stderr.String())
	}
	index, err := os.ReadFile(filepath.Join(out, "collect-index.jsonl"))
	if err != nil || strings.Count(string(index), "\n") != 2 {
		t.Errorf("index %q (%v), want two failure lines", index, err)
	}
}

// readCollectIndex reads an index; every line must be a record.
func readCollectIndex(t *testing.T, out string) []collect.Entry {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(out, collect.IndexName))
	if err != nil {
		t.Fatal(err)
	}
	var entries []collect.Entry
	for _, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		var e collect.Entry
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("index line %q: %v", l, err)
		}
		entries = append(entries, e)
	}
	return entries
}

// TestCollectInterruptedExits130: Ctrl-C (the context cancelled, here
// during the third round) stops collect, which says what it took, leaves a
// valid folder and exits 130 like analyze.
func TestCollectInterruptedExits130(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a hang guard
	defer cancel()
	var n atomic.Int32
	real := pprof.Handler("goroutine")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 3 {
			cancel()
		}
		real.ServeHTTP(w, r)
	}))
	defer srv.Close()
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := Run(ctx, []string{"collect", "--url", srv.URL, "--source", "svc", "--kinds", "goroutine",
		"--every", "200ms", "--for", "1h", "--out", out}, nil, &stdout, &stderr)
	if code != ExitInterrupted {
		t.Errorf("exit %d, want %d; stderr %q", code, ExitInterrupted, stderr.String())
	}
	if !strings.Contains(stderr.String(), "collect interrupted: 3 rounds") {
		t.Errorf("stderr %q, want what was taken", stderr.String())
	}
	entries := readCollectIndex(t, out)
	if len(entries) != 3 {
		t.Errorf("%d index lines, want 3", len(entries))
	}
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(out, e.File)); e.OK() && err != nil {
			t.Errorf("index names %s: %v", e.File, err)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(out, "svc", ".*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestCollectMaxSnapshotSize: --max-snapshot-size bounds a response body;
// a larger one is refused, recorded in the index, and not kept.
func TestCollectMaxSnapshotSize(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		stderr   string // in stderr
		indexErr string // in the index line's error; "" for a kept file
	}{
		{"default", nil, ExitOK, "collect done: 1 rounds, 1 files", ""},
		{"roomy", []string{"--max-snapshot-size", "64MiB"}, ExitOK, "collect done: 1 rounds, 1 files", ""},
		{"too small", []string{"--max-snapshot-size", "100B"}, ExitUsage, "nothing collected", "larger than the limit of 100 bytes (--max-snapshot-size)"},
		{"not a size", []string{"--max-snapshot-size", "12XB"}, ExitUsage, `--max-snapshot-size: "12XB": unknown unit`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(pprof.Handler("goroutine"))
			defer srv.Close()
			out := t.TempDir()
			var stdout, stderr bytes.Buffer
			args := append([]string{"collect", "--url", srv.URL, "--source", "svc", "--kinds", "goroutine",
				"--count", "1", "--every", "1s", "--timeout", "10s", "--retries", "0", "--out", out}, tc.args...)
			code := Run(context.Background(), args, nil, &stdout, &stderr)
			if code != tc.code || !strings.Contains(stderr.String(), tc.stderr) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, stderr.String(), tc.code, tc.stderr)
			}
			if tc.code != ExitOK && tc.indexErr == "" {
				return // refused before collecting
			}
			e := readCollectIndex(t, out)[0]
			if tc.indexErr == "" && !e.OK() || tc.indexErr != "" && (e.OK() || !strings.Contains(e.Error, tc.indexErr) || e.File != "") {
				t.Errorf("index %+v, want error %q", e, tc.indexErr)
			}
		})
	}
}

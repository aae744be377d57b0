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
	"testing"
	"time"

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
	leakDone := make(chan struct{})
	go func() { // 8 more every 50 ms while collecting
		defer close(leakDone)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for i := 0; i < 60; i++ {
			select {
			case <-stop:
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
		"--count", "10", "--out", out, "--analyze-every", "5"}, nil, &stdout, &stderr)
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

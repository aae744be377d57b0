package collect

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakdiff/leakdiff/profile"
)

// TestCollectSurvivesBadScrapes: the endpoint fails in every way it can
// for some scrapes (HTTP 500, a hang past the timeout, a body cut off
// mid-way, an HTML page served with 200); each failure is a line of the
// index with its error, the good snapshots are kept whole, no temporary
// file is left, and the run ends after its rounds.
func TestCollectSurvivesBadScrapes(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	real := pprof.Handler("goroutine")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) {
		case 2:
			http.Error(w, "boom", http.StatusInternalServerError)
		case 4:
			select { // hang until the client gives up
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		case 6:
			w.Header().Set("Content-Length", "100000")
			w.Write([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 1, 2, 3})
			if hj, ok := w.(http.Hijacker); ok {
				c, _, _ := hj.Hijack()
				c.Close()
			}
		case 8:
			w.Write([]byte("<html>login required</html>"))
		default:
			real.ServeHTTP(w, r)
		}
	}))
	defer srv.Close()
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second) // a hang guard, not a benchmark
	defer cancel()
	sum, err := Run(ctx, Config{
		Targets: []Target{{Source: "api", URL: srv.URL}},
		Kinds:   []string{"goroutine"}, Every: 300 * time.Millisecond, Count: 10,
		Timeout: 250 * time.Millisecond, Out: out,
	})
	if err != nil {
		t.Fatal(err)
	}
	if ctx.Err() != nil || sum.Interrupted {
		t.Fatalf("run did not end by itself: %+v", sum)
	}
	entries := readIndex(t, out)
	if len(entries) != 10 || sum.Rounds != 10 {
		t.Fatalf("%d index lines, %d rounds; want 10", len(entries), sum.Rounds)
	}
	wantErr := map[int]string{1: "HTTP 500", 3: "no whole answer within 250ms", 5: "unexpected EOF", 7: "not a goroutine profile"}
	good := 0
	for i, e := range entries {
		want, bad := wantErr[i]
		switch {
		case bad && (e.OK() || !strings.Contains(e.Error, want)):
			t.Errorf("scrape %d: error %q, want one with %q", i, e.Error, want)
		case bad && e.File != "":
			t.Errorf("scrape %d failed but names a file %s", i, e.File)
		case !bad && !e.OK():
			t.Errorf("scrape %d: %s", i, e.Error)
		case !bad:
			good++
			data, err := os.ReadFile(filepath.Join(out, e.File))
			if err != nil || int64(len(data)) != e.Bytes {
				t.Errorf("%s: %d bytes (%v), index says %d", e.File, len(data), err, e.Bytes)
			}
			if _, err := profile.Decode(data, e.File, &profile.DecodeOptions{Sites: profile.DefaultSitePolicy()}); err != nil {
				t.Errorf("%s: %v", e.File, err)
			}
		}
		if e.Attempts != 1 || e.Source != "api" || e.Kind != "goroutine" || e.Time.IsZero() {
			t.Errorf("scrape %d: %+v", i, e)
		}
	}
	if good != 6 || sum.Files != 6 || sum.Failures != 4 {
		t.Errorf("%d good files (summary %+v), want 6 and 4 failures", good, sum)
	}
	files, _ := filepath.Glob(filepath.Join(out, "api", ".*"))
	if len(files) != 0 {
		t.Errorf("temporary files left: %v", files)
	}
}

// TestCollectRetries: a scrape that fails once is retried within its round
// and recorded with its attempts.
func TestCollectRetries(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	real := pprof.Handler("heap")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		if r.URL.Query().Get("gc") != "1" {
			t.Errorf("heap asked without gc=1: %s", r.URL)
		}
		real.ServeHTTP(w, r)
	}))
	defer srv.Close()
	out := t.TempDir()
	sum, err := Run(context.Background(), Config{
		Targets: []Target{{Source: "api", URL: srv.URL + "/debug/pprof/"}},
		Kinds:   []string{"heap"}, Every: 2 * time.Second, Count: 1, GC: true, Retries: 2, Out: out,
	})
	if err != nil || sum.Files != 1 {
		t.Fatalf("%+v, %v", sum, err)
	}
	e := readIndex(t, out)[0]
	if !e.OK() || e.Attempts != 2 || e.Status != 200 || !strings.HasSuffix(e.URL, "/debug/pprof/heap?gc=1") {
		t.Errorf("index line %+v, want a success after 2 attempts", e)
	}
}

// TestConfigErrors: bad configurations are refused before anything is
// fetched.
func TestConfigErrors(t *testing.T) {
	t.Parallel()
	ok := Config{Targets: []Target{{Source: "a", URL: "http://127.0.0.1:1"}}, Every: time.Second, Count: 1, Out: t.TempDir()}
	for name, mod := range map[string]func(*Config){
		"no count":    func(c *Config) { c.Count = 0 },
		"bad url":     func(c *Config) { c.Targets[0].URL = "ftp://x" },
		"bad source":  func(c *Config) { c.Targets[0].Source = "../x" },
		"dup source":  func(c *Config) { c.Targets = append(c.Targets, c.Targets[0]) },
		"bad kind":    func(c *Config) { c.Kinds = []string{"cpu"} },
		"no interval": func(c *Config) { c.Every = 0 },
	} {
		c := ok
		c.Targets = append([]Target(nil), ok.Targets...)
		mod(&c)
		if _, err := Run(context.Background(), c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func readIndex(t *testing.T, dir string) []Entry {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, IndexName))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []Entry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("index line %q: %v", sc.Text(), err)
		}
		out = append(out, e)
	}
	return out
}

// TestCollectTwoSourcesAndMetrics: each --url is its own sub-folder; the
// metrics text is kept beside its source's profiles.
func TestCollectTwoSourcesAndMetrics(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("# HELP go_goroutines Number of goroutines.\n# TYPE go_goroutines gauge\ngo_goroutines 12\n"))
	})
	a, b := httptest.NewServer(mux), httptest.NewServer(mux)
	defer a.Close()
	defer b.Close()
	out := t.TempDir()
	sum, err := Run(context.Background(), Config{
		Targets: []Target{{Source: "primary", URL: a.URL, MetricsURL: a.URL + "/metrics"}, {Source: "replica", URL: b.URL}},
		Every:   200 * time.Millisecond, Count: 2, Out: out,
		Timeout: 10 * time.Second, // a hang guard: a loaded machine can take more than the interval
	})
	if err != nil || sum.Files != 10 || sum.Failures != 0 {
		t.Fatalf("%+v, %v; want 10 files: 2 rounds × (2 sources × 2 kinds + 1 metrics)", sum, err)
	}
	for _, pattern := range []string{"primary/heap-*.pb.gz", "primary/goroutine-*.pb.gz", "primary/metrics-*.prom", "replica/heap-*.pb.gz", "replica/goroutine-*.pb.gz"} {
		if m, _ := filepath.Glob(filepath.Join(out, pattern)); len(m) != 2 {
			t.Errorf("%s: %d files, want 2", pattern, len(m))
		}
	}
	m, _ := filepath.Glob(filepath.Join(out, "primary", "metrics-*.prom"))
	if len(m) > 0 {
		data, _ := os.ReadFile(m[0])
		s, err := profile.Decode(data, m[0], &profile.DecodeOptions{Sites: profile.DefaultSitePolicy()})
		if err != nil || s.Kind != profile.KindMetrics || len(s.Sites) != 1 || s.Sites[0].Site.Function != "go_goroutines" || s.Sites[0].Values[0] != 12 {
			t.Errorf("metrics file decodes as %+v, %v; want the go_goroutines gauge at 12", s, err)
		}
	}
}

// TestCollectInterrupted: a cancelled run stops at once and leaves a valid
// folder: whole files, an index of JSON lines naming only files that exist.
func TestCollectInterrupted(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(pprof.Handler("goroutine"))
	defer srv.Close()
	out := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	rounds := 0
	sum, err := Run(ctx, Config{
		Targets: []Target{{Source: "api", URL: srv.URL}}, Kinds: []string{"goroutine"},
		Every: 100 * time.Millisecond, For: time.Hour, Out: out,
		AfterRound: func(int, []Entry) {
			if rounds++; rounds == 3 {
				cancel()
			}
		},
	})
	if err != nil || !sum.Interrupted || sum.Rounds != 3 {
		t.Fatalf("%+v, %v; want interrupted after 3 rounds", sum, err)
	}
	for _, e := range readIndex(t, out) {
		if _, err := os.Stat(filepath.Join(out, e.File)); e.OK() && err != nil {
			t.Errorf("index names %s: %v", e.File, err)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(out, "api", ".*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

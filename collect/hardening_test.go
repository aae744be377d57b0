package collect

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"os"
	"path/filepath"
	"runtime"
	rpprof "runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakdiff/leakdiff/profile"
)

// checkFiles fails unless every scrape that kept a file names its own file
// (no two entries share one), the file exists with the bytes the index
// gives, and it decodes.
func checkFiles(t *testing.T, out string, entries []Entry) (ok int) {
	t.Helper()
	seen := map[string]int{}
	for i, e := range entries {
		if !e.OK() {
			continue
		}
		ok++
		if j, dup := seen[e.File]; dup {
			t.Errorf("scrapes %d and %d both name %s: one overwrote the other", j, i, e.File)
		}
		seen[e.File] = i
		data, err := os.ReadFile(filepath.Join(out, e.File))
		if err != nil || int64(len(data)) != e.Bytes {
			t.Errorf("%s: %d bytes (%v), index says %d", e.File, len(data), err, e.Bytes)
			continue
		}
		if _, err := profile.Decode(data, e.File, &profile.DecodeOptions{Sites: profile.DefaultSitePolicy()}); err != nil {
			t.Errorf("%s: %v", e.File, err)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(out, "*", ".*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	return ok
}

// TestCollectNeverOverwrites: when a request arrives, the folder already
// holds files under every name its snapshot could take (the half second
// before, to the second and to the millisecond); the run keeps all of them
// as they were and puts each snapshot under a name of its own.
func TestCollectNeverOverwrites(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		every time.Duration
		count int
	}{
		{"sub-second interval", 100 * time.Millisecond, 2},
		{"one-second interval", time.Second, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := t.TempDir()
			dir := filepath.Join(out, "api")
			var mu sync.Mutex
			earlier := map[string]bool{}
			real := pprof.Handler("goroutine")
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				arrived := time.Now().UTC()
				mu.Lock()
				for d := time.Duration(0); d <= 500*time.Millisecond; d += time.Millisecond {
					for _, layout := range []string{"20060102T150405Z", "20060102T150405.000Z"} {
						name := "goroutine-" + arrived.Add(-d).Format(layout) + ".pb.gz"
						if !earlier[name] {
							earlier[name] = true
							if err := os.WriteFile(filepath.Join(dir, name), []byte("earlier"), 0o644); err != nil {
								t.Error(err)
							}
						}
					}
				}
				mu.Unlock()
				real.ServeHTTP(w, r)
			}))
			defer srv.Close()
			sum, err := Run(context.Background(), Config{
				Targets: []Target{{Source: "api", URL: srv.URL}}, Kinds: []string{"goroutine"},
				Every: tc.every, Count: tc.count, Out: out,
				Timeout: 30 * time.Second, // the handler takes its time to fill the folder
			})
			entries := readIndex(t, out)
			if err != nil || sum.Files != tc.count {
				t.Fatalf("%+v, %v; want %d files; index %+v", sum, err, tc.count, entries)
			}
			for _, e := range entries {
				if !earlier["goroutine-"+e.Time.Format("20060102T150405.000Z")+".pb.gz"] {
					t.Fatalf("scrape at %s: more than 500 ms before its request arrived", e.Time)
				}
				if earlier[filepath.Base(e.File)] {
					t.Errorf("%s: a name already taken", e.File)
				}
			}
			if ok := checkFiles(t, out, entries); ok != tc.count {
				t.Errorf("%d good scrapes in the index, want %d", ok, tc.count)
			}
			for name := range earlier {
				if data, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(data) != "earlier" {
					t.Fatalf("%s: %q, %v: an earlier file was replaced", name, data[:min(len(data), 16)], err)
				}
			}
		})
	}
}

// TestCollectPlaceNamesAreExclusive: the file-placing step never replaces a file,
// also when many snapshots of the same millisecond land at once.
func TestCollectPlaceNamesAreExclusive(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	at := time.Date(2026, 11, 21, 22, 50, 1, 123e6, time.UTC)
	if err := os.WriteFile(filepath.Join(dir, fileName("heap", at, 0)), []byte("earlier"), 0o644); err != nil {
		t.Fatal(err)
	}
	const n = 20
	names := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			tmp := filepath.Join(dir, ".tmp"+strconv.Itoa(i))
			if err := os.WriteFile(tmp, []byte(strconv.Itoa(i)), 0o600); err != nil {
				t.Error(err)
				return
			}
			defer os.Remove(tmp)
			name, err := place(tmp, dir, "heap", at)
			if err != nil {
				t.Error(err)
			}
			names[i] = name
		})
	}
	wg.Wait()
	seen := map[string]bool{fileName("heap", at, 0): true}
	for i, name := range names {
		if seen[name] {
			t.Errorf("snapshot %d named %s, a name already taken", i, name)
		}
		seen[name] = true
		if data, _ := os.ReadFile(filepath.Join(dir, name)); string(data) != strconv.Itoa(i) {
			t.Errorf("%s holds %q, want %q", name, data, strconv.Itoa(i))
		}
		if ts, ok := profile.TimeFromName(name); !ok || !ts.Equal(at) {
			t.Errorf("%s: time %s (%v), want %s from the name", name, ts, ok, at)
		}
	}
	if data, _ := os.ReadFile(filepath.Join(dir, fileName("heap", at, 0))); string(data) != "earlier" {
		t.Errorf("the earlier file now holds %q", data)
	}
}

// TestCollectLateRounds: a round (here its AfterRound, like a slow
// --analyze-every ranking) runs past the next rounds' times. The next
// round starts late and says so in the index; the rounds after it are due
// an interval after it: none is skipped, none run back to back, and every
// snapshot has a file of its own. The one-second case is the one where
// rounds squeezed into the same second used to share a file name.
func TestCollectLateRounds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name         string
		every, block time.Duration
		heavy        bool
	}{
		{"sub-second interval", 200 * time.Millisecond, 500 * time.Millisecond, false},
		{"one-second interval", time.Second, 2500 * time.Millisecond, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.heavy && testing.Short() {
				t.Skip("takes seconds; skipped with -short")
			}
			t.Parallel()
			srv := httptest.NewServer(pprof.Handler("goroutine"))
			defer srv.Close()
			out := t.TempDir()
			const count = 4
			sum, err := Run(context.Background(), Config{
				Targets: []Target{{Source: "api", URL: srv.URL}}, Kinds: []string{"goroutine"},
				Every: tc.every, Count: count, Out: out,
				Timeout: 10 * time.Second, // a hang guard: success is what is tested, not speed
				AfterRound: func(round int, _ []Entry) {
					if round == 1 {
						time.Sleep(tc.block) // a ranking that takes a while
					}
				},
			})
			if err != nil || sum.Rounds != count || sum.Files != count || sum.Late < 1 {
				t.Errorf("%+v, %v; want %d rounds and files, one or more late", sum, err, count)
			}
			entries := readIndex(t, out)
			if len(entries) != count {
				t.Fatalf("%d index lines, want %d", len(entries), count)
			}
			if ok := checkFiles(t, out, entries); ok != count {
				t.Errorf("%d good scrapes, want %d", ok, count)
			}
			if want := (tc.block - tc.every).Milliseconds(); entries[1].LateMS < want {
				t.Errorf("round 2: late_ms %d, want at least %d (round 1 ran %s past its time)", entries[1].LateMS, want, tc.block-tc.every)
			}
			for i, e := range entries {
				if e.Round != i+1 || e.Scheduled.IsZero() || e.Time.Before(e.Scheduled) {
					t.Errorf("line %d: round %d, scheduled %s, started %s", i, e.Round, e.Scheduled, e.Time)
				}
				if i == 0 {
					continue
				}
				prev := entries[i-1]
				if d := e.Scheduled.Sub(prev.Scheduled); d < tc.every {
					t.Errorf("round %d due %s after round %d, less than the interval", e.Round, d, prev.Round)
				}
				if d := e.Time.Sub(prev.Time); d < tc.every/2 {
					t.Errorf("round %d started %s after round %d: back to back", e.Round, d, prev.Round)
				}
			}
		})
	}
}

// TestCollectRecordsDuration: duration_ms is how long the scrape took.
func TestCollectRecordsDuration(t *testing.T) {
	t.Parallel()
	const pause = 30 * time.Millisecond
	real := pprof.Handler("goroutine")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(pause)
		real.ServeHTTP(w, r)
	}))
	defer srv.Close()
	out := t.TempDir()
	if _, err := Run(context.Background(), Config{
		Targets: []Target{{Source: "api", URL: srv.URL}}, Kinds: []string{"goroutine"},
		Every: 100 * time.Millisecond, Count: 2, Out: out,
		Timeout: 10 * time.Second, // a hang guard: success is what is tested, not speed
	}); err != nil {
		t.Fatal(err)
	}
	for i, e := range readIndex(t, out) {
		if !e.OK() || e.DurationMS < pause.Milliseconds() {
			t.Errorf("scrape %d: duration_ms %d (%s), want at least %d: the server takes %s", i, e.DurationMS, e.Error, pause.Milliseconds(), pause)
		}
	}
}

// TestCollectAppendsIndexOnItsOwnLine: a run into a folder with an index
// keeps what is there and starts each record on a line of its own, also
// after a partial last line.
func TestCollectAppendsIndexOnItsOwnLine(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		existing *string
	}{
		{"no index", nil},
		{"empty index", new("")},
		{"whole lines", new(`{"source":"api","kind":"goroutine"}` + "\n")},
		{"partial last line", new(`{"source":"api","kind":"goroutine"}` + "\n" + `{"time":"2026-11-21T22:5`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(pprof.Handler("goroutine"))
			defer srv.Close()
			out := t.TempDir()
			var before []string
			if tc.existing != nil {
				if err := os.WriteFile(filepath.Join(out, IndexName), []byte(*tc.existing), 0o644); err != nil {
					t.Fatal(err)
				}
				if *tc.existing != "" {
					before = strings.Split(strings.TrimSuffix(*tc.existing, "\n"), "\n")
				}
			}
			if _, err := Run(context.Background(), Config{
				Targets: []Target{{Source: "api", URL: srv.URL}}, Kinds: []string{"goroutine"},
				Every: 100 * time.Millisecond, Count: 2, Out: out,
				Timeout: 10 * time.Second, // a hang guard: success is what is tested, not speed
			}); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(filepath.Join(out, IndexName))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasSuffix(data, []byte("\n")) {
				t.Errorf("index does not end with a newline")
			}
			lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
			if len(lines) != len(before)+2 {
				t.Fatalf("%d lines, want %d earlier + 2:\n%s", len(lines), len(before), data)
			}
			for i, l := range before {
				if lines[i] != l {
					t.Errorf("earlier line %d now %q, want %q", i, lines[i], l)
				}
			}
			for _, l := range lines[len(before):] {
				var e Entry
				if err := json.Unmarshal([]byte(l), &e); err != nil || !e.OK() {
					t.Errorf("new line %q: %v %s", l, err, e.Error)
				}
			}
		})
	}
}

// TestCollectBodyLimit: a body past MaxSize is refused with a clear error
// in the index, without keeping or buffering it.
func TestCollectBodyLimit(t *testing.T) {
	t.Parallel()
	const limit = 64 << 10
	real := pprof.Handler("goroutine")
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		wantErr string // "" for a kept file
	}{
		{"endless body", func(w http.ResponseWriter, r *http.Request) {
			chunk := bytes.Repeat([]byte{0x1f}, 32<<10)
			for end := time.Now().Add(30 * time.Second); time.Now().Before(end); { // a hang guard
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}, "body larger than the limit of 65536 bytes (--max-snapshot-size): refused"},
		{"declared too large", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(10<<20))
			w.Write([]byte{0x1f})
		}, "body of 10485760 bytes is larger than the limit of 65536 bytes"},
		{"within the limit", real.ServeHTTP, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			out := t.TempDir()
			sum, err := Run(context.Background(), Config{
				Targets: []Target{{Source: "api", URL: srv.URL}}, Kinds: []string{"goroutine"},
				Every: time.Second, Count: 1, Retries: 0, MaxSize: limit, Out: out,
				Timeout: 10 * time.Second, // a hang guard: success is what is tested, not speed
			})
			if err != nil {
				t.Fatal(err)
			}
			e := readIndex(t, out)[0]
			if tc.wantErr == "" {
				if !e.OK() || sum.Files != 1 {
					t.Errorf("%+v, want a kept file", e)
				}
			} else if e.OK() || !strings.Contains(e.Error, tc.wantErr) || e.File != "" || e.Bytes != 0 {
				t.Errorf("%+v, want an error with %q and no file", e, tc.wantErr)
			}
			checkFiles(t, out, []Entry{e})
			if files, _ := os.ReadDir(filepath.Join(out, "api")); tc.wantErr != "" && len(files) != 0 {
				t.Errorf("files left: %v", files)
			}
		})
	}
}

// TestCollectHoldsBodiesWithinBudget: six scrapes answered at the same
// moment, each body 2/5 of MaxSize: at most MaxSize of them are held in
// memory at once (to be checked), and all six are kept.
func TestCollectHoldsBodiesWithinBudget(t *testing.T) {
	t.Parallel()
	var gz bytes.Buffer
	if err := rpprof.Lookup("goroutine").WriteTo(&gz, 0); err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(&gz)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(zr) // uncompressed: what is held is what inflates
	if err != nil {
		t.Fatal(err)
	}
	const scrapes = 6
	var arrived atomic.Int32
	all := make(chan struct{})
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if arrived.Add(1) == scrapes {
			close(all)
		}
		select { // answer all at once
		case <-all:
		case <-time.After(10 * time.Second):
		}
		w.Write(body)
	})
	a, b, c := httptest.NewServer(handler), httptest.NewServer(handler), httptest.NewServer(handler)
	defer a.Close()
	defer b.Close()
	defer c.Close()
	limit := int64(len(body)) * 5 / 2
	var mu sync.Mutex
	var peak int64
	holds := 0
	cfg := Config{
		Targets: []Target{{Source: "a", URL: a.URL}, {Source: "b", URL: b.URL}, {Source: "c", URL: c.URL}},
		Kinds:   []string{"goroutine", "goroutineleak"}, Every: time.Minute, Count: 1, MaxSize: limit, Out: t.TempDir(),
		onHold: func(held int64) {
			mu.Lock()
			defer mu.Unlock()
			peak, holds = max(peak, held), holds+1
		},
	}
	// Both kinds get the same goroutine profile: the goroutineleak ones are
	// refused for their kind after being held, which is what is counted.
	sum, err := Run(context.Background(), cfg)
	if err != nil || sum.Rounds != 1 {
		t.Fatalf("%+v, %v", sum, err)
	}
	if holds != scrapes || peak > limit || peak < int64(len(body)) {
		t.Errorf("%d bodies held, at most %d bytes at once; want %d held, never more than %d", holds, peak, scrapes, limit)
	}
	if sum.Files != 3 {
		t.Errorf("%d files, want the 3 goroutine profiles", sum.Files)
	}
}

// TestCollectMemoryBounded: six scrapes (two URLs × three kinds) each get
// a body just under MaxSize that then stalls; the run must not hold them in
// memory (before, each held up to MaxSize: memory grew with URLs × kinds ×
// the limit). Heavy: writes 6 × 16 MiB to a temporary folder.
func TestCollectMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("heavy; skipped with -short")
	}
	// Not parallel: the heap is measured.
	const limit = 16 << 20
	const scrapes = 6
	release := make(chan struct{})
	var wrote atomic.Int32
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := bytes.Repeat([]byte("x"), 32<<10)
		for n := 0; n < limit-64<<10; n += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
		w.(http.Flusher).Flush()
		wrote.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		case <-time.After(30 * time.Second):
		}
	})
	a, b := httptest.NewServer(handler), httptest.NewServer(handler)
	defer a.Close()
	defer b.Close()

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	done := make(chan Summary)
	go func() {
		sum, err := Run(context.Background(), Config{
			Targets: []Target{{Source: "a", URL: a.URL}, {Source: "b", URL: b.URL}},
			Kinds:   Kinds, Every: time.Minute, Count: 1, Timeout: time.Minute, MaxSize: limit, Out: t.TempDir(),
		})
		if err != nil {
			t.Error(err)
		}
		done <- sum
	}()
	var peak uint64
	after := 0 // samples taken once every body was written
	for deadline := time.Now().Add(60 * time.Second); after < 100 && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapAlloc)
		if peak > base+2*limit {
			break
		}
		if wrote.Load() == scrapes {
			after++
		}
	}
	close(release)
	sum := <-done
	if grew := int64(peak) - int64(base); grew > 2*limit {
		t.Errorf("the heap grew by %d MiB while %d bodies of %d MiB were in flight: bodies are held in memory", grew>>20, scrapes, limit>>20)
	} else {
		t.Logf("the heap grew by at most %d KiB", max(grew, 0)>>10)
	}
	if after < 100 && int64(peak)-int64(base) <= 2*limit {
		t.Errorf("only %d of %d bodies were written", wrote.Load(), scrapes)
	}
	if sum.Failures != scrapes {
		t.Errorf("%+v: want %d failures (the bodies are no profiles)", sum, scrapes)
	}
}

// TestCollectRedirects: redirects on the same host are followed up to Go's
// limit of 10; endless ones and ones to another host are refused.
func TestCollectRedirects(t *testing.T) {
	t.Parallel()
	other := httptest.NewServer(pprof.Handler("goroutine"))
	defer other.Close()
	real := pprof.Handler("goroutine")
	for _, tc := range []struct {
		name    string
		hops    int    // redirects before the profile; -1: endless
		to      string // another server to redirect to
		wantErr string
	}{
		{"three on the same host", 3, "", ""},
		{"nine on the same host (Go's most)", 9, "", ""},
		{"endless", -1, "", "stopped after 10 redirects"},
		{"to another host", 1, other.URL, "redirect to another host"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hop, _ := strconv.Atoi(r.URL.Query().Get("hop"))
				if tc.hops >= 0 && hop >= tc.hops {
					real.ServeHTTP(w, r)
					return
				}
				base := tc.to
				if base == "" {
					base = "http://" + r.Host
				}
				http.Redirect(w, r, base+"/debug/pprof/goroutine?hop="+strconv.Itoa(hop+1), http.StatusFound)
			}))
			defer srv.Close()
			out := t.TempDir()
			if _, err := Run(context.Background(), Config{
				Targets: []Target{{Source: "api", URL: srv.URL}}, Kinds: []string{"goroutine"},
				Every: 5 * time.Second, Count: 1, Retries: 0, Out: out,
			}); err != nil {
				t.Fatal(err)
			}
			e := readIndex(t, out)[0]
			if tc.wantErr == "" && !e.OK() || tc.wantErr != "" && !strings.Contains(e.Error, tc.wantErr) {
				t.Errorf("error %q, want %q", e.Error, tc.wantErr)
			}
		})
	}
}

// TestCollectClient: the default client is Go's default transport (dial,
// TLS-handshake and idle timeouts) without proxies from the environment,
// and its redirect policy keeps Go's limit and refuses other hosts and
// https→http.
func TestCollectClient(t *testing.T) {
	t.Parallel()
	cfg := Config{Targets: []Target{{Source: "a", URL: "https://127.0.0.1:6060"}}, Every: 10 * time.Second, Count: 1, Out: t.TempDir()}
	if err := cfg.check(); err != nil {
		t.Fatal(err)
	}
	tr, ok := cfg.Client.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("transport %T", cfg.Client.Transport)
	}
	if tr.Proxy != nil || tr.DialContext == nil || tr.TLSHandshakeTimeout <= 0 || tr.IdleConnTimeout <= 0 ||
		tr.ResponseHeaderTimeout != cfg.Timeout || cfg.Client.Timeout != cfg.Timeout {
		t.Errorf("transport: proxy set %v, dialer set %v, TLS handshake timeout %s, idle timeout %s, header timeout %s, client timeout %s",
			tr.Proxy != nil, tr.DialContext != nil, tr.TLSHandshakeTimeout, tr.IdleConnTimeout, tr.ResponseHeaderTimeout, cfg.Client.Timeout)
	}
	req := func(u string) *http.Request {
		r, err := http.NewRequest(http.MethodGet, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	chain := func(n int, u string) []*http.Request {
		var via []*http.Request
		for range n {
			via = append(via, req(u))
		}
		return via
	}
	const s, p = "https://127.0.0.1:6060/debug/pprof/heap", "http://127.0.0.1:6060/debug/pprof/heap"
	for _, tc := range []struct {
		name    string
		to      string
		via     []*http.Request
		wantErr string
	}{
		{"https to https", s + "?x=1", chain(1, s), ""},
		{"http to https", s, chain(1, p), ""},
		{"https to http", p, chain(1, s), "from https to http refused"},
		{"https to http after a hop", p, append(chain(1, p), req(s)), "from https to http refused"},
		{"ninth hop", s, chain(9, s), ""},
		{"tenth redirect", s, chain(10, s), "stopped after 10 redirects"},
		{"another host", "https://10.0.0.1:6060/debug/pprof/heap", chain(1, s), "another host"},
	} {
		err := cfg.Client.CheckRedirect(req(tc.to), tc.via)
		if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.wantErr)
		}
	}
}

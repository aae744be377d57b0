// Package collect takes a series of snapshots from running Go programs: it
// scrapes their net/http/pprof endpoints (and, if asked, a Prometheus
// /metrics endpoint) at an interval into a folder that leakdiff analyze
// reads as it is, one sub-folder per source.
//
// Nothing is lost silently: every scrape, good or failed, is a line of the
// folder's index (IndexName, JSON lines); files are written under a
// temporary name and renamed when whole; a failed scrape is retried with
// backoff within its round, recorded, and the series goes on.
package collect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/leakdiff/leakdiff/profile"
)

// IndexName is the index file in the output folder; analyze sets it aside.
const IndexName = profile.CollectIndexName

// Kinds are the profiles collect can take, by endpoint name.
var Kinds = []string{"heap", "goroutine", "goroutineleak"}

// Target is one process.
type Target struct {
	Source     string // sub-folder name
	URL        string // base URL, e.g. http://127.0.0.1:6060 (or …/debug/pprof)
	MetricsURL string // full URL of its /metrics, or empty
}

// Config says what to collect, how often and for how long.
type Config struct {
	Targets []Target
	Kinds   []string      // of Kinds; default heap and goroutine
	Every   time.Duration // between rounds
	Count   int           // rounds; 0: until For has passed (or ctx ends)
	For     time.Duration // alternative to Count
	Out     string        // output folder
	GC      bool          // ask for a GC before each heap profile (?gc=1)
	Timeout time.Duration // per request; default Every, at most a minute
	Retries int           // extra attempts per scrape within its round
	MaxSize int64         // refuse bodies larger than this; default profile.DefaultMaxBytes
	Client  *http.Client  // default: one with Timeout and no proxy from the environment
	// AfterRound, if set, is called after every round with its results.
	AfterRound func(round int, results []Entry)
}

// Entry is one line of the index: one scrape.
type Entry struct {
	Time       time.Time `json:"time"` // when the scrape started (UTC)
	Source     string    `json:"source"`
	Kind       string    `json:"kind"` // heap, goroutine, goroutineleak or metrics
	URL        string    `json:"url"`
	File       string    `json:"file,omitempty"` // relative to the output folder; empty when nothing was kept
	Bytes      int64     `json:"bytes"`
	Status     int       `json:"status"` // HTTP status of the last attempt; 0 if none came
	Attempts   int       `json:"attempts"`
	DurationMS int64     `json:"duration_ms"`
	Error      string    `json:"error,omitempty"`
}

// OK reports whether the scrape kept a file.
func (e *Entry) OK() bool { return e.Error == "" }

// Summary is what a run did.
type Summary struct {
	Rounds, Files, Failures int
	Interrupted             bool
}

func (c *Config) check() error {
	if len(c.Targets) == 0 {
		return errors.New("no URL to collect from")
	}
	if c.Every <= 0 {
		return errors.New("the interval must be positive")
	}
	if c.Count < 0 || c.For < 0 || c.Count == 0 && c.For == 0 {
		return errors.New("say how many rounds (--count) or for how long (--for)")
	}
	if c.Out == "" {
		return errors.New("no output folder")
	}
	if len(c.Kinds) == 0 {
		c.Kinds = []string{"heap", "goroutine"}
	}
	for _, k := range c.Kinds {
		if !slices.Contains(Kinds, k) {
			return fmt.Errorf("unknown kind %q (want %s)", k, strings.Join(Kinds, ", "))
		}
	}
	seen := map[string]bool{}
	for i, t := range c.Targets {
		u, err := url.Parse(t.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("URL %q: want http(s)://host:port", t.URL)
		}
		if t.Source == "" || t.Source != filepath.Base(t.Source) || strings.HasPrefix(t.Source, ".") {
			return fmt.Errorf("source %q of %s: want a plain folder name", t.Source, t.URL)
		}
		if seen[t.Source] {
			return fmt.Errorf("two targets share the source %q: give each --url its own --source", t.Source)
		}
		seen[t.Source] = true
		c.Targets[i].URL = pprofBase(t.URL)
	}
	if c.Timeout <= 0 {
		c.Timeout = min(c.Every, time.Minute)
	}
	if c.MaxSize <= 0 {
		c.MaxSize = profile.DefaultMaxBytes
	}
	if c.Client == nil {
		c.Client = &http.Client{
			Timeout:   c.Timeout,
			Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 4, ResponseHeaderTimeout: c.Timeout},
			// Talk only to the URLs given: no redirects elsewhere.
			CheckRedirect: func(req *http.Request, via []*http.Request) error {
				if req.URL.Host != via[0].URL.Host {
					return fmt.Errorf("redirect to another host (%s) refused", req.URL.Host)
				}
				return nil
			},
		}
	}
	return nil
}

// pprofBase turns http://h:p, http://h:p/ or http://h:p/debug/pprof/ into
// http://h:p/debug/pprof.
func pprofBase(u string) string {
	u = strings.TrimRight(u, "/")
	if !strings.HasSuffix(u, "/debug/pprof") {
		u += "/debug/pprof"
	}
	return u
}

// Run collects until Count rounds are done, For has passed or ctx ends
// (Summary.Interrupted; the folder is then still valid: only whole files
// are in it, and every scrape that finished is in the index).
func Run(ctx context.Context, cfg Config) (Summary, error) {
	var sum Summary
	if err := cfg.check(); err != nil {
		return sum, err
	}
	for _, t := range cfg.Targets {
		if err := os.MkdirAll(filepath.Join(cfg.Out, t.Source), 0o755); err != nil {
			return sum, err
		}
	}
	index, err := os.OpenFile(filepath.Join(cfg.Out, IndexName), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return sum, err
	}
	defer index.Close()
	start := time.Now()
	for round := 0; cfg.Count == 0 || round < cfg.Count; round++ {
		at := start.Add(time.Duration(round) * cfg.Every)
		if cfg.Count == 0 && at.Sub(start) >= cfg.For {
			break
		}
		if wait := time.Until(at); wait > 0 {
			select {
			case <-ctx.Done():
				sum.Interrupted = true
				return sum, nil
			case <-time.After(wait):
			}
		}
		if ctx.Err() != nil {
			sum.Interrupted = true
			return sum, nil
		}
		// A round has until the next one starts (at least the timeout).
		deadline := at.Add(max(cfg.Every, cfg.Timeout))
		entries := cfg.round(ctx, deadline)
		for i := range entries {
			line, _ := json.Marshal(&entries[i])
			if _, err := index.Write(append(line, '\n')); err != nil {
				return sum, fmt.Errorf("write %s: %w", IndexName, err)
			}
			if entries[i].OK() {
				sum.Files++
			} else {
				sum.Failures++
			}
		}
		sum.Rounds++
		if cfg.AfterRound != nil {
			cfg.AfterRound(round+1, entries)
		}
		if ctx.Err() != nil {
			sum.Interrupted = true
			return sum, nil
		}
	}
	return sum, nil
}

// round scrapes every target and kind at once.
func (cfg *Config) round(ctx context.Context, deadline time.Time) []Entry {
	type job struct {
		t    Target
		kind string
		url  string
	}
	var jobs []job
	for _, t := range cfg.Targets {
		for _, k := range cfg.Kinds {
			u := t.URL + "/" + k
			if k == "heap" && cfg.GC {
				u += "?gc=1"
			}
			jobs = append(jobs, job{t, k, u})
		}
		if t.MetricsURL != "" {
			jobs = append(jobs, job{t, "metrics", t.MetricsURL})
		}
	}
	out := make([]Entry, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = cfg.scrape(ctx, deadline, j.t.Source, j.kind, j.url)
		}()
	}
	wg.Wait()
	return out
}

// scrape takes one snapshot, retrying with backoff until deadline.
func (cfg *Config) scrape(ctx context.Context, deadline time.Time, source, kind, u string) Entry {
	now := time.Now().UTC()
	e := Entry{Time: now, Source: source, Kind: kind, URL: u}
	began := time.Now()
	defer func() { e.DurationMS = time.Since(began).Milliseconds() }()
	var body []byte
	var err error
	backoff := 250 * time.Millisecond
	for e.Attempts = 1; ; e.Attempts++ {
		body, e.Status, err = cfg.get(ctx, u)
		if err == nil {
			err = check(kind, body)
		}
		if err == nil || e.Attempts > cfg.Retries || ctx.Err() != nil || time.Now().Add(backoff).After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff *= 2
	}
	if err != nil {
		e.Error = err.Error()
		return e
	}
	name := fileName(kind, now, cfg.Every)
	e.File = filepath.Join(source, name)
	e.Bytes = int64(len(body))
	if err := writeAtomic(filepath.Join(cfg.Out, e.File), body); err != nil {
		e.File, e.Error = "", err.Error()
	}
	return e
}

// get fetches u, reading at most MaxSize bytes.
func (cfg *Config) get(ctx context.Context, u string) ([]byte, int, error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("User-Agent", "leakdiff-collect")
	timedOut := func(err error) error {
		if ctx.Err() == context.DeadlineExceeded || os.IsTimeout(err) {
			return fmt.Errorf("no whole answer within %s (--timeout): %w", cfg.Timeout, err)
		}
		return err
	}
	resp, err := cfg.Client.Do(req)
	if err != nil {
		return nil, 0, timedOut(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, cfg.MaxSize+1))
	if err != nil {
		return nil, resp.StatusCode, fmt.Errorf("read body: %w", timedOut(err))
	}
	if resp.StatusCode != http.StatusOK {
		return nil, resp.StatusCode, fmt.Errorf("HTTP %s: %s", resp.Status, firstLine(body))
	}
	if int64(len(body)) > cfg.MaxSize {
		return nil, resp.StatusCode, fmt.Errorf("body larger than %d bytes", cfg.MaxSize)
	}
	return body, resp.StatusCode, nil
}

// check refuses a body that is not what was asked for: an HTML error page
// served with 200, a truncated profile.
func check(kind string, body []byte) error {
	if len(body) == 0 {
		return errors.New("empty body")
	}
	// The decoder analyze uses tells what the body is, metrics text too.
	s, err := profile.Decode(body, kind+".pb.gz", &profile.DecodeOptions{Sites: profile.DefaultSitePolicy()})
	if err != nil {
		return fmt.Errorf("not a %s profile: %w", kind, err)
	}
	if s.Kind.String() != kind {
		return fmt.Errorf("asked for %s, got a %s profile", kind, s.Kind)
	}
	return nil
}

// fileName is KIND-TIME.pb.gz (metrics-TIME.prom), the time in UTC, with
// milliseconds when snapshots come faster than one a second.
func fileName(kind string, t time.Time, every time.Duration) string {
	layout := "20060102T150405Z"
	if every < time.Second {
		layout = "20060102T150405.000Z"
	}
	if kind == "metrics" {
		return "metrics-" + t.Format(layout) + ".prom"
	}
	return kind + "-" + t.Format(layout) + ".pb.gz"
}

// writeAtomic writes data under a temporary name beside path, then renames
// it: a reader of the folder sees whole files only.
func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func firstLine(b []byte) string {
	s := strings.TrimSpace(string(b[:min(len(b), 200)]))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

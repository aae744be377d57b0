// Package collect takes a series of snapshots from running Go programs: it
// scrapes their net/http/pprof endpoints (and, if asked, a Prometheus
// /metrics endpoint) at an interval into a folder that leakdiff analyze
// reads as it is, one sub-folder per source.
//
// Nothing is lost silently: every scrape, good or failed, is a line of the
// folder's index (IndexName, JSON lines); a body streams into a
// temporary file, is checked, and is then given a name no other file has
// (a file already there is never replaced); a failed scrape is retried with
// backoff within its round, recorded, and the series goes on.
//
// Rounds start Every apart. A round whose time passes while the previous
// one (its retries, or AfterRound) is still running starts late, when the
// previous one ends, and its index lines say so (scheduled, late_ms); the
// rounds after it keep Every from its start. No round is skipped, and no two
// rounds start less than Every apart: missed rounds are never run back to
// back to catch up.
package collect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"

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
	// MaxSize refuses a body larger than this (it is never read past it)
	// and a profile that inflates past it; it also bounds the bodies held
	// in memory at once by the whole run (bodies stream to disk, and are
	// read back to be checked within that budget). Default
	// profile.DefaultMaxBytes.
	MaxSize int64
	Client  *http.Client // default: one with Timeout and no proxy from the environment
	// AfterRound, if set, is called after every round with its results;
	// round counts from 1.
	AfterRound func(round int, results []Entry)

	mem    *semaphore.Weighted // the in-memory budget of MaxSize bytes
	gate   *profile.Gate       // one large body inflated and decoded at a time
	held   *atomic.Int64       // bytes held under mem
	onHold func(held int64)    // tests: called with held after each acquisition
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
	Round      int       `json:"round"`     // from 1
	Scheduled  time.Time `json:"scheduled"` // when the round was due (UTC)
	LateMS     int64     `json:"late_ms"`   // how long after Scheduled the round started: the previous round ran past its time
}

// OK reports whether the scrape kept a file.
func (e *Entry) OK() bool { return e.Error == "" }

// Summary is what a run did.
type Summary struct {
	Rounds, Files, Failures int
	// Late counts the rounds that started late (see Entry.LateMS).
	Late        int
	Interrupted bool
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
	c.mem, c.held, c.gate = semaphore.NewWeighted(c.MaxSize), new(atomic.Int64), &profile.Gate{}
	if c.Client == nil {
		c.Client = &http.Client{Timeout: c.Timeout, Transport: newTransport(c.Timeout), CheckRedirect: checkRedirect}
	}
	return nil
}

// newTransport is Go's default transport (its dial, TLS-handshake and idle
// timeouts, keep-alives, HTTP/2) without proxies from the environment, with
// the per-request timeout for the response headers.
func newTransport(timeout time.Duration) *http.Transport {
	var tr *http.Transport
	if dt, ok := http.DefaultTransport.(*http.Transport); ok {
		tr = dt.Clone()
	} else { // replaced by the program: the same settings by hand
		tr = &http.Transport{
			DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          100,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ExpectContinueTimeout: time.Second,
		}
	}
	tr.Proxy = nil
	tr.MaxIdleConnsPerHost = 4
	tr.ResponseHeaderTimeout = timeout
	return tr
}

// checkRedirect talks only to the URLs given: Go's limit of 10 redirects,
// none to another host, none from https down to http.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if req.URL.Host != via[0].URL.Host {
		return fmt.Errorf("redirect to another host (%s) refused", req.URL.Host)
	}
	if via[len(via)-1].URL.Scheme == "https" && req.URL.Scheme != "https" {
		return fmt.Errorf("redirect from https to %s refused", req.URL.Scheme)
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
	index, err := openIndex(filepath.Join(cfg.Out, IndexName))
	if err != nil {
		return sum, err
	}
	defer index.Close()
	jobs := cfg.jobs()
	start := time.Now()
	next := start // when the next round is due
	for round := 1; cfg.Count == 0 || round <= cfg.Count; round++ {
		at := next
		if cfg.Count == 0 && at.Sub(start) >= cfg.For {
			break
		}
		wait := time.Until(at)
		if wait > 0 {
			timer := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				timer.Stop()
				sum.Interrupted = true
				return sum, nil
			case <-timer.C:
			}
		}
		if ctx.Err() != nil {
			sum.Interrupted = true
			return sum, nil
		}
		began := time.Now()
		late := max(began.Sub(at), 0)
		next = at.Add(cfg.Every)
		if round > 1 && wait <= 0 {
			// The previous round ran past this one's time: this one
			// starts late, and the schedule moves with it rather than
			// run the rounds missed back to back.
			next = began.Add(cfg.Every)
			if late >= time.Millisecond {
				sum.Late++
			}
		}
		// A round has until the next one is due (at least the timeout).
		entries := cfg.round(ctx, jobs, began.Add(max(cfg.Every, cfg.Timeout)))
		for i := range entries {
			e := &entries[i]
			e.Round, e.Scheduled, e.LateMS = round, at.UTC(), late.Milliseconds()
			line, _ := json.Marshal(e)
			if _, err := index.Write(append(line, '\n')); err != nil {
				return sum, fmt.Errorf("write %s: %w", IndexName, err)
			}
			if e.OK() {
				sum.Files++
			} else {
				sum.Failures++
			}
		}
		sum.Rounds++
		if cfg.AfterRound != nil {
			cfg.AfterRound(round, entries)
		}
		if ctx.Err() != nil {
			sum.Interrupted = true
			return sum, nil
		}
	}
	return sum, nil
}

// openIndex opens the index for appending. An index left with a partial
// last line (a run killed mid-write, a file cut short) gets a newline first,
// so that every record starts a line of its own.
func openIndex(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err == nil && st.Size() > 0 {
		last := make([]byte, 1)
		if _, err = f.ReadAt(last, st.Size()-1); err == nil && last[0] != '\n' {
			_, err = f.Write([]byte{'\n'})
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", IndexName, err)
	}
	return f, nil
}

// job is one scrape of a round.
type job struct {
	source, kind, url string
}

func (cfg *Config) jobs() []job {
	var jobs []job
	for _, t := range cfg.Targets {
		for _, k := range cfg.Kinds {
			u := t.URL + "/" + k
			if k == "heap" && cfg.GC {
				u += "?gc=1"
			}
			jobs = append(jobs, job{t.Source, k, u})
		}
		if t.MetricsURL != "" {
			jobs = append(jobs, job{t.Source, "metrics", t.MetricsURL})
		}
	}
	return jobs
}

// round scrapes every target and kind at once.
func (cfg *Config) round(ctx context.Context, jobs []job, deadline time.Time) []Entry {
	out := make([]Entry, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Go(func() {
			out[i] = cfg.scrape(ctx, deadline, j)
		})
	}
	wg.Wait()
	return out
}

// scrape takes one snapshot, retrying with backoff until deadline.
func (cfg *Config) scrape(ctx context.Context, deadline time.Time, j job) (e Entry) {
	began := time.Now()
	e = Entry{Time: began.UTC(), Source: j.source, Kind: j.kind, URL: j.url}
	// e is the named result: the deferred assignment is what the caller gets.
	defer func() { e.DurationMS = time.Since(began).Milliseconds() }()
	dir := filepath.Join(cfg.Out, j.source)
	var tmp string
	var err error
	backoff := 250 * time.Millisecond
	for e.Attempts = 1; ; e.Attempts++ {
		tmp, e.Bytes, e.Status, err = cfg.get(ctx, dir, j.kind, j.url)
		if err == nil {
			if err = cfg.verify(ctx, j.kind, tmp, e.Bytes); err != nil {
				os.Remove(tmp)
			}
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
		e.Bytes, e.Error = 0, err.Error()
		return e
	}
	defer os.Remove(tmp)
	name, err := place(tmp, dir, j.kind, e.Time)
	if err != nil {
		e.Bytes, e.Error = 0, err.Error()
		return e
	}
	e.File = filepath.Join(j.source, name)
	return e
}

// get fetches u into a temporary file in dir, reading at most MaxSize
// bytes: a larger body is refused, never buffered.
func (cfg *Config) get(ctx context.Context, dir, kind, u string) (tmp string, size int64, status int, err error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", 0, 0, err
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
		return "", 0, 0, timedOut(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		head, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return "", 0, resp.StatusCode, fmt.Errorf("HTTP %s: %s", resp.Status, firstLine(head))
	}
	if resp.ContentLength > cfg.MaxSize {
		return "", 0, resp.StatusCode, fmt.Errorf("body of %d bytes is larger than the limit of %d bytes (--max-snapshot-size); not read", resp.ContentLength, cfg.MaxSize)
	}
	f, err := os.CreateTemp(dir, "."+kind+"-*.tmp")
	if err != nil {
		return "", 0, resp.StatusCode, err
	}
	n, err := io.Copy(f, io.LimitReader(resp.Body, cfg.MaxSize+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil:
		err = fmt.Errorf("read body: %w", timedOut(err))
	case n > cfg.MaxSize:
		err = fmt.Errorf("body larger than the limit of %d bytes (--max-snapshot-size): refused, read no further", cfg.MaxSize)
	}
	if err != nil {
		os.Remove(f.Name())
		return "", 0, resp.StatusCode, err
	}
	return f.Name(), n, resp.StatusCode, nil
}

// verify refuses a body that is not what was asked for: an HTML error page
// served with 200, a truncated profile, one that inflates past MaxSize. The
// body is read back into memory within the run's budget of MaxSize bytes,
// so that concurrent scrapes never hold more than that at once.
func (cfg *Config) verify(ctx context.Context, kind, path string, size int64) error {
	if size == 0 {
		return errors.New("empty body")
	}
	w := min(size, cfg.MaxSize)
	if err := cfg.mem.Acquire(ctx, w); err != nil {
		return err
	}
	defer cfg.mem.Release(w)
	held := cfg.held.Add(w)
	defer cfg.held.Add(-w)
	if cfg.onHold != nil {
		cfg.onHold(held)
	}
	body, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	// The decoder analyze uses tells what the body is, metrics text too.
	s, err := profile.Decode(body, kind+".pb.gz", &profile.DecodeOptions{Sites: profile.DefaultSitePolicy(), MaxBytes: cfg.MaxSize, Gate: cfg.gate})
	if err != nil {
		return fmt.Errorf("not a %s profile: %w", kind, err)
	}
	if s.Kind.String() != kind {
		return fmt.Errorf("asked for %s, got a %s profile", kind, s.Kind)
	}
	return nil
}

// fileName is KIND-TIME.pb.gz (metrics-TIME.prom), the time in UTC to the
// millisecond; n > 0 adds -n before the extension.
func fileName(kind string, t time.Time, n int) string {
	name, ext := kind+"-"+t.UTC().Format("20060102T150405.000Z"), ".pb.gz"
	if kind == "metrics" {
		ext = ".prom"
	}
	if n > 0 {
		name += "-" + strconv.Itoa(n)
	}
	return name + ext
}

// place gives the whole file tmp its name in dir: the first of
// fileName(kind, t, 0), fileName(kind, t, 1), … that no file has. A file
// already there is never replaced: the name is taken with a hard link, which
// fails if it exists, so a reader of the folder sees whole files only. Where
// hard links are not supported the name is reserved (created exclusively)
// and tmp renamed over the reservation.
func place(tmp, dir, kind string, t time.Time) (string, error) {
	if err := os.Chmod(tmp, 0o644); err != nil {
		return "", err
	}
	for n := range 1000 {
		name := fileName(kind, t, n)
		path := filepath.Join(dir, name)
		err := os.Link(tmp, path)
		if err == nil {
			return name, nil
		}
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		f.Close()
		if err := os.Rename(tmp, path); err != nil {
			os.Remove(path)
			return "", err
		}
		return name, nil
	}
	return "", fmt.Errorf("%s: 1000 files already named %s or the like", dir, fileName(kind, t, 0))
}

func firstLine(b []byte) string {
	s := strings.TrimSpace(string(b[:min(len(b), 200)]))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

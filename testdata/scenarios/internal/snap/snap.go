// Package snap writes the snapshot series of a scenario program: heap and
// goroutine profiles exactly as runtime/pprof (or a net/http/pprof endpoint)
// serves them, at a fixed interval, with times that may be simulated.
//
// Every scenario program calls Flags, then New, then Snapshot once per
// tick. Files land in OUT/SOURCE/ as
//
//	heap-20261121T225001Z.pb.gz           pprof protobuf (gzip), as served by /debug/pprof/heap
//	goroutine-20261121T225001Z.pb.gz      pprof protobuf, /debug/pprof/goroutine
//	goroutine-20261121T225001Z.debug2.txt goroutine dump, /debug/pprof/goroutine?debug=2
//
// With a simulated interval (-sim-interval 5m) the profile's TimeNanos and the
// file name carry simulated times, start + i×interval, so a 20-second run can
// stand for hours; the profile bytes are otherwise the runtime's own (the
// protobuf is decoded, its time set, and encoded again by
// github.com/google/pprof/profile).
package snap

import (
	"bytes"
	"flag"
	"fmt"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"io"
	"net"
	"net/http"
	_ "net/http/pprof" // the /debug/pprof endpoints scraped with -via-http
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	gpprof "github.com/google/pprof/profile"
)

// Options says where, how often and in which formats snapshots are written.
type Options struct {
	Out    string
	Source string
	// N is the number of snapshots; Every the real time between them.
	N     int
	Every time.Duration
	// SimInterval, when non-zero, is the simulated time between snapshots
	// (TimeNanos and file names); SimStart the simulated time of the first.
	SimInterval time.Duration
	SimStart    time.Time
	// Formats: "proto" (heap and goroutine protobuf), "debug2" (goroutine
	// dump text), "metrics" (the default Prometheus registry as /metrics
	// text).
	Formats string
	// GC forces a garbage collection before each heap snapshot (what
	// /debug/pprof/heap?gc=1 does).
	GC bool
	// ViaHTTP scrapes a real net/http/pprof endpoint on 127.0.0.1 instead of
	// calling runtime/pprof directly.
	ViaHTTP bool
	// MemProfileRate, when non-zero, is set at start (1 records every
	// allocation; the runtime default is 512 KiB).
	MemProfileRate int
}

// Flags registers the common flags with defaults for a scenario.
func Flags(fs *flag.FlagSet, def Options) *Options {
	o := def
	fs.StringVar(&o.Out, "out", def.Out, "output folder (files go to OUT/SOURCE/)")
	fs.StringVar(&o.Source, "source", def.Source, "source name: the sub-folder")
	fs.IntVar(&o.N, "n", def.N, "number of snapshots")
	fs.DurationVar(&o.Every, "every", def.Every, "real time between snapshots")
	fs.DurationVar(&o.SimInterval, "sim-interval", def.SimInterval, "simulated time between snapshots (0: real time)")
	start := ""
	if !def.SimStart.IsZero() {
		start = def.SimStart.Format(time.RFC3339)
	}
	fs.Func("sim-start", "simulated time of the first snapshot (RFC 3339; default "+start+")", func(s string) error {
		t, err := time.Parse(time.RFC3339, s)
		o.SimStart = t
		return err
	})
	fs.StringVar(&o.Formats, "formats", def.Formats, "comma list: proto, debug2")
	fs.BoolVar(&o.GC, "gc", def.GC, "force a GC before each heap snapshot")
	fs.BoolVar(&o.ViaHTTP, "via-http", def.ViaHTTP, "scrape a net/http/pprof endpoint on 127.0.0.1")
	fs.IntVar(&o.MemProfileRate, "memprofilerate", def.MemProfileRate, "runtime.MemProfileRate (0: leave the default)")
	return &o
}

// Writer writes one series.
type Writer struct {
	o    Options
	dir  string
	base string // http://127.0.0.1:port with -via-http
	srv  *http.Server
	last time.Time
}

// New prepares the output folder (emptied first) and, with ViaHTTP, starts
// the pprof endpoint on a loopback port.
func New(o *Options) (*Writer, error) {
	if o.MemProfileRate != 0 {
		runtime.MemProfileRate = o.MemProfileRate
	}
	w := &Writer{o: *o, dir: filepath.Join(o.Out, o.Source)}
	if err := os.RemoveAll(w.dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(w.dir, 0o755); err != nil {
		return nil, err
	}
	if o.ViaHTTP {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		w.srv = &http.Server{Handler: http.DefaultServeMux, ReadHeaderTimeout: 5 * time.Second}
		go w.srv.Serve(ln)
		w.base = "http://" + ln.Addr().String()
	}
	return w, nil
}

// Close stops the endpoint.
func (w *Writer) Close() error {
	if w.srv != nil {
		return w.srv.Close()
	}
	return nil
}

// Run calls tick before each of the N snapshots, sleeping Every between
// them, and closes the writer.
func (w *Writer) Run(tick func(i int)) error {
	defer w.Close()
	for i := range w.o.N {
		start := time.Now()
		tick(i)
		if err := w.Snapshot(i); err != nil {
			return err
		}
		if d := w.o.Every - time.Since(start); d > 0 && i < w.o.N-1 {
			time.Sleep(d)
		}
	}
	return nil
}

// Snapshot writes snapshot number i in every format asked for.
func (w *Writer) Snapshot(i int) error {
	at := time.Now().UTC().Truncate(time.Second)
	if w.o.SimInterval > 0 {
		at = w.o.SimStart.Add(time.Duration(i) * w.o.SimInterval).UTC()
	} else if !at.After(w.last) {
		// File names carry seconds: never two snapshots in one second.
		time.Sleep(time.Until(w.last.Add(time.Second)))
		at = w.last.Add(time.Second)
	}
	w.last = at
	stamp := at.Format("20060102T150405Z")

	for _, f := range strings.Split(w.o.Formats, ",") {
		switch strings.TrimSpace(f) {
		case "proto":
			if w.o.GC {
				runtime.GC()
			}
			if err := w.write("heap", 0, at, "heap-"+stamp+".pb.gz"); err != nil {
				return err
			}
			if err := w.write("goroutine", 0, at, "goroutine-"+stamp+".pb.gz"); err != nil {
				return err
			}
		case "metrics":
			// The default Prometheus registry, as promhttp serves it on
			// /metrics: the Go and process collectors plus whatever the
			// program and its libraries registered.
			mfs, err := prometheus.DefaultGatherer.Gather()
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			for _, mf := range mfs {
				if _, err := expfmt.MetricFamilyToText(&buf, mf); err != nil {
					return err
				}
			}
			if err := os.WriteFile(filepath.Join(w.dir, "metrics-"+stamp+".prom"), buf.Bytes(), 0o644); err != nil {
				return err
			}
		case "debug2":
			if err := w.write("goroutine", 2, at, "goroutine-"+stamp+".debug2.txt"); err != nil {
				return err
			}
		case "":
		default:
			return fmt.Errorf("unknown format %q", f)
		}
	}
	return nil
}

func (w *Writer) fetch(name string, debug int) ([]byte, error) {
	if w.base == "" {
		var buf bytes.Buffer
		err := pprof.Lookup(name).WriteTo(&buf, debug)
		return buf.Bytes(), err
	}
	resp, err := http.Get(fmt.Sprintf("%s/debug/pprof/%s?debug=%d", w.base, name, debug))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", name, resp.Status)
	}
	return io.ReadAll(resp.Body)
}

func (w *Writer) write(name string, debug int, at time.Time, file string) error {
	data, err := w.fetch(name, debug)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	if debug == 0 && w.o.SimInterval > 0 {
		// Keep the re-encoding's allocations out of later heap profiles,
		// where they would rank among the scenario's sites. Only around
		// this step: runtime/pprof scales heap samples by the rate in
		// force when it writes, so the rate must be real during fetch.
		if rate := runtime.MemProfileRate; rate > 0 {
			runtime.MemProfileRate = 0
			defer func() { runtime.MemProfileRate = rate }()
		}
		p, err := gpprof.ParseData(data)
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		p.TimeNanos = at.UnixNano()
		var buf bytes.Buffer
		if err := p.Write(&buf); err != nil {
			return err
		}
		data = buf.Bytes()
	}
	tmp := filepath.Join(w.dir, "."+file+".tmp")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(w.dir, file))
}

// Main is the body of a scenario program: register its own flags, parse
// them, start it (start returns the function to call before each snapshot),
// write the series, and exit non-zero on error.
func Main(def Options, register func(fs *flag.FlagSet), start func(o *Options) (tick func(i int), err error)) {
	fs := flag.NewFlagSet(filepath.Base(os.Args[0]), flag.ExitOnError)
	o := Flags(fs, def)
	if register != nil {
		register(fs)
	}
	fs.Parse(os.Args[1:])
	err := func() error {
		w, err := New(o)
		if err != nil {
			return err
		}
		tick, err := start(o)
		if err != nil {
			return err
		}
		return w.Run(tick)
	}()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", filepath.Base(os.Args[0]), err)
		os.Exit(1)
	}
}

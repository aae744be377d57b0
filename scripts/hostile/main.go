// Command hostile runs the leakdiff binary on hostile inputs too heavy for
// unit tests (gzip bombs, nested and not; content just under the size
// limit; a valid profile of a million entries; endless standard input;
// rule files that never end) and reports each run's exit code, wall time
// and peak RSS. It fails when a run panics, takes more memory than its
// bound or exits 0 on input it must refuse.
//
//	go run ./scripts/hostile [-only NAME] [-keep DIR]
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/leakdiff/leakdiff/internal/bomb"
	"google.golang.org/protobuf/encoding/protowire"
)

const mib = 1 << 20

// A hostile case: files to write, then leakdiff's arguments (FILE stands
// for the first file, DIR for the folder), what to feed its standard input,
// the exit codes it may end with and its memory bound.
type hostile struct {
	name    string
	files   func(dir string) ([]string, error)
	args    []string
	stdin   io.Reader
	exits   []int
	bound   int64 // peak RSS, bytes
	timeout time.Duration
}

func main() {
	only := flag.String("only", "", "run only the cases whose name contains this")
	keep := flag.String("keep", "", "write the inputs here and keep them (default: a temporary folder)")
	write := flag.String("write", "", "(internal) write the inputs of this case into the folder given as argument")
	flag.Parse()
	if *write != "" {
		if err := writeCase(*write, flag.Arg(0)); err != nil {
			fmt.Fprintln(os.Stderr, "hostile:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*only, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "hostile:", err)
		os.Exit(1)
	}
}

func run(only, keep string) error {
	dir := keep
	if dir == "" {
		d, err := os.MkdirTemp("", "hostile-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	bin := filepath.Join(dir, "leakdiff")
	build := exec.Command("go", "build", "-o", bin, "./cmd/leakdiff")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build: %w", err)
	}
	failed := 0
	fmt.Printf("%-28s %5s %9s %9s %9s  %s\n", "case", "exit", "time", "peak RSS", "bound", "first line of stderr")
	for _, c := range cases() {
		if only != "" && !strings.Contains(c.name, only) {
			continue
		}
		cdir := filepath.Join(dir, c.name)
		if err := os.MkdirAll(cdir, 0o755); err != nil {
			return err
		}
		// The inputs are written by another process: a child's peak RSS
		// on Linux starts from its parent's (vfork, then exec), and
		// writing them takes hundreds of MB.
		files, err := writeChild(c.name, cdir)
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		args := make([]string, len(c.args))
		for i, a := range c.args {
			a = strings.ReplaceAll(a, "DIR", cdir)
			if len(files) > 0 {
				a = strings.ReplaceAll(a, "FILE", files[0])
			}
			args[i] = a
		}
		res := measure(bin, args, c.stdin, c.timeout)
		verdict := ""
		switch {
		case res.err != nil:
			verdict = "FAIL: " + res.err.Error()
		case strings.Contains(res.stderr, "panic:") || strings.Contains(res.stderr, "goroutine 1 ["):
			verdict = "FAIL: panic"
		case !contains(c.exits, res.exit):
			verdict = fmt.Sprintf("FAIL: exit %d, want one of %v", res.exit, c.exits)
		case res.rss > c.bound:
			verdict = fmt.Sprintf("FAIL: peak RSS over %d MiB", c.bound/mib)
		}
		line, _, _ := strings.Cut(strings.TrimSpace(res.stderr), "\n")
		fmt.Printf("%-28s %5d %8.2fs %6d MiB %6d MiB  %s\n", c.name, res.exit, res.wall.Seconds(), res.rss/mib, c.bound/mib, clip(line, 150))
		if verdict != "" {
			fmt.Printf("%28s %s\n", "", verdict)
			failed++
		}
		if keep == "" {
			os.RemoveAll(cdir)
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d case(s) failed", failed)
	}
	return nil
}

func writeChild(name, dir string) ([]string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "-write", name, dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, err
	}
	return strings.Fields(string(out)), nil
}

func writeCase(name, dir string) error {
	for _, c := range cases() {
		if c.name == name {
			files, err := c.files(dir)
			if err != nil {
				return err
			}
			fmt.Println(strings.Join(files, "\n"))
			return nil
		}
	}
	return fmt.Errorf("no case %q", name)
}

type result struct {
	exit   int
	wall   time.Duration
	rss    int64
	stderr string
	err    error
}

func measure(bin string, args []string, stdin io.Reader, timeout time.Duration) result {
	if timeout == 0 {
		timeout = 2 * time.Minute
	}
	if len(args) > 0 && (args[0] == "analyze" || args[0] == "compare") {
		// Every case cold, and no folder state left in the user's cache.
		args = append([]string{args[0], "--no-cache"}, args[1:]...)
	}
	cmd := exec.Command(bin, args...)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr, cmd.Stdin = io.Discard, &stderr, stdin
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return result{err: err}
	}
	timer := time.AfterFunc(timeout, func() { cmd.Process.Kill() })
	err := cmd.Wait()
	timer.Stop()
	res := result{wall: time.Since(start), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit) && exit.ExitCode() < 0:
		res.err = fmt.Errorf("killed after %v", timeout)
	case errors.As(err, &exit):
		res.exit = exit.ExitCode()
	case err != nil:
		res.err = err
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		res.rss = ru.Maxrss << 10 // KiB on Linux
	}
	return res
}

// The exit codes of leakdiff analyze: 0 a report, 2 no usable snapshot
// (every input refused) or a usage error.
var refused = []int{2}

func cases() []hostile {
	one := func(name string, write func(w io.Writer) error) func(string) ([]string, error) {
		return func(dir string) ([]string, error) {
			p := filepath.Join(dir, name)
			return []string{p}, writeFile(p, write)
		}
	}
	many := func(n int, name string, write func(w io.Writer) error) func(string) ([]string, error) {
		return func(dir string) ([]string, error) {
			var files []string
			for i := range n {
				p := filepath.Join(dir, fmt.Sprintf("%d-%s", i, name))
				if err := writeFile(p, write); err != nil {
					return nil, err
				}
				files = append(files, p)
			}
			return files, nil
		}
	}
	zeros := func(size int64) func(io.Writer) error {
		return func(w io.Writer) error { return bomb.Gzip(w, size, false) }
	}
	headed := func(size int64) func(io.Writer) error {
		return func(w io.Writer) error { return bomb.GzipAfter(w, stringHead(size), size, false) }
	}
	nested := func(inner func(io.Writer) error, layers int) func(io.Writer) error {
		return func(w io.Writer) error {
			var b bytes.Buffer
			if err := inner(&b); err != nil {
				return err
			}
			data, err := bomb.Nest(b.Bytes(), layers)
			if err != nil {
				return err
			}
			_, err = w.Write(data)
			return err
		}
	}
	none := func(string) ([]string, error) { return nil, nil }
	const bound = 512 * mib
	return []hostile{
		{name: "nested-zeros-4GiB", files: one("bomb.pb.gz", nested(zeros(4<<30), 1)), args: []string{"analyze", "FILE"}, exits: refused, bound: bound},
		{name: "nested-headed-4GiB", files: one("bomb.pb.gz", nested(headed(4<<30), 1)), args: []string{"analyze", "FILE"}, exits: refused, bound: bound},
		{name: "nested-small-limit", files: one("bomb.pb.gz", nested(headed(4<<30), 1)), args: []string{"analyze", "--max-snapshot-size", "10MiB", "FILE"}, exits: refused, bound: bound},
		{name: "nested-4-deep", files: one("bomb.pb.gz", nested(headed(1<<30), 3)), args: []string{"analyze", "FILE"}, exits: refused, bound: bound},
		{name: "zeros-1000MiB", files: one("zeros.pb.gz", zeros(1000*mib)), args: []string{"analyze", "FILE"}, exits: refused, bound: bound},
		{name: "zeros-1000MiB-x4", files: many(4, "zeros.pb.gz", zeros(1000*mib)), args: []string{"analyze", "DIR"}, exits: refused, bound: bound},
		{name: "headed-under-limit", files: one("headed.pb.gz", headed(120*mib)), args: []string{"analyze", "FILE"}, exits: refused, bound: bound},
		{name: "headed-under-limit-x4", files: many(4, "headed.pb.gz", headed(120*mib)), args: []string{"analyze", "--jobs", "4", "DIR"}, exits: refused, bound: bound},
		{name: "headed-x8-jobs8", files: many(8, "headed.pb.gz", headed(120*mib)), args: []string{"analyze", "--jobs", "8", "DIR"}, exits: refused, bound: bound},
		{name: "stdin-dev-zero", files: none, args: []string{"analyze", "-"}, stdin: io.LimitReader(zeroReader{}, 2<<30), exits: refused, bound: bound},
		{name: "stdin-text-no-newline", files: none, args: []string{"analyze", "-"}, stdin: io.LimitReader(repeatReader('a'), 2<<30), exits: refused, bound: bound},
		{name: "text-120MiB-one-line", files: one("a.txt", func(w io.Writer) error { _, err := io.Copy(w, io.LimitReader(repeatReader('a'), 120*mib)); return err }), args: []string{"analyze", "FILE"}, exits: refused, bound: bound},
		{name: "proto-many-sites", files: one("sites.pb", func(w io.Writer) error { return manySites(w, 400_000, 100*mib) }), args: []string{"analyze", "FILE"}, exits: refused, bound: bound},
		{name: "proto-empty-strings", files: one("strings.pb", func(w io.Writer) error { return emptyStrings(w, 120*mib) }), args: []string{"analyze", "FILE"}, exits: refused, bound: bound},
		{name: "proto-100k-sites", files: one("sites.pb", func(w io.Writer) error { return manySites(w, 100_000, 100*mib) }), args: []string{"analyze", "FILE"}, exits: []int{0}, bound: bound},
		{name: "dump-distinct-120MiB", files: one("goroutine.txt", func(w io.Writer) error { return distinctDump(w, 120*mib) }), args: []string{"analyze", "FILE"}, exits: refused, bound: bound},
		{name: "metrics-series-120MiB", files: one("metrics.txt", func(w io.Writer) error { return manySeries(w, 120*mib) }), args: []string{"analyze", "FILE"}, exits: refused, bound: bound},
		{name: "files-20000", files: func(dir string) ([]string, error) { return copies(dir, 20000) }, args: []string{"analyze", "DIR"}, exits: []int{0}, bound: bound},
		{name: "rules-dev-zero", files: none, args: []string{"analyze", "--rules", "/dev/zero", "testdata/fixtures/remotedialer"}, exits: refused, bound: bound, timeout: 30 * time.Second},
		{name: "rules-lint-dev-zero", files: none, args: []string{"rules", "lint", "/dev/zero"}, exits: []int{1, 2}, bound: bound, timeout: 30 * time.Second},
	}
}

func contains(xs []int, x int) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

type repeatReader byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

// stringHead starts a Profile whose first string spans size bytes.
func stringHead(size int64) []byte {
	b := protowire.AppendTag(nil, 6, protowire.BytesType)
	return protowire.AppendVarint(b, uint64(size))
}

// manySites writes a valid heap profile of about size bytes whose
// samples are spread over sites functions, one location each.
func manySites(w io.Writer, sites int, size int) error {
	var b []byte
	str := func(s string) {
		b = protowire.AppendTag(b, 6, protowire.BytesType)
		b = protowire.AppendString(b, s)
	}
	msg := func(num protowire.Number, body []byte) {
		b = protowire.AppendTag(b, num, protowire.BytesType)
		b = protowire.AppendBytes(b, body)
	}
	str("")
	str("inuse_space")
	str("bytes")
	msg(1, protowire.AppendVarint(protowire.AppendTag(protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), 1), 2, protowire.VarintType), 2))
	for i := range sites {
		str(fmt.Sprintf("example.com/hostile/pkg%d.Func%d", i%1000, i))
		var f []byte
		f = protowire.AppendVarint(protowire.AppendTag(f, 1, protowire.VarintType), uint64(i+1))
		f = protowire.AppendVarint(protowire.AppendTag(f, 2, protowire.VarintType), uint64(i+3))
		msg(5, f)
		var line []byte
		line = protowire.AppendVarint(protowire.AppendTag(line, 1, protowire.VarintType), uint64(i+1))
		var l []byte
		l = protowire.AppendVarint(protowire.AppendTag(l, 1, protowire.VarintType), uint64(i+1))
		l = protowire.AppendTag(l, 4, protowire.BytesType)
		l = protowire.AppendBytes(l, line)
		msg(4, l)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for len(b) < size {
		var s []byte
		s = protowire.AppendTag(s, 1, protowire.BytesType)
		s = protowire.AppendBytes(s, protowire.AppendVarint(nil, uint64(r.IntN(sites)+1)))
		s = protowire.AppendTag(s, 2, protowire.BytesType)
		s = protowire.AppendBytes(s, protowire.AppendVarint(nil, uint64(r.IntN(1<<20))))
		msg(2, s)
	}
	_, err := w.Write(b)
	return err
}

// emptyStrings writes a Profile of size bytes that is all empty strings.
func emptyStrings(w io.Writer, size int) error {
	b := bytes.Repeat([]byte{6<<3 | 2, 0}, size/2)
	_, err := w.Write(b)
	return err
}

// distinctDump writes a goroutine dump of size bytes whose goroutines all
// block in different functions.
func distinctDump(w io.Writer, size int) error {
	var b bytes.Buffer
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "goroutine %d [chan receive]:\nexample.com/hostile.f%d()\n\t/src/a.go:1 +0x1\n\n", i+1, i)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// manySeries writes Prometheus text of size bytes, one series a line.
func manySeries(w io.Writer, size int) error {
	var b bytes.Buffer
	b.WriteString("# TYPE m gauge\n")
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "m{id=\"%d\"} 1\n", i)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// copies writes n copies of a small real heap profile, a minute apart by
// their names: a day of snapshots every few seconds.
func copies(dir string, n int) ([]string, error) {
	data, err := os.ReadFile("testdata/builds/b/heap-20261122T005459Z.pb.gz")
	if err != nil {
		return nil, err
	}
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		name := filepath.Join(dir, "heap-"+start.Add(time.Duration(i)*5*time.Second).Format("20060102T150405Z")+".pb.gz")
		if err := os.WriteFile(name, data, 0o644); err != nil {
			return nil, err
		}
	}
	return []string{dir}, nil
}

package cmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const snapshots = "../testdata/snapshots"

// failingWriter fails every write once n bytes have gone through, as a
// full disk or a closed pipe does.
type failingWriter struct{ n int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		k := w.n
		w.n = 0
		return k, syscall.ENOSPC
	}
	w.n -= len(p)
	return len(p), nil
}

// TestReportWriteErrors: a report that cannot be written whole fails the
// command (exit 2, saying so) in every format, wherever the write breaks.
func TestReportWriteErrors(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"table", "json", "markdown", "html"} {
		for _, after := range []int{0, 100, 2000} {
			var stderr bytes.Buffer
			code := Run(context.Background(), []string{"analyze", "--format", format, snapshots}, nil, &failingWriter{n: after}, &stderr)
			if code != ExitUsage || !strings.Contains(stderr.String(), "write report") {
				t.Errorf("%s, failing after %d bytes: exit %d, stderr %q; want %d and the write error", format, after, code, stderr.String(), ExitUsage)
			}
		}
	}
	// The real thing: standard output on /dev/full.
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full:", err)
	}
	defer full.Close()
	var stderr bytes.Buffer
	if code := Run(context.Background(), []string{"analyze", snapshots}, nil, full, &stderr); code != ExitUsage {
		t.Errorf("> /dev/full: exit %d, stderr %q; want %d", code, stderr.String(), ExitUsage)
	}
}

// TestWriteReportWholeOrNothing: a report whose writing fails or is
// interrupted replaces nothing and leaves no temporary file; an existing
// report keeps its permissions; a new one honours the umask.
func TestWriteReportWholeOrNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "report.md")
	if err := os.WriteFile(path, []byte("old report\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	failing := func(w io.Writer) error {
		fmt.Fprintln(w, "half a report")
		return syscall.ENOSPC
	}
	if err := writeReport(context.Background(), nil, path, failing); !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("failing write: %v, want ENOSPC", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	interrupted := func(w io.Writer) error {
		fmt.Fprintln(w, "a whole new report")
		cancel() // Ctrl-C or SIGTERM while writing
		return nil
	}
	if err := writeReport(ctx, nil, path, interrupted); !errors.Is(err, context.Canceled) {
		t.Errorf("interrupted write: %v, want context.Canceled", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old report\n" {
		t.Errorf("report now %q, want the old one untouched", b)
	}
	ok := func(w io.Writer) error { _, err := io.WriteString(w, "new report\n"); return err }
	if err := writeReport(context.Background(), nil, path, ok); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("rewritten report: %v, %v; want mode 0600 kept", fi.Mode(), err)
	}
	fresh := filepath.Join(dir, "fresh.md")
	if err := writeReport(context.Background(), nil, fresh, ok); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(fresh); fi.Mode().Perm() != 0o666&^umask() {
		t.Errorf("new report mode %v, want %v", fi.Mode().Perm(), 0o666&^umask())
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 2 {
		t.Errorf("files left: %v, want report.md and fresh.md", ents)
	}
}

// TestWriteReportTargets: a symbolic link is followed (the link stays, its
// target gets the report, even a target not there yet); a FIFO and a
// device are written through, not replaced; a directory is refused.
func TestWriteReportTargets(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ok := func(w io.Writer) error { _, err := io.WriteString(w, "report\n"); return err }

	target := filepath.Join(dir, "real.md")
	link := filepath.Join(dir, "link.md")
	if err := os.Symlink("real.md", link); err != nil {
		t.Fatal(err)
	}
	if err := writeReport(context.Background(), nil, link, ok); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("link.md is no longer a link: %v %v", fi.Mode(), err)
	}
	if b, _ := os.ReadFile(target); string(b) != "report\n" {
		t.Errorf("link target holds %q", b)
	}

	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFOs:", err)
	}
	got := make(chan string)
	go func() {
		b, _ := os.ReadFile(fifo)
		got <- string(b)
	}()
	if err := writeReport(context.Background(), nil, fifo, ok); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-got:
		if s != "report\n" {
			t.Errorf("FIFO reader got %q", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("nothing came through the FIFO")
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("fifo replaced: %v %v", fi.Mode(), err)
	}

	if err := writeReport(context.Background(), nil, os.DevNull, ok); err != nil {
		t.Errorf("/dev/null: %v", err)
	}
	if fi, err := os.Stat(os.DevNull); err != nil || fi.Mode()&os.ModeDevice == 0 {
		t.Fatalf("/dev/null is no longer a device: %v %v", fi.Mode(), err)
	}
	if err := writeReport(context.Background(), nil, dir, ok); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("a directory: %v", err)
	}
}

// TestSignals runs the binary's Main in a child process: SIGTERM and
// SIGINT while it waits on standard input stop it at once with 143 and
// 130, no report and no temporary file.
func TestSignals(t *testing.T) {
	if os.Getenv("LEAKDIFF_MAIN") == "1" {
		return // the child: TestMain ran Main
	}
	for _, tc := range []struct {
		sig  syscall.Signal
		want int
	}{{syscall.SIGTERM, ExitTerminated}, {syscall.SIGINT, ExitInterrupted}} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			out := filepath.Join(dir, "report.json")
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "LEAKDIFF_MAIN=1", "LEAKDIFF_ARGS=analyze\x1f--format\x1fjson\x1f-o\x1f"+out+"\x1f-")
			stdin, err := cmd.StdinPipe() // held open: the child waits on it
			if err != nil {
				t.Fatal(err)
			}
			defer stdin.Close()
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(500 * time.Millisecond) // let it start reading
			start := time.Now()
			cmd.Process.Signal(tc.sig)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("still running 20 s after %v", tc.sig)
			}
			if code := cmd.ProcessState.ExitCode(); code != tc.want {
				t.Errorf("exit %d after %v, want %d; stderr %q", code, tc.sig, tc.want, stderr.String())
			}
			t.Logf("stopped %v after %v", time.Since(start), tc.sig)
			if ents, _ := os.ReadDir(dir); len(ents) != 0 {
				t.Errorf("left %v", ents)
			}
		})
	}
}

// Package cmd is leakdiff's command line: cobra commands, flags, wiring and
// exit codes. It holds no analysis logic.
package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/leakdiff/leakdiff/internal/buildinfo"
	"github.com/leakdiff/leakdiff/profile"
)

// Exit codes, as in diff(1): 0 analysed and nothing at or above --fail-on,
// 1 findings at or above --fail-on, 2 bad usage or no usable input.
const (
	ExitOK       = 0
	ExitFindings = 1
	ExitUsage    = 2
	// ExitInterrupted: stopped by Ctrl-C (128 + SIGINT, as shells report
	// it); no report was written.
	ExitInterrupted = 130
	// ExitTerminated: stopped by SIGTERM (128 + 15), as by Ctrl-C.
	ExitTerminated = 143
)

// exitError carries an exit code up to Main, the one place that exits.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, args...)}
}

// Main runs leakdiff with the process's arguments and streams and returns
// the exit code.
//
// SIGINT and SIGTERM (a service manager, a CI timeout) stop the run the
// same way: what it was doing is abandoned, temporary files are removed,
// no report is written, and the exit code says which signal it was. A
// second signal ends the process at once.
func Main() int {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithCancel(context.Background())
	var got atomic.Value
	go func() {
		s := <-sigs
		got.Store(s)
		signal.Reset(os.Interrupt, syscall.SIGTERM) // a second one kills at once
		cancel()
	}()
	code := Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	if s, _ := got.Load().(os.Signal); s == syscall.SIGTERM && code == ExitInterrupted {
		return ExitTerminated
	}
	return code
}

// Run runs the command tree in-process; tests call it directly.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := NewRootCmd(stdin)
	ctx = context.WithValue(ctx, commandKey{}, append([]string{"leakdiff"}, args...))
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "leakdiff: interrupted; no report written")
		return ExitInterrupted
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && !errors.Is(ee.err, errSilent) {
			printError(stderr, ee.err)
		}
		return ee.code
	}
	// Cobra's own errors (unknown flag, wrong argument count) are usage
	// errors.
	printError(stderr, err)
	return ExitUsage
}

// printError prints err after "leakdiff: ", each of its lines (a joined
// error has several) made printable: errors quote paths and bytes of inputs.
func printError(w io.Writer, err error) {
	lines := strings.Split(err.Error(), "\n")
	for i, l := range lines {
		lines[i] = profile.Printable(l)
	}
	fmt.Fprintf(w, "leakdiff: %s\n", strings.Join(lines, "\n"))
}

// commandKey holds the command line on Run's context, for reports to
// record.
type commandKey struct{}

// commandLine is the command line Run was given.
func commandLine(ctx context.Context) []string {
	c, _ := ctx.Value(commandKey{}).([]string)
	return c
}

// errSilent marks an error already reported.
var errSilent = errors.New("already reported")

// NewRootCmd builds the command tree.
func NewRootCmd(stdin io.Reader) *cobra.Command {
	root := &cobra.Command{
		Use:   "leakdiff",
		Short: "Find memory and goroutine leaks in a series of pprof snapshots",
		Long: `leakdiff reads a series of heap and goroutine snapshots taken over time
(pprof protobuf, Go debug=1 text profiles, goroutine dumps), lines up the same
call site across them and shows which sites grow.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       buildinfo.Version(),
	}
	root.SetVersionTemplate(fmt.Sprintf("leakdiff {{.Version}} (%s)\n", buildinfo.GoVersion()))
	root.AddCommand(newAnalyzeCmd(stdin, nil), newCompareCmd(stdin), newDiffCmd(stdin), newCollectCmd(), newRulesCmd(), newVersionCmd())
	return root
}

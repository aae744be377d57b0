package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/leakdiff/leakdiff/diff"
	"github.com/leakdiff/leakdiff/internal/buildinfo"
	"github.com/leakdiff/leakdiff/internal/cache"
	"github.com/leakdiff/leakdiff/internal/options"
	"github.com/leakdiff/leakdiff/profile"
	"github.com/leakdiff/leakdiff/report"
	"github.com/leakdiff/leakdiff/rules"
)

// AnalyzeOptions holds the analyze command's flags.
type AnalyzeOptions struct {
	Args         []string
	Granularity  string
	Site         string
	SiteRegexp   string
	SiteSkip     []string
	Source       string
	SourceRegexp string
	SourceLabel  string
	MaxSize      string
	Top          int
	MinSeverity  string
	MemoryLimit  string
	Rules        []string
	NoBuiltin    bool
	Format       string
	Output       string
	FailOn       string
	Jobs         int
	Strict       bool
	Quiet        bool
	Per          string
	Cache        bool
	NoCache      bool
	Wide         bool
	Width        int
}

const analyzeExamples = `  # a folder of snapshots, walked recursively (one source per sub-folder)
  leakdiff analyze ./snapshots/

  # files or globs (quoted globs are expanded by leakdiff itself)
  leakdiff analyze ./snapshots/*.pb.gz
  leakdiff analyze 'snapshots/*/heap-*.pb.gz'

  # a goroutine dump straight from a live process
  curl -s localhost:6060/debug/pprof/goroutine?debug=2 | leakdiff analyze -

  # one folder holding several processes: take the source from the file name
  leakdiff analyze --source-regexp '^(?P<source>[a-z0-9-]+)-(heap|goroutine)' ./snapshots/

  # profiles with /metrics snapshots beside them: growth per request
  leakdiff analyze --per http_requests_total ./snapshots/

  # read every file, keep nothing in the cache (the folder's state)
  leakdiff analyze --no-cache ./snapshots/`

func newAnalyzeCmd(stdin io.Reader, runF func(context.Context, *AnalyzeOptions, io.Reader, io.Writer, io.Writer) error) *cobra.Command {
	opts := &AnalyzeOptions{}
	c := &cobra.Command{
		Use:   "analyze PATH...",
		Short: "Show which call sites grow over a series of snapshots",
		Long: `Read heap and goroutine snapshots, group them by source (the process they
came from) and kind, order them in time, line up each call site across them,
and rank the sites of each series by growth from its first to its last snapshot.

Inputs: pprof protobuf (gzip'd or not) as served by /debug/pprof/heap, /allocs,
/goroutine and /goroutineleak; the Go debug=1 text profiles (names are read from
their '#' lines); goroutine dumps (debug=2, runtime.Stack, crash output);
Prometheus /metrics text (counter balances and leak-like gauges); the
legacy formats pprof itself parses. A PATH may be a file, a directory (walked;
hidden entries listed as skipped), a glob, or "-" for standard input.

Time of a snapshot: the profile's own timestamp, else one in the file name
(2026-11-21T22:50:01Z, 20261121T225001Z, 2026-11-21_22-50-01, Unix seconds),
else file-name order (with a note). Snapshots with identical content are
counted once.

Sources: by default one per directory, and within a directory one per file-name
stem (primary-heap-*.pb.gz and replica-heap-*.pb.gz are two sources). Restarts
inside a source (a new build ID, cumulative counters going down) split its
series into segments; growth is measured over the last one.

Files that cannot be read are listed with the reason and the rest is analysed;
--strict makes any such file fatal: exit 2 and no report.

What a run reads is kept as the folders' state in the user's cache folder
($LEAKDIFF_CACHE_DIR sets another): run again on the same folders, leakdiff
reads only the files added since, with the same report. A file changed or
removed since makes it read every file once more; --no-cache reads every file
and keeps nothing.

The table fits the terminal's width: long names are cut short in the middle
(and listed whole below the table) and the least useful columns left out;
--wide keeps every column and name whole, --width sets the width.`,
		Example: analyzeExamples,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErrorf("analyze needs at least one PATH: a folder, a file, a glob, or - for standard input\n  e.g. leakdiff analyze ./snapshots/\n  leakdiff analyze --help shows every option")
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			opts.Args = args
			if runF != nil {
				return runF(c.Context(), opts, stdin, c.OutOrStdout(), c.ErrOrStderr())
			}
			return runAnalyze(c.Context(), opts, stdin, c.OutOrStdout(), c.ErrOrStderr())
		},
	}
	addInputFlags(c, opts)
	f := c.Flags()
	f.StringVar(&opts.Source, "source", "", "put every input into one source of this `name`")
	f.IntVar(&opts.Top, "top", 20, "list at most `n` findings")
	f.StringVar(&opts.MinSeverity, "min-severity", "medium", "list findings of this `severity` or worse: info, low, medium, high, critical")
	f.StringVar(&opts.MemoryLimit, "memory-limit", "", "project when each source's in-use heap reaches this `size` (e.g. 4GiB, a GOMEMLIMIT value)")
	f.StringVar(&opts.FailOn, "fail-on", "", "exit 1 when a finding is of this `severity` or worse (info, low, medium, high, critical): a CI gate")
	f.StringVar(&opts.Per, "per", "", "also express each finding's growth per unit of this Prometheus `counter` of its source's metrics snapshots (e.g. http_requests_total: bytes or goroutines per request)")
	f.BoolVar(&opts.Strict, "strict", false, "exit 2 without writing a report if any input is skipped")
	_ = c.RegisterFlagCompletionFunc("fail-on", cobra.FixedCompletions([]string{"info", "low", "medium", "high", "critical"}, cobra.ShellCompDirectiveNoFileComp))
	_ = c.RegisterFlagCompletionFunc("min-severity", cobra.FixedCompletions([]string{"info", "low", "medium", "high", "critical"}, cobra.ShellCompDirectiveNoFileComp))
	return c
}

// addInputFlags registers the flags analyze and compare share: how inputs
// are read, grouped and reduced, which rules apply, and the report's form.
func addInputFlags(c *cobra.Command, o *AnalyzeOptions) {
	f := c.Flags()
	f.BoolVar(&o.Cache, "cache", false, "also keep each file's reduced snapshot, for when the folder's state cannot be used (a file removed or changed); $LEAKDIFF_CACHE_DIR turns it on too")
	f.BoolVar(&o.NoCache, "no-cache", false, "read every file and write nothing to the cache: neither the folder's state (kept by default in the user's cache folder, or $LEAKDIFF_CACHE_DIR) nor file entries")
	f.StringVar(&o.Granularity, "granularity", "function", "tell sites apart by `mode`: function (name only) or line (function plus file:line)")
	f.StringVar(&o.Site, "site", "auto", "which frame is a stack's site (`mode`): auto (leaf-most frame outside the runtime, standard library and allocators) or leaf")
	f.StringVar(&o.SiteRegexp, "site-regexp", "", "take as site the leaf-most frame whose function matches this `regexp` (falls back to auto)")
	f.StringArrayVar(&o.SiteSkip, "site-skip", nil, "also never take frames whose function matches this `regexp` as a site (repeatable)")
	f.StringVar(&o.SourceRegexp, "source-regexp", "", "take the source from the file's base name: the group named source, else the first group (`regexp`)")
	f.StringVar(&o.SourceLabel, "source-label", "", "take the source from this pprof/goroutine label `key`")
	f.StringVar(&o.MaxSize, "max-snapshot-size", "128MiB", "refuse snapshots larger than this `size` once decompressed (e.g. 512MiB, 2GB)")
	f.StringVarP(&o.Format, "format", "f", "table", "output `format`: table, json, markdown or html")
	f.StringVarP(&o.Output, "output", "o", "", "write the report to this `file` (written whole or not at all) instead of stdout")
	f.StringArrayVar(&o.Rules, "rules", nil, "also load rules from this YAML `file`; a rule with a built-in id replaces it (repeatable)")
	f.BoolVar(&o.NoBuiltin, "no-builtin-rules", false, "leave out the built-in rule catalog")
	f.IntVarP(&o.Jobs, "jobs", "j", 0, "decode `n` files at a time (default: one per core); the result does not depend on it")
	f.BoolVar(&o.Wide, "wide", false, "table: every column and whole names, whatever the terminal's width")
	f.IntVar(&o.Width, "width", 0, "table: fit lines into `columns` (default: the terminal's width; no limit when not a terminal)")
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "no progress and no warnings on stderr")
	_ = c.RegisterFlagCompletionFunc("granularity", cobra.FixedCompletions([]string{"function", "line"}, cobra.ShellCompDirectiveNoFileComp))
	_ = c.RegisterFlagCompletionFunc("site", cobra.FixedCompletions([]string{"auto", "leaf"}, cobra.ShellCompDirectiveNoFileComp))
	_ = c.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"table", "json", "markdown", "html"}, cobra.ShellCompDirectiveNoFileComp))
}

// loadOptions validates the flags and turns them into profile options.
func (o *AnalyzeOptions) loadOptions() (profile.LoadOptions, error) {
	lopts := options.Load{Granularity: o.Granularity, Site: o.Site, SiteRegexp: o.SiteRegexp, SiteSkip: o.SiteSkip,
		Source: o.Source, SourceRegexp: o.SourceRegexp, SourceLabel: o.SourceLabel, MaxSize: o.MaxSize}
	lo, err := lopts.Options()
	if err != nil {
		return lo, usageErrorf("%v", err)
	}
	if o.Top < 1 {
		return lo, usageErrorf("--top must be at least 1 (got %d)", o.Top)
	}
	if _, err := diff.ParseSeverity(o.MinSeverity); err != nil {
		return lo, usageErrorf("--min-severity must be one of info, low, medium, high, critical (got %q)", o.MinSeverity)
	}
	if o.MemoryLimit != "" {
		if _, err := options.ParseSize(o.MemoryLimit); err != nil {
			return lo, usageErrorf("--memory-limit: %v", err)
		}
	}
	if o.Format != "" {
		if _, err := report.ParseFormat(o.Format); err != nil {
			return lo, usageErrorf("--format must be one of table, json, markdown, html (got %q)", o.Format)
		}
	}
	if o.FailOn != "" {
		if _, err := diff.ParseSeverity(o.FailOn); err != nil {
			return lo, usageErrorf("--fail-on must be one of info, low, medium, high, critical (got %q)", o.FailOn)
		}
	}
	if o.Jobs < 0 {
		return lo, usageErrorf("--jobs must be 0 (one per core) or more (got %d)", o.Jobs)
	}
	if o.Width < 0 {
		return lo, usageErrorf("--width must be 0 (the terminal's) or more (got %d)", o.Width)
	}
	lo.Workers = o.Jobs
	return lo, nil
}

func runAnalyze(ctx context.Context, opts *AnalyzeOptions, stdin io.Reader, stdout, stderr io.Writer) error {
	lo, err := opts.loadOptions()
	if err != nil {
		return err
	}
	cat, err := opts.prepare(&lo, stdin)
	if err != nil {
		return err
	}
	progress := !opts.Quiet && isTerminal(stderr)
	if progress {
		lo.Progress = func(done, total int) {
			fmt.Fprintf(stderr, "\rleakdiff: reading %d/%d files", done, total)
			if done == total {
				fmt.Fprint(stderr, "\r\033[K")
			}
		}
	}
	loaded, err := profile.Load(ctx, opts.Args, lo)
	if err != nil {
		return &exitError{code: ExitUsage, err: err}
	}
	defer loaded.Wait() // the folder's state, written beside the analysis
	warn := func(format string, args ...any) {
		if !opts.Quiet {
			// Paths and notes come from inputs: a name holding a newline
			// or an escape sequence must not fake a line or drive the
			// terminal.
			fmt.Fprintf(stderr, "leakdiff: warning: %s\n", profile.Printable(fmt.Sprintf(format, args...)))
		}
	}
	for _, sk := range loaded.Skipped {
		warn("%s: %v", sk.File, sk.Err)
	}
	for _, w := range loaded.Warnings {
		warn("%s", w)
	}
	for _, s := range loaded.Snapshots {
		for _, n := range s.Notes {
			warn("%s: %s", s.File, n)
		}
	}
	if len(loaded.Snapshots) == 0 {
		return usageErrorf("no usable snapshot in %s", describeArgs(opts.Args, loaded.Files))
	}
	if n := len(loaded.Skipped); opts.Strict && n > 0 {
		return usageErrorf("--strict: %d input(s) skipped (listed above); no report written", n)
	}
	minSev, _ := diff.ParseSeverity(opts.MinSeverity)
	var limit int64
	if opts.MemoryLimit != "" {
		limit, _ = options.ParseSize(opts.MemoryLimit)
	}
	rep, perNotes, err := report.NewContext(ctx, loaded.Snapshots, loaded.Files, loaded.Skipped, loaded.Warnings, report.Config{
		Catalog: cat, MemoryLimit: limit, MinSeverity: minSev, Top: opts.Top,
		Line: opts.Granularity == "line", Per: opts.Per, Generated: options.Generated(),
		Tool: report.Tool{Version: buildinfo.Version(), Command: commandLine(ctx)},
	})
	if err != nil {
		return err // interrupted during the analysis: write nothing
	}
	if len(rep.Set.Series) == 0 {
		warn("no heap, goroutine or metrics snapshot among the inputs: nothing to analyse")
	}
	for _, n := range perNotes {
		warn("--per: %s", n)
	}
	an := rep.Analysis
	format, _ := report.ParseFormat(opts.Format)
	color := opts.Output == "" && isTerminal(stdout) && os.Getenv("NO_COLOR") == ""
	rep.Width = opts.tableWidth(stdout)
	if err := ctx.Err(); err != nil {
		return err // interrupted during the analysis: write nothing
	}
	if err := writeReport(ctx, stdout, opts.Output, func(w io.Writer) error {
		return report.Render(w, rep, format, report.Options{Color: color})
	}); err != nil {
		return err
	}
	if opts.FailOn != "" {
		gate, _ := diff.ParseSeverity(opts.FailOn)
		n := 0
		for _, f := range an.Findings {
			if f.Severity >= gate {
				n++
			}
		}
		if n > 0 {
			return &exitError{code: ExitFindings, err: fmt.Errorf("--fail-on %s: %d finding(s) are %s or worse", gate, n, gate)}
		}
	}
	return nil
}

// writeReport writes to stdout, or to path. A regular file (new or not) is
// written whole or not at all: into a temporary file beside it, renamed
// over it once complete, keeping an existing file's permissions (a new one
// gets 0666 less the umask). A symbolic link is followed: its target is so
// written and the link stays. A device, FIFO or socket (/dev/stdout, a
// named pipe) is written through. Nothing is renamed into place once ctx
// is done: Ctrl-C or SIGTERM during the writing leaves no report.
func writeReport(ctx context.Context, stdout io.Writer, path string, write func(io.Writer) error) error {
	if path == "" || path == "-" {
		if err := write(stdout); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
		return ctx.Err()
	}
	target, err := reportTarget(path)
	if err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	mode := os.FileMode(0o666) &^ umask()
	if fi, err := os.Stat(target); err == nil {
		switch {
		case fi.IsDir():
			return fmt.Errorf("write report %s: is a directory", path)
		case !fi.Mode().IsRegular():
			return writeThrough(target, path, write)
		}
		mode = fi.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".*")
	if err != nil {
		// The temporary file's name means nothing to the user: say what
		// is wrong with the folder.
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = fmt.Errorf("folder %s: %w", filepath.Dir(target), pe.Err)
		}
		return fmt.Errorf("write report %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("write report %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), mode); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	return nil
}

// reportTarget follows path's symbolic links (up to 40, as the kernel
// does), even to a file that does not exist yet.
func reportTarget(path string) (string, error) {
	for range 40 {
		fi, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) || err == nil && fi.Mode()&fs.ModeSymlink == 0 {
			return path, nil
		}
		if err != nil {
			return "", err
		}
		link, err := os.Readlink(path)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(link) {
			link = filepath.Join(filepath.Dir(path), link)
		}
		path = link
	}
	return "", errors.New("too many levels of symbolic links")
}

// writeThrough writes to a device, FIFO or socket as it is.
func writeThrough(target, path string, write func(io.Writer) error) error {
	f, err := os.OpenFile(target, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("write report %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	return nil
}

func describeArgs(args []string, files int) string {
	s := strings.Join(args, " ")
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return fmt.Sprintf("%s (%d file(s) considered)", profile.Printable(s), files)
}

// tableWidth is the width the table fits: none with --wide, --width, or
// the terminal's when the report goes to one.
func (o *AnalyzeOptions) tableWidth(stdout io.Writer) int {
	switch {
	case o.Wide:
		return 0
	case o.Width == 0 && o.Output == "":
		return terminalWidth(stdout)
	}
	return o.Width
}

// terminalWidth is w's width in columns when it is a terminal, else 0 (no
// limit: a file or pipe gets whole lines).
func terminalWidth(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return 0
	}
	if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 0 {
		return cols
	}
	return 0
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// prepare loads the rule catalog and readies lo for a run that analyses:
// standard input, the cache, snapshots folded as they are read (only Align
// reads their values), the collector tuned.
func (o *AnalyzeOptions) prepare(lo *profile.LoadOptions, stdin io.Reader) (*rules.Catalog, error) {
	cat, err := loadCatalog(o.Rules, o.NoBuiltin)
	if err != nil {
		return nil, err
	}
	lo.Stdin = stdin
	lo.Decode.Cache, lo.State = cache.ForRun(o.Cache, o.NoCache, os.Getenv)
	lo.Fold = true
	tuneGC()
	return cat, nil
}

// tuneGC collects garbage when the heap has grown by 75 % instead of Go's
// default 100 %, unless GOGC says otherwise: a run's live heap only grows as
// the series fill, so the default lets the peak reach twice what is live.
// Measured on 2,000 heap and 2,000 goroutine snapshots: peak RSS 564 →
// 436 MiB, time unchanged within noise (1:48 → 1:41).
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(75)
	}
}

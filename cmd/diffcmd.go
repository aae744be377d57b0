package cmd

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/leakdiff/leakdiff/diff"
	"github.com/leakdiff/leakdiff/internal/options"
	"github.com/leakdiff/leakdiff/profile"
	"github.com/leakdiff/leakdiff/report"
)

// DiffOptions holds the diff command's flags.
type DiffOptions struct {
	Base, New   string
	Granularity string
	Site        string
	MaxSize     string
	Top         int
	Format      string
	Output      string
}

func newDiffCmd(stdin io.Reader) *cobra.Command {
	opts := &DiffOptions{}
	c := &cobra.Command{
		Use:   "diff BASE NEW",
		Short: "Compare two snapshots site by site",
		Long: `Compare two heap or goroutine snapshots, like go tool pprof -diff_base, but
aligned by site name rather than address, so that snapshots of different builds
or of a restarted process line up. Sites are ranked by absolute growth, with the
relative change beside it.

Two snapshots show a difference, not a trend: warm-up and noise look the same
as a leak. Use "leakdiff analyze" on a series to tell them apart.`,
		Example: `  leakdiff diff heap-0900.pb.gz heap-1700.pb.gz
  curl -s localhost:6060/debug/pprof/goroutine > now.pb.gz && leakdiff diff before.pb.gz now.pb.gz`,
		Args: cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Base, opts.New = args[0], args[1]
			return runDiff(c.Context(), opts, stdin, c.OutOrStdout(), c.ErrOrStderr())
		},
	}
	f := c.Flags()
	f.StringVar(&opts.Granularity, "granularity", "function", "tell sites apart by `mode`: function or line")
	f.StringVar(&opts.Site, "site", "auto", "which frame is a stack's site (`mode`): auto or leaf")
	f.StringVar(&opts.MaxSize, "max-snapshot-size", "128MiB", "refuse snapshots larger than this `size` once decompressed")
	f.IntVar(&opts.Top, "top", 20, "list at most `n` sites per metric")
	f.StringVarP(&opts.Format, "format", "f", "table", "output `format`: table, json, markdown or html")
	f.StringVarP(&opts.Output, "output", "o", "", "write the report to this `file` (written whole or not at all)")
	return c
}

func runDiff(ctx context.Context, opts *DiffOptions, stdin io.Reader, stdout, stderr io.Writer) error {
	ao := AnalyzeOptions{Granularity: opts.Granularity, Site: opts.Site, MaxSize: opts.MaxSize, Top: max(opts.Top, 1), MinSeverity: "medium", Format: opts.Format}
	lo, err := ao.loadOptions()
	if err != nil {
		return err
	}
	if opts.Top < 1 {
		return usageErrorf("--top must be at least 1 (got %d)", opts.Top)
	}
	lo.Stdin = stdin
	lo.Source = "diff"
	one := func(path string) (*profile.Snapshot, error) {
		l, err := profile.Load(ctx, []string{path}, lo)
		if err != nil {
			return nil, err
		}
		for _, sk := range l.Skipped {
			return nil, usageErrorf("%s: %v", sk.File, sk.Err)
		}
		if len(l.Snapshots) != 1 {
			return nil, usageErrorf("%s: want one snapshot file, found %d", path, len(l.Snapshots))
		}
		return &l.Snapshots[0], nil
	}
	base, err := one(opts.Base)
	if err != nil {
		return err
	}
	next, err := one(opts.New)
	if err != nil {
		return err
	}
	c, err := diff.Compare(base, next)
	if err != nil {
		return usageErrorf("%v", err)
	}
	format, _ := report.ParseFormat(opts.Format)
	cr := &report.CompareReport{Base: base, New: next, Comparison: c, Top: opts.Top, Generated: options.Generated()}
	if err := ctx.Err(); err != nil {
		return err // interrupted: write nothing
	}
	return writeReport(ctx, stdout, opts.Output, func(w io.Writer) error { return report.RenderCompare(w, cr, format) })
}

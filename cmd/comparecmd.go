package cmd

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/leakdiff/leakdiff/diff"
	"github.com/leakdiff/leakdiff/internal/buildinfo"
	"github.com/leakdiff/leakdiff/internal/options"
	"github.com/leakdiff/leakdiff/profile"
	"github.com/leakdiff/leakdiff/report"
)

// CompareOptions holds the compare command's flags.
type CompareOptions struct {
	AnalyzeOptions
	BaseSource, CandSource string
	MatchSources           bool
	Tolerance              float64
	MinSnapshots           int
	FailOnVerdicts         []string
}

func newCompareCmd(stdin io.Reader) *cobra.Command {
	opts := &CompareOptions{}
	c := &cobra.Command{
		Use:   "compare BASELINE CANDIDATE",
		Short: "Verify a fix or gate a regression: compare a baseline series with a candidate",
		Long: `Analyse two series of snapshots as "leakdiff analyze" does (a baseline, say
before a fix, and a candidate, after it or from a change under review),
match their sites by name, and give each site that leaks in either a verdict:

  fixed              leaks in the baseline; in the candidate the 95 % upper
                     bound of its slope is below --tolerance × the baseline's
                     pace (or the site is gone)
  better             leaks in the baseline; in the candidate no finding, or
                     half the pace or less, but a leak is not ruled out
  still leaking      leaks in both, at a comparable pace (the change is shown)
  worse              leaks in both, 1.5× faster or more in the candidate
  new leak           leaks in the candidate only
  too few snapshots  the candidate has fewer than --min-snapshots to tell

A leak is a rising finding of medium severity or worse. Balances of metrics
counters (adds − removes) get verdicts too: out of balance before, together
after is "fixed".

BASELINE and CANDIDATE are each a folder, file or glob. With
--baseline-source and --candidate-source, two sources of the same inputs are
compared instead (PATH... then names all inputs). Sites are matched whatever
their source's name when each side has one source, by source as well when
they have several (or with --match-sources).

--fail-on new-leak|still-leaking|worse (comma-separated, repeatable) exits 1
when a verdict says so, for CI: new-leak on a new leak; still-leaking on a
leak in both; worse on a faster leak or a new one.`,
		Example: `  # did the fix work? (snapshots of the old build, then of the new one)
  leakdiff compare ./before/ ./after/

  # in CI: fail a change that brings a leak back
  leakdiff compare --fail-on new-leak,worse ./baseline/ ./candidate/

  # two pods of one folder: the canary against the stable one
  leakdiff compare --baseline-source api-stable --candidate-source api-canary ./snapshots/`,
		Args: func(c *cobra.Command, args []string) error {
			if opts.BaseSource != "" || opts.CandSource != "" {
				if opts.BaseSource == "" || opts.CandSource == "" {
					return usageErrorf("--baseline-source and --candidate-source go together")
				}
				if len(args) == 0 {
					return usageErrorf("compare --baseline-source A --candidate-source B needs the PATH(s) holding both")
				}
				return nil
			}
			if len(args) != 2 {
				return usageErrorf("compare needs two paths, BASELINE and CANDIDATE (got %d)\n  e.g. leakdiff compare ./before/ ./after/", len(args))
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			opts.Args = args
			return runCompare(c.Context(), opts, stdin, c.OutOrStdout(), c.ErrOrStderr())
		},
	}
	addInputFlags(c, &opts.AnalyzeOptions)
	f := c.Flags()
	f.StringVar(&opts.BaseSource, "baseline-source", "", "compare this `source` of the inputs (the baseline) …")
	f.StringVar(&opts.CandSource, "candidate-source", "", "… with this `source` (the candidate)")
	f.BoolVar(&opts.MatchSources, "match-sources", false, "match sites of the same source name only")
	f.Float64Var(&opts.Tolerance, "tolerance", 0.1, "fixed: the candidate's slope is below this `fraction` of the baseline's pace, with 95 % confidence")
	f.IntVar(&opts.MinSnapshots, "min-snapshots", 6, "the fewest fitted candidate snapshots that tell a leak gone or new (`n`)")
	f.StringSliceVar(&opts.FailOnVerdicts, "fail-on", nil, "exit 1 on these `verdicts`: new-leak, still-leaking, worse (comma-separated)")
	_ = c.RegisterFlagCompletionFunc("fail-on", cobra.FixedCompletions([]string{"new-leak", "still-leaking", "worse"}, cobra.ShellCompDirectiveNoFileComp))
	return c
}

// failOnMatches says which verdicts a --fail-on value stands for.
var failOnMatches = map[string]func(sv *diff.SiteVerdict) bool{
	"new-leak":      func(sv *diff.SiteVerdict) bool { return sv.Verdict == diff.VerdictNewLeak },
	"still-leaking": func(sv *diff.SiteVerdict) bool { return sv.BaseLeak && sv.CandLeak },
	"worse": func(sv *diff.SiteVerdict) bool {
		return sv.Verdict == diff.VerdictWorse || sv.Verdict == diff.VerdictNewLeak
	},
}

func runCompare(ctx context.Context, opts *CompareOptions, stdin io.Reader, stdout, stderr io.Writer) error {
	opts.Top, opts.MinSeverity = 20, "medium"
	lo, err := opts.loadOptions()
	if err != nil {
		return err
	}
	for _, v := range opts.FailOnVerdicts {
		if failOnMatches[v] == nil {
			return usageErrorf("--fail-on must be new-leak, still-leaking or worse (got %q)", v)
		}
	}
	if opts.Tolerance <= 0 || opts.Tolerance >= 1 {
		return usageErrorf("--tolerance must be between 0 and 1 (got %g)", opts.Tolerance)
	}
	if opts.MinSnapshots < 3 {
		return usageErrorf("--min-snapshots must be at least 3 (got %d)", opts.MinSnapshots)
	}
	cat, err := (&opts.AnalyzeOptions).prepare(&lo, stdin)
	if err != nil {
		return err
	}
	warn := func(format string, args ...any) {
		if !opts.Quiet {
			fmt.Fprintf(stderr, "leakdiff: warning: %s\n", profile.Printable(fmt.Sprintf(format, args...)))
		}
	}
	var loads []*profile.Loaded
	defer func() { // the folders' states, written beside the analysis
		for _, l := range loads {
			l.Wait()
		}
	}()
	load := func(paths []string) (*profile.Loaded, error) {
		l, err := profile.Load(ctx, paths, lo)
		if err != nil {
			return nil, &exitError{code: ExitUsage, err: err}
		}
		loads = append(loads, l)
		for _, sk := range l.Skipped {
			warn("%s: %v", sk.File, sk.Err)
		}
		return l, nil
	}
	cfg := report.Config{Catalog: cat, MinSeverity: diff.SeverityMedium, Top: 20, Line: opts.Granularity == "line",
		Generated: options.Generated(), Tool: report.Tool{Version: buildinfo.Version(), Command: commandLine(ctx)}}
	side := func(label string, snaps []profile.Snapshot, l *profile.Loaded) (*report.Report, error) {
		if len(snaps) == 0 {
			return nil, usageErrorf("no usable snapshot in %s (%d file(s) considered)", profile.Printable(label), l.Files)
		}
		r, _, err := report.NewContext(ctx, snaps, l.Files, l.Skipped, l.Warnings, cfg)
		return r, err
	}
	var base, cand *report.Report
	var baseLabel, candLabel string
	if opts.BaseSource != "" {
		l, err := load(opts.Args)
		if err != nil {
			return err
		}
		pick := func(src string) []profile.Snapshot {
			var out []profile.Snapshot
			for _, s := range l.Snapshots {
				if s.Source == src {
					out = append(out, s)
				}
			}
			return out
		}
		baseLabel, candLabel = "source "+opts.BaseSource, "source "+opts.CandSource
		if base, err = side(baseLabel, pick(opts.BaseSource), l); err != nil {
			return err
		}
		if cand, err = side(candLabel, pick(opts.CandSource), l); err != nil {
			return err
		}
	} else {
		baseLabel, candLabel = opts.Args[0], opts.Args[1]
		lb, err := load(opts.Args[:1])
		if err != nil {
			return err
		}
		lc, err := load(opts.Args[1:])
		if err != nil {
			return err
		}
		if base, err = side(baseLabel, lb.Snapshots, lb); err != nil {
			return err
		}
		if cand, err = side(candLabel, lc.Snapshots, lc); err != nil {
			return err
		}
	}
	match := opts.MatchSources || base.Summary().Sources > 1 || cand.Summary().Sources > 1
	v := report.Verify(base, cand, diff.CompareOptions{MatchSources: match, Tolerance: opts.Tolerance, MinSnapshots: opts.MinSnapshots})
	v.BaseLabel, v.CandLabel = baseLabel, candLabel
	v.Width = opts.tableWidth(stdout)
	format, _ := report.ParseFormat(opts.Format)
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := writeReport(ctx, stdout, opts.Output, func(w io.Writer) error {
		return report.RenderVerification(w, v, format)
	}); err != nil {
		return err
	}
	var failed []string
	for _, name := range opts.FailOnVerdicts {
		n := 0
		for i := range v.Comparison.Verdicts {
			if failOnMatches[name](&v.Comparison.Verdicts[i]) {
				n++
			}
		}
		if n > 0 {
			failed = append(failed, fmt.Sprintf("%s: %d site(s)", name, n))
		}
	}
	if len(failed) > 0 {
		return &exitError{code: ExitFindings, err: fmt.Errorf("--fail-on %s", strings.Join(failed, "; "))}
	}
	return nil
}

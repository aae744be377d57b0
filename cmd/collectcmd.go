package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/leakdiff/leakdiff/collect"
	"github.com/leakdiff/leakdiff/internal/options"
	"github.com/leakdiff/leakdiff/profile"
)

// CollectOptions are the flags of leakdiff collect.
type CollectOptions struct {
	URLs         []string
	MetricsURLs  []string
	Sources      []string
	Kinds        []string
	Every        time.Duration
	Count        int
	For          time.Duration
	Out          string
	GC           bool
	Timeout      time.Duration
	Retries      int
	MaxSize      string
	AnalyzeEvery int
	Quiet        bool
}

const collectExamples = `  # a heap and a goroutine profile every 30 s for an hour, into ./snapshots/api
  leakdiff collect --url http://127.0.0.1:6060 --every 30s --for 1h --out ./snapshots --source api

  # a primary and a replica, 120 rounds, with a GC before each heap profile,
  # printing the ranking every 10 rounds
  leakdiff collect --url http://10.0.0.5:6060 --source primary \
    --url http://10.0.0.6:6060 --source replica \
    --every 1m --count 120 --gc --analyze-every 10 --out ./snapshots

  # also keep each /metrics text beside the profiles
  leakdiff collect --url http://127.0.0.1:6060 --metrics-url http://127.0.0.1:9090/metrics \
    --every 30s --count 60 --out ./snapshots

  # then
  leakdiff analyze ./snapshots`

func newCollectCmd() *cobra.Command {
	opts := &CollectOptions{}
	c := &cobra.Command{
		Use:   "collect --url URL [--url URL...] (--count N | --for DURATION) [flags]",
		Short: "Take a series of snapshots from running Go programs' net/http/pprof endpoints",
		Long: `collect scrapes the net/http/pprof endpoints of one or more running Go programs
at an interval (/debug/pprof/heap and /debug/pprof/goroutine by default) into a
folder that 'leakdiff analyze' reads as it is: one sub-folder per source, files
named KIND-TIME.pb.gz in UTC to the millisecond, so that time and source
survive copying.

Each --url is one source, named by the --source at the same position (default:
host_port). Bodies stream to a temporary file and are renamed when whole; no
file is ever replaced (a name already taken gets -1, -2, …). A body larger than
--max-snapshot-size is refused, never buffered, and the bodies held in memory
at once (to be checked) never add up to more than that.

Every scrape, good or failed, is a line of OUT/collect-index.jsonl (time, url,
kind, file, bytes, HTTP status, attempts, duration, error, round, scheduled,
late_ms); a failed scrape is retried with backoff within its round, recorded,
and the series goes on. Rounds start --every apart; one whose time passes while
the previous round (or the --analyze-every ranking) is still running starts
late, when that ends, says so in the index (late_ms), and the rounds after it
keep --every from it: no round is skipped, none are run back to back.

Requests go only to the URLs given, with a timeout (--timeout, default the
interval, at most 1m). Ctrl-C stops at once, leaves a valid folder, prints what
was taken and exits 130.`,
		Example: collectExamples,
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			return runCollect(c.Context(), opts, c.OutOrStdout(), c.ErrOrStderr())
		},
	}
	f := c.Flags()
	f.StringArrayVar(&opts.URLs, "url", nil, "base `URL` of a program's net/http/pprof (http://host:port or …/debug/pprof); repeatable, one source each")
	f.StringArrayVar(&opts.Sources, "source", nil, "source `name` (sub-folder) of the --url at the same position; default host_port")
	f.StringArrayVar(&opts.MetricsURLs, "metrics-url", nil, "also keep this Prometheus /metrics `URL`'s text each round, for the --url at the same position")
	f.StringSliceVar(&opts.Kinds, "kinds", []string{"heap", "goroutine"}, "profiles to take: heap, goroutine, goroutineleak (Go 1.26+)")
	f.DurationVar(&opts.Every, "every", 30*time.Second, "interval between rounds")
	f.IntVar(&opts.Count, "count", 0, "take `n` rounds, then stop")
	f.DurationVar(&opts.For, "for", 0, "collect for this long, then stop (instead of --count)")
	f.StringVarP(&opts.Out, "out", "o", "snapshots", "output `folder`")
	f.BoolVar(&opts.GC, "gc", false, "ask for a garbage collection before each heap profile (?gc=1): steadier in-use figures")
	f.DurationVar(&opts.Timeout, "timeout", 0, "per-request timeout (default: the interval, at most 1m)")
	f.IntVar(&opts.Retries, "retries", 2, "retry a failed scrape up to `n` times within its round, with backoff")
	f.StringVar(&opts.MaxSize, "max-snapshot-size", options.DefaultLoad().MaxSize, "refuse a response body larger than this `size`, or a profile inflating past it (e.g. 64MiB); also bounds the bodies held in memory at once")
	f.IntVar(&opts.AnalyzeEvery, "analyze-every", 0, "print the current ranking every `n` rounds (0: never)")
	f.BoolVarP(&opts.Quiet, "quiet", "q", false, "no progress line and no per-failure lines on stderr")
	_ = c.RegisterFlagCompletionFunc("kinds", cobra.FixedCompletions(collect.Kinds, cobra.ShellCompDirectiveNoFileComp))
	return c
}

func runCollect(ctx context.Context, opts *CollectOptions, stdout, stderr io.Writer) error {
	if len(opts.URLs) == 0 {
		return usageErrorf("give at least one --url")
	}
	if (opts.Count > 0) == (opts.For > 0) {
		return usageErrorf("give one of --count or --for")
	}
	if len(opts.Sources) > len(opts.URLs) || len(opts.MetricsURLs) > len(opts.URLs) {
		return usageErrorf("%d --source and %d --metrics-url for %d --url: at most one each per --url", len(opts.Sources), len(opts.MetricsURLs), len(opts.URLs))
	}
	if opts.AnalyzeEvery < 0 || opts.Retries < 0 {
		return usageErrorf("--analyze-every and --retries cannot be negative")
	}
	maxSize, err := options.ParseSize(opts.MaxSize)
	if err != nil {
		return usageErrorf("--max-snapshot-size: %v", err)
	}
	cfg := collect.Config{Kinds: opts.Kinds, Every: opts.Every, Count: opts.Count, For: opts.For, Out: opts.Out,
		GC: opts.GC, Timeout: opts.Timeout, Retries: opts.Retries, MaxSize: maxSize}
	for i, u := range opts.URLs {
		t := collect.Target{URL: u}
		if i < len(opts.Sources) {
			t.Source = opts.Sources[i]
		} else if pu, err := url.Parse(u); err == nil {
			t.Source = strings.NewReplacer(":", "_", "[", "", "]", "").Replace(pu.Host)
		}
		if i < len(opts.MetricsURLs) {
			t.MetricsURL = opts.MetricsURLs[i]
		}
		cfg.Targets = append(cfg.Targets, t)
	}
	total := opts.Count
	if total == 0 {
		total = int((opts.For + opts.Every - 1) / opts.Every)
	}
	progress := !opts.Quiet && isTerminal(stderr)
	failures := 0
	cfg.AfterRound = func(round int, entries []collect.Entry) {
		for _, e := range entries {
			if !e.OK() {
				failures++
				if !opts.Quiet {
					if progress {
						fmt.Fprint(stderr, "\r\033[K")
					}
					fmt.Fprintf(stderr, "leakdiff: warning: %s %s: %s (%d attempt(s))\n", e.Source, e.Kind, profile.Printable(e.Error), e.Attempts)
				}
			}
		}
		if progress {
			fmt.Fprintf(stderr, "\rleakdiff: round %d/%d, %d failed scrapes, next in %s ", round, total, failures, opts.Every)
		}
		if opts.AnalyzeEvery > 0 && round%opts.AnalyzeEvery == 0 && round < total {
			if progress {
				fmt.Fprint(stderr, "\r\033[K")
			}
			liveRanking(ctx, opts.Out, round, stdout, stderr)
		}
	}
	sum, err := collect.Run(ctx, cfg)
	if progress {
		fmt.Fprint(stderr, "\r\033[K")
	}
	if err != nil {
		return usageErrorf("collect: %v", err)
	}
	state := "done"
	if sum.Interrupted {
		state = "interrupted"
	}
	if !opts.Quiet {
		late := ""
		if sum.Late > 0 {
			late = fmt.Sprintf(", %d rounds started late", sum.Late)
		}
		fmt.Fprintf(stderr, "leakdiff: collect %s: %d rounds, %d files, %d failed scrapes%s (see %s); next: leakdiff analyze %s\n",
			state, sum.Rounds, sum.Files, sum.Failures, late, collect.IndexName, opts.Out)
	}
	if sum.Interrupted {
		// Like analyze: 130 (128 + SIGINT); the folder is valid and the
		// summary above says what was taken.
		return &exitError{code: ExitInterrupted, err: errSilent}
	}
	if sum.Files == 0 {
		return &exitError{code: ExitUsage, err: fmt.Errorf("nothing collected: every scrape failed (see %s)", filepath.Join(opts.Out, collect.IndexName))}
	}
	if opts.AnalyzeEvery > 0 {
		liveRanking(ctx, opts.Out, sum.Rounds, stdout, stderr)
	}
	return nil
}

// liveRanking prints the ranking of what is collected so far.
func liveRanking(ctx context.Context, out string, round int, stdout, stderr io.Writer) {
	fmt.Fprintf(stdout, "== after %d rounds (%s)\n", round, time.Now().UTC().Format(time.RFC3339))
	// The analyze command itself, so that its flag defaults apply.
	a := newAnalyzeCmd(nil, nil)
	a.SilenceUsage, a.SilenceErrors = true, true
	a.SetArgs([]string{"--quiet", "--top", "5", out})
	a.SetOut(stdout)
	a.SetErr(stderr)
	if err := a.ExecuteContext(ctx); err != nil {
		var ee *exitError
		if (!errors.As(err, &ee) || ee.code != ExitFindings) && ctx.Err() == nil {
			fmt.Fprintf(stderr, "leakdiff: analysis after %d rounds: %v\n", round, err)
		}
	}
	fmt.Fprintln(stdout)
}

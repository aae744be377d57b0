// Command leakdiff-beam is leakdiff's fleet mode: an Apache Beam pipeline
// that analyses the snapshot series of every source (process) under its
// inputs, each exactly as leakdiff analyze would, and summarises the leaks
// that recur across each service.
//
// Usage:
//
//	leakdiff-beam --input PATTERN [--input PATTERN...] --output FOLDER [flags] [Beam flags]
//
// Examples:
//
//	# on this machine, with Beam's Prism runner (the default)
//	leakdiff-beam --input 'fleet/*/*/*.pb.gz' --output out/
//
//	# on Google Cloud Dataflow
//	leakdiff-beam --input 'gs://bucket/snapshots/*/*/*.pb.gz' --output gs://bucket/leakdiff/ \
//	    --runner dataflow --project my-project --region europe-west1 \
//	    --staging_location gs://bucket/staging --temp_location gs://bucket/tmp
//
//	# on a Flink job server
//	leakdiff-beam --input '/mnt/fleet/*/*/*' --output /mnt/leakdiff/ --runner flink --endpoint localhost:8099
//
// It writes OUTPUT/sources/SERVICE/SOURCE.json (one leakdiff.report/v1 report
// per source), OUTPUT/fleet-summary.json (schema leakdiff.fleet/v1) and
// OUTPUT/fleet-summary.md. A local folder given as --input is walked: each
// folder holding files is matched. See the README's "Fleet" section.
package main

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"

	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/s3"

	"github.com/leakdiff/leakdiff/beam/fleet"
	"github.com/leakdiff/leakdiff/internal/options"
)

// list is a repeatable flag whose values may also be comma-separated.
type list []string

func (l *list) String() string { return strings.Join(*l, ",") }
func (l *list) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

var (
	inputs      list
	ruleFiles   list
	siteSkip    list
	output      = flag.String("output", "", "folder for the reports: local or any Beam filesystem (gs://, s3://)")
	noBuiltin   = flag.Bool("no-builtin-rules", false, "leave out the built-in rule catalog")
	minSeverity = flag.String("min-severity", "medium", "least severity a report lists and the summary counts as leaking: info, low, medium, high, critical")
	top         = flag.Int("top", 20, "list at most n findings per source report")
	memoryLimit = flag.String("memory-limit", "", "project when each source's in-use heap reaches this size (e.g. 4GiB)")
	service     = flag.String("service", "path:1", "how a source's service is named: path:N (the N-th folder above its files; 1 is the folder holding the source's folder) or label:KEY (a profile label)")
	granularity = flag.String("granularity", "function", "tell sites apart by function or line")
	site        = flag.String("site", "auto", "which frame is a stack's site: auto or leaf")
	siteRegexp  = flag.String("site-regexp", "", "take as site the leaf-most frame whose function matches this regexp")
	source      = flag.String("source", "", "put every input into one source of this name")
	sourceRe    = flag.String("source-regexp", "", "take the source from the file's base name: the group named source, else the first group")
	sourceLabel = flag.String("source-label", "", "take the source from this pprof/goroutine label")
	maxSize     = flag.String("max-snapshot-size", "128MiB", "refuse snapshots larger than this size once decompressed")
)

func init() {
	flag.Var(&inputs, "input", "file `pattern` to read (repeatable or comma-separated): a glob, a local folder, or gs://, s3:// patterns")
	flag.Var(&ruleFiles, "rules", "also load rules from this YAML `file` (repeatable)")
	flag.Var(&siteSkip, "site-skip", "never take frames whose function matches this `regexp` as a site (repeatable)")
}

func main() {
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "Usage: leakdiff-beam --input PATTERN --output FOLDER [flags] [Beam flags: --runner, --endpoint, --project, ...]")
		flag.PrintDefaults()
	}
	flag.Parse()
	beam.Init()
	c, err := config()
	if err != nil {
		fmt.Fprintf(os.Stderr, "leakdiff-beam: %v\n", err)
		os.Exit(2)
	}
	p, s := beam.NewPipelineWithRoot()
	fleet.Build(s, c)
	if err := beamx.Run(context.Background(), p); err != nil {
		fmt.Fprintf(os.Stderr, "leakdiff-beam: %v\n", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "leakdiff-beam: wrote %s\n", strings.TrimRight(c.Output, "/")+"/fleet-summary.md")
}

// config checks the flags and builds the pipeline's configuration; rule
// files are read here, on the machine that launches the job.
func config() (fleet.Config, error) {
	c := fleet.Config{Output: *output, NoBuiltinRules: *noBuiltin, MinSeverity: *minSeverity, Top: *top, Service: *service,
		Load: options.Load{Granularity: *granularity, Site: *site, SiteRegexp: *siteRegexp, SiteSkip: siteSkip,
			Source: *source, SourceRegexp: *sourceRe, SourceLabel: *sourceLabel, MaxSize: *maxSize},
		Generated: options.Generated()}
	for _, in := range inputs {
		c.Inputs = append(c.Inputs, expandLocal(in)...)
	}
	if *memoryLimit != "" {
		n, err := options.ParseSize(*memoryLimit)
		if err != nil {
			return c, fmt.Errorf("--memory-limit: %v", err)
		}
		c.MemoryLimit = n
	}
	for _, f := range ruleFiles {
		data, err := os.ReadFile(f)
		if err != nil {
			return c, fmt.Errorf("--rules: %w", err)
		}
		c.Rules = append(c.Rules, fleet.RuleFile{Name: f, Data: string(data)})
	}
	return c, c.Check()
}

// expandLocal turns a local folder into a pattern for each folder under it
// that holds files (Beam's globs do not recurse); hidden entries are left
// out, as leakdiff analyze leaves them. Anything else is a pattern as is.
func expandLocal(in string) []string {
	if strings.Contains(in, "://") {
		return []string{in}
	}
	fi, err := os.Stat(in)
	if err != nil || !fi.IsDir() {
		return []string{in}
	}
	var out []string
	seen := map[string]bool{}
	_ = filepath.WalkDir(in, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if p != in && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.IsDir() && d.Type().IsRegular() {
			pattern := filepath.Join(filepath.Dir(p), "*")
			if !seen[pattern] {
				seen[pattern] = true
				out = append(out, pattern)
			}
		}
		return nil
	})
	if len(out) == 0 {
		return []string{in}
	}
	return out
}

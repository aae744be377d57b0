package fleet_test

import (
	"os"
	"time"

	"github.com/leakdiff/leakdiff/beam/fleet"
)

// ExampleSummarize summarises the results of three instances of a service,
// one of which leaks.
func ExampleSummarize() {
	results := []fleet.SourceResult{
		{Service: "api", Source: "api-0", Files: 48, Snapshots: 48, Report: "out/sources/api/api-0.json",
			Findings: []fleet.FindingResult{{Kind: "heap", Metric: "inuse_space", Unit: "bytes", Site: "example.com/svc/session.(*Store).track",
				Severity: "high", Shape: "linear", SlopePerHour: 2 << 20}}},
		{Service: "api", Source: "api-1", Files: 48, Snapshots: 48},
		{Service: "api", Source: "api-2", Files: 48, Snapshots: 48},
	}
	sum := fleet.Summarize(results, nil, "medium", time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC))
	fleet.WriteMarkdown(os.Stdout, sum)
	// Output:
	// # leakdiff fleet summary
	//
	// **Analysed:** 144 files, 144 snapshots, 3 sources in 1 service; 0 files skipped. Leaking means a finding medium or worse. Generated at 2026-11-29T00:00:00Z.
	//
	// ## api: 1 of 3 sources leak
	//
	// | site | kind | rule | leaks in | total rate | worst |
	// |---|---|---|---:|---:|---|
	// | `example.com/svc/session.(*Store).track` | heap | — | 1 of 3 | +2 MiB/h | api-0 (high) |
	//
	// **Outliers:**
	//
	// - heap example.com/svc/session.(\*Store).track leaks in 1 of the 3 sources of api (api-0); the other 2, running the same program, do not
}

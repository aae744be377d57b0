package e2e

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/leakdiff/leakdiff/diff"
	"github.com/leakdiff/leakdiff/profile"
	"github.com/leakdiff/leakdiff/report"
	"github.com/leakdiff/leakdiff/rules"
)

// TestWorkersDoNotChangeResults: one decoding worker or several give the
// same report, byte for byte (results are stored by index, never in
// completion order).
func TestWorkersDoNotChangeResults(t *testing.T) {
	t.Parallel()
	dirs := []string{filepath.Join(fixturesDir, "remotedialer"), filepath.Join(fixturesDir, "tombstones"), filepath.Join(fixturesDir, "restart")}
	run := func(workers int) []byte {
		l, err := profile.Load(context.Background(), dirs, profile.LoadOptions{Workers: workers, Decode: profile.DecodeOptions{Sites: profile.DefaultSitePolicy()}})
		if err != nil {
			t.Fatal(err)
		}
		set := profile.Align(l.Snapshots)
		an := diff.Analyze(set, diff.Options{})
		r := &report.Report{Files: l.Files, Set: set, Analysis: an, Skipped: l.Skipped, MinSeverity: diff.SeverityInfo, Top: 1 << 20,
			Matches: rules.Annotate(an, rules.Builtin()), Asymmetries: an.Asymmetries(), Generated: time.Unix(0, 0)}
		var buf bytes.Buffer
		if err := report.WriteJSON(&buf, r); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	one := run(1)
	for _, n := range []int{2, 8} {
		if got := run(n); !bytes.Equal(got, one) {
			t.Errorf("%d workers: report differs from 1 worker's (%d vs %d bytes)", n, len(got), len(one))
		}
	}
}

package cmd

import (
	"os"
	"strings"
	"testing"
)

// TestMain fixes the reports' "generated at" time so golden files are
// stable (see options.Generated). With LEAKDIFF_MAIN=1 the test binary is
// leakdiff itself (Main with LEAKDIFF_ARGS, separated by the unit separator \x1f), for tests
// that signal a real process.
func TestMain(m *testing.M) {
	os.Setenv("SOURCE_DATE_EPOCH", "1763800000")
	if os.Getenv("LEAKDIFF_MAIN") == "1" {
		os.Args = append([]string{"leakdiff"}, strings.Split(os.Getenv("LEAKDIFF_ARGS"), "\x1f")...)
		os.Exit(Main())
	}
	os.Exit(m.Run())
}

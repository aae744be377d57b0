package cmd

import (
	"os"
	"testing"
)

// TestMain fixes the reports' "generated at" time so golden files are
// stable (see options.Generated).
func TestMain(m *testing.M) {
	os.Setenv("SOURCE_DATE_EPOCH", "1763800000")
	os.Exit(m.Run())
}

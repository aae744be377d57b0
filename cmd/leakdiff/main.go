// Command leakdiff finds memory and goroutine leaks in a series of pprof
// snapshots.
//
// See doc.go for the manual.
package main

import (
	"os"

	"github.com/leakdiff/leakdiff/cmd"
)

func main() {
	os.Exit(cmd.Main())
}

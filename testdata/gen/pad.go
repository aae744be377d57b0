//go:build pad

// This file is compiled only with -tags pad (testdata/builds/b). It links in
// package ballast so that code and data addresses shift relative to the
// plain build (testdata/builds/a).

package main

import (
	"os"

	"github.com/leakdiff/leakdiff/testdata/gen/internal/ballast"
)

func init() {
	// The condition is never true in practice, but the compiler cannot know
	// that, so ballast.Weight and ballast.Table survive dead-code elimination.
	if os.Getenv("LEAKDIFF_GEN_NEVER_SET") == "ballast" {
		println(ballast.Weight(len(os.Args)))
	}
}

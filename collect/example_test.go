package collect_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/http/pprof"
	"os"
	"time"

	"github.com/leakdiff/leakdiff/collect"
)

// Collect three goroutine profiles of a process, one every 100 ms, into a
// folder leakdiff analyze reads.
func ExampleRun() {
	srv := httptest.NewServer(pprof.Handler("goroutine")) // a program's net/http/pprof
	defer srv.Close()
	out, _ := os.MkdirTemp("", "snapshots")
	defer os.RemoveAll(out)

	sum, err := collect.Run(context.Background(), collect.Config{
		Targets: []collect.Target{{Source: "api", URL: srv.URL}},
		Kinds:   []string{"goroutine"},
		Every:   100 * time.Millisecond,
		Count:   3,
		Out:     out,
	})
	fmt.Println(sum.Rounds, "rounds,", sum.Files, "files,", sum.Failures, "failures,", err)
	// Output: 3 rounds, 3 files, 0 failures, <nil>
}

package profile_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/leakdiff/leakdiff/profile"
)

func ExampleParseGoroutineDump() {
	dump := `goroutine 1 [running]:
main.main()
	/src/app/main.go:12 +0x1d

goroutine 17 [chan send, 42 minutes]:
example.com/app/worker.(*Pool).run(0xc000012345)
	/src/app/worker/pool.go:88 +0x3c
created by example.com/app/worker.Start in goroutine 1
	/src/app/worker/pool.go:40 +0x99
`
	_, err := profile.ParseGoroutineDump(strings.NewReader(dump), func(g *profile.Goroutine) error {
		fmt.Printf("goroutine %d [%s, waiting %v] at %s", g.ID, g.State, g.Wait, g.Stack[0].Function)
		if g.CreatedBy.Function != "" {
			fmt.Printf(", started by %s", g.CreatedBy.Function)
		}
		fmt.Println()
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// goroutine 1 [running, waiting 0s] at main.main
	// goroutine 17 [chan send, waiting 42m0s] at example.com/app/worker.(*Pool).run, started by example.com/app/worker.Start
}

func ExampleSitePolicy_SiteOf() {
	p := profile.DefaultSitePolicy()
	stack := profile.Stack{
		{Function: "runtime.gopark"},
		{Function: "bufio.(*Reader).fill"},
		{Function: "github.com/rancher/remotedialer.(*readBuffer).Read"},
		{Function: "github.com/rancher/remotedialer.pipe.func2"},
	}
	fmt.Println(p.SiteOf(stack).Function)
	// A goroutine entirely in the standard library is known by its entry.
	fmt.Println(p.SiteOf(profile.Stack{{Function: "runtime.gopark"}, {Function: "runtime.selectgo"}, {Function: "net/http.(*persistConn).readLoop"}}).Function)
	// Output:
	// github.com/rancher/remotedialer.(*readBuffer).Read
	// net/http.(*persistConn).readLoop
}

func ExampleAlign() {
	snap := func(file string, sec int, v int64) profile.Snapshot {
		return profile.Snapshot{
			File: file, Source: "api", Kind: profile.KindGoroutine, TimeFrom: profile.TimeFromFileName,
			Time:    mustTime(file),
			Metrics: []profile.Metric{{Name: "goroutines", Unit: "count"}}, Totals: []int64{v},
			Sites:  []profile.SiteValue{{Site: profile.Site{Function: "main.leak"}, Values: []int64{v}}},
			Digest: uint64(sec),
		}
	}
	set := profile.Align([]profile.Snapshot{
		snap("goroutine-20261121T225200Z.txt", 2, 30),
		snap("goroutine-20261121T225000Z.txt", 0, 10),
		snap("goroutine-20261121T225100Z.txt", 1, 20),
	})
	s := set.Series[0]
	fmt.Println(s.Source, s.Kind, len(s.Times), "snapshots:", s.Sites[0].Site.Function, s.Sites[0].Values())
	// Output: api goroutine 3 snapshots: main.leak [10 20 30]
}

func mustTime(name string) time.Time {
	t, ok := profile.TimeFromName(name)
	if !ok {
		panic(name)
	}
	return t
}

// Command fleetgen writes the generated fleet of leakdiff-beam's tests
// (fleetgen.Plan: 200 instances of three services, leaks planted in 13),
// to try or measure the fleet mode:
//
//	go run ./internal/fleetgen/cmd/fleetgen -out /tmp/fleet
//	go run ./cmd/leakdiff-beam --input '/tmp/fleet/*/*/*' --output /tmp/fleet-out
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/leakdiff/leakdiff/beam/internal/fleetgen"
)

func main() {
	c := fleetgen.Small
	flag.StringVar(&c.Root, "out", "fleet", "folder to write SERVICE/SOURCE/*.pb.gz into")
	flag.IntVar(&c.Snapshots, "n", c.Snapshots, "snapshots per kind per instance")
	flag.IntVar(&c.Stacks, "stacks", c.Stacks, "heap stacks per profile")
	flag.IntVar(&c.Workers, "workers", 2, "instances written at once")
	flag.Parse()
	began := time.Now()
	if err := fleetgen.Write(c, fleetgen.Plan); err != nil {
		fmt.Fprintf(os.Stderr, "fleetgen: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("fleetgen: wrote %s in %s\n", c.Root, time.Since(began).Round(time.Second))
}

// Package fleetgen writes a generated fleet: the snapshot series of many
// instances of a few services (internal/bigseries profiles), with leaks
// planted in some instances of some services, for leakdiff-beam's tests
// and measurements.
package fleetgen

import (
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/leakdiff/leakdiff/internal/bigseries"
)

// Service is one service of the fleet: its instances, and the planted
// site (a bigseries.PlantedSites name, "" for none) that leaks in the
// first Leaking of them; in every other instance all leaks are stopped.
type Service struct {
	Name      string
	Instances int
	LeakSite  string
	Leaking   int
}

// Plan is the fleet of the tests: 200 instances of three services.
var Plan = []Service{
	{"api", 100, "example.com/svc/session.(*Store).track", 10},
	{"worker", 60, "example.com/svc/rpc.(*Client).watch.func2", 3},
	{"gateway", 40, "", 0},
}

// Config says how large each instance's series is.
type Config struct {
	Root            string        // files go to Root/SERVICE/SERVICE-NNN/
	Snapshots       int           // per kind (heap and goroutine)
	Stacks          int           // heap stacks per profile
	GoroutineStacks int           // goroutine stacks per profile
	Interval        time.Duration // between snapshots
	Workers         int           // instances written at once
}

// Small is the size of the tests' fleet: 24 snapshots of each kind, small
// profiles.
var Small = Config{Snapshots: 24, Stacks: 120, GoroutineStacks: 60, Interval: 10 * time.Minute, Workers: 2}

// Source names instance i of a service.
func Source(service string, i int) string { return fmt.Sprintf("%s-%03d", service, i) }

// Write generates every instance of plan under c.Root.
func Write(c Config, plan []Service) error {
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	sem := make(chan struct{}, max(c.Workers, 1))
	for si, p := range plan {
		for i := range p.Instances {
			leak := ""
			if i < p.Leaking {
				leak = p.LeakSite
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				_, err := bigseries.Generate(bigseries.Config{Out: filepath.Join(c.Root, p.Name), Source: Source(p.Name, i),
					Snapshots: c.Snapshots, Seed: uint64(1000*si + i), Stacks: c.Stacks, GoroutineStacks: c.GoroutineStacks,
					Interval: c.Interval, Workers: 1, Sites: sitesFor(leak)})
				if err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// sitesFor returns the planted sites of an instance: every leak stopped
// but the one it has.
func sitesFor(leak string) []bigseries.Site {
	sites := slices.Clone(bigseries.PlantedSites)
	for i := range sites {
		if sites[i].Leak && sites[i].Name != leak {
			sites[i].PerHour = 0
		}
	}
	return sites
}

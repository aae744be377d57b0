// Command restart is a leaking service that is restarted: (*Registry).Register
// keeps every entry for good (heap) and starts a goroutine per entry that
// blocks forever in watchEntry. One life writes 15 snapshots and exits; a new
// process of the same binary then writes 15 more into the same source folder,
// with simulated times continuing after a gap. Memory and goroutines drop
// back to baseline and grow again at the same rate. An analyzer must see the
// restart (same build ID, but the heap profiles' cumulative allocation counts
// go down) and report both leaks in the last life.
//
// Regenerate the fixture (one command, both lives):
//
//	cd testdata/scenarios && go run ./restart -out ../fixtures/restart
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/leakdiff/leakdiff/testdata/scenarios/internal/snap"
)

const (
	entrySize       = 16 << 10 // payload kept per registration
	regsPerTick     = 16       // 256 KiB and 16 goroutines per tick
	gapBetweenLives = 5 * time.Minute
)

// Entry is one registered client.
type Entry struct {
	ID      int
	Payload []byte
	done    chan struct{} // never closed: the watcher never ends
}

// Registry keeps every entry ever registered: nothing deregisters.
type Registry struct {
	entries map[int]*Entry
}

// Register stores a new entry for good (the heap leak) and starts its
// watcher (the goroutine leak).
func (r *Registry) Register(id int) {
	e := &Entry{ID: id, Payload: make([]byte, entrySize), done: make(chan struct{})}
	for i := range e.Payload {
		e.Payload[i] = byte(id + i)
	}
	r.entries[id] = e
	go watchEntry(e)
}

// watchEntry waits for the entry to be removed, which never happens.
func watchEntry(e *Entry) {
	<-e.done
}

// runLives runs the program's lives one after another, each a new process
// (os.Args[0] again with -lives 1). Each life writes into a hidden folder
// under OUT (snap empties its output folder at start), whose files are then
// moved into OUT/SOURCE. Life k starts, in simulated time, a gap after the
// last snapshot of life k-1.
func runLives(o *snap.Options, lives int) error {
	span := time.Duration(o.N-1)*o.SimInterval + gapBetweenLives
	dst := filepath.Join(o.Out, o.Source)
	for k := range lives {
		tmp := filepath.Join(o.Out, ".life"+strconv.Itoa(k+1))
		args := append(os.Args[1:len(os.Args):len(os.Args)],
			"-lives=1",
			"-out="+tmp,
			"-sim-start="+o.SimStart.Add(time.Duration(k)*span).Format(time.RFC3339))
		cmd := exec.Command(os.Args[0], args...)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("life %d: %w", k+1, err)
		}
		files, err := os.ReadDir(filepath.Join(tmp, o.Source))
		if err != nil {
			return err
		}
		for _, f := range files {
			if err := os.Rename(filepath.Join(tmp, o.Source, f.Name()), filepath.Join(dst, f.Name())); err != nil {
				return err
			}
		}
		if err := os.RemoveAll(tmp); err != nil {
			return err
		}
	}
	return nil
}

func main() {
	lives := 2
	snap.Main(snap.Options{
		Source:      "svc",
		N:           15,
		Every:       time.Second,
		SimInterval: time.Minute,
		SimStart:    time.Date(2026, 11, 21, 22, 0, 0, 0, time.UTC),
		Formats:     "proto",
		GC:          true,
		// Sample about every 16 KiB so each 16 KiB payload is usually seen
		// and the growth is a clean line.
		MemProfileRate: 16 << 10,
	}, func(fs *flag.FlagSet) {
		fs.IntVar(&lives, "lives", lives, "number of process lives, run one after another (1: just this process)")
	}, func(o *snap.Options) (func(int), error) {
		if lives > 1 {
			// The driver: it writes no snapshots itself (snap has just
			// emptied OUT/SOURCE for it), it runs the lives and ends.
			if err := runLives(o, lives); err != nil {
				return nil, err
			}
			os.Exit(0)
		}
		r := &Registry{entries: map[int]*Entry{}}
		next := 0
		return func(int) {
			for range regsPerTick {
				r.Register(next)
				next++
			}
		}, nil
	})
}

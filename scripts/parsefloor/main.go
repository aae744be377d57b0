// Command parsefloor is the parse floor of a leakdiff benchmark: it runs
// github.com/google/pprof/profile.ParseData on every file given (files, or
// folders walked for regular files), one worker per core, and nothing else.
// It prints the file count and the total number of samples.
//
//	go run ./scripts/parsefloor [-workers N] FILE|DIR...
package main

import (
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/google/pprof/profile"
)

func main() {
	workers := flag.Int("workers", runtime.NumCPU(), "files parsed at once")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: parsefloor [-workers N] FILE|DIR...")
		os.Exit(2)
	}
	var files []string
	for _, arg := range flag.Args() {
		err := filepath.WalkDir(arg, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if path != arg && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() && !strings.HasPrefix(d.Name(), ".") {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "parsefloor:", err)
			os.Exit(1)
		}
	}
	var samples, failed atomic.Int64
	jobs := make(chan string)
	var wg sync.WaitGroup
	for range max(*workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range jobs {
				b, err := os.ReadFile(f)
				if err == nil {
					var p *profile.Profile
					if p, err = profile.ParseData(b); err == nil {
						samples.Add(int64(len(p.Sample)))
						continue
					}
				}
				failed.Add(1)
				fmt.Fprintf(os.Stderr, "parsefloor: %s: %v\n", f, err)
			}
		}()
	}
	for _, f := range files {
		jobs <- f
	}
	close(jobs)
	wg.Wait()
	fmt.Printf("%d files, %d samples\n", len(files), samples.Load())
	if failed.Load() > 0 {
		os.Exit(1)
	}
}

package fleet

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/leakdiff/leakdiff/internal/bigseries"
	"github.com/leakdiff/leakdiff/internal/options"
	"github.com/leakdiff/leakdiff/profile"
)

// BenchmarkDecode measures the fleet's per-snapshot work on production-sized
// profiles (internal/bigseries at the size of scripts/bench: 20,000 heap
// stacks, 2,000 goroutine stacks): reading and reducing a file (what
// leakdiff analyze does per file) and, for the pipeline, encoding the
// result to travel between stages. Its CPU per snapshot is the basis of
// the README's capacity estimate.
func BenchmarkDecode(b *testing.B) {
	dir := b.TempDir()
	res, err := bigseries.Generate(bigseries.Config{Out: dir, Source: "api", Snapshots: 4, Seed: 1, Stacks: 20000,
		GoroutineStacks: 2000, Interval: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	var data [][]byte
	var names []string
	for _, f := range res.Files {
		d, err := os.ReadFile(f.Path)
		if err != nil {
			b.Fatal(err)
		}
		data, names = append(data, d), append(names, filepath.Base(f.Path))
	}
	ld := options.DefaultLoad()
	lo, _ := ld.Options()
	for _, encode := range []bool{false, true} {
		name := "read"
		if encode {
			name = "read+encode"
		}
		b.Run(name, func(b *testing.B) {
			var in, out int64
			for i := 0; b.Loop(); i++ {
				k := i % len(data)
				lo.Decode.Interner = profile.NewInterner()
				s, err := profile.ReadFile(bytes.NewReader(data[k]), int64(len(data[k])), names[k], &lo.Decode, time.Now())
				if err != nil {
					b.Fatal(err)
				}
				in += int64(len(data[k]))
				if encode {
					enc, _ := s.MarshalBinary()
					out += int64(len(enc))
				}
			}
			b.ReportMetric(float64(in)/float64(b.N), "file-bytes/op")
			if encode {
				b.ReportMetric(float64(out)/float64(b.N), "encoded-bytes/op")
			}
		})
	}
}

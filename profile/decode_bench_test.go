package profile

import (
	"os"
	"testing"
	"time"

	"github.com/leakdiff/leakdiff/internal/bigseries"
)

// benchFiles are real heap and goroutine profiles of different sizes.
var benchFiles = []string{
	corpusDir + "/dd-trace-go/big-heap.pprof",
	corpusDir + "/pyroscope-apache/heap.pb.gz",
	fixtures + "fixtures/etcdwatch/etcd/goroutine-20261121T140310Z.pb.gz",
}

func BenchmarkDecode(b *testing.B) {
	for _, f := range benchFiles {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Skipf("%s: %v", f, err)
		}
		b.Run(f[len(f)-min(len(f), 28):], func(b *testing.B) {
			opts := &DecodeOptions{Sites: DefaultSitePolicy()}
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Decode(data, f, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecodeSeries decodes a small series of large generated heap and
// goroutine snapshots (internal/bigseries, as scripts/bench uses) with one
// Interner per op, as one Load does.
func BenchmarkDecodeSeries(b *testing.B) {
	res, err := bigseries.Generate(bigseries.Config{
		Out: b.TempDir(), Source: "api", Snapshots: 4, Seed: 1,
		Stacks: 20000, GoroutineStacks: 2000, Interval: time.Minute,
	})
	if err != nil {
		b.Fatal(err)
	}
	var data [][]byte
	var size int64
	for _, f := range res.Files {
		d, err := os.ReadFile(f.Path)
		if err != nil {
			b.Fatal(err)
		}
		data, size = append(data, d), size+int64(len(d))
	}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		opts := &DecodeOptions{Sites: DefaultSitePolicy(), Interner: NewInterner()}
		for i, d := range data {
			if _, err := Decode(d, res.Files[i].Path, opts); err != nil {
				b.Fatal(err)
			}
		}
	}
}

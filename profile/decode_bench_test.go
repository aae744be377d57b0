package profile

import (
	"os"
	"testing"
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

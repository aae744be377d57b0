package profile

import (
	"bytes"
	"compress/gzip"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// seedFiles adds every fixture and corpus file (up to 16 KiB each: big seeds make minimization slow) to f.
func seedFiles(f *testing.F, dirs ...string) {
	for _, dir := range dirs {
		_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || strings.HasSuffix(p, ".go") || strings.HasSuffix(p, ".md") {
				return nil
			}
			if data, err := os.ReadFile(p); err == nil && len(data) <= 16<<10 {
				f.Add(data)
			}
			return nil
		})
	}
}

func FuzzParseGoroutineDump(f *testing.F) {
	seedFiles(f, fixtures+"formats/debug2", fixtures+"formats/goroutineleak", corpusDir+"/goleak", corpusDir+"/gostackparse", corpusDir+"/gotfmt")
	f.Add([]byte("goroutine 1 gp=0x1 m=nil [chan send (leaked), 3 minutes, locked to thread labels:{\"a\": \"b\"}]:\nmain.f(...)\n\t/x.go:1\n"))
	// Terminal escapes, bidi controls, ids past int64.
	f.Add([]byte("goroutine 18446744073709551616 [chan receive\x1b[2J]:\nmain.f\x1b]0;owned\x07()\n\t/x\r.go:1\ncreated by main.g\u202e in goroutine 99999999999999999999\n\t/y.go:2 +0x1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		n := 0
		st, err := ParseGoroutineDump(bytes.NewReader(data), func(g *Goroutine) error {
			n++
			if g.Wait < 0 {
				t.Errorf("negative wait %v", g.Wait)
			}
			for _, fr := range g.Stack {
				if fr.Line < 0 {
					t.Errorf("negative line in %+v", fr)
				}
			}
			return nil
		})
		if err == nil && (n == 0 || st.Goroutines != n) {
			t.Errorf("no error but %d goroutines (stats %d)", n, st.Goroutines)
		}
	})
}

// FuzzDecode drives format detection and every decoder behind it. Whatever
// decodes must be self-consistent.
func FuzzDecode(f *testing.F) {
	seedFiles(f, fixtures, corpusDir)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("goroutine 1 [running]:\nmain.main()\n\t/x.go:1\n"))
	zw.Close()
	f.Add(gz.Bytes())
	f.Add(escapeProfile())
	// Terminal escapes, a newline and bidi controls in names and labels.
	f.Add([]byte("goroutine 1 [chan receive\x1b[2J]:\nmain.f\x1b]0;owned\x07()\n\t/x\r.go:1\n"))
	f.Add([]byte("goroutine 7 [select, 3 minutes]:\nmain.g\u202e()\n\t/a.go:2 +0x1\ncreated by main.h\x1b[31m in goroutine 1\n\t/a.go:3 +0x2\n"))
	f.Add([]byte("# TYPE m gauge\nm{a=\"x\\ny\x1b[2J\"} 1\n"))
	// Gzip in gzip, as nested as is read, and once more.
	for layers := 1; layers <= 3; layers++ {
		data := gz.Bytes()
		for range layers {
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			zw.Write(data)
			zw.Close()
			data = b.Bytes()
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		opts := &DecodeOptions{Sites: DefaultSitePolicy(), MaxBytes: 64 << 20}
		s, err := Decode(data, "fuzz", opts)
		if err != nil {
			if s != nil {
				t.Errorf("error %v with a snapshot", err)
			}
			return
		}
		if s.Kind < KindOther || s.Kind > KindMetrics {
			t.Fatalf("kind %d out of range", s.Kind)
		}
		if s.Kind == KindOther {
			return
		}
		if len(s.Metrics) == 0 || len(s.Totals) != len(s.Metrics) {
			t.Fatalf("metrics %v totals %v", s.Metrics, s.Totals)
		}
		printable := func(what, x string) {
			if Printable(x) != x {
				t.Fatalf("%s %q is not printable", what, x)
			}
		}
		for k, v := range s.Labels {
			printable("label", k)
			printable("label value", v)
		}
		sums := make([]int64, len(s.Metrics))
		for i, sv := range s.Sites {
			printable("site", sv.Site.Function)
			printable("file", sv.Site.File)
			for _, fr := range sv.Stack {
				printable("frame", fr.Function)
				printable("frame file", fr.File)
			}
			if len(sv.Values) != len(s.Metrics) {
				t.Fatalf("site %v has %d values for %d metrics", sv.Site, len(sv.Values), len(s.Metrics))
			}
			if i > 0 && s.Sites[i-1].Site.Compare(sv.Site) >= 0 {
				t.Fatalf("sites not sorted and unique at %d: %v, %v", i, s.Sites[i-1].Site, sv.Site)
			}
			for j, v := range sv.Values {
				addSat(&sums[j], v, new(int)) // as the decoders sum
			}
		}
		for j := range sums {
			if sums[j] != s.Totals[j] {
				t.Fatalf("metric %s: sites sum to %d, total says %d", s.Metrics[j].Name, sums[j], s.Totals[j])
			}
		}
	})
}

func FuzzTimeFromName(f *testing.F) {
	for _, s := range []string{"heap-2026-11-21T22:50:01Z.pb.gz", "heap-20261121T225001Z.pb.gz", "heap-2026-11-21_22-50-01", "h-1763765401.pb.gz", "heap-9999-99-99T99:99:99+99:99"} {
		f.Add(s)
	}
	for _, dir := range []string{fixtures, corpusDir} {
		_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				f.Add(d.Name())
			}
			return nil
		})
	}
	f.Add("heap-\x1b[2J2026-11-21T22:50:01Z.pb.gz")
	f.Add("heap\n2026-11-21T22:50:01Z\u202e.pb.gz")
	f.Fuzz(func(t *testing.T, name string) {
		tm, ok := TimeFromName(name)
		if !ok && !tm.IsZero() {
			t.Errorf("not ok but time %v", tm)
		}
		if ok && tm.Location().String() != "UTC" {
			t.Errorf("time %v not in UTC", tm)
		}
		_ = FileStem(name)
	})
}

// FuzzLeanMatchesPprof is differential: on any bytes both protobuf decoders
// accept, the lean decoder gives exactly pprof's snapshot.
func FuzzLeanMatchesPprof(f *testing.F) {
	seedFiles(f, fixtures, corpusDir)
	f.Add(escapeProfile())
	sp := DefaultSitePolicy()
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 2 && data[0] == 0x1f && data[1] == 0x8b || isText(data) {
			return // the decoders compared take uncompressed protobuf
		}
		lean, err := decodeLean(data, &sp, nil)
		if err != nil {
			return
		}
		full, err := decodeWithPprof(data, &sp)
		if err != nil {
			return
		}
		if !reflect.DeepEqual(lean, full) {
			t.Errorf("lean and pprof differ:\nlean  %+v\npprof %+v", summary(lean), summary(full))
		}
	})
}

// FuzzMetrics: Prometheus text from anywhere decodes into a metrics
// snapshot whose sites are sorted and sum to its total, or errors.
func FuzzMetrics(f *testing.F) {
	seedFiles(f, fixtures+"fixtures/remotedialer-metrics")
	f.Add([]byte("# TYPE a_total counter\na_total{x=\"1\"} 3\n# TYPE g gauge\ng 2.5\n# EOF\n"))
	f.Add([]byte("g{a=\"\x1b]0;owned\x07\\n\"} 1e300\nh NaN\nq -Inf\nr 9223372036854775807\nr2 9223372036854775807\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := decodeMetrics(data)
		if err != nil {
			return
		}
		var sum int64
		var held int
		for i, sv := range s.Sites {
			if i > 0 && s.Sites[i-1].Site.Compare(sv.Site) > 0 {
				t.Fatalf("sites not sorted at %d", i)
			}
			if Printable(sv.Site.Function) != sv.Site.Function {
				t.Fatalf("series %q not printable", sv.Site.Function)
			}
			addSat(&sum, sv.Values[0], &held)
		}
		if sum != s.Totals[0] {
			t.Fatalf("sites sum to %d, total %d", sum, s.Totals[0])
		}
	})
}

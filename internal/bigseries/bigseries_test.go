package bigseries

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/pprof/profile"
)

func tiny(t *testing.T, workers int) *Result {
	t.Helper()
	res, err := Generate(Config{
		Out: t.TempDir(), Source: "api", Snapshots: 6, Seed: 7,
		Stacks: 300, GoroutineStacks: 60, Interval: time.Minute, Workers: workers,
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestTinySeries(t *testing.T) {
	res := tiny(t, 2)
	if len(res.Files) != 12 {
		t.Fatalf("%d files, want 12", len(res.Files))
	}
	heapTypes := []string{"alloc_objects/count", "alloc_space/bytes", "inuse_objects/count", "inuse_space/bytes"}
	last := map[Kind]int64{}
	var allocTotal int64 = -1
	// per planted site: value in the first and the last snapshot
	first, final := map[string]int64{}, map[string]int64{}
	for _, f := range res.Files {
		b, err := os.ReadFile(f.Path)
		if err != nil {
			t.Fatal(err)
		}
		p, err := profile.ParseData(b)
		if err != nil {
			t.Fatalf("%s: %v", f.Path, err)
		}
		if err := p.CheckValid(); err != nil {
			t.Fatalf("%s: %v", f.Path, err)
		}
		var types []string
		for _, st := range p.SampleType {
			types = append(types, st.Type+"/"+st.Unit)
		}
		want := heapTypes
		if f.Kind == KindGoroutine {
			want = []string{"goroutine/count"}
		}
		if !slices.Equal(types, want) {
			t.Fatalf("%s: sample types %v, want %v", f.Path, types, want)
		}
		if !strings.HasPrefix(filepath.Base(f.Path), string(f.Kind)+"-") {
			t.Errorf("%s: name does not start with %s-", f.Path, f.Kind)
		}
		if p.TimeNanos == 0 || p.TimeNanos <= last[f.Kind] {
			t.Errorf("%s: TimeNanos %d not after %d", f.Path, p.TimeNanos, last[f.Kind])
		}
		last[f.Kind] = p.TimeNanos
		if len(p.Mapping) != 1 || p.Mapping[0].BuildID == "" {
			t.Errorf("%s: want one mapping with a build ID", f.Path)
		}
		idx := 3 // inuse_space
		if f.Kind == KindGoroutine {
			idx = 0
		}
		var sum int64
		sites := map[string]int64{}
		for _, s := range p.Sample {
			sum += s.Value[0]
			if f.Kind == KindGoroutine && s.Location[len(s.Location)-1].Line[0].Function.Name != "runtime.goexit" {
				t.Fatalf("%s: goroutine stack does not end at runtime.goexit", f.Path)
			}
			for _, l := range s.Location {
				for _, ln := range l.Line {
					for _, ps := range PlantedSites {
						if ln.Function.Name == ps.Name {
							sites[ps.Name] += s.Value[idx]
						}
					}
				}
			}
		}
		if f.Kind == KindHeap {
			if sum < allocTotal {
				t.Errorf("%s: summed alloc_objects went down", f.Path)
			}
			allocTotal = sum
		}
		for name, v := range sites {
			if _, ok := first[name]; !ok {
				first[name] = v
			}
			final[name] = v
		}
	}
	for _, ps := range PlantedSites {
		if _, ok := first[ps.Name]; !ok {
			t.Errorf("planted site %s not in any profile", ps.Name)
			continue
		}
		if ps.Leak && final[ps.Name] <= first[ps.Name] {
			t.Errorf("leak %s: %d → %d, want growth", ps.Name, first[ps.Name], final[ps.Name])
		}
	}
	// the fastest heap leak: +200 MiB/h over 5 minutes is about +16.7 MiB
	name := "example.com/svc/ingest.(*Batcher).flush.func3"
	if d := final[name] - first[name]; d < 12*MiB {
		t.Errorf("%s grew by %d bytes, want about 16.7 MiB", name, d)
	}
}

func TestDeterministic(t *testing.T) {
	a, b := tiny(t, 1), tiny(t, 2)
	for i := range a.Files {
		x, _ := os.ReadFile(a.Files[i].Path)
		y, _ := os.ReadFile(b.Files[i].Path)
		if !bytes.Equal(x, y) {
			t.Fatalf("%s differs between 1 and 2 workers", filepath.Base(a.Files[i].Path))
		}
	}
}

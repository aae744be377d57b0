package profile

import (
	"bytes"
	"runtime"
	"runtime/pprof"
	"sync"
	"testing"
	"time"
)

// These tests take real profiles of the test process itself, in every format
// runtime/pprof writes, and check that each names and counts the same sites.

var retained [][]byte

//go:noinline
func liveTestRetain(n, size int) {
	for range n {
		retained = append(retained, make([]byte, size))
	}
}

//go:noinline
func liveTestBlocked(started *sync.WaitGroup, ch chan struct{}) {
	started.Done()
	<-ch
}

func findSite(t *testing.T, s *Snapshot, fn string) *SiteValue {
	t.Helper()
	for i := range s.Sites {
		if s.Sites[i].Site.Function == fn {
			return &s.Sites[i]
		}
	}
	var names []string
	for _, sv := range s.Sites {
		names = append(names, sv.Site.Function)
	}
	t.Fatalf("%s (%s): no site %s among %v", s.Type, s.Format, fn, names)
	return nil
}

func decodeLive(t *testing.T, name string, debug int) *Snapshot {
	t.Helper()
	var buf bytes.Buffer
	if err := pprof.Lookup(name).WriteTo(&buf, debug); err != nil {
		t.Fatal(err)
	}
	s, err := Decode(buf.Bytes(), name, &DecodeOptions{Sites: DefaultSitePolicy()})
	if err != nil {
		t.Fatalf("decode %s debug=%d: %v", name, debug, err)
	}
	return s
}

func TestLiveGoroutineFormatsAlign(t *testing.T) {
	const n = 7
	ch := make(chan struct{})
	defer close(ch)
	var started sync.WaitGroup
	started.Add(n)
	for range n {
		go liveTestBlocked(&started, ch)
	}
	started.Wait()
	const site = "github.com/leakdiff/leakdiff/profile.liveTestBlocked"
	// Started is not parked: wait until all of them block on the channel.
	for i := 0; ; i++ {
		sv := findSite(t, decodeLive(t, "goroutine", 2), site)
		if sv.Goroutines.States[0] == (StateCount{"chan receive", n}) || i == 1000 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	for _, debug := range []int{0, 1, 2} {
		s := decodeLive(t, "goroutine", debug)
		if s.Kind != KindGoroutine {
			t.Errorf("debug=%d: kind %v, want goroutine", debug, s.Kind)
		}
		sv := findSite(t, s, site)
		if sv.Values[0] != n {
			t.Errorf("debug=%d (%s): %s has %d goroutines, want %d", debug, s.Format, site, sv.Values[0], n)
		}
		if debug == 2 {
			if sv.Goroutines == nil || sv.Goroutines.States[0].State != "chan receive" {
				t.Errorf("debug=2: goroutine info %+v, want state chan receive", sv.Goroutines)
			}
			if sv.Goroutines != nil && sv.Goroutines.CreatedBy == "" {
				t.Errorf("debug=2: no created-by function")
			}
		}
	}
}

func TestLiveHeapFormatsAlign(t *testing.T) {
	old := runtime.MemProfileRate
	runtime.MemProfileRate = 1
	defer func() { runtime.MemProfileRate = old }()
	const count, size = 64, 4096
	liveTestRetain(count, size)
	runtime.GC()
	runtime.GC()
	const site = "github.com/leakdiff/leakdiff/profile.liveTestRetain"
	for _, debug := range []int{0, 1} {
		s := decodeLive(t, "heap", debug)
		if s.Kind != KindHeap || s.Metrics[0].Name != "inuse_space" {
			t.Fatalf("debug=%d: kind %v metrics %v, want heap inuse_space", debug, s.Kind, s.Metrics)
		}
		sv := findSite(t, s, site)
		if got := sv.Values[0]; got < count*size || got > 2*count*size {
			t.Errorf("debug=%d (%s): %s holds %d bytes, want about %d", debug, s.Format, site, got, count*size)
		}
		if sv.Stack[0].File == "" || sv.Stack[0].Line == 0 {
			t.Errorf("debug=%d: leaf frame %+v has no file:line", debug, sv.Stack[0])
		}
	}
	runtime.KeepAlive(retained)
}

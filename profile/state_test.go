package profile

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// fixtureDirs are the fixture series folders and the folders of formats.
func fixtureDirs(t *testing.T) []string {
	t.Helper()
	var dirs []string
	for _, root := range []string{"../testdata/fixtures", "../testdata/formats"} {
		ents, err := os.ReadDir(root)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			if e.IsDir() {
				dirs = append(dirs, filepath.Join(root, e.Name()))
			}
		}
	}
	dirs = append(dirs, "../testdata/snapshots", "../testdata/formats")
	if len(dirs) < 20 {
		t.Fatalf("%d folders: want the fixtures", len(dirs))
	}
	return dirs
}

// headers returns the snapshots' headers, comparable across loads: what
// identifies a file or a slot is left out.
func headers(l *Loaded) []Snapshot {
	snaps, _ := canonical(l)
	for i := range snaps {
		s := &snaps[i]
		s.fold, s.foldKey, s.foldSlot, s.stat, s.sum = nil, foldKey{}, 0, fileStat{}, [32]byte{}
	}
	return snaps
}

// TestStateMatchesFold: a load that reuses the state of earlier loads of a
// third and then two thirds of the files, and one that reuses all of it,
// give the series, headers and skipped files of a load from the files
// alone, on every fixture; a state of other options is not used.
func TestStateMatchesFold(t *testing.T) {
	t.Parallel()
	for _, dir := range fixtureDirs(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			c := &memCache{m: map[string][]byte{}}
			opts := func(state bool) LoadOptions {
				o := LoadOptions{Decode: DecodeOptions{Sites: DefaultSitePolicy()}, Fold: true}
				if state {
					o.State = c
				}
				return o
			}
			load := func(args []string, o LoadOptions) *Loaded {
				t.Helper()
				l, err := Load(context.Background(), args, o)
				if err != nil {
					t.Fatal(err)
				}
				l.Wait()
				return l
			}
			files := expand([]string{dir}, &Loaded{})
			var third, twoThirds []string
			for i, f := range files {
				if i%3 == 0 {
					third = append(third, f)
				}
				if i%3 != 2 {
					twoThirds = append(twoThirds, f)
				}
			}
			fresh := load([]string{dir}, opts(false))
			want, wantSet := headers(fresh), Align(fresh.Snapshots)
			check := func(what string, l *Loaded) {
				t.Helper()
				if got := headers(l); !reflect.DeepEqual(got, want) {
					t.Errorf("%s: snapshot headers differ", what)
				}
				if !reflect.DeepEqual(l.Skipped, fresh.Skipped) || l.Files != fresh.Files {
					t.Errorf("%s: %d files, skipped %v; want %d, %v", what, l.Files, l.Skipped, fresh.Files, fresh.Skipped)
				}
				set := Align(l.Snapshots)
				if len(set.Series) != len(wantSet.Series) {
					t.Fatalf("%s: %d series, want %d", what, len(set.Series), len(wantSet.Series))
				}
				for i := range set.Series {
					if !reflect.DeepEqual(set.Series[i], wantSet.Series[i]) {
						s, w := &set.Series[i], &wantSet.Series[i]
						t.Errorf("%s: series %s · %s · %s differs%s", what, s.Source, s.Kind, s.Metric.Name, firstDiff(s, w))
					}
				}
				if !reflect.DeepEqual(set.Duplicates, wantSet.Duplicates) || !reflect.DeepEqual(set.SameMoment, wantSet.SameMoment) {
					t.Errorf("%s: counted once or same moment differ", what)
				}
			}

			first := load(third, opts(true))
			if c.puts != 1 {
				t.Fatalf("first load: %d states written, want 1", c.puts)
			}
			// A state extended by a load, then by another: what is
			// written again unchanged is copied.
			second := load(twoThirds, opts(true))
			if second.Reused != len(first.Snapshots) {
				t.Errorf("second load: reused %d snapshots, want the first load's %d", second.Reused, len(first.Snapshots))
			}
			l := load([]string{dir}, opts(true))
			if l.Reused != len(second.Snapshots) {
				t.Errorf("reused %d snapshots, want the second load's %d", l.Reused, len(second.Snapshots))
			}
			check("two thirds from the state", l)
			puts := c.puts
			l = load([]string{dir}, opts(true))
			if l.Reused != len(l.Snapshots) || c.puts != puts {
				t.Errorf("unchanged: reused %d of %d snapshots, %d states written", l.Reused, len(l.Snapshots), c.puts-puts)
			}
			check("all from the state", l)

			line := opts(true)
			line.Decode.Sites.Granularity = ByLine
			if l := load([]string{dir}, line); l.Reused != 0 {
				t.Errorf("--granularity line: reused %d snapshots of another reduction", l.Reused)
			}
		})
	}
}

// TestStateFileChanged: a file rewritten since the state was written
// (other content, or the same content: its change time moves) is read
// again, and the state is used only if nothing it holds changed.
func TestStateFileChanged(t *testing.T) {
	dir := t.TempDir()
	src := "../testdata/snapshots/primary"
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		if e.Type().IsRegular() {
			b, err := os.ReadFile(filepath.Join(src, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
				t.Fatal(err)
			}
			names = append(names, e.Name())
		}
	}
	if len(names) < 3 {
		t.Fatalf("%d snapshots in %s", len(names), src)
	}
	// Older than the racy window, as files of a real series are.
	old := time.Now().Add(-time.Hour)
	for _, n := range names {
		if err := os.Chtimes(filepath.Join(dir, n), old, old); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(racyWindow + 100*time.Millisecond) // their change times too
	c := &memCache{m: map[string][]byte{}}
	o := LoadOptions{Decode: DecodeOptions{Sites: DefaultSitePolicy()}, Fold: true, State: c}
	load := func() *Loaded {
		t.Helper()
		l, err := Load(context.Background(), []string{dir}, o)
		if err != nil {
			t.Fatal(err)
		}
		l.Wait()
		return l
	}
	load()
	if l := load(); l.Reused != len(l.Snapshots) {
		t.Fatalf("unchanged: reused %d of %d", l.Reused, len(l.Snapshots))
	}
	// The same bytes written again: checked by content, then trusted.
	p := filepath.Join(dir, names[0])
	b, _ := os.ReadFile(p)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if l := load(); l.Reused != len(l.Snapshots) {
		t.Errorf("same content rewritten: reused %d of %d", l.Reused, len(l.Snapshots))
	}
	// Another file's content under its name: nothing is reused.
	other, _ := os.ReadFile(filepath.Join(dir, names[1]))
	if err := os.WriteFile(p, other, 0o644); err != nil {
		t.Fatal(err)
	}
	if l := load(); l.Reused != 0 {
		t.Errorf("content changed: reused %d snapshots", l.Reused)
	}
	// A file gone: its values are in the state, which is dropped.
	load()
	if err := os.Remove(filepath.Join(dir, names[2])); err != nil {
		t.Fatal(err)
	}
	if l := load(); l.Reused != 0 {
		t.Errorf("a file removed: reused %d snapshots", l.Reused)
	}
}

// TestStateDamaged: a state cut short or with bytes changed is refused by
// decodeState with an error or decodes to a state that aligns; never a
// panic. (The cache's own check refuses such entries before they are
// decoded.)
func TestStateDamaged(t *testing.T) {
	c := &memCache{m: map[string][]byte{}}
	o := LoadOptions{Decode: DecodeOptions{Sites: DefaultSitePolicy()}, Fold: true, State: c}
	l, err := Load(context.Background(), []string{"../testdata/snapshots"}, o)
	if err != nil {
		t.Fatal(err)
	}
	l.Wait()
	if len(c.m) != 1 {
		t.Fatalf("%d states", len(c.m))
	}
	var data []byte
	for _, v := range c.m {
		data = v
	}
	if _, err := decodeState(data, NewInterner()); err != nil {
		t.Fatalf("the state written does not decode: %v", err)
	}
	use := func(b []byte) { // what decodes is aligned, as a load would
		st, err := decodeState(b, NewInterner())
		if err != nil {
			return
		}
		snaps := make([]Snapshot, len(st.files))
		for i := range st.files {
			snaps[i] = st.files[i].snap
		}
		Align(snaps)
	}
	for n := 0; n < len(data); n += max(1, len(data)/300) {
		use(data[:n])
		b := append([]byte(nil), data...)
		b[n] ^= 0x5a
		use(b)
	}
}

// firstDiff describes where two series first differ.
func firstDiff(a, b *Series) string {
	if len(a.Sites) != len(b.Sites) {
		return fmt.Sprintf(": %d sites, want %d", len(a.Sites), len(b.Sites))
	}
	for j := range a.Sites {
		x, y := &a.Sites[j], &b.Sites[j]
		switch {
		case x.Site != y.Site:
			return fmt.Sprintf(": site %d is %v, want %v", j, x.Site, y.Site)
		case !reflect.DeepEqual(x.Values(), y.Values()):
			return fmt.Sprintf(": %v values %v, want %v", x.Site, x.Values(), y.Values())
		case !reflect.DeepEqual(x.Stack, y.Stack):
			return fmt.Sprintf(": %v stack of %d frames, want %d", x.Site, len(x.Stack), len(y.Stack))
		case !reflect.DeepEqual(x.Goroutines, y.Goroutines):
			return fmt.Sprintf(": %v goroutines %+v, want %+v", x.Site, x.Goroutines, y.Goroutines)
		case !reflect.DeepEqual(*x, *y):
			return fmt.Sprintf(": %v differs elsewhere", x.Site)
		}
	}
	return ": elsewhere"
}

// FuzzLoadState: any bytes decode to a state or are refused, never a
// panic; a state that decodes can be aligned and encodes to one that
// decodes to as many files and groups.
func FuzzLoadState(f *testing.F) {
	for _, dir := range []string{"../testdata/snapshots", "../testdata/formats/debug2"} {
		c := &memCache{m: map[string][]byte{}}
		o := LoadOptions{Decode: DecodeOptions{Sites: DefaultSitePolicy()}, Fold: true, State: c}
		l, err := Load(context.Background(), []string{dir}, o)
		if err != nil {
			f.Fatal(err)
		}
		l.Wait()
		for _, v := range c.m {
			f.Add(v)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := decodeState(data, NewInterner())
		if err != nil {
			return
		}
		snaps := make([]*Snapshot, len(st.files))
		for i := range st.files {
			snaps[i] = &st.files[i].snap
		}
		again, err := decodeState(encodeState(st.fold, snaps, st.start, NewInterner()), NewInterner())
		if err != nil {
			t.Fatalf("re-encoding does not decode: %v", err)
		}
		if len(again.files) != len(st.files) || len(again.keys) != len(st.keys) {
			t.Fatalf("re-encoding: %d files, %d groups; want %d, %d", len(again.files), len(again.keys), len(st.files), len(st.keys))
		}
		all := make([]Snapshot, len(st.files))
		for i := range st.files {
			all[i] = st.files[i].snap
		}
		Align(all)
	})
}

// TestStateWrittenBesideAlign: the state is encoded while Align consumes
// the columns it was taken from (run with -race), and holds them whole.
func TestStateWrittenBesideAlign(t *testing.T) {
	c := &memCache{m: map[string][]byte{}}
	o := LoadOptions{Decode: DecodeOptions{Sites: DefaultSitePolicy()}, Fold: true, State: c}
	l, err := Load(context.Background(), []string{"../testdata/snapshots"}, o)
	if err != nil {
		t.Fatal(err)
	}
	want := Align(l.Snapshots)
	l.Wait()
	l, err = Load(context.Background(), []string{"../testdata/snapshots"}, o)
	if err != nil {
		t.Fatal(err)
	}
	if l.Reused != len(l.Snapshots) {
		t.Fatalf("reused %d of %d", l.Reused, len(l.Snapshots))
	}
	if got := Align(l.Snapshots); !reflect.DeepEqual(got.Series, want.Series) {
		t.Error("series from the state differ")
	}
}

// TestStateColumnsRefused: a state whose files read but whose columns do
// not (here a group with a slot no file holds) is not used: the load reads
// every file, as without it, and writes the state anew.
func TestStateColumnsRefused(t *testing.T) {
	c := &memCache{m: map[string][]byte{}}
	o := LoadOptions{Decode: DecodeOptions{Sites: DefaultSitePolicy()}, Fold: true, State: c}
	dir := "../testdata/snapshots"
	l, err := Load(context.Background(), []string{dir}, o)
	if err != nil {
		t.Fatal(err)
	}
	l.Wait()
	var key string
	for k := range c.m {
		key = k
	}
	st, err := decodeState(c.m[key], NewInterner())
	if err != nil {
		t.Fatal(err)
	}
	snaps := make([]*Snapshot, len(st.files))
	for i := range st.files {
		snaps[i] = &st.files[i].snap
	}
	for _, g := range st.fold.groups {
		g.slots++
		g.raw = nil // written again, not copied
		break
	}
	c.m[key] = encodeState(st.fold, snaps, st.start, NewInterner())
	if _, err := decodeState(c.m[key], NewInterner()); err == nil {
		t.Fatal("the broken state decodes")
	}
	l, err = Load(context.Background(), []string{dir}, o)
	if err != nil {
		t.Fatal(err)
	}
	l.Wait()
	fresh, err := Load(context.Background(), []string{dir}, LoadOptions{Decode: DecodeOptions{Sites: DefaultSitePolicy()}, Fold: true})
	if err != nil {
		t.Fatal(err)
	}
	if l.Reused != 0 || !reflect.DeepEqual(headers(l), headers(fresh)) || !reflect.DeepEqual(Align(l.Snapshots).Series, Align(fresh.Snapshots).Series) {
		t.Errorf("reused %d; the load differs from one without the state", l.Reused)
	}
	if _, err := decodeState(c.m[key], NewInterner()); err != nil {
		t.Errorf("the state was not written anew: %v", err)
	}
}

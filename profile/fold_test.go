package profile

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"
)

// TestFoldMatchesAlign: folding each snapshot into its series' columns as
// it is read gives the very series Align builds from whole snapshots, on
// every fixture and format folder: values, sites, the heaviest stack, the
// goroutine details, what was counted once or left out.
func TestFoldMatchesAlign(t *testing.T) {
	t.Parallel()
	for _, dir := range fixtureDirs(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			load := func(fold bool) *Set {
				l, err := Load(context.Background(), []string{dir}, LoadOptions{Decode: DecodeOptions{Sites: DefaultSitePolicy()}, Fold: fold})
				if err != nil {
					t.Fatal(err)
				}
				for i := range l.Snapshots {
					if s := &l.Snapshots[i]; fold && s.Kind != KindOther && (!s.Folded() || s.Sites != nil) {
						t.Fatalf("%s: not folded", s.File)
					}
				}
				return Align(l.Snapshots)
			}
			whole, folded := load(false), load(true)
			if len(whole.Series) != len(folded.Series) {
				t.Fatalf("%d series folded, %d whole", len(folded.Series), len(whole.Series))
			}
			for i := range whole.Series {
				if !reflect.DeepEqual(whole.Series[i], folded.Series[i]) {
					w, f := &whole.Series[i], &folded.Series[i]
					t.Errorf("series %s · %s · %s differs: %d sites folded, %d whole", w.Source, w.Kind, w.Metric.Name, len(f.Sites), len(w.Sites))
				}
			}
			if !reflect.DeepEqual(whole.Duplicates, folded.Duplicates) || !reflect.DeepEqual(whole.SameMoment, folded.SameMoment) {
				t.Error("counted once or same moment differ")
			}
		})
	}
}

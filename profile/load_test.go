package profile

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func skippedFiles(l *Loaded) map[string]string {
	out := map[string]string{}
	for _, s := range l.Skipped {
		out[s.File] = s.Err.Error()
	}
	return out
}

// TestLoadFilesystem covers what a walked folder can hold: hidden files,
// FIFOs, symbolic link loops, empty folders, and patterns the shell did not
// expand.
func TestLoadFilesystem(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ents, err := os.ReadDir(snapshots + "replica")
	if err != nil {
		t.Fatal(err)
	}
	var heaps []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "heap-") {
			heaps = append(heaps, e.Name())
		}
	}
	for _, h := range heaps[:3] {
		copyFile(t, snapshots+"replica/"+h, filepath.Join(dir, "svc", h))
	}
	copyFile(t, snapshots+"replica/"+heaps[0], filepath.Join(dir, "svc", ".hidden.pb.gz"))
	if err := syscall.Mkfifo(filepath.Join(dir, "svc", "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("..", filepath.Join(dir, "svc", "loop")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("self", filepath.Join(dir, "svc", "self")); err != nil { // a link to itself
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "svc", ".git", "objects"), 0o755); err != nil {
		t.Fatal(err)
	}
	// A name that is not UTF-8 is read like any other.
	copyFile(t, snapshots+"replica/"+heaps[3], filepath.Join(dir, "svc", "heap-\xff\xfe.pb.gz"))
	unreadable := filepath.Join(dir, "svc", "unreadable.pb.gz")
	copyFile(t, snapshots+"replica/"+heaps[4], unreadable)
	if err := os.Chmod(unreadable, 0); err != nil {
		t.Fatal(err)
	}
	root := os.Geteuid() == 0 // root reads it anyway

	l, err := Load(context.Background(), []string{
		filepath.Join(dir, "svc"),
		filepath.Join(dir, "empty"),
		filepath.Join(dir, "svc", "heap-*.pb.gz"), // quoted glob: expands to files already seen
		filepath.Join(dir, "nothing-*.pb.gz"),
		filepath.Join(dir, "missing.pb.gz"),
	}, LoadOptions{Decode: DecodeOptions{Sites: DefaultSitePolicy()}})
	if err != nil {
		t.Fatal(err)
	}
	want := 4
	if root {
		want = 5
	}
	if len(l.Snapshots) != want {
		t.Errorf("%d snapshots, want the %d readable heap files once each", len(l.Snapshots), want)
	}
	for _, s := range l.Snapshots {
		if !strings.Contains(s.File, "heap-2026") {
			continue // named without a time: a source of its own
		}
		if s.Source != "svc" || s.TimeFrom != TimeFromProfileData {
			t.Errorf("%s: source %q, time from %v; want svc, profile", s.File, s.Source, s.TimeFrom)
		}
	}
	sk := skippedFiles(l)
	wants := map[string]string{
		filepath.Join(dir, "svc", "fifo"):          "not a regular file",
		filepath.Join(dir, "svc", "loop"):          "symbolic link to a directory",
		filepath.Join(dir, "empty"):                "no files in directory",
		filepath.Join(dir, "nothing-*.pb.gz"):      "no file matches",
		filepath.Join(dir, "missing.pb.gz"):        "no such file",
		filepath.Join(dir, "svc", "self"):          "too many levels of symbolic links",
		filepath.Join(dir, "svc", ".hidden.pb.gz"): "hidden file",
		filepath.Join(dir, "svc", ".git"):          "hidden folder",
	}
	if !root {
		wants[unreadable] = "permission denied"
	}
	for f, want := range wants {
		if !strings.Contains(sk[f], want) {
			t.Errorf("skipped[%s] = %q, want %q", f, sk[f], want)
		}
	}
	if len(sk) != len(wants) {
		t.Errorf("skipped %v, want exactly %d entries", sk, len(wants))
	}
}

func TestLoadStdinAndSources(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(fixtures + "formats/debug2/" + firstEntry(t, fixtures+"formats/debug2"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := Load(context.Background(), []string{"-"}, LoadOptions{Stdin: strings.NewReader(string(data)), Decode: DecodeOptions{Sites: DefaultSitePolicy()}})
	if err != nil || len(l.Snapshots) != 1 || l.Snapshots[0].Source != "stdin" || l.Snapshots[0].Kind != KindGoroutine {
		t.Fatalf("stdin: %+v, %v", l, err)
	}
	// --source-label: the primary's leaking goroutines carry handler=leaky.
	l, err = Load(context.Background(), []string{snapshots + "primary"}, LoadOptions{SourceLabel: "handler", Decode: DecodeOptions{Sites: DefaultSitePolicy()}})
	if err != nil {
		t.Fatal(err)
	}
	var srcs []string
	for _, s := range l.Snapshots {
		if !slices.Contains(srcs, s.Kind.String()+"="+s.Source) {
			srcs = append(srcs, s.Kind.String()+"="+s.Source)
		}
	}
	slices.Sort(srcs)
	if !slices.Equal(srcs, []string{"goroutine=leaky", "heap=primary"}) {
		t.Errorf("sources by label: %v, want goroutines from the label, heap (unlabelled) from the folder", srcs)
	}
}

func firstEntry(t *testing.T, dir string) string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) == 0 {
		t.Fatalf("read %s: %v", dir, err)
	}
	return ents[0].Name()
}

func TestAssignSources(t *testing.T) {
	t.Parallel()
	mk := func(files ...string) []Snapshot {
		out := make([]Snapshot, len(files))
		for i, f := range files {
			out[i] = Snapshot{File: f}
		}
		return out
	}
	sources := func(s []Snapshot) []string {
		var out []string
		for _, x := range s {
			out = append(out, x.Source)
		}
		return out
	}
	tests := []struct {
		name  string
		files []string
		opts  LoadOptions
		want  []string
	}{
		{"one_dir_no_stems", []string{"snaps/heap-1.pb.gz", "snaps/goroutine-1.pb.gz"}, LoadOptions{}, []string{"snaps", "snaps"}},
		{"dir_per_process", []string{"a/primary/heap-1.pb.gz", "a/replica/heap-1.pb.gz"}, LoadOptions{}, []string{"primary", "replica"}},
		{"stems_in_flat_dir", []string{"d/primary-heap-20261121T225001Z.pb.gz", "d/replica-heap-20261121T225001Z.pb.gz"}, LoadOptions{}, []string{"primary", "replica"}},
		{"same_base_name_dirs", []string{"x/node/heap-1.pb.gz", "y/node/heap-1.pb.gz"}, LoadOptions{}, []string{"x/node", "y/node"}},
		{"stems_across_dirs", []string{"x/pod-heap-1.pb.gz", "y/pod-heap-1.pb.gz"}, LoadOptions{}, []string{"x/pod", "y/pod"}},
		{"forced", []string{"x/a-heap.pb.gz", "y/b-heap.pb.gz"}, LoadOptions{Source: "svc"}, []string{"svc", "svc"}},
		{"regexp_group", []string{"d/api-7f9c-heap-1.pb.gz", "d/api-8d1e-heap-1.pb.gz", "d/other.pb.gz"}, LoadOptions{SourceRegexp: regexp.MustCompile(`^api-(?P<source>[0-9a-f]+)-`)}, []string{"7f9c", "8d1e", "other"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := mk(tt.files...)
			AssignSources(s, &tt.opts)
			if got := sources(s); !slices.Equal(got, tt.want) {
				t.Errorf("sources %v, want %v", got, tt.want)
			}
		})
	}
}

// TestLoadTenThousandFiles: one folder of 10,000 snapshots (a week at one
// a minute) is read whole, in time order, with none lost.
func TestLoadTenThousandFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 10,000 files")
	}
	t.Parallel()
	dir := t.TempDir()
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	const n = 10000
	for i := range n {
		// Goroutines grow by one every 100 snapshots; most files are
		// identical but for their time.
		var b strings.Builder
		for g := range 1 + i/100 {
			fmt.Fprintf(&b, "goroutine %d [chan receive]:\nmain.worker()\n\t/src/main.go:10 +0x1d\ncreated by main.main in goroutine 1\n\t/src/main.go:5 +0x2a\n\n", g+2)
		}
		name := fmt.Sprintf("goroutine-%s.txt", start.Add(time.Duration(i)*time.Minute).Format("20060102T150405Z"))
		if err := os.WriteFile(filepath.Join(dir, name), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	l, set := loadDir(t, LoadOptions{}, dir)
	if len(l.Skipped) != 0 || len(l.Snapshots) != n {
		t.Fatalf("%d snapshots, %d skipped (%v); want %d and none", len(l.Snapshots), len(l.Skipped), l.Skipped[:min(3, len(l.Skipped))], n)
	}
	if len(set.Series) != 1 || len(set.Series[0].Files) != n || len(set.Duplicates) != 0 {
		t.Fatalf("%d series, %d duplicates; want one series of %d snapshots", len(set.Series), len(set.Duplicates), n)
	}
	v := siteValues(t, &set.Series[0], "main.worker")
	if v[0] != 1 || v[n-1] != n/100 {
		t.Errorf("main.worker goes %d → %d, want 1 → %d", v[0], v[n-1], n/100)
	}
}

// TestLoadFutureTime: a snapshot dated far in the future is read, ordered
// by that time, and noted.
func TestLoadFutureTime(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dump := "goroutine 1 [running]:\nmain.main()\n\t/src/main.go:3 +0x1\n"
	for _, name := range []string{"goroutine-20261101T000000Z.txt", "goroutine-20991231T000000Z.txt"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(dump), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	l, _ := loadDir(t, LoadOptions{}, dir)
	if len(l.Snapshots) != 2 {
		t.Fatalf("%d snapshots, want 2", len(l.Snapshots))
	}
	for _, s := range l.Snapshots {
		future := strings.Contains(s.File, "2099")
		noted := slices.ContainsFunc(s.Notes, func(n string) bool { return strings.Contains(n, "in the future") })
		if future != noted {
			t.Errorf("%s: notes %v", s.File, s.Notes)
		}
	}
}

// TestSourceKey: two snapshots share a key exactly when AssignSources puts
// them in one source.
func TestSourceKey(t *testing.T) {
	t.Parallel()
	snap := func(file string, labels map[string]string) Snapshot { return Snapshot{File: file, Labels: labels} }
	tests := []struct {
		name  string
		opts  LoadOptions
		snaps []Snapshot
	}{
		{"folders_and_stems", LoadOptions{}, []Snapshot{
			snap("a/pod-1/heap-1.pb.gz", nil), snap("a/pod-1/goroutine-2.pb.gz", nil),
			snap("a/pod-2/heap-1.pb.gz", nil), snap("b/pod-1/heap-1.pb.gz", nil),
			snap("c/primary-heap-1.pb.gz", nil), snap("c/replica-heap-1.pb.gz", nil)}},
		{"labels_then_paths", LoadOptions{SourceLabel: "pod"}, []Snapshot{
			snap("x/heap-1.pb.gz", map[string]string{"pod": "p1"}), snap("y/heap-1.pb.gz", map[string]string{"pod": "p1"}),
			snap("x/heap-2.pb.gz", map[string]string{"pod": "p2"}), snap("z/heap-1.pb.gz", nil), snap("z/heap-2.pb.gz", nil)}},
		{"regexp", LoadOptions{SourceRegexp: regexp.MustCompile(`^(?P<source>[a-z]+)-`)}, []Snapshot{
			snap("d/api-1.pb.gz", nil), snap("e/api-2.pb.gz", nil), snap("d/db-1.pb.gz", nil)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snaps := slices.Clone(tt.snaps)
			AssignSources(snaps, &tt.opts)
			for i := range snaps {
				for j := range snaps {
					same := snaps[i].Source == snaps[j].Source
					keys := SourceKey(&snaps[i], &tt.opts) == SourceKey(&snaps[j], &tt.opts)
					if same != keys {
						t.Errorf("%s (%s) and %s (%s): same source %v, same key %v", snaps[i].File, snaps[i].Source, snaps[j].File, snaps[j].Source, same, keys)
					}
				}
			}
		})
	}
}

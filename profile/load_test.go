package profile

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
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
	if len(l.Snapshots) != 3 {
		t.Errorf("%d snapshots, want the 3 heap files once each", len(l.Snapshots))
	}
	for _, s := range l.Snapshots {
		if s.Source != "svc" || s.TimeFrom != TimeFromProfileData {
			t.Errorf("%s: source %q, time from %v; want svc, profile", s.File, s.Source, s.TimeFrom)
		}
	}
	sk := skippedFiles(l)
	wants := map[string]string{
		filepath.Join(dir, "svc", "fifo"):     "not a regular file",
		filepath.Join(dir, "svc", "loop"):     "symbolic link to a directory",
		filepath.Join(dir, "empty"):           "no files in directory",
		filepath.Join(dir, "nothing-*.pb.gz"): "no file matches",
		filepath.Join(dir, "missing.pb.gz"):   "no such file",
	}
	for f, want := range wants {
		if !strings.Contains(sk[f], want) {
			t.Errorf("skipped[%s] = %q, want %q", f, sk[f], want)
		}
	}
	if len(l.Warnings) != 1 || !strings.Contains(l.Warnings[0], "1 hidden") {
		t.Errorf("warnings %v, want one about 1 hidden file", l.Warnings)
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
			assignSources(s, &tt.opts)
			if got := sources(s); !slices.Equal(got, tt.want) {
				t.Errorf("sources %v, want %v", got, tt.want)
			}
		})
	}
}

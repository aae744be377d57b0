package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestExpandLocal(t *testing.T) {
	root := t.TempDir()
	for _, f := range []string{"svc/pod-1/heap-1.pb.gz", "svc/pod-1/heap-2.pb.gz", "svc/pod-2/heap-1.pb.gz", "svc/notes.txt", ".hidden/heap.pb.gz", "svc/.cache/x"} {
		p := filepath.Join(root, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got := expandLocal(root)
	want := []string{filepath.Join(root, "svc", "*"), filepath.Join(root, "svc", "pod-1", "*"), filepath.Join(root, "svc", "pod-2", "*")}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("expandLocal = %q, want %q", got, want)
	}
	for _, in := range []string{"gs://bucket/a/*", filepath.Join(root, "svc", "*", "*"), filepath.Join(root, "missing")} {
		if got := expandLocal(in); !slices.Equal(got, []string{in}) {
			t.Errorf("expandLocal(%q) = %q, want it as is", in, got)
		}
	}
}

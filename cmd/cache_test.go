package cmd

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

var noCacheArg = regexp.MustCompile(`(?m)^\s*"--no-cache",\n`)

// TestAnalyzeCache: reports from the cache of reduced snapshots are the
// reports without it, byte for byte: cold, warm, after entries are torn or
// corrupted, and under options that change the reduction (granularity,
// site choice, skipped frames) or only the analysis (rules).
func TestAnalyzeCache(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("LEAKDIFF_CACHE_DIR", dir)
	rules := "testdata/rules/registry.yaml"
	inputs := []string{"../testdata/snapshots", "../testdata/formats"}
	run := func(args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		args = append(append([]string{"analyze", "--format", "json", "--min-severity", "info"}, args...), inputs...)
		if code := Run(context.Background(), args, nil, &stdout, &stderr); code > 1 {
			t.Fatalf("%q: exit %d: %s", args, code, stderr.String())
		}
		// The report quotes its command line: all but --no-cache.
		out := noCacheArg.ReplaceAllString(stdout.String(), "")
		return out + "\x00" + stderr.String()
	}
	entries := func() []string {
		m, _ := filepath.Glob(filepath.Join(dir, "*", "*.entry"))
		return m
	}
	damage := map[string]func([]byte) []byte{
		"truncated": func(b []byte) []byte { return b[:len(b)/3] },
		"corrupted": func(b []byte) []byte { b[len(b)-10] ^= 0xff; return b },
	}
	for _, opts := range [][]string{
		nil,
		{"--granularity", "line"},
		{"--site", "leaf"},
		{"--site-skip", `^main\.`},
		{"--rules", rules},
	} {
		want := run(append([]string{"--no-cache"}, opts...)...)
		before := len(entries())
		if got := run(opts...); got != want {
			t.Fatalf("%q cold: the report differs from --no-cache's", opts)
		}
		if len(entries()) == before && opts == nil {
			t.Fatal("nothing cached")
		}
		if got := run(opts...); got != want {
			t.Fatalf("%q warm: the report differs from --no-cache's", opts)
		}
		if opts != nil {
			continue // damaged entries: once is enough
		}
		for name, d := range damage {
			for _, p := range entries() {
				b, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, d(b), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if got := run(opts...); got != want {
				t.Fatalf("%q, entries %s: the report differs from --no-cache's", opts, name)
			}
			if got := run(opts...); got != want {
				t.Fatalf("%q, entries %s then rewritten: the report differs from --no-cache's", opts, name)
			}
		}
	}
}

// TestAnalyzeStateNewFiles: the everyday loop. A folder is analysed, gains
// snapshots, and is analysed again from its state: the report is the one
// read from the files alone, byte for byte, as it is after a snapshot is
// removed (the state is then dropped) and with only the state on.
func TestAnalyzeStateNewFiles(t *testing.T) {
	cacheDir, dir := t.TempDir(), filepath.Join(t.TempDir(), "primary")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LEAKDIFF_CACHE_DIR", cacheDir)
	src := "../testdata/snapshots/primary"
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	add := func(names ...string) {
		t.Helper()
		for _, n := range names {
			b, err := os.ReadFile(filepath.Join(src, n))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, n), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if len(names) < 6 {
		t.Fatalf("%d snapshots in %s", len(names), src)
	}
	run := func(args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		args = append(append([]string{"analyze", "--format", "json", "--min-severity", "info"}, args...), dir)
		if code := Run(context.Background(), args, nil, &stdout, &stderr); code > 1 {
			t.Fatalf("%q: exit %d: %s", args, code, stderr.String())
		}
		return noCacheArg.ReplaceAllString(stdout.String(), "") + "\x00" + stderr.String()
	}
	add(names[:len(names)-3]...)
	run()
	for _, step := range []struct {
		what string
		do   func()
	}{
		{"one snapshot added", func() { add(names[len(names)-3]) }},
		{"two more", func() { add(names[len(names)-2:]...) }},
		{"nothing changed", func() {}},
		{"a snapshot removed", func() { os.Remove(filepath.Join(dir, names[0])) }},
		{"and added back", func() { add(names[0]) }},
	} {
		step.do()
		want := run("--no-cache")
		if got := run(); got != want {
			t.Fatalf("%s: the report differs from --no-cache's", step.what)
		}
	}
	states, _ := filepath.Glob(filepath.Join(cacheDir, "*", "*.entry"))
	if len(states) == 0 {
		t.Fatal("nothing cached")
	}
}

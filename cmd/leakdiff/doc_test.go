package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/leakdiff/leakdiff/cmd"
)

// TestDocExamples runs every "$ leakdiff ..." example of the manual in
// doc.go against the repository's testdata and compares the output, so the
// manual cannot drift from the program (benchstat's doc_test does the same).
func TestDocExamples(t *testing.T) {
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(src), "\n")
	found := 0
	for i := 0; i < len(lines); i++ {
		cmdline, ok := strings.CutPrefix(lines[i], "//\t$ leakdiff ")
		if !ok {
			continue
		}
		found++
		var want []string
		for i++; i < len(lines); i++ {
			l := lines[i]
			if l == "//" {
				want = append(want, "")
				continue
			}
			body, ok := strings.CutPrefix(l, "//\t")
			if !ok {
				break
			}
			want = append(want, body)
		}
		i--
		args := strings.Fields(cmdline)
		for j, a := range args {
			if strings.HasPrefix(a, "testdata/") {
				args[j] = "../../" + a
			}
		}
		var stdout, stderr bytes.Buffer
		if code := cmd.Run(context.Background(), args, nil, &stdout, &stderr); code != 0 {
			t.Errorf("leakdiff %s: exit %d: %s", cmdline, code, stderr.String())
		}
		// The report's last line records the command as run, with the
		// test's relative paths.
		got := trimLines(strings.ReplaceAll(stdout.String(), "../../testdata/", "testdata/"))
		if w := trimLines(strings.Join(want, "\n")); got != w {
			t.Errorf("leakdiff %s: output differs from doc.go\ngot:\n%s\nwant:\n%s", cmdline, got, w)
		}
	}
	if found == 0 {
		t.Fatal("no $ leakdiff example in doc.go")
	}
}

func trimLines(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		out = append(out, strings.TrimRight(l, " \t"))
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

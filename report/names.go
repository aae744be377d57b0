package report

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/leakdiff/leakdiff/profile"
)

func plural(n int, word string) string {
	if n == 1 || word == "series" {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// shortFunction drops the import path up to its last meaningful element:
// "github.com/rancher/remotedialer.pipe.func2" → "remotedialer.pipe.func2".
// A major-version element (v2, v3, …) says nothing on its own, so the one
// before it stays: "go.etcd.io/etcd/client/v3.(*watchGRPCStream).run" →
// "client/v3.(*watchGRPCStream).run".
func shortFunction(fn string) string {
	if i := strings.IndexByte(fn, '{'); i >= 0 && !strings.Contains(fn[:i], ".") {
		return shortMetric(fn)
	}
	// The path ends at the last '/' before the first '.' that follows it;
	// a '/' inside generic brackets never counts since names are folded.
	i := strings.LastIndexByte(fn, '/')
	if i < 0 {
		return fn
	}
	if majorVersion(fn[i+1:]) {
		if j := strings.LastIndexByte(fn[:i], '/'); j >= 0 {
			return fn[j+1:]
		}
		return fn
	}
	return fn[i+1:]
}

// majorVersion reports whether name starts with a Go module's major-version
// element: "v3.(*T).run", "v10.F".
func majorVersion(name string) bool {
	elem, _, _ := strings.Cut(name, ".")
	if len(elem) < 2 || elem[0] != 'v' {
		return false
	}
	for _, c := range elem[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

var labelValue = regexp.MustCompile(`[a-zA-Z_][a-zA-Z0-9_]*="((?:[^"\\]|\\.)*)"`)
var labelSet = regexp.MustCompile(`\{[^}]*\}`)

// shortMetric shows a long metric site (name{labels}, or a balance of two)
// with its labels' values only: {client,tcp}.
func shortMetric(s string) string {
	if len(s) <= 60 {
		return s
	}
	// A balance pairs two counters with the same labels: show the second
	// by what differs in its name.
	if a, b, ok := strings.Cut(s, profile.BalanceSep); ok {
		an, _, _ := strings.Cut(a, "{")
		bn, _, _ := strings.Cut(b, "{")
		common := 0
		for i := 0; i < min(len(an), len(bn)) && an[i] == bn[i]; i++ {
			if an[i] == '_' {
				common = i
			}
		}
		if common > 0 {
			bn = "…" + bn[common:]
		}
		s = a + profile.BalanceSep + bn
	}
	return labelSet.ReplaceAllStringFunc(s, func(set string) string {
		var vals []string
		for _, m := range labelValue.FindAllStringSubmatch(set, -1) {
			vals = append(vals, m[1])
		}
		return "{" + strings.Join(vals, ",") + "}"
	})
}

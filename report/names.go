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

// shortFunction drops the import path up to the last slash:
// "github.com/rancher/remotedialer.pipe.func2" → "remotedialer.pipe.func2".
func shortFunction(fn string) string {
	if i := strings.IndexByte(fn, '{'); i >= 0 && !strings.Contains(fn[:i], ".") {
		return shortMetric(fn)
	}
	// The path ends at the last '/' before the first '.' that follows it;
	// a '/' inside generic brackets never counts since names are folded.
	if i := strings.LastIndexByte(fn, '/'); i >= 0 {
		return fn[i+1:]
	}
	return fn
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

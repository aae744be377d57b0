package report

import (
	"fmt"
	"strings"
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
	// The path ends at the last '/' before the first '.' that follows it;
	// a '/' inside generic brackets never counts since names are folded.
	if i := strings.LastIndexByte(fn, '/'); i >= 0 {
		return fn[i+1:]
	}
	return fn
}

package rules

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/leakdiff/leakdiff/profile"
)

// FuzzParse: rule files come from users; whatever they hold, Parse returns
// a catalog or errors, never panics, and a catalog it returns can match.
func FuzzParse(f *testing.F) {
	f.Add(builtinYAML)
	f.Add([]byte(goodRule))
	for _, pattern := range []string{"../cmd/testdata/rules/*.yaml", "../testdata/*/*.yaml", "testdata/*.yaml"} {
		files, _ := filepath.Glob(pattern)
		for _, p := range files {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data)
			}
		}
	}
	f.Add([]byte("version: 1\nrules: [{id: a, match: [{site: ['(']}]}]\n"))
	f.Add([]byte("version: 1\nrules: [{id: \"a\x1b]0;owned\x07\", title: \"t\\n\u202e\", match: [{site: ['x']}]}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "fuzz.yaml")
		if err != nil {
			if c != nil {
				t.Fatal("catalog with an error")
			}
			return
		}
		s := &Subject{Kind: profile.KindGoroutine, Site: profile.Site{Function: "main.f"}, Stack: profile.Stack{{Function: "runtime.chansend1"}, {Function: "main.f"}}}
		_ = c.Match(s)
	})
}

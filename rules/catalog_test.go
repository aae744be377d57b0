package rules

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

func TestBuiltinParses(t *testing.T) {
	t.Parallel()
	c := Builtin()
	if len(c.Rules) < 20 {
		t.Fatalf("%d built-in rules, want the catalog of the issue", len(c.Rules))
	}
	for _, r := range c.Rules {
		if r.Why == "" {
			t.Errorf("rule %s has no why", r.ID)
		}
	}
}

func lintErrors(t *testing.T, src string) []*LintError {
	t.Helper()
	_, err := Parse([]byte(src), "user.yaml")
	if err == nil {
		return nil
	}
	var out []*LintError
	var join interface{ Unwrap() []error }
	errs := []error{err}
	if errors.As(err, &join) {
		errs = join.Unwrap()
	}
	for _, e := range errs {
		var le *LintError
		if !errors.As(e, &le) {
			t.Fatalf("error %v is not a *LintError", e)
		}
		out = append(out, le)
	}
	return out
}

const goodRule = `version: 1
rules:
  - id: my-cache
    title: My cache never evicts
    kind: heap
    why: entries are added per request and never removed
    match:
      - site: ['^example\.com/app/cache\.\(\*Cache\)\.Put$']
    explanation: The cache has no size bound.
    remedy: Bound it.
`

func TestParseLint(t *testing.T) {
	t.Parallel()
	if errs := lintErrors(t, goodRule); len(errs) != 0 {
		t.Fatalf("good rule: %v", errs)
	}
	tests := []struct {
		name     string
		src      string
		wantLine int
		wantRule string
		wantMsg  string
	}{
		{"bad_regexp", strings.Replace(goodRule, `\(\*Cache\)`, `(*Cache`, 1), 8, "my-cache", "bad regexp"},
		{"duplicate_id", goodRule + strings.TrimPrefix(goodRule, "version: 1\nrules:\n"), 11, "my-cache", "duplicate id (first at line 3)"},
		{"unknown_field", strings.Replace(goodRule, "    why:", "    whyy:", 1), 6, "", "field whyy not found"},
		{"bad_kind", strings.Replace(goodRule, "kind: heap", "kind: cpu", 1), 3, "my-cache", `kind "cpu"`},
		{"bad_version", strings.Replace(goodRule, "version: 1", "version: 2", 1), 1, "", "version is 2"},
		{"syntax", goodRule + "  - id: [unclosed\n", -1, "", ""}, // the line the parser gives
		{"no_matcher_condition", strings.Replace(goodRule, `      - site: ['^example\.com/app/cache\.\(\*Cache\)\.Put$']`, `      - not: ['x']`, 1), 3, "my-cache", "no site, stack or wait"},
		{"bad_shape", strings.Replace(goodRule, "    explanation:", "    trend:\n      shapes: [growing]\n    explanation:", 1), 3, "my-cache", "unknown shape"},
		{"bad_min_wait", strings.Replace(goodRule, `      - site:`, "      - min_wait: soon\n        site:", 1), 3, "my-cache", "min_wait"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			errs := lintErrors(t, tt.src)
			if len(errs) == 0 {
				t.Fatal("no lint error")
			}
			e := errs[0]
			if tt.wantLine < 0 && e.Line > 0 {
				tt.wantLine = e.Line
			}
			if e.File != "user.yaml" || e.Line != tt.wantLine || e.Rule != tt.wantRule || !strings.Contains(e.Msg, tt.wantMsg) {
				t.Errorf("got %q (line %d, rule %q), want line %d, rule %q, message containing %q", e.Error(), e.Line, e.Rule, tt.wantLine, tt.wantRule, tt.wantMsg)
			}
		})
	}
}

func TestMergeOverrides(t *testing.T) {
	t.Parallel()
	user, err := Parse([]byte(strings.Replace(goodRule, "my-cache", "wal-backlog", 1)), "user.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m := Merge(Builtin(), user)
	if len(m.Rules) != len(Builtin().Rules) || m.Rule("wal-backlog").File != "user.yaml" {
		t.Errorf("override: %d rules, wal-backlog from %s", len(m.Rules), m.Rule("wal-backlog").File)
	}
	extra, _ := Parse([]byte(goodRule), "user.yaml")
	if m := Merge(Builtin(), extra); m.Rules[len(m.Rules)-1].ID != "my-cache" {
		t.Errorf("new rule not appended")
	}
}

// TestEveryRuleHasFixtures: each rule id has a matching and a non-matching
// case on real fixtures under testdata/<id>/.
func TestEveryRuleHasFixtures(t *testing.T) {
	t.Parallel()
	for _, r := range Builtin().Rules {
		for _, f := range []string{"match.yaml", "nomatch.yaml"} {
			if _, err := os.Stat("testdata/" + r.ID + "/" + f); err != nil {
				t.Errorf("rule %s: no testdata/%s/%s", r.ID, r.ID, f)
			}
		}
	}
}

// TestRuleFilesAreData: rule files come from users. Template actions and
// markup in their text stay text, a YAML alias bomb is refused, and
// nothing names another file to include.
func TestRuleFilesAreData(t *testing.T) {
	t.Parallel()
	src := strings.NewReplacer(
		"The cache has no size bound.", `'{{ .Env.HOME }} {{ template "x" }} <script>alert(1)</script>'`,
		"Bound it.", `'$(rm -rf /) !include /etc/passwd'`,
	).Replace(goodRule)
	c, err := Parse([]byte(src), "user.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r := c.Rules[0]
	if r.Explanation != `{{ .Env.HOME }} {{ template "x" }} <script>alert(1)</script>` || r.Remedy != `$(rm -rf /) !include /etc/passwd` {
		t.Errorf("text changed on the way in: %q, %q", r.Explanation, r.Remedy)
	}
	// A billion laughs: nine levels of nine aliases.
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	anchors := b.String()
	// Where rules go, and where a rule wants strings (a billion of them if
	// expanded): refused either way, without expanding it.
	for _, tail := range []string{"version: 1\nrules: *a9\n", "version: 1\nrules: [{id: x, title: t, kind: heap, match: [{site: *a9}], explanation: e, remedy: r}]\n"} {
		if _, err := Parse([]byte(anchors+tail), "laughs.yaml"); err == nil {
			t.Errorf("alias bomb accepted: %s", tail)
		}
	}
	// A YAML tag that elsewhere means "include" is an unknown tag here.
	if _, err := Parse([]byte("version: 1\nrules: !include /etc/passwd\n"), "inc.yaml"); err == nil {
		t.Error("!include accepted")
	}
}

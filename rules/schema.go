package rules

import (
	"bytes"
	"errors"
	"fmt"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/leakdiff/leakdiff/diff"
	"github.com/leakdiff/leakdiff/profile"
)

// Version is the catalog schema version this package reads.
const Version = 1

// Catalog is a list of rules, in order: when two match a finding equally
// well, the earlier wins.
type Catalog struct {
	Version int     `yaml:"version"`
	Rules   []*Rule `yaml:"rules"`
}

// Rule is one known leak pattern.
type Rule struct {
	// ID is short, lower-case and stable: "etcd-watch-stream".
	ID    string `yaml:"id"`
	Title string `yaml:"title"`
	// Kind is "heap", "goroutine", "goroutineleak" or "any".
	Kind string `yaml:"kind"`
	// Why is one line on the pattern, in the style of goleak's filters.
	Why string `yaml:"why"`
	// Match lists alternatives: the rule matches when one of them holds.
	Match []Matcher `yaml:"match"`
	// Trend conditions; by default the finding must be growing linearly.
	Trend Trend `yaml:"trend,omitempty"`
	// Explanation and Remedy are written for an on-call engineer.
	Explanation string `yaml:"explanation"`
	Remedy      string `yaml:"remedy"`
	// References are the upstream issues, fixes or docs.
	References []string `yaml:"references,omitempty"`
	// Metrics are related Prometheus metrics to look at.
	Metrics []string `yaml:"metrics,omitempty"`
	// RelatedMetrics are pairs of counters that must move together (added
	// and removed connections): leakdiff analyze reports a pair whose
	// difference grows, as a metrics finding. A counter of the pair that
	// never appears counts as zero.
	RelatedMetrics [][]string `yaml:"related_metrics,omitempty"`
	// Severity moves a matched finding's severity up (+1, +2) or down.
	Severity int `yaml:"severity,omitempty"`
	// FixedIn lists library versions that fixed a leak of this kind inside
	// the library: where a finding's stack runs the module (its file paths
	// hold module@version, as Go builds record them), the report says
	// whether that version has the fix.
	FixedIn []Fix `yaml:"fixed_in,omitempty"`

	// File and Line say where the rule was defined (set by Load).
	File string `yaml:"-"`
	Line int    `yaml:"-"`
}

// Matcher is one conjunction of conditions on a finding's site and stack.
type Matcher struct {
	// Site: one of these regexps must match the site's function.
	Site []string `yaml:"site,omitempty"`
	// Stack: each regexp must match some frame of the site's stack.
	Stack []string `yaml:"stack,omitempty"`
	// Not: no frame of the stack may match any of these.
	Not []string `yaml:"not,omitempty"`
	// Wait: the goroutines' dominant wait reason must be one of these
	// ("chan send", "select", "IO wait"); checked only when a debug=2 dump
	// gave wait reasons.
	Wait []string `yaml:"wait,omitempty"`
	// MinWait: the longest wait must be at least this ("10m"); checked only
	// when a dump gave wait times.
	MinWait string `yaml:"min_wait,omitempty"`

	site, stack, not []*regexp.Regexp
	minWait          time.Duration
}

// Fix is a module version that fixed a leak: the first version of its
// release line (major.minor) with the fix. Several lines may each have one.
type Fix struct {
	Module  string `yaml:"module"`
	Version string `yaml:"version"`
	// Reference is the upstream fix (a URL).
	Reference string `yaml:"reference,omitempty"`
}

// Trend holds conditions on the fitted trend.
type Trend struct {
	// Shapes the finding must have; empty means the shapes of a leak
	// (linear, staircase, slowing).
	Shapes []string `yaml:"shapes,omitempty"`
	// MinSlope is the least slope per hour, in the series' unit.
	MinSlope float64 `yaml:"min_slope,omitempty"`

	shapes []diff.Shape
}

// defaultTrend reports whether the rule keeps the default trend condition
// (a leak's shapes, any slope).
func (r *Rule) defaultTrend() bool { return len(r.Trend.Shapes) == 0 && r.Trend.MinSlope == 0 }

// LintError is one problem in a rule file. It prints as
// "file:line: rule id: msg".
type LintError struct {
	File string
	Line int
	Rule string
	Msg  string
}

func (e *LintError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Rule != "" {
		fmt.Fprintf(&b, ": rule %s", e.Rule)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

var (
	idRE      = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	yamlLine  = regexp.MustCompile(`line (\d+)`)
	kindNames = map[string]bool{"heap": true, "goroutine": true, "goroutineleak": true, "any": true}
)

// Parse reads and lints a catalog. file names it in errors. It returns every
// problem it finds (errors.Join of *LintError), not just the first; a
// catalog with problems is not returned. Rule files are data: nothing in
// them is executed or included.
func Parse(data []byte, file string) (*Catalog, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError(file, err)
	}
	var c Catalog
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, yamlError(file, err)
	}
	lines := ruleLines(&root)
	var errs []error
	bad := func(line int, rule, format string, args ...any) {
		errs = append(errs, &LintError{File: file, Line: line, Rule: rule, Msg: fmt.Sprintf(format, args...)})
	}
	if c.Version != Version {
		bad(1, "", "version is %d, want %d", c.Version, Version)
	}
	if len(c.Rules) == 0 {
		bad(1, "", "no rules")
	}
	seen := map[string]int{}
	for i, r := range c.Rules {
		line := 0
		if i < len(lines) {
			line = lines[i]
		}
		if r == nil { // "- " with nothing after it (found by FuzzParse)
			bad(line, "", "rule %d is empty", i+1)
			continue
		}
		r.File, r.Line = file, line
		id := r.ID
		switch {
		case id == "":
			bad(line, "", "rule %d has no id", i+1)
		case !idRE.MatchString(id):
			bad(line, id, "id must be lower-case letters, digits and dashes")
		}
		if prev, ok := seen[id]; ok && id != "" {
			bad(line, id, "duplicate id (first at line %d)", prev)
		}
		seen[id] = line
		if r.Title == "" || r.Explanation == "" || r.Remedy == "" {
			bad(line, id, "title, explanation and remedy are required")
		}
		if !kindNames[r.Kind] {
			bad(line, id, "kind %q: want heap, goroutine, goroutineleak or any", r.Kind)
		}
		for _, pair := range r.RelatedMetrics {
			if len(pair) != 2 || pair[0] == "" || pair[1] == "" || pair[0] == pair[1] {
				bad(line, id, "related_metrics %v: want pairs of two different counter names", pair)
			}
		}
		for _, f := range r.FixedIn {
			if f.Module == "" || module.CheckPath(f.Module) != nil {
				bad(line, id, "fixed_in: module %q is not a module path", f.Module)
			}
			if !semver.IsValid(f.Version) {
				bad(line, id, "fixed_in: version %q of %s is not a semantic version like v1.2.3", f.Version, f.Module)
			}
		}
		if r.Severity < -2 || r.Severity > 2 {
			bad(line, id, "severity %d: want an adjustment from -2 to 2", r.Severity)
		}
		if len(r.Match) == 0 {
			bad(line, id, "no match: a rule needs at least one matcher")
		}
		for j := range r.Match {
			m := &r.Match[j]
			if len(m.Site)+len(m.Stack)+len(m.Wait) == 0 {
				bad(line, id, "matcher %d has no site, stack or wait condition", j+1)
			}
			compile := func(field string, pats []string) []*regexp.Regexp {
				var out []*regexp.Regexp
				for _, p := range pats {
					re, err := regexp.Compile(p)
					if err != nil {
						msg := strings.TrimPrefix(err.Error(), "error parsing regexp: ")
						bad(lineOf(data, line, p), id, "match %d: %s: bad regexp %q: %s", j+1, field, p, msg)
						continue
					}
					out = append(out, re)
				}
				return out
			}
			m.site, m.stack, m.not = compile("site", m.Site), compile("stack", m.Stack), compile("not", m.Not)
			if m.MinWait != "" {
				d, err := time.ParseDuration(m.MinWait)
				if err != nil || d < 0 {
					bad(line, id, "match %d: min_wait %q is not a duration like 10m", j+1, m.MinWait)
				}
				m.minWait = d
			}
		}
		for _, s := range r.Trend.Shapes {
			var sh diff.Shape
			if err := sh.UnmarshalText([]byte(s)); err != nil {
				bad(line, id, "trend: %v", err)
				continue
			}
			r.Trend.shapes = append(r.Trend.shapes, sh)
		}
		if len(r.Trend.shapes) == 0 {
			r.Trend.shapes = []diff.Shape{diff.ShapeLinear, diff.ShapeStaircase, diff.ShapeSlowing}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &c, nil
}

// lineOf finds the line, from the rule's line on, whose text holds the
// value (as written in single or double quotes, or plain), for errors about
// one pattern; the rule's line when not found.
func lineOf(data []byte, from int, value string) int {
	lines := strings.Split(string(data), "\n")
	for i := max(from-1, 0); i < len(lines); i++ {
		if strings.Contains(lines[i], value) || strings.Contains(lines[i], strings.ReplaceAll(value, "'", "''")) {
			return i + 1
		}
	}
	return from
}

// yamlError turns a YAML error into lint errors with their lines.
func yamlError(file string, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		var errs []error
		for _, msg := range te.Errors {
			errs = append(errs, lintFromYAML(file, msg))
		}
		return errors.Join(errs...)
	}
	return lintFromYAML(file, strings.TrimPrefix(err.Error(), "yaml: "))
}

func lintFromYAML(file, msg string) *LintError {
	e := &LintError{File: file, Msg: msg}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		fmt.Sscan(m[1], &e.Line)
		e.Msg = strings.TrimSpace(yamlLine.ReplaceAllString(msg, ""))
		e.Msg = strings.TrimLeft(e.Msg, ": ")
	}
	return e
}

// ruleLines returns the line of each rule in the document.
func ruleLines(root *yaml.Node) []int {
	if len(root.Content) == 0 {
		return nil
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		if doc.Content[i].Value == "rules" && doc.Content[i+1].Kind == yaml.SequenceNode {
			var out []int
			for _, r := range doc.Content[i+1].Content {
				out = append(out, r.Line)
			}
			return out
		}
	}
	return nil
}

// appliesTo reports whether the rule is about this kind.
func (r *Rule) appliesTo(k profile.Kind) bool {
	return r.Kind == "any" || r.Kind == k.String() || r.Kind == "goroutine" && k == profile.KindGoroutineLeak
}

package rules

import (
	_ "embed"
	"fmt"
	"os"
	"slices"
)

//go:embed builtin.yaml
var builtinYAML []byte

// builtin is parsed once at start; it is embedded, so a problem in it is a
// programmer error the tests catch.
var builtin = func() *Catalog {
	c, err := Parse(builtinYAML, "builtin.yaml")
	if err != nil {
		panic(fmt.Sprintf("rules: built-in catalog: %v", err))
	}
	return c
}()

// Builtin returns the embedded catalog (a copy of its rule list).
func Builtin() *Catalog {
	return &Catalog{Version: builtin.Version, Rules: slices.Clone(builtin.Rules)}
}

// Load reads and lints a rule file.
func Load(path string) (*Catalog, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read rules %s: %w", path, err)
	}
	return Parse(data, path)
}

// Merge returns base with the rules of each extra catalog added in order: a
// rule whose id is already present replaces it in place (a user's version
// of a built-in rule), others are appended.
func Merge(base *Catalog, extra ...*Catalog) *Catalog {
	out := &Catalog{Version: Version}
	if base != nil {
		out.Rules = slices.Clone(base.Rules)
	}
	for _, c := range extra {
		for _, r := range c.Rules {
			if i := slices.IndexFunc(out.Rules, func(o *Rule) bool { return o.ID == r.ID }); i >= 0 {
				out.Rules[i] = r
			} else {
				out.Rules = append(out.Rules, r)
			}
		}
	}
	return out
}

// RelatedMetrics returns every rule's counter pairs, once each.
func (c *Catalog) RelatedMetrics() [][2]string {
	var out [][2]string
	seen := map[[2]string]bool{}
	for _, r := range c.Rules {
		for _, p := range r.RelatedMetrics {
			if len(p) == 2 && !seen[[2]string{p[0], p[1]}] {
				seen[[2]string{p[0], p[1]}] = true
				out = append(out, [2]string{p[0], p[1]})
			}
		}
	}
	return out
}

// Rule returns the rule with this id, or nil.
func (c *Catalog) Rule(id string) *Rule {
	for _, r := range c.Rules {
		if r.ID == id {
			return r
		}
	}
	return nil
}

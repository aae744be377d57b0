package rules

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEExampleRule: the full rule the README documents the schema
// with must itself pass the lint.
func TestREADMEExampleRule(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	i := strings.Index(s, "### Schema")
	if i < 0 {
		t.Fatal("README has no schema section")
	}
	s = s[i:]
	start := strings.Index(s, "```yaml\n")
	end := strings.Index(s[start+8:], "```")
	if start < 0 || end < 0 {
		t.Fatal("no yaml block in the schema section")
	}
	c, err := Parse([]byte(s[start+8:start+8+end]), "README.md")
	if err != nil {
		t.Fatalf("README example: %v", err)
	}
	if len(c.Rules) != 1 || len(c.Rules[0].Match) != 2 {
		t.Errorf("README example: %d rules", len(c.Rules))
	}
}

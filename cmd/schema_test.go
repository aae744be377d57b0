package cmd

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/leakdiff/leakdiff/report"
)

// compileSchema compiles a published JSON Schema file, asserting formats
// (date-time) as a strict reader would.
func compileSchema(t *testing.T, path string) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(path, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(path)
	if err != nil {
		t.Fatalf("compile %s: %v", path, err)
	}
	return s
}

// TestGoldenReportsMatchSchema validates every golden JSON report (and the
// report of every fixture at every severity) against the published schema:
// the schema documents what the tool writes.
func TestGoldenReportsMatchSchema(t *testing.T) {
	t.Parallel()
	schemas := map[string]*jsonschema.Schema{
		report.SchemaVersion:        compileSchema(t, "../report/leakdiff.report.v1.schema.json"),
		report.CompareSchemaVersion: compileSchema(t, "../report/leakdiff.compare.v1.schema.json"),
	}
	seen := map[string]int{}
	validate := func(name string, data []byte) {
		t.Helper()
		var head struct{ Schema string }
		if json.Unmarshal(data, &head) != nil || schemas[head.Schema] == nil {
			return
		}
		sch := schemas[head.Schema]
		seen[head.Schema]++
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			return
		}
		if err := sch.Validate(doc); err != nil {
			t.Errorf("%s does not match the schema: %v", name, err)
		}
	}
	goldens, _ := filepath.Glob("testdata/*.stdout")
	for _, g := range goldens {
		data, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		validate(g, data)
	}
	if seen[report.SchemaVersion] < 3 || seen[report.CompareSchemaVersion] < 1 {
		t.Errorf("golden JSON reports validated: %v; want at least 3 reports and 1 comparison", seen)
	}
}

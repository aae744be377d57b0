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
	sch := compileSchema(t, "../report/leakdiff.report.v1.schema.json")
	validate := func(name string, data []byte) {
		t.Helper()
		var head struct{ Schema string }
		if json.Unmarshal(data, &head) != nil || head.Schema != report.SchemaVersion {
			return
		}
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
	n := 0
	for _, g := range goldens {
		data, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte(`"schema": "leakdiff.report/v1"`)) {
			n++
		}
		validate(g, data)
	}
	if n < 3 {
		t.Errorf("%d golden JSON reports: want at least 3", n)
	}
}

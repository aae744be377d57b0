package report

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/leakdiff/leakdiff/internal/golden"
)

// jsonSchema derives a JSON Schema (draft 2020-12) from a Go type: structs
// become objects whose every field is required, pointers nullable, time.Time
// a date-time string.
func jsonSchema(t reflect.Type) map[string]any {
	nullable := false
	if t.Kind() == reflect.Pointer {
		nullable, t = true, t.Elem()
	}
	var s map[string]any
	switch {
	case t == reflect.TypeOf(time.Time{}):
		s = map[string]any{"type": "string", "format": "date-time"}
	case t.Kind() == reflect.Struct:
		props := map[string]any{}
		var req []string
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" || !f.IsExported() {
				continue
			}
			ps := jsonSchema(f.Type)
			if d := f.Tag.Get("deprecated"); d != "" {
				ps["deprecated"] = true
				ps["description"] = "Deprecated: " + d
			}
			props[name] = ps
			// A field added within v1 (since:"1.1") is absent from
			// reports of earlier v1 versions: not required.
			if f.Tag.Get("since") == "" {
				req = append(req, name)
			}
		}
		// Fields may be added within v1: readers must ignore those they
		// do not know, and the schema allows them.
		s = map[string]any{"type": "object", "properties": props, "required": req}
	case t.Kind() == reflect.Map:
		s = map[string]any{"type": "object", "additionalProperties": jsonSchema(t.Elem())}
	case t.Kind() == reflect.Slice:
		s = map[string]any{"type": "array", "items": jsonSchema(t.Elem())}
	case t.Kind() == reflect.String:
		s = map[string]any{"type": "string"}
	case t.Kind() == reflect.Bool:
		s = map[string]any{"type": "boolean"}
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		s = map[string]any{"type": "integer"}
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		s = map[string]any{"type": "number"}
	default:
		panic("jsonSchema: unsupported " + t.String())
	}
	if nullable {
		s["type"] = []any{s["type"], "null"}
	}
	return s
}

// TestSchemaFiles: report/leakdiff.report.v1.schema.json and
// leakdiff.compare.v1.schema.json are generated from JSONReport and
// JSONVerification (go test ./report -update rewrites them), so the
// documented schemas are the types.
func TestSchemaFiles(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		file, title string
		typ         reflect.Type
	}{
		{"leakdiff.report.v1.schema.json", "leakdiff report, " + SchemaVersion, reflect.TypeOf(JSONReport{})},
		{"leakdiff.compare.v1.schema.json", "leakdiff compare, " + CompareSchemaVersion, reflect.TypeOf(JSONVerification{})},
	} {
		s := jsonSchema(tt.typ)
		s["$schema"] = "https://json-schema.org/draft/2020-12/schema"
		s["$id"] = "https://github.com/leakdiff/leakdiff/report/" + tt.file
		s["title"] = tt.title
		data, err := json.MarshalIndent(s, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		golden.Check(t, tt.file, append(data, '\n'))
	}
}

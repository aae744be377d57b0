package report

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/olekukonko/tablewriter/pkg/twwidth"

	"github.com/leakdiff/leakdiff/diff"
)

// TestHTMLCardForEveryFinding: every listed finding, not only the first
// few, has a card with its chart, stack and rule or no-rule note.
func TestHTMLCardForEveryFinding(t *testing.T) {
	t.Parallel()
	r := fixtureReport(t, "../testdata/fixtures/remotedialer")
	r.MinSeverity, r.Top = diff.SeverityInfo, 100
	listed, _ := r.listed()
	if len(listed) <= 3 {
		t.Fatalf("%d findings listed: the fixture should give more than 3", len(listed))
	}
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	cards := strings.Count(page, `<section class="card"`)
	if cards != len(listed) {
		t.Errorf("%d cards for %d listed findings", cards, len(listed))
	}
	for i := range listed {
		id := regexp.MustCompile(`<section class="card" id="f` + strconv.Itoa(i+1) + `">(?s:.*?)</section>`)
		card := id.FindString(page)
		if card == "" || !strings.Contains(card, "<svg") || !strings.Contains(card, "<pre>") || !strings.Contains(card, "<figcaption>") {
			t.Errorf("finding %d: card missing or without chart, caption and stack", i+1)
		}
	}
}

// TestSummaryAgrees: the four formats give the same counts for one input.
func TestSummaryAgrees(t *testing.T) {
	t.Parallel()
	for _, dir := range []string{"../testdata/fixtures/remotedialer", "../testdata/fixtures/tombstones", "../testdata/fixtures/remotedialer-metrics"} {
		r := fixtureReport(t, dir)
		line := r.Summary().Line()
		var j JSONReport
		var buf bytes.Buffer
		if err := WriteJSON(&buf, r); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(buf.Bytes(), &j); err != nil {
			t.Fatal(err)
		}
		s := r.Summary()
		if j.Inputs.Files != s.Files || j.Inputs.Snapshots != s.Snapshots || j.Inputs.Series != s.Series || j.Inputs.Sources != s.Sources ||
			len(j.Inputs.CountedOnce) != s.CountedOnce || len(j.Inputs.Skipped) != s.Skipped || len(j.Inputs.SetAside) != s.SetAside {
			t.Errorf("%s: JSON inputs %+v disagree with the summary %+v", dir, j.Inputs, s)
		}
		for _, f := range []Format{FormatTable, FormatMarkdown, FormatHTML} {
			var out bytes.Buffer
			if err := Render(&out, r, f, Options{}); err != nil {
				t.Fatal(err)
			}
			want := line
			if f == FormatMarkdown {
				want = mdText(capitalize(line))
			}
			if f == FormatHTML {
				want = strings.ReplaceAll(want, "→", "→") // html/template leaves it as is
			}
			if !strings.Contains(out.String(), want) {
				t.Errorf("%s: %s lacks the summary %q", dir, f, want)
			}
		}
	}
}

// TestTableFitsWidth: at 80 and 100 columns no line of the table report is
// wider; names cut short are listed whole; without a width nothing is cut.
func TestTableFitsWidth(t *testing.T) {
	t.Parallel()
	r := fixtureReport(t, "../testdata/fixtures/remotedialer-metrics")
	r.MinSeverity, r.Top = diff.SeverityInfo, 12
	for _, width := range []int{80, 100, 0} {
		r.Width = width
		var buf bytes.Buffer
		if err := WriteText(&buf, *r); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		inTables, inFull := true, false
		for _, line := range strings.Split(out, "\n") {
			if strings.HasSuffix(line, " ") {
				t.Errorf("width %d: a line ends in spaces: %q", width, line)
			}
			if strings.Contains(line, "in full (--wide") {
				inFull = true // names listed whole, on purpose
				continue
			}
			if inFull && !strings.HasPrefix(line, "  ") {
				inFull = false
			}
			if inFull {
				continue
			}
			if w := twwidth.Width(line); inTables && width > 0 && w > width {
				t.Errorf("width %d: line of %d columns: %q", width, w, line)
			}
		}
		cut := strings.Contains(out, "in full (--wide")
		if width == 0 && cut {
			t.Errorf("no width: names were cut:\n%s", out)
		}
		if width == 80 && !cut {
			t.Errorf("width 80: no name cut short, or cut and not listed whole:\n%s", out)
		}
	}
}

func TestElideMiddle(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		w    int
		want string
	}{
		{"remotedialer.(*readBuffer).Read", 40, "remotedialer.(*readBuffer).Read"},
		{"remotedialer.(*readBuffer).Read", 16, "remotedi…er).Read"[:0] + "remotedi…r).Read"},
		{"abcdef", 1, "…"},
	} {
		got := elideMiddle(tt.in, tt.w)
		if got != tt.want || twwidth.Width(got) > max(tt.w, 1) {
			t.Errorf("elideMiddle(%q, %d) = %q, want %q", tt.in, tt.w, got, tt.want)
		}
	}
}

package report

import (
	"fmt"
	"io"
	"strings"
)

// Format is an output format.
type Format int

// The formats of Render.
const (
	FormatTable Format = iota
	FormatJSON
	FormatMarkdown
	FormatHTML
)

var formatNames = [...]string{"table", "json", "markdown", "html"}

func (f Format) String() string {
	if f < 0 || int(f) >= len(formatNames) {
		return fmt.Sprintf("Format(%d)", int(f))
	}
	return formatNames[f]
}

// ParseFormat reads a format name.
func ParseFormat(s string) (Format, error) {
	for i, n := range formatNames {
		if n == s || s == "md" && n == "markdown" {
			return Format(i), nil
		}
	}
	return 0, fmt.Errorf("unknown format %q (want one of %s)", s, strings.Join(formatNames[:], ", "))
}

// Options tunes rendering.
type Options struct {
	// Color uses ANSI colours in the table (a terminal without NO_COLOR).
	Color bool
}

// Render writes r in format f. All formats read the same ranked findings.
func Render(w io.Writer, r *Report, f Format, o Options) error {
	switch f {
	case FormatTable:
		r.color = o.Color
		return WriteText(w, *r)
	case FormatJSON:
		return WriteJSON(w, r)
	case FormatMarkdown:
		return WriteMarkdown(w, r)
	case FormatHTML:
		return WriteHTML(w, r)
	}
	panic(fmt.Sprintf("report: unknown format %d", int(f)))
}

// sparkline draws values as ▁▂▃▄▅▆▇█, at most width characters (values
// are sampled evenly when there are more).
func sparkline(v []int64, width int) string {
	if len(v) == 0 {
		return ""
	}
	const bars = "▁▂▃▄▅▆▇█"
	runes := []rune(bars)
	n := min(len(v), width)
	lo, hi := v[0], v[0]
	for _, x := range v {
		lo, hi = min(lo, x), max(hi, x)
	}
	var b strings.Builder
	for i := range n {
		x := v[i*len(v)/n]
		if i == n-1 {
			x = v[len(v)-1]
		}
		k := 0
		if hi > lo {
			k = int(float64(x-lo) / float64(hi-lo) * float64(len(runes)-1))
		}
		b.WriteRune(runes[k])
	}
	return b.String()
}

package report

import (
	"bytes"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter/pkg/twwidth"
	"github.com/olekukonko/tablewriter/tw"
)

// fitStep is one way to narrow a table: drop a column, or elide a
// column's cells to at most to columns (keeping both ends of the text).
type fitStep struct {
	col  int
	drop bool
	to   int
}

func drop(col int) fitStep      { return fitStep{col: col, drop: true} }
func elide(col, to int) fitStep { return fitStep{col: col, to: to} }
func cellWidth(s string) int    { return twwidth.Width(s) }
func lineWidth(widths []int) (n int) {
	for _, w := range widths {
		n += w + 2 // a cell is padded by one space each side
	}
	return n - 1 // the last one's trailing space is trimmed
}

// fitted is a table narrowed to a width.
type fitted struct {
	header []string
	align  []tw.Align
	rows   [][]string
	// cut marks, per row, the kept columns whose cell was elided.
	cut [][]bool
}

// fitTable applies steps, in order, until the table's lines fit in width
// columns (0: any width). Colour codes do not count towards widths.
func fitTable(header []string, align []tw.Align, rows [][]string, width int, steps []fitStep) fitted {
	n := len(header)
	keep := make([]bool, n)
	maxw := make([]int, n) // 0: whole
	for i := range keep {
		keep[i] = true
	}
	widths := func() []int {
		var out []int
		for c := range n {
			if !keep[c] {
				continue
			}
			w := cellWidth(header[c])
			for _, r := range rows {
				cw := cellWidth(r[c])
				if maxw[c] > 0 {
					cw = min(cw, maxw[c])
				}
				w = max(w, cw)
			}
			out = append(out, w)
		}
		return out
	}
	if width > 0 {
		for _, st := range steps {
			if lineWidth(widths()) <= width {
				break
			}
			if st.drop {
				keep[st.col] = false
			} else {
				maxw[st.col] = max(st.to, cellWidth(header[st.col]))
			}
		}
	}
	var f fitted
	for c := range n {
		if keep[c] {
			f.header = append(f.header, header[c])
			f.align = append(f.align, align[c])
		}
	}
	for _, r := range rows {
		var row []string
		var cut []bool
		for c := range n {
			if !keep[c] {
				continue
			}
			s := r[c]
			elided := maxw[c] > 0 && cellWidth(s) > maxw[c]
			if elided {
				s = elideMiddle(s, maxw[c])
			}
			row = append(row, s)
			cut = append(cut, elided)
		}
		f.rows = append(f.rows, row)
		f.cut = append(f.cut, cut)
	}
	return f
}

// elideMiddle keeps the start and the end of s, which say most about a
// name ("remotedialer.(*rea…ffer).Read"), in at most w columns.
func elideMiddle(s string, w int) string {
	if cellWidth(s) <= w {
		return s
	}
	if w < 2 {
		return "…"
	}
	rs := []rune(s)
	tail := (w - 1) / 2
	head := w - 1 - tail
	for head > 0 && cellWidth(string(rs[:head])) > w-1-tail {
		head--
	}
	for tail > 0 && cellWidth(string(rs[len(rs)-tail:]))+cellWidth(string(rs[:head])) > w-1 {
		tail--
	}
	return string(rs[:head]) + "…" + string(rs[len(rs)-tail:])
}

// render writes the table with newTable's style, without the spaces that
// pad each line's last cell.
func (f fitted) render(w io.Writer) error {
	var buf bytes.Buffer
	t := newTable(&buf, f.align)
	t.Header(f.header)
	for _, r := range f.rows {
		if err := t.Append(r); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	for _, line := range strings.SplitAfter(buf.String(), "\n") {
		if line == "" {
			continue
		}
		nl := strings.HasSuffix(line, "\n")
		line = strings.TrimRight(line, " \n")
		if nl {
			line += "\n"
		}
		if _, err := io.WriteString(w, line); err != nil {
			return err
		}
	}
	return nil
}

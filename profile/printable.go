package profile

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Printable returns s with what a terminal or a reader's eye would act on
// made visible, as Go escapes: C0 and C1 control characters (ESC starts
// the sequences that retitle a window or clear a screen; a newline fakes a
// line of output), DEL, the Unicode bidirectional controls (which reorder
// what a reader sees: "Trojan Source"), and bytes that are not UTF-8.
// Names, labels and paths from inputs pass through it before they are
// kept or printed; text without such characters is returned as it is.
func Printable(s string) string {
	i := strings.IndexFunc(s, unprintable)
	if i < 0 && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x80 && unprintable(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unprintable(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func unprintable(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true // bidirectional controls
	}
	return false
}

package profile

import (
	"fmt"
	"testing"
)

func TestPrintable(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"main.(*T).Method", "main.(*T).Method"},
		{"héllo, 世界", "héllo, 世界"},
		{"\x1b]0;owned\x07main.f", `\x1b]0;owned\x07main.f`},
		{"\x1b[2J\x1b[H", `\x1b[2J\x1b[H`},
		{"a\nleakdiff: 0 findings\rb\tc", `a\nleakdiff: 0 findings\rb\tc`},
		{"x\x7fy\u009bz", `x\x7fy\u009bz`},
		{"admin\u202etxt.exe", `admin\u202etxt.exe`},
		{"bad\xffutf8", `bad\xffutf8`},
	} {
		if got := Printable(tc.in); got != tc.want {
			t.Errorf("Printable(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func ExamplePrintable() {
	fmt.Println(Printable("main.handler\x1b]0;pwned\x07"))
	// Output: main.handler\x1b]0;pwned\x07
}

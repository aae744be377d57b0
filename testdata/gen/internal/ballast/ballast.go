// Package ballast is only linked into the "b" build (go build -tags pad, see
// ../../pad.go). It is dead weight: a large function and a large table that
// are never used at run time but are kept by the linker. The linker lays out
// packages in dependency order, and ballast is placed before the leaking
// packages, so their code addresses (and those of main) differ between
// testdata/builds/a and testdata/builds/b while function names, files and
// lines stay the same.
package ballast

import "fmt"

// Table is 64 KiB of initialised (non-zero) data.
var Table = [64 << 10]byte{1, 2, 3}

// Weight is a long, branchy function whose only purpose is its code size.
func Weight(x int) string {
	switch x % 10 {
	case 0:
		return fmt.Sprintf("%d %x %o %b %q", x, x*3, x*5, x*7, Table[x%len(Table)])
	case 1:
		return fmt.Sprintf("%v %v %v", []int{x, x + 1, x + 2}, map[int]string{x: "a"}, struct{ A, B int }{x, -x})
	case 2:
		return fmt.Sprint(float64(x)/3, complex(float64(x), 2), uint8(x), int16(x))
	case 3:
		return fmt.Sprintf("%08.3f|%-10s|%+d", float64(x)*1.5, "pad", x)
	case 4:
		s := 0
		for i := range Table {
			s += int(Table[i]) * (i ^ x)
		}
		return fmt.Sprint(s)
	case 5:
		return fmt.Sprintf("%T %T %T", x, &x, []any{x})
	case 6:
		return fmt.Sprintln(x, x<<1, x<<2, x<<3, x<<4, x<<5, x<<6, x<<7)
	case 7:
		return fmt.Sprintf("%[2]d %[1]d %[3]*d", x, x+1, 5, x+2)
	default:
		return fmt.Sprintf("%#v", [4]any{x, "b", 3.0, nil})
	}
}

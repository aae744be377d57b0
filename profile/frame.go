package profile

import (
	"crypto/sha256"
	"encoding/binary"
	"path"
	"strings"
	"unsafe"
)

// Frame is one normalised stack frame. Function is the normalised function
// name (see NormalizeFunction); File is the source file as recorded (may be
// empty, e.g. for frames without line information); Line is 0 when unknown.
type Frame struct {
	Function string
	File     string
	Line     int
}

// Stack is a call stack, leaf (innermost frame) first, root last.
type Stack []Frame

// contentKey is the first 128 bits of a SHA-256 of the stack's frames
// (names, files, lines, each length-prefixed): the same in every process,
// so that a cache entry names its stacks by it and a run reads each
// distinct stack's frames once, and a crafted profile cannot make two
// stacks share one.
func (s Stack) contentKey() [2]uint64 {
	h := sha256.New()
	var n [8]byte
	num := func(v int) {
		binary.LittleEndian.PutUint64(n[:], uint64(v))
		h.Write(n[:])
	}
	str := func(v string) {
		num(len(v))
		h.Write(unsafe.Slice(unsafe.StringData(v), len(v)))
	}
	num(len(s))
	for i := range s {
		str(s[i].Function)
		str(s[i].File)
		num(s[i].Line)
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return [2]uint64{binary.LittleEndian.Uint64(sum[:]), binary.LittleEndian.Uint64(sum[8:])}
}

// Key returns a string that identifies the stack by function names only, so
// that the same stack from two builds of a program has the same key.
func (s Stack) Key() string {
	var b strings.Builder
	for i, f := range s {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(f.Function)
	}
	return b.String()
}

// lessStack orders stacks by their function names, leaf first, a stack
// before the longer ones it starts: the order of Key for names without
// control characters, without building the keys.
func lessStack(a, b Stack) bool {
	for i := range min(len(a), len(b)) {
		if c := strings.Compare(a[i].Function, b[i].Function); c != 0 {
			return c < 0
		}
	}
	return len(a) < len(b)
}

// Functions returns the function names of the stack, leaf first.
func (s Stack) Functions() []string {
	out := make([]string, len(s))
	for i, f := range s {
		out[i] = f.Function
	}
	return out
}

// NormalizeFunction returns the name under which a function is aligned across
// snapshots, builds and formats. It
//   - drops the argument list and "+0x1f" offsets that text dumps print
//     ("main.(*T).run(0xc000012345, {0x1, 0x2})" → "main.(*T).run");
//   - folds every generic instantiation to "[...]" ("pkg.Map[go.shape.int,go.shape.string].Get"
//     and "pkg.Map[...].Get" → "pkg.Map[...].Get");
//   - strips vendor directories ("k8s.io/x/vendor/github.com/a/b.F" → "github.com/a/b.F",
//     "vendor/golang.org/x/net/http2.F" → "golang.org/x/net/http2.F" only when the
//     prefix is not the standard library's own vendor tree, which stays standard library);
//   - keeps closure suffixes (".func2", ".gowrap1", ".1"): rules match on them.
func NormalizeFunction(name string) string {
	name = strings.TrimSpace(name)
	if name == "" {
		return name
	}
	// Argument list of a text dump: the trailing "(...)" after the name. A
	// method expression "(*T)" is always followed by ".", so a "(" whose
	// matching ")" ends the string is the argument list.
	if strings.HasSuffix(name, ")") {
		if i := argListStart(name); i > 0 {
			name = name[:i]
		}
	}
	// "+0x1f" offset as printed in debug=1 '#' lines.
	if i := strings.LastIndex(name, "+0x"); i > 0 && isHex(name[i+3:]) {
		name = name[:i]
	}
	if strings.IndexByte(name, '[') >= 0 {
		name = foldGenerics(name)
	}
	if i := strings.LastIndex(name, "/vendor/"); i >= 0 {
		name = name[i+len("/vendor/"):]
	}
	return Printable(name)
}

// argListStart finds the "(" that opens the argument list ending the string,
// or -1.
func argListStart(s string) int {
	depth := 0
	for i := len(s) - 1; i >= 0; i-- {
		switch s[i] {
		case ')':
			depth++
		case '(':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// foldGenerics replaces the contents of every top-level [...] with "...".
func foldGenerics(s string) string {
	var b strings.Builder
	depth := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '[':
			if depth == 0 {
				b.WriteString("[...")
			}
			depth++
		case c == ']' && depth > 0:
			depth--
			if depth == 0 {
				b.WriteByte(']')
			}
		case depth == 0:
			b.WriteByte(c)
		}
	}
	if depth > 0 { // unbalanced: keep what we had
		return s
	}
	return b.String()
}

// NormalizeFile shortens a source path to its last directory and file name,
// without a module version ("/home/u/go/pkg/mod/github.com/a/b@v1.2.0/c/d.go"
// → "c/d.go", "/src/app/server.go" → "app/server.go"), so that builds in
// different directories or with -trimpath align at line granularity.
func NormalizeFile(file string) string {
	if file == "" {
		return ""
	}
	file = strings.ReplaceAll(file, `\`, "/")
	dir, base := path.Split(file)
	dir = strings.TrimSuffix(dir, "/")
	last := path.Base(dir)
	if i := strings.IndexByte(last, '@'); i >= 0 {
		last = last[:i]
	}
	if dir == "" || last == "." || last == "/" {
		return base
	}
	return last + "/" + base
}

// PackageOf returns the import path of a Go function name
// ("net/http.(*persistConn).readLoop" → "net/http", "main.main" → "main").
// Names without a package (C, Rust, Java symbols) return "".
func PackageOf(fn string) string {
	slash := strings.LastIndexByte(fn, '/')
	rest := fn[slash+1:]
	dot := strings.IndexByte(rest, '.')
	if dot < 0 {
		return ""
	}
	return fn[:slash+1+dot]
}

// IsGoStdlib reports whether a Go function name belongs to the Go runtime or
// standard library, by the first element of its import path ("runtime",
// "net/http", "internal/poll", the standard library's own
// "vendor/golang.org/x/net/http2"). Code of the program ("main"), of modules
// ("github.com/…") and of other languages ("java.util…", "alloc::…") is not.
func IsGoStdlib(fn string) bool {
	if strings.HasPrefix(fn, "type:") { // compiler-generated type functions
		return true
	}
	pkg := PackageOf(fn)
	if pkg == "" {
		return false
	}
	first, _, _ := strings.Cut(pkg, "/")
	if !stdRoots[first] {
		return false
	}
	return true
}

// stdRoots are the first path elements of the Go standard library's
// packages (go list std, Go 1.26), plus "vendor" for its vendored x/ code.
var stdRoots = map[string]bool{
	"archive": true, "arena": true, "bufio": true, "builtin": true, "bytes": true,
	"cmp": true, "compress": true, "container": true, "context": true, "crypto": true,
	"database": true, "debug": true, "embed": true, "encoding": true, "errors": true,
	"expvar": true, "flag": true, "fmt": true, "go": true, "hash": true, "html": true,
	"image": true, "index": true, "internal": true, "io": true, "iter": true,
	"log": true, "maps": true, "math": true, "mime": true, "net": true, "os": true,
	"path": true, "plugin": true, "reflect": true, "regexp": true, "runtime": true,
	"slices": true, "sort": true, "strconv": true, "strings": true, "structs": true,
	"sync": true, "syscall": true, "testing": true, "text": true, "time": true,
	"unicode": true, "unique": true, "unsafe": true, "weak": true, "vendor": true,
	"simd": true,
}

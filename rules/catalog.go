package rules

import (
	_ "embed"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"syscall"
)

//go:embed builtin.yaml
var builtinYAML []byte

// builtin is parsed once at start; it is embedded, so a problem in it is a
// programmer error the tests catch.
var builtin = func() *Catalog {
	c, err := Parse(builtinYAML, "builtin.yaml")
	if err != nil {
		panic(fmt.Sprintf("rules: built-in catalog: %v", err))
	}
	return c
}()

// Builtin returns the embedded catalog (a copy of its rule list).
func Builtin() *Catalog {
	return &Catalog{Version: builtin.Version, Rules: slices.Clone(builtin.Rules)}
}

// MaxFileSize bounds a rule file: the built-in catalog is a hundredth of it.
const MaxFileSize = 16 << 20

// Load reads and lints a rule file. Only a regular file of up to
// MaxFileSize is read: a FIFO would block, a device (/dev/zero) never end.
// The file is opened without blocking and checked once open, so that
// nothing swapped in between a check and the open is read either.
func Load(path string) (*Catalog, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("read rules %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	switch {
	case err != nil:
		return nil, fmt.Errorf("read rules %s: %w", path, err)
	case fi.IsDir():
		return nil, fmt.Errorf("read rules %s: is a directory, not a rule file", path)
	case !fi.Mode().IsRegular():
		return nil, fmt.Errorf("read rules %s: not a regular file (%s): rule files are read from regular files only", path, fileType(fi.Mode()))
	case fi.Size() > MaxFileSize:
		return nil, fmt.Errorf("read rules %s: %d bytes, larger than any rule file (the limit is %d MiB): not read", path, fi.Size(), MaxFileSize>>20)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read rules %s: %w", path, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("read rules %s: larger than any rule file (the limit is %d MiB): not read further", path, MaxFileSize>>20)
	}
	return Parse(data, path)
}

// fileType names what a file that is not regular is.
func fileType(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return m.Type().String()
}

// Merge returns base with the rules of each extra catalog added in order: a
// rule whose id is already present replaces it in place (a user's version
// of a built-in rule), others are appended.
func Merge(base *Catalog, extra ...*Catalog) *Catalog {
	out := &Catalog{Version: Version}
	if base != nil {
		out.Rules = slices.Clone(base.Rules)
	}
	for _, c := range extra {
		for _, r := range c.Rules {
			if i := slices.IndexFunc(out.Rules, func(o *Rule) bool { return o.ID == r.ID }); i >= 0 {
				out.Rules[i] = r
			} else {
				out.Rules = append(out.Rules, r)
			}
		}
	}
	return out
}

// RelatedMetrics returns every rule's counter pairs, once each.
func (c *Catalog) RelatedMetrics() [][2]string {
	var out [][2]string
	seen := map[[2]string]bool{}
	for _, r := range c.Rules {
		for _, p := range r.RelatedMetrics {
			if len(p) == 2 && !seen[[2]string{p[0], p[1]}] {
				seen[[2]string{p[0], p[1]}] = true
				out = append(out, [2]string{p[0], p[1]})
			}
		}
	}
	return out
}

// Rule returns the rule with this id, or nil.
func (c *Catalog) Rule(id string) *Rule {
	for _, r := range c.Rules {
		if r.ID == id {
			return r
		}
	}
	return nil
}

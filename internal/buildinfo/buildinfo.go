// Package buildinfo says which build of leakdiff is running, for
// `leakdiff --version` and for the generator recorded in every report.
package buildinfo

import (
	"runtime/debug"
	"strings"
)

// Version is the main module's version, with the VCS revision when the
// build is stamped with one and the version does not already hold it (a
// pseudo-version ends in the revision), and "+dirty" for a build of
// modified sources; "(devel)" when nothing is known.
func Version() string {
	v := "(devel)"
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	if bi.Main.Version != "" {
		v = bi.Main.Version
	}
	var rev string
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value[:min(12, len(s.Value))]
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev != "" && !strings.Contains(v, rev) {
		v += " " + rev
	}
	if dirty && !strings.Contains(v, "dirty") {
		v += "+dirty"
	}
	return v
}

// GoVersion is the Go version the binary was built with.
func GoVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		return bi.GoVersion
	}
	return "unknown"
}

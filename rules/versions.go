package rules

import (
	"slices"
	"strings"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"

	"github.com/leakdiff/leakdiff/profile"
)

// VersionCheck says whether the module version a finding's stack runs has a
// rule's fix.
type VersionCheck struct {
	Module string
	// Running is the version read from the stack's file paths.
	Running string
	// Fix is the fix that decides (same release line, or the earliest).
	Fix Fix
	// Affected: the running version predates the fix of its line.
	Affected bool
}

// RunningVersion returns the version of module that stack runs, read from
// its frames' file paths as Go builds record them: the module cache
// (…/pkg/mod/github.com/!i!b!m/sarama@v1.61.1/consumer.go, the path
// case-escaped) or -trimpath builds (github.com/IBM/sarama@v1.61.1/…).
// "" when no frame says.
func RunningVersion(stack profile.Stack, mod string) string {
	esc, err := module.EscapePath(mod)
	if err != nil {
		return ""
	}
	for _, f := range stack {
		for _, m := range []string{esc, mod} {
			i := strings.Index(f.File, m+"@")
			if i < 0 || i > 0 && f.File[i-1] != '/' {
				continue
			}
			v := f.File[i+len(m)+1:]
			if j := strings.IndexByte(v, '/'); j >= 0 {
				v = v[:j]
			}
			if uv, err := module.UnescapeVersion(v); err == nil && semver.IsValid(uv) {
				return uv
			}
		}
	}
	return ""
}

// CheckVersions compares the module versions stack runs with fixes.
// A version is affected when it predates the fix of its release line
// (major.minor); a line with no fix of its own is affected when every fix
// is in a later line, and not when one is in an earlier line (later lines
// carry it).
func CheckVersions(stack profile.Stack, fixes []Fix) []VersionCheck {
	var out []VersionCheck
	var mods []string
	for _, f := range fixes {
		if !slices.Contains(mods, f.Module) {
			mods = append(mods, f.Module)
		}
	}
	for _, mod := range mods {
		running := RunningVersion(stack, mod)
		if running == "" {
			continue
		}
		var line []Fix
		for _, f := range fixes {
			if f.Module == mod {
				line = append(line, f)
			}
		}
		slices.SortFunc(line, func(a, b Fix) int { return semver.Compare(a.Version, b.Version) })
		out = append(out, decide(mod, running, line))
	}
	return out
}

// decide checks running against one module's fixes, sorted by version.
func decide(mod, running string, fixes []Fix) VersionCheck {
	mm := semver.MajorMinor(running)
	for _, f := range fixes {
		if semver.MajorMinor(f.Version) == mm {
			return VersionCheck{Module: mod, Running: running, Fix: f, Affected: semver.Compare(running, f.Version) < 0}
		}
	}
	vc := VersionCheck{Module: mod, Running: running, Fix: fixes[0], Affected: true}
	for _, f := range fixes {
		if semver.Compare(semver.MajorMinor(f.Version), mm) < 0 {
			vc.Fix, vc.Affected = f, false
		}
	}
	return vc
}

package profile

import (
	"path/filepath"
	"regexp"
	"strings"
)

// AssignSources sets each snapshot's Source. In order of precedence:
// LoadOptions.Source; the SourceLabel label; the SourceRegexp match on the
// base name; else the default: snapshots are grouped by directory and by the
// "stem" of their file name (see FileStem), so that a folder holding
// primary-heap-*.pb.gz and replica-heap-*.pb.gz gives two sources, and a
// folder of heap-001.pb.gz … gives one, named after the folder.
//
// Load calls it on everything it read; a pipeline that sees one source's
// snapshots at a time (grouped by SourceKey) calls it on those and gets
// the name Load gives when it reads only those files.
func AssignSources(snaps []Snapshot, o *LoadOptions) {
	type key struct{ dir, stem string }
	keys := make([]key, len(snaps))
	dirs := map[string]bool{}
	for i := range snaps {
		s := &snaps[i]
		switch {
		case o.Source != "":
			s.Source = o.Source
			continue
		case o.SourceLabel != "" && s.Labels[o.SourceLabel] != "":
			s.Source = s.Labels[o.SourceLabel]
			continue
		case o.SourceRegexp != nil:
			if src := regexpSource(o.SourceRegexp, filepath.Base(s.File)); src != "" {
				s.Source = src
				continue
			}
		}
		if s.File == stdinName {
			s.Source = "stdin"
			continue
		}
		k := key{dir: filepath.Dir(s.File), stem: FileStem(s.File)}
		keys[i] = k
		dirs[k.dir] = true
	}
	dirNames := uniqueDirNames(dirs)
	for i := range snaps {
		if snaps[i].Source != "" {
			continue
		}
		k := keys[i]
		switch {
		case k.stem == "":
			snaps[i].Source = dirNames[k.dir]
		case len(dirs) > 1:
			snaps[i].Source = dirNames[k.dir] + "/" + k.stem
		default:
			snaps[i].Source = k.stem
		}
	}
	for i := range snaps {
		snaps[i].Source = Printable(snaps[i].Source) // from paths and labels
	}
}

// SourceKey returns a key that is equal for two snapshots exactly when
// AssignSources, run over any set of files holding both, puts them in one
// source: the --source name, the label's value, the regexp's match, or the
// file's directory and stem. It needs no other snapshot, so a distributed
// pipeline can key files by it one at a time.
func SourceKey(s *Snapshot, o *LoadOptions) string {
	if o.Source == "" && o.SourceLabel != "" && s.Labels[o.SourceLabel] != "" {
		return "label\x00" + s.Labels[o.SourceLabel]
	}
	byPath := *o
	byPath.SourceLabel = ""
	key, _ := pathSourceKey(s.File, &byPath)
	return key
}

// pathSourceKey is SourceKey from a file's path alone: false when the
// source would come from a label, which only a snapshot has.
func pathSourceKey(file string, o *LoadOptions) (string, bool) {
	switch {
	case o.Source != "":
		return "source\x00" + o.Source, true
	case o.SourceLabel != "":
		// Snapshots without the label fall back to the path.
		return "", false
	case o.SourceRegexp != nil:
		if src := regexpSource(o.SourceRegexp, filepath.Base(file)); src != "" {
			return "regexp\x00" + src, true
		}
	}
	if file == stdinName {
		return "stdin", true
	}
	return "path\x00" + filepath.Clean(filepath.Dir(file)) + "\x00" + FileStem(file), true
}

func regexpSource(re *regexp.Regexp, name string) string {
	m := re.FindStringSubmatch(name)
	if m == nil {
		return ""
	}
	if i := re.SubexpIndex("source"); i > 0 {
		return m[i]
	}
	if len(m) > 1 {
		return m[1]
	}
	return m[0]
}

// uniqueDirNames names each directory by its base name, or by its path when
// two directories share a base name.
func uniqueDirNames(dirs map[string]bool) map[string]string {
	count := map[string]int{}
	base := func(d string) string {
		b := filepath.Base(d)
		if b == "." || b == string(filepath.Separator) {
			if abs, err := filepath.Abs(d); err == nil {
				b = filepath.Base(abs)
			}
		}
		return b
	}
	for d := range dirs {
		count[base(d)]++
	}
	out := map[string]string{}
	for d := range dirs {
		if count[base(d)] > 1 {
			out[d] = filepath.ToSlash(filepath.Clean(d))
		} else {
			out[d] = base(d)
		}
	}
	return out
}

// stemDrop are file-name words that say what a file is, not whose it is.
var stemDrop = map[string]bool{
	"heap": true, "goroutine": true, "goroutines": true, "goroutineleak": true,
	"allocs": true, "alloc": true, "profile": true, "pprof": true, "prof": true,
	"debug": true, "debug0": true, "debug1": true, "debug2": true, "dump": true,
	"snapshot": true, "snap": true, "inuse": true, "mem": true, "memory": true,
	"stack": true, "stacks": true, "pb": true, "gz": true, "txt": true, "out": true,
	"proto": true, "pprofgz": true, "threadcreate": true, "block": true, "mutex": true,
	"cpu": true, "text": true, "raw": true, "z": true, "utc": true, "t": true,
	"metrics": true, "prom": true, "openmetrics": true,
}

var stemSplitRE = regexp.MustCompile(`[-_.\s]+`)

// FileStem returns what is left of a file's base name once timestamps,
// numbers and words naming the profile kind or format are removed:
// "primary-heap-20261121T225001Z.pb.gz" → "primary", "heap-007.pb.gz" → "",
// "pod-a-goroutine-3.debug2.txt" → "pod-a".
func FileStem(path string) string {
	base := filepath.Base(path)
	for _, re := range []*regexp.Regexp{nameRFC3339RE, nameCompactRE} {
		base = re.ReplaceAllString(base, "-")
	}
	var keep []string
	for _, tok := range stemSplitRE.Split(base, -1) {
		lt := strings.ToLower(tok)
		if lt == "" || stemDrop[lt] || isDigits(lt) || stemDrop[strings.TrimRight(lt, "0123456789")] {
			continue
		}
		keep = append(keep, tok)
	}
	return strings.Join(keep, "-")
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

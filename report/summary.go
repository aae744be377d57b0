package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/leakdiff/leakdiff/profile"
)

// Summary is what one run read, counted once and rendered alike by every
// format.
type Summary struct {
	// Files counts the files considered; Snapshots those analysed.
	Files, Snapshots int
	// Series counts the snapshot series (one per source and kind; a heap
	// series has several metrics), Sources the distinct sources.
	Series, Sources int
	// CountedOnce, SameMoment, SetAside and Skipped count those lists.
	CountedOnce, SameMoment, SetAside, Skipped int
	// Kinds are the kinds of the snapshots, in profile.Kind order.
	Kinds []string
	// First and Last bound the snapshots' times; zero when none had one.
	First, Last time.Time
}

// Summary counts what r read.
func (r *Report) Summary() Summary {
	s := Summary{Files: r.Files, CountedOnce: len(r.Set.Duplicates), SameMoment: len(r.Set.SameMoment),
		SetAside: len(r.Set.SetAside), Skipped: len(r.Skipped)}
	seen := map[[2]string]bool{}
	sources := map[string]bool{}
	for _, se := range r.Set.Series {
		sources[se.Source] = true
		if k := [2]string{se.Source, se.Kind.String()}; !seen[k] {
			seen[k] = true
			s.Snapshots += len(se.Times)
			s.Series++
		}
		if se.TimesKnown && len(se.Times) > 0 {
			if t := se.Times[0]; s.First.IsZero() || t.Before(s.First) {
				s.First = t
			}
			if t := se.Times[len(se.Times)-1]; t.After(s.Last) {
				s.Last = t
			}
		}
	}
	s.Sources = len(sources)
	kinds := map[profile.Kind]bool{}
	for _, se := range r.Set.Series {
		kinds[se.Kind] = true
	}
	for k := profile.Kind(0); int(k) < 16; k++ {
		if kinds[k] {
			s.Kinds = append(s.Kinds, k.String())
		}
	}
	return s
}

// Line says the summary in one sentence: "66 files read: 44 snapshots
// (heap, goroutine) from 1 source, 2026-11-21 09:00 → 10:45 (1h45m) UTC;
// 22 counted once, 0 set aside, 0 skipped". (The series tables have a row
// per metric, so the sentence names kinds, not a count of series.)
func (s Summary) Line() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s read: %s", plural(s.Files, "file"), plural(s.Snapshots, "snapshot"))
	if len(s.Kinds) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(s.Kinds, ", "))
	}
	fmt.Fprintf(&b, " from %s", plural(s.Sources, "source"))
	if !s.First.IsZero() {
		fmt.Fprintf(&b, ", %s UTC", spanText(s.First, s.Last))
	}
	fmt.Fprintf(&b, "; %d counted once", s.CountedOnce)
	if s.SameMoment > 0 {
		fmt.Fprintf(&b, ", %d of a moment already read (not analysed)", s.SameMoment)
	}
	fmt.Fprintf(&b, ", %d set aside, %d skipped", s.SetAside, s.Skipped)
	return b.String()
}

// Tool says which leakdiff made a report, and how, so that a report
// attached to a ticket can be made again.
type Tool struct {
	// Name is the program ("" means leakdiff; the fleet pipeline is
	// leakdiff-beam).
	Name string
	// Version is leakdiff's version (a module version or "(devel)", with
	// the VCS revision when the build has one).
	Version string
	// Command is the command line, arguments as given.
	Command []string
}

// CommandLine is the command quoted for a POSIX shell.
func (t Tool) CommandLine() string {
	q := make([]string, len(t.Command))
	for i, a := range t.Command {
		q[i] = shellQuote(profile.Printable(a))
	}
	return strings.Join(q, " ")
}

func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// name is t.Name, or leakdiff.
func (t Tool) name() string {
	if t.Name == "" {
		return "leakdiff"
	}
	return t.Name
}

// generator is t as JSON; nil when nothing is known of it.
func (t Tool) generator() *JSONGenerator {
	if t.Version == "" && len(t.Command) == 0 {
		return nil
	}
	return &JSONGenerator{Name: t.name(), Version: t.Version, Command: t.Command}
}

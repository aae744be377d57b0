package profile

import (
	"cmp"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Timestamps leakdiff finds in file names, first match wins. Zone-less
// forms are read as UTC, so results never depend on the machine's zone.
//
//	heap-2026-11-21T22:50:01Z.pb.gz       RFC 3339 (fraction and offset optional)
//	heap-2026-11-21T22-50-01Z.pb.gz       RFC 3339 with '-' for ':' (safe on every file system)
//	heap-2026-11-21_22-50-01.pb.gz        date_time
//	heap-20261121T225001Z.pb.gz           compact ISO 8601 (leakdiff collect's form)
//	heap-1763765401.pb.gz                 Unix seconds (10 digits), milli-, micro- or nanoseconds (13, 16, 19)
var (
	nameRFC3339RE = regexp.MustCompile(`(\d{4})-(\d{2})-(\d{2})[T_ ](\d{2})[:-](\d{2})[:-](\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})?`)
	nameCompactRE = regexp.MustCompile(`(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\.\d{1,9})?(Z|[+-]\d{4})?`)
	nameUnixRE    = regexp.MustCompile(`(?:^|\D)([1-3]\d{9}(?:\d{3}|\d{6}|\d{9})?)(?:\D|$)`)
)

// TimeFromName returns the timestamp in a file name's base name.
func TimeFromName(name string) (time.Time, bool) {
	base := filepath.Base(name)
	for _, re := range []*regexp.Regexp{nameRFC3339RE, nameCompactRE} {
		if m := re.FindStringSubmatch(base); m != nil {
			if t, ok := dateFromParts(m); ok {
				return t, true
			}
		}
	}
	if m := nameUnixRE.FindStringSubmatch(base); m != nil {
		n, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil {
			return time.Time{}, false
		}
		switch len(m[1]) {
		case 10:
			return time.Unix(n, 0).UTC(), true
		case 13:
			return time.UnixMilli(n).UTC(), true
		case 16:
			return time.UnixMicro(n).UTC(), true
		case 19:
			return time.Unix(0, n).UTC(), true
		}
	}
	return time.Time{}, false
}

// dateFromParts builds a time from regexp groups: year, month, day, hour,
// minute, second, optional fraction, optional zone.
func dateFromParts(m []string) (time.Time, bool) {
	var v [6]int
	for i := range v {
		v[i], _ = strconv.Atoi(m[i+1])
	}
	if v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 60 {
		return time.Time{}, false
	}
	nsec := 0
	if f := m[7]; f != "" {
		digits := f[1:] + strings.Repeat("0", 9-len(f[1:]))
		nsec, _ = strconv.Atoi(digits)
	}
	loc := time.UTC
	if z := m[8]; z != "" && z != "Z" {
		z = strings.ReplaceAll(z, ":", "")
		h, _ := strconv.Atoi(z[1:3])
		mm, _ := strconv.Atoi(z[3:5])
		off := h*3600 + mm*60
		if z[0] == '-' {
			off = -off
		}
		loc = time.FixedZone(z, off)
	}
	t := time.Date(v[0], time.Month(v[1]), v[2], v[3], v[4], v[5], nsec, loc)
	if t.Month() != time.Month(v[1]) { // 31 February
		return time.Time{}, false
	}
	return t.UTC(), true
}

// Order sorts the snapshots of one series oldest first and reports whether
// their times are known. When every snapshot has a time (its profile's
// TimeNanos, else one in its file name) they are sorted by time, ties broken
// by file name and path; otherwise all are sorted by file name in natural
// order ("heap-2" before "heap-10"), since a mix of known and unknown times
// has no order a person could check.
func Order(snaps []Snapshot) (timesKnown bool) {
	timesKnown = true
	for i := range snaps {
		if snaps[i].TimeFrom == TimeUnknown {
			timesKnown = false
		}
	}
	slices.SortStableFunc(snaps, func(a, b Snapshot) int {
		if timesKnown {
			if c := a.Time.Compare(b.Time); c != 0 {
				return c
			}
		}
		if c := NaturalCompare(filepath.Base(a.File), filepath.Base(b.File)); c != 0 {
			return c
		}
		return cmp.Compare(a.File, b.File)
	})
	return timesKnown
}

// NaturalCompare compares strings with runs of digits compared as numbers.
func NaturalCompare(a, b string) int {
	for a != "" && b != "" {
		da, db := digitRun(a), digitRun(b)
		if da > 0 && db > 0 {
			na := strings.TrimLeft(a[:da], "0")
			nb := strings.TrimLeft(b[:db], "0")
			if c := cmp.Compare(len(na), len(nb)); c != 0 {
				return c
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return cmp.Compare(a[0], b[0])
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

func digitRun(s string) int {
	i := 0
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	return i
}

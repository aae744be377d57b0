package diff

import (
	"cmp"
	"slices"

	"github.com/leakdiff/leakdiff/profile"
)

// Growth is a site's change over the final segment of a series.
type Growth struct {
	// Site indexes Series.Sites.
	Site int
	// First and Last are the values at the segment's first and last
	// snapshot; Delta is Last − First.
	First, Last, Delta int64
}

// RankGrowth returns every site of s whose value changed or is non-zero in
// the final segment, largest growth first. Ties are common in goroutine
// leaks (each leaked stream or connection adds one goroutine to each of
// several sites) and are broken by the larger last value, then in favour of
// sites outside the Go standard library (the program's or a library's code
// says more than net/http.(*persistConn).readLoop or a context helper), then
// by site.
func RankGrowth(s *profile.Series) []Growth {
	start, end := s.LastSegment()
	if end <= start {
		return nil
	}
	out := make([]Growth, 0, len(s.Sites))
	var v []int64
	for i := range s.Sites {
		v = s.Sites[i].AppendValues(v[:0])
		g := Growth{Site: i, First: v[start], Last: v[end-1]}
		g.Delta = g.Last - g.First
		if g.First == 0 && g.Last == 0 && g.Delta == 0 {
			continue
		}
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b Growth) int {
		if c := cmp.Compare(b.Delta, a.Delta); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Last, a.Last); c != 0 {
			return c
		}
		sa, sb := s.Sites[a.Site].Site, s.Sites[b.Site].Site
		if c := cmp.Compare(b2i(profile.IsGoStdlib(sa.Function)), b2i(profile.IsGoStdlib(sb.Function))); c != 0 {
			return c
		}
		return sa.Compare(sb)
	})
	return out
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

package report

import (
	"testing"
	"time"
)

func TestSpanText(t *testing.T) {
	day := func(d, h, m int) time.Time { return time.Date(2026, 1, d, h, m, 0, 0, time.UTC) }
	for _, tc := range []struct {
		first, last time.Time
		want        string
	}{
		{day(1, 5, 0), day(1, 7, 30), "2026-01-01 05:00 → 07:30 (2h30m)"},
		{day(1, 5, 0), day(4, 4, 13), "2026-01-01 05:00 → 2026-01-04 04:13 (3.0d)"},
		{day(1, 23, 0), day(2, 1, 0), "2026-01-01 23:00 → 2026-01-02 01:00 (2h)"},
		{time.Date(2025, 12, 31, 23, 58, 0, 0, time.UTC), time.Date(2026, 1, 1, 0, 3, 0, 0, time.UTC), "2025-12-31 23:58:00 → 2026-01-01 00:03:00 (5m0s)"},
	} {
		if got := spanText(tc.first, tc.last); got != tc.want {
			t.Errorf("spanText(%v, %v) = %q, want %q", tc.first, tc.last, got, tc.want)
		}
	}
}

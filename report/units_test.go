package report

import "testing"

func TestScaleFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		unit   string
		column []int64
		v      int64
		signed bool
		want   string
	}{
		{"bytes", []int64{3 << 20}, 256 << 10, false, "0.250 MiB"},
		{"bytes", []int64{3 << 20}, 3 << 20, true, "+3.00 MiB"},
		{"bytes", []int64{3 << 20}, 32, true, "+32 B"}, // would round to zero: own unit
		{"bytes", []int64{3 << 20}, 0, true, "0"},
		{"bytes", []int64{900}, 900, false, "900 B"},
		{"bytes", []int64{5 << 30}, -(1 << 30), true, "-1.00 GiB"},
		{"count", []int64{1748}, 1428, true, "+1428"},
		{"count", []int64{150_000}, 150_000, false, "150k"},
		{"count", []int64{150_000}, 42, false, "42"},
	}
	for _, tt := range tests {
		if got := commonScale(tt.unit, tt.column...).format(tt.v, tt.signed); got != tt.want {
			t.Errorf("format(%d) in a %s column of %v = %q, want %q", tt.v, tt.unit, tt.column, got, tt.want)
		}
	}
}

package options

import "testing"

func TestParseSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"512MiB", 512 << 20, true},
		{"2GB", 2e9, true},
		{"4GiB", 4 << 30, true},
		{"1.5KiB", 1536, true},
		{"100", 100, true},
		{"10 mb", 10e6, true},
		{"", 0, false},
		{"GiB", 0, false},
		{"5XB", 0, false},
		{"0", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

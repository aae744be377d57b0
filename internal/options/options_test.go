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
		// Kubernetes quantities, as in a pod's resources.limits.memory.
		{"4Gi", 4 << 30, true},
		{"512Mi", 512 << 20, true},
		{"1G", 1e9, true},
		{"500M", 500e6, true},
		{"129e6", 129e6, true},
		{"1.5Ti", 3 << 39, true},
		{"4Gix", 0, false},
		{"-4Gi", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

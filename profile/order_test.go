package profile

import (
	"testing"
	"time"
)

func TestTimeFromName(t *testing.T) {
	t.Parallel()
	utc := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UTC()
	}
	tests := []struct {
		name string
		want time.Time
		ok   bool
	}{
		{"heap-2026-11-21T22:50:01Z.pb.gz", utc("2026-11-21T22:50:01Z"), true},
		{"heap-2026-11-21T22:50:01.250+02:00.pb.gz", utc("2026-11-21T20:50:01.25Z"), true},
		{"heap-2026-11-21T22-50-01Z.pb.gz", utc("2026-11-21T22:50:01Z"), true},
		{"heap-2026-11-21_22-50-01.pb.gz", utc("2026-11-21T22:50:01Z"), true},
		{"primary/heap-20261121T225001Z.pb.gz", utc("2026-11-21T22:50:01Z"), true},
		{"goroutine-20261121T225001.5Z.txt", utc("2026-11-21T22:50:01.5Z"), true},
		{"heap-1763765401.pb.gz", utc("2025-11-21T22:50:01Z"), true},
		{"many-1644509272337470000.pb.gz", time.Unix(0, 1644509272337470000).UTC(), true},
		{"heap-1763765401123.pb.gz", time.UnixMilli(1763765401123).UTC(), true},
		{"/dir-1763765401/heap-001.pb.gz", time.Time{}, false}, // only the base name counts
		{"heap-001.pb.gz", time.Time{}, false},
		{"heap-12345678901.pb.gz", time.Time{}, false}, // 11 digits: no Unix time
		{"heap-2026-02-31T10:00:00Z.pb.gz", time.Time{}, false},
		{"heap-2026-13-01T10:00:00Z.pb.gz", time.Time{}, false},
	}
	for _, tt := range tests {
		got, ok := TimeFromName(tt.name)
		if ok != tt.ok || !got.Equal(tt.want) {
			t.Errorf("TimeFromName(%q) = %v, %v; want %v, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func TestOrder(t *testing.T) {
	t.Parallel()
	at := func(sec int) time.Time { return time.Unix(int64(1763765400+sec), 0).UTC() }
	names := func(s []Snapshot) []string {
		var out []string
		for _, x := range s {
			out = append(out, x.File)
		}
		return out
	}
	tests := []struct {
		name      string
		in        []Snapshot
		want      []string
		wantKnown bool
	}{
		{
			name: "by_time_not_name",
			in: []Snapshot{
				{File: "a/heap-b", Time: at(20), TimeFrom: TimeFromProfileData},
				{File: "a/heap-a", Time: at(30), TimeFrom: TimeFromProfileData},
				{File: "a/heap-c", Time: at(10), TimeFrom: TimeFromFileName},
			},
			want: []string{"a/heap-c", "a/heap-b", "a/heap-a"}, wantKnown: true,
		},
		{
			name: "ties_by_base_name_then_path",
			in: []Snapshot{
				{File: "z/heap-2", Time: at(5), TimeFrom: TimeFromProfileData},
				{File: "y/heap-1", Time: at(5), TimeFrom: TimeFromProfileData},
				{File: "x/heap-2", Time: at(5), TimeFrom: TimeFromProfileData},
			},
			want: []string{"y/heap-1", "x/heap-2", "z/heap-2"}, wantKnown: true,
		},
		{
			name: "any_unknown_time_means_natural_name_order",
			in: []Snapshot{
				{File: "heap-10", Time: at(1), TimeFrom: TimeFromProfileData},
				{File: "heap-9"},
				{File: "heap-100"},
			},
			want: []string{"heap-9", "heap-10", "heap-100"}, wantKnown: false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			known := Order(tt.in)
			if got := names(tt.in); known != tt.wantKnown || len(got) != len(tt.want) || got[0] != tt.want[0] || got[1] != tt.want[1] || got[2] != tt.want[2] {
				t.Errorf("Order = %v (known %v), want %v (known %v)", got, known, tt.want, tt.wantKnown)
			}
		})
	}
}

func TestNaturalCompare(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want int
	}{
		{"heap-2", "heap-10", -1},
		{"heap-010", "heap-9", 1},
		{"heap-01", "heap-1", 0},
		{"a", "b", -1},
		{"heap", "heap-1", -1},
		{"", "", 0},
	}
	for _, tt := range tests {
		if got := NaturalCompare(tt.a, tt.b); got != tt.want {
			t.Errorf("NaturalCompare(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestFileStem(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"primary-heap-20261121T225001Z.pb.gz", "primary"},
		{"heap-007.pb.gz", ""},
		{"pod-a-goroutine-3.debug2.txt", "pod-a"},
		{"goroutine-2026-11-21T22:50:01Z.debug1.txt", ""},
		{"replica_goroutineleak_1763765401.pb.gz", "replica"},
		{"alloc2.pb.gz", ""},
		{"pod1-heap.pb.gz", "pod1"},
		{"mem.pprof", ""},
	}
	for _, tt := range tests {
		if got := FileStem(tt.in); got != tt.want {
			t.Errorf("FileStem(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

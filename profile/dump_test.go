package profile

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func parseDump(t *testing.T, text string) ([]*Goroutine, DumpStats, error) {
	t.Helper()
	var gs []*Goroutine
	st, err := ParseGoroutineDump(strings.NewReader(text), func(g *Goroutine) error {
		gs = append(gs, g)
		return nil
	})
	return gs, st, err
}

func TestParseGoroutineDump(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want []Goroutine
	}{
		{
			name: "debug2_created_by_in_goroutine",
			in: `goroutine 17 [chan send, 12 minutes]:
example.com/app/leaky.worker(0xc000012345)
	/src/leaky/leaky.go:42 +0x1d
created by example.com/app/leaky.(*Handler).Serve in goroutine 1
	/src/leaky/leaky.go:30 +0x99
`,
			want: []Goroutine{{ID: 17, State: "chan send", Wait: 12 * time.Minute,
				Stack:     Stack{{Function: "example.com/app/leaky.worker", File: "/src/leaky/leaky.go", Line: 42}},
				CreatedBy: Frame{Function: "example.com/app/leaky.(*Handler).Serve", File: "/src/leaky/leaky.go", Line: 30}, CreatorID: 1}},
		},
		{
			name: "go120_created_by_without_goroutine",
			in:   "goroutine 6 [select]:\nmain.loop()\n\t/src/main.go:5 +0x1\ncreated by main.main\n\t/src/main.go:3 +0x2\n",
			want: []Goroutine{{ID: 6, State: "select", Stack: Stack{{Function: "main.loop", File: "/src/main.go", Line: 5}},
				CreatedBy: Frame{Function: "main.main", File: "/src/main.go", Line: 3}}},
		},
		{
			name: "go126_leaked_gp_m_labels",
			in: `goroutine 33 gp=0xc000102a80 m=nil [chan send (leaked), 3 minutes, locked to thread labels:{"handler": "leaky", "a b": "x\"y"}]:
main.f(...)
	/src/main.go:9
main.g()
	/src/main.go:12 +0x10 fp=0xc000 sp=0xc000 pc=0x4a1
`,
			want: []Goroutine{{ID: 33, State: "chan send", Wait: 3 * time.Minute, Leaked: true, Locked: true,
				Labels: map[string]string{"handler": "leaky", "a b": `x"y`},
				Stack:  Stack{{Function: "main.f", File: "/src/main.go", Line: 9}, {Function: "main.g", File: "/src/main.go", Line: 12}}}},
		},
		{
			name: "elided_and_ancestors",
			in: `goroutine 20 [IO wait]:
main.deep(0x1)
	/src/main.go:1 +0x1
...additional frames elided...
created by main.start in goroutine 1
	/src/main.go:30 +0x87
[originating from goroutine 1]:
main.start(...)
	/src/main.go:30 +0x87
`,
			want: []Goroutine{{ID: 20, State: "IO wait", Elided: true, Stack: Stack{{Function: "main.deep", File: "/src/main.go", Line: 1}},
				CreatedBy: Frame{Function: "main.start", File: "/src/main.go", Line: 30}, CreatorID: 1}},
		},
		{
			name: "prose_around_blocks_and_windows_paths",
			in:   "panic: boom\n\ngoroutine 1 [running]:\nmain.main()\n\tC:/src/app/main.go:7 +0x1d\nexit status 2\n",
			want: []Goroutine{{ID: 1, State: "running", Stack: Stack{{Function: "main.main", File: "C:/src/app/main.go", Line: 7}}}},
		},
		{
			name: "truncated_function_without_file",
			in:   "goroutine 1 [running]:\nmain.main()\n",
			want: []Goroutine{{ID: 1, State: "running", Stack: Stack{{Function: "main.main"}}}},
		},
		{
			name: "header_without_frames",
			in:   "goroutine 1 [running]:\n\ngoroutine 2 [running]:\n",
			want: []Goroutine{{ID: 1, State: "running"}, {ID: 2, State: "running"}},
		},
		{
			name: "crlf",
			in:   "goroutine 3 [sleep]:\r\ntime.Sleep(0x3b9aca00)\r\n\t/go/src/runtime/time.go:188 +0xbf\r\n",
			want: []Goroutine{{ID: 3, State: "sleep", Stack: Stack{{Function: "time.Sleep", File: "/go/src/runtime/time.go", Line: 188}}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			gs, _, err := parseDump(t, tt.in)
			if err != nil {
				t.Fatalf("ParseGoroutineDump: %v", err)
			}
			var got []Goroutine
			for _, g := range gs {
				got = append(got, *g)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestParseGoroutineDumpErrors(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "hello\nworld\n", "goroutine profile: total 3\n", "WARNING: DATA RACE\nWrite by goroutine 5:\n"} {
		_, _, err := parseDump(t, in)
		if !errors.Is(err, ErrUnrecognized) {
			t.Errorf("ParseGoroutineDump(%q) error = %v, want ErrUnrecognized", in, err)
		}
	}
	// A malformed frame is skipped and counted, never fatal.
	gs, st, err := parseDump(t, "goroutine 1 [running]:\nmain.main)(\n\t/x.go:1\n\ngoroutine 2 [running]:\nmain.f()\n\t/x.go:2 +0x1\n")
	if err != nil || len(gs) != 2 || st.ProblemCount == 0 {
		t.Errorf("malformed frame: %d goroutines, %d problems, err %v; want 2 goroutines, problems > 0, no error", len(gs), st.ProblemCount, err)
	}
	// An error from the callback stops the parse.
	stop := errors.New("stop")
	_, err = ParseGoroutineDump(strings.NewReader("goroutine 1 [running]:\nmain.main()\n"), func(*Goroutine) error { return stop })
	if !errors.Is(err, stop) {
		t.Errorf("callback error = %v, want %v", err, stop)
	}
}

func BenchmarkParseGoroutineDump(b *testing.B) {
	var sb strings.Builder
	for i := range 100_000 {
		sb.WriteString("goroutine ")
		sb.WriteString(strings.Repeat("1", 1+i%6))
		sb.WriteString(" [chan send, 5 minutes]:\nruntime.gopark(0x1, 0x2)\n\t/go/src/runtime/proc.go:435 +0xce\nexample.com/app/leaky.worker(0xc000012345)\n\t/src/leaky/leaky.go:42 +0x1d\ncreated by example.com/app/leaky.(*Handler).Serve in goroutine 1\n\t/src/leaky/leaky.go:30 +0x99\n\n")
	}
	data := sb.String()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		if _, err := ParseGoroutineDump(strings.NewReader(data), func(*Goroutine) error { n++; return nil }); err != nil || n != 100_000 {
			b.Fatalf("parsed %d goroutines, err %v", n, err)
		}
	}
}

// TestDumpLongLine: a line longer than MaxLineBytes ends the parse with an
// error that says so, instead of buffering it.
func TestDumpLongLine(t *testing.T) {
	t.Parallel()
	in := "goroutine 1 [running]:\nmain." + strings.Repeat("x", MaxLineBytes+1) + "()\n\t/x.go:1\n"
	_, err := ParseGoroutineDump(strings.NewReader(in), func(*Goroutine) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "line 2: longer than 4 MiB") {
		t.Errorf("got %v, want a line-length error on line 2", err)
	}
}

package profile

import "testing"

func TestNormalizeFunction(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"plain", "main.main", "main.main"},
		{"dump_args", "main.(*T).run(0xc000012345, {0x1, 0x2})", "main.(*T).run"},
		{"dump_inlined_args", "internal/poll.(*pollDesc).waitRead(...)", "internal/poll.(*pollDesc).waitRead"},
		{"dump_no_args", "main.main()", "main.main"},
		{"debug1_offset", "main.leak+0x4c", "main.leak"},
		{"closure_kept", "github.com/rancher/remotedialer.pipe.func2", "github.com/rancher/remotedialer.pipe.func2"},
		{"gowrap_kept", "net/http.(*Server).Serve.gowrap3", "net/http.(*Server).Serve.gowrap3"},
		{"generic_shape", "example.com/m.Map[go.shape.int,go.shape.string].Get", "example.com/m.Map[...].Get"},
		{"generic_dots", "example.com/m.Map[...].Get", "example.com/m.Map[...].Get"},
		{"generic_nested", "example.com/m.F[example.com/m.Pair[go.shape.int,go.shape.int]]", "example.com/m.F[...]"},
		{"generic_method_dump", "example.com/m.(*List[...]).Push(0xc000010000, {0x1})", "example.com/m.(*List[...]).Push"},
		{"vendor_prefix", "k8s.io/kubernetes/vendor/github.com/a/b.F", "github.com/a/b.F"},
		{"std_vendor_kept", "vendor/golang.org/x/net/http2.(*Framer).ReadFrame", "vendor/golang.org/x/net/http2.(*Framer).ReadFrame"},
		{"unbalanced_bracket", "weird[name", "weird[name"},
		{"c_frame", "scanblock(0x7f42b0080000, 0x12de700)", "scanblock"},
		{"spaces", "  main.f  ", "main.f"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := NormalizeFunction(tt.in); got != tt.want {
				t.Errorf("NormalizeFunction(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNormalizeFile(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"/home/u/go/pkg/mod/github.com/rancher/remotedialer@v0.4.1/session.go", "remotedialer/session.go"},
		{"github.com/rancher/remotedialer@v0.4.1/session.go", "remotedialer/session.go"},
		{"/src/app/server.go", "app/server.go"},
		{`C:\src\app\server.go`, "app/server.go"},
		{"server.go", "server.go"},
		{"/server.go", "server.go"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := NormalizeFile(tt.in); got != tt.want {
			t.Errorf("NormalizeFile(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestIsGoStdlib(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fn   string
		want bool
	}{
		{"runtime.mallocgc", true},
		{"runtime.gopark", true},
		{"net/http.(*persistConn).readLoop", true},
		{"bufio.(*Reader).fill", true},
		{"internal/poll.(*FD).Read", true},
		{"vendor/golang.org/x/net/http2.(*Framer).ReadFrame", true},
		{"type:.eq.[2]interface {}", true},
		{"main.main", false},
		{"main.(*server).handle", false},
		{"github.com/rancher/remotedialer.pipe.func2", false},
		{"golang.org/x/net/http2.(*Framer).ReadFrame", false},
		{"java.util.HashMap.put", false},
		{"com.example.Cache.put", false},
		{"alloc::vec::Vec<T>::push", false},
		{"malloc", false},
		{"0x4a1b2c", false},
	}
	for _, tt := range tests {
		if got := IsGoStdlib(tt.fn); got != tt.want {
			t.Errorf("IsGoStdlib(%q) = %v, want %v", tt.fn, got, tt.want)
		}
	}
}

func TestPackageOf(t *testing.T) {
	t.Parallel()
	tests := []struct{ fn, want string }{
		{"net/http.(*persistConn).readLoop", "net/http"},
		{"main.main", "main"},
		{"github.com/a/b.(*T).M.func1", "github.com/a/b"},
		{"malloc", ""},
	}
	for _, tt := range tests {
		if got := PackageOf(tt.fn); got != tt.want {
			t.Errorf("PackageOf(%q) = %q, want %q", tt.fn, got, tt.want)
		}
	}
}

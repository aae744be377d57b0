package rules

import (
	"testing"

	"github.com/leakdiff/leakdiff/profile"
)

func TestCheckVersions(t *testing.T) {
	t.Parallel()
	stack := func(file string) profile.Stack {
		return profile.Stack{{Function: "runtime.gopark", File: "/usr/local/go/src/runtime/proc.go"}, {Function: "x", File: file}}
	}
	etcd := []Fix{{Module: "go.etcd.io/etcd/server/v3", Version: "v3.4.35"}, {Module: "go.etcd.io/etcd/server/v3", Version: "v3.5.17"},
		{Module: "go.etcd.io/etcd/server/v3", Version: "v3.6.0"}}
	tests := []struct {
		name     string
		file     string
		fixes    []Fix
		running  string
		fix      string
		affected bool
		none     bool
	}{
		{"module_cache", "/root/go/pkg/mod/go.etcd.io/etcd/server/v3@v3.5.16/etcdserver/api/v3rpc/watch.go", etcd, "v3.5.16", "v3.5.17", true, false},
		{"same_line_fixed", "/root/go/pkg/mod/go.etcd.io/etcd/server/v3@v3.5.21/x.go", etcd, "v3.5.21", "v3.5.17", false, false},
		{"later_line", "go.etcd.io/etcd/server/v3@v3.7.3/x.go", etcd, "v3.7.3", "v3.6.0", false, false},
		{"older_line", "/mod/go.etcd.io/etcd/server/v3@v3.3.27/x.go", etcd, "v3.3.27", "v3.4.35", true, false},
		{"case_escaped", "/root/go/pkg/mod/github.com/!i!b!m/sarama@v1.40.0/consumer.go", []Fix{{Module: "github.com/IBM/sarama", Version: "v1.41.0"}}, "v1.40.0", "v1.41.0", true, false},
		{"pseudo_version", "/m/github.com/rancher/remotedialer@v0.6.0-rc.1.0.20250916111157-f160aa32568d/c.go", []Fix{{Module: "github.com/rancher/remotedialer", Version: "v0.4.0"}}, "v0.6.0-rc.1.0.20250916111157-f160aa32568d", "v0.4.0", false, false},
		{"no_version_in_path", "/src/go.etcd.io/etcd/server/v3/x.go", etcd, "", "", false, true},
	}
	for _, tt := range tests {
		got := CheckVersions(stack(tt.file), tt.fixes)
		if tt.none {
			if len(got) != 0 {
				t.Errorf("%s: %+v, want no check", tt.name, got)
			}
			continue
		}
		if len(got) != 1 || got[0].Running != tt.running || got[0].Fix.Version != tt.fix || got[0].Affected != tt.affected {
			t.Errorf("%s: %+v, want running %s, fix %s, affected %v", tt.name, got, tt.running, tt.fix, tt.affected)
		}
	}
}

func TestFixedInLint(t *testing.T) {
	t.Parallel()
	src := goodRule + "    fixed_in:\n      - module: github.com/x/y\n        version: 1.2\n"
	errs := lintErrors(t, src)
	if len(errs) != 1 || errs[0].Rule != "my-cache" {
		t.Fatalf("errors %v, want one about the version", errs)
	}
}

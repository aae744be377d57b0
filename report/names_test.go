package report

import "testing"

func TestShortFunction(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"github.com/rancher/remotedialer.pipe.func2", "remotedialer.pipe.func2"},
		{"go.etcd.io/etcd/client/v3.(*watchGRPCStream).run", "client/v3.(*watchGRPCStream).run"},
		{"github.com/redis/go-redis/v9.(*PubSub).Receive", "go-redis/v9.(*PubSub).Receive"},
		{"github.com/dgraph-io/badger/v4/skl.newArena", "skl.newArena"},
		{"github.com/vmihailenco/v8go.Run", "v8go.Run"}, // not a version element
		{"gopkg.in/yaml.v3.unmarshal", "yaml.v3.unmarshal"},
		{"main.leak", "main.leak"},
		{"v2.F", "v2.F"},
		{"runtime.gopark", "runtime.gopark"},
	} {
		if got := shortFunction(tt.in); got != tt.want {
			t.Errorf("shortFunction(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

package bigseries

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Word pools for the synthetic program. The names imitate what the Go
// runtime writes into profiles: package path, receiver, method, generic
// instantiations with go.shape types, closures .funcN and .gowrapN.

var appPackages = []string{
	"api", "auth", "billing", "cache", "catalog", "config", "db", "events", "flags",
	"geo", "httpx", "index", "ingest", "inventory", "jobs", "kv", "ledger", "limiter",
	"mail", "metrics", "notify", "orders", "payments", "pricing", "queue", "ranking",
	"registry", "rpc", "search", "session", "shard", "storage", "stream", "tenant",
	"trace", "users", "wal", "audit", "blob", "checkout", "compaction", "coordinator",
	"discovery", "export", "feature", "gateway", "graph", "health", "identity", "lease",
	"lock", "migrate", "partition", "planner", "policy", "proxy", "quota", "raft",
	"replica", "report", "router", "scheduler", "schema", "secrets", "snapshot",
	"sqlx", "tags", "tokens", "txn", "upload", "webhook", "worker",
	"internal/bufpool", "internal/codec", "internal/retry", "internal/backoff",
	"internal/xsync", "internal/pb/v1", "internal/clock", "internal/hashx",
}

var depPackages = []string{
	"github.com/jackc/pgx/v5", "github.com/jackc/pgx/v5/pgconn", "github.com/jackc/pgx/v5/pgproto3",
	"github.com/jackc/pgx/v5/pgtype", "github.com/jackc/puddle/v2",
	"github.com/redis/go-redis/v9", "github.com/redis/go-redis/v9/internal/pool",
	"github.com/segmentio/kafka-go", "github.com/segmentio/kafka-go/protocol",
	"go.uber.org/zap", "go.uber.org/zap/zapcore", "go.uber.org/zap/buffer",
	"google.golang.org/grpc", "google.golang.org/grpc/internal/transport",
	"google.golang.org/grpc/mem", "google.golang.org/grpc/encoding/proto",
	"google.golang.org/protobuf/internal/impl", "google.golang.org/protobuf/proto",
	"google.golang.org/protobuf/encoding/protowire",
	"github.com/prometheus/client_golang/prometheus", "github.com/prometheus/common/expfmt",
	"go.opentelemetry.io/otel/sdk/trace", "go.opentelemetry.io/otel/attribute",
	"github.com/aws/aws-sdk-go-v2/service/s3", "github.com/aws/smithy-go/middleware",
	"github.com/klauspost/compress/zstd", "github.com/klauspost/compress/flate",
	"golang.org/x/net/http2", "golang.org/x/net/http2/hpack", "golang.org/x/sync/errgroup",
	"github.com/golang/snappy", "github.com/dgraph-io/ristretto/v2",
	"github.com/hashicorp/golang-lru/v2", "github.com/cespare/xxhash/v2",
	"github.com/json-iterator/go", "github.com/go-chi/chi/v5", "github.com/google/uuid",
}

var stdPackages = []string{
	"net/http", "net/http/internal", "encoding/json", "bufio", "bytes", "strings", "fmt", "io",
	"sync", "context", "crypto/tls", "compress/gzip", "compress/flate", "net", "os",
	"reflect", "sort", "slices", "maps", "strconv", "time", "database/sql", "encoding/binary",
	"math/big", "regexp", "regexp/syntax", "text/template", "log/slog", "net/url",
	"mime/multipart", "crypto/sha256", "crypto/internal/fips140/aes/gcm", "hash/crc32",
	"container/heap", "unicode/utf8", "encoding/base64", "encoding/hex", "path/filepath",
	"internal/poll", "os/exec", "html/template", "net/textproto", "crypto/x509",
	"encoding/asn1", "io/fs", "archive/tar", "errors", "runtime/pprof", "expvar",
}

var typeWords = []string{
	"Client", "Server", "Store", "Handler", "Manager", "Pool", "Cache", "Worker", "Batcher",
	"Encoder", "Decoder", "Registry", "Router", "Conn", "Session", "Index", "Queue", "Tracker",
	"Resolver", "Reader", "Writer", "Buffer", "Scheduler", "Watcher", "Dispatcher", "Service",
	"Repo", "Controller", "Loader", "Builder", "Planner", "Executor", "Iterator", "Cursor",
	"Segment", "Shard", "Table", "Txn", "Ledger", "Limiter", "Emitter", "Collector",
	"Exporter", "Sampler", "Span", "Tree", "Node", "Frame", "Stream", "Subscriber",
	"Publisher", "Broker", "Bucket", "Entry", "Record", "Snapshot", "Compactor",
	"Replicator", "Coordinator", "Lease", "Lock", "Token", "Policy", "Codec", "Pipeline",
	"Stage", "Filter", "Matcher", "Parser", "Lexer", "Tokenizer", "Window", "Journal",
	"decodeState", "encodeState", "connReader", "bodyWriter", "headerCache", "stateFn",
	"shardMap", "ringBuffer", "ticketQueue", "retryState", "flushState", "pageCache",
}

var genericTypes = []string{
	"LRU", "Map", "Set", "List", "Heap", "Ring", "Pool", "Cache", "Tree", "OrderedMap",
	"SyncMap", "Queue", "Batch", "Result", "Option", "Slab", "Index", "Ledger",
}

var shapes = []string{
	"go.shape.string", "go.shape.int", "go.shape.int64", "go.shape.uint64", "go.shape.uint32",
	"go.shape.*uint8", "go.shape.[]uint8", "go.shape.interface {}", "go.shape.struct {}",
	"go.shape.float64", "go.shape.bool",
}

var verbs = []string{
	"Get", "Put", "Load", "Store", "Delete", "Range", "Add", "Remove", "Push", "Pop",
	"Flush", "Close", "Open", "Read", "Write", "Encode", "Decode", "Marshal", "Unmarshal",
	"Handle", "Serve", "Process", "Apply", "Commit", "Rollback", "Begin", "Lookup",
	"Resolve", "Dispatch", "Emit", "Collect", "Export", "Sample", "Start", "Stop", "Run",
	"Next", "Scan", "Seek", "Merge", "Split", "Compact", "Replicate", "Sync", "Watch",
	"Notify", "Publish", "Subscribe", "Acquire", "Release", "Renew", "Validate", "Check",
	"Build", "Plan", "Execute", "Fetch", "Send", "Recv", "Append", "Insert", "Update",
	"Upsert", "Query", "Index", "Parse", "Format", "Render", "Hash", "Sign", "Verify",
	"Compress", "Decompress", "Wrap", "Unwrap", "Copy", "Clone", "Reset", "Grow", "Trim",
}

var nouns = []string{
	"Batch", "Record", "Entry", "Request", "Response", "Header", "Body", "Token", "Key",
	"Value", "Range", "Span", "Event", "Message", "Snapshot", "Segment", "Page", "Row",
	"Column", "Index", "Delta", "Update", "Query", "Result", "Frame", "Chunk", "Block",
	"Meta", "Config", "State", "Status", "Lease", "Offset", "Tenant", "User", "Order",
	"Invoice", "Price", "Item", "Cart", "Payload", "Attrs", "Labels", "Metrics", "Stats",
	"Plan", "Schema", "Table", "Partition", "Replica", "Peer", "Term", "Vote", "Log",
}

// namer hands out unique function names.
type namer struct {
	r    *rand.Rand
	used map[string]bool
}

func (n *namer) pick(s []string) string { return s[n.r.IntN(len(s))] }

func (n *namer) method() string {
	switch n.r.IntN(4) {
	case 0:
		return n.pick(verbs)
	case 1:
		v := n.pick(verbs)
		return strings.ToLower(v[:1]) + v[1:] + n.pick(nouns)
	default:
		return n.pick(verbs) + n.pick(nouns)
	}
}

func (n *namer) shapeList(k int) string {
	parts := make([]string, k)
	for i := range parts {
		parts[i] = n.pick(shapes)
	}
	return strings.Join(parts, ",")
}

// name returns a fresh function name in package pkg and the file it would
// live in (relative, as with -trimpath).
func (n *namer) name(pkg string, allowGeneric bool) (name, file string) {
	for try := 0; ; try++ {
		var recv, fn, fileWord string
		switch k := n.r.IntN(100); {
		case allowGeneric && k < 6:
			g := n.pick(genericTypes)
			recv = fmt.Sprintf("(*%s[%s])", g, n.shapeList(1+n.r.IntN(2)))
			fn = n.method()
			fileWord = strings.ToLower(g)
		case allowGeneric && k < 8:
			fn = fmt.Sprintf("%s[%s]", n.method(), n.shapeList(1+n.r.IntN(2)))
			fileWord = "generic"
		case k < 60:
			t := n.pick(typeWords)
			recv = "(*" + t + ")"
			fn = n.method()
			fileWord = strings.ToLower(t)
		case k < 70:
			t := n.pick(typeWords)
			recv = t
			fn = n.method()
			fileWord = strings.ToLower(t)
		default:
			fn = n.method()
			fileWord = strings.ToLower(n.pick(nouns))
		}
		if recv != "" {
			name = pkg + "." + recv + "." + fn
		} else {
			name = pkg + "." + fn
		}
		if try > 20 {
			name += fmt.Sprintf("%d", try)
		}
		if !n.used[name] {
			n.used[name] = true
			return name, pkg + "/" + fileWord + ".go"
		}
	}
}

// closure returns a fresh closure name inside base.
func (n *namer) closure(base string) string {
	for {
		var s string
		switch k := n.r.IntN(10); {
		case k < 6:
			s = fmt.Sprintf("%s.func%d", base, 1+n.r.IntN(6))
		case k < 8:
			s = fmt.Sprintf("%s.func%d.%d", base, 1+n.r.IntN(4), 1+n.r.IntN(3))
		default:
			s = fmt.Sprintf("%s.gowrap%d", base, 1+n.r.IntN(3))
		}
		if !n.used[s] {
			n.used[s] = true
			return s
		}
	}
}

// Regenerate the fixture (from the repository root):
//
//	cd testdata/scenarios && go run ./etcdwatch -out ../fixtures/etcdwatch
//
// Command etcdwatch reproduces incident 2 of /work/shared/INCIDENTS.md:
// Dynamo's kv_get_and_watch_prefix opened a brand-new etcd watch stream for
// every request and never closed it, so etcd's watch streams (and the
// client's) grew by one per request until etcd ran out of memory.
//
// One process runs a real single-member etcd (go.etcd.io/etcd/server/v3/embed,
// data in a temporary directory, loopback only) and a real clientv3 client
// talking to it over gRPC on 127.0.0.1. Each tick serves -requests requests;
// each one does what kv_get_and_watch_prefix did: a new Watcher (so a new
// gRPC Watch stream, as etcd counts them in
// etcd_debugging_mvcc_watch_stream_total), a Watch on the prefix with a
// context nobody cancels, a Get of the prefix, and nothing else: the watcher
// is never closed. Both ends of every stream stay alive in this process: the
// client's watchGRPCStream goroutines and the server's serverWatchStream
// recvLoop/sendLoop, with their buffers.
//
// Snapshots are scraped from the real net/http/pprof endpoint (-via-http).
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
	"google.golang.org/grpc/grpclog"

	"github.com/leakdiff/leakdiff/testdata/scenarios/internal/snap"
)

const prefix = "/dynamo/instances/"

func main() {
	requests := 3
	var cleanup func()
	// Main returns after the last snapshot: stop etcd and remove its data
	// directory then. (On a failed snapshot it exits without returning.)
	defer func() {
		if cleanup != nil {
			cleanup()
		}
	}()
	snap.Main(snap.Options{
		Out:         "out",
		Source:      "etcd",
		N:           20,
		Every:       time.Second,
		SimInterval: 10 * time.Second,
		SimStart:    time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC),
		// Goroutine protobuf only: debug=2 dumps of ~60 etcd goroutines
		// plus eight per leaked stream would take the fixture past 3 MB.
		Formats: "proto",
		GC:      true,
		ViaHTTP: true,
		// Sample every 4 KiB on average: a watch stream costs the server
		// about 8 KiB, invisible at the default 512 KiB.
		MemProfileRate: 4096,
	}, func(fs *flag.FlagSet) {
		fs.IntVar(&requests, "requests", requests, "requests per tick, each opening a new watch stream")
	}, func(o *snap.Options) (func(int), error) {
		cli, stop, err := startEtcd()
		if err != nil {
			stop() // Main exits at once on this error: clean up here
			return nil, err
		}
		cleanup = stop
		return func(int) {
			for range requests {
				if err := getAndWatchPrefix(cli); err != nil {
					fmt.Fprintln(os.Stderr, "request:", err)
				}
			}
		}, nil
	})
}

// getAndWatchPrefix is the leaking request handler. The bug: a new watch
// stream per call, with a context that is never cancelled and a watcher
// that is never closed; the returned channel is dropped as soon as the
// caller has its first answer.
func getAndWatchPrefix(cli *clientv3.Client) error {
	w := clientv3.NewWatcher(cli) // a new gRPC Watch stream: nothing shares one per key
	_ = w.Watch(context.Background(), prefix, clientv3.WithPrefix())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := cli.Get(ctx, prefix, clientv3.WithPrefix())
	return err // leak: no w.Close()
}

// startEtcd starts a single-member etcd on free loopback ports with its
// data in a temporary directory, seeds a few keys under the prefix, and
// connects a client. stop closes both and removes the directory.
func startEtcd() (*clientv3.Client, func(), error) {
	dir, err := os.MkdirTemp("", "leakdiff-etcdwatch-")
	if err != nil {
		return nil, func() {}, err
	}
	var e *embed.Etcd
	var cli *clientv3.Client
	stop := func() {
		if cli != nil {
			cli.Close()
		}
		if e != nil {
			e.Close()
		}
		os.RemoveAll(dir)
	}

	// gRPC logs every stream event at info level to stderr: quiet it.
	grpclog.SetLoggerV2(grpclog.NewLoggerV2(discard{}, discard{}, os.Stderr))

	cfg := embed.NewConfig()
	cfg.Name = "etcd-leak"
	cfg.Dir = dir
	cfg.LogLevel = "fatal"   // "error" still prints the listeners closing at shutdown
	cfg.UnsafeNoFsync = true // nothing here needs durability
	cfg.EnableGRPCGateway = false
	clientURL, err := freeURL()
	if err != nil {
		return nil, stop, err
	}
	peerURL, err := freeURL()
	if err != nil {
		return nil, stop, err
	}
	cfg.ListenClientUrls = []url.URL{*clientURL}
	cfg.AdvertiseClientUrls = []url.URL{*clientURL}
	cfg.ListenPeerUrls = []url.URL{*peerURL}
	cfg.AdvertisePeerUrls = []url.URL{*peerURL}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)

	if e, err = embed.StartEtcd(cfg); err != nil {
		return nil, stop, err
	}
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		return nil, stop, err
	case <-time.After(30 * time.Second):
		return nil, stop, fmt.Errorf("etcd did not become ready")
	}

	cli, err = clientv3.New(clientv3.Config{
		Endpoints:   []string{clientURL.String()},
		DialTimeout: 5 * time.Second,
		Logger:      zap.NewNop(),
	})
	if err != nil {
		return nil, stop, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for i := range 8 {
		if _, err := cli.Put(ctx, fmt.Sprintf("%sworker-%d", prefix, i), `{"endpoint":"10.0.0.1:9000"}`); err != nil {
			return nil, stop, err
		}
	}
	return cli, stop, nil
}

// freeURL returns an http URL on a loopback port that was free a moment ago.
func freeURL() (*url.URL, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	return url.Parse("http://" + ln.Addr().String())
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// Regenerate the fixture (from the repository root):
//
//	cd testdata/scenarios && go run ./remotedialer -out ../fixtures/remotedialer
//
// Command remotedialer reproduces incident 1 of /work/shared/INCIDENTS.md:
// Rancher v2.11.0, where connections tunnelled through
// github.com/rancher/remotedialer were never closed, so the agent's
// goroutines (clientDial → pipe, and pipe.func2) and the memory they hold
// piled up with every API call.
//
// One process plays all three parties, with the real library on real
// loopback sockets:
//
//   - "rancher": a remotedialer.Server behind net/http, accepting one
//     downstream agent by its id;
//   - "agent": a remotedialer client (ClientConnect over a websocket) that
//     may dial only the backend;
//   - "kube-apiserver": a plain TCP backend on 127.0.0.1 that answers each
//     request and keeps the connection open for the next one.
//
// Each tick makes -calls API calls: rancher dials the backend through the
// tunnel (Server.Dialer(clientKey)), sends a request, reads the whole
// response, and forgets the connection without closing it. Nothing ever
// sends the tunnel's close message, so for each call the agent keeps a
// clientDial goroutine parked in pipe (io.Copy from the backend), a
// pipe.func2 goroutine parked in readBuffer.Read (io.Copy towards the
// backend), their two 32 KiB copy buffers, and the backend keeps its
// handler; rancher keeps the connection in its session map.
//
// With -close, rancher closes each tunnelled connection once its response
// is read, as the fix did (Rancher v2.11.1, rancher/rancher#49592 and its
// v2.11 backport #49727: "remotedialer connections should be closed after
// their request is served"). Closing sends the tunnel's close message: the
// agent's clientDial/pipe goroutines and the backend's handler end, rancher
// drops the connection from its session map, and remotedialer's
// session_server_total_remove_connections rises with
// session_server_total_add_connections (fixture remotedialer-fixed).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rancher/remotedialer"
	"github.com/rancher/remotedialer/metrics"
	"github.com/sirupsen/logrus"

	"github.com/leakdiff/leakdiff/testdata/scenarios/internal/snap"
)

const clientKey = "downstream-cluster"

// response is what the backend answers to every request: a small API
// response, shared so that the backend itself holds no per-call memory
// beyond its read buffer.
var response = func() []byte {
	body := `{"kind":"NamespaceList","apiVersion":"v1","items":[{"metadata":{"name":"default"}}]}`
	return []byte(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body))
}()

// apiRequests counts the API calls rancher proxies, as a real server's
// request counter would: leakdiff analyze --per divides growth by it.
var apiRequests = prometheus.NewCounter(prometheus.CounterOpts{
	Name: "rancher_api_requests_total",
	Help: "API requests proxied to downstream clusters.",
})

func main() {
	calls := 2
	closeConns := false
	// remotedialer's own counters (session_server_total_add_connections,
	// …_remove_connections, …), registered as Rancher does with
	// CATTLE_PROMETHEUS_METRICS=true; served only with -formats …,metrics.
	metrics.Register()
	prometheus.MustRegister(apiRequests)
	snap.Main(snap.Options{
		Out:         "out",
		Source:      "rancher",
		N:           22, // 24 would pass 3 MB of fixture: the goroutine dumps grow with the leak
		Every:       time.Second,
		SimInterval: 5 * time.Minute,
		SimStart:    time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC),
		Formats:     "proto,debug2",
		GC:          true,
	}, func(fs *flag.FlagSet) {
		fs.IntVar(&calls, "calls", calls, "API calls through the tunnel per tick")
		fs.BoolVar(&closeConns, "close", false, "close each tunnelled connection after its call (the fix)")
	}, func(o *snap.Options) (func(int), error) {
		// remotedialer logs every connect at Info: keep the run quiet.
		logrus.SetLevel(logrus.WarnLevel)

		backend, err := startBackend()
		if err != nil {
			return nil, err
		}
		server, err := startTunnel(backend)
		if err != nil {
			return nil, err
		}
		dial := server.Dialer(clientKey)
		return func(int) {
			for range calls {
				apiRequests.Inc()
				if err := apiCall(dial, backend, closeConns); err != nil {
					logrus.Errorf("api call: %v", err)
				}
			}
		}, nil
	})
}

// startBackend listens on a loopback port and serves each connection in its
// own goroutine until the peer closes it, like an API server with
// keep-alive.
func startBackend() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serveBackendConn(c)
		}
	}()
	return ln.Addr().String(), nil
}

// serveBackendConn answers every request read on c; it returns only when
// the tunnel closes the connection, which in this scenario never happens.
func serveBackendConn(c net.Conn) {
	defer c.Close()
	buf := make([]byte, 512)
	for {
		if _, err := c.Read(buf); err != nil {
			return
		}
		if _, err := c.Write(response); err != nil {
			return
		}
	}
}

// startTunnel serves a remotedialer.Server on a loopback port, connects the
// agent to it, and waits until the agent's session is registered.
func startTunnel(backend string) (*remotedialer.Server, error) {
	server := remotedialer.New(func(req *http.Request) (string, bool, error) {
		id := req.Header.Get("X-Tunnel-ID")
		return id, id == clientKey, nil
	}, remotedialer.DefaultErrorWriter)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/connect", server)
	go (&http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}).Serve(ln)

	// The agent may dial only the backend, as a cluster agent may reach
	// only its kube-apiserver.
	allow := func(proto, address string) bool { return proto == "tcp" && address == backend }
	headers := http.Header{"X-Tunnel-ID": {clientKey}}
	go func() {
		for {
			remotedialer.ClientConnect(context.Background(), "ws://"+ln.Addr().String()+"/connect", headers, nil, allow, nil)
		}
	}()

	for deadline := time.Now().Add(10 * time.Second); !server.HasSession(clientKey); {
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("agent did not connect")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return server, nil
}

// apiCall is one API request proxied to the downstream cluster. The bug:
// unless closeConn is set (the fix), the tunnelled connection is never
// closed, so neither side of the tunnel ever learns that the call is over.
func apiCall(dial remotedialer.Dialer, backend string, closeConn bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := dial(ctx, "tcp", backend)
	if err != nil {
		return err
	}
	if closeConn {
		// The fix: close on every path once the call is over.
		defer conn.Close()
	}
	// Leak without closeConn: no conn.Close() (nor defer conn.Close()).
	// Only a read deadline: a write deadline makes remotedialer start a
	// goroutine that closes the connection when it passes.
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(conn, "GET /api/v1/namespaces HTTP/1.1\r\nHost: kubernetes\r\n\r\n"); err != nil {
		return err
	}
	_, err = io.ReadFull(conn, make([]byte, len(response)))
	conn.SetReadDeadline(time.Time{})
	return err
}

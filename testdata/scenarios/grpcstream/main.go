// Regenerate:
//
//	cd testdata/scenarios && go run ./grpcstream -out ../fixtures/grpcstream
//
// Command grpcstream runs a real gRPC server (with the standard health
// service, health.NewServer) and a client on 127.0.0.1 in one process. For
// each request, checkBackend opens a Health.Watch stream with a context that
// is never cancelled, reads the first status and returns: the stream is never
// read to the end nor closed. Both sides keep it open, so the client's stream
// goroutine and the server's handler goroutine, blocked in
// health.(*Server).Watch, pile up with every request.
package main

import (
	"context"
	"fmt"
	"net"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/leakdiff/leakdiff/testdata/scenarios/internal/snap"
)

const requestsPerTick = 12

// startServer serves the health service on a loopback port.
func startServer() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := grpc.NewServer()
	hs := health.NewServer()
	hs.SetServingStatus("inventory", healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(srv, hs)
	go srv.Serve(ln)
	return ln.Addr().String(), nil
}

// checkBackend asks whether the inventory backend is serving. BUG (the leak):
// it uses a streaming Watch where a unary Check was meant, with a context
// that is never cancelled, reads one message and abandons the stream.
func checkBackend(client healthpb.HealthClient) (bool, error) {
	stream, err := client.Watch(context.Background(), &healthpb.HealthCheckRequest{Service: "inventory"})
	if err != nil {
		return false, err
	}
	resp, err := stream.Recv()
	if err != nil {
		return false, err
	}
	return resp.GetStatus() == healthpb.HealthCheckResponse_SERVING, nil
}

func main() {
	snap.Main(snap.Options{
		Out: "out", Source: "grpc", N: 8, Every: time.Second,
		Formats: "proto", GC: true, ViaHTTP: true,
	}, nil, func(o *snap.Options) (func(int), error) {
		addr, err := startServer()
		if err != nil {
			return nil, err
		}
		conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return nil, err
		}
		client := healthpb.NewHealthClient(conn)
		return func(i int) {
			for range requestsPerTick {
				ok, err := checkBackend(client)
				if err != nil || !ok {
					panic(fmt.Sprint("health: ", ok, err))
				}
			}
		}, nil
	})
}

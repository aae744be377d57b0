// Regenerate:
//
//	cd testdata/scenarios && go run ./httpbody -out ../fixtures/httpbody
//
// Command httpbody is an HTTP client that never closes response bodies. Each
// call to fetchInventory gets a response from a server on 127.0.0.1, looks
// at the status and returns without reading or closing resp.Body. The
// transport cannot reuse or release the connection, so every call leaves a
// persistConn behind with its two goroutines, net/http.(*persistConn).readLoop
// (waiting for the body to be read) and (*persistConn).writeLoop.
//
// The server answers with "Connection: close", so its own per-connection
// goroutines end; only the client side accumulates.
package main

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/leakdiff/leakdiff/testdata/scenarios/internal/snap"
)

const callsPerTick = 15

var inventory = strings.Repeat(`{"sku":"A-100","qty":3},`, 400)

// startServer serves the inventory API on a loopback port.
func startServer() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/inventory", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, "[%s{}]", inventory)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), nil
}

// fetchInventory checks that the inventory service answers. BUG (the leak):
// resp.Body is neither read to the end nor closed.
func fetchInventory(client *http.Client, base string) error {
	resp, err := client.Get(base + "/inventory")
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("inventory: %s", resp.Status)
	}
	return nil // missing: defer resp.Body.Close()
}

func main() {
	snap.Main(snap.Options{
		Out: "out", Source: "client", N: 12, Every: time.Second,
		SimInterval: 30 * time.Second, SimStart: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC),
		Formats: "proto,debug2",
	}, nil, func(o *snap.Options) (func(int), error) {
		base, err := startServer()
		if err != nil {
			return nil, err
		}
		// A client of its own (not http.DefaultClient), as a service would.
		// No Client.Timeout: a timeout would cancel each request, close its
		// body and end the leak after that long (the first version of this
		// fixture levelled off at 10 s × 15 calls = 150 goroutines).
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
		return func(i int) {
			for range callsPerTick {
				if err := fetchInventory(client, base); err != nil {
					panic(err)
				}
			}
		}, nil
	})
}

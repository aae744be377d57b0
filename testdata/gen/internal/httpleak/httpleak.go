// Package httpleak leaks goroutines using only the standard library: HTTP
// responses whose bodies are never closed keep their connection busy, so
// every request leaves net/http.(*persistConn).readLoop and writeLoop
// goroutines (plus a server-side net/http.(*conn).serve) behind.
package httpleak

import (
	"fmt"
	"net"
	"net/http"
)

// Client talks to a local server it started itself.
type Client struct {
	url    string
	client *http.Client
}

// Start serves "ok" on 127.0.0.1 (an ephemeral port, never a public
// interface) and returns a client for it.
func Start() (*Client, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})}
	go srv.Serve(ln) //nolint:errcheck // runs until the process exits
	// A private Transport without proxy so nothing leaves the machine.
	return &Client{
		url:    "http://" + ln.Addr().String() + "/",
		client: &http.Client{Transport: &http.Transport{Proxy: nil}},
	}, nil
}

// FetchAndForget issues a GET and drops the response without closing its
// body. The connection can never be reused or closed, which is the leak.
func (c *Client) FetchAndForget() error {
	resp, err := c.client.Get(c.url)
	if err != nil {
		return err
	}
	_ = resp.StatusCode // deliberately no resp.Body.Close()
	return nil
}

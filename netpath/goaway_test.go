//go:build unix

package netpath_test

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/cellsubstrate/cell/frame"
	"github.com/cellsubstrate/cell/netpath"
)

// A server that restarts gracefully sends a go-away on a connection the client is not
// using and keeps it open while it drains. The client's next call notices the go-away
// (its idle probe) and connects anew; the connection that went away, with no call left
// on it, is closed then, not kept (with its fds) until Client.Close. Three such
// restarts leave the client one connection, and the peer sees each old one closed.
func TestGoAwayIdleRetires(t *testing.T) {
	ln, err := net.Listen("unix", t.TempDir()+"/g.sock")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type served struct {
		c  net.Conn
		id uint64
	}
	calls := make(chan served, 8)
	closed := make(chan net.Conn, 8) // connections the client closed (EOF seen)
	var mu sync.Mutex
	var all []net.Conn
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range all {
			c.Close()
		}
	}()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			all = append(all, c)
			mu.Unlock()
			go func() { // answer every request until the connection ends
				var buf []byte
				tmp := make([]byte, 4096)
				for {
					var h frame.Header
					p, n, ok, err := frame.ParseInto(&h, buf, 0)
					if err != nil {
						return
					}
					if ok {
						r := frame.Header{Kind: frame.KindReply, CallID: h.CallID}
						if _, err := c.Write(append(frame.AppendHeader(nil, &r, len(p)), p...)); err != nil {
							return
						}
						buf = buf[n:]
						calls <- served{c, h.CallID}
						continue
					}
					m, err := c.Read(tmp)
					if err != nil {
						closed <- c
						return
					}
					buf = append(buf, tmp[:m]...)
				}
			}()
		}
	}()
	cl := dial(t, "unix://"+ln.Addr().String(), netpath.ClientConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const restarts = 3
	var old []net.Conn
	for i := 0; i <= restarts; i++ {
		if err := echo(ctx, cl, []byte("x")); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		got := recvTimeout(t, calls)
		for _, c := range old {
			if c == got.c {
				t.Fatalf("call %d went to a connection that went away", i)
			}
		}
		if i == restarts {
			break
		}
		// The call was answered: the connection is idle. Go away, naming that call as
		// the last one answered, and keep the connection open.
		g := frame.Header{Kind: frame.KindGoAway, CallID: got.id}
		if _, err := got.c.Write(frame.AppendHeader(nil, &g, 0)); err != nil {
			t.Fatal(err)
		}
		old = append(old, got.c)
		// Longer than the client's idle probe threshold (1ms), so that the next call
		// reads what the connection holds before it uses it.
		time.Sleep(5 * time.Millisecond)
	}
	seen := map[net.Conn]bool{}
	for len(seen) < len(old) {
		select {
		case c := <-closed:
			seen[c] = true
		case <-time.After(10 * time.Second):
			t.Fatalf("the client closed %d of the %d connections that went away (it has %d open)",
				len(seen), len(old), netpath.ClientConns(cl))
		}
	}
	for _, c := range old {
		if !seen[c] {
			t.Fatal("a connection still in use was closed")
		}
	}
	// The peer sees EOF once both fds are closed; the client forgets the connection
	// just after.
	deadline := time.Now().Add(10 * time.Second)
	for netpath.ClientConns(cl) != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("client has %d connections, want 1", netpath.ClientConns(cl))
		}
		time.Sleep(time.Millisecond)
	}
}

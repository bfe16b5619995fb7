//go:build unix

package netpath_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cellsubstrate/cell/frame"
	"github.com/cellsubstrate/cell/netpath"
)

// Frames far larger than the socket buffers go through intact both ways: writers
// meet a full socket (EAGAIN) and hand over to their drainer, readers reassemble
// frames from many reads.
func TestLargeFrames(t *testing.T) {
	const max = 2 << 20
	srv := listen(t, echoHandler, netpath.ServerConfig{MaxFrameSize: max})
	cl := dial(t, srv.Addr(), netpath.ClientConfig{MaxFrameSize: max})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 4; i++ {
				n := (g*4 + i + 1) * 70_000 // up to 1.7 MB
				msg := bytes.Repeat([]byte(fmt.Sprintf("%02d:%02d|", g, i)), n/6)
				if err := echo(ctx, cl, msg); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	h := frame.Header{Kind: frame.KindRequest, Method: methodEcho}
	if err := cl.Call(ctx, &h, make([]byte, max), nil); err != netpath.ErrTooLarge {
		t.Fatalf("oversized request: %v, want ErrTooLarge", err)
	}
	if err := echo(ctx, cl, []byte("still fine")); err != nil {
		t.Fatal(err)
	}
}

// A peer that sends requests but never reads the replies is disconnected once the
// replies queued for it pass WriteBufferLimit; the reason is logged.
func TestPeerNotReading(t *testing.T) {
	logger, logs := newLogger(t)
	srv := listen(t, echoHandler, netpath.ServerConfig{Logger: logger, MaxFrameSize: 1 << 16, WriteBufferLimit: 1 << 16})
	c, err := net.Dial("unix", strings.TrimPrefix(srv.Addr(), "unix://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	payload := make([]byte, 60_000)
	h := frame.Header{Kind: frame.KindRequest, Method: methodEcho, CallID: 1}
	req := append(frame.AppendHeader(nil, &h, len(payload)), payload...)
	_ = c.SetWriteDeadline(time.Now().Add(20 * time.Second))
	for i := 0; i < 1000; i++ {
		if _, err := c.Write(req); err != nil {
			break // the server closed the connection
		}
		if strings.Contains(logs.String(), "not reading") {
			break
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "not reading") {
		if time.Now().After(deadline) {
			t.Fatalf("server never gave up on a peer that does not read; log:\n%s", logs)
		}
		time.Sleep(time.Millisecond)
	}
}

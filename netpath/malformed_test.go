//go:build unix

package netpath_test

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/cellsubstrate/cell/frame"
	"github.com/cellsubstrate/cell/netpath"
)

// Every class of malformed input closes only the offending connection, with a logged
// reason and (where the socket still takes it) a KindError frame carrying the reason;
// a well-behaved client on the same server is served throughout.
func TestMalformedInput(t *testing.T) {
	valid := func(mutate func(b []byte)) []byte {
		h := frame.Header{Kind: frame.KindRequest, Method: methodEcho, CallID: 1}
		b := frame.AppendHeader(nil, &h, 4)
		b = append(b, "ping"...)
		mutate(b)
		return b
	}
	cases := []struct {
		name  string
		input []byte
		eof   bool   // close our write side after sending
		want  string // in the logged reason (and the error frame, when one is sent)
		frame bool   // an error frame is expected
	}{
		{"bad version", valid(func(b []byte) { b[4] = 9 }), false, "unsupported version", true},
		{"bad kind zero", valid(func(b []byte) { b[5] = 0 }), false, "unknown kind", true},
		{"bad kind high", valid(func(b []byte) { b[5] = 200 }), false, "unknown kind", true},
		{"bad flags", valid(func(b []byte) { b[6] = 0x80 }), false, "undefined flags", true},
		{"oversize", valid(func(b []byte) { binary.LittleEndian.PutUint32(b, 1<<30) }), false, "too large", true},
		{"length below header", valid(func(b []byte) { binary.LittleEndian.PutUint32(b, 16) }), false, "shorter than header", true},
		{"reply from a client", func() []byte {
			h := frame.Header{Kind: frame.KindReply, CallID: 1}
			return frame.AppendHeader(nil, &h, 0)
		}(), false, "client sent a reply frame", true},
		{"truncated then EOF", valid(func(b []byte) {})[:20], true, "truncated frame at EOF", false},
		{"truncated payload then EOF", valid(func(b []byte) {})[:34], true, "truncated frame at EOF", false},
	}
	logger, logs := newLogger(t)
	srv := listen(t, echoHandler, netpath.ServerConfig{Logger: logger, MaxFrameSize: 1 << 20})
	good := dial(t, srv.Addr(), netpath.ClientConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			logged := strings.Count(logs.String(), tc.want)
			c, err := net.Dial("unix", strings.TrimPrefix(srv.Addr(), "unix://"))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := c.Write(tc.input); err != nil {
				t.Fatal(err)
			}
			if tc.eof {
				_ = c.(*net.UnixConn).CloseWrite()
			}
			_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
			rest, err := io.ReadAll(c) // until the server closes the connection
			if err != nil {
				t.Fatalf("server did not close the connection: %v", err)
			}
			if tc.frame {
				var h frame.Header
				p, _, ok, err := frame.ParseInto(&h, rest, 0)
				if err != nil || !ok || h.Kind != frame.KindError || h.Aux != netpath.CodeProtocol {
					t.Fatalf("want an error frame, got %v %v ok=%v (%d bytes)", h.Kind, err, ok, len(rest))
				}
				if !strings.Contains(string(p), tc.want) {
					t.Fatalf("error frame says %q, want %q", p, tc.want)
				}
			} else if len(rest) != 0 {
				t.Fatalf("got %d unexpected bytes", len(rest))
			}
			// The reason is logged (the log line follows the close; allow it a moment).
			deadline := time.Now().Add(10 * time.Second)
			for strings.Count(logs.String(), tc.want) == logged {
				if time.Now().After(deadline) {
					t.Fatalf("reason %q not logged; log:\n%s", tc.want, logs)
				}
				time.Sleep(time.Millisecond)
			}
			if err := echo(ctx, good, []byte("still served")); err != nil {
				t.Fatalf("good client after %s: %v", tc.name, err)
			}
		})
	}
}

// A server that sends garbage gets its connection closed by the client, whose calls
// fail with ErrPeerGone wrapping ErrProtocol.
func TestClientRejectsGarbage(t *testing.T) {
	ln, err := net.Listen("unix", t.TempDir()+"/g.sock")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 64)
		_, _ = c.Read(buf) // the request
		_, _ = c.Write([]byte{0xff, 0xff, 0xff, 0x7f, 1, 2, 0, 0})
		_, _ = io.Copy(io.Discard, c)
	}()
	cl := dial(t, "unix://"+ln.Addr().String(), netpath.ClientConfig{MaxFrameSize: 1 << 16})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = echo(ctx, cl, []byte("x"))
	if !errorsIs(err, netpath.ErrPeerGone) || !errorsIs(err, frame.ErrTooLarge) {
		t.Fatalf("got %v, want ErrPeerGone wrapping frame.ErrTooLarge", err)
	}
}

// The server answers a ping itself, with a pong carrying the ping's CallID.
func TestPing(t *testing.T) {
	srv := listen(t, func(c *netpath.Conn, h *frame.Header, p []byte) {
		t.Errorf("handler saw a %v frame", h.Kind)
	}, netpath.ServerConfig{})
	c, err := net.Dial("unix", strings.TrimPrefix(srv.Addr(), "unix://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ping := frame.Header{Kind: frame.KindPing, CallID: 77}
	if _, err := c.Write(frame.AppendHeader(nil, &ping, 0)); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	h, p := readFrame(t, c)
	if h.Kind != frame.KindPong || h.CallID != 77 || len(p) != 0 {
		t.Fatalf("got %v id %d", h.Kind, h.CallID)
	}
}

// OnClose reports every closed connection once, with the reason, and the state the
// layer above attached with SetValue; a pong from a client reaches the handler.
func TestOnCloseAndValue(t *testing.T) {
	type closed struct {
		v   any
		err error
	}
	closes := make(chan closed, 4)
	pongs := make(chan uint64, 1)
	srv := listen(t, func(c *netpath.Conn, h *frame.Header, p []byte) {
		if h.Kind == frame.KindPong {
			pongs <- h.CallID
			return
		}
		c.SetValue(string(p))
		echoHandler(c, h, p)
	}, netpath.ServerConfig{OnClose: func(c *netpath.Conn, err error) {
		closes <- closed{c.Value(), err}
	}})
	cl := dial(t, srv.Addr(), netpath.ClientConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := echo(ctx, cl, []byte("state")); err != nil {
		t.Fatal(err)
	}
	_ = cl.Close()
	if got := recvTimeout(t, closes); got.v != "state" || got.err != nil {
		t.Fatalf("clean close: value %v err %v", got.v, got.err)
	}

	c, err := net.Dial("unix", strings.TrimPrefix(srv.Addr(), "unix://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pong := frame.Header{Kind: frame.KindPong, CallID: 5}
	bad := frame.Header{Kind: frame.KindRequest, CallID: 6}
	msg := frame.AppendHeader(nil, &pong, 0)
	msg = append(msg, frame.AppendHeader(nil, &bad, 0)...)
	msg[len(msg)-frame.HeaderSize+4] = 9 // bad version in the second frame
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	if id := recvTimeout(t, pongs); id != 5 {
		t.Fatalf("pong id %d", id)
	}
	got := recvTimeout(t, closes)
	if !errors.Is(got.err, netpath.ErrProtocol) || !errors.Is(got.err, frame.ErrVersion) || got.v != nil {
		t.Fatalf("bad frame: value %v err %v, want ErrProtocol wrapping frame.ErrVersion", got.v, got.err)
	}
}

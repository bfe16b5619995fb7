package rpc

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/cellsubstrate/cell/frame"
	"github.com/cellsubstrate/cell/internal/registry"
	"github.com/cellsubstrate/cell/ring"
)

// echoDesc is a one-method service for the malformed-input tests: Echo answers a
// FlatBuffer holding one string, its request's bytes, and refuses requests shorter than
// four bytes with CodeInvalidArgument (standing in for a generated verifier).
var echoDesc = ServiceDesc{Name: "test.Echo", Methods: []MethodDesc{{Name: "Echo", Request: Shape{Type: "test.Blob"}, Reply: Shape{Type: "test.Blob"}}}}

func echo(ctx context.Context, req []byte, b *flatbuffers.Builder) (flatbuffers.UOffsetT, error) {
	if len(req) < 4 {
		return 0, Errorf(CodeInvalidArgument, "request of %d bytes", len(req))
	}
	return b.CreateByteString(req), nil
}

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

func startEcho(t *testing.T) (*Server, registry.Instance) {
	t.Helper()
	dir := t.TempDir() + "/cell"
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(ServerOptions{Dir: dir, TCPAddr: "127.0.0.1:0", Logger: discard})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Register(&echoDesc, []Handler{echo}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	d, err := registry.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := d.Pick(echoDesc.Name)
	if err != nil {
		t.Fatal(err)
	}
	return srv, inst
}

func rawFrame(h frame.Header, payload []byte) []byte {
	return append(frame.AppendHeader(nil, &h, len(payload)), payload...)
}

// checkServing proves the server still answers a well-behaved client on both paths.
func checkServing(t *testing.T, inst registry.Instance) {
	t.Helper()
	for _, tr := range []Transport{TransportSHM, TransportUnix} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		c, err := Dial(ctx, &echoDesc, ClientOptions{Dir: inst.ControlPath[:len(inst.ControlPath)-len(inst.Control)-1], Transport: tr, Logger: discard})
		if err != nil {
			cancel()
			t.Fatalf("server no longer accepts clients: %v", err)
		}
		call, err := c.Begin(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := call.Invoke(call.B.CreateByteString([]byte("hello")))
		if err != nil || !bytes.Contains(rep, []byte("hello")) {
			t.Fatalf("echo after bad input: %q, %v", rep, err)
		}
		call.End()
		c.Close()
		cancel()
	}
}

// readFrame reads one frame from a stream, with a deadline.
func readFrame(t *testing.T, c net.Conn) (frame.Header, []byte, error) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var buf []byte
	tmp := make([]byte, 4096)
	for {
		var h frame.Header
		p, _, ok, err := frame.ParseInto(&h, buf, 0)
		if err != nil {
			t.Fatalf("server sent a malformed frame: %v", err)
		}
		if ok {
			return h, p, nil
		}
		n, err := c.Read(tmp)
		if err != nil {
			return h, nil, err
		}
		buf = append(buf, tmp[:n]...)
	}
}

func TestMalformedNetpath(t *testing.T) {
	_, inst := startEcho(t)
	dial := func() net.Conn {
		c, err := net.Dial("unix", inst.UnixPath)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	hello := appendHello(nil, &hello{Version: ProtocolVersion, Service: echoDesc.Name, Methods: echoDesc.Methods})
	cases := []struct {
		name    string
		send    [][]byte
		kind    frame.Kind // the answer expected to the last frame; 0: the server closes
		code    Code
		hasHand bool
	}{
		{"garbage", [][]byte{[]byte("GET / HTTP/1.1\r\n\r\n0123456789abcdef0123456789")}, 0, 0, false},
		{"oversize frame", [][]byte{binary.LittleEndian.AppendUint32(nil, 1<<30)}, 0, 0, false},
		{"request before hello", [][]byte{rawFrame(frame.Header{Kind: frame.KindRequest, CallID: 1}, []byte("abcd"))}, frame.KindError, CodeHandshakeRequired, false},
		{"bad hello", [][]byte{rawFrame(frame.Header{Kind: frame.KindRequest, Method: helloMethod, CallID: 1}, []byte{9, 9, 9})}, frame.KindReply, 0, false},
		{"unknown method", [][]byte{rawFrame(frame.Header{Kind: frame.KindRequest, Method: 7, CallID: 2}, []byte("abcd"))}, frame.KindError, CodeUnimplemented, true},
		{"payload refused", [][]byte{rawFrame(frame.Header{Kind: frame.KindRequest, Method: 0, CallID: 2}, []byte("ab"))}, frame.KindError, CodeInvalidArgument, true},
		{"reply from client", [][]byte{rawFrame(frame.Header{Kind: frame.KindReply, CallID: 2}, nil)}, 0, 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := dial()
			if tc.hasHand {
				c.Write(rawFrame(frame.Header{Kind: frame.KindRequest, Method: helloMethod, CallID: 1}, hello))
				h, p, err := readFrame(t, c)
				if err != nil || h.Kind != frame.KindReply {
					t.Fatalf("hello: %v %v", h.Kind, err)
				}
				if sh, err := parseHello(p); err != nil || sh.Flags&helloOK == 0 {
					t.Fatalf("hello refused: %+v %v", sh, err)
				}
			}
			for _, b := range tc.send {
				c.Write(b)
			}
			for {
				h, p, err := readFrame(t, c)
				if tc.kind == 0 {
					if err == nil && h.Kind == frame.KindError {
						continue // an error frame explaining the close is allowed
					}
					if err == nil {
						t.Fatalf("server answered %v, want it to close the connection", h.Kind)
					}
					var ne net.Error
					if errors.As(err, &ne) && ne.Timeout() {
						t.Fatal("server neither answered nor closed the connection")
					}
					break
				}
				if err != nil {
					t.Fatalf("no answer: %v", err)
				}
				if h.Kind != tc.kind || (tc.kind == frame.KindError && Code(h.Aux) != tc.code) {
					t.Fatalf("answer %v code %v (%s), want %v code %v", h.Kind, Code(h.Aux), p, tc.kind, tc.code)
				}
				if tc.name == "bad hello" {
					if sh, err := parseHello(p); err != nil || sh.Flags&helloOK != 0 || sh.Code != CodeInvalidArgument {
						t.Fatalf("bad hello answered %+v, %v", sh, err)
					}
				}
				break
			}
			checkServing(t, inst)
		})
	}
}

// shmRaw opens a shared-memory connection by hand, after a valid handshake.
func shmRaw(t *testing.T, inst registry.Instance) *ring.Conn {
	t.Helper()
	ctl, err := net.DialUnix("unixpacket", nil, &net.UnixAddr{Name: inst.ControlPath, Net: "unixpacket"})
	if err != nil {
		t.Fatal(err)
	}
	boot, start := selfIdentity()
	hb := appendHello(nil, &hello{Version: ProtocolVersion, Flags: helloWantSHM, Service: echoDesc.Name, BootID: boot, PID: uint32(os.Getpid()), Start: start, Methods: echoDesc.Methods})
	ctl.Write(rawFrame(frame.Header{Kind: frame.KindHello}, hb))
	p, err := readControlFrame(ctl)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := checkServerHello(&echoDesc, p); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := ring.Connect(ctx, ctl, ring.Config{Size: 64 << 10, Spin: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func TestMalformedSHM(t *testing.T) {
	_, inst := startEcho(t)
	cases := []struct {
		name string
		rec  []byte
		kind frame.Kind // 0: the server closes the connection
		code Code
	}{
		{"garbage record", []byte("not a frame at all, no header here"), 0, 0},
		{"record longer than its frame", append(rawFrame(frame.Header{Kind: frame.KindRequest, CallID: 1}, []byte("abcd")), 0, 0, 0, 0), 0, 0},
		{"truncated frame", rawFrame(frame.Header{Kind: frame.KindRequest, CallID: 1}, []byte("abcd"))[:frame.HeaderSize+2], 0, 0},
		{"reply from client", rawFrame(frame.Header{Kind: frame.KindReply, CallID: 1}, nil), 0, 0},
		{"unknown method", rawFrame(frame.Header{Kind: frame.KindRequest, Method: 3, CallID: 1}, []byte("abcd")), frame.KindError, CodeUnimplemented},
		{"payload refused", rawFrame(frame.Header{Kind: frame.KindRequest, CallID: 1}, []byte("a")), frame.KindError, CodeInvalidArgument},
		{"deadline passed", rawFrame(frame.Header{Kind: frame.KindRequest, CallID: 1, Flags: frame.FlagDeadline, Deadline: 1}, []byte("abcd")), frame.KindError, CodeDeadlineExceeded},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			conn := shmRaw(t, inst)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := conn.Producer().Write(ctx, tc.rec); err != nil {
				t.Fatal(err)
			}
			rec, err := conn.Consumer().Peek(ctx)
			if tc.kind == 0 {
				if err == nil {
					t.Fatalf("server answered %q, want it to close the connection", rec)
				}
				if !errors.Is(err, ring.ErrClosed) && !errors.Is(err, ring.ErrPeerDead) {
					t.Fatalf("err = %v, want the connection closed", err)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				var h frame.Header
				p, _, ok, err := frame.ParseInto(&h, rec, len(rec))
				if err != nil || !ok || h.Kind != tc.kind || Code(h.Aux) != tc.code || h.CallID != 1 {
					t.Fatalf("answer %+v %q %v, want %v code %v", h, p, err, tc.kind, tc.code)
				}
			}
			checkServing(t, inst)
		})
	}
}

// A hello that is not a frame, or that names no known service, is refused on the
// control socket without taking the server down.
func TestMalformedControlSocket(t *testing.T) {
	_, inst := startEcho(t)
	for _, msg := range [][]byte{[]byte("hi"), rawFrame(frame.Header{Kind: frame.KindHello}, appendHello(nil, &hello{Version: ProtocolVersion, Service: "nope"}))} {
		ctl, err := net.DialUnix("unixpacket", nil, &net.UnixAddr{Name: inst.ControlPath, Net: "unixpacket"})
		if err != nil {
			t.Fatal(err)
		}
		ctl.Write(msg)
		ctl.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 4096)
		n, err := ctl.Read(buf)
		if err == nil {
			var h frame.Header
			if p, _, ok, _ := frame.ParseInto(&h, buf[:n], 0); ok && h.Kind == frame.KindHello {
				if sh, err := parseHello(p); err != nil || sh.Flags&helloOK != 0 {
					t.Fatalf("bad hello accepted: %+v %v", sh, err)
				}
			}
		}
		ctl.Close()
	}
	checkServing(t, inst)
}

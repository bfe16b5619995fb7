package rpc

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/cellsubstrate/cell/frame"
	"github.com/cellsubstrate/cell/netpath"
)

// helloMethod is the method id of the handshake on netpath. netpath matches answers to
// requests, so there the hello travels as a KindRequest with this reserved method id and
// its answer as a KindReply carrying the server's hello (see docs/PROTOCOL.md).
const helloMethod = 0xFFFFFFFF

// CodeHandshakeRequired is the error code a server answers a request with when the
// connection has not completed a handshake (for example a connection netpath
// re-established after a break). The client then shakes hands again and retries the
// call once: the server did not run it.
const CodeHandshakeRequired Code = 17

func init() { codeNames[CodeHandshakeRequired] = "handshake required" }

// netClient is a Client's transport over netpath (Unix or TCP).
type netClient struct {
	c     *Client
	nc    *netpath.Client
	p     Path
	hello []byte
	mu    sync.Mutex // serializes re-handshakes
	sh    *hello     // the server's hello from the first handshake
}

// netCall is the per-Call state of the netpath path.
type netCall struct {
	hdr     frame.Header
	req     []byte
	buf     []byte // the reply, copied out of the event loop's buffer
	onReply netpath.ReplyFunc
}

func dialNet(ctx context.Context, c *Client, addr string) (*netClient, error) {
	p := PathUnix
	if strings.HasPrefix(addr, "tcp://") {
		p = PathTCP
	}
	max := c.opts.MaxInFlight
	if max == 0 {
		max = 1024
	}
	nc, err := netpath.Dial(ctx, addr, netpath.ClientConfig{MaxInFlight: max, Logger: c.log})
	if err != nil {
		return nil, unavailable(err, "dial %s", addr)
	}
	t := &netClient{c: c, nc: nc, p: p, hello: clientHello(c.desc, false)}
	if err := t.shake(ctx); err != nil {
		nc.Close()
		return nil, err
	}
	return t, nil
}

// shake runs the handshake on the current netpath connection.
func (t *netClient) shake(ctx context.Context) error {
	var reply []byte
	h := frame.Header{Kind: frame.KindRequest, Method: helloMethod}
	err := t.nc.Call(ctx, &h, t.hello, func(_ *frame.Header, p []byte) error {
		reply = append([]byte(nil), p...)
		return nil
	})
	if err != nil {
		return t.mapErr(err)
	}
	sh, err := checkServerHello(t.c.desc, reply)
	if err == nil && t.sh == nil {
		t.sh = sh
	}
	return err
}

func (t *netClient) path() Path { return t.p }

func (t *netClient) close() error { return t.nc.Close() }

func (t *netClient) state(call *Call) *netCall {
	if s, ok := call.state.(*netCall); ok {
		return s
	}
	s := &netCall{}
	s.onReply = func(_ *frame.Header, p []byte) error {
		s.buf = append(s.buf[:0], p...)
		return nil
	}
	call.state = s
	return s
}

func (t *netClient) begin(call *Call) error {
	call.own.Reset()
	call.B = call.own
	return nil
}

func (t *netClient) send(call *Call, root flatbuffers.UOffsetT) error {
	call.B.Finish(root)
	s := t.state(call)
	s.req = call.B.FinishedBytes()
	return nil
}

func (t *netClient) wait(call *Call) error {
	s := t.state(call)
	for attempt := 0; ; attempt++ {
		s.hdr = frame.Header{Kind: frame.KindRequest, Method: call.method}
		err := t.nc.Call(call.ctx, &s.hdr, s.req, s.onReply)
		if err == nil {
			call.reply = s.buf
			return nil
		}
		var re *netpath.RemoteError
		if attempt == 0 && errors.As(err, &re) && Code(re.Code) == CodeHandshakeRequired {
			t.mu.Lock()
			err = t.shake(call.ctx)
			t.mu.Unlock()
			if err != nil {
				return err
			}
			continue
		}
		return t.mapErr(err)
	}
}

func (t *netClient) release(call *Call) {}

// mapErr turns netpath's and the context's errors into *Error values.
func (t *netClient) mapErr(err error) error {
	var re *netpath.RemoteError
	switch {
	case errors.As(err, &re):
		switch re.Code {
		case netpath.CodeGoingAway:
			return &Error{Code: CodeUnavailable, Message: "server going away: " + re.Message, Remote: true, cause: err}
		case netpath.CodeProtocol:
			return &Error{Code: CodeUnavailable, Message: "protocol error: " + re.Message, Remote: true, cause: err}
		}
		return errorFromFrame(re.Code, []byte(re.Message))
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return ctxError(err)
	case errors.Is(err, netpath.ErrClosed):
		return &Error{Code: CodeUnavailable, Message: "client closed", cause: ErrClosed}
	case errors.Is(err, netpath.ErrGoAway), errors.Is(err, netpath.ErrPeerGone), errors.Is(err, netpath.ErrProtocol):
		return unavailable(err, "connection")
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{Code: CodeUnknown, Message: err.Error(), cause: err}
}

// netServer serves the server's services on netpath listeners. A connection's
// handshake state (its *serverConn) is attached to the netpath connection with
// SetValue; OnClose cancels the connection's calls when it closes.
type netServer struct {
	s *Server
}

// netOut sends a server connection's frames through netpath.
type netOut struct{ c *netpath.Conn }

func (o netOut) sendFrame(h *frame.Header, p []byte) error { return o.c.Reply(h, p) }

// handle is the netpath Handler: it runs on the connection's event loop.
func (ns *netServer) handle(c *netpath.Conn, h *frame.Header, payload []byte) {
	if h.Kind == frame.KindRequest && h.Method == helloMethod {
		ns.shake(c, h, payload)
		return
	}
	sc, _ := c.Value().(*serverConn)
	if sc == nil {
		if h.Kind == frame.KindRequest {
			e := frame.Header{Kind: frame.KindError, CallID: h.CallID, Aux: uint32(CodeHandshakeRequired)}
			_ = c.Reply(&e, []byte("handshake required"))
		}
		return
	}
	if err := sc.handle(netOut{c}, h, payload); err != nil {
		ns.s.log.Warn("rpc: closing netpath connection", "remote", c.RemoteAddr(), "err", err)
		_ = c.Close()
	}
}

func (ns *netServer) shake(c *netpath.Conn, h *frame.Header, payload []byte) {
	boot, start := selfIdentity()
	svc, table, reply, err := ns.s.handshake(payload, boot, uint32(selfPID), start)
	if err != nil {
		ns.s.log.Info("rpc: handshake refused", "remote", c.RemoteAddr(), "err", err)
	} else {
		if old, _ := c.Value().(*serverConn); old != nil {
			old.forget() // a second handshake on one connection replaces the first
		}
		c.SetValue(ns.s.newConn(svc, table))
	}
	rh := frame.Header{Kind: frame.KindReply, CallID: h.CallID}
	if err := c.Reply(&rh, appendHello(nil, reply)); err != nil {
		ns.s.log.Debug("rpc: hello reply not sent", "err", err)
	}
}

// closed is netpath's OnClose: the connection's queued and running calls end.
func (ns *netServer) closed(c *netpath.Conn, err error) {
	if sc, _ := c.Value().(*serverConn); sc != nil {
		sc.forget()
	}
}

// listen starts a netpath listener on addr.
func (ns *netServer) listen(addr string) (*netpath.Server, error) {
	l, err := netpath.Listen(addr, ns.handle, netpath.ServerConfig{Logger: ns.s.log, OnClose: ns.closed})
	if err != nil {
		return nil, fmt.Errorf("rpc: listen %s: %w", addr, err)
	}
	return l, nil
}

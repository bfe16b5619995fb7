//go:build unix

package netpath

import (
	"errors"
	"fmt"
	"net"
	"sync/atomic"

	"github.com/panjf2000/gnet/v2"

	"github.com/cellsubstrate/cell/frame"
)

// Conn is the server side of one connection, as seen by a Handler. Reply and
// ReplyBuild are safe for concurrent use and never block.
type Conn struct {
	srv    *Server
	gc     gnet.Conn
	remote net.Addr
	w      writer

	// Event-loop only.
	hdr        frame.Header
	lastCall   uint64
	goawaySent bool
	reason     error // why the server is closing this connection
	batch      int   // frames dispatched in the current OnTraffic
	lastBatch  int64 // monotime when the last batch was answered
	pingPong   bool  // the last batch came within SpinWait of the answers before it
	spinAdded  bool  // the fd is in the server's spin set
	spinEv     spinEvent
	// How the loop waited before the current batch (trace*, for the benchmarks'
	// per-call breakdown) and when that wait's decision ended (monotime).
	waitHow uint8
	idleEnd int64
	waitGap int64 // from idleEnd to this batch's OnTraffic
	spinGap int64 // longest time between two polls of the spin before it

	// Requests dispatched and answers sent (KindReply or KindError frames queued): their
	// difference, at least 0, is what graceful shutdown waits for. dispatched is
	// written by the event loop only; both are read by Shutdown.
	dispatched atomic.Int64
	answered   atomic.Int64
	nDispatch  int64 // event loop only: dispatched's value
	value      atomic.Pointer[any]
	stalled    atomic.Bool // closed because the peer stopped reading its replies
}

// SetValue attaches v to the connection (per-connection state of the layer above, such
// as its handshake result). Safe for concurrent use.
func (c *Conn) SetValue(v any) { c.value.Store(&v) }

// Value returns what SetValue stored last, or nil. Safe for concurrent use.
func (c *Conn) Value() any {
	if p := c.value.Load(); p != nil {
		return *p
	}
	return nil
}

// RemoteAddr returns the peer's address.
func (c *Conn) RemoteAddr() net.Addr { return c.remote }

// Reply sends a frame with header h and the given payload. A KindReply or KindError
// frame settles the request with h.CallID. Called from the handler, the frame leaves
// with the rest of the event loop's batch; called from elsewhere, it is written at
// once. The payload is copied into the connection's outbound buffer before Reply
// returns.
func (c *Conn) Reply(h *frame.Header, payload []byte) error {
	return c.send(h, payload, nil)
}

// ReplyBuild is Reply with the payload appended by build directly into the
// connection's outbound buffer (see BuildFunc), so a reply is built without a copy or
// an allocation.
func (c *Conn) ReplyBuild(h *frame.Header, build BuildFunc) error {
	return c.send(h, nil, build)
}

func (c *Conn) send(h *frame.Header, payload []byte, build BuildFunc) error {
	err := c.w.put(nil, h, payload, build, false)
	if err == nil && (h.Kind == frame.KindReply || h.Kind == frame.KindError) {
		c.answered.Add(1)
	}
	if errors.Is(err, ErrBackpressure) {
		c.srv.log.Warn("netpath: closing connection: peer is not reading its replies",
			"remote", addrString(c.remote), "queued", c.w.queued())
		c.stalled.Store(true)
		c.w.close(ErrBackpressure)
		_ = c.gc.Close()
	}
	return err
}

// Close closes the connection; calls in flight on it are abandoned.
func (c *Conn) Close() error {
	c.w.close(ErrClosed)
	return c.gc.Close()
}

// onFrame dispatches one frame; event loop only.
func (c *Conn) onFrame(h *frame.Header, payload []byte) bool {
	c.batch++
	switch h.Kind {
	case frame.KindRequest:
		if c.goawaySent {
			e := frame.Header{Kind: frame.KindError, CallID: h.CallID, Aux: CodeGoingAway}
			_ = c.w.put(nil, &e, goingAwayMsg, nil, false)
			return true
		}
		if h.CallID > c.lastCall {
			c.lastCall = h.CallID
		}
		c.nDispatch++
		c.dispatched.Store(c.nDispatch) // before the handler can answer it
	case frame.KindPing:
		p := frame.Header{Kind: frame.KindPong, CallID: h.CallID}
		_ = c.w.put(nil, &p, nil, nil, false)
		return true
	case frame.KindReply:
		c.reason = fmt.Errorf("%w: client sent a %s frame", ErrProtocol, h.Kind)
		c.protocolError(c.reason)
		return false
	}
	return c.dispatch(h, payload)
}

var goingAwayMsg = []byte("server is shutting down")

// dispatch runs the handler, turning a panic into a closed connection.
func (c *Conn) dispatch(h *frame.Header, payload []byte) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			c.reason = fmt.Errorf("netpath: handler panicked: %v", r)
			ok = false
		}
	}()
	c.srv.handler(c, h, payload)
	return c.reason == nil
}

// protocolError queues an error frame explaining why the connection is closing.
func (c *Conn) protocolError(err error) {
	e := frame.Header{Kind: frame.KindError, Aux: CodeProtocol}
	_ = c.w.put(nil, &e, []byte(err.Error()), nil, false)
}

// sendGoAway queues a go-away naming the last request this connection will answer;
// event loop only.
func (c *Conn) sendGoAway() {
	c.goawaySent = true
	g := frame.Header{Kind: frame.KindGoAway, CallID: c.lastCall}
	_ = c.w.put(nil, &g, nil, nil, false)
}

// inFlight returns the number of requests dispatched and not yet answered.
func (c *Conn) inFlight() int64 {
	// answered first: a request answered after this load was dispatched before the
	// next, so the difference never counts an answer without its request.
	a := c.answered.Load()
	return max(c.dispatched.Load()-a, 0)
}

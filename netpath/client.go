//go:build unix

package netpath

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/cellsubstrate/cell/frame"
)

// corkThreshold is the number of other calls in flight above which a caller corks its
// write (see writer.put). Measured on 2 vCPUs with the server in another process:
// corking loses below about 32 calls in flight (the server idles while the client
// batches) and wins above (about 1.5x frames/s at 128 and more).
const corkThreshold = 32

// slot is one call in flight. pending holds the call's id while the call waits for
// its answer and 0 otherwise; whoever swaps it from id to 0 (the event loop with the
// answer, the connection's close, or the caller giving up) settles the call, and only
// a settler other than the caller sends on done.
type slot struct {
	pending atomic.Uint64
	conn    atomic.Pointer[clientConn]
	reply   ReplyFunc     // written by the caller before pending is set
	err     error         // written by the settler before it sends on done
	done    chan struct{} // capacity 1
	_       [64]byte      // keep neighbours' pending words off this cache line
}

// Client sends calls to one address over one gnet connection, reconnecting when it
// breaks. All methods are safe for concurrent use.
type Client struct {
	gnet.BuiltinEventEngine
	cfg              ClientConfig
	network, address string
	log              *slog.Logger
	gcli             *gnet.Client

	slots  []slot
	free   chan uint32
	seq    atomic.Uint64
	cur    atomic.Pointer[clientConn]
	closed atomic.Bool

	dialSem  chan struct{} // held while connecting
	nextDial time.Time     // guarded by dialSem
	backoff  time.Duration // guarded by dialSem
	lastErr  error         // guarded by dialSem

	closeOnce sync.Once
}

// clientConn is one connection of a Client.
type clientConn struct {
	cl     *Client
	w      writer
	gc     gnet.Conn
	hdr    frame.Header // event loop only
	dead   atomic.Bool
	goaway atomic.Bool
	reason error // event loop only
}

// Dial creates a Client for addr ("tcp://host:port", "unix:///path") and connects
// once; it fails if that first connection fails.
func Dial(ctx context.Context, addr string, cfg ClientConfig) (*Client, error) {
	network, address, err := splitAddr(addr)
	if err != nil {
		return nil, err
	}
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	c := &Client{
		cfg: cfg, network: network, address: address, log: cfg.Logger,
		slots:   make([]slot, cfg.MaxInFlight),
		free:    make(chan uint32, cfg.MaxInFlight),
		dialSem: make(chan struct{}, 1),
	}
	for i := range c.slots {
		c.slots[i].done = make(chan struct{}, 1)
		c.free <- uint32(i)
	}
	c.gcli, err = gnet.NewClient(c,
		gnet.WithLogger(gnetLogger{cfg.Logger}),
		gnet.WithTCPNoDelay(gnet.TCPNoDelay),
		gnet.WithNumEventLoop(1),
	)
	if err != nil {
		return nil, err
	}
	if err := c.gcli.Start(); err != nil {
		return nil, err
	}
	if _, err := c.conn(ctx); err != nil {
		_ = c.Close()
		return nil, err
	}
	return c, nil
}

// Call sends a request frame with header h (Kind is usually frame.KindRequest) and
// payload, waits for the answer and hands a KindReply to reply. Call sets h.CallID,
// and h.Deadline with FlagDeadline when ctx has a deadline and h has none. When ctx
// ends first, Call sends a KindCancel frame and returns ctx's error. A KindError answer
// is returned as a *RemoteError. Call blocks while MaxInFlight calls are in flight.
func (c *Client) Call(ctx context.Context, h *frame.Header, payload []byte, reply ReplyFunc) error {
	return c.call(ctx, h, payload, nil, reply)
}

// CallBuild is Call with the request payload appended by build directly into the
// connection's outbound buffer (see BuildFunc).
func (c *Client) CallBuild(ctx context.Context, h *frame.Header, build BuildFunc, reply ReplyFunc) error {
	return c.call(ctx, h, nil, build, reply)
}

func (c *Client) call(ctx context.Context, h *frame.Header, payload []byte, build BuildFunc, reply ReplyFunc) error {
	if c.closed.Load() {
		return ErrClosed
	}
	var idx uint32
	select {
	case idx = <-c.free:
	default:
		select {
		case idx = <-c.free:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	cc, err := c.conn(ctx)
	if err != nil {
		c.free <- idx
		return err
	}
	s := &c.slots[idx]
	id := c.seq.Add(1)<<slotBits | uint64(idx)
	s.reply = reply
	s.conn.Store(cc)
	s.pending.Store(id)
	if cc.dead.Load() || cc.goaway.Load() {
		// The connection closed (or went away) after conn returned; its close may have
		// run before pending was set and missed this call, so settle it here.
		if s.pending.CompareAndSwap(id, 0) {
			return c.finish(idx, fmt.Errorf("%w: connection lost before the call was sent", ErrPeerGone))
		}
		<-s.done
		return c.finish(idx, s.err)
	}
	h.CallID = id
	if h.Flags&frame.FlagDeadline == 0 {
		if dl, ok := ctx.Deadline(); ok {
			h.Flags |= frame.FlagDeadline
			h.Deadline = dl.UnixNano()
		}
	}
	if err := cc.w.put(ctx, h, payload, build, cap(c.free)-len(c.free) > corkThreshold); err != nil {
		if s.pending.CompareAndSwap(id, 0) {
			return c.finish(idx, err)
		}
		<-s.done
		return c.finish(idx, s.err)
	}
	if c.cfg.SpinWait > 0 && cap(c.free)-len(c.free) == 1 {
		// The only call in flight: stay on the CPU for a while rather than park. The
		// event loop's send then lands in the buffered channel with nobody to wake,
		// and the vCPU is not halted and woken again (tens of µs on a VM).
		t0 := time.Now()
		for len(s.done) == 0 && time.Since(t0) < c.cfg.SpinWait {
			runtime.Gosched()
		}
	}
	select {
	case <-s.done:
	case <-ctx.Done():
		if s.pending.CompareAndSwap(id, 0) {
			cancel := frame.Header{Kind: frame.KindCancel, CallID: id}
			_ = cc.w.put(nil, &cancel, nil, nil, false) // best effort; skipped when the queue is full
			return c.finish(idx, context.Cause(ctx))
		}
		<-s.done
	}
	return c.finish(idx, s.err)
}

// finish releases slot idx and returns err.
func (c *Client) finish(idx uint32, err error) error {
	s := &c.slots[idx]
	s.reply, s.err = nil, nil
	s.conn.Store(nil)
	c.free <- idx
	return err
}

// conn returns the live connection, connecting (with back-off) when there is none.
func (c *Client) conn(ctx context.Context) (*clientConn, error) {
	if cc := c.cur.Load(); cc != nil && !cc.dead.Load() && !cc.goaway.Load() {
		return cc, nil
	}
	select {
	case c.dialSem <- struct{}{}:
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
	defer func() { <-c.dialSem }()
	if c.closed.Load() {
		return nil, ErrClosed
	}
	if cc := c.cur.Load(); cc != nil && !cc.dead.Load() && !cc.goaway.Load() {
		return cc, nil
	}
	if wait := time.Until(c.nextDial); wait > 0 {
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return nil, fmt.Errorf("%w: reconnect backing off after: %v", ErrPeerGone, c.lastErr)
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, context.Cause(ctx)
		}
	}
	cc, err := c.connect(ctx)
	if err != nil {
		c.backoff = min(max(2*c.backoff, c.cfg.BackoffMin), c.cfg.BackoffMax)
		half := c.backoff / 2
		c.nextDial = time.Now().Add(half + rand.N(half+1))
		c.lastErr = err
		return nil, fmt.Errorf("%w: %v", ErrPeerGone, err)
	}
	c.backoff, c.lastErr = 0, nil
	c.cur.Store(cc)
	return cc, nil
}

func (c *Client) connect(ctx context.Context) (*clientConn, error) {
	d := net.Dialer{Timeout: c.cfg.DialTimeout}
	nc, err := d.DialContext(ctx, c.network, c.address)
	if err != nil {
		return nil, err
	}
	fd := -1
	if sc, ok := nc.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			_ = rc.Control(func(f uintptr) { fd, err = dupFD(int(f)) })
		}
	}
	if fd < 0 {
		nc.Close()
		return nil, errors.New("netpath: cannot duplicate the connection's fd")
	}
	cc := &clientConn{cl: c}
	cc.w.init(fd, c.cfg.WriteBufferLimit, c.cfg.MaxFrameSize)
	gc, err := c.gcli.EnrollContext(nc, cc) // closes nc; gnet keeps its own dup
	if err != nil {
		cc.w.close(ErrClosed)
		return nil, err
	}
	cc.gc = gc
	return cc, nil
}

// Close closes the connection and fails every call in flight with ErrClosed. It waits
// for the client's event loop to exit.
func (c *Client) Close() error {
	var err error
	c.closeOnce.Do(func() {
		c.closed.Store(true)
		c.dialSem <- struct{}{} // no connect runs from now on
		err = c.gcli.Stop()     // closes every connection (OnClose) and ends the loop
		<-c.dialSem
	})
	return err
}

// OnTraffic is gnet's callback; not for callers.
func (c *Client) OnTraffic(gc gnet.Conn) gnet.Action {
	cc, ok := gc.Context().(*clientConn)
	if !ok {
		return gnet.Close
	}
	buf, _ := gc.Peek(-1)
	n, err := decodeFrames(buf, c.cfg.MaxFrameSize, &cc.hdr, cc)
	if n > 0 {
		gc.Discard(n)
	}
	if err != nil && cc.reason == nil {
		cc.reason = err
	}
	if cc.reason != nil {
		return gnet.Close
	}
	return gnet.None
}

// OnClose is gnet's callback; not for callers.
func (c *Client) OnClose(gc gnet.Conn, err error) gnet.Action {
	cc, ok := gc.Context().(*clientConn)
	if !ok {
		return gnet.None
	}
	cc.dead.Store(true)
	cc.w.close(ErrPeerGone)
	c.cur.CompareAndSwap(cc, nil)
	var callErr error
	switch {
	case c.closed.Load():
		callErr = ErrClosed
	case cc.reason != nil:
		callErr = fmt.Errorf("%w: %w", ErrPeerGone, cc.reason)
	default:
		callErr = fmt.Errorf("%w: %v", ErrPeerGone, err)
	}
	if cc.reason != nil {
		c.log.Warn("netpath: client connection closed", "addr", c.address, "reason", cc.reason)
	}
	c.settleAll(cc, 0, callErr)
	return gnet.None
}

// settleAll fails every call on cc whose id is above after; event loop only.
func (c *Client) settleAll(cc *clientConn, after uint64, err error) {
	for i := range c.slots {
		s := &c.slots[i]
		// Load pending before conn: a caller stores conn before pending, so if the id
		// loaded belongs to a newer call on another connection, conn shows it.
		id := s.pending.Load()
		if id <= after || s.conn.Load() != cc {
			continue
		}
		if s.pending.CompareAndSwap(id, 0) {
			s.err = err
			s.done <- struct{}{}
		}
	}
}

// onFrame handles one frame from the server; event loop only.
func (cc *clientConn) onFrame(h *frame.Header, payload []byte) bool {
	c := cc.cl
	switch h.Kind {
	case frame.KindReply, frame.KindError:
		idx := h.CallID & (1<<slotBits - 1)
		if h.CallID == 0 && h.Kind == frame.KindError {
			cc.reason = fmt.Errorf("%w: server error: %s", ErrProtocol, payload)
			return false
		}
		if idx >= uint64(len(c.slots)) {
			return true // not a call of ours; stale or bogus
		}
		s := &c.slots[idx]
		if !s.pending.CompareAndSwap(h.CallID, 0) {
			return true // the caller gave up on it, or a duplicate
		}
		if h.Kind == frame.KindError {
			s.err = &RemoteError{Code: h.Aux, Message: string(payload)}
		} else {
			s.err = runReply(s.reply, h, payload)
		}
		s.done <- struct{}{}
	case frame.KindGoAway:
		cc.goaway.Store(true)
		c.cur.CompareAndSwap(cc, nil)
		c.settleAll(cc, h.CallID, ErrGoAway)
	case frame.KindPing:
		p := frame.Header{Kind: frame.KindPong, CallID: h.CallID}
		_ = cc.w.put(nil, &p, nil, nil, false)
	case frame.KindPong:
	default:
		cc.reason = fmt.Errorf("%w: server sent a %s frame", ErrProtocol, h.Kind)
		return false
	}
	return true
}

// runReply calls reply, turning a panic into an error for its caller.
func runReply(reply ReplyFunc, h *frame.Header, payload []byte) (err error) {
	if reply == nil {
		return nil
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("netpath: reply callback panicked: %v", r)
		}
	}()
	return reply(h, payload)
}

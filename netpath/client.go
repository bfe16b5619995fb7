//go:build unix

package netpath

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cellsubstrate/cell/frame"
)

// defaultClientSpin is ClientConfig.SpinWait's default (BenchmarkWake).
const defaultClientSpin = 50 * time.Microsecond

// corkThreshold is the number of other calls in flight above which a caller corks its
// write (see writer.put). Measured on 2 vCPUs with the server in another process:
// corking loses below about 32 calls in flight (the server idles while the client
// batches) and wins above (about 1.5x frames/s at 128 and more). Below it a caller
// still corks while callers the reader has just answered have not finished
// (clientConn.woken): their next requests are about to be appended, so waiting for
// them costs the server nothing (BenchmarkPipelined/16: about 1.2x frames/s, one
// sendto per 15 frames instead of per 1.6).
const corkThreshold = 32

// cacheLine pads fields that every call writes away from fields that every call only
// reads (two lines: the adjacent-line prefetcher pulls pairs).
const cacheLine = 128

// slot is one call in flight. pending holds the call's id while the call waits for
// its answer and 0 otherwise; whoever swaps it from id to 0 (the connection's reader
// with the answer, the connection's teardown, or the caller giving up) settles the
// call and then sends noteDone on note, once (the caller receives it, even when it
// settled its own call as the reader).
//
// waiting is true while the caller is parked waiting for its answer and may be asked
// to take over the connection's reader role; whoever swaps it to false owns that
// transition: the caller when it stops waiting, or a reader handing the role over,
// which then sends noteWake on note (and the caller must receive it).
//
// One channel carries both notes, so that a parked caller with no context to watch
// waits in a plain receive rather than a select over several channels (the select was
// a tenth of a pipelining client's CPU). At most one of each kind is outstanding, so
// sends never block.
type slot struct {
	pending  atomic.Uint64
	waiting  atomic.Bool
	conn     atomic.Pointer[clientConn]
	reply    ReplyFunc  // written by the caller before pending is set
	err      error      // written by the settler before it sends noteDone
	note     chan uint8 // capacity 2: noteDone and noteWake
	settled  bool       // caller only: noteDone was received
	answered bool       // the reader settled it with an answer (counted in clientConn.woken)
	_        [64]byte   // keep neighbours' pending words off this cache line
}

// Notes sent on slot.note.
const (
	noteDone uint8 = iota + 1 // the call is settled (err set)
	noteWake                  // the caller was handed the reader role
)

// awaitDone receives s's notes until noteDone; a noteWake met on the way is passed on
// (the caller no longer wants the role). Caller only.
func (s *slot) awaitDone(cc *clientConn) {
	for !s.settled {
		if <-s.note == noteDone {
			s.settled = true
		} else {
			cc.handoff()
		}
	}
}

// Client sends calls to one address over one connection, reconnecting when it breaks.
// All methods are safe for concurrent use.
type Client struct {
	cfg              ClientConfig
	network, address string
	log              *slog.Logger

	slots  []slot
	cur    atomic.Pointer[clientConn]
	closed atomic.Bool
	_      [cacheLine]byte
	free   freeList // its head is written by every call
	_      [cacheLine]byte
	seq    atomic.Uint64 // written by every call
	_      [cacheLine]byte

	dialSem  chan struct{} // held while connecting
	nextDial time.Time     // guarded by dialSem
	backoff  time.Duration // guarded by dialSem
	lastErr  error         // guarded by dialSem

	mu    sync.Mutex
	conns map[*clientConn]struct{} // connections not yet torn down

	closeOnce sync.Once
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
	if cfg.SpinWait == 0 {
		cfg.SpinWait = defaultClientSpin
	}
	c := &Client{
		cfg: cfg, network: network, address: address, log: cfg.Logger,
		slots:   make([]slot, cfg.MaxInFlight),
		dialSem: make(chan struct{}, 1),
		conns:   make(map[*clientConn]struct{}),
	}
	for i := range c.slots {
		c.slots[i].note = make(chan uint8, 2)
	}
	c.free.init(cfg.MaxInFlight)
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
	idx, err := c.free.get(ctx)
	if err != nil {
		return err
	}
	cc, err := c.conn(ctx)
	if err != nil {
		c.free.put(idx)
		return err
	}
	s := &c.slots[idx]
	id := c.seq.Add(1)<<slotBits | uint64(idx)
	s.reply = reply
	if s.conn.Load() != cc {
		// The slot keeps its last connection after the call (see finish): under load
		// this store, a contended line's write, is skipped.
		s.conn.Store(cc)
	}
	s.pending.Store(id)
	if cc.dead.Load() || cc.goaway.Load() {
		// The connection closed (or went away) after conn returned; its teardown may
		// have run before pending was set and missed this call, so settle it here.
		if s.pending.CompareAndSwap(id, 0) {
			return c.finish(idx, fmt.Errorf("%w: connection lost before the call was sent", ErrPeerGone))
		}
		s.awaitDone(cc)
		return c.finish(idx, s.err)
	}
	h.CallID = id
	if h.Flags&frame.FlagDeadline == 0 {
		if dl, ok := ctx.Deadline(); ok {
			h.Flags |= frame.FlagDeadline
			h.Deadline = dl.UnixNano()
		}
	}
	cork := int(c.free.inUse()) > corkThreshold || cc.woken.Load() > 0
	if err := cc.w.put(ctx, h, payload, build, cork); err != nil {
		if s.pending.CompareAndSwap(id, 0) {
			return c.finish(idx, err)
		}
		s.awaitDone(cc)
		return c.finish(idx, s.err)
	}
	return c.wait(ctx, cc, idx, id)
}

// wait waits for call id in slot idx on cc to be settled. A caller that finds nobody
// reading cc becomes its reader and reads the socket itself (see clientConn.readLoop),
// so a lone caller reads its own reply with no goroutine hop. Otherwise it parks until
// the reader settles its call, or hands it the reader role (clientConn.handoff).
func (c *Client) wait(ctx context.Context, cc *clientConn, idx uint32, id uint64) error {
	s := &c.slots[idx]
	done := ctx.Done()
	for {
		// Each try loads the role first: a CAS that fails still takes the line from
		// the reader's CPU, and under load the role is nearly always taken.
		if !cc.tryRead() {
			// Announce, then try again: a reader that lets go after our first try
			// sees the announcement and wakes us (see handoff).
			s.waiting.Store(true)
			if !cc.tryRead() {
				var n uint8
				if done == nil {
					n = <-s.note
				} else {
					select {
					case n = <-s.note:
					case <-done:
						c.stopWaiting(cc, s)
						return c.cancel(ctx, cc, idx, id)
					}
				}
				if n == noteWake {
					continue // waiting was cleared by the reader that woke us
				}
				s.settled = true
				c.stopWaiting(cc, s)
				return c.finish(idx, s.err)
			}
			c.stopWaiting(cc, s)
		}
		settled := cc.readLoop(ctx, s, id)
		cc.release()
		if settled {
			s.awaitDone(cc)
			return c.finish(idx, s.err)
		}
		return c.cancel(ctx, cc, idx, id)
	}
}

// stopWaiting clears s.waiting. If a reader cleared it first, that reader is sending
// us the reader role, which we then pass on, since we no longer wait.
func (c *Client) stopWaiting(cc *clientConn, s *slot) {
	if s.waiting.CompareAndSwap(true, false) {
		return
	}
	for <-s.note != noteWake {
		s.settled = true
	}
	cc.handoff()
}

// cancel ends call id whose context is done: it sends a KindCancel unless the call was
// settled meanwhile.
func (c *Client) cancel(ctx context.Context, cc *clientConn, idx uint32, id uint64) error {
	s := &c.slots[idx]
	if s.pending.CompareAndSwap(id, 0) {
		cancel := frame.Header{Kind: frame.KindCancel, CallID: id}
		_ = cc.w.put(nil, &cancel, nil, nil, false) // best effort; skipped when the queue is full
		return c.finish(idx, context.Cause(ctx))
	}
	s.awaitDone(cc)
	return c.finish(idx, s.err)
}

// finish releases slot idx and returns err.
func (c *Client) finish(idx uint32, err error) error {
	s := &c.slots[idx]
	cc := s.conn.Load()
	if s.answered {
		s.answered = false
		cc.woken.Add(-1)
	}
	// s.conn stays: a later call on the same connection need not store it again.
	// Nothing reads it while pending is 0 and waiting false, except to match.
	s.reply, s.err, s.settled = nil, nil, false
	c.free.put(idx)
	if cc != nil && cc.goaway.Load() && !cc.dead.Load() && !c.pendingOn(cc) {
		// The last call on a connection that went away: nobody will read it again.
		// (A call that took cc but has not set pending yet sees goaway after it does,
		// settles itself and comes here too.)
		c.retire(cc, false)
	}
	return err
}

// pendingOn reports whether a call on cc waits for its answer. Only for connections
// that went away: it looks at every slot.
func (c *Client) pendingOn(cc *clientConn) bool {
	for i := range c.slots {
		s := &c.slots[i]
		// Load pending before conn, as settleAll does.
		if s.pending.Load() != 0 && s.conn.Load() == cc {
			return true
		}
	}
	return false
}

// conn returns the live connection, connecting (with back-off) when there is none.
func (c *Client) conn(ctx context.Context) (*clientConn, error) {
	if cc := c.cur.Load(); cc != nil && !cc.dead.Load() && !cc.goaway.Load() && cc.fresh() {
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
	rfd, wfd := -1, -1
	if sc, ok := nc.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			_ = rc.Control(func(f uintptr) {
				if rfd, err = dupFD(int(f)); err == nil {
					wfd, err = dupFD(int(f))
				}
			})
		}
	}
	nc.Close() // from here on only the two dups refer to the socket
	if rfd < 0 || wfd < 0 {
		if rfd >= 0 {
			unix.Close(rfd)
		}
		return nil, errors.New("netpath: cannot duplicate the connection's fd")
	}
	if err := prepareClientFD(rfd, c.network); err != nil {
		unix.Close(rfd)
		unix.Close(wfd)
		return nil, fmt.Errorf("netpath: set socket options: %w", err)
	}
	cc := newClientConn(c, rfd)
	cc.w.init(wfd, c.cfg.WriteBufferLimit, c.cfg.MaxFrameSize)
	cc.w.gather = true
	c.mu.Lock()
	c.conns[cc] = struct{}{}
	c.mu.Unlock()
	return cc, nil
}

// Close closes the client's connections and fails every call in flight with ErrClosed.
// It returns once no goroutine reads a connection of the client.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		c.closed.Store(true)
		c.dialSem <- struct{}{} // no connect runs from now on
		c.mu.Lock()
		conns := make([]*clientConn, 0, len(c.conns))
		for cc := range c.conns {
			conns = append(conns, cc)
		}
		c.mu.Unlock()
		for _, cc := range conns {
			cc.shutdown() // a reader blocked in poll wakes up and sees EOF
			c.retire(cc, true)
		}
		<-c.dialSem
	})
	return nil
}

//go:build unix

package netpath

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
)

// Server serves cell frames on one tcp:// or unix:// address. Connections are
// accepted with a net.Listener and enrolled into gnet event loops, which do all their
// reading and decoding. (gnet's own listener hands each accepted fd to a loop through a
// task queue, so a shutdown racing an accept can leave that fd open forever, and it
// cannot stop accepting without stopping everything; accepting ourselves makes "stop
// accepting, drain, close" exact.) All methods are safe for concurrent use.
type Server struct {
	gnet.BuiltinEventEngine
	cfg     ServerConfig
	handler Handler
	addr    string
	log     *slog.Logger

	ln         net.Listener
	acceptDone chan struct{}
	loops      *gnet.Client
	draining   atomic.Bool

	mu    sync.Mutex
	conns map[*Conn]struct{}

	closeOnce sync.Once
	closeErr  error

	spin      spinSet // every open connection, polled by a spinning event loop
	spinning  bool
	lastSched atomic.Int64 // monotime of a spinning loop's last runtime.Gosched (see schedEvery)
}

// Listen starts a server on addr ("tcp://127.0.0.1:0", "unix:///run/x.sock") and
// returns once it accepts connections. A unix socket file is removed on close.
func Listen(addr string, h Handler, cfg ServerConfig) (*Server, error) {
	network, address, err := splitAddr(addr)
	if err != nil {
		return nil, err
	}
	if h == nil {
		return nil, errors.New("netpath: nil Handler")
	}
	cfg.fill()
	s := &Server{
		cfg: cfg, handler: h, log: cfg.Logger,
		acceptDone: make(chan struct{}),
		conns:      make(map[*Conn]struct{}),
	}
	if cfg.SpinWait > 0 {
		if s.spin, err = newSpinSet(); err == nil {
			s.spinning = true
		} else if !errors.Is(err, errors.ErrUnsupported) {
			return nil, fmt.Errorf("netpath: create the spin set: %w", err)
		}
	}
	s.ln, err = net.Listen(network, address)
	if err != nil {
		s.closeSpin()
		return nil, fmt.Errorf("netpath: listen %s: %w", addr, err)
	}
	s.addr = network + "://" + s.ln.Addr().String()
	s.loops, err = gnet.NewClient(s,
		gnet.WithNumEventLoop(cfg.EventLoops),
		gnet.WithLogger(gnetLogger{cfg.Logger}),
		gnet.WithTCPNoDelay(gnet.TCPNoDelay),
	)
	if err == nil {
		err = s.loops.Start()
	}
	if err != nil {
		s.ln.Close()
		s.closeSpin()
		return nil, fmt.Errorf("netpath: start event loops: %w", err)
	}
	go s.accept()
	return s, nil
}

// accept enrolls every accepted connection into the event loops until the listener
// is closed.
func (s *Server) accept() {
	defer close(s.acceptDone)
	var pause time.Duration
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of fds or similar: back off a little, as net/http does.
			pause = min(max(2*pause, 5*time.Millisecond), time.Second)
			s.log.Warn("netpath: accept", "err", err, "retry_in", pause)
			time.Sleep(pause)
			continue
		}
		pause = 0
		if _, err := s.loops.Enroll(nc); err != nil { // Enroll closes nc; gnet keeps a dup
			s.log.Warn("netpath: enroll accepted connection", "err", err)
		}
	}
}

// Addr returns the address the server listens on, with the real port for tcp.
func (s *Server) Addr() string { return s.addr }

// OnOpen is gnet's callback; not for callers.
func (s *Server) OnOpen(gc gnet.Conn) ([]byte, gnet.Action) {
	fd, err := dupFD(gc.Fd())
	if err != nil {
		s.log.Error("netpath: dup connection fd", "err", err)
		return nil, gnet.Close
	}
	c := &Conn{srv: s, gc: gc, remote: gc.RemoteAddr()}
	c.w.init(fd, s.cfg.WriteBufferLimit, s.cfg.MaxFrameSize)
	gc.SetContext(c)
	if s.spinning {
		if err := s.spin.add(gc.Fd()); err != nil {
			s.log.Error("netpath: add connection to the spin set", "err", err)
			return nil, gnet.Close
		}
		c.spinAdded = true
	}
	s.mu.Lock()
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	if s.draining.Load() {
		c.sendGoAway()
		return nil, gnet.Close
	}
	return nil, gnet.None
}

// OnClose is gnet's callback; not for callers.
func (s *Server) OnClose(gc gnet.Conn, err error) gnet.Action {
	c, ok := gc.Context().(*Conn)
	if !ok {
		return gnet.None
	}
	if c.spinAdded {
		s.spin.del(gc.Fd()) // gnet closes the fd after OnClose returns
	}
	c.w.close(ErrClosed)
	if n := gc.InboundBuffered(); n > 0 && c.reason == nil && errors.Is(err, io.EOF) {
		c.reason = fmt.Errorf("%w: truncated frame at EOF (%d bytes buffered)", ErrProtocol, n)
	}
	if c.reason != nil {
		s.log.Warn("netpath: connection closed", "remote", addrString(c.remote), "reason", c.reason)
	}
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	if s.cfg.OnClose != nil {
		reason := c.reason
		switch {
		case reason != nil:
		case c.stalled.Load():
			reason = ErrBackpressure
		case err != nil && !errors.Is(err, io.EOF):
			reason = err
		}
		s.cfg.OnClose(c, reason)
	}
	return gnet.None
}

// OnTraffic is gnet's callback; not for callers. It decodes every whole frame in the
// inbound buffer in place and dispatches it; replies queued meanwhile leave in one
// write when the batch ends.
func (s *Server) OnTraffic(gc gnet.Conn) gnet.Action {
	c, ok := gc.Context().(*Conn)
	if !ok {
		return gnet.Close
	}
	if s.draining.Load() && !c.goawaySent {
		c.sendGoAway()
	}
	c.waitGap = monotime() - c.idleEnd
	buf, _ := gc.Peek(-1)
	c.w.setHold()
	c.batch = 0
	n, err := decodeFrames(buf, s.cfg.MaxFrameSize, &c.hdr, c)
	if err != nil && c.reason == nil {
		c.reason = fmt.Errorf("%w: %w", ErrProtocol, err)
		c.protocolError(c.reason)
	}
	c.w.release()
	if n > 0 {
		gc.Discard(n)
	}
	if c.reason != nil {
		return gnet.Close
	}
	if s.spinning {
		s.idle(c)
	}
	return gnet.None
}

// idle runs after a batch of c's frames was answered (their replies written) and
// decides whether the event loop spins before it goes back to gnet (see
// ServerConfig.SpinWait): it does when this batch was small and came within SpinWait
// of the previous one's answers, so the peer is waiting for each answer (a spin that
// ran out means the next batch came later than that: the loop does not spin after
// it). The spin polls every connection of the server and stops as soon as one has
// bytes, so the loop never sits on a connection's data; gnet's next epoll_wait (it
// polls once without blocking after a busy round) then finds them.
func (s *Server) idle(c *Conn) {
	now := monotime()
	prev := c.lastBatch
	c.lastBatch = now
	c.idleEnd = now
	// A late batch right after ping-pong answers is a hiccup (the client or this loop
	// lost its vCPU for a while, or a wake-up met a halted vCPU), not the end of the
	// ping-pong: the loop spins once more. Without that, one slow call made the next
	// batch late too (the loop, not spinning, paid a wake-up), and so on: chains of
	// slow calls (BenchmarkWaitTrace, tcp: 61% of the calls after a late batch were
	// slow). A client whose calls come further apart costs at most this one spin.
	late := now-prev > int64(s.cfg.SpinWait)
	grace := late && c.pingPong
	c.pingPong = !late
	switch {
	case c.batch > spinBatchMax || c.batch == 0:
		c.waitHow = traceSrvBigBatch
		return
	case late && !grace:
		c.waitHow = traceSrvLate
		return
	}
	end := now + int64(s.cfg.SpinWait)
	c.waitHow = traceSrvSpinOut
	var sched uint8
	if grace {
		sched = traceSrvGrace
	}
	c.spinGap = 0
	last := now
	for {
		if s.spin.ready(&c.spinEv) {
			c.waitHow = traceSrvSpinHit
			break
		}
		c.idleEnd = monotime()
		c.spinGap = max(c.spinGap, c.idleEnd-last)
		last = c.idleEnd
		if c.idleEnd >= end || s.draining.Load() {
			break
		}
		if c.idleEnd-s.lastSched.Load() >= int64(schedEvery) {
			// See schedEvery: pass through the scheduler now and then.
			s.lastSched.Store(c.idleEnd)
			sched = traceSrvSched
			runtime.Gosched()
			continue
		}
		// Let a thread the kernel queued on this vCPU run (a peer's thread woken here,
		// or other work), rather than hold it for the whole spin.
		osYield()
	}
	c.idleEnd = monotime()
	c.waitHow |= sched
}

// Shutdown stops the server gracefully: connections opened from now on get a go-away
// and are closed; every open connection gets a KindGoAway frame naming the last call it
// will answer, and later requests are refused with CodeGoingAway; Shutdown then waits
// until every dispatched request has been answered (or ctx is done) and closes
// everything. It returns ctx's error if the drain was cut short.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closeOnce.Do(func() { s.closeErr = s.shutdown(ctx) })
	return s.closeErr
}

// Close is Shutdown without waiting for calls in flight.
func (s *Server) Close() error {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.Shutdown(ctx)
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

func (s *Server) shutdown(ctx context.Context) error {
	// Stop accepting first: no connection can arrive after this.
	lnErr := s.ln.Close()
	<-s.acceptDone
	s.draining.Store(true)
	s.mu.Lock()
	for c := range s.conns {
		// The go-away is sent from the connection's event loop, in order with the
		// requests it dispatches, so its CallID is exact.
		_ = c.gc.Wake(nil)
	}
	s.mu.Unlock()
	var drainErr error
	tick := time.NewTicker(time.Millisecond)
	for s.inFlight() > 0 {
		select {
		case <-ctx.Done():
			drainErr = context.Cause(ctx)
		case <-tick.C:
			continue
		}
		break
	}
	tick.Stop()
	// Stop closes every connection (OnClose runs for each) and waits for the loops.
	err := s.loops.Stop()
	s.closeSpin()
	if err != nil {
		return err
	}
	if drainErr != nil {
		return drainErr
	}
	if lnErr != nil && !errors.Is(lnErr, net.ErrClosed) {
		return lnErr
	}
	return nil
}

func (s *Server) closeSpin() {
	if s.spinning {
		s.spinning = false
		s.spin.close()
	}
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

// inFlight returns the number of requests dispatched on open connections and not yet
// answered. A closed connection's requests are abandoned (OnClose removed it).
func (s *Server) inFlight() int64 {
	var n int64
	s.mu.Lock()
	for c := range s.conns {
		n += c.inFlight()
	}
	s.mu.Unlock()
	return n
}

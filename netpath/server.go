package netpath

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"

	"github.com/cellsubstrate/cell/frame"
)

// Handler is called on a connection's event loop once per decoded frame, in arrival
// order. h and payload alias the connection's inbound buffer and are valid only until
// the handler returns: copy what must outlive the call. A handler must not block: it
// holds up every connection on its event loop. It answers with c.Reply or
// c.ReplyBuild, now or later from any goroutine; every KindRequest must get exactly one
// KindReply or KindError frame with its CallID (graceful shutdown waits for that).
//
// The handler sees KindRequest, KindCancel, KindHello and any other kind except
// KindPing, which the server answers itself with a KindPong.
type Handler func(c *Conn, h *frame.Header, payload []byte)

// ServerConfig configures a Server. The zero value works.
type ServerConfig struct {
	// MaxFrameSize is the largest frame, header included, accepted or sent. A peer
	// that declares a larger frame gets an error frame and is disconnected. Default
	// frame.DefaultMaxSize (4 MiB).
	MaxFrameSize int
	// WriteBufferLimit bounds the replies queued for one connection whose socket is
	// full. A reply past it fails with ErrBackpressure and the connection is closed
	// (its peer is not reading). Default 4 MiB; it is raised to MaxFrameSize if lower.
	WriteBufferLimit int
	// EventLoops is the number of gnet event loops (each a goroutine polling its own
	// epoll set). Default 1, which is best for latency on small machines.
	EventLoops int
	// Logger receives connection errors and gnet's own log lines. Default slog.Default().
	Logger *slog.Logger
}

func (c *ServerConfig) fill() {
	if c.MaxFrameSize <= 0 {
		c.MaxFrameSize = frame.DefaultMaxSize
	}
	if c.WriteBufferLimit <= 0 {
		c.WriteBufferLimit = 4 << 20
	}
	if c.WriteBufferLimit < c.MaxFrameSize {
		c.WriteBufferLimit = c.MaxFrameSize
	}
	if c.EventLoops <= 0 {
		c.EventLoops = 1
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Server serves cell frames on one tcp:// or unix:// address with gnet. All methods
// are safe for concurrent use.
type Server struct {
	gnet.BuiltinEventEngine
	cfg     ServerConfig
	handler Handler
	addr    string
	log     *slog.Logger

	eng      gnet.Engine
	booted   chan struct{}
	runDone  chan struct{}
	runErr   error
	draining atomic.Bool
	inflight atomic.Int64 // requests dispatched minus replies sent, all connections

	mu    sync.Mutex
	conns map[*Conn]struct{}

	closeOnce sync.Once
	closeErr  error
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
		booted: make(chan struct{}), runDone: make(chan struct{}),
		conns: make(map[*Conn]struct{}),
	}
	go func() {
		defer close(s.runDone)
		s.runErr = gnet.Run(s, network+"://"+address,
			gnet.WithNumEventLoop(cfg.EventLoops),
			gnet.WithLogger(gnetLogger{cfg.Logger}),
			gnet.WithTCPNoDelay(gnet.TCPNoDelay),
			gnet.WithReuseAddr(true),
		)
	}()
	select {
	case <-s.booted:
	case <-s.runDone:
		return nil, fmt.Errorf("netpath: listen %s: %w", addr, s.runErr)
	}
	s.addr = addr
	if network == "tcp" {
		// Report the bound port (the caller may have asked for port 0).
		if fd, err := s.eng.Dup(); err == nil {
			if sa, err := unix.Getsockname(fd); err == nil {
				switch a := sa.(type) {
				case *unix.SockaddrInet4:
					s.addr = "tcp://" + (&net.TCPAddr{IP: a.Addr[:], Port: a.Port}).String()
				case *unix.SockaddrInet6:
					s.addr = "tcp://" + (&net.TCPAddr{IP: a.Addr[:], Port: a.Port}).String()
				}
			}
			unix.Close(fd)
		}
	}
	return s, nil
}

// Addr returns the address the server listens on, with the real port for tcp.
func (s *Server) Addr() string { return s.addr }

// OnBoot is gnet's callback; not for callers.
func (s *Server) OnBoot(eng gnet.Engine) gnet.Action {
	s.eng = eng
	close(s.booted)
	return gnet.None
}

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
	c.w.close(ErrClosed)
	if n := gc.InboundBuffered(); n > 0 && c.reason == nil && errors.Is(err, io.EOF) {
		c.reason = fmt.Errorf("%w: truncated frame at EOF (%d bytes buffered)", ErrProtocol, n)
	}
	if c.reason != nil {
		s.log.Warn("netpath: connection closed", "remote", addrString(c.remote), "reason", c.reason)
	}
	s.inflight.Add(-c.inflight.Swap(0))
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	return gnet.None
}

// OnTraffic is gnet's callback; not for callers. It decodes every whole frame in the
// inbound buffer in place and dispatches it; replies queued meanwhile leave in one
// write when the batch ends.
func (s *Server) OnTraffic(gc gnet.Conn) gnet.Action {
	c := gc.Context().(*Conn)
	if s.draining.Load() && !c.goawaySent {
		c.sendGoAway()
	}
	buf, _ := gc.Peek(-1)
	c.w.setHold()
	n, err := decodeFrames(buf, s.cfg.MaxFrameSize, &c.hdr, c)
	if err != nil && c.reason == nil {
		c.reason = err
		c.protocolError(err)
	}
	c.w.release()
	if n > 0 {
		gc.Discard(n)
	}
	if c.reason != nil {
		return gnet.Close
	}
	return gnet.None
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
	for s.inflight.Load() > 0 {
		select {
		case <-ctx.Done():
			drainErr = context.Cause(ctx)
		case <-tick.C:
			continue
		}
		break
	}
	tick.Stop()
	stopCtx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = s.eng.Stop(stopCtx) // starts the stop; runDone says when it finished
	<-s.runDone
	if s.runErr != nil {
		return s.runErr
	}
	return drainErr
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

package rpc

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/cellsubstrate/cell/frame"
)

// Handler serves one method. req is the request payload, read in place: it is valid only
// until the handler returns (on shared memory it is the ring slot itself). The handler
// builds its reply with b, which the server reset, and returns the root table's offset;
// the server finishes the buffer and sends it. A returned error becomes an error frame:
// an *Error's code and message as given, any other error as CodeUnknown with its text.
// A panic becomes a CodeInternal error reply and is logged.
//
// ctx ends when the caller's deadline passes, when the caller cancels (see
// ServerOptions.Workers) or when the server stops; it must not be kept after the handler
// returns. cellgen writes Handlers; users implement the generated interfaces.
type Handler func(ctx context.Context, req []byte, b *flatbuffers.Builder) (flatbuffers.UOffsetT, error)

type service struct {
	desc     *ServiceDesc
	handlers []Handler
	byName   map[string]int
}

// Server hosts services. Create it with NewServer, add services with Register (before
// Start), then Start; Shutdown drains and stops, Close stops at once. All methods are
// safe for concurrent use.
type Server struct {
	opts ServerOptions
	log  *slog.Logger
	base context.Context
	stop context.CancelFunc

	mu       sync.Mutex
	services map[string]*service
	conns    map[*serverConn]struct{}
	started  bool
	draining atomic.Bool // read on every call without the lock
	closed   bool
	calls    atomic.Int64 // pool handlers running or queued, for Shutdown (inline ones: inlineRunning)
	pool     chan *job    // nil when handlers run inline
	poolWG   sync.WaitGroup

	lst     listeners         // the transports' listeners and registrations (transport files)
	control map[string]string // service name -> its control socket path; guarded by mu
}

// NewServer returns a Server with the given options.
func NewServer(opts ServerOptions) (*Server, error) {
	if opts.Workers < 0 {
		return nil, fmt.Errorf("rpc: ServerOptions.Workers %d is negative", opts.Workers)
	}
	s := &Server{opts: opts, services: make(map[string]*service), conns: make(map[*serverConn]struct{})}
	s.log = opts.Logger
	if s.log == nil {
		s.log = slog.Default()
	}
	s.base, s.stop = context.WithCancel(context.Background())
	if opts.Workers > 0 {
		s.pool = make(chan *job, opts.Workers)
		for i := 0; i < opts.Workers; i++ {
			s.poolWG.Add(1)
			go s.worker()
		}
	}
	return s, nil
}

// Register adds a service with one handler per method of desc, in the order of
// desc.Methods. It must be called before Start. Generated RegisterX functions call it.
func (s *Server) Register(desc *ServiceDesc, handlers []Handler) error {
	if err := desc.validate(); err != nil {
		return err
	}
	if len(handlers) != len(desc.Methods) {
		return fmt.Errorf("rpc: service %s: %d handlers for %d methods", desc.Name, len(handlers), len(desc.Methods))
	}
	svc := &service{desc: desc, handlers: handlers, byName: make(map[string]int, len(desc.Methods))}
	for i, m := range desc.Methods {
		if handlers[i] == nil {
			return fmt.Errorf("rpc: service %s: nil handler for %s", desc.Name, m.Name)
		}
		svc.byName[m.Name] = i
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.closed {
		return fmt.Errorf("rpc: Register after Start or Close")
	}
	if _, dup := s.services[desc.Name]; dup {
		return fmt.Errorf("rpc: service %s registered twice", desc.Name)
	}
	s.services[desc.Name] = svc
	return nil
}

// handshake checks a client's hello and returns the connection's dispatch table (indexed
// by the client's method ids; nil entries are methods this server lacks) and the reply
// hello. A refusal returns a nil table and a reply that says why.
func (s *Server) handshake(hb []byte, selfBoot string, selfPID uint32, selfStart uint64) (svc *service, table []entry, reply *hello, err error) {
	reply = &hello{Version: ProtocolVersion, BootID: selfBoot, PID: selfPID, Start: selfStart}
	h, err := parseHello(hb)
	if err != nil {
		reply.Code, reply.Message = CodeInvalidArgument, err.Error()
		return nil, nil, reply, err
	}
	reply.Service = h.Service
	s.mu.Lock()
	svc = s.services[h.Service]
	draining := s.draining.Load() || s.closed
	s.mu.Unlock()
	if svc == nil {
		reply.Code, reply.Message = CodeUnimplemented, "no service "+h.Service
		return nil, nil, reply, fmt.Errorf("rpc: hello for unknown service %q", h.Service)
	}
	if draining {
		reply.Code, reply.Message = CodeUnavailable, "server is stopping"
		return nil, nil, reply, fmt.Errorf("rpc: hello while stopping")
	}
	table = make([]entry, len(h.Methods))
	reply.Methods = make([]MethodDesc, len(h.Methods))
	var refuse *IncompatibleError
	for i := range h.Methods {
		m := &h.Methods[i]
		j, ok := svc.byName[m.Name]
		if !ok {
			continue // unknown to us: calls to it get CodeUnimplemented
		}
		mine := &svc.desc.Methods[j]
		reply.Methods[i] = *mine
		if ok, why := Compatible(mine, m); !ok {
			if refuse == nil {
				refuse = &IncompatibleError{Service: svc.desc.Name, Method: m.Name, Local: mine.Fingerprint(), Remote: m.Fingerprint(), Reason: why}
			}
			continue
		}
		table[i] = entry{name: mine.Name, h: svc.handlers[j], hint: new(atomic.Int32)}
		table[i].hint.Store(256 - frame.HeaderSize)
	}
	if refuse != nil {
		reply.Code, reply.Message = CodeIncompatible, refuse.Error()
		return nil, nil, reply, refuse
	}
	reply.Flags = helloOK
	if !s.opts.NoSHM {
		s.mu.Lock()
		reply.Control = s.control[h.Service]
		s.mu.Unlock()
	}
	return svc, table, reply, nil
}

// outbound is the sending side of one server connection.
type outbound interface {
	// sendFrame writes one frame. It is safe for concurrent use and does not keep p.
	sendFrame(h *frame.Header, p []byte) error
}

// entry is one method of a connection's dispatch table.
type entry struct {
	name string
	h    Handler       // nil: the server has no such method, or it was refused
	hint *atomic.Int32 // bytes to reserve for an in-slot reply; grows on overflow
}

// slotOutbound is an outbound side that can hand out its next slot for a reply built in
// place (shared memory). beginReply takes the outbound side and returns a Builder over a
// slot of about hint bytes; commitReply finishes the reply with root, publishes it with
// header h, updates the method's hint and releases the side; abortReply releases the
// side without publishing.
type slotOutbound interface {
	beginReply(hint int) (*flatbuffers.Builder, error)
	commitReply(h *frame.Header, root flatbuffers.UOffsetT, hint *atomic.Int32) error
	abortReply()
}

// serverConn is the transport-independent state of one accepted connection.
type serverConn struct {
	srv   *Server
	svc   *service
	table []entry
	w     worker       // the inline worker (Workers == 0)
	slot  slotOutbound // the outbound side inline replies are built in, if it has slots

	mu      sync.Mutex
	running map[uint64]*job // pool mode: calls queued or running, for cancel frames
}

// worker is the per-goroutine state a handler runs with: reused, so calls allocate nothing.
type worker struct {
	b   *flatbuffers.Builder
	ctx callCtx
}

// job is one request copied out of its transport for the pool.
type job struct {
	c   *serverConn
	out outbound
	h   frame.Header
	req []byte
	ctx callCtx
}

var jobPool = sync.Pool{New: func() any { return &job{} }}

func (s *Server) newConn(svc *service, table []entry) *serverConn {
	c := &serverConn{srv: s, svc: svc, table: table}
	c.w.b = flatbuffers.NewBuilder(1024)
	s.mu.Lock()
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	return c
}

// cancelCalls ends the context of every call running or queued on every connection
// (server stopping); the draining flag, set before, keeps new calls from starting.
func (s *Server) cancelCalls() {
	for _, c := range s.connList() {
		c.cancelRunning()
	}
}

// connList returns the connections open now.
func (s *Server) connList() []*serverConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	conns := make([]*serverConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	return conns
}

// inlineRunning reports whether an inline handler runs on any connection. Shutdown
// calls it after storing draining, and it pairs with run's draining check as srv.calls
// does: begin stores live before run loads draining, and this loads live after
// draining was stored, all sequentially consistent. Either this sees the call, or the
// call's begin came later and its draining check sees true.
func (s *Server) inlineRunning() bool {
	for _, c := range s.connList() {
		if c.w.ctx.isRunning() {
			return true
		}
	}
	return false
}

// cancelRunning ends the context of every call running or queued on c.
func (c *serverConn) cancelRunning() {
	c.mu.Lock()
	for _, j := range c.running {
		j.ctx.cancel(context.Canceled)
	}
	c.mu.Unlock()
	c.w.ctx.cancel(context.Canceled) // the inline call, if one runs; a no-op once ended
}

// forget removes a closed connection and cancels its queued and running calls.
func (c *serverConn) forget() {
	c.srv.mu.Lock()
	delete(c.srv.conns, c)
	c.srv.mu.Unlock()
	c.mu.Lock()
	for _, j := range c.running {
		j.ctx.cancel(context.Canceled)
	}
	c.mu.Unlock()
}

// handle processes one inbound frame; answers go to out. payload is valid only until
// handle returns. It returns an error when the peer broke the protocol; the transport
// then closes the connection.
func (c *serverConn) handle(out outbound, h *frame.Header, payload []byte) error {
	switch h.Kind {
	case frame.KindRequest:
		if c.srv.pool == nil {
			// The inline call is counted by its context (live) rather than in
			// srv.calls: one locked instruction fewer before the reply.
			err := c.w.ctx.begin(c.srv.base, h.Deadline, h.Flags&frame.FlagDeadline != 0)
			c.run(out, &c.w.ctx, c.w.b, h, payload, err)
			return nil
		}
		return c.enqueue(out, h, payload)
	case frame.KindCancel:
		c.mu.Lock()
		if j := c.running[h.CallID]; j != nil {
			j.ctx.cancel(context.Canceled)
		}
		c.mu.Unlock()
		return nil
	case frame.KindPing:
		return out.sendFrame(&frame.Header{Kind: frame.KindPong, CallID: h.CallID}, nil)
	case frame.KindPong, frame.KindGoAway:
		return nil
	}
	return fmt.Errorf("%w: unexpected %s frame from client", ErrProtocol, h.Kind)
}

// run calls the handler for one request and sends its reply or error. ctx has begun
// for this call and cerr is its error as of now; run ends it (once the reply is out: a
// handler's context ends when it returns, and ending it later changes nothing it sees).
func (c *serverConn) run(out outbound, ctx *callCtx, b *flatbuffers.Builder, h *frame.Header, req []byte, cerr error) {
	if h.Method >= uint32(len(c.table)) || c.table[h.Method].h == nil {
		ctx.end()
		c.sendError(out, h.CallID, CodeUnimplemented, "method not served")
		return
	}
	if c.isDraining() {
		ctx.end()
		c.sendError(out, h.CallID, CodeUnavailable, "server is stopping")
		return
	}
	if err := cerr; err != nil {
		ctx.end()
		if err == context.DeadlineExceeded {
			c.sendError(out, h.CallID, CodeDeadlineExceeded, "deadline passed before the handler ran")
		} else {
			c.sendError(out, h.CallID, CodeCanceled, "canceled before the handler ran")
		}
		return
	}
	// Inline on shared memory the reply is built for its reserved ring slot (see
	// buildArea); elsewhere in the worker's builder, then copied out.
	var so slotOutbound
	if ctx == &c.w.ctx {
		so = c.slot
	}
	if so != nil {
		var err error
		if b, err = so.beginReply(int(c.table[h.Method].hint.Load())); err != nil {
			ctx.end()
			c.srv.log.Debug("rpc: no room for the reply", "service", c.svc.desc.Name, "err", err)
			return
		}
	} else {
		b.Reset()
	}
	root, err := c.call(h.Method, ctx, req, b)
	if err == nil && so != nil {
		ctx.reply = frame.Header{Kind: frame.KindReply, CallID: h.CallID}
		err := so.commitReply(&ctx.reply, root, c.table[h.Method].hint)
		ctx.end() // after the reply is out: off the caller's critical path
		if err != nil {
			code, msg := CodeUnavailable, err.Error()
			if e, ok := err.(*Error); ok {
				code, msg = e.Code, e.Message
			}
			c.sendError(out, h.CallID, code, msg)
		}
		return
	}
	ctx.end()
	if so != nil {
		so.abortReply()
	}
	if err != nil {
		code := CodeOf(err)
		if code == CodeOK {
			code = CodeUnknown
		}
		msg := err.Error()
		if e, ok := err.(*Error); ok {
			msg = e.Message // the code travels separately
		}
		c.sendError(out, h.CallID, code, msg)
		return
	}
	b.Finish(root)
	// The header lives in ctx (reused, already on the heap): a local would escape
	// through the interface call and cost an allocation per call.
	ctx.reply = frame.Header{Kind: frame.KindReply, CallID: h.CallID}
	if err := out.sendFrame(&ctx.reply, b.FinishedBytes()); err != nil {
		c.srv.log.Debug("rpc: reply not sent", "service", c.svc.desc.Name, "err", err)
	}
}

// call runs the handler under recover: a panic (a handler bug, or a shared-memory peer
// that changed request bytes after verification) becomes an error, never a dead server.
func (c *serverConn) call(m uint32, ctx *callCtx, req []byte, b *flatbuffers.Builder) (root flatbuffers.UOffsetT, err error) {
	defer func() {
		if p := recover(); p != nil {
			name := c.table[m].name
			c.srv.log.Error("rpc: handler panicked", "service", c.svc.desc.Name, "method", name, "panic", p, "stack", string(debug.Stack()))
			root, err = 0, &Error{Code: CodeInternal, Message: fmt.Sprintf("handler %s panicked", name)}
		}
	}()
	return c.table[m].h(ctx, req, b)
}

func (c *serverConn) sendError(out outbound, id uint64, code Code, msg string) {
	h := frame.Header{Kind: frame.KindError, CallID: id, Aux: uint32(code)}
	if len(msg) > maxErrorMessage {
		msg = msg[:maxErrorMessage]
	}
	if err := out.sendFrame(&h, []byte(msg)); err != nil {
		c.srv.log.Debug("rpc: error reply not sent", "service", c.svc.desc.Name, "err", err)
	}
}

// maxErrorMessage bounds the message of an error frame.
const maxErrorMessage = 1024

func (c *serverConn) isDraining() bool {
	return c.srv.draining.Load()
}

// enqueue copies a request for the worker pool. The pool's channel is bounded: a full
// pool blocks the connection's reader, which is the backpressure.
func (c *serverConn) enqueue(out outbound, h *frame.Header, payload []byte) error {
	j := jobPool.Get().(*job)
	j.c, j.out, j.h = c, out, *h
	j.req = append(j.req[:0], payload...)
	_ = j.ctx.begin(c.srv.base, h.Deadline, h.Flags&frame.FlagDeadline != 0) // runJob checks Err
	c.mu.Lock()
	if c.running == nil {
		c.running = make(map[uint64]*job)
	}
	c.running[h.CallID] = j
	c.mu.Unlock()
	c.srv.calls.Add(1)
	c.srv.pool <- j
	return nil
}

// worker runs pooled jobs until the pool is closed.
func (s *Server) worker() {
	defer s.poolWG.Done()
	b := flatbuffers.NewBuilder(1024)
	for j := range s.pool {
		j.c.runJob(j, b)
		s.calls.Add(-1)
	}
}

func (c *serverConn) runJob(j *job, b *flatbuffers.Builder) {
	// The job's ctx began when it was queued, so a cancel frame that arrived while it
	// waited has already ended it; run reports that without calling the handler.
	c.run(j.out, &j.ctx, b, &j.h, j.req, j.ctx.Err())
	c.mu.Lock()
	delete(c.running, j.h.CallID)
	c.mu.Unlock()
	j.c, j.out = nil, nil
	jobPool.Put(j)
}

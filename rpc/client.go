package rpc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/cellsubstrate/cell/internal/proc"
	"github.com/cellsubstrate/cell/internal/registry"
)

// ErrNoInstance occurs when Dial finds no live instance of the service in the registry
// directory; the error names the service and the directory.
var ErrNoInstance = registry.ErrNoInstance

// Client calls the methods of one service on one connection. It is safe for concurrent
// use: calls from many goroutines share the connection. Generated typed clients wrap it.
type Client struct {
	desc *ServiceDesc
	opts ClientOptions
	log  *slog.Logger
	t    transport
	shm  *shmClient // t, when it is shared memory (for the solo path)
	inst string     // the instance id, "" when dialled by address

	fallbacks atomic.Uint64
	errs      atomic.Uint64
	nextID    atomic.Uint64        // call ids on netpath (shm numbers its own); the count of calls begun (Stats().Calls)
	spare     atomic.Pointer[Call] // one idle Call: cheaper than pool when one caller calls
	pool      sync.Pool            // *Call
}

// transport is one connected path as the Client drives it. Each call is
// begin -> (build into call.B) -> send -> wait -> release, on the caller's goroutine.
type transport interface {
	// begin points call.B at a buffer for the request payload: the outbound slot on
	// shared memory (holding the producer until send), else the call's own buffer.
	begin(call *Call) error
	// send finishes call.B with root and publishes the request frame.
	send(call *Call, root flatbuffers.UOffsetT) error
	// wait blocks until the reply or error for call arrives, the deadline passes, the
	// context ends or the connection dies. On success call.reply holds the payload,
	// valid until release.
	wait(call *Call) error
	// release frees what wait handed out.
	release(call *Call)
	path() Path
	close() error
}

// Call is one call in progress. Generated code drives it; users of the generated
// zero-copy tier see only its Builder. A Call is used by one goroutine and is recycled
// by End.
type Call struct {
	c        *Client
	ctx      context.Context
	method   uint32
	id       uint64
	deadline int64 // Unix ns; 0 when none
	// B builds the request payload. After Client.Begin it is reset over the outbound
	// slot (or the call's own buffer); build the request with it and pass the root to
	// Invoke.
	B *flatbuffers.Builder

	reply []byte // the reply payload, valid until End

	// Transport state, reused across calls.
	own   *flatbuffers.Builder // the call's own buffer, for netpath and for slot overflow
	slot  []byte               // shm: the reserved outbound slot, header space included
	state any
	solo  bool // the shared-memory transport's solo Call (shmsolo.go), never pooled
}

// Begin starts a call of method (an index into the service's Methods) and returns it with
// B ready for the request. The caller must call End once done with the Call, whatever
// happened.
func (c *Client) Begin(ctx context.Context, method int) (*Call, error) {
	if method < 0 || method >= len(c.desc.Methods) {
		return nil, fmt.Errorf("rpc: service %s has no method %d", c.desc.Name, method)
	}
	if err := ctx.Err(); err != nil {
		return nil, ctxError(err)
	}
	if t := c.shm; t != nil {
		if call, ok, err := t.beginSolo(ctx, method); ok {
			if err != nil {
				c.errs.Add(1)
				return nil, err
			}
			return call, nil
		}
	}
	call := c.spare.Swap(nil)
	if call == nil {
		call, _ = c.pool.Get().(*Call)
	}
	if call == nil {
		call = &Call{c: c, own: flatbuffers.NewBuilder(512)}
	}
	call.ctx, call.method, call.id = ctx, uint32(method), c.nextID.Add(1)
	call.deadline = 0
	if d, ok := ctx.Deadline(); ok {
		call.deadline = d.UnixNano()
	}
	if err := c.t.begin(call); err != nil {
		c.errs.Add(1)
		call.ctx = nil
		c.put(call)
		return nil, err
	}
	return call, nil
}

// Invoke sends the request whose root table is root and waits for the reply. On
// success it returns the reply payload, read in place: valid until End.
func (call *Call) Invoke(root flatbuffers.UOffsetT) ([]byte, error) {
	if err := call.c.t.send(call, root); err != nil {
		call.c.errs.Add(1)
		return nil, err
	}
	if err := call.c.t.wait(call); err != nil {
		call.c.errs.Add(1)
		return nil, err
	}
	return call.reply, nil
}

// End releases the reply and recycles the Call; neither may be used afterwards.
func (call *Call) End() {
	c := call.c
	if call.solo {
		c.shm.endSolo(call)
		return
	}
	c.t.release(call)
	call.reply, call.ctx = nil, nil
	c.put(call)
}

// put recycles an ended Call.
func (c *Client) put(call *Call) {
	if !c.spare.CompareAndSwap(nil, call) {
		c.pool.Put(call)
	}
}

// Path returns the path the client's connection runs on.
func (c *Client) Path() Path { return c.t.path() }

// Instance returns the registry instance id the client connected to, or "" when it
// dialled an address.
func (c *Client) Instance() string { return c.inst }

// Stats returns the client's counters.
func (c *Client) Stats() ClientStats {
	return ClientStats{Path: c.t.path(), Fallbacks: c.fallbacks.Load(), Calls: c.nextID.Load(), Errors: c.errs.Load()}
}

// Close closes the connection: calls in flight fail promptly with ErrUnavailable, and
// Close returns once they have (a zero-copy read callback running at that moment
// finishes first).
func (c *Client) Close() error { return c.t.close() }

// Dial connects to the service desc describes. With opts.Addr it dials that netpath
// address and, when the handshake shows the server on this host and its control socket
// is reachable (and opts.Transport is TransportAuto), moves the connection to shared
// memory; otherwise it looks the service up by name in the registry directory, picks a
// live instance, and connects over shared memory, falling back to netpath over the
// instance's Unix socket when shared memory is refused (counted in Stats().Fallbacks),
// as opts.Transport allows. The handshake checks every method's shape: an incompatible
// server is an *IncompatibleError. ctx bounds the connection attempt only.
func Dial(ctx context.Context, desc *ServiceDesc, opts ClientOptions) (*Client, error) {
	if err := desc.validate(); err != nil {
		return nil, err
	}
	if opts.RingSize < 0 || opts.MaxInFlight < 0 {
		return nil, fmt.Errorf("rpc: negative RingSize or MaxInFlight in ClientOptions")
	}
	if r := opts.RingSize; r != 0 && (r < 4<<10 || r > 1<<30 || r&(r-1) != 0) {
		return nil, fmt.Errorf("rpc: ClientOptions.RingSize %d is not a power of two between 4 KiB and 1 GiB", r)
	}
	c := &Client{desc: desc, opts: opts, log: opts.Logger}
	if c.log == nil {
		c.log = slog.Default()
	}
	if opts.Addr != "" {
		t, err := dialNet(ctx, c, opts.Addr)
		if err != nil {
			return nil, err
		}
		c.t = t
		if opts.Transport == TransportAuto {
			c.upgrade(ctx, t)
		}
		return c, nil
	}
	dir, err := openDir(opts.Dir)
	if err != nil {
		return nil, err
	}
	// Pick spreads clients over the live instances at random: the registry's own round
	// robin counts per Dir value, and a Client keeps none between dials.
	live, skipped, err := dir.Lookup(desc.Name)
	if err != nil {
		return nil, err
	}
	if opts.Instance != "" {
		var only []registry.Instance
		for _, in := range live {
			if in.Instance == opts.Instance {
				only = append(only, in)
			}
		}
		live = only
	}
	if len(live) == 0 {
		return nil, &registry.NoInstanceError{Service: desc.Name, Dir: dir.Path(), Skipped: len(skipped)}
	}
	inst := live[rand.IntN(len(live))]
	c.inst = inst.Instance
	var shmErr error
	switch opts.Transport {
	case TransportAuto, TransportSHM:
		t, err := dialSHM(ctx, c, &inst)
		if err == nil {
			c.t, c.shm = t, t
			return c, nil
		}
		var inc *IncompatibleError
		if opts.Transport == TransportSHM || errors.As(err, &inc) || ctx.Err() != nil {
			return nil, err
		}
		shmErr = err
		c.fallbacks.Add(1)
		c.log.Debug("rpc: shared memory refused, using netpath", "service", desc.Name, "err", err)
		fallthrough
	case TransportUnix:
		if inst.UnixPath == "" {
			return nil, fmt.Errorf("rpc: instance %s of %s serves no Unix socket (shared memory: %v)", inst.Instance, desc.Name, shmErr)
		}
		t, err := dialNet(ctx, c, "unix://"+inst.UnixPath)
		if err != nil {
			return nil, err
		}
		c.t = t
		return c, nil
	case TransportTCP:
		if inst.TCP == "" {
			return nil, fmt.Errorf("rpc: instance %s of %s serves no TCP address", inst.Instance, desc.Name)
		}
		t, err := dialNet(ctx, c, "tcp://"+inst.TCP)
		if err != nil {
			return nil, err
		}
		c.t = t
		return c, nil
	}
	return nil, fmt.Errorf("rpc: unknown Transport %d", opts.Transport)
}

// upgrade moves a netpath connection to shared memory when the server's hello shows
// it runs on this host (same boot id) and names a control socket this process can
// reach. A failed attempt leaves the connection on netpath and counts a fallback.
func (c *Client) upgrade(ctx context.Context, t *netClient) {
	boot, _ := selfIdentity()
	sh := t.sh
	if sh == nil || sh.Control == "" || boot == "" || sh.BootID != boot {
		return
	}
	inst := &registry.Instance{Descriptor: registry.Descriptor{Service: c.desc.Name, PID: int(sh.PID)}, ControlPath: sh.Control}
	st, err := dialSHM(ctx, c, inst)
	if err != nil {
		c.fallbacks.Add(1)
		c.log.Debug("rpc: upgrade to shared memory failed, staying on netpath", "service", c.desc.Name, "err", err)
		return
	}
	c.t, c.shm = st, st
	t.close()
}

func openDir(path string) (*registry.Dir, error) {
	if path == "" {
		return registry.OpenDefault()
	}
	return registry.Open(path)
}

// clientHello is the hello a client sends for desc.
func clientHello(desc *ServiceDesc, wantSHM bool) []byte {
	h := hello{Version: ProtocolVersion, Service: desc.Name, Methods: desc.Methods, PID: uint32(selfPID)}
	if wantSHM {
		h.Flags |= helloWantSHM
	}
	h.BootID, h.Start = selfIdentity()
	return appendHello(nil, &h)
}

// checkServerHello checks the server's answer to our hello: a refusal or an
// incompatible method is an error that names the service, the method and both
// fingerprints.
func checkServerHello(desc *ServiceDesc, b []byte) (*hello, error) {
	h, err := parseHello(b)
	if err != nil {
		return nil, err
	}
	// Check compatibility ourselves, whatever the server said, so the error names both
	// fingerprints even if the server was lenient.
	if len(h.Methods) == len(desc.Methods) {
		for i := range desc.Methods {
			theirs := &h.Methods[i]
			if theirs.Name == "" {
				continue // the server lacks this method: its calls get ErrUnimplemented
			}
			mine := &desc.Methods[i]
			if ok, why := Compatible(mine, theirs); !ok {
				return nil, &IncompatibleError{Service: desc.Name, Method: mine.Name, Local: mine.Fingerprint(), Remote: theirs.Fingerprint(), Reason: why}
			}
		}
	}
	if h.Flags&helloOK == 0 {
		return nil, fmt.Errorf("%w by %s: %s: %s", errRefused, desc.Name, h.Code, h.Message)
	}
	if len(h.Methods) != len(desc.Methods) {
		return nil, fmt.Errorf("%w: server answered %d methods for %d", errHello, len(h.Methods), len(desc.Methods))
	}
	return h, nil
}

var (
	identOnce  sync.Once
	selfBootID string
	selfStart  uint64
	selfPID    = processID()
)

// selfIdentity returns this host's boot id and this process's start time ("" and 0
// where /proc is missing).
func selfIdentity() (string, uint64) {
	identOnce.Do(func() {
		selfBootID, _ = proc.BootID()
		selfStart, _ = proc.SelfStartTime()
	})
	return selfBootID, selfStart
}

// ctxError turns a context error into the matching *Error.
func ctxError(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return &Error{Code: CodeDeadlineExceeded, Message: "deadline exceeded", cause: err}
	}
	return &Error{Code: CodeCanceled, Message: "canceled", cause: err}
}

// until returns how long until deadline (Unix ns), or a long time when there is none.
func until(deadline int64) time.Duration {
	if deadline == 0 {
		return time.Hour
	}
	return time.Until(time.Unix(0, deadline))
}

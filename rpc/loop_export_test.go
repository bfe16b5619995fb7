package rpc

import (
	"context"
	"sync/atomic"
	"time"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/cellsubstrate/cell/frame"
	"github.com/cellsubstrate/cell/frame/fb"
	"github.com/cellsubstrate/cell/ring"
)

// Loop is a client and a server connection of the shared-memory path joined by two
// in-process rings and driven by one goroutine, step by step: it measures the CPU cost
// of a call's software path with no cross-core transfer and no waiting.
type Loop struct {
	C        *Client
	sc       *shmServerConn
	req, rep *ring.Pipe
}

// NewLoop serves desc, registered by register, over a Loop.
func NewLoop(desc *ServiceDesc, register func(*Server) error) (*Loop, error) {
	req, err := ring.NewPipe(ring.Config{Size: 1 << 16, Spin: time.Millisecond})
	if err != nil {
		return nil, err
	}
	rep, err := ring.NewPipe(ring.Config{Size: 1 << 16, Spin: time.Millisecond})
	if err != nil {
		return nil, err
	}
	srv, err := NewServer(ServerOptions{})
	if err != nil {
		return nil, err
	}
	if err := register(srv); err != nil {
		return nil, err
	}
	svc := srv.services[desc.Name]
	handlers := svc.handlers
	table := make([]entry, len(handlers))
	for i, h := range handlers {
		table[i] = entry{name: desc.Methods[i].Name, h: h, hint: new(atomic.Int32)}
		table[i].hint.Store(256 - frame.HeaderSize)
	}
	sc := &shmServerConn{sc: srv.newConn(svc, table), prod: rep.Producer(), sb: fb.NewSlotBuilder()}
	sc.ctx, sc.cancel = context.WithCancel(srv.base)
	sc.sc.slot = sc
	c := &Client{desc: desc}
	t := newSHMClient(c, req.Producer(), rep.Consumer())
	c.t, c.shm = t, t
	return &Loop{C: c, sc: sc, req: req, rep: rep}, nil
}

// Send begins a call of method and sends the request build writes.
func (l *Loop) Send(ctx context.Context, method int, build func(b *flatbuffers.Builder) flatbuffers.UOffsetT) (*Call, error) {
	call, err := l.C.Begin(ctx, method)
	if err != nil {
		return nil, err
	}
	if err := l.C.t.send(call, build(call.B)); err != nil {
		call.End()
		return nil, err
	}
	return call, nil
}

// Serve handles one request on the server side.
func (l *Loop) Serve() error {
	cons := l.req.Consumer()
	rec, err := cons.TryPeek()
	if err != nil {
		return err
	}
	var h frame.Header
	payload, _, _, err := frame.ParseInto(&h, rec, len(rec))
	if err == nil {
		err = l.sc.sc.handle(l.sc, &h, payload)
	}
	cons.Release()
	return err
}

// Recv waits for call's reply (already there) and returns it; End releases it.
func (l *Loop) Recv(call *Call) ([]byte, error) {
	if err := l.C.t.wait(call); err != nil {
		return nil, err
	}
	return call.reply, nil
}

// Close frees the rings.
func (l *Loop) Close() {
	l.sc.cancel()
	l.req.Close()
	l.rep.Close()
}

// SoloCalls returns how many calls c made on the shared-memory solo path; call it only
// while c has no call in progress.
func SoloCalls(c *Client) uint64 {
	if c.shm == nil {
		return 0
	}
	c.shm.state.Load() // pairs with the add that ended the last solo call
	return c.shm.soloCalls
}

package rpc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/cellsubstrate/cell/frame"
	"github.com/cellsubstrate/cell/frame/fb"
	"github.com/cellsubstrate/cell/internal/registry"
	"github.com/cellsubstrate/cell/ring"
)

// shmServer accepts shared-memory connections on one instance's control socket.
type shmServer struct {
	s  *Server
	ln *net.UnixListener
	wg sync.WaitGroup // the accept loop and every connection's loop

	mu    sync.Mutex
	conns map[*shmServerConn]struct{}
}

// shmServerConn is one accepted shared-memory connection. One goroutine reads the
// request ring and, with inline handlers, runs them on the request read in place.
type shmServerConn struct {
	ss     *shmServer
	sc     *serverConn
	conn   *ring.Conn
	ctx    context.Context // ends when the server stops the connection
	cancel context.CancelFunc

	prodMu  sync.Mutex // the reply ring's producer: replies come from the loop and from workers
	prod    *ring.Producer
	closed  bool            // guarded by prodMu: the segment is about to be unmapped
	sb      *fb.SlotBuilder // builds inline replies for their slot; under prodMu
	scratch []byte          // where inline replies are built (see buildArea); under prodMu
	slot    []byte          // the reserved reply slot; under prodMu
	touch   byte            // sink for touchLines; the loop's
}

// touchLines loads one byte of every cache line of rec (a record in the ring, just
// published by the peer) and returns their sum, to be discarded. The ring's consumer
// polled the record's first two lines; a request is often longer (the order of
// BenchmarkUnary spans three or four lines with its headers), and the verifier would
// otherwise miss on each further line in turn, each miss a transfer from the peer's
// core. Loaded together, the misses overlap. The bytes are not trusted: they are only
// summed.
func touchLines(rec []byte) byte {
	var sum byte
	for i := 64; i < len(rec); i += 64 {
		sum += rec[i]
	}
	if len(rec) > 0 {
		sum += rec[len(rec)-1]
	}
	return sum
}

func (ss *shmServer) serve() {
	defer ss.wg.Done()
	for {
		ctl, err := ss.ln.AcceptUnix()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				ss.s.log.Error("rpc: control socket accept", "err", err)
			}
			return
		}
		ss.wg.Add(1)
		go ss.accept(ctl)
	}
}

// accept runs the handshake on a new control connection and, when it succeeds, the
// connection's read loop.
func (ss *shmServer) accept(ctl *net.UnixConn) {
	defer ss.wg.Done()
	c, err := ss.handshake(ctl)
	if err != nil {
		ss.s.log.Info("rpc: shared-memory handshake failed", "err", err)
		ctl.Close()
		return
	}
	c.loop()
}

func (ss *shmServer) handshake(ctl *net.UnixConn) (*shmServerConn, error) {
	cred, err := registry.CheckPeer(ctl)
	if err != nil {
		return nil, err
	}
	ctl.SetDeadline(time.Now().Add(10 * time.Second))
	hb, err := readControlFrame(ctl)
	if err != nil {
		return nil, err
	}
	boot, start := selfIdentity()
	svc, table, reply, herr := ss.s.handshake(hb, boot, uint32(selfPID), start)
	if herr == nil {
		// The hello's pid must be the one the kernel reports for the socket.
		if h, _ := parseHello(hb); h != nil && h.PID != uint32(cred.PID) {
			herr = fmt.Errorf("rpc: hello claims pid %d, SO_PEERCRED says %d", h.PID, cred.PID)
			reply.Flags, reply.Code, reply.Message = 0, CodeInvalidArgument, "hello pid does not match the socket's peer"
		} else if ss.s.opts.NoSHM || h == nil || h.Flags&helloWantSHM == 0 || h.BootID != boot {
			herr = fmt.Errorf("rpc: shared memory not wanted or not allowed")
		} else {
			reply.Flags |= helloSHM
		}
	}
	payload := appendHello(nil, reply)
	fh := frame.Header{Kind: frame.KindHello}
	msg := frame.AppendHeader(make([]byte, 0, frame.HeaderSize+len(payload)), &fh, len(payload))
	if _, err := ctl.Write(append(msg, payload...)); err != nil {
		return nil, err
	}
	if herr != nil {
		return nil, herr
	}
	ctl.SetDeadline(time.Time{})
	ctx, cancel := context.WithTimeout(ss.s.base, 10*time.Second)
	conn, err := ring.Accept(ctx, ctl, ring.Config{Spin: spinConfig(ss.s.opts.Spin)})
	cancel()
	if err != nil {
		return nil, err
	}
	c := &shmServerConn{ss: ss, sc: ss.s.newConn(svc, table), conn: conn, prod: conn.Producer(), sb: fb.NewSlotBuilder()}
	c.sc.slot = c
	c.ctx, c.cancel = context.WithCancel(ss.s.base)
	ss.mu.Lock()
	ss.conns[c] = struct{}{}
	ss.mu.Unlock()
	// The client's death or close ends its calls at once, even an inline handler that
	// holds the read loop.
	go func() {
		select {
		case <-conn.Done():
			c.sc.cancelRunning()
		case <-c.ctx.Done():
		}
	}()
	return c, nil
}

// spinConfig maps ServerOptions.Spin to ring.Config.Spin (where 0 means the default).
func spinConfig(d time.Duration) time.Duration {
	switch {
	case d == 0:
		return -1
	case d < 0:
		return 0
	}
	return d
}

// loop reads requests until the connection or the server ends, then closes it.
func (c *shmServerConn) loop() {
	cons := c.conn.Consumer()
	defer c.shut()
	var h frame.Header // decoded in place: Parse's by-value copy costs a store-forwarding stall
	for {
		rec, err := cons.Peek(c.ctx)
		if err != nil {
			if !errors.Is(err, ring.ErrClosed) && c.ctx.Err() == nil {
				c.ss.s.log.Info("rpc: shared-memory connection ended", "service", c.sc.svc.desc.Name, "err", err)
			}
			return
		}
		c.touch += touchLines(rec)
		payload, n, ok, err := frame.ParseInto(&h, rec, len(rec))
		if err == nil && (!ok || n != len(rec)) {
			err = fmt.Errorf("%w: record of %d bytes holds a frame of %d", ErrProtocol, len(rec), n)
		}
		if err == nil {
			err = c.sc.handle(c, &h, payload)
		}
		cons.Release()
		if err != nil {
			c.ss.s.log.Warn("rpc: closing shared-memory connection", "service", c.sc.svc.desc.Name, "err", err)
			return
		}
	}
}

// sendFrame writes one frame into the reply ring, waiting for space until the
// connection ends.
func (c *shmServerConn) sendFrame(h *frame.Header, p []byte) error {
	c.prodMu.Lock()
	defer c.prodMu.Unlock()
	if c.closed {
		return ErrClosed
	}
	n := h.Len() + len(p)
	slot, err := c.prod.Reserve(c.ctx, n)
	if err != nil {
		return err
	}
	frame.PutHeader(slot, h, len(p))
	copy(slot[h.Len():], p)
	c.prod.Commit(n)
	return nil
}

// beginReply takes the reply ring's producer and reserves a slot of about hint bytes
// for a reply built in place. On success the producer stays held until commitReply or
// abortReply.
func (c *shmServerConn) beginReply(hint int) (*flatbuffers.Builder, error) {
	c.prodMu.Lock()
	if c.closed {
		c.prodMu.Unlock()
		return nil, ErrClosed
	}
	n := min(frame.HeaderSize+hint, c.prod.MaxRecord())
	slot, err := c.prod.Reserve(c.ctx, n)
	if err != nil {
		c.prodMu.Unlock()
		return nil, err
	}
	c.slot = slot
	return c.sb.Start(buildArea(&c.scratch, len(slot)-frame.HeaderSize)), nil
}

// commitReply publishes the reply built since beginReply (see finishMsg).
func (c *shmServerConn) commitReply(h *frame.Header, root flatbuffers.UOffsetT, hint *atomic.Int32) error {
	msg, slot, err := finishMsg(c.sb, root, c.slot, hint, c.prod, c.ctx)
	if err == nil {
		c.prod.Commit(putFrame(slot, c.scratch[:len(c.slot)-frame.HeaderSize], msg, h))
	}
	c.slot = nil
	c.prodMu.Unlock()
	return err
}

// abortReply releases the producer without publishing the reserved slot.
func (c *shmServerConn) abortReply() {
	c.slot = nil
	c.prodMu.Unlock()
}

// goAway tells the client no new calls will be served.
func (c *shmServerConn) goAway() {
	_ = c.sendFrame(&frame.Header{Kind: frame.KindGoAway}, nil)
}

// shut closes the connection once its loop has stopped and no worker can write to it.
func (c *shmServerConn) shut() {
	c.cancel()
	c.sc.forget()
	c.prodMu.Lock()
	c.closed = true
	c.prodMu.Unlock()
	c.conn.Close()
	c.ss.mu.Lock()
	delete(c.ss.conns, c)
	c.ss.mu.Unlock()
}

// stop ends every connection's loop and the accept loop, and waits for them.
func (ss *shmServer) stop() {
	ss.ln.Close()
	ss.mu.Lock()
	for c := range ss.conns {
		c.cancel()
	}
	ss.mu.Unlock()
	ss.wg.Wait()
}

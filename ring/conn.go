package ring

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"github.com/cellsubstrate/cell/futex"
	"github.com/cellsubstrate/cell/internal/proc"
)

// Handshake messages on the control socket.
const (
	helloMagic       = 0x6f6c6568_6c6c6563 // "cellhelo"
	ackMagic         = 0x316b6361_6c6c6563 // "cellack1"
	helloSize        = 24                  // magic u64, version u32, reserved u32, total u64
	msgBye           = 'B'                 // orderly close
	handshakeTimeout = 10 * time.Second    // when ctx has no deadline
)

// testHookSegment, when set by a test, may corrupt a new segment before Connect sends it.
var testHookSegment func(mem []byte)

// Conn is one side of a duplex shared-memory connection: a Producer for the outbound
// ring, a Consumer for the inbound ring, and the control socket whose EOF tells the
// peer's death. The Producer and the Consumer may be used by two different goroutines;
// Close may be called from any goroutine.
type Conn struct {
	seg     *segment
	ctl     *net.UnixConn
	cfg     resolved
	life    life
	_       [lineSize]byte // the producer's and the consumer's fields on lines of their own
	prod    Producer
	_       [lineSize]byte
	cons    Consumer
	_       [lineSize]byte
	me      []byte // our side block
	peer    []byte // the peer's side block (untrusted)
	peerPid int
	monitor chan struct{} // closed when the monitor goroutine exits
	hb      heartbeat
	once    sync.Once
	closeEr error
}

func acceptSegment(hello []byte, fd int, r resolved) (*segment, error) {
	if len(hello) != helloSize || binary.LittleEndian.Uint64(hello) != helloMagic {
		return nil, corrupt("hello message", uint64(len(hello)), helloSize)
	}
	if v := binary.LittleEndian.Uint32(hello[8:]); v != layoutVersion {
		return nil, corrupt("hello layout version", uint64(v), layoutVersion)
	}
	seg, err := openSegment(fd, r.maxSegment)
	if err != nil {
		return nil, err
	}
	if v := binary.LittleEndian.Uint64(hello[16:]); v != uint64(len(seg.mem)) {
		seg.unmap()
		return nil, corrupt("hello segment size", v, uint64(len(seg.mem)))
	}
	if err := writeSide(seg.side(1), r); err != nil {
		seg.unmap()
		return nil, err
	}
	return seg, nil
}

func writeSide(b []byte, r resolved) error {
	start, err := proc.SelfStartTime()
	if err != nil {
		return fmt.Errorf("ring: own start time: %w", err)
	}
	store64(word64(b, sidePid), uint64(os.Getpid()))
	store64(word64(b, sideStart), start)
	store32(word32(b, sideFlags), sideFlagsFor(r))
	store32(word32(b, sideState), sideAttached)
	return nil
}

// connFences enables the fenced release protocol on connections; see sideFlagsFor.
const connFences = false

// sideFlagsFor returns the flags this side advertises. sideFenced: this process is
// registered for system-wide membarrier fences (so a peer's fence reaches our threads)
// and our producer makes one before it parks waiting for space (so our peer's consumer
// may release space with publishPos). Only with a spin budget: a producer that parks at
// once would pay the fence on every full ring.
//
// Off for now (connFences): it was turned off when futex's ping-pong test with the
// system-wide fence lost a wake-up under load. The cause turned out to be the order of
// futex.Event's waiter (it read seq after raising its flag; fixed, see futex's package
// doc), not the fence, which only widened the window; connections stay on the
// full-barrier release until fenced mode is measured again. The negotiation stays, so a
// peer that advertises the flag is still answered correctly.
func sideFlagsFor(r resolved) uint32 {
	if connFences && r.spin > 0 && futex.EnableFence(futex.FenceSystem) {
		return sideFenced
	}
	return 0
}

// newConn wires side (0: creator, 1: acceptor) of seg and starts the monitor.
func newConn(seg *segment, ctl *net.UnixConn, r resolved, side int) (*Conn, error) {
	c := &Conn{seg: seg, ctl: ctl, cfg: r, monitor: make(chan struct{})}
	c.me, c.peer = seg.side(side), seg.side(1-side)
	out, in := side, 1-side
	// Our producer starts at tail: nothing is published on our ring yet, so tail == head
	// unless the peer lies, which could only make us overwrite what it has not read.
	start, _, err := seg.positions(out)
	if err != nil {
		return nil, err
	}
	// Consumers release with publishPos, and producers fence before parking, only when
	// both flags in the segment say so (and we meant ours): both sides then decide
	// alike. The flags are untrusted, but a peer that lies only delays the wake-ups of
	// its own producer (ours still wakes within parkLong, and cannot be kept waiting
	// longer than a peer that stops releasing could keep it anyway).
	fence := futex.FenceNone
	if sideFlagsFor(r)&load32(word32(c.me, sideFlags))&load32(word32(c.peer, sideFlags))&sideFenced != 0 {
		fence = futex.FenceSystem
	}
	ctl0, data0 := seg.ring(out)
	c.prod.init(data0, ctl0, start, r.spin, fence, &c.life)
	if _, start, err = seg.positions(in); err != nil {
		return nil, err
	}
	ctl1, data1 := seg.ring(in)
	c.cons.init(data1, ctl1, start, r.spin, fence, &c.life)
	c.peerPid = int(uint32(load64(word64(c.peer, sidePid))))
	c.life.init(func() {
		c.cons.wait.WakeAll()
		c.prod.space.WakeAll()
	})
	c.hb.start(c)
	go c.watch()
	return c, nil
}

// Producer returns the producer of the outbound ring.
func (c *Conn) Producer() *Producer { return &c.prod }

// Consumer returns the consumer of the inbound ring.
func (c *Conn) Consumer() *Consumer { return &c.cons }

// PeerPid returns the pid the peer wrote into the segment (informational: untrusted).
func (c *Conn) PeerPid() int { return c.peerPid }

// Err returns nil while the connection is up, then the error that took it down.
func (c *Conn) Err() error { return c.life.failed() }

// Done returns a channel closed when the connection goes down for any reason.
func (c *Conn) Done() <-chan struct{} { return c.life.done }

// watch is the monitor goroutine: it blocks reading the control socket, which costs
// nothing while the connection lives. EOF or an error means the peer died; a bye
// message an orderly close. Close ends it with a read deadline in the past.
func (c *Conn) watch() {
	defer close(c.monitor)
	var buf [16]byte
	for c.life.failed() == nil {
		n, err := c.ctl.Read(buf[:])
		if c.life.failed() != nil {
			return
		}
		var ne net.Error
		switch {
		case err != nil && errors.As(err, &ne) && ne.Timeout():
			// A deadline only Close sets; go round and see the connection down.
		case err == nil && n == 1 && buf[0] == msgBye:
			c.life.fail(fmt.Errorf("%w by peer", ErrClosed))
		case err == nil:
			c.life.fail(corrupt("control message length", uint64(n), 1))
		default:
			c.life.fail(&PeerDeadError{Pid: c.peerPid, Reason: "control socket: " + err.Error()})
		}
	}
}

// heartbeat bumps this side's heartbeat word and checks the peer's every
// HeartbeatInterval, on a timer rather than a goroutine: an idle connection costs one
// timer callback per interval, no system call. A peer heartbeat that stands still for
// longer than HeartbeatTimeout takes the connection down (the peer hung).
type heartbeat struct {
	mu         sync.Mutex // serializes beats with stop; guards the fields below
	timer      *time.Timer
	stopped    bool
	last       uint64    // the peer's heartbeat at lastChange
	lastChange time.Time // when the peer's heartbeat last moved
}

func (h *heartbeat) start(c *Conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.last, h.lastChange = load64(word64(c.peer, sideHeartbeat)), time.Now()
	h.timer = time.AfterFunc(untilBeat(c.cfg.hbInterval), func() { h.beat(c) })
}

func (h *heartbeat) beat(c *Conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopped {
		return
	}
	if c.life.failed() != nil {
		// Down for another reason (a corrupt value, say): release the monitor's read.
		c.ctl.SetReadDeadline(time.Now())
		return
	}
	add64(word64(c.me, sideHeartbeat), 1)
	now := time.Now()
	if v := load64(word64(c.peer, sideHeartbeat)); v != h.last {
		h.last, h.lastChange = v, now
	} else if now.Sub(h.lastChange) > c.cfg.hbTimeout {
		c.life.fail(&PeerDeadError{Pid: c.peerPid, Reason: "heartbeat timeout"})
		c.ctl.SetReadDeadline(time.Now()) // release the monitor's read
		return
	}
	h.timer.Reset(untilBeat(c.cfg.hbInterval))
}

// untilBeat returns the time from now to the next multiple of interval since the Unix
// epoch. Every connection in the process beats on the same ticks, so the runtime runs
// their timers in one wake-up instead of one each: an idle process with many
// connections wakes about once per interval, not once per connection.
func untilBeat(interval time.Duration) time.Duration {
	d := interval - time.Duration(time.Now().UnixNano()%int64(interval))
	if d < interval/2 {
		d += interval // never beat twice within half an interval
	}
	return d
}

// stop ends the beats; when it returns no beat runs or will run, so the shared memory
// may be retired.
func (h *heartbeat) stop() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stopped = true
	if h.timer != nil {
		h.timer.Stop()
	}
}

// Close takes the connection down (blocked calls on either side return ErrClosed, the
// peer sees an orderly close), closes the control socket and releases the shared memory.
// It may run concurrently with any call: a call racing with it returns an error or
// reads zeros, never faults, because the shared mapping is replaced in place by private
// zero pages (unmapped when the Conn is garbage). Slices handed out earlier no longer
// show shared memory after Close.
func (c *Conn) Close() error {
	c.once.Do(func() {
		c.life.fail(ErrClosed)
		store32(word32(c.me, sideState), sideClosed)
		c.ctl.Write([]byte{msgBye}) // best effort: the peer may be gone
		c.ctl.SetReadDeadline(time.Now())
		<-c.monitor
		c.hb.stop()
		c.closeEr = c.ctl.Close()
		c.life.drain(timeDrain) // blocked calls return; stragglers touch the placeholder
		c.life.retired.Store(true)
		if err := retire(c.seg, c); err != nil && c.closeEr == nil {
			c.closeEr = err
		}
	})
	return c.closeEr
}

func setDeadline(ctx context.Context, ctl *net.UnixConn) {
	d, ok := ctx.Deadline()
	if !ok {
		d = time.Now().Add(handshakeTimeout)
	}
	ctl.SetReadDeadline(d)
}

func readAck(ctx context.Context, ctl *net.UnixConn) error {
	setDeadline(ctx, ctl)
	defer ctl.SetReadDeadline(time.Time{})
	var b [16]byte
	n, err := ctl.Read(b[:])
	if err != nil {
		return err
	}
	if n != 8 || binary.LittleEndian.Uint64(b[:]) != ackMagic {
		return corrupt("ack message", uint64(n), 8)
	}
	return nil
}

//go:build unix

package netpath

import (
	"context"
	"encoding/binary"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cellsubstrate/cell/frame"
)

// clientConn is one connection of a Client. Nobody reads its socket in the
// background: a caller waiting for an answer reads it (see readLoop), holding the
// connection's reader role so that one caller at a time does.
type clientConn struct {
	// Read by every call, written rarely (once per reader turn or read): kept apart
	// from the counters below, which every call writes.
	cl *Client
	// reading is the reader role: whoever swaps it from false to true reads the socket
	// until it lets go (release).
	reading atomic.Bool
	dead    atomic.Bool // torn down: calls settled, fds closed (by the reader role)
	goaway  atomic.Bool
	// lastRead is when the socket was last read (monotime): a connection nobody has
	// read for idleProbe is checked before a call uses it (see fresh).
	lastRead atomic.Int64
	_        [cacheLine]byte

	// Written by every call.
	next atomic.Uint32 // where handoff starts looking, so the role rotates
	// woken counts calls the reader answered whose callers have not finished yet:
	// callers about to make their next call. A caller that sees some corks its write
	// (see writer.put), so that their requests leave with its own.
	woken atomic.Int32
	_     [cacheLine]byte

	w writer
	_ [cacheLine]byte

	fdMu sync.Mutex // guards rfd between teardown's close and Close's shutdown
	rfd  int        // read side: a dup of the socket (in blocking mode; see prepareClientFD)

	// Reader role only.
	countWoken bool  // onFrame counts the calls it answers in woken (see decode)
	spinMiss   int   // consecutive lone spins that ran out (see readLoop)
	spinSkip   int   // lone waits left to block at once, without spinning
	lastSched  int64 // monotime of the spin's last runtime.Gosched (see schedEvery)
	trace      uint8 // how the last readLoop waited (traceCli*)
	traceBlk   int64 // nanoseconds it spent blocked in read(2)
	traceN     int   // reads it made
	traceGap   int64 // longest time between two tries of its spin
	traceTries int
	in         inbuf
	hdr        frame.Header
	reason     error // a protocol violation by the server: the connection closes
	pfd        [1]unix.PollFd
}

const (
	inInitial = 16 << 10 // initial inbound buffer
	inShrink  = 1 << 20  // an empty buffer larger than this (after a large frame) is dropped
	readMin   = 4 << 10  // free room kept at the end of the buffer for each read
	// pollSliceMS bounds one poll(2) of a reader whose context can be cancelled, so
	// that it notices the cancellation (a deadline is noticed exactly).
	pollSliceMS = 10
)

func newClientConn(c *Client, rfd int) *clientConn {
	cc := &clientConn{cl: c, rfd: rfd}
	cc.in.init(c.cfg.MaxFrameSize)
	cc.lastRead.Store(monotime())
	// The first Gosched comes schedEvery into the connection's life, not in its first
	// call: with it in the first call, rpc's TestShutdownDrains (server in the same
	// process, handlers on its event loop) failed 3-8 runs in 12 (its requests had
	// not been dispatched 5ms after they were sent); not understood yet.
	cc.lastSched = monotime()
	return cc
}

// idleProbe is how long a connection may go unread before a call checks it for a
// close or go-away from the server that nobody was reading to notice.
const idleProbe = time.Millisecond

var monoBase = time.Now()

// monotime returns monotonic nanoseconds.
func monotime() int64 { return int64(time.Since(monoBase)) }

// fresh reports whether cc may carry a new call. No goroutine reads an idle
// connection, so a server that closed it or sent a go-away while nobody waited is only
// noticed by reading: when cc has not been read for idleProbe and nobody reads it now,
// fresh reads what is there (without blocking) first. On a busy connection it costs
// one clock read.
func (cc *clientConn) fresh() bool {
	if cc.reading.Load() || monotime()-cc.lastRead.Load() < int64(idleProbe) || !cc.reading.CompareAndSwap(false, true) {
		return true // being read (no clock read then), or read recently, or taken now
	}
	for !cc.dead.Load() {
		n, err := recvNB(cc.rfd, cc.in.free())
		if n > 0 {
			cc.in.wrote(n)
			if !cc.decode() {
				cc.cl.teardown(cc, nil)
			}
			continue
		}
		if err == unix.EAGAIN {
			break
		}
		if err != unix.EINTR {
			cc.cl.teardown(cc, err) // err == nil: EOF
		}
	}
	cc.lastRead.Store(monotime())
	cc.release()
	if cc.goaway.Load() && !cc.dead.Load() && !cc.cl.pendingOn(cc) {
		// The connection went away with no call left on it (a server restarting while
		// this client was idle): no call will finish on it to retire it (see
		// Client.finish), so retire it here, or its fds stay open until Client.Close.
		// A call that took cc earlier and sets pending after this look sees goaway
		// and settles itself. If a caller holds the role now, it retires cc when it
		// finishes.
		cc.cl.retire(cc, false)
	}
	return !cc.dead.Load() && !cc.goaway.Load()
}

// tryRead takes the reader role if nobody holds it. It loads before it swaps.
func (cc *clientConn) tryRead() bool {
	return !cc.reading.Load() && cc.reading.CompareAndSwap(false, true)
}

// release lets go of the reader role and hands it to a parked caller, if any.
func (cc *clientConn) release() {
	cc.reading.Store(false)
	cc.handoff()
}

// handoff wakes one parked caller of cc to take over the reader role, unless the role
// is taken or nobody waits. A caller announces itself (its slot's waiting flag) before
// its last attempt to take the role, and a reader clears reading before it looks, so
// one of the two always sees the other: no caller parks with nobody reading.
//
// It looks at the slots' flags themselves rather than at a count of waiters: a count
// cost every parked call two atomic adds on a line all callers write, and a reader
// lets go far less often than callers park. Only slots ever handed out are looked at
// (freeList.peak), and only while another call is in flight.
func (cc *clientConn) handoff() {
	c := cc.cl
	if cc.reading.Load() || c.free.inUse() <= 1 {
		return // taken, or the only call in flight is the caller's own
	}
	n := int(c.free.peak.Load())
	start := int(cc.next.Load())
	if start >= n {
		start = 0
	}
	for k := 0; k < n; k++ {
		i := start + k
		if i >= n {
			i -= n
		}
		s := &c.slots[i]
		if s.waiting.Load() && s.conn.Load() == cc && s.waiting.CompareAndSwap(true, false) {
			cc.next.Store(uint32(i + 1))
			s.note <- noteWake
			return
		}
	}
	// Nobody is parked: anyone waiting is between announcing and its last attempt to
	// take the role, which finds it free.
}

// readLoop is called by the caller of call id (slot s) holding cc's reader role. It
// reads the socket and dispatches every frame that arrives (settling other callers'
// calls and waking them) until its own call is settled (true) or ctx ends (false).
// The caller then releases the role; a caller still waiting takes it over.
//
// Waiting for bytes: the reader first retries its non-blocking read for up to
// SpinWait (yielding between tries, so goroutines on its P still run), which keeps
// its vCPU from halting between request and reply; then it blocks in poll(2).
func (cc *clientConn) readLoop(ctx context.Context, s *slot, id uint64) bool {
	c := cc.cl
	cc.trace, cc.traceBlk, cc.traceN = 0, 0, 0
	for {
		if s.pending.Load() != id {
			return true
		}
		if cc.dead.Load() {
			// Teardown settles every call it finds; this one stored its id before it
			// checked dead, so it was found. Settle it anyway rather than trust that.
			if s.pending.CompareAndSwap(id, 0) {
				s.err = fmt.Errorf("%w: connection closed", ErrPeerGone)
				s.note <- noteDone
			}
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		// Wait and read in one blocking read(2) unless spinning first finds bytes.
		// A blocking read returns at once when bytes are already there.
		var (
			n   int
			err error
		)
		switch {
		case c.free.inUse() > 1:
			// Other calls are in flight: the callers this read woke are runnable on
			// our P and about to send more requests. Blocking in read(2) now would
			// hold the P from them until the runtime takes it back; yield to them
			// while polling instead (the answers keep coming while they do).
			cc.trace |= traceCliBusy
			if cc.spin(busySpin) {
				n, err = recvNB(cc.rfd, cc.in.free())
			} else {
				n, err = cc.recvWait(ctx)
			}
		case c.cfg.SpinWait > 0 && cc.spinSkip > 0:
			cc.spinSkip--
			cc.trace |= traceCliSkip | traceCliBlock
			t0 := monotime()
			n, err = cc.recvWait(ctx)
			t1 := monotime()
			cc.traceBlk += t1 - t0
			if n > 0 && t1-t0 <= int64(c.cfg.SpinWait) {
				// A spin would have caught this answer: the miss was a hiccup, not
				// a slow server. Spin again from the next wait.
				cc.spinMiss, cc.spinSkip = 0, 0
			}
		case c.cfg.SpinWait > 0:
			cc.trace |= traceCliSpin
			if n, err = cc.spinRead(c.cfg.SpinWait); err == unix.EAGAIN {
				// The answer takes longer than the spin: spin less often from now on
				// (skip 1, 3, 7 ... 63 waits after consecutive misses), so a slow
				// server costs its callers little CPU.
				cc.spinMiss = min(cc.spinMiss+1, spinMissMax)
				cc.spinSkip = 1<<cc.spinMiss - 1
				cc.trace |= traceCliBlock
				t0 := monotime()
				n, err = cc.recvWait(ctx)
				cc.traceBlk += monotime() - t0
			} else {
				cc.trace |= traceCliSpinHit
				cc.spinMiss = 0
			}
		default:
			cc.trace |= traceCliBlock
			n, err = cc.recvWait(ctx)
		}
		if cc.traceN++; cc.traceN > 1 {
			cc.trace |= traceCliMulti
		}
		if err == unix.EAGAIN {
			cc.trace |= traceCliTimeout
		}
		switch {
		case n > 0:
			cc.in.wrote(n)
			cc.lastRead.Store(monotime())
			if !cc.decode() {
				c.teardown(cc, nil)
			}
		case err == unix.EAGAIN, err == unix.EINTR:
			// A receive timeout (one poll slice), or a signal: look at ctx again.
		case err == nil: // EOF
			c.teardown(cc, nil)
		default:
			c.teardown(cc, err)
		}
	}
}

// spinMissMax caps the lone spin's back-off: after spinMissMax consecutive misses a
// reader spins once per 2^spinMissMax waits.
const spinMissMax = 6

// busySpin is how long a reader polls and yields before it blocks while other calls
// are in flight (BenchmarkPipelined/256: blocking at once gave about 0.4M frames/s,
// 50µs about 0.9M, 20µs about 1.1M; retrying the read instead of poll(2) about 10%
// less).
var busySpin = 20 * time.Microsecond

// spin polls the socket without blocking, yielding between tries (so goroutines on
// this P still run), for up to d; it reports whether the socket became readable.
func (cc *clientConn) spin(d time.Duration) bool {
	if d <= 0 {
		return false
	}
	t0 := time.Now()
	for {
		cc.pfd[0] = unix.PollFd{Fd: int32(cc.rfd), Events: unix.POLLIN}
		if n, _ := unix.Poll(cc.pfd[:], 0); n > 0 {
			return true
		}
		if time.Since(t0) >= d {
			return false
		}
		runtime.Gosched()
	}
}

// spinRead is the lone caller's spin (ClientConfig.SpinWait): it retries a
// non-blocking read for up to d, yielding the OS thread between tries (sched_yield, so
// that the server's thread, when the kernel woke it onto this vCPU, runs at once rather
// than behind a spinner), and returns what the last try returned: bytes, EOF, an
// error, or EAGAIN when d passed. The vCPU stays busy, so it is not halted when the
// answer comes, which is what trims the tail (see the package doc).
//
// It does not yield the goroutine (runtime.Gosched) between tries: with no other
// goroutine to run, Gosched wakes an idle P's thread each time (the runtime's wakep),
// which then spins on the other vCPU, the one the server needs (measured: 3.2 futex
// calls and 5 context switches per call with it). Goroutines queued on this P wait at
// most d, or run on another P.
func (cc *clientConn) spinRead(d time.Duration) (int, error) {
	t0 := monotime()
	last := t0
	cc.traceGap, cc.traceTries = 0, 0
	for {
		n, err := recvNB(cc.rfd, cc.in.free())
		now := monotime()
		cc.traceGap = max(cc.traceGap, now-last)
		cc.traceTries++
		last = now
		if err != unix.EAGAIN || now-t0 >= int64(d) {
			return n, err
		}
		if now-cc.lastSched >= int64(schedEvery) {
			// See schedEvery: pass through the scheduler now and then.
			cc.lastSched = now
			cc.trace |= traceCliSched
			runtime.Gosched()
			continue
		}
		osYield()
	}
}

// recvWait reads, blocking until bytes arrive, the socket is closed, or a poll slice
// passes (the socket's SO_RCVTIMEO; EAGAIN then) so that a cancelled ctx is noticed.
// A deadline nearer than one slice is waited for exactly, with poll(2).
func (cc *clientConn) recvWait(ctx context.Context) (int, error) {
	if dl, ok := ctx.Deadline(); ok {
		if d := time.Until(dl); d < pollSliceMS*time.Millisecond {
			ms := int((max(d, 0) + time.Millisecond - 1) / time.Millisecond)
			cc.pfd[0] = unix.PollFd{Fd: int32(cc.rfd), Events: unix.POLLIN}
			if _, err := unix.Poll(cc.pfd[:], ms); err != nil && err != unix.EINTR {
				return 0, err
			}
			return recvNB(cc.rfd, cc.in.free())
		}
	}
	return unix.Read(cc.rfd, cc.in.free()) // the socket is in blocking mode
}

// decode dispatches every whole frame received and makes room for the next read. It
// returns false when the server broke the protocol (cc.reason says how).
func (cc *clientConn) decode() bool {
	// woken matters only to callers deciding whether to cork below corkThreshold
	// calls in flight (see Client.call); above it, skip its two atomics per call.
	cc.countWoken = cc.cl.free.inUse() <= corkThreshold
	if err := cc.in.decode(&cc.hdr, cc); err != nil && cc.reason == nil {
		cc.reason = fmt.Errorf("%w: %w", ErrProtocol, err)
	}
	return cc.reason == nil
}

// inbuf is a client connection's inbound buffer: b[rpos:wpos] was received and not
// yet decoded, b[wpos:] is room for the next read. Its size stays at most
// max(inInitial, max+readMin): a frame's declared length is checked against max
// before the buffer grows to hold it.
type inbuf struct {
	b          []byte
	rpos, wpos int
	max        int // largest frame
}

func (ib *inbuf) init(max int) {
	ib.b = make([]byte, inInitial)
	ib.max = max
}

// free returns the room for the next read.
func (ib *inbuf) free() []byte { return ib.b[ib.wpos:] }

// wrote records n bytes read into free().
func (ib *inbuf) wrote(n int) { ib.wpos += n }

// decode hands every whole frame received to sink, in order, then makes room for the
// next read: at least readMin bytes, and the rest of a partial frame. It returns the
// first malformed-frame error; the stream cannot be resynced after one.
func (ib *inbuf) decode(h *frame.Header, sink frameSink) error {
	n, err := decodeFrames(ib.b[ib.rpos:ib.wpos], ib.max, h, sink)
	ib.rpos += n
	if err != nil {
		return err
	}
	if ib.rpos == ib.wpos {
		ib.rpos, ib.wpos = 0, 0
		if len(ib.b) > inShrink {
			ib.b = make([]byte, inInitial)
		}
		return nil
	}
	// A partial frame remains. Its declared length was checked against max by
	// decodeFrames as soon as its first 4 bytes arrived.
	used := ib.wpos - ib.rpos
	need := readMin
	if used >= 4 {
		need = max(need, int(binary.LittleEndian.Uint32(ib.b[ib.rpos:]))-used)
	}
	if len(ib.b)-ib.wpos >= need {
		return nil
	}
	if used+need > len(ib.b) {
		nb := make([]byte, max(used+need, min(2*len(ib.b), ib.max+readMin)))
		copy(nb, ib.b[ib.rpos:ib.wpos])
		ib.b = nb
	} else {
		copy(ib.b, ib.b[ib.rpos:ib.wpos])
	}
	ib.rpos, ib.wpos = 0, used
	return nil
}

// teardown closes cc and fails its calls; reader role only. ioErr is the read error
// that ended it, if any.
func (c *Client) teardown(cc *clientConn, ioErr error) {
	if cc.dead.Load() {
		return
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
	case ioErr != nil:
		callErr = fmt.Errorf("%w: %v", ErrPeerGone, ioErr)
	default:
		callErr = fmt.Errorf("%w: connection closed by the server", ErrPeerGone)
	}
	if cc.reason != nil {
		c.log.Warn("netpath: client connection closed", "addr", c.address, "reason", cc.reason)
	}
	c.settleAll(cc, 0, callErr)
	cc.fdMu.Lock()
	unix.Close(cc.rfd)
	cc.rfd = -1
	cc.fdMu.Unlock()
	// Nothing reads a dead connection; a slot may keep pointing at it until its next
	// call (see Client.finish), so it keeps no buffer.
	cc.in.b, cc.in.rpos, cc.in.wpos = nil, 0, 0
	c.mu.Lock()
	delete(c.conns, cc)
	c.mu.Unlock()
}

// retire tears cc down once it can take the reader role: at once or not at all
// (wait false), or after the current reader lets go (wait true; the caller has shut
// the socket down, so a reader sees EOF promptly).
func (c *Client) retire(cc *clientConn, wait bool) {
	for !cc.reading.CompareAndSwap(false, true) {
		if !wait {
			return
		}
		time.Sleep(50 * time.Microsecond)
	}
	c.teardown(cc, nil)
	cc.release()
}

// shutdown shuts the socket down, so that a reader blocked in poll wakes up and reads
// EOF; safe from any goroutine.
func (cc *clientConn) shutdown() {
	cc.fdMu.Lock()
	if cc.rfd >= 0 {
		_ = unix.Shutdown(cc.rfd, unix.SHUT_RDWR)
	}
	cc.fdMu.Unlock()
}

// settleAll fails every call on cc whose id is above after; reader only.
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
			s.note <- noteDone
		}
	}
}

// onFrame handles one frame from the server; reader only.
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
		if cc.countWoken {
			s.answered = true
			cc.woken.Add(1)
		}
		s.note <- noteDone
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

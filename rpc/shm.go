package rpc

import (
	"context"
	"encoding/binary"
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

// The shared-memory path. The client connects to the instance's control socket
// (SOCK_SEQPACKET), both sides check each other with SO_PEERCRED, they exchange hello
// frames, and the client creates the segment and passes it with ring.Connect; the
// control socket then stays open for liveness (its EOF is the peer's death).
//
// Client side, one call in flight: the caller reserves a slot in the request ring,
// builds the request in its own build area, copies it into the slot once (buildArea
// says why), commits, and reads its own reply from the reply ring in place: no
// goroutine hop, no copy of the reply. A caller that finds the connection idle makes
// its whole call on the solo path (shmsolo.go): one compare-and-swap on the state word
// takes every role, one add gives them back. With several callers, callers serialize
// on the producer; the first waiter becomes the reader, hands replies that are not its
// own to their callers (copied into the caller's buffer) and, when it leaves, passes
// the reader role to another waiter.
//
// The reader role is a bit of the state word (stRead), taken by compare-and-swap and
// given up by an add. A waiter that must not be stranded when the reader leaves first
// enters pending (npending, a sequentially consistent add) and then tries the bit; a
// leaving reader clears the bit and then reads npending. In the total order of those
// four operations either the reader sees the waiter (and wakes one under mu) or the
// waiter's attempt comes after the bit was cleared (and takes the role).
//
// prodMu is taken with TryLock (begin) and, by a caller that finds it held, in
// lockProdSlow, which waits with the caller's context: the holder may wait for long
// (for room in a full request ring, or for a solo call), and a plain Lock would keep
// a caller past its deadline. The hand-over is the same pair: the waiter adds itself
// to prodN and then tries the lock; unlockProd releases the lock and then reads prodN,
// and when it shows a waiter leaves a token in prodWk (TryLock and Unlock are atomic
// read-modify-writes on the mutex's state word, in the same sequentially consistent
// order as prodN's). Either unlockProd sees the waiter or the waiter's attempt comes
// after the release; an attempt that fails meanwhile failed because another caller
// holds the lock, whose unlockProd sees the waiter. A waiter that leaves for its
// context takes no token (one left stays for the next), and a token may be stale (the
// woken waiter tries again). sendCancel, whose caller's context has already ended,
// waits for prodMu at most cancelWait (see there).

// cancelWait bounds how long a canceled call waits for the producer to send its cancel.
const cancelWait = time.Millisecond

// maxControlMsg bounds a hello frame on the control socket.
const maxControlMsg = frame.HeaderSize + maxHello

// shmClient is a Client's transport over shared memory.
type shmClient struct {
	c    *Client
	conn *ring.Conn

	// state holds the roles and counts every call in progress (see shmsolo.go): Close
	// waits until it shows none, so it returns only once no call uses the connection.
	state     atomic.Uint64
	prodFree  chan struct{} // capacity 1: a solo call gave up stProd while general calls ran
	closed    chan struct{} // capacity 1: the last call ended after close began
	soloCall  *Call         // the Call of the solo path; used by the holder of stSolo
	soloCalls uint64        // calls made on the solo path; under stSolo (tests read it)
	seq       uint64        // the id of the last request sent; owned by the producer's holder

	prodMu  sync.Mutex    // the request ring's producer on the general path: held from begin to send
	prodN   atomic.Int32  // callers waiting for prodMu in lockProdSlow
	prodWk  chan struct{} // capacity 1: prodMu was released while prodN showed a waiter
	prod    *ring.Producer
	sb      *fb.SlotBuilder // with prod, scratch and seq: owned by the producer's holder
	scratch []byte          // where requests are built (see buildArea); the producer's holder's
	hints   []atomic.Int32  // per method: slot size to reserve for the request

	down atomic.Bool // err is set: lets begin fail fast without taking mu

	npending atomic.Int32 // len(pending), written under mu, read without it by handOff

	// unreleased: a solo call's reply, read in place, was left for the next reader to
	// release (shmsolo.go); owned by the holder of the reader role.
	unreleased bool

	mu      sync.Mutex // guards everything below
	cons    *ring.Consumer
	pending map[uint64]*Call // calls sent and not settled, but for the reader's own
	err     error            // sticky: the connection is down (down is then set)
}

// shmCall is the per-Call state of the shared-memory path.
type shmCall struct {
	sig      chan struct{} // capacity 1: the reader settled this call, or the reader role is ours
	settled  bool          // guarded by shmClient.mu
	hdr      frame.Header  // the answer's header, when settled by another reader
	buf      []byte        // the answer's payload, copied by another reader
	inPlace  bool          // call.reply points into the ring: release it on End
	holdProd bool          // begin took the producer (prodMu, or stProd when solo) and send has not released it
	reader   bool          // this call holds the reader role: it is not in pending
	solo     bool          // the call runs on the solo path (shmsolo.go)
	counted  bool          // a solo call was counted in Stats().Calls
	err      error
}

func dialSHM(ctx context.Context, c *Client, inst *registry.Instance) (*shmClient, error) {
	ctl, err := net.DialUnix("unixpacket", nil, &net.UnixAddr{Name: inst.ControlPath, Net: "unixpacket"})
	if err != nil {
		return nil, unavailable(err, "control socket of %s", inst.Instance)
	}
	ok := false
	defer func() {
		if !ok {
			ctl.Close()
		}
	}()
	cred, err := registry.CheckPeer(ctl)
	if err != nil {
		return nil, fmt.Errorf("rpc: control socket peer: %w", err)
	}
	if int(cred.PID) != inst.PID {
		return nil, fmt.Errorf("rpc: control socket of %s/%s is held by pid %d, descriptor says %d", inst.Service, inst.Instance, cred.PID, inst.PID)
	}
	if d, ok := ctx.Deadline(); ok {
		ctl.SetDeadline(d)
	} else {
		ctl.SetDeadline(time.Now().Add(10 * time.Second))
	}
	payload := clientHello(c.desc, true)
	h := frame.Header{Kind: frame.KindHello}
	msg := frame.AppendHeader(make([]byte, 0, frame.HeaderSize+len(payload)), &h, len(payload))
	if _, err := ctl.Write(append(msg, payload...)); err != nil {
		return nil, unavailable(err, "send hello")
	}
	rb, err := readControlFrame(ctl)
	if err != nil {
		return nil, err
	}
	sh, err := checkServerHello(c.desc, rb)
	if err != nil {
		return nil, err
	}
	if sh.Flags&helloSHM == 0 {
		return nil, fmt.Errorf("%w: server declines shared memory", errRefused)
	}
	ctl.SetDeadline(time.Time{})
	spin := c.opts.Spin
	if spin <= 0 {
		spin = -1 // ring: negative parks at once
	}
	size := c.opts.RingSize
	if size == 0 {
		size = 1 << 20
	}
	conn, err := ring.Connect(ctx, ctl, ring.Config{Size: size, Spin: spin})
	if err != nil {
		return nil, unavailable(err, "shared memory")
	}
	ok = true
	t := newSHMClient(c, conn.Producer(), conn.Consumer())
	t.conn = conn
	return t, nil
}

// newSHMClient returns the transport of c over the rings prod and cons.
func newSHMClient(c *Client, prod *ring.Producer, cons *ring.Consumer) *shmClient {
	t := &shmClient{c: c, prod: prod, cons: cons, sb: fb.NewSlotBuilder(),
		hints: make([]atomic.Int32, len(c.desc.Methods)), pending: make(map[uint64]*Call),
		prodFree: make(chan struct{}, 1), prodWk: make(chan struct{}, 1), closed: make(chan struct{}, 1)}
	for i := range t.hints {
		t.hints[i].Store(256 - frame.HeaderSize)
	}
	return t
}

// finishMsg finishes a message built with sb in a build area as long as
// slot[frame.HeaderSize:] (slot reserved from prod; see buildArea) and returns it with
// the slot to publish it in; putFrame then writes it there, after the header. A
// message that outgrew the area gets a new reservation (which abandons the first).
// hint, the bytes the next message of this kind reserves, becomes twice this one (at
// least 256), so it follows message sizes up and down. The copy is a separate step so
// that a caller can make its locked instructions between the two: once the copy's
// stores (to lines the peer polls) are in this core's store buffer, a locked
// instruction waits for all of them to reach the peer's core.
func finishMsg(sb *fb.SlotBuilder, root flatbuffers.UOffsetT, slot []byte, hint *atomic.Int32, prod *ring.Producer, ctx context.Context) (msg, out []byte, err error) {
	msg, err = sb.Finish(root)
	if h := int32(min(max(2*len(msg)+64, 256), prod.MaxRecord()-frame.HeaderSize)); hint.Load() != h {
		hint.Store(h)
	}
	if err == fb.ErrSlotOverflow {
		if frame.HeaderSize+len(msg) > prod.MaxRecord() {
			return nil, nil, &Error{Code: CodeResourceExhausted, Message: fmt.Sprintf("message of %d bytes exceeds the ring's largest record (%d)", len(msg), prod.MaxRecord())}
		}
		if slot, err = prod.Reserve(ctx, frame.HeaderSize+len(msg)); err != nil {
			return nil, nil, err
		}
	}
	return msg, slot, nil
}

// putFrame writes the frame of header h and payload msg (from finishMsg) into slot and
// returns its length. msg was built at the end of area (buildArea); when it is still
// there (it did not outgrow the area) with room for the header before it, the header
// is put there and the whole frame copied into the slot last byte first. The slot's
// first line holds the record's header, which the peer polls (and its second line,
// which the peer prefetches): this side's stores leave its store buffer in program
// order, each line fetched back from the peer's core before it is written, and a
// forward copy wrote the first line early, lost it to the peer's polling while the
// later lines were fetched, and fetched it again for the frame header and the record
// header. Measured (BenchmarkUnary shm-spin/zerocopy, same runs): p50 17-30 ns
// less. The zero the ring's commit writes after the record is written first too, when
// it lies past the two lines the peer polls; were the ring's layout other than
// assumed, that store would still land in this side's own reservation, harmlessly.
func putFrame(slot, area, msg []byte, h *frame.Header) int {
	n := frame.HeaderSize + len(msg)
	start := len(area) - len(msg)
	if len(msg) == 0 || start < frame.HeaderSize || &msg[0] != &area[start] {
		copy(slot[frame.HeaderSize:], msg)
		frame.PutHeader(slot, h, len(msg))
		return n
	}
	fr := area[start-frame.HeaderSize:]
	frame.PutHeader(fr, h, len(msg))
	// The record's header sits 8 bytes before slot[0], the lines the peer polls start
	// there and at 64 bytes after it: they end before slot[120].
	if z := (n + 7) &^ 7; z >= 120 && z+8 <= len(slot) {
		binary.LittleEndian.PutUint64(slot[z:], 0)
	}
	copyDown(slot[:n], fr)
	return n
}

// copyDown copies src into dst (len(dst) == len(src), not overlapping) from the last
// byte to the first.
func copyDown(dst, src []byte) {
	i := len(src)
	dst = dst[:i]
	for i >= 8 {
		i -= 8
		binary.LittleEndian.PutUint64(dst[i:], binary.LittleEndian.Uint64(src[i:]))
	}
	for i > 0 {
		i--
		dst[i] = src[i]
	}
}

// buildArea returns the first n bytes of *scratch, growing it (to a power of two, at
// least 1 KiB) when it is shorter. Messages are built there and then copied once into
// their ring slot (finishMsg, putFrame), not built in the slot itself: a FlatBuffers builder
// writes back to front and revisits its lines, and in the slot those lines are the
// ones the peer's consumer polls and prefetches, so every write would pull a line back
// from the other core. Built in memory only this side touches, the message reaches the
// ring in one burst of stores. Measured, BenchmarkUnary shm-spin/zerocopy p50 drops by
// about 100 ns (about 1.05 µs to 0.93-0.98 µs, same run).
func buildArea(scratch *[]byte, n int) []byte {
	if len(*scratch) < n {
		size := 1 << 10
		for size < n {
			size <<= 1
		}
		*scratch = make([]byte, size)
	}
	return (*scratch)[:n]
}

// readControlFrame reads one hello frame from a control socket and returns its payload.
func readControlFrame(ctl *net.UnixConn) ([]byte, error) {
	buf := make([]byte, maxControlMsg+1)
	n, err := ctl.Read(buf)
	if err != nil {
		return nil, unavailable(err, "read hello")
	}
	var h frame.Header
	p, m, ok, err := frame.ParseInto(&h, buf[:n], maxControlMsg)
	if err != nil || !ok || m != n || h.Kind != frame.KindHello {
		return nil, fmt.Errorf("%w: bad hello frame on the control socket (%d bytes)", ErrProtocol, n)
	}
	return p, nil
}

func (t *shmClient) path() Path { return PathSHM }

func (t *shmClient) st(call *Call) *shmCall {
	if s, ok := call.state.(*shmCall); ok {
		return s
	}
	s := &shmCall{sig: make(chan struct{}, 1)}
	call.state = s
	return s
}

// begin starts a call on the general path: it counts the call in the state word, takes
// the producer (prodMu, then waits for a solo call to give up stProd) and points call.B
// at a slot of the request ring, sized by the method's hint.
func (t *shmClient) begin(call *Call) error {
	s := t.st(call)
	s.settled, s.inPlace, s.reader, s.solo, s.err = false, false, false, false, nil
	t.state.Add(stCall)
	if t.down.Load() {
		err := t.downErr()
		t.endCall()
		return err
	}
	if !t.prodMu.TryLock() {
		if err := t.lockProdSlow(call.ctx); err != nil {
			t.endCall()
			return err
		}
	}
	if err := t.waitProd(call.ctx); err != nil {
		t.unlockProd()
		t.endCall()
		return err
	}
	if err := t.reserve(call); err != nil {
		t.unlockProd()
		t.endCall()
		return err
	}
	s.holdProd = true
	return nil
}

// reserve reserves the request's slot, sized by the method's hint, and points call.B
// at the build area; the caller holds the producer.
func (t *shmClient) reserve(call *Call) error {
	n := frame.HeaderSize + int(t.hints[call.method].Load())
	if n > t.prod.MaxRecord() {
		n = t.prod.MaxRecord()
	}
	slot, err := t.prod.Reserve(call.ctx, n)
	if err != nil {
		return t.mapErr(err)
	}
	call.slot = slot
	call.B = t.sb.Start(buildArea(&t.scratch, len(slot)-frame.HeaderSize))
	return nil
}

// send finishes the request, copies it into its slot (or, when it outgrew the slot, into
// a bigger one), registers the call and publishes the frame. A call sent while nobody
// reads takes the reader role at once and stays out of pending: its reply is known by
// its id, with no map and no lock.
func (t *shmClient) send(call *Call, root flatbuffers.UOffsetT) error {
	s := t.st(call)
	err := t.sendLocked(call, s, root)
	s.holdProd = false
	if s.solo {
		// After the commit's barrier, and while the server works: off the round trip.
		t.c.nextID.Add(1)
		s.counted = true
		t.releaseProd()
	} else {
		t.prodMu.Unlock() // unlockProd, written out: it is too big to inline
		if t.prodN.Load() != 0 {
			t.wakeProd()
		}
	}
	return err
}

// lockProdSlow takes prodMu for a caller that found it held, or returns the error of
// ctx if it ends first: the holder may be blocked for long (in a full request ring, or
// waiting for a solo call), and the caller's deadline still holds. See the comment at
// the top of the file.
func (t *shmClient) lockProdSlow(ctx context.Context) error {
	t.prodN.Add(1)
	defer t.prodN.Add(-1)
	for !t.prodMu.TryLock() {
		select {
		case <-t.prodWk: // may be stale, or another caller took prodMu first: try again
		case <-ctx.Done():
			return ctxError(ctx.Err())
		}
	}
	return nil
}

// unlockProd releases prodMu and wakes a caller waiting for it in lockProdSlow.
func (t *shmClient) unlockProd() {
	t.prodMu.Unlock()
	if t.prodN.Load() != 0 { // after the unlock: see the comment at the top of the file
		t.wakeProd()
	}
}

// wakeProd leaves a token in prodWk for a caller waiting in lockProdSlow.
func (t *shmClient) wakeProd() {
	select {
	case t.prodWk <- struct{}{}:
	default:
	}
}

// sendLocked is send with prodMu held.
func (t *shmClient) sendLocked(call *Call, s *shmCall, root flatbuffers.UOffsetT) error {
	// Ids are numbered here, by the producer's holder, so they grow in the order the
	// requests enter the ring, whichever path sent them; Client.Begin's id only counts.
	t.seq++
	call.id = t.seq
	h := frame.Header{Kind: frame.KindRequest, Method: call.method, CallID: call.id}
	if call.deadline != 0 {
		h.Flags, h.Deadline = frame.FlagDeadline, call.deadline
	}
	msg, slot, err := finishMsg(t.sb, root, call.slot, &t.hints[call.method], t.prod, call.ctx)
	if err != nil {
		return t.mapErr(err)
	}
	// The reader role (or the pending entry) is settled before the request is copied
	// into its slot: see finishMsg. A solo call holds the role since begin.
	switch {
	case s.solo:
	case t.tryRead():
		// down is set before the reader that saw the failure leaves: a role taken
		// after fail ran sees it. fail running later comes from close, whose ring close
		// ends the read.
		if t.down.Load() {
			t.handOff()
			return t.downErr()
		}
		s.reader = true
	default:
		t.mu.Lock()
		if t.err != nil {
			err := t.err
			t.mu.Unlock()
			return err
		}
		t.addPendingLocked(call)
		if t.tryRead() { // the reader left meanwhile
			t.delPendingLocked(call.id)
			s.reader = true
		}
		t.mu.Unlock()
	}
	t.prod.Commit(putFrame(slot, t.scratch[:len(call.slot)-frame.HeaderSize], msg, &h))
	return nil
}

// downErr returns the error that took the connection down; call it once down is seen.
func (t *shmClient) downErr() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

// addPendingLocked and delPendingLocked change pending and npending together.
func (t *shmClient) addPendingLocked(call *Call) {
	t.pending[call.id] = call
	t.npending.Add(1)
}

func (t *shmClient) delPendingLocked(id uint64) {
	if _, ok := t.pending[id]; ok {
		delete(t.pending, id)
		t.npending.Add(-1)
	}
}

// wait blocks until call is settled. See the comment at the top of the file.
func (t *shmClient) wait(call *Call) error {
	s := t.st(call)
	if s.reader {
		if done, err := t.read(call, s); done {
			return err
		}
	}
	for {
		t.mu.Lock()
		if s.settled {
			t.mu.Unlock()
			return t.finish(call, s)
		}
		if t.err != nil {
			t.delPendingLocked(call.id)
			err := t.err
			t.mu.Unlock()
			return err
		}
		if t.tryRead() {
			t.mu.Unlock()
			done, err := t.read(call, s)
			if done {
				return err
			}
			continue
		}
		t.mu.Unlock()
		select {
		case <-s.sig:
		case <-call.ctx.Done():
			return t.abandon(call, s)
		}
	}
}

// finish turns a reply or error delivered by another reader into the call's result.
func (t *shmClient) finish(call *Call, s *shmCall) error {
	if s.err != nil {
		return s.err
	}
	if s.hdr.Kind == frame.KindError {
		return errorFromFrame(s.hdr.Aux, s.buf)
	}
	call.reply = s.buf
	return nil
}

// abandon gives up on a call whose context ended: it forgets the call, tells the
// server, and returns the context's error (or the answer, if it came meanwhile).
func (t *shmClient) abandon(call *Call, s *shmCall) error {
	t.mu.Lock()
	if s.settled {
		t.mu.Unlock()
		return t.finish(call, s)
	}
	t.delPendingLocked(call.id)
	s.reader = false
	t.wakeOneLocked()
	t.mu.Unlock()
	if call.deadline == 0 || time.Now().UnixNano() < call.deadline {
		t.sendCancel(call.id) // past the deadline the server ends the call itself
	}
	err := call.ctx.Err()
	if err == nil {
		err = context.DeadlineExceeded // the ring saw the deadline pass first
	}
	return ctxError(err)
}

// wakeOneLocked wakes one waiting caller to take the reader role when nobody holds it.
func (t *shmClient) wakeOneLocked() {
	if t.state.Load()&stRead != 0 || len(t.pending) == 0 {
		return
	}
	for _, w := range t.pending {
		select {
		case t.st(w).sig <- struct{}{}:
		default:
		}
		return
	}
}

// sendCancel runs after the call's request was sent, so no solo call holds stProd: a
// solo call starts only while no other call is in progress. Its caller's context has
// ended and the caller returns once the cancel is out, so it waits for the producer at
// most cancelWait: a holder that keeps it longer waits for room in a full request
// ring, and a cancel is then dropped, as it is when the ring itself is full (the
// server is busy; a deadline still ends the handler).
func (t *shmClient) sendCancel(id uint64) {
	if !t.prodMu.TryLock() {
		ctx, cancel := context.WithTimeout(context.Background(), cancelWait)
		err := t.lockProdSlow(ctx)
		cancel()
		if err != nil {
			return
		}
	}
	defer t.unlockProd()
	h := frame.Header{Kind: frame.KindCancel, CallID: id}
	slot, err := t.prod.TryReserve(frame.HeaderSize)
	if err != nil {
		return // best effort: a full ring means the server is busy; the deadline still holds
	}
	frame.PutHeader(slot, &h, 0)
	t.prod.Commit(frame.HeaderSize)
}

// read runs with the reader role: it reads answers until call's own arrives (done, with
// the reader role kept until release so the reply can be read in place), until call's
// context ends, or until the connection fails.
func (t *shmClient) read(call *Call, s *shmCall) (done bool, err error) {
	var h frame.Header // decoded in place: Parse's by-value copy costs a store-forwarding stall
	if t.unreleased {
		// The last solo call's reply: released here, with this call's request already
		// out, instead of on that call's way to its next request.
		t.unreleased = false
		t.cons.Release()
	}
	for {
		rec, err := t.cons.Peek(call.ctx)
		if err != nil {
			// Peek fails for the context (it may see the deadline pass a moment
			// before ctx.Err() does) or because the connection is down.
			if !isDown(err) && (call.ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)) {
				if !s.solo { // a solo call keeps the role until End
					t.state.Add(minus(stRead)) // abandon wakes a waiter to take it
				}
				return true, t.abandon(call, s)
			}
			t.fail(t.mapErr(err))
			t.leaveRead(s)
			return true, t.err
		}
		payload, n, ok, perr := frame.ParseInto(&h, rec, len(rec))
		if perr == nil && (!ok || n != len(rec)) {
			perr = fmt.Errorf("record of %d bytes holds a frame of %d", len(rec), n)
		}
		if perr != nil {
			t.fail(fmt.Errorf("%w: %v", ErrProtocol, perr))
			t.leaveRead(s)
			return true, t.err
		}
		switch h.Kind {
		case frame.KindReply, frame.KindError:
		case frame.KindGoAway, frame.KindPong:
			t.cons.Release()
			continue
		default:
			t.fail(fmt.Errorf("%w: server sent a %s frame", ErrProtocol, h.Kind))
			t.leaveRead(s)
			return true, t.err
		}
		mine := false
		if h.CallID == call.id {
			if mine = s.reader; mine {
				// Out of pending since send: nobody else can see the call.
				s.reader, s.settled = false, true
			} else {
				t.mu.Lock()
				if mine = t.pending[call.id] == call; mine {
					t.delPendingLocked(call.id)
					s.settled = true
				}
				t.mu.Unlock()
			}
		}
		if mine {
			if h.Kind == frame.KindError {
				err := errorFromFrame(h.Aux, payload)
				t.cons.Release()
				t.leaveRead(s)
				return true, err
			}
			call.reply, s.inPlace = payload, true
			return true, nil // release hands the reader role on
		}
		t.mu.Lock()
		owner := t.pending[h.CallID]
		t.delPendingLocked(h.CallID)
		if owner != nil {
			os := t.st(owner)
			os.hdr = h
			os.buf = append(os.buf[:0], payload...)
			os.settled = true
			select {
			case os.sig <- struct{}{}:
			default:
			}
		}
		t.mu.Unlock()
		t.cons.Release()
	}
}

// leaveRead gives up the reader role after read's call was settled, unless the call
// is solo (it keeps the role until End).
func (t *shmClient) leaveRead(s *shmCall) {
	if !s.solo {
		t.handOff()
	}
}

// tryRead takes the reader role if nobody holds it.
func (t *shmClient) tryRead() bool {
	for {
		v := t.state.Load()
		if v&stRead != 0 {
			return false
		}
		if t.state.CompareAndSwap(v, v|stRead) {
			return true
		}
	}
}

// handOff gives up the reader role and wakes a waiter to take it.
func (t *shmClient) handOff() {
	t.state.Add(minus(stRead))
	if t.npending.Load() != 0 { // after the add: see the comment at the top of the file
		t.mu.Lock()
		t.wakeOneLocked()
		t.mu.Unlock()
	}
}

func (t *shmClient) release(call *Call) {
	s, ok := call.state.(*shmCall)
	if !ok {
		return
	}
	if s.holdProd { // End without Invoke: abandon the reservation
		s.holdProd = false
		t.unlockProd()
	}
	if s.inPlace {
		s.inPlace = false
		t.unreleased = false // Release frees every record read so far
		t.cons.Release()
		t.handOff()
	}
	t.endCall()
}

// fail takes the connection down: every waiter gets err.
func (t *shmClient) fail(err error) {
	t.mu.Lock()
	if t.err == nil {
		t.err = err
		t.down.Store(true)
	}
	for id, w := range t.pending {
		ws := t.st(w)
		ws.err, ws.settled = t.err, true
		select {
		case ws.sig <- struct{}{}:
		default:
		}
		t.delPendingLocked(id)
	}
	t.mu.Unlock()
}

func isDown(err error) bool {
	return errors.Is(err, ring.ErrPeerDead) || errors.Is(err, ring.ErrClosed) || errors.Is(err, ring.ErrCorrupt)
}

func (t *shmClient) mapErr(err error) error {
	var e *Error
	switch {
	case errors.As(err, &e):
		return err
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return ctxError(err)
	case errors.Is(err, ring.ErrClosed):
		return unavailable(err, "connection closed")
	case errors.Is(err, ring.ErrPeerDead):
		return unavailable(err, "server gone")
	case errors.Is(err, ring.ErrCorrupt):
		return unavailable(err, "shared memory corrupt")
	case errors.Is(err, ring.ErrTooLarge):
		return &Error{Code: CodeResourceExhausted, Message: err.Error(), cause: err}
	}
	return unavailable(err, "shared memory")
}

func (t *shmClient) close() error {
	t.fail(&Error{Code: CodeUnavailable, Message: "client closed", cause: ErrClosed})
	t.state.Or(stClosing) // from now on the last call to end signals closed
	// ring.Conn.Close may race with any ring call (the mapping is retired in place, never
	// unmapped under a caller) and makes blocked ones return: calls fail promptly. Then
	// wait until every call has ended, so none uses the connection after Close returns.
	err := t.conn.Close()
	for t.state.Load()&(stSolo|stCalls) != 0 {
		if testHookCloseWait != nil {
			testHookCloseWait()
		}
		<-t.closed // a token may be stale (from a call that ended before): check again
	}
	// Pass the token on: Close may run in several goroutines at once, all waiting here,
	// and the last call to end leaves only one.
	select {
	case t.closed <- struct{}{}:
	default:
	}
	return err
}

// testHookCloseWait, when set (by tests only), runs in close before each wait for the
// calls in progress.
var testHookCloseWait func()

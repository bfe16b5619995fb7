package ring

import (
	"context"
	"time"

	"github.com/cellsubstrate/cell/futex"
)

// Producer writes records into one ring. Exactly one goroutine at a time may use a
// Producer; the type is separate from Consumer so that the compiler keeps the two sides
// apart. Slices it hands out point into shared memory and are valid until the next
// call on the Producer (or Close).
type Producer struct {
	data      []byte  // the ring's data area, len == size
	size      uint64  // power of two
	mask      uint64  // size - 1
	room      uint64  // size - 8: the slot after the last record is always ours to zero
	maxRec    int     // largest payload
	head      *uint64 // shared: the consumer's released position (untrusted)
	tail      *uint64 // shared: our published position (the consumer does not read it)
	pos       uint64  // next write position; [published, pos) is staged
	published uint64  // position of the first record not yet published
	first     uint64  // header of the record at published, stored by Flush (pos != published)
	headCache uint64  // last validated *head
	resvOff   uint64  // data offset of the current reservation's header
	resvLen   int     // payload bytes reserved; -1 when there is no reservation
	want      uint64  // bytes (with the slot after them) a blocked Reserve waits for
	light     bool    // the consumer fences before it parks: Flush needs no full barrier
	notify    futex.Event
	space     futex.Event
	life      *life

	// parkDone is the ctx's Done of the last blocked Reserve, for its park's condition (see
	// parkSpace).
	parkDone <-chan struct{}
}

// init wires the producer. fence is the barrier its Reserve makes before it parks,
// which the consumer needs when it releases space with publishPos; the consumer makes
// the same barrier before it parks for data, so Flush may then publish with
// publishHeader (see Consumer.init).
func (p *Producer) init(data []byte, ctl []byte, start uint64, spin time.Duration, fence futex.Fence, l *life) {
	p.data, p.size = data, uint64(len(data))
	p.mask = p.size - 1
	p.room = p.size - recHeaderSize
	p.maxRec = int(p.size/2 - recHeaderSize)
	p.head, p.tail = word64(ctl, ctlHead), word64(ctl, ctlTail)
	p.pos, p.published, p.headCache = start, start, start
	p.resvLen = -1
	p.light = fence != futex.FenceNone
	p.notify.Init(word32(ctl, ctlDataSeq), word32(ctl, ctlConsSleeps), 0)
	p.space.Init(word32(ctl, ctlSpaceSeq), word32(ctl, ctlProdSleeps), spin)
	p.space.SetFence(fence)
	p.life = l
}

// MaxRecord returns the largest payload a record may carry: half the ring, less a
// record header, so that an empty ring can always take the record in one piece.
func (p *Producer) MaxRecord() int { return p.maxRec }

// TryReserve returns a slice of exactly n writable bytes, contiguous in shared memory
// (a record never wraps), for the next record; it never blocks. It fails with ErrFull
// when the ring has no room now, ErrTooLarge when n > MaxRecord, ErrCorrupt when the
// consumer's position is invalid, ErrClosed or ErrPeerDead when the connection is down.
// The slice's capacity is n, so a builder can fill it from the back (b[:n:n]).
// Finish the record with Commit or Stage; a second reservation before that abandons the
// first, which the consumer never sees.
func (p *Producer) TryReserve(n int) ([]byte, error) {
	// Fast path: the record fits before the end of the data area and in the free space
	// the cached consumer position already shows (uint(n) <= uint(maxRec) also rejects
	// n < 0; then need <= size/2 and nothing overflows).
	need := recHeaderSize + align8(uint64(n))
	off := p.pos & p.mask
	if uint(n) <= uint(p.maxRec) && off+need <= p.size && p.pos+need-p.headCache <= p.room && !p.life.down.Load() {
		p.resvOff, p.resvLen = off, n
		start := off + recHeaderSize
		return p.data[start : start+uint64(n) : start+uint64(n)], nil
	}
	return p.tryReserveSlow(n)
}

func (p *Producer) tryReserveSlow(n int) ([]byte, error) {
	p.resvLen = -1 // a failed reservation abandons the previous one too
	if err := p.life.failed(); err != nil {
		return nil, err
	}
	if n < 0 || n > p.maxRec {
		return nil, ErrTooLarge
	}
	need := recHeaderSize + align8(uint64(n))
	off := p.pos & p.mask
	var pad uint64
	if off+need > p.size {
		pad = p.size - off
	}
	if p.pos+pad+need-p.headCache > p.room {
		if err := p.refreshHead(); err != nil {
			return nil, err
		}
		if p.pos+pad+need-p.headCache > p.room {
			return nil, ErrFull
		}
	}
	if pad > 0 {
		putHeader(p.data, 0, 0) // the slot after the pad reads "unwritten" before the pad is published
		p.putRecordHeader(off, recHeader(0, kindPad))
		p.pos += pad
		off = 0
	}
	p.resvOff, p.resvLen = off, n
	start := off + recHeaderSize
	return p.data[start : start+uint64(n) : start+uint64(n)], nil
}

// refreshHead loads and validates the consumer's position: it may only move forward,
// never past what we published, and stays 8-byte aligned.
func (p *Producer) refreshHead() error {
	h := loadPos(p.head)
	if h-p.headCache > p.published-p.headCache || h%recAlign != 0 {
		err := corrupt("consumer position", h, p.published)
		p.life.fail(err)
		return err
	}
	p.headCache = h
	return nil
}

// putRecordHeader writes the header of the record at data offset off, which starts at
// p.pos: kept back for Flush when that record is the first unpublished one (its slot
// stays zero, so the consumer sees none of the staged records), written at once
// otherwise (the consumer cannot reach it before Flush publishes the first).
func (p *Producer) putRecordHeader(off, h uint64) {
	if p.pos == p.published {
		p.first = h
		return
	}
	putHeader(p.data, off, h)
}

// Commit finishes the reserved record with its first n bytes (n <= the reserved
// length) and publishes it, with every staged record before it, to the consumer,
// waking the consumer if it sleeps. Calling Commit without a reservation, or with n
// larger than reserved, is a programming error and panics.
func (p *Producer) Commit(n int) {
	// Stage and Flush in one: with nothing staged before it (the usual case), the
	// record's own header is the one published.
	if p.resvLen < 0 || uint(n) > uint(p.resvLen) {
		panic("ring: Commit or Stage without a matching Reserve")
	}
	total := recHeaderSize + align8(uint64(n))
	putHeader(p.data, (p.resvOff+total)&p.mask, 0) // as in Stage
	off, h := p.resvOff, recHeader(uint32(n), kindData)
	if p.pos != p.published {
		putHeader(p.data, off, h)
		off, h = p.published&p.mask, p.first
	}
	p.pos += total
	p.resvLen = -1
	p.publish(off, h)
}

// Stage finishes the reserved record like Commit but does not publish it: the next
// Flush or Commit publishes every staged record with one store and at most one wake-up.
// A staged record the producer dies before publishing is never seen.
func (p *Producer) Stage(n int) {
	if p.resvLen < 0 || uint(n) > uint(p.resvLen) {
		panic("ring: Commit or Stage without a matching Reserve")
	}
	total := recHeaderSize + align8(uint64(n))
	// The slot after this record must read "unwritten" (zero) by the time this record is
	// visible: it may hold bytes of an older record's payload. Reserve left it ours.
	putHeader(p.data, (p.resvOff+total)&p.mask, 0)
	p.putRecordHeader(p.resvOff, recHeader(uint32(n), kindData))
	p.pos += total
	p.resvLen = -1
}

// Flush publishes every staged record and wakes the consumer if it sleeps.
func (p *Producer) Flush() {
	if p.pos == p.published {
		return
	}
	p.publish(p.published&p.mask, p.first)
}

// publish stores header h at data offset off, the first unpublished record's, which
// publishes every record up to p.pos, then tail, and wakes the consumer if it sleeps.
func (p *Producer) publish(off, h uint64) {
	// One store publishes the batch: the first staged record's header, a release store
	// (the consumer reads nothing of the records after it before it sees it). Then tail,
	// which the consumer does not read: on a connection whose consumer parks without a
	// fence, stored with the sequentially consistent store, whose full barrier orders
	// the header store before the sleeping flag's load in Notify (the Dekker argument).
	// Measured, that barrier costs the round trip much less on tail's line, which stays
	// in this core's cache, than as an XCHG of the header on the record's line, which
	// the consumer polls (spin RTT p50 ~470 ns against ~650 ns, with tail polled then).
	publishHeader(p.data, off, h)
	p.published = p.pos
	if p.light {
		putTail(p.tail, p.pos)
	} else {
		storePos(p.tail, p.pos)
	}
	p.notify.Notify()
}

// TryWrite copies rec into the ring as one record and publishes it; it never blocks.
// It fails as TryReserve does.
func (p *Producer) TryWrite(rec []byte) error {
	b, err := p.TryReserve(len(rec))
	if err != nil {
		return err
	}
	copy(b, rec)
	p.Commit(len(rec))
	return nil
}

// Reserve is TryReserve that waits while the ring is full: it publishes staged records,
// spins up to the configured budget, then parks until the consumer frees space, ctx is
// done (ctx.Err() is returned), or the connection goes down (ErrClosed, ErrPeerDead,
// ErrCorrupt). It allocates nothing.
func (p *Producer) Reserve(ctx context.Context, n int) ([]byte, error) {
	b, err := p.TryReserve(n)
	if err != ErrFull {
		return b, err
	}
	p.Flush() // the consumer may be waiting for what we staged
	off := p.pos & p.mask
	p.want = recHeaderSize + align8(uint64(n))
	if off+p.want > p.size {
		p.want += p.size - off
	}
	p.want += recHeaderSize // the slot after the record
	if err := spin(ctx, (*spaceCond)(p), p.space.Spin()); err != nil {
		return nil, err
	}
	if b, err = p.TryReserve(n); err != ErrFull {
		return b, err
	}
	// Parking: counted, so that Close can wait for parked calls to leave.
	p.life.inflight.Add(1)
	defer p.life.inflight.Add(-1)
	var pk parker
	defer pk.done()
	// Not cleared on return: only this loop's parks read it, and a third defer would
	// make the compiler stop open-coding this function's defers, which cost every
	// call a runtime.deferreturn, parked or not (rpc's BenchmarkUnary, +60 ns p50).
	p.parkDone = ctx.Done()
	for {
		if b, err = p.TryReserve(n); err != ErrFull {
			return b, err
		}
		timeout, err := pk.timeout(ctx)
		if err != nil {
			return nil, err
		}
		if testHookPark != nil {
			testHookPark()
		}
		if _, err := p.space.Park((*parkSpace)(p), timeout); err == futex.ErrTimeout {
			pk.timedOut(ctx, p.life)
		} else if err != nil {
			return nil, err
		}
	}
}

// Write is TryWrite that waits like Reserve.
func (p *Producer) Write(ctx context.Context, rec []byte) error {
	b, err := p.Reserve(ctx, len(rec))
	if err != nil {
		return err
	}
	copy(b, rec)
	p.Commit(len(rec))
	return nil
}

// Stats returns the futex counters of this side: Wakes are the wake-up syscalls it made
// for the consumer, Parks the times it slept waiting for space.
func (p *Producer) Stats() futex.Stats {
	n, s := p.notify.Stats(), p.space.Stats()
	return futex.Stats{Wakes: n.Wakes, Parks: s.Parks, Timeouts: s.Timeouts}
}

// spaceCond is the condition a blocked Reserve waits for: p.want free bytes, or the
// connection down.
type spaceCond Producer

func (c *spaceCond) Ready() bool {
	if c.life.down.Load() {
		return true
	}
	return c.pos+c.want-loadPos(c.head) <= c.size
}

// parkSpace is the condition of Reserve's parks: spaceCond, or the call's ctx done (see
// parkData).
type parkSpace Producer

func (c *parkSpace) Ready() bool { return (*spaceCond)(c).Ready() || isDone(c.parkDone) }

// spin polls cond for up to d (futex.Spin: no atomic read-modify-write, no wake-up), in
// slices of at most parkSlice so that a done ctx ends it (with ctx.Err()) even when d is
// long. It returns nil when cond holds or d has passed.
func spin(ctx context.Context, cond futex.Cond, d time.Duration) error {
	for d > 0 {
		slice := min(d, parkSlice)
		if futex.Spin(cond, slice) {
			return nil
		}
		d -= slice
		if ctx.Done() != nil {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
	}
	return nil
}

// testHookPark, when set (by tests only), runs in Peek's and Reserve's park loops right
// before each park, after the ctx check: a test cancels the ctx there.
var testHookPark func()

// parker is the parking state of one blocking call: after its first full parkSlice it
// arms a context.AfterFunc that wakes the connection's waiters once ctx ends, so that
// later parks may last parkLong without delaying a cancellation. That wake-up is a bump
// of the futex word, which a park checks its ctx against only through its condition
// (parkData, parkSpace): a bump made before the park read the word is spent, and the
// condition's re-check after that read is what sees the ctx done. The zero value is ready.
type parker struct {
	stop func() bool // disarms the AfterFunc; nil while none is armed
}

// timeout returns how long the next park may last given ctx: parkSlice, or parkLong
// once armed (or when ctx can never end), never past the deadline. It returns ctx.Err()
// once ctx is done.
func (pk *parker) timeout(ctx context.Context) (time.Duration, error) {
	if ctx.Done() == nil {
		return parkLong, nil
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	limit := parkSlice
	if pk.stop != nil {
		limit = parkLong
	}
	if d, ok := ctx.Deadline(); ok {
		left := time.Until(d)
		if left <= 0 {
			return 0, context.DeadlineExceeded
		}
		if left < limit {
			return left, nil
		}
	}
	return limit, nil
}

// timedOut records that a park ran its full time: the call is a long wait, so arm the
// wake-up on ctx's end (once).
func (pk *parker) timedOut(ctx context.Context, l *life) {
	if pk.stop == nil && ctx.Done() != nil {
		pk.stop = context.AfterFunc(ctx, l.wake)
	}
}

// done disarms the wake-up; a wake-up already under way is harmless (a spurious wake).
func (pk *parker) done() {
	if pk.stop != nil {
		pk.stop()
	}
}

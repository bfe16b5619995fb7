package ring

import (
	"context"
	"time"

	"github.com/cellsubstrate/cell/futex"
)

// Consumer reads records from one ring. Exactly one goroutine at a time may use a
// Consumer. Every value it reads from shared memory is checked before use; a bad one
// takes the connection down with a *CorruptError (matching ErrCorrupt).
//
// Records are read in place: the slices TryPeek and Peek return point into shared
// memory and stay valid until Release (or Close). Each Peek returns the record after the
// previous one, so a batch is several Peeks followed by one Release.
type Consumer struct {
	data     []byte
	size     uint64
	mask     uint64
	room     uint64 // size - 8: a record never reaches the slot before released+size
	maxRec   uint64
	head     *uint64 // shared: our released position
	pos      uint64  // read position, past every peeked record
	released uint64  // last value stored to *head
	touch    byte    // sink for dataCond's prefetching load
	light    bool    // release with publishPos: the producer fences before it parks
	wait     futex.Event
	notify   futex.Event
	life     *life

	// parkDone is the ctx's Done of the last blocked Peek, for its park's condition (see
	// parkData).
	parkDone <-chan struct{}
}

// init wires the consumer. fence is the barrier both sides make before they park; with
// one (not futex.FenceNone) Release publishes head with publishPos and the producer
// publishes records with publishHeader, neither a full barrier.
func (c *Consumer) init(data []byte, ctl []byte, start uint64, spin time.Duration, fence futex.Fence, l *life) {
	c.data, c.size = data, uint64(len(data))
	c.mask = c.size - 1
	c.room = c.size - recHeaderSize
	c.maxRec = c.size/2 - recHeaderSize
	c.head = word64(ctl, ctlHead)
	c.pos, c.released = start, start
	c.wait.Init(word32(ctl, ctlDataSeq), word32(ctl, ctlConsSleeps), spin)
	c.wait.SetFence(fence)
	c.notify.Init(word32(ctl, ctlSpaceSeq), word32(ctl, ctlProdSleeps), 0)
	c.light = fence != futex.FenceNone
	c.life = l
}

// TryPeek returns the next committed record without blocking. It fails with ErrEmpty
// when there is none (and the connection is up), ErrCorrupt on a bad shared value, and
// once the ring is drained, ErrClosed or ErrPeerDead when the connection is down:
// records committed before a peer died are still delivered.
func (c *Consumer) TryPeek() ([]byte, error) {
	// Fast path: a published data record at pos, checked as in decodeRecord. Everything
	// else (no record yet, a pad, a bad header) takes tryPeekSlow, which checks again.
	off := c.pos & c.mask
	h := loadHeader(c.data, off)
	length := uint64(uint32(h))
	total := recHeaderSize + align8(length)
	if uint32(h>>32) == kindData && length <= c.maxRec && off+total <= c.size && c.pos+total-c.released <= c.room {
		c.pos += total
		start := off + recHeaderSize
		return c.data[start : start+length : start+length], nil
	}
	return c.tryPeekSlow()
}

func (c *Consumer) tryPeekSlow() ([]byte, error) {
	if c.life.retired.Load() { // closed here: the memory is gone, there is nothing to drain
		return nil, c.life.failed()
	}
	down := c.life.failed() // before the load: nothing is published after death
	if down != nil && !isDrainable(down) {
		return nil, down
	}
	for range 2 { // at most: skip one pad record, read one record (a pad is never at 0)
		off := c.pos & c.mask
		h := loadHeader(c.data, off)
		if h == 0 {
			if down != nil {
				return nil, down
			}
			return nil, ErrEmpty
		}
		room := c.room - (c.pos - c.released)
		adv, length, pad, bad := decodeRecord(h, off, room, c.size, c.maxRec)
		if bad != "" {
			return nil, c.fail(bad, h, room)
		}
		c.pos += adv
		if !pad {
			start := off + recHeaderSize
			return c.data[start : start+length : start+length], nil
		}
	}
	return nil, c.fail("pad record sequence", c.pos, c.released)
}

// isDrainable reports whether records may still be read after the connection went down
// with err: yes after a close or a peer's death, no after corruption.
func isDrainable(err error) bool {
	_, bad := err.(*CorruptError)
	return !bad
}

func (c *Consumer) fail(field string, v, limit uint64) error {
	err := corrupt(field, v, limit)
	if !c.life.fail(err) {
		if prev := c.life.failed(); !isDrainable(prev) {
			return prev
		}
	}
	return err
}

// Release gives back the space of every record peeked so far, invalidating their
// slices, and wakes the producer if it sleeps waiting for space.
func (c *Consumer) Release() {
	if c.pos == c.released {
		return
	}
	c.released = c.pos
	if c.light {
		publishPos(c.head, c.pos)
	} else {
		storePos(c.head, c.pos)
	}
	c.notify.Notify()
}

// TryPeekBatch fills dst with up to len(dst) committed records without blocking and
// returns how many it filled; the error is the one that stopped it early, nil when dst
// was filled, and ErrEmpty when it found none. Release frees them all.
func (c *Consumer) TryPeekBatch(dst [][]byte) (int, error) {
	for i := range dst {
		rec, err := c.TryPeek()
		if err != nil {
			if i > 0 && err == ErrEmpty {
				err = nil
			}
			return i, err
		}
		dst[i] = rec
	}
	return len(dst), nil
}

// Peek is TryPeek that waits while the ring is empty: it spins up to the configured
// budget, then parks until the producer commits, ctx is done (ctx.Err() is returned),
// or the connection goes down. It allocates nothing.
func (c *Consumer) Peek(ctx context.Context) ([]byte, error) {
	rec, err := c.TryPeek()
	if err != ErrEmpty {
		return rec, err
	}
	if err := spin(ctx, (*dataCond)(c), c.wait.Spin()); err != nil {
		return nil, err
	}
	if rec, err = c.TryPeek(); err != ErrEmpty {
		return rec, err
	}
	// Parking: counted, so that Close can wait for parked calls to leave.
	c.life.inflight.Add(1)
	defer c.life.inflight.Add(-1)
	var pk parker
	defer pk.done()
	// Not cleared on return: only this loop's parks read it, and a third defer would
	// make the compiler stop open-coding this function's defers, which cost every
	// call a runtime.deferreturn, parked or not (rpc's BenchmarkUnary, +60 ns p50).
	c.parkDone = ctx.Done()
	for {
		if rec, err = c.TryPeek(); err != ErrEmpty {
			return rec, err
		}
		timeout, err := pk.timeout(ctx)
		if err != nil {
			return nil, err
		}
		if testHookPark != nil {
			testHookPark()
		}
		if _, err := c.wait.Park((*parkData)(c), timeout); err == futex.ErrTimeout {
			pk.timedOut(ctx, c.life)
		} else if err != nil {
			return nil, err
		}
	}
}

// PeekBatch waits like Peek for at least one record, then fills dst like TryPeekBatch.
func (c *Consumer) PeekBatch(ctx context.Context, dst [][]byte) (int, error) {
	if len(dst) == 0 {
		return 0, nil
	}
	rec, err := c.Peek(ctx)
	if err != nil {
		return 0, err
	}
	dst[0] = rec
	n, err := c.TryPeekBatch(dst[1:])
	if err == ErrEmpty {
		err = nil
	}
	return n + 1, err
}

// Stats returns the futex counters of this side: Wakes are the wake-up syscalls it made
// for the producer, Parks the times it slept waiting for data.
func (c *Consumer) Stats() futex.Stats {
	w, n := c.wait.Stats(), c.notify.Stats()
	return futex.Stats{Wakes: n.Wakes, Parks: w.Parks, Timeouts: w.Timeouts}
}

// dataCond is the condition a blocked Peek waits for: a new commit, or the connection
// down.
type dataCond Consumer

func (c *dataCond) Ready() bool {
	// The next record is published when its header slot turns non-zero. Every poll also
	// loads the line after the header's, where the rest of a 64-byte payload lies, before
	// it loads the header: when the producer writes the record, both lines are taken away
	// and the next poll's two misses overlap, instead of the payload's line following
	// the header's when the reader gets there. Measured (spin RTT p50), this beats
	// polling a separate tail word and then fetching both lines (~380 ns against ~450 ns,
	// spin floor ~315 ns). A plain load of a byte this side never trusts without
	// TryPeek's checks; the value is discarded.
	off := c.pos & c.mask
	c.touch += c.data[(off+64)&c.mask]
	return loadHeader(c.data, off) != 0 || c.life.down.Load()
}

// parkData is the condition of Peek's parks: dataCond, or the call's ctx done. A park
// re-checks its condition after it reads the futex word, and the wake-up a cancellation
// makes (the ctx's AfterFunc, see parker) is a bump of that word: one that came before
// the read is spent, so only this re-check can still see the cancellation (else the park
// slept its whole parkLong with its ctx done; TestCancelBeforePark). Not in dataCond:
// the spin polls that, and needs no ctx.
type parkData Consumer

func (c *parkData) Ready() bool { return (*dataCond)(c).Ready() || isDone(c.parkDone) }

// isDone reports whether done (a ctx's Done, nil for one that never ends) is closed.
func isDone(done <-chan struct{}) bool {
	select {
	case <-done:
		return true
	default:
		return false
	}
}

// decodeRecord checks the non-zero record header h found at data offset off (8-aligned,
// < size), where the record may occupy at most room bytes (what lies before the slot at
// released+size-8; room <= size-8, a multiple of 8). It returns how far the read
// position advances, the payload length of a data record, whether it was a pad record,
// and on a bad header the name of what was wrong. On success off+advance <= size,
// advance <= room and, for data, 8+length <= advance.
func decodeRecord(h, off, room, size, maxRec uint64) (advance, length uint64, pad bool, bad string) {
	length, kind := uint64(uint32(h)), uint32(h>>32)
	switch kind {
	case kindPad:
		skip := size - off
		if off == 0 || length != 0 || skip > room {
			return 0, 0, false, "pad record"
		}
		return skip, 0, true, ""
	case kindData:
		if length > maxRec {
			return 0, 0, false, "record length"
		}
		total := recHeaderSize + align8(length)
		if total > room || off+total > size {
			return 0, 0, false, "record extent"
		}
		return total, length, false, ""
	}
	return 0, 0, false, "record kind"
}

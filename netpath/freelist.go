package netpath

import (
	"context"
	"sync/atomic"
)

// freeList holds the indexes of a Client's free slots: a lock-free stack (Treiber),
// so that taking and returning a slot costs one CAS each rather than a channel's lock
// (the free-slot channel it replaced was a tenth of a pipelining client's CPU). The
// head word packs, from the low bits up, the top index plus one (0 is empty), the
// number of free slots (so that inUse costs no atomic of its own per call), and a tag
// bumped by every change, so that a pop that read a stale next index fails its CAS
// (no ABA; the tag wraps after 2^30 changes).
//
// Callers that find it empty wait on room, a one-token channel: put sends a token
// (without blocking) when someone waits, and a waiter that got a slot passes the token
// on while slots and waiters remain, so no waiter sleeps while a slot is free.
type freeList struct {
	head    atomic.Uint64
	_       [56]byte // head is written by every call; keep waiting off its line
	waiting atomic.Int32
	// peak is one more than the largest index ever handed out: the stack hands out
	// low indexes first, so slots at or past it have never been used (handoff looks
	// only below it). It only grows.
	peak atomic.Int32
	n    int32
	next []atomic.Uint32 // next[i]: the index plus one below slot i on the stack
	room chan struct{}
}

const (
	flBits    = 17 // enough for 1<<slotBits slots plus one
	flMask    = 1<<flBits - 1
	flFreeOne = 1 << flBits       // one free slot, in the count field
	flTagOne  = 1 << (2 * flBits) // one change, in the tag field
)

func (f *freeList) init(n int) {
	f.next = make([]atomic.Uint32, n)
	f.room = make(chan struct{}, 1)
	f.n = int32(n)
	for i := n - 1; i >= 0; i-- {
		f.push(uint32(i))
	}
}

// inUse returns the number of slots taken, for the callers' corking and spinning
// choices.
func (f *freeList) inUse() int32 {
	return f.n - int32(f.head.Load()>>flBits&flMask)
}

// tryGet pops a free slot index.
func (f *freeList) tryGet() (uint32, bool) {
	for {
		h := f.head.Load()
		top := uint32(h & flMask)
		if top == 0 {
			return 0, false
		}
		// A stale next (the slot was popped and pushed again meanwhile) is harmless:
		// the tag changed with it, so the CAS fails.
		n := f.next[top-1].Load()
		nh := (h&^flMask + flTagOne - flFreeOne) | uint64(n)
		if f.head.CompareAndSwap(h, nh) {
			for p := f.peak.Load(); int32(top) > p && !f.peak.CompareAndSwap(p, int32(top)); p = f.peak.Load() {
			}
			return top - 1, true
		}
	}
}

// get pops a free slot index, waiting for one until ctx is done.
func (f *freeList) get(ctx context.Context) (uint32, error) {
	if i, ok := f.tryGet(); ok {
		return i, nil
	}
	f.waiting.Add(1)
	defer f.waiting.Add(-1)
	for {
		// Counted as waiting before this try: a put after it sees the count.
		if i, ok := f.tryGet(); ok {
			if f.head.Load()&flMask != 0 && f.waiting.Load() > 1 {
				f.signal() // more room, and someone else waits
			}
			return i, nil
		}
		select {
		case <-f.room:
		case <-ctx.Done():
			return 0, context.Cause(ctx)
		}
	}
}

// put returns slot index i.
func (f *freeList) put(i uint32) {
	f.push(i)
	if f.waiting.Load() > 0 {
		f.signal()
	}
}

func (f *freeList) push(i uint32) {
	for {
		h := f.head.Load()
		f.next[i].Store(uint32(h & flMask))
		nh := (h&^flMask + flTagOne + flFreeOne) | uint64(i+1)
		if f.head.CompareAndSwap(h, nh) {
			return
		}
	}
}

func (f *freeList) signal() {
	select {
	case f.room <- struct{}{}:
	default:
	}
}

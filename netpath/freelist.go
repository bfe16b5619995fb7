package netpath

import (
	"context"
	"sync/atomic"
)

// freeList holds the indexes of a Client's free slots: a lock-free stack (Treiber),
// so that taking and returning a slot costs one CAS each rather than a channel's lock
// (the free-slot channel it replaced was a tenth of a pipelining client's CPU). The
// head word packs a tag (high 32 bits, bumped by every change, so a pop that read a
// stale next index fails its CAS: no ABA) and the top index plus one (low 32 bits; 0
// is empty). inUse counts slots taken, for the callers' corking and spinning choices.
//
// Callers that find it empty wait on room, a one-token channel: put sends a token
// (without blocking) when someone waits, and a waiter that got a slot passes the token
// on while slots and waiters remain, so no waiter sleeps while a slot is free.
type freeList struct {
	head    atomic.Uint64
	next    []atomic.Uint32 // next[i]: the index plus one below slot i on the stack
	inUse   atomic.Int32
	waiting atomic.Int32
	room    chan struct{}
}

func (f *freeList) init(n int) {
	f.next = make([]atomic.Uint32, n)
	f.room = make(chan struct{}, 1)
	for i := n - 1; i >= 0; i-- {
		f.push(uint32(i))
	}
	f.inUse.Store(0)
}

// tryGet pops a free slot index.
func (f *freeList) tryGet() (uint32, bool) {
	for {
		h := f.head.Load()
		top := uint32(h)
		if top == 0 {
			return 0, false
		}
		// A stale next (the slot was popped and pushed again meanwhile) is harmless:
		// the tag changed with it, so the CAS fails.
		n := f.next[top-1].Load()
		if f.head.CompareAndSwap(h, (h>>32+1)<<32|uint64(n)) {
			f.inUse.Add(1)
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
			if f.head.Load() != 0 && f.waiting.Load() > 1 {
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
	f.inUse.Add(-1)
	f.push(i)
	if f.waiting.Load() > 0 {
		f.signal()
	}
}

func (f *freeList) push(i uint32) {
	for {
		h := f.head.Load()
		f.next[i].Store(uint32(h))
		if f.head.CompareAndSwap(h, (h>>32+1)<<32|uint64(i+1)) {
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

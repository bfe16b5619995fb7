package rpc

import (
	"context"
)

// The solo path and the state word of the shared-memory client.
//
// A call that finds the connection idle (no call in progress, nobody reading, not
// closing) takes, with one compare-and-swap on shmClient.state, every role a call
// needs: the producer (stProd), the reader role (stRead) and its place among the calls
// in progress that Close waits for (stSolo). Its Call needs no atomic of its own:
// whoever holds stSolo owns soloCall; its id, like every request's on this path, is
// numbered by the producer's holder when it is sent. End gives stSolo and
// stRead back with one add. A lone caller thus makes two locked instructions per call
// where the general path makes about ten: on x86 each one waits until this core's
// pending stores have left its store buffer, and on this path those stores are often
// the ring records just written, on lines the peer's core polls, so each costs a
// cache-line transfer rather than a few cycles. Everything else a solo call does with
// atomics (stProd given back, the call counted in Stats) happens after its request is
// published, while the server works, off the round trip.
//
// The general path counts each of its calls in the state word (stCall, from begin to
// End), so no solo call starts while one runs; a general call that begins while a solo
// call runs waits for the solo call's request to be sent (stProd cleared) before it
// uses the producer, and enters pending (the reader role is taken) like any waiter.
//
// Hand-overs, each a pair of sequentially consistent operations on two sides:
//   - stProd: a general caller adds stCall, then loads stProd; a solo caller clears
//     stProd with an add and, when the result shows general calls, leaves a token in
//     prodFree. Either the caller sees stProd clear, or the solo caller sees the call
//     and the caller finds the token.
//   - closing: close sets stClosing, then waits while calls are in progress; a call
//     that ends with an add whose result shows stClosing and no call in progress leaves
//     a token in closed. Tokens may be stale (a call that began after close and failed):
//     close checks the word again after each. A close that leaves passes the token on,
//     for a close running beside it in another goroutine (TestConcurrentCloseSHM).
//   - the reader role: see shm.go.
const (
	stSolo    uint64 = 1 << 0        // a solo call is in progress, from Begin to End
	stProd    uint64 = 1 << 1        // the solo call holds the producer, until its request is sent
	stRead    uint64 = 1 << 2        // a caller holds the reader role (and the consumer)
	stClosing uint64 = 1 << 3        // close has begun
	stCall    uint64 = 1 << 8        // one general call in progress, from begin to End
	stCalls   uint64 = ^(stCall - 1) // the count of general calls in progress
)

// minus returns -x modulo 2^64: adding it takes x away (the compiler folds it for a
// constant x).
func minus(x uint64) uint64 { return -x }

// beginSolo starts a call of method on the solo path when the connection is idle. It
// returns ok == false, having done nothing, when it is not; else the call, or the
// error that ended it (the roles are then given back).
func (t *shmClient) beginSolo(ctx context.Context, method int) (call *Call, ok bool, err error) {
	if t.state.Load() != 0 || !t.state.CompareAndSwap(0, stSolo|stProd|stRead) {
		return nil, false, nil
	}
	call = t.soloCall
	if call == nil {
		call = &Call{c: t.c, solo: true}
		t.soloCall = call
	}
	s := t.st(call)
	s.settled, s.inPlace, s.reader, s.solo, s.holdProd, s.counted, s.err = false, false, true, true, true, false, nil
	t.soloCalls++
	call.ctx, call.method, call.id = ctx, uint32(method), 0 // the id is given at send
	call.deadline = 0
	if d, ok := ctx.Deadline(); ok {
		call.deadline = d.UnixNano()
	}
	if t.down.Load() {
		err = t.downErr()
	} else {
		err = t.reserve(call)
	}
	if err != nil {
		t.endSolo(call)
		return nil, true, err
	}
	return call, true, nil
}

// endSolo ends a solo call and gives back the roles with one add (stProd too, if the
// request was never sent). A reply read in place is left for the next reader to
// release (unreleased): Release's store of the ring position is a locked instruction
// when the server parks without a fence, and the next reader makes it after its own
// request is out, off the round trip. The record's bytes stay untouched until then
// (the server cannot reuse unreleased space); the caller may no longer read them.
func (t *shmClient) endSolo(call *Call) {
	s := call.state.(*shmCall)
	if s.inPlace {
		s.inPlace = false
		t.unreleased = true
	}
	if !s.counted {
		t.c.nextID.Add(1)
	}
	bits := stSolo | stRead
	if s.holdProd {
		s.holdProd = false
		bits |= stProd
	}
	call.reply, call.ctx = nil, nil
	if v := t.state.Add(minus(bits)); v != 0 {
		t.afterSolo(v, bits)
	}
}

// afterSolo does what a solo call's End owes to the other callers, given v, the state
// word after the add that gave back bits.
func (t *shmClient) afterSolo(v, bits uint64) {
	if v&stCalls != 0 {
		if bits&stProd != 0 {
			t.prodToken()
		}
		if t.npending.Load() != 0 { // after the add: see the reader role in shm.go
			t.mu.Lock()
			t.wakeOneLocked()
			t.mu.Unlock()
		}
	}
	t.closeToken(v)
}

// releaseProd gives back stProd once a solo call's request is sent.
func (t *shmClient) releaseProd() {
	if v := t.state.Add(minus(stProd)); v&stCalls != 0 {
		t.prodToken()
	}
}

func (t *shmClient) prodToken() {
	select {
	case t.prodFree <- struct{}{}:
	default:
	}
}

// waitProd waits, on the general path with prodMu held, until no solo call holds the
// producer.
func (t *shmClient) waitProd(ctx context.Context) error {
	for t.state.Load()&stProd != 0 {
		if testHookProdWait != nil {
			testHookProdWait()
		}
		select {
		case <-t.prodFree: // may be stale: check again
		case <-ctx.Done():
			return ctxError(ctx.Err())
		}
	}
	return nil
}

// endCall ends a call of the general path.
func (t *shmClient) endCall() {
	t.closeToken(t.state.Add(minus(stCall)))
}

// closeToken tells a waiting close that the last call has ended, given v, the state
// word after that call's add.
func (t *shmClient) closeToken(v uint64) {
	if v&stClosing != 0 && v&(stSolo|stCalls) == 0 {
		select {
		case t.closed <- struct{}{}:
		default:
		}
	}
}

// testHookProdWait, when set (by tests only), runs in waitProd before each wait for a
// solo call to give up the producer.
var testHookProdWait func()

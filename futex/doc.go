// Package futex waits and wakes on 32-bit words in memory shared between processes, and
// implements the idle strategy the shared-memory rings use: spin for a bounded time,
// then publish a "sleeping" flag, re-check, then park in FUTEX_WAIT with a timeout.
//
// # Operations
//
// Wait and Wake are thin wrappers over futex(2) with the shared operations FUTEX_WAIT
// and FUTEX_WAKE (never the _PRIVATE variants: the word lives in a MAP_SHARED mapping
// that another process maps at another address, and only the shared op keys the wait
// queue by the backing page rather than by the virtual address). They do not allocate:
// the errors they return are pre-allocated sentinels.
//
// # Event: the idle strategy
//
// An Event is a pair of words in shared memory, seq (the futex word) and sleeping (a
// flag), used by exactly one waiter and one notifier, usually in two processes:
//
//	waiter (Event.Wait)                      notifier (Event.Notify)
//	  spin: c.Ready()? for up to Spin          publish data (atomic store)
//	  s := load seq                            load sleeping
//	  swap sleeping = 1                        if sleeping != 0 and
//	  c.Ready()? -> store sleeping = 0, done      swap(sleeping, 0) != 0:
//	  FUTEX_WAIT(seq, s, timeout)                  add seq, 1
//	  store sleeping = 0                           FUTEX_WAKE(seq)
//
// Correctness is the store-buffer (Dekker) argument: the waiter stores sleeping then
// loads the data; the notifier stores the data then loads sleeping. Go's sync/atomic
// operations are sequentially consistent (on amd64 the stores are XCHG, full barriers),
// so at least one side sees the other's store: either the waiter sees the data and does
// not park, or the notifier sees sleeping == 1 and bumps seq. The waiter raises the flag
// with a swap: under the race detector atomic stores are release stores only, and to
// memory outside the Go heap (a shared segment) a plain MOV with no barrier, while a
// swap stays a locked instruction. A notifier publishing into shared memory needs the
// same care for its own store (ring's storePos).
//
// The bump must come after the waiter loaded s, so that FUTEX_WAIT either returns EAGAIN
// at once (seq != s) or is woken by the FUTEX_WAKE that follows. That is why the waiter
// loads s before it raises the flag, not after: a notifier's load and its swap are two
// steps, and a notifier that loaded the flag of an earlier park, then was delayed, can
// swap away the flag of the next one and bump seq at any point after it was raised. With
// s loaded first, any swap that takes a raised flag, and so the bump after it, comes
// after that park's s, and the park returns at once. (The other order lost a wake-up
// under load: the waiter read the bumped seq and slept with its flag already cleared;
// TestStaleNotifier replays it.) The notifier clears the flag with a swap before waking,
// so a burst of publications while the woken waiter is still getting back onto a CPU
// makes one syscall, not one each. It never makes one while the waiter is spinning,
// which is what keeps the fast path free of system calls (Stats counts them so
// benchmarks can show it).
//
// # Fences: a cheaper notifier
//
// With Event.SetFence, the waiter calls membarrier(2) after storing sleeping and before
// re-checking, which makes every running thread of the notifier's process (FenceProcess:
// this process; FenceSystem: every process that called EnableFence(FenceSystem))
// execute a full memory barrier. The notifier may then publish its data with a release
// store that is not a full barrier: if its load of sleeping came after that barrier it
// sees 1; otherwise its data store came before the barrier and the waiter's re-check
// sees it. The waiter pays a few µs per park; the notifier saves a locked instruction
// per publication. Notify itself is unchanged (its loads are plain; only the swap that
// precedes a wake-up is a read-modify-write).
//
// # Concurrency
//
// Wait and Wake are safe anywhere. One Event value belongs to one side: its Wait is
// called by one goroutine at a time (the waiter) and its Notify by one goroutine at a
// time (the notifier); the two sides normally hold distinct Event values over the same
// two words. Stats may be read concurrently.
//
// Only Linux has futexes; elsewhere Wait and Wake return errors.ErrUnsupported.
package futex

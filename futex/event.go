package futex

import (
	"sync"
	"sync/atomic"
	"time"
)

// fenceOnce and fenceOK remember, per Fence (process, system), whether registering this
// process for it worked.
var (
	fenceOnce [2]sync.Once
	fenceOK   [2]bool
)

// Cond reports whether the condition a waiter waits for holds. Ready must be cheap, must
// not block, and must read the data the notifier publishes with an atomic load.
type Cond interface {
	Ready() bool
}

// Event is one waiter/notifier pair of words in shared memory: seq, the futex word the
// notifier bumps, and sleeping, the flag the waiter raises before it parks. See the
// package documentation for the protocol and why it never loses a wake-up.
//
// The zero Event is not usable; call Init. An Event must not be copied after Init.
type Event struct {
	seq      *uint32
	sleeping *uint32
	spin     time.Duration
	fence    Fence

	wakes    atomic.Uint64 // FUTEX_WAKE syscalls made by Notify
	parks    atomic.Uint64 // FUTEX_WAIT syscalls made by Wait
	timeouts atomic.Uint64 // parks that ended by timeout
}

// Stats counts the system calls an Event made. Benchmarks use it to show that a
// notifier makes no syscall while its waiter spins.
type Stats struct {
	Wakes    uint64 // FUTEX_WAKE calls made by Notify and WakeAll
	Parks    uint64 // FUTEX_WAIT calls made by Wait
	Timeouts uint64 // parks that ended by their timeout
}

// Init points e at its two words and sets the spin budget: how long Wait polls its
// condition before it parks. A spin <= 0 parks at once after one check, which is the
// right choice when waiter and notifier share a CPU. Both words must be 4-byte aligned
// and stay mapped for as long as e is used.
func (e *Event) Init(seq, sleeping *uint32, spin time.Duration) {
	e.seq, e.sleeping, e.spin = seq, sleeping, spin
}

// Spin returns the spin budget set by Init.
func (e *Event) Spin() time.Duration { return e.spin }

// Stats returns the counters of e. It is safe to call concurrently with Wait and Notify.
func (e *Event) Stats() Stats {
	return Stats{Wakes: e.wakes.Load(), Parks: e.parks.Load(), Timeouts: e.timeouts.Load()}
}

// Wait returns when c.Ready() is true (ready == true), or after one park that ended by
// a wake-up, a spurious return or the timeout (ready == c.Ready() then; err ==
// ErrTimeout when the timeout expired). Callers loop, re-checking their own deadline.
// timeout <= 0 parks without a timeout. Only the waiter side calls Wait.
func (e *Event) Wait(c Cond, timeout time.Duration) (ready bool, err error) {
	return e.wait(c, e.spin, timeout)
}

// Park is Wait without the spin: for a waiter that already spun once and woke from a
// park without its condition (a timeout slice), spinning again would only burn CPU.
func (e *Event) Park(c Cond, timeout time.Duration) (ready bool, err error) {
	return e.wait(c, 0, timeout)
}

func (e *Event) wait(c Cond, spin, timeout time.Duration) (ready bool, err error) {
	if c.Ready() {
		return true, nil
	}
	if Spin(c, spin) {
		return true, nil
	}
	// Read seq, then publish sleeping, then re-check (see the package doc). seq is read
	// first: a notifier that saw this waiter's flag from an earlier park, and was
	// delayed before its swap, may clear the flag raised below and bump seq. Had s
	// been read after that bump, this park would sleep with its flag cleared and
	// nobody left to wake it; read before, FUTEX_WAIT returns at once (seq != s).
	s := atomic.LoadUint32(e.seq)
	// A swap, not a store, though both are an XCHG on amd64: under the race detector a
	// Store to memory outside the Go heap (a shared segment) is a plain MOV, and this
	// store must be ordered before the re-check's loads (the Dekker argument).
	atomic.SwapUint32(e.sleeping, 1)
	if testHookRaised != nil {
		testHookRaised()
	}
	if e.fence != FenceNone && fence(e.fence) != nil {
		// Registered but refused: the notifier's last release store may still be in
		// its store buffer, so this park could miss it. Keep the park short instead
		// of risking a lost wake-up.
		timeout = shortPark
	}
	if c.Ready() {
		atomic.StoreUint32(e.sleeping, 0)
		return true, nil
	}
	e.parks.Add(1)
	err = Wait(e.seq, s, timeout)
	atomic.StoreUint32(e.sleeping, 0)
	if err == ErrTimeout {
		e.timeouts.Add(1)
	}
	return c.Ready(), err
}

// testHookRaised, when set (by tests only), runs in wait right after the sleeping flag
// is raised: a test plays a delayed notifier there.
var testHookRaised func()

// shortPark bounds a park whose fence failed (which EnableFence makes unexpected).
const shortPark = time.Millisecond

// Spin polls c.Ready for up to d and reports whether it became true; d <= 0 checks
// once. It makes no wake-up or wait system call. Every SpinYield of polling it yields
// its thread's CPU (sched_yield(2)): with the notifier on another CPU that returns at
// once, but when the notifier shares this CPU (co-located processes, an oversubscribed
// machine) it lets the notifier run now instead of after the whole spin (measured: a
// round trip between two spinning processes on one vCPU went from about 106 µs, two
// 50 µs spins, to a few µs).
func Spin(c Cond, d time.Duration) bool {
	if c.Ready() {
		return true
	}
	if d <= 0 {
		return false
	}
	start := time.Now()
	next := SpinYield
	for i := 1; ; i++ {
		if c.Ready() {
			return true
		}
		// Reading the clock costs tens of ns; check it every 64 polls.
		if i&63 == 0 {
			el := time.Since(start)
			if el >= d {
				return false
			}
			if el >= next {
				yield()
				next = el + SpinYield
			}
		}
	}
}

// SpinYield is how long Spin polls between two yields of its CPU.
const SpinYield = 2 * time.Microsecond

// Notify wakes the waiter if it published that it sleeps; call it after publishing the
// data the waiter's Cond reads. It makes a system call only in that case, and reports
// whether it did. Only the notifier side calls Notify.
func (e *Event) Notify() (bool, error) {
	// Small enough to inline: the common case, a waiter that does not sleep, costs the
	// caller one load of a line the waiter writes only when it parks.
	if atomic.LoadUint32(e.sleeping) == 0 {
		return false, nil
	}
	return e.wake()
}

// wake is Notify once the flag was seen set.
func (e *Event) wake() (bool, error) {
	// Clearing the flag here, not only when the waiter wakes, makes one wake-up per
	// sleep: the waiter may take tens of µs to run again, and a notifier that publishes
	// meanwhile must not make a syscall each time.
	if atomic.SwapUint32(e.sleeping, 0) == 0 {
		return false, nil
	}
	atomic.AddUint32(e.seq, 1)
	e.wakes.Add(1)
	_, err := Wake(e.seq, 1)
	return true, err
}

// WakeAll bumps seq and wakes every waiter whatever the sleeping flag says. It is for
// shutdown paths (closing, a dead peer), may be called from any goroutine, and always
// makes a system call.
func (e *Event) WakeAll() error {
	atomic.AddUint32(e.seq, 1)
	e.wakes.Add(1)
	_, err := Wake(e.seq, 0)
	return err
}

package futex

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

type flagCond struct{ v atomic.Uint32 }

func (c *flagCond) Ready() bool { return c.v.Load() != 0 }

// TestStaleNotifier replays the interleaving that lost a wake-up: a notifier loaded the
// sleeping flag of one park, was delayed, and then, between the waiter raising its flag
// for the next park and reading seq, swapped that flag away and bumped seq (waking
// nobody). The waiter must not sleep through the real notification that follows: with
// seq read after the flag, it parked on the bumped seq with its flag cleared, and the
// next Notify, seeing no flag, made no wake-up, so the park below ran into its timeout.
func TestStaleNotifier(t *testing.T) {
	var words [2]uint32
	var w, n Event
	w.Init(&words[0], &words[1], 0)
	n.Init(&words[0], &words[1], 0)
	var c flagCond

	var stale atomic.Bool
	testHookRaised = func() {
		if stale.CompareAndSwap(false, true) {
			// The delayed notifier's second half: swap, bump, wake.
			if atomic.SwapUint32(&words[1], 0) != 1 {
				t.Error("the waiter's flag was not raised")
			}
			atomic.AddUint32(&words[0], 1)
			Wake(&words[0], 1)
		}
	}
	defer func() { testHookRaised = nil }()

	// Bounded: a lost wake-up shows as ErrTimeout after this, not as a hang.
	const park = 2 * time.Second
	done := make(chan error, 1)
	go func() {
		for !c.Ready() {
			if _, err := w.Wait(&c, park); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	// Publish once the waiter has raised its flag again after the stale swap (or after
	// the bound, when it never does: then it sleeps with its flag cleared).
	deadline := time.Now().Add(park)
	for !(stale.Load() && atomic.LoadUint32(&words[1]) == 1) && time.Now().Before(deadline) {
		time.Sleep(100 * time.Microsecond)
	}
	c.v.Store(1)
	if _, err := n.Notify(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		if errors.Is(err, ErrTimeout) {
			t.Fatal("the waiter slept through the notification: lost wake-up")
		}
		t.Fatal(err)
	}
	if s := w.Stats(); s.Timeouts != 0 {
		t.Fatalf("%d parks ended by timeout", s.Timeouts)
	}
}

package futex_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/cellsubstrate/cell/futex"
)

func TestWaitTimeout(t *testing.T) {
	var w uint32 = 7
	if err := futex.Wait(&w, 7, time.Millisecond); err != futex.ErrTimeout {
		t.Fatalf("Wait on an unchanged word = %v, want ErrTimeout", err)
	}
}

func TestWaitValueChanged(t *testing.T) {
	var w uint32 = 7
	// *addr != val: the kernel returns EAGAIN at once, which is not an error.
	if err := futex.Wait(&w, 8, time.Hour); err != nil {
		t.Fatalf("Wait with a stale value = %v, want nil", err)
	}
}

func TestWakeWakesWaiter(t *testing.T) {
	var w uint32
	done := make(chan error, 1)
	go func() {
		for atomic.LoadUint32(&w) == 0 {
			if err := futex.Wait(&w, 0, 10*time.Second); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	time.Sleep(time.Millisecond) // let it park (not required for correctness)
	atomic.StoreUint32(&w, 1)
	if _, err := futex.Wake(&w, 1); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("waiter: %v", err)
	}
}

func TestWaitUnaligned(t *testing.T) {
	var buf [8]uint32
	if _, err := futex.Wake(unalignedWord(&buf), 1); err != futex.ErrInvalid {
		t.Fatalf("Wake on an unaligned word = %v, want ErrInvalid", err)
	}
}

// counter is a Cond: ready when n has passed want.
type counter struct {
	n    atomic.Uint64
	want uint64
}

func (c *counter) Ready() bool { return c.n.Load() >= c.want }

// TestEventPingPong bounces a token between two goroutines through two Events with no
// spin, so every hand-over takes the park path, and checks that no wake-up is lost (a
// lost one would end a park by its timeout) and every round is seen once.
// Each fence the waiters can make is tried: the barrier must not change the outcome.
func TestEventPingPong(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fence futex.Fence
	}{{"none", futex.FenceNone}, {"process", futex.FenceProcess}, {"system", futex.FenceSystem}} {
		t.Run(tc.name, func(t *testing.T) {
			if !futex.EnableFence(tc.fence) {
				t.Skipf("membarrier(2) fence %d unavailable here (old kernel or seccomp)", tc.fence)
			}
			eventPingPong(t, tc.fence)
		})
	}
}

func eventPingPong(t *testing.T, fence futex.Fence) {
	const rounds = 20000
	var words [4]uint32
	var ping, pong counter
	var aWait, aNotify, bWait, bNotify futex.Event
	aWait.Init(&words[0], &words[1], 0)
	bNotify.Init(&words[0], &words[1], 0)
	bWait.Init(&words[2], &words[3], 0)
	aNotify.Init(&words[2], &words[3], 0)
	aWait.SetFence(fence)
	bWait.SetFence(fence)
	const park = 20 * time.Second
	done := make(chan error, 1)
	go func() { // b: wait for ping i, answer pong i
		for i := uint64(1); i <= rounds; i++ {
			ping.want = i
			for !ping.Ready() {
				if _, err := bWait.Wait(&ping, park); err != nil {
					done <- err
					return
				}
			}
			pong.n.Add(1)
			if _, err := bNotify.Notify(); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for i := uint64(1); i <= rounds; i++ {
		ping.n.Add(1)
		if _, err := aNotify.Notify(); err != nil {
			t.Fatal(err)
		}
		pong.want = i
		for !pong.Ready() {
			if _, err := aWait.Wait(&pong, park); err != nil {
				t.Fatalf("round %d: %v", i, err)
			}
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if s := aWait.Stats(); s.Timeouts != 0 {
		t.Fatalf("a parked into its timeout %d times: lost wake-up", s.Timeouts)
	}
	if s := bWait.Stats(); s.Timeouts != 0 {
		t.Fatalf("b parked into its timeout %d times: lost wake-up", s.Timeouts)
	}
	if ping.n.Load() != rounds || pong.n.Load() != rounds {
		t.Fatalf("ping %d pong %d, want %d each", ping.n.Load(), pong.n.Load(), rounds)
	}
}

// TestNoWakeWhileSpinning: while the waiter spins (its budget far exceeds the run), the
// notifier never makes a syscall.
func TestNoWakeWhileSpinning(t *testing.T) {
	const rounds = 2000
	var words [2]uint32
	var c counter
	var w, n futex.Event
	w.Init(&words[0], &words[1], time.Minute)
	n.Init(&words[0], &words[1], 0)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := uint64(1); i <= rounds; i++ {
			c.want = i
			for !c.Ready() {
				w.Wait(&c, time.Minute)
			}
		}
	}()
	for i := 0; i < rounds; i++ {
		c.n.Add(1)
		n.Notify()
	}
	<-done
	if s, ws := n.Stats(), w.Stats(); s.Wakes != 0 || ws.Parks != 0 {
		t.Fatalf("spinning waiter: %d wake syscalls, %d parks; want 0", s.Wakes, ws.Parks)
	}
}

func TestZeroAllocs(t *testing.T) {
	var words [2]uint32
	var c counter
	c.want = 0
	var e futex.Event
	e.Init(&words[0], &words[1], 0)
	for name, f := range map[string]func(){
		"Wait stale":   func() { futex.Wait(&words[0], 99, time.Second) },
		"Wait timeout": func() { futex.Wait(&words[0], 0, time.Microsecond) },
		"Wake":         func() { futex.Wake(&words[0], 1) },
		"Event.Wait":   func() { e.Wait(&c, time.Second) },
		"Event.Notify": func() { e.Notify() },
	} {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s: %v allocs, want 0", name, n)
		}
	}
}

// TestOneWakePerSleep: a burst of notifications to a waiter that parked once makes one
// wake-up syscall, not one per notification.
func TestOneWakePerSleep(t *testing.T) {
	var words [2]uint32
	var c counter
	c.want = 1 // never reached: the waiter parks once and returns not ready
	var w, n futex.Event
	w.Init(&words[0], &words[1], 0)
	n.Init(&words[0], &words[1], 0)
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Wait(&c, 10*time.Second)
	}()
	for atomic.LoadUint32(&words[1]) == 0 { // until the waiter published that it sleeps
		time.Sleep(100 * time.Microsecond)
	}
	for i := 0; i < 100; i++ {
		n.Notify()
	}
	<-done
	if s := n.Stats(); s.Wakes != 1 {
		t.Fatalf("100 notifications to one sleep made %d wake syscalls, want 1", s.Wakes)
	}
}

// TestEnableFence: FenceNone always works, and every answer is stable.
func TestEnableFence(t *testing.T) {
	if !futex.EnableFence(futex.FenceNone) {
		t.Fatal("EnableFence(FenceNone) = false")
	}
	for _, f := range []futex.Fence{futex.FenceProcess, futex.FenceSystem} {
		if a, b := futex.EnableFence(f), futex.EnableFence(f); a != b {
			t.Errorf("EnableFence(%d) changed its answer: %v then %v", f, a, b)
		}
	}
	if futex.EnableFence(futex.Fence(99)) {
		t.Error("EnableFence of an unknown fence = true")
	}
}

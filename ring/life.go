package ring

import (
	"sync"
	"sync/atomic"
	"time"
)

// life is the process-local state of one connection or pipe shared by its Producer, its
// Consumer and its monitor: whether it is still up and, once down, why. It lives in
// ordinary Go memory, never in the segment, so a peer cannot write it.
type life struct {
	down     atomic.Bool  // set once, after err
	retired  atomic.Bool  // set by Close before the shared memory is replaced by zeros
	inflight atomic.Int32 // blocking calls in their slow path; Close waits for 0 before retiring the memory
	mu       sync.Mutex
	err      error         // written under mu before down is set; read only after down is seen
	done     chan struct{} // closed when down is set
	wake     func()        // wakes every local waiter
}

func (l *life) init(wake func()) {
	l.wake = wake
	l.done = make(chan struct{})
}

// failed returns the error that took the connection down, or nil while it is up.
func (l *life) failed() error {
	if !l.down.Load() {
		return nil
	}
	return l.err
}

// fail takes the connection down with err (the first call wins) and wakes every local
// waiter. It reports whether this call was the first.
func (l *life) fail(err error) bool {
	l.mu.Lock()
	if l.down.Load() {
		l.mu.Unlock()
		return false
	}
	l.err = err
	l.down.Store(true)
	close(l.done)
	l.mu.Unlock()
	l.wake()
	return true
}

// drain waits up to d for every blocking call to return, and reports whether they did.
// A call that starts after down is set sees it at once: it increments inflight before
// its first check of down (both sequentially consistent), so drain cannot miss it.
func (l *life) drain(d time.Duration) bool {
	end := time.Now().Add(d)
	for l.inflight.Load() != 0 {
		if time.Now().After(end) {
			return false
		}
		l.wake()
		time.Sleep(100 * time.Microsecond)
	}
	return true
}

package futex_test

import (
	"testing"
	"time"

	"github.com/cellsubstrate/cell/futex"
)

// BenchmarkNotify is the notifier's cost when the waiter is not asleep: one load, no
// system call. This is what every ring publication pays while the peer spins.
func BenchmarkNotify(b *testing.B) {
	var words [2]uint32
	var e futex.Event
	e.Init(&words[0], &words[1], 0)
	b.ReportAllocs()
	for b.Loop() {
		e.Notify()
	}
	if s := e.Stats(); s.Wakes != 0 {
		b.Fatalf("%d wake syscalls with no sleeper", s.Wakes)
	}
}

// BenchmarkWake is the cost of the FUTEX_WAKE system call itself (no waiter): what a
// notifier pays when its peer sleeps.
func BenchmarkWake(b *testing.B) {
	var w uint32
	b.ReportAllocs()
	for b.Loop() {
		futex.Wake(&w, 1)
	}
}

// BenchmarkSpinReady is Event.Wait when the condition already holds: the waiter's fast
// path.
func BenchmarkSpinReady(b *testing.B) {
	var words [2]uint32
	var c counter
	var e futex.Event
	e.Init(&words[0], &words[1], time.Microsecond)
	b.ReportAllocs()
	for b.Loop() {
		e.Wait(&c, time.Second)
	}
}

package futex

// Fence is the memory barrier an Event's waiter makes after it raises its sleeping flag
// and before it re-checks its condition. It lets the notifier publish its data with a
// release store that is not a full barrier (on amd64 a plain MOV instead of an XCHG):
// the waiter's barrier makes up for the notifier's, once per park instead of once per
// publication. See the package documentation for the argument.
type Fence uint8

const (
	// FenceNone makes no barrier: the notifier must publish with sequentially
	// consistent stores (sync/atomic), which are full barriers.
	FenceNone Fence = iota

	// FenceProcess forces a full barrier on every running thread of this process
	// (membarrier(2) MEMBARRIER_CMD_PRIVATE_EXPEDITED): for a notifier in this process.
	FenceProcess

	// FenceSystem forces a full barrier on every running thread of every process that
	// enabled it (MEMBARRIER_CMD_GLOBAL_EXPEDITED): for a notifier in another process,
	// which must itself have called EnableFence(FenceSystem).
	FenceSystem
)

// EnableFence registers this process for f (once; later calls return the first
// answer) and reports whether f works here: it needs Linux 4.16 or later and a seccomp
// policy that allows membarrier(2). FenceNone always works. A process that publishes
// with release stores to a waiter in another process must have enabled FenceSystem,
// or the waiter's barrier does not reach its threads.
func EnableFence(f Fence) bool {
	switch f {
	case FenceNone:
		return true
	case FenceProcess:
		fenceOnce[0].Do(func() { fenceOK[0] = enableFence(f) })
		return fenceOK[0]
	case FenceSystem:
		fenceOnce[1].Do(func() { fenceOK[1] = enableFence(f) })
		return fenceOK[1]
	}
	return false
}

// SetFence makes the waiter of e make barrier f before every park (the zero Event makes
// none). Call it after Init, before the Event is used, and only with a Fence for which
// EnableFence returned true.
func (e *Event) SetFence(f Fence) { e.fence = f }

// Fence returns the barrier set by SetFence.
func (e *Event) Fence() Fence { return e.fence }

package futex

import (
	"fmt"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The shared (non-private) futex operations from <linux/futex.h>.
const (
	opWait = 0 // FUTEX_WAIT
	opWake = 1 // FUTEX_WAKE
)

// Wait blocks while *addr == val, until a Wake on the same word, the timeout or a
// spurious wake-up. It returns nil when woken, when *addr != val on entry (the kernel's
// EAGAIN) and on EINTR; ErrTimeout when the timeout expired. A timeout <= 0 waits with
// no timeout. Callers re-check their condition after every return.
func Wait(addr *uint32, val uint32, timeout time.Duration) error {
	var tsp uintptr
	var ts unix.Timespec
	if timeout > 0 {
		ts = unix.NsecToTimespec(int64(timeout))
		tsp = uintptr(unsafe.Pointer(&ts))
	}
	// addr points into a MAP_SHARED mapping or Go memory; the kernel reads it atomically.
	_, _, e := unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), opWait, uintptr(val), tsp, 0, 0)
	return waitErr(e)
}

func waitErr(e unix.Errno) error {
	switch e {
	case 0, unix.EAGAIN, unix.EINTR:
		return nil
	case unix.ETIMEDOUT:
		return ErrTimeout
	}
	return errnoErr(e)
}

// Wake wakes up to n waiters (n <= 0 means all) blocked in Wait on addr, in this or any
// other process that maps the same memory. It returns how many it woke.
func Wake(addr *uint32, n int) (int, error) {
	if n <= 0 {
		n = 1<<31 - 1
	}
	r, _, e := unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), opWake, uintptr(n), 0, 0, 0)
	if e != 0 {
		return 0, errnoErr(e)
	}
	return int(r), nil
}

func errnoErr(e unix.Errno) error {
	switch e {
	case unix.EFAULT:
		return ErrFault
	case unix.EINVAL:
		return ErrInvalid
	}
	return fmt.Errorf("futex: %w", e) // unexpected (ENOSYS, ...): allocating is fine here
}

// membarrier(2) commands from <linux/membarrier.h>.
const (
	mbQuery                    = 0
	mbGlobalExpedited          = 1 << 1
	mbRegisterGlobalExpedited  = 1 << 2
	mbPrivateExpedited         = 1 << 3
	mbRegisterPrivateExpedited = 1 << 4
)

func membarrier(cmd int) (int, unix.Errno) {
	r, _, e := unix.Syscall(unix.SYS_MEMBARRIER, uintptr(cmd), 0, 0)
	return int(r), e
}

// enableFence registers the process for f and checks that the barrier itself works.
func enableFence(f Fence) bool {
	reg, cmd := mbRegisterPrivateExpedited, mbPrivateExpedited
	if f == FenceSystem {
		reg, cmd = mbRegisterGlobalExpedited, mbGlobalExpedited
	}
	if mask, e := membarrier(mbQuery); e != 0 || mask&cmd == 0 {
		return false
	}
	if _, e := membarrier(reg); e != 0 {
		return false
	}
	_, e := membarrier(cmd)
	return e == 0
}

// fence makes barrier f: when it returns, every thread it covers has executed a full
// memory barrier (or a context switch, which is one) since it was called.
func fence(f Fence) error {
	cmd := mbPrivateExpedited
	if f == FenceSystem {
		cmd = mbGlobalExpedited
	}
	if _, e := membarrier(cmd); e != 0 {
		return errnoErr(e)
	}
	return nil
}

// yield gives this thread's CPU to another runnable thread, if one waits for it.
func yield() { unix.RawSyscall(unix.SYS_SCHED_YIELD, 0, 0, 0) }

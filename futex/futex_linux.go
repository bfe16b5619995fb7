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

package netpath

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Raw socket calls for the hot path. x/sys's Recvfrom converts the sender's address
// (it allocates one for a Unix socket) and its SendmsgN builds a msghdr; a connected
// stream socket needs neither. This file holds the package's only unsafe code.

// recvNB reads what is there without blocking (EAGAIN when nothing is), whatever the
// socket's blocking mode.
func recvNB(fd int, p []byte) (int, error) {
	return sysIO(unix.SYS_RECVFROM, fd, p, unix.MSG_DONTWAIT)
}

// sendNB writes without blocking, whatever the socket's blocking mode, and without
// raising SIGPIPE when the peer is gone (EPIPE is returned instead).
func sendNB(fd int, p []byte) (int, error) {
	return sysIO(unix.SYS_SENDTO, fd, p, unix.MSG_DONTWAIT|unix.MSG_NOSIGNAL)
}

func sysIO(trap uintptr, fd int, p []byte, flags int) (int, error) {
	var ptr unsafe.Pointer
	if len(p) > 0 {
		// The kernel reads or writes at most len(p) bytes from &p[0]; p stays
		// reachable (it is an argument) until the call returns.
		ptr = unsafe.Pointer(&p[0])
	}
	n, _, e := unix.Syscall6(trap, uintptr(fd), uintptr(ptr), uintptr(len(p)), uintptr(flags), 0, 0)
	if e != 0 {
		return 0, e // an Errno below 256 converts to error without allocating
	}
	return int(n), nil
}

// osYield gives this thread's vCPU to another runnable thread, if any (sched_yield).
func osYield() { _, _, _ = unix.Syscall(unix.SYS_SCHED_YIELD, 0, 0, 0) }

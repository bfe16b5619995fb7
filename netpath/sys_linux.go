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

// spinSet is an epoll set holding every connection of a Server. An event loop that
// spins between batches (ServerConfig.SpinWait) polls it, never waits on it, to learn
// whether any connection has bytes to read; gnet's own epoll set is not reachable.
type spinSet struct{ ep int }

// spinEvent is one poller's scratch for spinSet.ready.
type spinEvent [1]unix.EpollEvent

func newSpinSet() (spinSet, error) {
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	return spinSet{ep}, err
}

// add and del enroll and remove a connection's fd: add before its first read, del
// before the fd is closed (gnet closes it after OnClose).
func (s spinSet) add(fd int) error {
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP, Fd: int32(fd)}
	return unix.EpollCtl(s.ep, unix.EPOLL_CTL_ADD, fd, &ev)
}

func (s spinSet) del(fd int) { _ = unix.EpollCtl(s.ep, unix.EPOLL_CTL_DEL, fd, nil) }

func (s spinSet) close() { unix.Close(s.ep) }

// ready reports whether a connection in the set has bytes (or a hang-up) pending,
// without blocking.
func (s spinSet) ready(ev *spinEvent) bool {
	n, _ := unix.EpollWait(s.ep, ev[:], 0)
	return n > 0
}

//go:build unix

package netpath

import "golang.org/x/sys/unix"

// prepareClientFD readies a client connection's socket: blocking mode, so that a
// waiting reader blocks in read(2) itself rather than in poll(2) followed by read(2)
// (every other read and write passes MSG_DONTWAIT); a receive timeout of one poll
// slice, so that a blocked reader wakes to look at its context; and TCP_NODELAY on TCP
// (Go's net package sets it already; stated here where the socket is prepared).
func prepareClientFD(fd int, network string) error {
	if err := unix.SetNonblock(fd, false); err != nil {
		return err
	}
	tv := unix.NsecToTimeval(pollSliceMS * 1e6)
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return err
	}
	if network == "tcp" {
		return unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	}
	return nil
}

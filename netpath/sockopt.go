//go:build unix

package netpath

import "golang.org/x/sys/unix"

// setSockOpts sets the options a client connection needs on fd. Go's net package
// already sets TCP_NODELAY on TCP connections; it is set again here so that the
// requirement is stated where the socket is prepared.
func setSockOpts(fd int, network string) {
	if network == "tcp" {
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	}
}

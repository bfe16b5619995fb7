//go:build unix && !linux

package netpath

import (
	"errors"

	"golang.org/x/sys/unix"
)

// recvNB reads what is there without blocking (EAGAIN when nothing is), whatever the
// socket's blocking mode.
func recvNB(fd int, p []byte) (int, error) {
	n, _, err := unix.Recvfrom(fd, p, unix.MSG_DONTWAIT)
	return n, err
}

// sendNB writes without blocking, whatever the socket's blocking mode.
func sendNB(fd int, p []byte) (int, error) {
	return unix.SendmsgN(fd, p, nil, nil, unix.MSG_DONTWAIT)
}

// osYield does nothing here; runtime.Gosched alone yields.
func osYield() {}

// spinSet is unavailable here (no epoll): servers do not spin.
type spinSet struct{}

type spinEvent struct{}

func newSpinSet() (spinSet, error)    { return spinSet{}, errors.ErrUnsupported }
func (spinSet) add(int) error         { return nil }
func (spinSet) del(int)               {}
func (spinSet) close()                {}
func (spinSet) ready(*spinEvent) bool { return true }

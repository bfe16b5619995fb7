package ring

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"time"

	"golang.org/x/sys/unix"
)

var errNoFd = errors.New("ring: handshake carried no file descriptor")

// Connect creates a segment with the geometry of cfg, sends it over ctl (a connected
// SOCK_SEQPACKET Unix socket, "unixpacket" in package net) and waits until the peer has
// mapped it (Accept). From then on the Conn owns ctl: it must not be read or written
// by anyone else, and Close closes it. ctx bounds the handshake only. On error the
// caller still owns ctl and should close it.
func Connect(ctx context.Context, ctl *net.UnixConn, cfg Config) (*Conn, error) {
	r, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	seg, fd, err := createSegment(r.size0, r.size1)
	if err != nil {
		return nil, err
	}
	if err := writeSide(seg.side(0), r); err != nil {
		unix.Close(fd)
		seg.unmap()
		return nil, err
	}
	if testHookSegment != nil {
		testHookSegment(seg.mem)
	}
	var hello [helloSize]byte
	binary.LittleEndian.PutUint64(hello[0:], helloMagic)
	binary.LittleEndian.PutUint32(hello[8:], layoutVersion)
	binary.LittleEndian.PutUint64(hello[16:], uint64(len(seg.mem)))
	_, _, err = ctl.WriteMsgUnix(hello[:], unix.UnixRights(fd), nil)
	unix.Close(fd) // the message holds its own reference
	if err == nil {
		err = readAck(ctx, ctl)
	}
	if err != nil {
		seg.unmap()
		return nil, fmt.Errorf("ring: connect: %w", err)
	}
	c, err := newConn(seg, ctl, r, 0)
	if err != nil {
		seg.unmap()
		return nil, err
	}
	return c, nil
}

// Accept receives a segment sent by Connect over ctl, checks its seals, size and header
// before using it, and answers the peer. The Conn then owns ctl as in Connect. The
// geometry comes from the peer (bounded by cfg.MaxSegment); the timing from cfg. On
// error the caller still owns ctl and should close it; no fd or mapping is left behind.
func Accept(ctx context.Context, ctl *net.UnixConn, cfg Config) (*Conn, error) {
	r, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	setDeadline(ctx, ctl)
	hello, fd, err := recvFd(ctl)
	// Clear the deadline now: once newConn starts the monitor, it owns the deadlines.
	ctl.SetReadDeadline(time.Time{})
	if err != nil {
		return nil, fmt.Errorf("ring: accept: %w", err)
	}
	seg, err := acceptSegment(hello, fd, r)
	unix.Close(fd) // the mapping holds its own reference
	if err != nil {
		return nil, err
	}
	c, err := newConn(seg, ctl, r, 1)
	if err == nil {
		var ack [8]byte
		binary.LittleEndian.PutUint64(ack[:], ackMagic)
		if _, err = ctl.Write(ack[:]); err != nil {
			c.Close()
			return nil, fmt.Errorf("ring: accept: %w", err)
		}
		return c, nil
	}
	seg.unmap()
	return nil, err
}

// recvFd reads one message carrying exactly one fd, with MSG_CMSG_CLOEXEC so the fd
// never leaks into a child, and MSG_CTRUNC checked so no fd is silently dropped. On
// error every received fd is closed.
func recvFd(ctl *net.UnixConn) ([]byte, int, error) {
	rc, err := ctl.SyscallConn()
	if err != nil {
		return nil, -1, err
	}
	buf := make([]byte, 64)
	oob := make([]byte, unix.CmsgSpace(4*4))
	var n, oobn, flags int
	var rerr error
	err = rc.Read(func(s uintptr) bool {
		n, oobn, flags, _, rerr = unix.Recvmsg(int(s), buf, oob, unix.MSG_CMSG_CLOEXEC)
		return rerr != unix.EAGAIN
	})
	if err == nil {
		err = rerr
	}
	if err != nil {
		return nil, -1, err
	}
	var fds []int
	if cmsgs, perr := unix.ParseSocketControlMessage(oob[:oobn]); perr == nil {
		for _, m := range cmsgs {
			if got, err := unix.ParseUnixRights(&m); err == nil {
				fds = append(fds, got...)
			}
		}
	}
	switch {
	case n == 0 && oobn == 0:
		err = errors.New("peer closed the control socket")
	case flags&unix.MSG_CTRUNC != 0:
		err = errors.New("control message truncated (MSG_CTRUNC)")
	case len(fds) != 1:
		err = fmt.Errorf("%w (got %d)", errNoFd, len(fds))
	}
	if err != nil {
		for _, fd := range fds {
			unix.Close(fd)
		}
		return nil, -1, err
	}
	return buf[:n], fds[0], nil
}

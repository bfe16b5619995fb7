package registry

import (
	"errors"
	"io/fs"
	"net"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// maxSocketPath is the longest path that fits in sockaddr_un.sun_path (108 bytes with
// the terminating NUL).
const maxSocketPath = 107

// openFlags are added to every open of a file in the directory: never follow a link
// planted there, and never block opening a FIFO planted there.
const openFlags = unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_CLOEXEC

// errHeld is returned by tryLock when another open file description holds the lock.
var errHeld = errors.New("registry: lock held")

// tryLock takes an exclusive flock on f without blocking. The lock belongs to the open
// file description: it is released when f is closed or the process dies.
func tryLock(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) {
		for {
			ferr = unix.Flock(int(fd), unix.LOCK_EX|unix.LOCK_NB)
			if ferr != unix.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	switch ferr {
	case nil:
		return nil
	case unix.EWOULDBLOCK:
		return errHeld
	}
	return &os.PathError{Op: "flock", Path: f.Name(), Err: ferr}
}

func ownerUID(fi fs.FileInfo) (int, error) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, errors.ErrUnsupported
	}
	return int(st.Uid), nil
}

// Cred holds the credentials of the process at the other end of a Unix socket, as the
// kernel recorded them when the connection was made (SO_PEERCRED).
type Cred struct {
	PID int32
	UID uint32
	GID uint32
}

// PeerCred returns the credentials of c's peer. It is safe for concurrent use.
func PeerCred(c *net.UnixConn) (Cred, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return Cred{}, err
	}
	var uc *unix.Ucred
	var serr error
	if err := rc.Control(func(fd uintptr) {
		uc, serr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return Cred{}, err
	}
	if serr != nil {
		return Cred{}, os.NewSyscallError("getsockopt SO_PEERCRED", serr)
	}
	return Cred{PID: uc.Pid, UID: uc.Uid, GID: uc.Gid}, nil
}

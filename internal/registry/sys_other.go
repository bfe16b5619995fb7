//go:build !linux

package registry

import (
	"errors"
	"io/fs"
	"net"
	"os"
)

// maxSocketPath is the longest path that fits in sockaddr_un.sun_path on the BSDs.
const maxSocketPath = 103

const openFlags = 0

var errHeld = errors.New("registry: lock held")

// tryLock is unsupported here: liveness also needs process start times, which only the
// Linux build reads.
func tryLock(f *os.File) error { return errors.ErrUnsupported }

// ownerUID is unsupported here, so Open fails with errors.ErrUnsupported.
func ownerUID(fi fs.FileInfo) (int, error) { return 0, errors.ErrUnsupported }

// Cred holds the credentials of the process at the other end of a Unix socket.
type Cred struct {
	PID int32
	UID uint32
	GID uint32
}

// PeerCred is unsupported on this platform (there is no SO_PEERCRED).
func PeerCred(c *net.UnixConn) (Cred, error) { return Cred{}, errors.ErrUnsupported }

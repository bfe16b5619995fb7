package registry

import (
	"errors"
	"fmt"
)

// ErrNoInstance occurs when a service has no live instance in the directory. The error
// returned is a *NoInstanceError, which names the service and the directory; match it
// with errors.Is(err, ErrNoInstance).
var ErrNoInstance = errors.New("registry: no live instance")

// ErrUnsafeDir occurs when the registry directory is not a plain directory owned by the
// calling user and closed to group and others. The error returned is an *UnsafeDirError.
var ErrUnsafeDir = errors.New("registry: unsafe directory")

// ErrBadDescriptor occurs when a descriptor file cannot be read or fails validation. The
// error returned is a *DescriptorError naming the file.
var ErrBadDescriptor = errors.New("registry: bad descriptor")

// ErrBadName occurs when a service name or instance id is empty, too long or uses a
// character outside [A-Za-z0-9._-] (or starts with '.' or '-').
var ErrBadName = errors.New("registry: bad name")

// ErrInstanceExists occurs when Register or Reserve is asked for an instance id that a
// live registration already holds.
var ErrInstanceExists = errors.New("registry: instance already registered")

// ErrDead occurs (in Skipped.Err) for an entry whose lock nobody holds: its process is
// gone. Lookup sweeps such entries.
var ErrDead = errors.New("registry: instance dead")

// ErrStale occurs (in Skipped.Err) for an entry whose lock is held but whose descriptor
// names a process that is not alive, or another boot of the host. Lookup leaves it in
// place: whoever holds the lock owns the files.
var ErrStale = errors.New("registry: descriptor does not match the lock holder")

// ErrNotPublished occurs (in Skipped.Err) for an instance that holds its lock but has not
// published its descriptor yet (between Reserve and Publish).
var ErrNotPublished = errors.New("registry: instance not published yet")

// ErrPathTooLong occurs when even the short socket name scheme does not fit in a Unix
// socket address (108 bytes on Linux, including the terminating NUL): the directory path
// itself is too long.
var ErrPathTooLong = errors.New("registry: socket path too long")

// ErrClosed occurs when a closed Registration is used.
var ErrClosed = errors.New("registry: registration closed")

// ErrPeerUID occurs when the process at the other end of a Unix socket runs as another
// user. The error returned is a *PeerUIDError.
var ErrPeerUID = errors.New("registry: peer runs as another user")

// NoInstanceError is returned by Pick when a service has no live instance.
type NoInstanceError struct {
	Service string // the service asked for
	Dir     string // the registry directory searched
	Skipped int    // how many entries were skipped (dead, stale or malformed)
}

func (e *NoInstanceError) Error() string {
	return fmt.Sprintf("registry: no live instance of service %q in %s (%d entries skipped)", e.Service, e.Dir, e.Skipped)
}

// Is reports whether target is ErrNoInstance.
func (e *NoInstanceError) Is(target error) bool { return target == ErrNoInstance }

// UnsafeDirError is returned when a registry directory cannot be trusted.
type UnsafeDirError struct {
	Path   string // the directory
	Reason string // what is wrong with it
}

func (e *UnsafeDirError) Error() string {
	return fmt.Sprintf("registry: refusing directory %s: %s", e.Path, e.Reason)
}

// Is reports whether target is ErrUnsafeDir.
func (e *UnsafeDirError) Is(target error) bool { return target == ErrUnsafeDir }

// DescriptorError is returned (or reported in Skipped.Err) for a descriptor that cannot
// be read or decoded, or that fails validation.
type DescriptorError struct {
	Path string // the descriptor file, or "" when decoding bytes
	Err  error  // what is wrong
}

func (e *DescriptorError) Error() string {
	if e.Path == "" {
		return "registry: bad descriptor: " + e.Err.Error()
	}
	return "registry: bad descriptor " + e.Path + ": " + e.Err.Error()
}

// Is reports whether target is ErrBadDescriptor.
func (e *DescriptorError) Is(target error) bool { return target == ErrBadDescriptor }

// Unwrap returns the underlying cause.
func (e *DescriptorError) Unwrap() error { return e.Err }

// PeerUIDError is returned by CheckPeer when the peer's uid is not ours.
type PeerUIDError struct {
	Peer Cred // the peer's credentials
	Want int  // our uid
}

func (e *PeerUIDError) Error() string {
	return fmt.Sprintf("registry: peer pid %d runs as uid %d, want uid %d", e.Peer.PID, e.Peer.UID, e.Want)
}

// Is reports whether target is ErrPeerUID.
func (e *PeerUIDError) Is(target error) bool { return target == ErrPeerUID }

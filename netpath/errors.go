package netpath

import (
	"errors"
	"fmt"
)

// Errors returned by Client and Conn. Match them with errors.Is.
var (
	// ErrClosed occurs when a Client, Server or Conn is used after Close, or when Close
	// ends a call that was still waiting.
	ErrClosed = errors.New("netpath: closed")
	// ErrPeerGone occurs when the connection to the peer broke (EOF, reset, the peer
	// process died) while a call was in flight, or when connecting failed. The call may
	// or may not have run on the peer.
	ErrPeerGone = errors.New("netpath: peer gone")
	// ErrGoAway occurs when the peer announced a graceful shutdown before it saw the
	// call. The call did not run; retrying it (on a new connection) is safe.
	ErrGoAway = errors.New("netpath: peer going away")
	// ErrTooLarge occurs when a frame to be sent would exceed the configured maximum
	// frame size. Nothing was sent.
	ErrTooLarge = errors.New("netpath: frame too large")
	// ErrBackpressure occurs when a server-side reply cannot be queued because the
	// connection's outbound buffer is over its limit: the peer is not reading.
	ErrBackpressure = errors.New("netpath: outbound buffer full")
	// ErrAddress occurs when an address is neither "tcp://host:port" nor "unix:///path".
	ErrAddress = errors.New("netpath: bad address")
	// ErrProtocol occurs when the peer sent a malformed frame or a frame that makes no
	// sense on this side (for example a reply on a server); the connection is closed.
	ErrProtocol = errors.New("netpath: protocol violation")
)

// Error codes netpath itself puts in the Aux field of a KindError frame. They sit in a
// range reserved for the transport; codes below 0xFFFF0000 belong to the layers above.
const (
	// CodeProtocol: the receiver found the stream malformed and is closing the
	// connection; the payload is the reason.
	CodeProtocol uint32 = 0xFFFF0001
	// CodeGoingAway: the receiver is shutting down and did not run the call.
	CodeGoingAway uint32 = 0xFFFF0002
)

// RemoteError is a KindError frame received in answer to a call: the peer's error
// code and message. A RemoteError with Code CodeGoingAway also matches ErrGoAway.
type RemoteError struct {
	Code    uint32
	Message string
}

// Error returns the code and message.
func (e *RemoteError) Error() string {
	return fmt.Sprintf("netpath: remote error %#x: %s", e.Code, e.Message)
}

// Is reports whether target is ErrGoAway and the code says so.
func (e *RemoteError) Is(target error) bool {
	return target == ErrGoAway && e.Code == CodeGoingAway
}

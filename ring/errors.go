package ring

import (
	"errors"
	"fmt"
)

// ErrFull occurs when a TryReserve or TryWrite finds too little free space in the ring.
// It is ordinary backpressure: retry later, or use the blocking Reserve.
var ErrFull = errors.New("ring: full")

// ErrEmpty occurs when a TryPeek finds no committed record. It is ordinary: retry later,
// or use the blocking Peek.
var ErrEmpty = errors.New("ring: empty")

// ErrTooLarge occurs when a record is larger than the ring's MaxRecord.
var ErrTooLarge = errors.New("ring: record too large")

// ErrCorrupt occurs when a value read from the shared segment (a position, a record
// header, a header field) is out of bounds or inconsistent. The error is sticky: the
// connection is unusable afterwards. Errors carrying details are *CorruptError.
var ErrCorrupt = errors.New("ring: corrupt shared memory")

// ErrClosed occurs when the connection (or pipe) was closed, by this side or in an
// orderly way by the peer.
var ErrClosed = errors.New("ring: closed")

// ErrPeerDead occurs when the peer process died (its control socket reached EOF) or
// hung (its heartbeat stopped for longer than the timeout). Errors carrying details are
// *PeerDeadError.
var ErrPeerDead = errors.New("ring: peer dead")

// CorruptError says which shared field held a bad value. It matches ErrCorrupt.
type CorruptError struct {
	Field string // the field, e.g. "ring 0 tail" or "record length"
	Value uint64 // the value read
	Limit uint64 // the bound it broke, where there is one
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("ring: corrupt shared memory: %s = %d (limit %d)", e.Field, e.Value, e.Limit)
}

// Unwrap makes errors.Is(err, ErrCorrupt) true.
func (e *CorruptError) Unwrap() error { return ErrCorrupt }

// PeerDeadError says how the peer's death was noticed. It matches ErrPeerDead.
type PeerDeadError struct {
	Pid    int    // the peer's pid as it wrote it into the segment
	Reason string // "control socket closed", "heartbeat timeout", ...
}

func (e *PeerDeadError) Error() string {
	return fmt.Sprintf("ring: peer dead (pid %d): %s", e.Pid, e.Reason)
}

// Unwrap makes errors.Is(err, ErrPeerDead) true.
func (e *PeerDeadError) Unwrap() error { return ErrPeerDead }

func corrupt(field string, v, limit uint64) error {
	return &CorruptError{Field: field, Value: v, Limit: limit}
}

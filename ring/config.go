package ring

import (
	"fmt"
	"time"
)

// Defaults used for zero Config fields.
const (
	DefaultSize              = 256 << 10
	DefaultSpin              = 50 * time.Microsecond
	DefaultHeartbeatInterval = time.Second
	DefaultHeartbeatTimeout  = 5 * time.Second
)

// parkSlice bounds the first futex park of a blocking call. A call still blocked after
// it arms a context.AfterFunc that wakes the connection's waiters when its ctx ends (an
// allocation, paid only by waits this long), and parks for up to parkLong at a time
// from then on; a call whose ctx can never end (Done() == nil) parks for parkLong from
// the start. Deadlines are honoured exactly: no park outlasts them. A parked, idle
// consumer therefore wakes about once per parkLong, and a cancelled context ends a
// blocked call promptly either way.
const (
	parkSlice = 100 * time.Millisecond
	parkLong  = 2 * time.Second
)

// timeDrain bounds how long Close waits for blocked calls to return before it retires
// the shared memory anyway (late calls then see private zero pages, never a fault).
const timeDrain = time.Second

// Config sets a connection's geometry and timing. The zero value works.
type Config struct {
	// Size is the data capacity in bytes of the ring from the side that creates the
	// segment (Connect, the client) to the side that accepts it. A power of two between
	// 4 KiB and 1 GiB; 0 means DefaultSize. The largest record is Size/2 - 8 bytes.
	// Bigger rings absorb bursts; smaller ones stay in cache.
	Size int

	// ReplySize is the capacity of the ring in the other direction; 0 means Size.
	ReplySize int

	// Spin is how long a blocked call polls before it parks on the futex. Spinning
	// buys latency (no wake-up on the fast path) with CPU, and pays most when each
	// spinner has a core of its own; a spinner yields its CPU every futex.SpinYield, so
	// a peer on the same CPU still runs within microseconds, but on a shared or
	// oversubscribed CPU a negative value, which parks at once, is cheaper still. 0
	// means DefaultSpin.
	Spin time.Duration

	// HeartbeatInterval is how often this side bumps its heartbeat word and checks the
	// peer's; 0 means DefaultHeartbeatInterval.
	HeartbeatInterval time.Duration

	// HeartbeatTimeout is how long the peer's heartbeat may stand still before the peer
	// is declared hung and every blocked call fails with ErrPeerDead. It must exceed the
	// peer's HeartbeatInterval by a safe margin; 0 means DefaultHeartbeatTimeout. A dead
	// peer is noticed at once by EOF on the control socket, not by this timeout.
	HeartbeatTimeout time.Duration

	// MaxSegment is the largest segment Accept maps; 0 means the largest valid one
	// (two 1 GiB rings). It bounds what a peer can make this process map.
	MaxSegment int
}

// resolved is a validated Config with defaults applied.
type resolved struct {
	size0, size1 uint64
	spin         time.Duration
	hbInterval   time.Duration
	hbTimeout    time.Duration
	maxSegment   uint64
}

func (c Config) resolve() (resolved, error) {
	r := resolved{
		size0: uint64(c.Size), size1: uint64(c.ReplySize),
		spin: c.Spin, hbInterval: c.HeartbeatInterval, hbTimeout: c.HeartbeatTimeout,
		maxSegment: uint64(c.MaxSegment),
	}
	if c.Size < 0 || c.ReplySize < 0 || c.MaxSegment < 0 {
		return r, fmt.Errorf("ring: negative size in Config")
	}
	if r.size0 == 0 {
		r.size0 = DefaultSize
	}
	if r.size1 == 0 {
		r.size1 = r.size0
	}
	for _, s := range []uint64{r.size0, r.size1} {
		if !validRingSize(s) {
			return r, fmt.Errorf("ring: ring size %d is not a power of two in [%d, %d]", s, minRingSize, maxRingSize)
		}
	}
	switch {
	case r.spin == 0:
		r.spin = DefaultSpin
	case r.spin < 0:
		r.spin = 0
	}
	if r.hbInterval <= 0 {
		r.hbInterval = DefaultHeartbeatInterval
	}
	if r.hbTimeout <= 0 {
		r.hbTimeout = DefaultHeartbeatTimeout
	}
	if r.hbTimeout < 2*r.hbInterval {
		return r, fmt.Errorf("ring: HeartbeatTimeout %v must be at least twice HeartbeatInterval %v", r.hbTimeout, r.hbInterval)
	}
	if r.maxSegment == 0 || r.maxSegment > maxSegmentSize {
		r.maxSegment = maxSegmentSize
	}
	return r, nil
}

package peer

import (
	"context"
	"errors"
	"fmt"

	"github.com/cellsubstrate/cell/bench/internal/orders"
)

// The shared-memory floors: a client and a server process bounce one 32-bit word
// in a MAP_SHARED memfd mapping. The client stores an odd value (the request), the
// server answers with the next even value (the reply). spinFloor busy-waits on the
// word; futexFloor sleeps in FUTEX_WAIT (the shared op) and wakes the peer with
// FUTEX_WAKE on every store. No payload moves: this is the cost of the hand-off
// alone, the floor any shared-memory transport is measured against.
//
// Layout of the memfd, one 128-byte line per word so no two share a cache line:
//
//	line 0: allocator (next free slot, atomically incremented by each Dial)
//	line 1+i: the word of slot i
const lineBytes = 128

type spinFloor struct{}

func (spinFloor) Name() string               { return "floor-spin" }
func (spinFloor) Transports() []string       { return []string{"shm"} }
func (spinFloor) SharedBytes(slots int) int  { return (slots + 1) * lineBytes }
func (futexFloor) SharedBytes(slots int) int { return (slots + 1) * lineBytes }
func (futexFloor) Name() string              { return "floor-futex" }
func (futexFloor) Transports() []string      { return []string{"shm"} }
func (spinFloor) Serve(ctx context.Context, ep Endpoint, ready func(string)) error {
	return serveShm(ctx, ep, ready, false)
}
func (futexFloor) Serve(ctx context.Context, ep Endpoint, ready func(string)) error {
	return serveShm(ctx, ep, ready, true)
}
func (spinFloor) Dial(_ context.Context, ep Endpoint, _ orders.Fields) (Conn, error) {
	return dialShm(ep, false)
}
func (futexFloor) Dial(_ context.Context, ep Endpoint, _ orders.Fields) (Conn, error) {
	return dialShm(ep, true)
}

type futexFloor struct{}

// ErrNoReply is returned by a floor Call whose server did not answer in time.
var ErrNoReply = errors.New("peer: floor server did not answer within 10s")

var errNoShared = errors.New("peer: shared-memory floor needs Endpoint.Shared")

func checkShared(ep Endpoint) error {
	if ep.Shared == nil {
		return errNoShared
	}
	if ep.Slots <= 0 {
		return fmt.Errorf("peer: %d slots", ep.Slots)
	}
	return nil
}

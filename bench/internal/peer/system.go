package peer

import (
	"context"
	"fmt"
	"os"

	"github.com/cellsubstrate/cell/bench/internal/orders"
)

// Endpoint says where a server listens and a client connects.
type Endpoint struct {
	// Transport is "unix", "tcp" or "shm".
	Transport string
	// Addr is a Unix socket path, a TCP host:port, or for "shm" a Unix socket path
	// a system may use as its control socket.
	Addr string
	// Shared is a memfd both processes map, for systems that want one from the
	// harness (the floors); nil otherwise.
	Shared *os.File
	// Slots is how many connections the client may open (the floors size their
	// shared words by it).
	Slots int
	// Size is the nominal order size in bytes (see orders.Sample).
	Size int
	// Dir is a private directory of the server's (its Unix sockets live there).
	Dir string
}

// System is one RPC stack or floor under test.
type System interface {
	// Name is the row's system name, e.g. "grpc".
	Name() string
	// Transports lists the transports it runs on, e.g. "unix", "tcp".
	Transports() []string
	// Serve runs in the server process: it listens at ep, calls ready with the
	// address clients should use, and serves the order workload until ctx ends.
	Serve(ctx context.Context, ep Endpoint, ready func(addr string)) error
	// Dial runs in the client process and connects to the server at ep. The
	// connection sends order on every Call.
	Dial(ctx context.Context, ep Endpoint, order orders.Fields) (Conn, error)
}

// Conn is one client connection.
type Conn interface {
	// Call makes one round trip: it encodes the order, waits for the reply, reads
	// every field of it and checks it against the order (orders.ErrMismatch).
	Call() error
	// Close releases the connection.
	Close() error
}

// Multiplexer is implemented by systems whose Conn carries many calls at once
// (Call from many goroutines). Others carry one call at a time per connection.
type Multiplexer interface {
	Multiplexed() bool
}

// SharedMemory is implemented by systems that need a memfd from the harness.
type SharedMemory interface {
	SharedBytes(slots int) int
}

// Multiplexed reports whether s carries concurrent calls on one connection.
func Multiplexed(s System) bool {
	m, ok := s.(Multiplexer)
	return ok && m.Multiplexed()
}

// registry lists every system in table order: cell first, then the peers, then the
// floors.
var registry = []System{
	cellSystem{name: "cell", transports: []string{"shm", "unix", "tcp"}, spin: cellSpin},
	cellSystem{name: "cell-park", transports: []string{"shm"}},
	cellObjectSystem{},
	grpcSystem{},
	grpcFlatSystem{},
	drpcSystem{},
	spinFloor{},
	futexFloor{},
	netFloor{},
}

// Systems returns every system, in table order.
func Systems() []System { return registry }

// Lookup returns the system called name.
func Lookup(name string) (System, error) {
	for _, s := range registry {
		if s.Name() == name {
			return s, nil
		}
	}
	return nil, fmt.Errorf("peer: no system %q", name)
}

// Row is one system on one transport, named "<system>/<transport>".
type Row struct {
	System    System
	Transport string
}

// Name is "<system>/<transport>".
func (r Row) Name() string { return r.System.Name() + "/" + r.Transport }

// Rows returns every system/transport pair in table order.
func Rows() []Row {
	var rows []Row
	for _, s := range registry {
		for _, t := range s.Transports() {
			rows = append(rows, Row{s, t})
		}
	}
	return rows
}

package rpc

import (
	"log/slog"
	"time"
)

// Path is the transport a client connection runs on.
type Path uint8

// The paths.
const (
	PathNone Path = iota // not connected
	PathSHM              // shared-memory rings (same host)
	PathUnix             // netpath over a Unix stream socket
	PathTCP              // netpath over TCP
)

var pathNames = [...]string{"none", "shm", "unix", "tcp"}

// String returns "shm", "unix", "tcp" or "none".
func (p Path) String() string {
	if int(p) < len(pathNames) {
		return pathNames[p]
	}
	return "path(?)"
}

// Transport says which paths a client may use.
type Transport uint8

// The transport choices.
const (
	// TransportAuto tries shared memory first and falls back to netpath over the
	// instance's Unix socket when shared memory is refused or fails; the fallback is
	// counted in ClientStats.Fallbacks.
	TransportAuto Transport = iota
	// TransportSHM uses shared memory only; failing that, Dial fails.
	TransportSHM
	// TransportUnix uses netpath over the instance's Unix socket only.
	TransportUnix
	// TransportTCP uses netpath over the instance's TCP address only (the server must
	// listen on one, see ServerOptions.TCPAddr).
	TransportTCP
)

// ServerOptions configures a Server. The zero value works: handlers inline, shared
// memory and a Unix socket, no TCP, the default registry directory, slog's default
// logger.
type ServerOptions struct {
	// Dir is the registry directory the server registers its services in and puts its
	// sockets under. Empty means the default: $CELL_DIR, else $XDG_RUNTIME_DIR/cell, else
	// a per-user directory under the temp dir.
	Dir string

	// Instance is this server's instance id in the registry. Empty means one derived
	// from the pid and a random suffix. Two live servers may not share an instance id.
	Instance string

	// TCPAddr, when not empty, also serves netpath on this TCP address ("127.0.0.1:0"
	// picks a port) and publishes it in the descriptor. Only loopback is tested.
	TCPAddr string

	// Workers is the number of goroutines that run handlers. Zero (the default) runs
	// each handler inline on the goroutine that read its request: the lowest latency,
	// no goroutine hop, zero allocations, but one slow handler delays the calls queued
	// behind it on that connection and a cancel frame for a running call is only read
	// after it returns (the deadline still ends the handler's context on time). A
	// positive value runs handlers on a bounded pool: each request is copied out of the
	// transport, calls on one connection run concurrently, cancel frames end the
	// handler's context at once, a client's death ends its calls' contexts at once,
	// and a full pool applies backpressure to the reader.
	Workers int

	// Spin is how long a shared-memory reader spins before parking on the futex. Zero
	// parks at once, the right choice when cores are shared; spinning only pays with a
	// core per spinner. Negative means the ring package's default.
	Spin time.Duration

	// NoSHM refuses shared-memory upgrades: clients stay on netpath.
	NoSHM bool

	// Logger receives handler panics, refused handshakes and connection errors. Nil
	// means slog.Default().
	Logger *slog.Logger
}

// ClientOptions configures a Client. The zero value works: the default registry
// directory, shared memory with fallback to netpath, no spin.
type ClientOptions struct {
	// Dir is the registry directory to look the service up in. Empty means the default,
	// as for ServerOptions.Dir.
	Dir string

	// Addr, when not empty, skips discovery and dials this netpath address
	// ("unix:///path" or "tcp://host:port"). With TransportAuto the connection then
	// moves to shared memory if the handshake shows the server on this host; with
	// TransportUnix or TransportTCP it stays on netpath.
	Addr string

	// Instance, when not empty, connects to this registry instance id of the service
	// only, instead of a live instance picked at random.
	Instance string

	// Transport restricts the paths Dial may use; see the Transport constants.
	Transport Transport

	// Spin is how long a caller waiting for its reply on shared memory spins before
	// parking on the futex. Zero parks at once (right on shared cores); a few
	// microseconds give sub-microsecond round trips when both sides have a core each.
	Spin time.Duration

	// RingSize is the capacity in bytes of each direction's shared-memory ring. Zero
	// means 1 MiB. It bounds the largest frame that fits in the ring.
	RingSize int

	// MaxInFlight bounds the calls in flight on a netpath connection; a caller past it
	// waits for a slot until its deadline. Zero means 1024. On shared memory the ring's
	// space is the bound: a caller whose request does not fit waits (until its deadline)
	// for the server to consume requests.
	MaxInFlight int

	// Logger receives connection errors. Nil means slog.Default().
	Logger *slog.Logger
}

// ClientStats are counters a client keeps; read them with Client.Stats.
type ClientStats struct {
	Path      Path   // the path the connection runs on
	Fallbacks uint64 // times shared memory was refused or failed and netpath was used
	Calls     uint64 // calls started
	Errors    uint64 // calls that returned an error
}

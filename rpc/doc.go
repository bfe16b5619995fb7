// Package rpc is the runtime behind cellgen's typed services: servers that host them,
// clients that find them by name and call them over shared memory on one host or over
// netpath (Unix or TCP sockets), the connection handshake, deadlines, cancellation and
// typed errors.
//
// Users rarely call this package directly: cellgen writes, per rpc_service, a server
// interface with RegisterX, and a typed client whose NewXClient calls Dial. What users
// see of rpc is Server, ServerOptions, ClientOptions, Client.Path and Stats, and the
// errors.
//
// # Paths
//
// Dial looks the service up in the registry directory (internal/registry), picks a live
// instance and connects to its control socket. Both sides check each other's
// credentials with SO_PEERCRED, exchange hello frames (protocol version, service name,
// host boot id, pid and process start time, and every method's shape), and the client
// then creates a shared-memory segment and passes it over the same socket (package
// ring); the socket stays open as the liveness signal. If shared memory is refused
// (ServerOptions.NoSHM, another host, an error), the client falls back to netpath over
// the instance's Unix socket, and counts it (ClientStats.Fallbacks). Client.Path says
// which path a connection runs on.
//
// # Method table and fingerprints
//
// A ServiceDesc lists the methods; a method's id on the wire is its index in the
// client's list, mapped by the server at handshake time, so the two sides need not
// declare methods in the same order. Each method carries the shape of its request and
// reply: every field's path (field ids from the root table), name and type. The
// handshake decides compatibility field by field with FlatBuffers' evolution rules:
// same method and message type names, and every field known to both sides has the same
// name and type; a field known to one side only (added or deprecated) is compatible.
// An incompatible peer is refused with an *IncompatibleError naming the service, the
// method, both fingerprints (a hash of the whole shape, see Fingerprint) and the first
// difference.
//
// # Calls
//
// A request frame carries the caller's deadline (frame.FlagDeadline); the handler's
// context ends with it. A caller that gives up sends a KindCancel frame, which ends the
// handler's context when handlers run on a worker pool (ServerOptions.Workers); inline
// handlers read it only after they return. The cancel frame is best effort: on shared
// memory it is dropped when the request ring is full or its producer stays busy for
// more than a millisecond (the caller returns either way; a deadline still ends the
// handler). Errors cross the wire as a code and a
// message: errors.Is(err, ErrDeadlineExceeded) and friends match local and remote
// errors alike, and a remote error is an *Error with Remote set.
//
// # Concurrency and memory
//
// Server and Client are safe for concurrent use. On shared memory, a caller that finds
// the connection idle (no other call in progress, not closing) makes its call on the
// solo path: one atomic compare-and-swap takes the producer, the reader role and its
// place among the calls Close waits for, and End gives them back with one atomic add;
// a caller that begins meanwhile waits for the solo call's request to be sent, then
// runs as below. Otherwise callers serialize
// on the request ring's producer while they build their request (a caller waiting for
// the producer, or for room in the ring, still ends with its context: its Begin returns
// ErrDeadlineExceeded or ErrCanceled however long the producer's holder waits), which is then
// copied once into its ring slot (built in this side's own memory, the builder's
// writes do not pull the lines the peer polls back and forth); a
// caller that sends while nobody reads becomes the reader of the reply ring and, when
// the next reply is its own, reads it in place with no goroutine hop, no copy, no map
// and no lock; replies for other callers are copied
// into their Call and handed over, and the reader role passes to another waiter when
// the reader leaves. With inline handlers on shared memory the reply is built the same
// way, by the handler, and copied once into its ring slot; on a worker pool or on
// netpath it is built in the worker's buffer and copied once into the transport. A
// slot's size follows the method's recent messages (twice the last one); a message
// that outgrows its slot is copied once into a bigger one. Bytes read in place (a request in a handler, a reply in a
// zero-copy callback) are valid only until the handler or callback returns: the
// generated code releases them then. A handler's context follows the same rule. Once
// warm, a zero-copy call allocates nothing on any path.
//
// On shared memory a zero-copy reply callback runs while its call still holds the reply
// ring's reader role (the reply is read in place until End): the other calls on the
// Client are not answered until it returns, so it must be short, and it must not make a
// call on the same Client, nor wait for one: that call waits for the role until its
// context ends (netpath has no such limit: its reply is copied before the callback).
//
// Everything read from a peer is untrusted: frames are parsed with bounds checks,
// generated verifiers check every request and reply before a handler or caller reads
// it, a bad frame closes that connection only, and a handler's panic (which a hostile
// shared-memory peer could provoke by changing bytes after verification) becomes a
// CodeInternal reply and a log line, never a dead server.
//
// Every Server and Client keeps its own state; there is no process-global state beyond
// the host and process identity read once from /proc.
package rpc

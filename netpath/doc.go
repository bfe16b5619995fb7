// Package netpath carries cell frames (package frame) over TCP and Unix sockets with
// gnet (github.com/panjf2000/gnet/v2): the path a call takes when its peer is on
// another host, or when shared memory is refused.
//
// # API
//
// Server side:
//
//	srv, err := netpath.Listen("unix:///run/svc.sock", handler, netpath.ServerConfig{})
//	func handler(c *netpath.Conn, h *frame.Header, payload []byte) {
//		// h and payload are read in place; valid until handler returns.
//		reply := frame.Header{Kind: frame.KindReply, CallID: h.CallID}
//		c.ReplyBuild(&reply, func(dst []byte) []byte { return append(dst, ...) })
//	}
//	srv.Shutdown(ctx) // or srv.Close()
//
// ServerConfig.OnClose reports each closed connection once, with its reason;
// Conn.SetValue and Conn.Value carry the upper layer's per-connection state. The server
// answers KindPing with KindPong itself; everything else a client may send (requests,
// cancels, pongs, hellos) reaches the handler.
//
// Client side:
//
//	cl, err := netpath.Dial(ctx, "tcp://10.0.0.7:7000", netpath.ClientConfig{})
//	req := frame.Header{Kind: frame.KindRequest, Method: 3}
//	err = cl.Call(ctx, &req, payload, func(h *frame.Header, reply []byte) error {
//		// reply is read in place; valid until this returns.
//		return nil
//	})
//	// or cl.CallBuild(ctx, &req, func(dst []byte) []byte { ... }, onReply)
//	cl.Close()
//
// The client answers a server's KindPing with KindPong and ignores unsolicited pongs;
// a KindError with CallID 0 from the server (a protocol complaint) closes the
// connection. Addresses are "tcp://host:port" or "unix:///absolute/path". Errors are sentinels
// (ErrClosed, ErrPeerGone, ErrGoAway, ErrTooLarge, ErrBackpressure, ErrAddress,
// ErrProtocol) matched with errors.Is; a KindError answer is a *RemoteError.
//
// # How a call travels, and why
//
// Measured on our 2-vCPU machines, gnet's event loop beats the net package on tail
// latency, but routing each call through gnet's AsyncWrite (a task queue plus an
// eventfd wake-up of the loop, and an allocation per write) and then a channel hop to
// the caller loses that advantage. So netpath uses gnet for what it is good at, reading
// and decoding in the event loop, and keeps writes and waiting off it:
//
//   - Writes: the goroutine that has a frame to send appends it (header and payload,
//     or what its BuildFunc appends) to the connection's outbound buffer and writes it
//     to the socket itself with one non-blocking write(2) on a dup of the connection's
//     fd. One caller alone pays one syscall and no hop. Frames appended while another
//     goroutine is in write(2) leave together in its next write: one contiguous buffer
//     plays the role of Writev (no iovec array, and a payload built in place is never
//     copied again). With more than 32 calls in flight a client caller "corks": it
//     yields once (runtime.Gosched) before writing, so that callers the event loop has
//     just woken append their next requests first and all leave in one syscall; below
//     that the server would sit idle while the client batches, so the first caller
//     writes at once (BenchmarkCork: corking gave 1.6-3x the frames/s at 64 and 256 in
//     flight; measured to lose below about 32). On the server, replies made inside the
//     handler are held until the loop has dispatched every frame of the read, then
//     leave in one write. When the socket is full the bytes stay queued and a drainer
//     goroutine polls for POLLOUT; the queue is bounded (WriteBufferLimit): a client's
//     Call waits for room, a server closes a connection whose peer stops reading.
//   - Reads: the event loop decodes each frame in place (frame.Parse with the
//     need-more-bytes contract, straight over gnet's inbound buffer). On the client it
//     finds the call's slot from the call id (its low 16 bits), runs the caller's
//     ReplyFunc right there on the reply bytes (no copy), and wakes the caller.
//   - Wake-up: each slot has its own channel (capacity 1, made once). A caller that
//     is the only call in flight first yields in a loop for up to SpinWait (default
//     20µs) checking that channel: the loop's send then finds nobody parked and wakes
//     no goroutine, and the caller's vCPU is not halted and woken again (tens of µs on
//     a VM). Past SpinWait, or with other calls in flight, it parks on the channel: a
//     send to a parked goroutine puts it in the loop's P's runnext, and gnet's loop
//     polls epoll with a zero timeout and yields right after, so the caller runs on
//     the same P at once. Measured alternatives: locking gnet's loop to its OS thread
//     (WithLockOSThread) costs 5µs more at p50 (the hand-off then needs a thread
//     switch); AsyncWrite plus a channel per call was the 150µs-p99 design this
//     replaces; the spin against parking at once is BenchmarkWake.
//   - Accepting: the server accepts with a net.Listener and enrolls each connection
//     into gnet event loops (gnet.Client.Enroll). gnet's own acceptor hands an accepted
//     fd to a loop through a task queue, and a shutdown racing an accept left that fd
//     open for good (found by TestNoLeaks); accepting ourselves also makes "stop
//     accepting" a plain listener close.
//
// Where the time goes (BenchmarkServer against BenchmarkRTT, same run): with the same
// plain net client, the netpath server answers with a lower p99 than a goroutine-per-
// connection net server (about 30µs against 45-55µs, equal p50). The gnet client side
// is where netpath pays: the answer crosses from the loop's thread to the caller's
// goroutine, which a plain net client reading its own socket does not need, so on TCP
// its p50 is 3-4µs above plain net (on Unix sockets equal). A caller cannot read its
// own reply here because gnet's loop owns the read side of the fd.
//
// # Benchmarks
//
// BenchmarkRTT (unix/net, unix/netpath, tcp/net, tcp/netpath: one 64-byte frame in
// flight, p50/p99/p99.9/max from an HDR histogram), BenchmarkServer (the same plain net
// client against either server), BenchmarkWake, BenchmarkPipelined (1, 16, 256 in
// flight over a Unix socket, frames/s) and BenchmarkCork. Placement: the server is a
// separate process (the test binary re-executed), neither side pinned; the baseline
// runs against the same server process in the same run.
//
// # Invariants and concurrency
//
//   - Call ids are seq<<16 | slot, seq increasing: unique on a connection, ordered as
//     calls were issued (a go-away names the last id the server will answer), and the
//     slot is found without a map.
//   - A slot's pending word holds the call id while the call waits. Exactly one party
//     swaps it to zero (the loop with the answer, the connection's close, a go-away, or
//     the caller when its context ends) and so settles the call exactly once; a stale
//     or duplicate answer finds no match and is dropped.
//   - At most MaxInFlight calls are in flight per Client; Call blocks for a slot
//     (honouring its context) past that.
//   - Handlers and ReplyFuncs run on an event loop: they must not block, and the bytes
//     they are given are valid only until they return. Conn.Reply, Conn.ReplyBuild,
//     Client.Call and Client.CallBuild may be called from any goroutine. A BuildFunc
//     runs with the outbound buffer locked and must not call back into netpath.
//   - Buffers are bounded: inbound by MaxFrameSize plus one read (a declared length over
//     the limit is rejected as soon as its 4 bytes arrive), outbound by
//     WriteBufferLimit.
//   - A malformed frame (bad version, kind or flags, oversize, length shorter than its
//     header, a frame kind the side does not accept) or a truncated frame at EOF closes
//     that connection only, with the reason logged (slog, level warn) and, where the
//     socket still takes it, a KindError frame with Aux CodeProtocol and the reason as
//     payload sent first. Other connections are not affected.
//   - Graceful shutdown (Server.Shutdown): new connections get a go-away and are
//     closed; each open connection gets a KindGoAway whose CallID is the last request
//     it will answer (sent from its event loop, in order with dispatch); later
//     requests get KindError CodeGoingAway; the server waits until every dispatched
//     request is answered, or ctx ends, then closes. A client that receives a go-away
//     fails calls with larger ids with ErrGoAway (safe to retry) and dials a new
//     connection for new calls.
//   - Reconnect: when a connection breaks, its calls fail with ErrPeerGone and the
//     next Call dials again; failed dials back off exponentially (BackoffMin to
//     BackoffMax, jittered to between half and all of the pause). A Call whose deadline
//     falls inside the back-off fails at once with ErrPeerGone.
//   - Logging goes to the configured *slog.Logger, gnet's included (through an adapter
//     of gnet's logging.Logger). gnet keeps the last logger it was given as a process-
//     wide default for its package-level log calls; that is gnet's, not netpath's.
//
// Unix only: gnet's Unix event loop and the fd writes use golang.org/x/sys/unix.
package netpath

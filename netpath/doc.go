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
// The client answers a server's KindPing with KindPong (while a call of its reads the
// connection; see below) and ignores unsolicited pongs; a KindError with CallID 0 from
// the server (a protocol complaint) closes the connection. Addresses are "tcp://host:port" or "unix:///absolute/path". Errors are sentinels
// (ErrClosed, ErrPeerGone, ErrGoAway, ErrTooLarge, ErrBackpressure, ErrAddress,
// ErrProtocol) matched with errors.Is; a KindError answer is a *RemoteError.
//
// # How a call travels, and why
//
// Measured on our 2-vCPU machines, gnet's event loop beats the net package on tail
// latency, but routing each call through gnet's AsyncWrite (a task queue plus an
// eventfd wake-up of the loop, and an allocation per write) and then a channel hop to
// the caller loses that advantage. So the server uses gnet for what it is good at,
// reading and decoding in the event loop, and both sides keep writes off it; the
// client does not use gnet at all, because its callers read their own replies:
//
//   - Writes: the goroutine that has a frame to send appends it (header and payload,
//     or what its BuildFunc appends) to the connection's outbound buffer and writes it
//     to the socket itself with one non-blocking send (MSG_DONTWAIT) on a dup of the
//     connection's fd. One caller alone pays one syscall and no hop. Frames appended
//     while another goroutine is in the syscall leave together in its next write: one
//     contiguous buffer plays the role of Writev (no iovec array, and a payload built
//     in place is never copied again). With more than 32 calls in flight a client
//     caller "corks": it yields once (runtime.Gosched) before writing, so that callers
//     just woken append their next requests first and all leave in one syscall; below
//     that the server would sit idle while the client batches, so the first caller
//     writes at once (BenchmarkCork: corking gave 1.6-3x the frames/s at 64 and 256 in
//     flight; measured to lose below about 32), unless callers that the reader has
//     answered have not finished yet: their next requests are on the way, so the
//     caller corks (BenchmarkPipelined/16 about 1.2x). A client writer that finds frames
//     appended during its own write (callers running on another P: on one P nobody
//     appends during the syscall) yields once before it writes them, while under 4 KiB
//     are queued: written at once they left about 10 frames per sendto with the callers
//     spread over both vCPUs, and more gather this way. On the server, replies made inside the
//     handler are held until the loop has dispatched every frame of the read, then
//     leave in one write from the loop itself. When the socket is full the bytes stay
//     queued and a drainer goroutine polls for POLLOUT; the queue is bounded
//     (WriteBufferLimit): a client's Call waits for room, a server closes a connection
//     whose peer stops reading.
//   - Server reads: the event loop decodes each frame in place (frame.ParseInto with the
//     need-more-bytes contract, straight over gnet's inbound buffer) and calls the
//     Handler. The server accepts with a net.Listener and enrolls each connection into
//     gnet event loops (gnet.Client.Enroll): gnet's own acceptor hands an accepted fd
//     to a loop through a task queue, and a shutdown racing an accept left that fd open
//     for good (found by TestNoLeaks); accepting ourselves also makes "stop accepting"
//     a plain listener close.
//   - Client reads: nothing reads a client connection in the background. A caller
//     that has sent its request and finds nobody reading takes the connection's reader
//     role (a load, then one CAS: under load the role is nearly always taken, and a
//     CAS that fails still pulls the line away from the reader's CPU) and reads the
//     socket itself: it decodes each frame in place in
//     the connection's inbound buffer, settles the call it answers (running that
//     call's ReplyFunc right there, no copy) and wakes that caller, until its own call
//     is settled; then it lets the role go. A lone caller thus reads its own reply on
//     its own goroutine: no hop, no event loop, no channel. Callers that find the role
//     taken park on their slot's channels; when the reader lets go and callers still
//     wait, it hands the role to one of them (a wake-up, only when several wait).
//   - Waiting for bytes: the socket is in blocking mode with a receive timeout of
//     10ms (SO_RCVTIMEO), so a lone reader waits and reads in one read(2); the
//     timeout lets it look at its context (a nearer deadline is waited for exactly
//     with poll(2)), and Close shuts the socket down to wake it. Writes and probing
//     reads pass MSG_DONTWAIT, through raw sendto/recvfrom (x/sys's wrappers allocate
//     a source address per read on a Unix socket). With other calls in flight the
//     reader polls without blocking and yields for up to 20µs first: the callers it
//     just woke are runnable on its P, and a blocking read would hold that P from
//     them (BenchmarkPipelined/256 halves without it). A lone caller first retries a
//     non-blocking read for up to 50µs, with sched_yield between tries but no
//     runtime.Gosched (ClientConfig.SpinWait; why below), and backs off after spins
//     that ran out.
//   - Server idle: after answering a small batch that came within 50µs of its
//     previous answers (a caller waiting for each answer), the event loop spins
//     instead of going back to gnet's blocking epoll_wait: it polls an epoll set of
//     all the server's connections (its own, since gnet's is not reachable) with
//     sched_yield between polls, for up to ServerConfig.SpinWait, and returns to gnet
//     as soon as any connection has bytes (TestServerSpinServesOthers), where gnet's
//     next, non-blocking epoll_wait finds them. A late batch right after ping-pong
//     answers gets one more spin (a hiccup, not the end of the ping-pong; without it
//     one slow call started a chain of them), a client whose calls come further apart
//     at most that one.
//   - Both spinners pass through the Go scheduler (one runtime.Gosched in place of a
//     sched_yield) once per 2ms; see the tail below.
//   - Idle connections: since nobody reads an idle connection, a server's close or
//     go-away is not seen when it happens. A call about to use a connection nobody has
//     read for 1ms first reads what is there without blocking (one syscall), so a
//     restarted server costs the next call nothing but a reconnect (TestIdleReconnect),
//     and a server's ping to an idle client waits for its next call to be answered.
//     A go-away found that way, with no call left on the connection, retires the
//     connection there and then: no call will finish on it to do so, and a server
//     still draining keeps it open, so it used to stay (two fds) until Client.Close,
//     one per graceful restart (TestGoAwayIdleRetires).
//
// Why the client does not use gnet (issue 4 asked for gnet's client): with gnet's
// loop owning the read side, every reply was decoded on the loop's thread and handed
// to the caller through a channel. Measured by the previous design's author, same
// benchmark, unpinned: p50 1.01x plain net on Unix sockets and 1.40x on TCP. Reading
// on the caller removes that hop; see the figures below. The price is the
// idle-connection behaviour above and one reader at a time per connection (gnet also
// read one connection on one loop). The server stays on gnet.
//
// Where the time goes on these machines (2 vCPUs of a Firecracker VM, shared with
// other work; the guest's haltpoll cpuidle driver has guest_halt_poll_ns 0, so an idle
// vCPU halts at once): a wake-up of a thread on the vCPU that is about to go idle
// costs a few µs; a wake-up of a thread whose vCPU has halted costs 30-40µs. A
// blocking ping-pong lets the kernel keep both threads on one vCPU (the write wakes
// its peer with a sync hint and the writer then sleeps), which gives the p50; the
// p99 is the calls whose wake-up met a halted vCPU or another process's work (the
// histogram is flat to p90, then jumps to 40-150µs). Both sides of netpath therefore
// spin briefly when the traffic is a ping-pong: the client reading its own reply, the
// server's event loop between requests. Neither thread then sleeps between calls, so
// no call waits for a vCPU to wake; yielding the thread between tries (sched_yield)
// lets a thread the kernel queued on the spinner's vCPU run at once. Measured per call
// on a Unix socket (perf stat, both processes): 4.95 context switches and 3.24 futex
// calls before, 0.01 and 0.04 after. The syscalls rise from 11 to 26 per call
// (sendto 2, gnet's read 1, epoll_wait 6.6, recvfrom 6.3, sched_yield 9.8): all but
// about one epoll_wait and one recvfrom are spin polls, each well under a µs. Two traps found on the way: runtime.Gosched
// in a spin loop wakes an idle P's thread every time (the runtime's wakep), which then
// competes for the other vCPU; and gnet's loop calls runtime.Gosched each time its
// non-blocking epoll_wait after a busy round finds nothing, with the same effect once
// per request (the server's spin avoids reaching that point between requests).
//
// The tail that remained (2-4% of calls at about 40µs in every placement, so p99
// about 45µs) was the Go runtime's sysmon. Found by recording, per call, how each
// side waited (BenchmarkWaitTrace; the echo handler's methodTrace returns the server
// loop's side): in the slow calls neither side blocked or missed its spin, the client
// just did not get its vCPU back for ~40µs. perf tracepoints (sched_switch,
// local_timer_entry, hrtimer_expire_entry) showed why: 770 of 900 stretches of
// 25-200µs in which one of our threads ran without switching held a local timer
// interrupt, and none of 104,594 short stretches did (the interrupt handler itself
// ran 10µs in the guest; the rest is the VM's timer exit); and the hrtimers were the
// client process's sysmon waking from usleep every ~110µs (2079 wake-ups in a 50,000
// call run). sysmon sleeps 20µs at first and backs off to 10ms once it finds nothing
// to do, but our spinners never park, so every 10ms it asked to preempt the goroutine;
// found inside a syscall (sched_yield, recvfrom), that became a retake of its P, and
// each retake resets sysmon to its 20µs sleeps. One runtime.Gosched per 2ms
// (schedEvery) keeps the goroutine's schedule tick moving: 2079 -> 161 sysmon
// wake-ups in the same run, slow calls 3% -> 0.3-0.5%, the rest mostly the
// scheduler tick (250 Hz) and sysmon's 10ms sleeps, which land on our vCPUs too.
//
// # Benchmarks
//
// BenchmarkRTT (unix/net, unix/netpath, tcp/net, tcp/netpath: one 64-byte frame in
// flight, written and read, p50/p99/p99.9/max from an HDR histogram), BenchmarkServer
// (the same plain net client against either server), BenchmarkWake (client SpinWait
// off, 20 and 50µs, each against a spinning and a non-spinning server, beside plain
// net), BenchmarkWaitTrace (the netpath call of BenchmarkRTT with a breakdown of how
// both sides waited in the slow calls, printed to stderr with NETPATH_BENCH_TRACE=1),
// BenchmarkPipelined (1, 16, 256 in flight over a Unix socket, frames/s) and
// BenchmarkCork. Placement: the server is a separate process
// (the test binary re-executed); unpinned by default, or NETPATH_BENCH_PIN=C,S pins
// the client process to CPU C and the server process to CPU S (every thread). The
// baseline runs against the same server process in the same run, interleaved.
// NETPATH_PEER_CPUPROFILE=file makes the server process write a CPU profile of its
// life to file (go tool pprof netpath.test file).
//
// Figures (2 vCPUs, Intel Xeon, Firecracker, Linux 6.18, Go 1.26, other work on the
// machine; 64-byte frames; go test -bench 'RTT$|Pipelined', unpinned; the build before
// schedEvery and the grace spin ("before") and this one ("after") alternated in one
// run, 3 rounds each, each round with its own plain net baseline; p99 per round, µs).
// Plain net ran in its fast mode (p50 10-12µs), the case where netpath's p99 had been
// 0.83-1.03x of it:
//
//	                 net p99         netpath p99        netpath p50
//	unix before      46, 53, 55      47.6, 47.2, 44.6   6.8
//	unix after       56, 34, 90      11.6,  9.3, 10.8   6.6  (0.12-0.27x net p99)
//	tcp before       55, 57, 54      49.2, 49.3, 50.1   8.7
//	tcp after        55, 58, 47      13.8, 15.3, 13.3   8.7  (0.25-0.28x)
//
// The final build, go test -bench 'RTT|Pipelined' -count 3 (net again in its fast
// mode): p99 unix 9.5, 11.6, 12.2 against net 53, 54, 48 (p50 6.5 against 10.0); tcp
// 16.9, 13.4, 13.3 against 55, 53, 54 (p50 8.6 against 11.9); Pipelined/256 1.46M.
// In an earlier run of the same kind after the schedEvery change alone: unix 9.0,
// 14.4, 11.3 and tcp 15.7, 15.8, 33.2 against net 39-70. Pinned (one round each, same
// run): both processes on one vCPU (NETPATH_BENCH_PIN=0,0) p99 unix 43.6 -> 8.8, tcp
// 49.4 -> 13.2 against net 55 and 53; one process per vCPU (0,1) unix 76 -> 43, tcp
// 64 -> 75 against net 186-230: there each spinner owns a vCPU, so everything else
// that runs (other processes, the runtime's own threads) preempts one of them.
// p99.9 stays at 34-52µs: the timer interrupts that are left.
//
// BenchmarkPipelined in that run: /256 1.36-1.44M frames/s after against 1.49-1.50M
// before; interleaved again, 4 rounds: 1.40-1.47M against 1.38-1.48M (no difference
// beyond the noise); /16 about 0.41M and /1 about 0.14M both before and after.
// 0 allocs/op throughout.
//
// BenchmarkPipelined/256 (256 goroutines calling back to back on one connection):
// earlier builds: 0.88-0.93M frames/s in one run, 0.8-1.26M in others. In a run while other work
// ran, its client used 1.3 CPUs, 1.45µs per call, with every parked caller trying a
// CAS on the reader role first (CAS instructions were a sixth of the profile); the
// same profile minutes later with the role loaded before the CAS (and the clock read
// in fresh skipped while the connection is being read) showed 0.5µs per call. On a
// quiet machine the difference is about 5% of the CPU per frame. Throughput:
// the old and new test binaries alternated in one run, 3 rounds each, gave
// 1.28-1.37M against 1.42-1.47M frames/s on a quiet machine, and 0.93-1.23M against
// 1.13-1.44M while other work ran (each new round 6-21% above the old one before
// it); go test -bench 'RTT|Pipelined' -count 3 then gave 1.49-1.50M, with BenchmarkRTT
// unchanged. With the woken-callers cork (see Writes) the same command gave 1.37-1.48M
// at 256 and 0.38-0.41M at 16 in flight (0.29-0.34M before), 0.13M at 1; in that run
// BenchmarkRTT's netpath p50/p99 were unix 6.5/46µs against plain net 10.0/53µs and
// tcp 8.7/50µs against 11.9/54µs: plain net was in its fast mode on both transports,
// and netpath's p99 ratio was 0.85x and 0.94x (the sysmon tail, since removed; see
// above). Per frame, measured with perf stat on each process over 2 s at 1.44M
// frames/s: client 0.53µs of CPU (0.76 of a CPU), server 0.14µs (0.2 of a CPU);
// 0.1 syscalls per frame for both processes together: the client sends 28 frames per
// sendto and takes about 185 answers per read, the server answers about 166 frames
// per read with one write. Together they use about one of the two CPUs; the rest of
// the time one side waits for the other's bytes (a wake-up per batch, 0.03 context
// switches per frame). About 40% of the client's time is the Go scheduler's park
// and goready for each call, which a blocking call needs; the rest is spread thin
// (decode, the write, slot and free-list atomics). With one CPU taken by a busy
// loop, old and new gave 0.86-0.96M and 0.87-0.93M frames/s: below the target.
//
// Why /256 fell to 0.87-0.93M in some runs (make bench among them) and not in others:
// it is where the client's threads run, not the benchmark's settings. CPU per frame
// of both processes (rusage, 2M frames): 0.65-0.7µs when the client runs on one vCPU
// (both processes pinned to one, NETPATH_BENCH_PIN=0,0, or another process busy on
// the other vCPU), 1.6-1.9µs when the Go scheduler spreads the woken callers over
// both vCPUs (it steals half of the reader's run queue as soon as a goready wakes
// the idle P): then every line all callers write (the free list's head, the call
// counter, the outbound buffer's lock, the parked-caller count) moves between vCPUs
// on each call, and writes leave about 10 frames at a time. Which state a run lands
// in depends on what else the machine does; whole runs stay in one. So this build
// writes fewer shared lines per call (the free count lives in the free list's head
// word; no per-connection call count; woken counted only below corkThreshold; no
// count of parked callers, handoff looks at the slots; the server counts requests
// dispatched and answered instead of four atomics and a CAS loop per request; fields
// every call writes padded off the lines every call reads) and gathers writes (see
// Writes). Same-run A/B, the build before these changes against this one, 2M
// frames per run, alternated, frames/s:
//
//	unpinned, spread over both vCPUs    0.87/0.89/0.90M  ->  1.10/1.10/1.09M
//	both pinned to vCPU 0 (0,0)         1.42/1.44M       ->  1.57/1.62M
//	one per vCPU (0,1)                  1.38/1.36M       ->  1.41/1.43M
//	a busy loop in this session         1.28/1.31/1.33M  ->  1.35/1.51/1.55M
//	a busy loop in another session      1.32/1.41/1.28M  ->  1.53/1.62/1.55M
//	two busy loops, other sessions      1.43/1.13/1.41M  ->  1.04/1.20/1.48M
//	two busy loops in this session      0.74/0.52M       ->  0.75/0.76M
//	as make bench runs it (go test -bench . -count 3 -benchtime 300ms, all of
//	netpath's benchmarks): 0.94/0.89/1.00M -> 1.08/1.08/1.10M
//
// CPU per frame fell 9-11% on one vCPU and ~17% spread. With two busy loops in the
// benchmark's own session (one autogroup: the scheduler shares its CPU per thread)
// both builds get about 0.7 of a CPU and stay below 1M: at 0.65µs per frame nothing
// short of less CPU per call reaches it. What remains per call on the client
// (profile, one vCPU, 0.5µs): about half is the Go runtime parking and readying the
// caller (chanrecv, chansend/goready, schedule: the floor for a blocking caller; a
// bare channel wake-up round trip with 256 goroutines costs 0.27µs here), 10% the
// syscalls, the rest our atomics and the frame work. Tried and dropped (no gain or
// worse, same-run A/B): a busy reader that lets go of the role instead of blocking
// while callers it answered have not run (0.9-1.1M against 1.4M: nobody reads while
// they run); corking until every answered caller has appended; the server blocking
// in its own epoll set after a pipelined batch instead of gnet's Gosched and
// epoll_wait; the busy reader yielding its thread rather than its goroutine.
//
// Placement (BenchmarkWake, 15000 calls each, one run, µs, p50/p99): pinned one
// process per vCPU (NETPATH_BENCH_PIN=0,1) the defaults gave unix 6.5/66 against
// plain net 88/190, tcp 8.0/42 against 79/184 (a client spin alone, server not
// spinning: 25/97 and 28/81; neither spinning: 71/163 and 74/156). Both processes on
// one vCPU (0,0): unix 6.5/47 against 13.9/78, but tcp 12.7/68 against 11.6/52: on one
// shared core the TCP client's spin loses (server spinning, client not: 8.5/50), so
// set ClientConfig.SpinWait to NoSpin where client and server share a core.
//
// # Invariants and concurrency
//
//   - Call ids are seq<<16 | slot, seq increasing: unique on a connection, ordered as
//     calls were issued (a go-away names the last id the server will answer), and the
//     slot is found without a map.
//   - A slot's pending word holds the call id while the call waits. Exactly one party
//     swaps it to zero (the reader with the answer, the connection's teardown, a
//     go-away, or the caller when its context ends) and so settles the call exactly
//     once, then sends noteDone on the slot's note channel; a stale or duplicate answer finds
//     no match and is dropped.
//   - The reader role of a client connection (its reading flag) is held by at most
//     one goroutine, a caller of that connection, and only that goroutine reads the
//     socket, touches the inbound buffer or tears the connection down (Close and an
//     idle probe take the role first). A caller that cannot take the role sets its
//     slot's waiting flag and tries once more before it parks; a reader clears the
//     role before it looks at the waiting flags (of the slots ever handed out, when
//     another call is in flight). So one of the two sees the other, and no caller
//     parks while nobody reads. Whoever swaps a waiting
//     flag from true to false owns it: the caller when it stops waiting, or the
//     reader handing the role over, which then sends noteWake on the slot's note channel; a
//     caller that stops waiting after being handed the role receives that wake and
//     hands the role on.
//   - At most MaxInFlight calls are in flight per Client; Call blocks for a slot
//     (honouring its context) past that.
//   - Handlers run on an event loop, ReplyFuncs on whichever caller reads the
//     connection: they must not block, and the bytes they are given are valid only
//     until they return. Conn.Reply, Conn.ReplyBuild,
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
//     connection for new calls. The connection that went away is torn down (its fds
//     closed) by whoever last lets go of it: the last call on it when it finishes
//     (Client.finish), or the idle probe that read the go-away when no call is left on
//     it (clientConn.fresh). Each looks for calls still pending on it after it has let
//     go of its own (the call settled, the reader role released) and tears down only
//     if it can take the reader role; a party that holds the role then looks again
//     when it lets go, so one of them retires the connection. A call that took the
//     connection before the go-away and sets its pending word after that look finds
//     goaway set and settles itself, so settlement stays exactly once.
//   - Reconnect: when a connection breaks, its calls fail with ErrPeerGone and the
//     next Call dials again; failed dials back off exponentially (BackoffMin to
//     BackoffMax, jittered to between half and all of the pause). A Call whose deadline
//     falls inside the back-off fails at once with ErrPeerGone.
//   - Logging goes to the configured *slog.Logger, gnet's included (through an adapter
//     of gnet's logging.Logger). gnet keeps the last logger it was given as a process-
//     wide default for its package-level log calls; that is gnet's, not netpath's.
//
// Unix only: gnet's Unix event loop and the fd reads and writes use
// golang.org/x/sys/unix (raw sendto/recvfrom on Linux, in sys_linux.go).
package netpath

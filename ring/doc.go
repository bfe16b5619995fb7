// Package ring is cell's shared-memory transport: a single-producer single-consumer
// ring of variable-length records inside a sealed memfd segment, and a duplex
// connection made of two such rings plus liveness words, shared by two processes.
//
// # Using it
//
// The client creates the segment and sends its fd over a connected SOCK_SEQPACKET Unix
// socket (network "unixpacket"); the server receives, checks and maps it:
//
//	c, err := ring.Connect(ctx, ctl, ring.Config{})  // client
//	s, err := ring.Accept(ctx, ctl, ring.Config{})   // server
//
// Each side then writes its outbound ring with Conn.Producer and reads its inbound
// ring with Conn.Consumer:
//
//	b, err := p.Reserve(ctx, n) // n contiguous bytes in shared memory (cap(b) == n)
//	... fill b, e.g. build a FlatBuffer back to front in it ...
//	p.Commit(used)               // publish the first used bytes; wakes the peer if it sleeps
//
//	rec, err := c.Peek(ctx)      // the next record, read in place
//	... read rec ...
//	c.Release()                  // give its space back; rec is invalid from here on
//
// TryReserve and TryPeek never block (ErrFull, ErrEmpty); Stage+Flush and repeated
// Peeks before one Release batch several records per publication. Pipe is the same ring
// inside one process.
//
// # Segment layout
//
// One segment per connection; ring 0 carries client -> server, ring 1 server -> client.
// Offsets in bytes, little-endian, every field naturally aligned:
//
//	0     +------------------------------------------------------------+
//	      | magic "cellring" u64 | version u32 | header size u32       |
//	      | ring 0 size u64 | ring 1 size u64 | total size u64        |  geometry (creator,
//	128   +------------------------------------------------------------+  written once)
//	      | side 0 (client): pid u64 | start time u64 | heartbeat u64 | state u32 | flags u32 |
//	256   +------------------------------------------------------------+
//	      | side 1 (server): pid u64 | start time u64 | heartbeat u64 | state u32 | flags u32 |
//	512   +------------------------------------------------------------+
//	      | ring 0 control, four 128-byte lines:                       |
//	      |   +0   tail u64 (producer writes) | data seq u32 (futex)    |
//	      |   +128 head u64 (consumer writes) | space seq u32 (futex)   |
//	      |   +256 consumer sleeping u32                               |
//	      |   +384 producer sleeping u32                               |
//	1024  +------------------------------------------------------------+
//	      | ring 1 control, same shape                                 |
//	1536  +------------------------------------------------------------+
//	      | (unused to the end of the 4096-byte header page)           |
//	4096  +------------------------------------------------------------+
//	      | ring 0 data: size0 bytes (power of two)                    |
//	      +------------------------------------------------------------+
//	      | ring 1 data: size1 bytes (power of two)                    |
//	      +------------------------------------------------------------+
//
// Each line is written by one side only, so the producer's stores never invalidate the
// consumer's lines and vice versa. The sleeping flags sit on lines of their own because
// the peer reads them on every publication: they stay in its cache until they change.
//
// A record is an 8-byte header (length u32, kind u32) and its payload padded to 8 bytes.
// Kind 'D' is data; kind 'P' (length 0) pads to the end of the data area, so a record
// never wraps and Reserve and Peek always hand out one contiguous slice. A header slot
// that reads 0 holds no record yet. A record's payload starts 8-byte aligned. The
// largest payload is size/2 - 8 bytes; the ring holds at most size - 8 bytes of records.
//
// # Positions and the memory-ordering argument
//
// Positions are free-running uint64 byte counts (they wrap at 2^64, which the code
// handles by only ever subtracting them); the offset in the data area is pos & (size-1).
// The producer's position minus head is the bytes in use, always in [0, size-8].
//
// A record is published by its own header (layout version 2). The producer writes the
// payload, then zeroes the 8-byte slot after the record (it may hold bytes of an older
// payload, which must never read as a header; that slot is why the ring keeps 8 bytes
// free), then stores the header with a release store (publishPos: a plain MOV on amd64,
// opaque to the compiler). The consumer loads the header slot at its position
// atomically (an acquire): zero means nothing yet; anything else is a header, and the
// payload and the zeroed slot after it are visible. So on a stream the consumer reads
// only the record's own lines, never a line the producer rewrites per record. Staged
// records are written with their headers, except the first one's, which Flush stores
// last: one release store publishes the batch, and a batch whose producer died before
// Flush is never seen (its first slot still reads 0). Symmetrically the consumer
// finishes reading a record before it stores head, and the producer overwrites space
// only after loading a head past it; the producer caches head and reloads it only when
// the cached value says the ring is full, so on a stream it touches the consumer's line
// about once per lap.
//
// After the header, Flush stores tail, which the consumer does not read (but when
// attaching). Where the consumer parks without a fence (connections, and pipes that do
// not spin) tail is stored with the sequentially consistent store, whose full barrier
// is the one the futex protocol needs between publishing and reading the consumer's
// sleeping flag. Measured, that barrier costs the round trip less on tail's line,
// which stays in the producer's cache, than as an XCHG of the header on the record's
// line, which the consumer polls.
//
// Blocking calls first poll for Config.Spin (once per call; plain loads, no atomic
// read-modify-write, no wake or wait syscall, a sched_yield every futex.SpinYield so
// that a peer sharing the CPU runs; a done context ends the spin), then sleep on a futex word
// using the protocol of package futex: the sleeper reads the futex word, stores its
// sleeping flag, re-checks, and parks; the waker, after publishing (the header and the tail store; or head),
// loads the flag and makes the FUTEX_WAKE syscall only if it is set. With the full
// barriers on both sides no wake-up is lost, and none is made while the peer spins.
//
// Fenced mode makes publication cheaper still. When both sides' flags (side block +28)
// say "fenced" (each process registered for membarrier(2) GLOBAL_EXPEDITED and spins
// before parking; Pipe: PRIVATE_EXPEDITED within the process), the consumer stores head
// with publishPos, and the producer stores tail with a plain store: neither waits for
// the store buffer to drain. The store-load order the Dekker argument needs then comes
// from the waiter: after storing its sleeping flag and before re-checking it calls
// membarrier, which makes every running thread of the peer's process execute a full
// barrier. Either the peer's flag load comes after that barrier and sees the flag, or
// its publication came before it and the re-check sees it. The fence costs a few µs,
// paid once per park instead of once per publication. (Connections have fenced mode off
// for now: see sideFlagsFor.)
//
// A blocking call's first park lasts at most 100 ms; a call still blocked then arms a
// context.AfterFunc that wakes it when its context ends, and parks up to 2 s at a time
// (never past the context's deadline), so an idle consumer wakes about once every two
// seconds and a cancelled call still returns promptly. A spinning consumer polls the
// header slot, and on every poll also loads the line after the header's, where the rest
// of a 64-byte payload lies: when the producer writes the record it takes both lines,
// and the next poll's two misses overlap instead of following each other (measured,
// spin RTT p50 ~380 ns against ~450 ns for polling tail and then loading both lines, with
// a spin floor of ~315 ns).
//
// # Untrusted memory
//
// The peer can write anything into the segment at any time. Everything read from it is
// copied once into a local and checked before use: head may only move forward, never
// past what was published, and stays 8-byte aligned; record kinds, lengths and extents
// must fit the data area and the size - 8 bytes after the consumer's released position;
// tail is read only when attaching (8-aligned, at most size ahead of head); the header
// geometry must match the sealed file's size. A bad value takes the connection down
// with a *CorruptError (ErrCorrupt); no read or write ever leaves the mapping, and every
// loop is bounded. The fd's seals (F_SEAL_SHRINK|F_SEAL_GROW|F_SEAL_SEAL) and size are
// checked before mapping, so the mapping can never outgrow the file (no SIGBUS), and the
// creator fallocates every page.
//
// # Liveness
//
// The control socket stays open for the life of the connection. A monitor goroutine per
// Conn reads it: EOF means the peer died (ErrPeerDead, at once); a one-byte bye message
// means it closed (ErrClosed); a blocked read costs nothing while the peer lives. Every
// HeartbeatInterval (default 1 s) a timer callback, not a goroutine, bumps this side's
// heartbeat word and checks the peer's; a heartbeat that stands still for
// HeartbeatTimeout (default 5 s) means the peer hung (ErrPeerDead). Either way every blocked call is
// woken and returns the error; records committed before the peer died are still
// delivered by the Consumer first.
//
// # Concurrency rules
//
// One goroutine at a time per Producer, one per Consumer (they may be different).
// Close may be called from any goroutine at any time: it takes the connection down,
// wakes blocked calls (they return ErrClosed) and replaces the shared mapping in place by
// private zero pages, so a call racing with it never faults; slices handed out before
// no longer show shared memory. A parked call notices a cancelled context promptly
// (within 100 ms, at once after that through its AfterFunc) and a deadline exactly. Blocking calls allocate nothing (but for that AfterFunc, armed only by waits longer
// than 100 ms on a context that can end); Peek and Reserve make no
// system call and no atomic read-modify-write unless they park. After Close every call
// on this side returns ErrClosed.
package ring

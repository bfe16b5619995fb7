package netpath

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/cellsubstrate/cell/frame"
)

// BuildFunc appends a frame's payload to dst and returns the extended slice. It runs
// with the connection's outbound buffer locked: it must not block and must not call
// back into the same Client or Conn. dst already holds other frames; only append.
type BuildFunc func(dst []byte) []byte

// Handler is called on a connection's event loop once per decoded frame, in arrival
// order. h and payload alias the connection's inbound buffer and are valid only until
// the handler returns: copy what must outlive the call. A handler must not block: it
// holds up every connection on its event loop. It answers with c.Reply or
// c.ReplyBuild, now or later from any goroutine; every KindRequest must get exactly one
// KindReply or KindError frame with its CallID (graceful shutdown waits for that).
//
// The handler sees KindRequest, KindCancel, KindPong (the answer to a ping the server
// sent), KindHello, KindGoAway and KindError; the server answers KindPing itself with a
// KindPong, and a KindReply from a client is a protocol error.
type Handler func(c *Conn, h *frame.Header, payload []byte)

// ServerConfig configures a Server. The zero value works.
type ServerConfig struct {
	// MaxFrameSize is the largest frame, header included, accepted or sent. A peer
	// that declares a larger frame gets an error frame and is disconnected. Default
	// frame.DefaultMaxSize (4 MiB).
	MaxFrameSize int
	// WriteBufferLimit bounds the replies queued for one connection whose socket is
	// full. A reply past it fails with ErrBackpressure and the connection is closed
	// (its peer is not reading). Default 4 MiB; it is raised to MaxFrameSize if lower.
	WriteBufferLimit int
	// EventLoops is the number of gnet event loops (each a goroutine polling its own
	// epoll set). Default 1, which is best for latency on small machines.
	EventLoops int
	// SpinWait is how long an event loop, after answering a connection, keeps polling
	// every connection for bytes (yielding its thread between polls) before it goes
	// back to gnet to block in epoll_wait. It spins only after a batch of at most
	// spinBatchMax frames that arrived within SpinWait of the answers before it: a
	// caller waiting for each answer before it sends again (ping-pong); and once more
	// after the first later batch that ends such a run (a hiccup). The loop's vCPU
	// then stays awake for the next request, so no request pays the wake-up of a
	// sleeping thread on a halted vCPU (30-40µs on our 2-vCPU VMs), and the Go
	// runtime's scheduler is not woken per request (BenchmarkRTT: the p99 went from
	// about 0.8x plain net to 0.3-0.45x with the client spinning too). A connection
	// whose requests come further apart, or many per read, never makes the loop spin.
	// The cost: up to one vCPU per event loop while ping-pong traffic lasts, and up to
	// SpinWait of delay for the loop's tasks (Conn.Close, shutdown's go-aways). Default
	// 50µs on Linux (elsewhere the server never spins); NoSpin (any negative value)
	// disables it: do so on a server sharing few cores with CPU-bound work.
	SpinWait time.Duration
	// Logger receives connection errors and gnet's own log lines. Default slog.Default().
	Logger *slog.Logger
	// OnClose, when set, is called once per connection after it closed (by either side,
	// a protocol error, or the server's shutdown), on the connection's event loop, with
	// the reason: nil when the peer simply hung up or the server closed it, else the
	// error (ErrProtocol, ErrBackpressure, an I/O error). From then on Reply fails and
	// no more frames of the connection reach the Handler. It must not block.
	OnClose func(c *Conn, err error)
}

func (c *ServerConfig) fill() {
	if c.MaxFrameSize <= 0 {
		c.MaxFrameSize = frame.DefaultMaxSize
	}
	if c.WriteBufferLimit <= 0 {
		c.WriteBufferLimit = 4 << 20
	}
	if c.WriteBufferLimit < c.MaxFrameSize {
		c.WriteBufferLimit = c.MaxFrameSize
	}
	if c.EventLoops <= 0 {
		c.EventLoops = 1
	}
	if c.SpinWait == 0 {
		c.SpinWait = defaultServerSpin
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// ReplyFunc reads a reply in place. It runs as soon as the KindReply frame for its
// call is decoded, on the goroutine reading the connection: the caller itself, or
// another caller of the same Client that holds the reader role. h and payload alias the
// connection's inbound buffer and are valid only until it returns. It must not block
// and must not call back into the Client. Its error is what Call returns. A nil
// ReplyFunc discards the reply.
type ReplyFunc func(h *frame.Header, payload []byte) error

// ClientConfig configures a Client. The zero value works.
type ClientConfig struct {
	// MaxInFlight bounds the calls in flight at once; Call waits (until its context is
	// done) for a free slot past it. Default 256, at most 65536.
	MaxInFlight int
	// MaxFrameSize is the largest frame, header included, sent or accepted.
	// Default frame.DefaultMaxSize.
	MaxFrameSize int
	// WriteBufferLimit bounds the request bytes queued while the socket is full; Call
	// waits for room past it. Default 4 MiB, raised to MaxFrameSize if lower.
	WriteBufferLimit int
	// DialTimeout bounds one connection attempt. Default 5s.
	DialTimeout time.Duration
	// BackoffMin and BackoffMax bound the pause between failed connection attempts.
	// The pause doubles per failure and is jittered to between half and all of it.
	// Defaults 10ms and 1s.
	BackoffMin, BackoffMax time.Duration
	// SpinWait is how long a caller that is the only one waiting on its connection
	// (it reads its own reply; see the package doc) retries a non-blocking read,
	// yielding its thread between tries, before it blocks in read(2). The spinner's
	// vCPU is not halted when the answer comes, so calls do not pay a halted vCPU's
	// wake-up (30-40µs on our 2-vCPU VMs). With the server spinning too
	// (ServerConfig.SpinWait), BenchmarkRTT's p99 fell to about 0.3x plain net on both
	// transports and the p50 to 0.5x (Unix) and 0.15-0.8x (TCP); with a server that
	// blocks between requests, spinning on TCP raised the p50 by 10-15%. It costs up to
	// SpinWait of CPU per call, only while a call waits; after a spin that ran out the
	// caller spins on only 1 in 2, 4 ... 64 waits until one succeeds, so a slow server
	// costs little. It buys nothing when client and server share one core. Default
	// 50µs; NoSpin (any negative value) disables it.
	SpinWait time.Duration
	// Logger receives connection errors. Default slog.Default().
	Logger *slog.Logger
}

// defaultServerSpin is ServerConfig.SpinWait's default (BenchmarkWake).
const defaultServerSpin = 50 * time.Microsecond

// spinBatchMax is the largest batch (frames in one OnTraffic) after which a server's
// event loop may spin: a peer sending more per read is pipelining, keeps the loop busy
// without help, and needs the CPU a spinning loop would take (BenchmarkPipelined/256).
const spinBatchMax = 4

// How a server's event loop waited before a batch (Conn.waitHow) and how a lone
// client reader waited for its answer (clientConn.trace, bits); recorded on every call
// for the benchmarks' per-call breakdown (export_test.go), a store each.
const (
	traceSrvBigBatch = 1  // the previous batch was too big (or empty) to spin after
	traceSrvLate     = 2  // the previous batch came more than SpinWait after the one before
	traceSrvSpinHit  = 3  // spun until a connection had bytes
	traceSrvSpinOut  = 4  // spun for SpinWait, then went back to gnet (epoll_wait)
	traceSrvSched    = 8  // (flag) the spin called runtime.Gosched (schedEvery)
	traceSrvGrace    = 16 // (flag) a late batch right after ping-pong: spun once more

	traceCliSpin    = 1 << 0 // spun (spinRead)
	traceCliSpinHit = 1 << 1 // a spin found the answer
	traceCliSkip    = 1 << 2 // did not spin: back-off after a miss
	traceCliBlock   = 1 << 3 // blocked in read(2)
	traceCliTimeout = 1 << 4 // a blocking read timed out (EAGAIN)
	traceCliBusy    = 1 << 5 // polled with others in flight (busySpin)
	traceCliMulti   = 1 << 6 // more than one read
	traceCliSched   = 1 << 7 // the spin called runtime.Gosched (schedEvery)
)

// schedEvery is how often a spinning goroutine (a lone caller reading its reply, a
// server's event loop between requests) passes through the Go scheduler with one
// runtime.Gosched in place of a sched_yield. In a steady ping-pong neither ever parks,
// and a goroutine that has not been scheduled for 10ms is preempted by the runtime's
// sysmon; since a spinner is nearly always inside a syscall, that preemption becomes
// a retake of its P, and each retake resets sysmon's sleep to 20µs: bursts of about
// 50 wake-ups at ~110µs intervals, each a timer interrupt on some vCPU, each of which
// costs the thread running there 30-40µs on our VMs. That was the BenchmarkRTT tail
// (2-4% of calls at ~40µs; see the package doc). One Gosched per schedEvery (its
// wakep costs a futex wake) keeps the goroutine's schedule tick moving, so sysmon
// backs off to its 10ms sleep.
const schedEvery = 2 * time.Millisecond

// NoSpin disables ClientConfig.SpinWait and ServerConfig.SpinWait.
const NoSpin time.Duration = -1

// A call id is seq<<slotBits | slot: unique per connection (seq never repeats),
// increasing in the order calls were issued, and it names its slot without a lookup.
const slotBits = 16

func (c *ClientConfig) fill() error {
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = 256
	}
	if c.MaxInFlight > 1<<slotBits {
		return fmt.Errorf("netpath: MaxInFlight %d exceeds the limit %d", c.MaxInFlight, 1<<slotBits)
	}
	if c.MaxFrameSize <= 0 {
		c.MaxFrameSize = frame.DefaultMaxSize
	}
	if c.WriteBufferLimit <= 0 {
		c.WriteBufferLimit = 4 << 20
	}
	if c.WriteBufferLimit < c.MaxFrameSize {
		c.WriteBufferLimit = c.MaxFrameSize
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = 5 * time.Second
	}
	if c.BackoffMin <= 0 {
		c.BackoffMin = 10 * time.Millisecond
	}
	if c.BackoffMax < c.BackoffMin {
		c.BackoffMax = max(time.Second, c.BackoffMin)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}

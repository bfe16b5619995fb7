//go:build unix

package netpath

import (
	"context"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cellsubstrate/cell/frame"
)

// writer is one connection's outbound side. Any goroutine may append a frame; the
// bytes go to the socket from the appending goroutine itself (a plain non-blocking
// write(2) on a dup of the connection's fd), so a lone caller pays one syscall and no
// goroutine hop. While one goroutine is writing, others append behind it and the
// writer sends their frames in its next write: under load many frames leave in one
// syscall. When the socket is full the bytes stay queued and a drainer goroutine waits
// for POLLOUT; the buffer is bounded by limit.
//
// Invariants, all under mu: buf[off:] is queued, unsent data; busy means exactly one
// goroutine (a flusher or the drainer) owns fd writes and will look at buf again
// before clearing busy; hold means the owning event loop is collecting replies and
// will flush when it releases hold; fd is closed exactly once, by whoever clears busy
// after closed is set (or by close itself when nobody is busy).
type writer struct {
	mu     sync.Mutex
	fd     int
	buf    []byte
	off    int
	busy   bool
	hold   bool
	closed bool
	corked bool // a goroutine yielded (runtime.Gosched) and will flush when it resumes
	// gather (clients): an owner that finds frames appended during its write yields
	// once before the next write while fewer than gatherBelow bytes are queued.
	gather bool
	err    error
	limit  int // queue bytes beyond which appenders wait (client) or fail (server)
	max    int // largest frame

	space chan struct{} // signalled (non-blocking) when the queue shrinks below limit
}

func (w *writer) init(fd, limit, max int) {
	w.fd, w.limit, w.max = fd, limit, max
	w.space = make(chan struct{}, 1)
	w.buf = make([]byte, 0, 4096)
}

// queued returns the number of unsent bytes.
func (w *writer) queued() int {
	w.mu.Lock()
	n := len(w.buf) - w.off
	w.mu.Unlock()
	return n
}

// put appends a frame with header h and either payload or what build appends, then
// flushes unless the event loop holds the writer. When the queue is over its limit
// put waits for space until ctx is done; with a nil ctx it fails with ErrBackpressure.
//
// With cork set (the caller knows other calls are in flight) the goroutine that would
// write first yields once, so that goroutines already runnable on its P (typically
// callers the event loop just woke) append their frames too; it then writes them all in
// one syscall. Appenders that find the writer corked leave the write to the corker.
func (w *writer) put(ctx context.Context, h *frame.Header, payload []byte, build BuildFunc, cork bool) error {
	w.mu.Lock()
	for len(w.buf)-w.off >= w.limit && !w.closed {
		if ctx == nil {
			w.mu.Unlock()
			return ErrBackpressure
		}
		w.mu.Unlock()
		select {
		case <-w.space:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		w.mu.Lock()
		// Pass the wake-up on: several appenders may be waiting on one signal.
		if w.closed || len(w.buf)-w.off < w.limit {
			w.wakeWaiters()
		}
	}
	if w.closed {
		err := w.err
		w.mu.Unlock()
		return err
	}
	start := len(w.buf)
	hl := h.Len()
	w.buf = append(w.buf, zeroHeader[:hl]...)
	if build != nil {
		w.buf = build(w.buf)
	} else {
		w.buf = append(w.buf, payload...)
	}
	n := len(w.buf) - start
	if n > w.max {
		w.buf = w.buf[:start]
		w.mu.Unlock()
		return ErrTooLarge
	}
	frame.PutHeader(w.buf[start:], h, n-hl)
	if cork && corkEnabled && !w.hold && !w.busy && !w.corked {
		w.corked = true
		w.mu.Unlock()
		runtime.Gosched()
		w.mu.Lock()
		w.corked = false
	}
	w.flushLocked()
	return nil
}

var zeroHeader [frame.HeaderSize + frame.TraceSize]byte

// setHold marks the start of an event-loop batch: appends queue without writing.
func (w *writer) setHold() {
	w.mu.Lock()
	w.hold = true
	w.mu.Unlock()
}

// release ends an event-loop batch and writes what it queued.
func (w *writer) release() {
	w.mu.Lock()
	w.hold = false
	w.flushLocked()
}

// flushLocked is called with mu held and returns with it released. If nobody owns the
// fd, the caller becomes the owner and writes until the queue is empty or the socket
// is full; in the latter case ownership passes to a drainer goroutine.
func (w *writer) flushLocked() {
	if w.hold || w.busy || w.corked || w.closed || w.off == len(w.buf) {
		w.mu.Unlock()
		return
	}
	w.busy = true
	for {
		out := w.buf[w.off:]
		w.mu.Unlock()
		// out aliases bytes no appender touches: appends only write past len(buf),
		// and only the busy owner moves off or compacts buf.
		n, err := writeFD(w.fd, out)
		w.mu.Lock()
		w.advance(n)
		switch {
		case err == unix.EAGAIN:
			go w.drain()
			w.mu.Unlock()
			return
		case err != nil:
			w.failLocked(err)
			w.mu.Unlock()
			return
		case w.closed || w.off == len(w.buf):
			w.finishLocked()
			w.mu.Unlock()
			return
		}
		if w.gather && len(w.buf)-w.off < gatherBelow {
			// Frames were appended while we wrote: callers running on another P
			// (on one P nobody appends during the syscall). Written at once they
			// left a few at a time, one sendto per ~10 frames with the callers
			// spread over both vCPUs; yield once so that more come first.
			w.mu.Unlock()
			runtime.Gosched()
			w.mu.Lock()
		}
	}
}

// gatherBelow is how much a client writer's owner lets queue before it writes again
// without yielding (see gather). BenchmarkPipelined/256 with the client spread over
// both vCPUs: 1.06-1.18M frames/s against 1.01-1.06M writing at once, same run.
const gatherBelow = 4 << 10

// writeFD writes p, retrying on short writes and EINTR, until all is written or the
// socket would block. It returns how much it wrote. MSG_DONTWAIT keeps it from blocking
// on a socket in blocking mode (a client's; see prepareClientFD).
func writeFD(fd int, p []byte) (int, error) {
	done := 0
	for done < len(p) {
		n, err := sendNB(fd, p[done:])
		if n > 0 {
			done += n
		}
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return done, err
		}
		if n == 0 {
			return done, unix.EIO
		}
	}
	return done, nil
}

// advance records n more bytes sent; mu held.
func (w *writer) advance(n int) {
	w.off += n
	if w.off == len(w.buf) {
		w.buf, w.off = w.buf[:0], 0
	}
	if n > 0 && len(w.buf)-w.off < w.limit {
		select {
		case w.space <- struct{}{}:
		default:
		}
	}
}

// finishLocked gives up fd ownership; mu held. The owner closes the fd when the
// writer was closed meanwhile.
func (w *writer) finishLocked() {
	w.busy = false
	if w.closed && w.fd >= 0 {
		unix.Close(w.fd)
		w.fd = -1
	}
	if w.closed {
		w.buf, w.off = nil, 0 // nothing is written any more; a closed writer holds no buffer
	}
}

// failLocked records a write error, closes the writer and gives up ownership.
func (w *writer) failLocked(err error) {
	if !w.closed {
		w.closed = true
		w.err = ErrPeerGone
	}
	_ = err
	w.finishLocked()
	w.wakeWaiters()
}

func (w *writer) wakeWaiters() {
	select {
	case w.space <- struct{}{}:
	default:
	}
}

// drain owns the fd while the socket is full: it waits for POLLOUT and writes until
// the queue is empty, then gives ownership back.
func (w *writer) drain() {
	pfd := []unix.PollFd{{Events: unix.POLLOUT}}
	for {
		w.mu.Lock()
		if w.closed {
			w.finishLocked()
			w.mu.Unlock()
			return
		}
		fd := w.fd
		w.mu.Unlock()
		// The fd stays open while busy is set: only the owner (us) may close it.
		pfd[0].Fd, pfd[0].Revents = int32(fd), 0
		if _, err := unix.Poll(pfd, int(pollSlice/time.Millisecond)); err != nil && err != unix.EINTR {
			w.mu.Lock()
			w.failLocked(err)
			w.mu.Unlock()
			return
		}
		w.mu.Lock()
		for !w.closed && w.off < len(w.buf) {
			out := w.buf[w.off:]
			w.mu.Unlock()
			n, err := writeFD(fd, out)
			w.mu.Lock()
			w.advance(n)
			if err == unix.EAGAIN {
				break
			}
			if err != nil {
				w.failLocked(err)
				w.mu.Unlock()
				return
			}
		}
		if w.closed || w.off == len(w.buf) {
			w.finishLocked()
			w.mu.Unlock()
			return
		}
		w.mu.Unlock()
	}
}

// pollSlice bounds how long the drainer sleeps before it re-checks for close.
const pollSlice = 50 * time.Millisecond

// close stops the writer: later puts fail with err. Queued bytes not yet written are
// dropped. A drainer blocked in poll is woken by shutting the socket down.
func (w *writer) close(err error) {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return
	}
	w.closed = true
	w.err = err
	if w.busy {
		// The owner closes the fd; make its poll return now.
		unix.Shutdown(w.fd, unix.SHUT_RDWR)
	} else {
		w.finishLocked() // nobody owns the fd: close it and drop the buffer now
	}
	w.wakeWaiters()
	w.mu.Unlock()
}

// dupFD duplicates fd with close-on-exec set.
func dupFD(fd int) (int, error) {
	return unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
}

// corkEnabled switches corking off for A/B measurements (see export_test.go).
var corkEnabled = true

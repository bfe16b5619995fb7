package rpc

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cellsubstrate/cell/frame"
)

// callCtx is the context a handler receives. It ends when the caller's deadline (carried
// in the request frame) passes, when the caller sends a cancel frame, or when the server
// closes. It is reused for the next call once the handler returns, so a handler must not
// keep it (or hand it to a goroutine that outlives the call): the same rule as for the
// request bytes it reads in place. Between calls it reads as canceled.
//
// Reuse keeps the hot path free of allocations: Done's channel and the deadline timer are
// made only when a handler asks for Done, and the timer is then kept for later calls.
// Server shutdown cancels running calls explicitly (Server.cancelCalls), so no goroutine
// watches the server's context per call.
//
// end leaves the context clean (no error, no Done channel, no deadline), and says so in
// clean; a call without a deadline that finds it clean begins with one atomic store
// (live) and no mutex: two locked instructions fewer before the reply. Everything that
// dirties the context does so under mu and clears clean first.
type callCtx struct {
	parent context.Context // values and server shutdown; written by begin, under mu

	live  atomic.Bool // from begin to end: Server.Shutdown waits while an inline call is live
	clean atomic.Bool // err, done and the deadline are as end leaves them; set under mu

	mu          sync.Mutex
	deadline    time.Time
	hasDeadline bool
	err         error
	done        chan struct{} // made by the first Done of a call; nil until then
	timer       *time.Timer   // fires expire at the deadline; made once, reused

	reply frame.Header // scratch for the reply's header, owned by the handler's goroutine
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// begin prepares the context for one call and returns its error at once (a deadline
// already passed, a parent already done), as Err would. One goroutine at a time begins
// and ends a given callCtx.
func (c *callCtx) begin(parent context.Context, deadlineNs int64, has bool) error {
	if !has && parent == c.parent && c.clean.Load() {
		// Nothing to reset. A cancel that comes between the load and the store ends
		// this call: it was meant for the connection or the server, not a call.
		c.live.Store(true) // sequentially consistent: before run loads draining
		if parent.Err() != nil {
			return c.Err()
		}
		return nil
	}
	c.mu.Lock()
	c.clean.Store(false)
	c.parent = parent
	c.err = nil
	c.done = nil
	c.hasDeadline = has
	if has {
		c.deadline = time.Unix(0, deadlineNs)
	} else {
		c.deadline = time.Time{}
	}
	c.live.Store(true)
	c.checkLocked()
	err := c.err
	c.mu.Unlock()
	return err
}

// end finishes the call: it stops the timer, closes a Done channel handed out (so a
// mistakenly retained context reads as done), and leaves the context clean.
func (c *callCtx) end() {
	c.mu.Lock()
	if c.timer != nil {
		c.timer.Stop()
	}
	if c.done != nil && c.done != closedChan {
		close(c.done)
	}
	c.done = nil
	c.err = nil
	c.hasDeadline = false
	c.deadline = time.Time{}
	c.live.Store(false)
	c.clean.Store(true)
	c.mu.Unlock()
}

// isRunning reports whether a call has begun and not ended.
func (c *callCtx) isRunning() bool { return c.live.Load() }

// cancel ends the call early with err (context.Canceled or DeadlineExceeded). A cancel
// that comes once the deadline has passed is reported as the deadline: the caller gave
// up because of it.
func (c *callCtx) cancel(err error) {
	c.mu.Lock()
	if c.hasDeadline && !time.Now().Before(c.deadline) {
		err = context.DeadlineExceeded
	}
	c.cancelLocked(err)
	c.mu.Unlock()
}

func (c *callCtx) cancelLocked(err error) {
	if c.err != nil {
		return
	}
	c.clean.Store(false)
	c.err = err
	if c.done != nil {
		close(c.done)
		c.done = closedChan // further Done calls see it closed; end must not close again
	}
}

// expire runs on the timer. It checks the deadline itself, so a timer armed for an
// earlier call that fires late cannot end the current one early.
func (c *callCtx) expire() {
	c.mu.Lock()
	if c.hasDeadline && !time.Now().Before(c.deadline) {
		c.cancelLocked(context.DeadlineExceeded)
	}
	c.mu.Unlock()
}

// Deadline returns the caller's deadline, if it sent one.
func (c *callCtx) Deadline() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.deadline, c.hasDeadline
}

// Done returns a channel closed when the call ends (deadline, cancel frame, shutdown).
func (c *callCtx) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.live.Load() {
		return closedChan // between calls
	}
	c.checkLocked()
	if c.err != nil {
		if c.done == nil {
			return closedChan
		}
		return c.done
	}
	if c.done == nil {
		c.clean.Store(false)
		c.done = make(chan struct{})
		if c.hasDeadline {
			d := time.Until(c.deadline)
			if c.timer == nil {
				c.timer = time.AfterFunc(d, c.expire)
			} else {
				c.timer.Reset(d)
			}
		}
	}
	return c.done
}

// checkLocked turns a passed deadline or a done parent into the error.
func (c *callCtx) checkLocked() {
	if c.err != nil {
		return
	}
	if c.hasDeadline && !time.Now().Before(c.deadline) {
		c.cancelLocked(context.DeadlineExceeded)
		return
	}
	if err := c.parent.Err(); err != nil {
		c.cancelLocked(err)
	}
}

// Err returns nil while the call runs, context.DeadlineExceeded once the deadline has
// passed, context.Canceled after a cancel frame or shutdown.
func (c *callCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.live.Load() {
		return context.Canceled // between calls
	}
	c.checkLocked()
	return c.err
}

// Value returns the server's base context's value for key.
func (c *callCtx) Value(key any) any { return c.parent.Value(key) }

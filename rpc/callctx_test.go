package rpc

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// A reused handler context: live during a call, canceled between calls, clean again
// for the next call whatever happened to the last one (a cancel during it, a cancel
// between calls, a deadline, a Done channel handed out), and a cancel racing with begin
// either ends that call or none; -race checks the lock-free begin.
func TestCallCtxReuse(t *testing.T) {
	base, stop := context.WithCancel(context.Background())
	defer stop()
	var c callCtx
	mustLive := func(step string) {
		t.Helper()
		if err := c.Err(); err != nil {
			t.Fatalf("%s: Err = %v during the call", step, err)
		}
		select {
		case <-c.Done():
			t.Fatalf("%s: Done closed during the call", step)
		default:
		}
	}
	mustEnded := func(step string, want error) {
		t.Helper()
		if err := c.Err(); !errors.Is(err, want) {
			t.Fatalf("%s: Err = %v, want %v", step, err, want)
		}
		select {
		case <-c.Done():
		default:
			t.Fatalf("%s: Done open", step)
		}
	}

	if err := c.begin(base, 0, false); err != nil {
		t.Fatal(err)
	}
	mustLive("first call")
	done := c.Done()
	c.end()
	<-done // the Done channel handed out closes at end
	mustEnded("between calls", context.Canceled)

	// Clean: the fast begin.
	if err := c.begin(base, 0, false); err != nil {
		t.Fatal(err)
	}
	mustLive("second call")
	c.cancel(context.Canceled) // a cancel frame
	mustEnded("after cancel", context.Canceled)
	c.end()

	// A cancel between calls does not reach the next call.
	c.cancel(context.Canceled)
	if err := c.begin(base, 0, false); err != nil {
		t.Fatalf("after a cancel between calls: %v", err)
	}
	mustLive("third call")
	c.end()

	// A deadline, then a call without one.
	if err := c.begin(base, time.Now().Add(time.Hour).UnixNano(), true); err != nil {
		t.Fatal(err)
	}
	if d, ok := c.Deadline(); !ok || time.Until(d) < 59*time.Minute {
		t.Fatalf("Deadline = %v, %v", d, ok)
	}
	c.Done() // arms the timer
	c.end()
	if err := c.begin(base, 0, false); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Deadline(); ok {
		t.Fatal("the deadline of the last call outlived it")
	}
	mustLive("fourth call")
	c.end()

	// A deadline already passed.
	if err := c.begin(base, time.Now().Add(-time.Second).UnixNano(), true); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("begin past the deadline: %v", err)
	}
	c.end()

	// Cancels racing with begin and end: every call either runs or sees Canceled, and
	// the context is never left broken.
	var wg sync.WaitGroup
	quit := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-quit:
				return
			default:
				c.cancel(context.Canceled)
			}
		}
	}()
	for i := 0; i < 2000; i++ {
		err := c.begin(base, 0, false)
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Fatalf("call %d: begin: %v", i, err)
		}
		if e := c.Err(); e != nil && !errors.Is(e, context.Canceled) {
			t.Fatalf("call %d: Err: %v", i, e)
		}
		c.end()
	}
	close(quit)
	wg.Wait()
	if err := c.begin(base, 0, false); err != nil {
		t.Fatalf("after the race: %v", err)
	}
	mustLive("after the race")
	c.end()

	// The server stopping ends a call that begins on the fast path.
	stop()
	if err := c.begin(base, 0, false); !errors.Is(err, context.Canceled) {
		t.Fatalf("begin after the server stopped: %v", err)
	}
	c.end()
}

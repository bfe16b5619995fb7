//go:build linux

package ring_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cellsubstrate/cell/ring"
)

// connPair connects two Conns inside this process over a socketpair.
func connPair(t testing.TB, cfg ring.Config) (client, server *ring.Conn) {
	t.Helper()
	a, b := seqpacketPair(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	type res struct {
		c   *ring.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := ring.Accept(ctx, b, cfg)
		ch <- res{c, err}
	}()
	client, err := ring.Connect(ctx, a, cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := <-ch
	if r.err != nil {
		t.Fatal(r.err)
	}
	return client, r.c
}

func TestConnEcho(t *testing.T) {
	c, s := connPair(t, ring.Config{Size: 8192})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	const n = 10000
	done := make(chan error, 1)
	go func() { // server: echo every record back
		in, out := s.Consumer(), s.Producer()
		for i := 0; i < n; i++ {
			rec, err := in.Peek(ctx)
			if err != nil {
				done <- err
				return
			}
			if err := out.Write(ctx, rec); err != nil {
				done <- err
				return
			}
			in.Release()
		}
		done <- nil
	}()
	out, in := c.Producer(), c.Consumer()
	buf := make([]byte, 64)
	for i := 0; i < n; i++ {
		buf[0], buf[1] = byte(i), byte(i>>8)
		if err := out.Write(ctx, buf[:1+i%64]); err != nil {
			t.Fatal(err)
		}
		rec, err := in.Peek(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(rec) != 1+i%64 || rec[0] != byte(i) {
			t.Fatalf("echo %d: got len %d first %d", i, len(rec), rec[0])
		}
		in.Release()
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	// The server sees an orderly close.
	if _, err := s.Consumer().Peek(ctx); !errors.Is(err, ring.ErrClosed) {
		t.Fatalf("server Peek after client Close = %v, want ErrClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestCloseConcurrent closes a connection while other goroutines block in Peek and
// Reserve and hammer the non-blocking calls: every call returns (an error or a result),
// nothing faults, and the blocked ones report ErrClosed.
func TestCloseConcurrent(t *testing.T) {
	for round := 0; round < 20; round++ {
		c, s := connPair(t, ring.Config{Size: 4096})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		errs := make(chan error, 2)
		hammered := make(chan struct{})
		go func() { // blocked consumer
			_, err := c.Consumer().Peek(ctx)
			errs <- err
		}()
		go func() { // producer filling the ring, then blocking in Reserve
			var err error
			for err == nil {
				err = c.Producer().Write(ctx, make([]byte, 100))
			}
			errs <- err
		}()
		go func() { // the server side hammering non-blocking calls on its own Conn
			for s.Err() == nil {
				s.Consumer().TryPeek()
				s.Producer().TryReserve(8) // reserved, never committed: the client sees nothing
			}
			close(hammered)
		}()
		time.Sleep(time.Duration(round%5) * time.Millisecond)
		c.Close()
		for i := 0; i < 2; i++ {
			if err := <-errs; !errors.Is(err, ring.ErrClosed) {
				t.Fatalf("round %d: blocked call returned %v, want ErrClosed", round, err)
			}
		}
		s.Close() // the hammering goroutine may still be inside a call
		<-hammered
		cancel()
	}
}

// TestIdleStaysUp leaves a healthy connection idle for longer than its heartbeat
// timeout: both monitors keep beating, so neither side declares the other dead.
// (Accept once could clear the monitor's read deadline, silencing its heartbeat: a race
// this test catches only when the monitor wins it.)
func TestIdleStaysUp(t *testing.T) {
	cfg := ring.Config{Size: 4096, HeartbeatInterval: 10 * time.Millisecond, HeartbeatTimeout: time.Second}
	for i := 0; i < 3; i++ {
		c, s := connPair(t, cfg)
		ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
		_, err := c.Consumer().Peek(ctx) // idle: nothing is ever sent
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("idle Peek = %v, want DeadlineExceeded", err)
		}
		if err := s.Err(); err != nil {
			t.Fatalf("server declared the client dead: %v", err)
		}
		c.Close()
		s.Close()
		if testing.Short() {
			break
		}
	}
}

// TestAfterClose: once this side closed, its calls report ErrClosed (not corruption from
// the retired memory), even with records still unread.
func TestAfterClose(t *testing.T) {
	c, s := connPair(t, ring.Config{Size: 4096})
	defer s.Close()
	for i := 0; i < 3; i++ {
		if err := s.Producer().TryWrite([]byte("unread")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Consumer().TryPeek(); err != nil { // one read, two left unread
		t.Fatal(err)
	}
	c.Close()
	for i := 0; i < 3; i++ {
		if _, err := c.Consumer().TryPeek(); !errors.Is(err, ring.ErrClosed) {
			t.Fatalf("TryPeek after Close = %v, want ErrClosed", err)
		}
	}
	if _, err := c.Consumer().Peek(context.Background()); !errors.Is(err, ring.ErrClosed) {
		t.Fatalf("Peek after Close = %v, want ErrClosed", err)
	}
	if _, err := c.Producer().Reserve(context.Background(), 8); !errors.Is(err, ring.ErrClosed) {
		t.Fatalf("Reserve after Close = %v, want ErrClosed", err)
	}
}

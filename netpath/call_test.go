//go:build unix

package netpath_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cellsubstrate/cell/frame"
	"github.com/cellsubstrate/cell/netpath"
)

// Many clients, each with many calls in flight: every request reaches the handler
// exactly once and every reply reaches exactly the caller that asked. Half the
// replies are sent from another goroutine, half from the handler itself.
func TestManyClientsManyCalls(t *testing.T) {
	const (
		clients = 4
		callers = 16 // goroutines per client
		calls   = 150
	)
	var (
		mu   sync.Mutex
		seen = map[uint64]int{}
	)
	srv := listen(t, func(c *netpath.Conn, h *frame.Header, p []byte) {
		if h.Kind != frame.KindRequest || len(p) != 8 {
			t.Errorf("unexpected frame %v len %d", h.Kind, len(p))
			return
		}
		key := binary.LittleEndian.Uint64(p)
		mu.Lock()
		seen[key]++
		mu.Unlock()
		r := frame.Header{Kind: frame.KindReply, CallID: h.CallID}
		var reply [8]byte
		binary.LittleEndian.PutUint64(reply[:], ^key) // a reply derived from the request
		if key&1 == 0 {
			_ = c.Reply(&r, reply[:])
			return
		}
		go func() { _ = c.Reply(&r, reply[:]) }()
	}, netpath.ServerConfig{})

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var got [clients * callers * calls]atomic.Int32
	var wg sync.WaitGroup
	for ci := 0; ci < clients; ci++ {
		cl := dial(t, srv.Addr(), netpath.ClientConfig{MaxInFlight: 8})
		for g := 0; g < callers; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < calls; i++ {
					key := uint64((ci*callers+g)*calls + i)
					var req [8]byte
					binary.LittleEndian.PutUint64(req[:], key)
					h := frame.Header{Kind: frame.KindRequest, Method: methodEcho}
					err := cl.Call(ctx, &h, req[:], func(_ *frame.Header, p []byte) error {
						if len(p) != 8 || binary.LittleEndian.Uint64(p) != ^key {
							return errors.New("reply for another call")
						}
						got[key].Add(1)
						return nil
					})
					if err != nil {
						t.Errorf("call %d: %v", key, err)
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	for k := range got {
		if n := got[k].Load(); n != 1 {
			t.Fatalf("call %d got %d replies", k, n)
		}
		mu.Lock()
		n := seen[uint64(k)]
		mu.Unlock()
		if n != 1 {
			t.Fatalf("request %d reached the handler %d times", k, n)
		}
	}
}

func TestRemoteError(t *testing.T) {
	srv := listen(t, echoHandler, netpath.ServerConfig{})
	cl := dial(t, srv.Addr(), netpath.ClientConfig{})
	h := frame.Header{Kind: frame.KindRequest, Method: methodError}
	err := cl.Call(context.Background(), &h, nil, nil)
	var re *netpath.RemoteError
	if !errors.As(err, &re) || re.Code != 42 || re.Message != "no such thing" {
		t.Fatalf("got %v, want RemoteError 42", err)
	}
}

// A call whose context ends sends a KindCancel for its id, returns the context's error,
// and a late reply to it is dropped without disturbing the next call.
func TestCancelAndLateReply(t *testing.T) {
	cancels := make(chan uint64, 1)
	held := make(chan heldCall, 1)
	srv := listen(t, func(c *netpath.Conn, h *frame.Header, p []byte) {
		switch {
		case h.Kind == frame.KindCancel:
			cancels <- h.CallID
		case h.Method == methodHold:
			if h.Flags&frame.FlagDeadline == 0 {
				t.Errorf("request from a context with a deadline has no deadline")
			}
			held <- heldCall{c, h.CallID}
		default:
			echoHandler(c, h, p)
		}
	}, netpath.ServerConfig{})
	cl := dial(t, srv.Addr(), netpath.ClientConfig{})

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	h := frame.Header{Kind: frame.KindRequest, Method: methodHold}
	err := cl.Call(ctx, &h, nil, func(*frame.Header, []byte) error {
		t.Error("reply callback ran for a cancelled call")
		return nil
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want DeadlineExceeded", err)
	}
	hc := recvTimeout(t, held)
	if id := recvTimeout(t, cancels); id != hc.id {
		t.Fatalf("cancel for %d, want %d", id, hc.id)
	}
	late := frame.Header{Kind: frame.KindReply, CallID: hc.id}
	if err := hc.c.Reply(&late, []byte("late")); err != nil {
		t.Fatal(err)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel2()
	if err := echo(ctx2, cl, []byte("after")); err != nil {
		t.Fatal(err)
	}
}

type heldCall struct {
	c  *netpath.Conn
	id uint64
}

func recvTimeout[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatal(errTimeout)
		panic("unreachable")
	}
}

// Past MaxInFlight, Call waits for a slot and honours its context while it waits.
func TestInFlightBound(t *testing.T) {
	held := make(chan heldCall, 4)
	srv := listen(t, func(c *netpath.Conn, h *frame.Header, p []byte) {
		if h.Kind == frame.KindRequest && h.Method == methodHold {
			held <- heldCall{c, h.CallID}
			return
		}
		echoHandler(c, h, p)
	}, netpath.ServerConfig{})
	cl := dial(t, srv.Addr(), netpath.ClientConfig{MaxInFlight: 2})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	errs := make(chan error, 2)
	for i := 0; i < 2; i++ {
		go func() {
			h := frame.Header{Kind: frame.KindRequest, Method: methodHold}
			errs <- cl.Call(ctx, &h, nil, nil)
		}()
	}
	a, b := recvTimeout(t, held), recvTimeout(t, held)
	short, cancelShort := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancelShort()
	if err := echo(short, cl, []byte("x")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("third call with two slots held: %v, want DeadlineExceeded", err)
	}
	for _, hc := range []heldCall{a, b} {
		r := frame.Header{Kind: frame.KindReply, CallID: hc.id}
		_ = hc.c.Reply(&r, nil)
	}
	for i := 0; i < 2; i++ {
		if err := recvTimeout(t, errs); err != nil {
			t.Fatal(err)
		}
	}
	if err := echo(ctx, cl, []byte("x")); err != nil {
		t.Fatal(err)
	}
}

// Graceful shutdown: calls in flight are answered, later calls fail with a typed error.
func TestGracefulShutdown(t *testing.T) {
	held := make(chan heldCall, 8)
	srv := listen(t, func(c *netpath.Conn, h *frame.Header, p []byte) {
		if h.Kind == frame.KindRequest && h.Method == methodHold {
			held <- heldCall{c, h.CallID}
			return
		}
		echoHandler(c, h, p)
	}, netpath.ServerConfig{})
	cl := dial(t, srv.Addr(), netpath.ClientConfig{BackoffMin: time.Millisecond, BackoffMax: 2 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const n = 4
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func() {
			h := frame.Header{Kind: frame.KindRequest, Method: methodHold}
			errs <- cl.Call(ctx, &h, nil, func(_ *frame.Header, p []byte) error {
				if string(p) != "done" {
					return errors.New("wrong reply")
				}
				return nil
			})
		}()
	}
	var hs []heldCall
	for i := 0; i < n; i++ {
		hs = append(hs, recvTimeout(t, held))
	}
	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(ctx) }()
	// Shutdown waits for the held calls: answer them now.
	time.Sleep(20 * time.Millisecond)
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned (%v) with calls in flight", err)
	default:
	}
	for _, hc := range hs {
		r := frame.Header{Kind: frame.KindReply, CallID: hc.id}
		if err := hc.c.Reply(&r, []byte("done")); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < n; i++ {
		if err := recvTimeout(t, errs); err != nil {
			t.Fatalf("call in flight during shutdown: %v", err)
		}
	}
	if err := recvTimeout(t, shut); err != nil {
		t.Fatal(err)
	}
	if err := echo(ctx, cl, []byte("x")); !errors.Is(err, netpath.ErrPeerGone) && !errors.Is(err, netpath.ErrGoAway) {
		t.Fatalf("call after shutdown: %v, want ErrPeerGone or ErrGoAway", err)
	}
}

func TestClosedClient(t *testing.T) {
	srv := listen(t, echoHandler, netpath.ServerConfig{})
	cl := dial(t, srv.Addr(), netpath.ClientConfig{})
	if err := cl.Close(); err != nil {
		t.Fatal(err)
	}
	if err := echo(context.Background(), cl, []byte("x")); !errors.Is(err, netpath.ErrClosed) {
		t.Fatalf("got %v, want ErrClosed", err)
	}
}

func TestBadAddress(t *testing.T) {
	for _, a := range []string{"", "http://x", "tcp://", "unix://"} {
		if _, err := netpath.Listen(a, echoHandler, netpath.ServerConfig{}); !errors.Is(err, netpath.ErrAddress) {
			t.Errorf("Listen(%q): %v, want ErrAddress", a, err)
		}
		if _, err := netpath.Dial(context.Background(), a, netpath.ClientConfig{}); !errors.Is(err, netpath.ErrAddress) {
			t.Errorf("Dial(%q): %v, want ErrAddress", a, err)
		}
	}
}

// A connection left idle while its server shut down and another took its place: the
// next call notices the close it was not there to read, and reaches the new server.
func TestIdleReconnect(t *testing.T) {
	logger, _ := newLogger(t)
	addr := "unix://" + t.TempDir() + "/s.sock"
	a, err := netpath.Listen(addr, echoHandler, netpath.ServerConfig{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	cl := dial(t, addr, netpath.ClientConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := echo(ctx, cl, []byte("first")); err != nil {
		t.Fatal(err)
	}
	if err := a.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	b, err := netpath.Listen(addr, echoHandler, netpath.ServerConfig{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	time.Sleep(5 * time.Millisecond) // longer than the client's idle probe threshold
	if err := echo(ctx, cl, []byte("second")); err != nil {
		t.Fatalf("call after the server was replaced: %v", err)
	}
}

// Callers whose contexts end while they hold the connection's reader role, or while
// they wait for it, hand it on: calls that are answered still complete, each exactly
// once, and none hangs while another caller gives up.
func TestReaderHandoffOnCancel(t *testing.T) {
	srv := listen(t, echoHandler, netpath.ServerConfig{})
	cl := dial(t, srv.Addr(), netpath.ClientConfig{MaxInFlight: 64})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const (
		holders = 8  // goroutines making calls the server never answers
		echoers = 8  // goroutines making calls it answers
		rounds  = 40 // calls per goroutine
	)
	var wg sync.WaitGroup
	errs := make(chan error, holders+echoers)
	for g := 0; g < holders; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				short, stop := context.WithTimeout(ctx, time.Duration(1+i%3)*time.Millisecond)
				h := frame.Header{Kind: frame.KindRequest, Method: methodHold}
				err := cl.Call(short, &h, nil, nil)
				stop()
				if !errors.Is(err, context.DeadlineExceeded) {
					errs <- fmt.Errorf("held call: %v, want DeadlineExceeded", err)
					return
				}
			}
		}()
	}
	var answered atomic.Int64
	for g := 0; g < echoers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				msg := []byte(fmt.Sprintf("echo %d %d", g, i))
				if err := echo(ctx, cl, msg); err != nil {
					errs <- err
					return
				}
				answered.Add(1)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := answered.Load(); n != echoers*rounds {
		t.Fatalf("%d echo calls answered, want %d", n, echoers*rounds)
	}
}

// The reader gives up (its context ends) while other callers wait for answers that
// arrive only later, with no new call to take the reader role: one of the waiting
// callers must be handed the role, or their answers would never be read.
func TestReaderCancelHandsOff(t *testing.T) {
	holding := make(chan struct{}, 1)
	srv := listen(t, func(c *netpath.Conn, h *frame.Header, p []byte) {
		if h.Kind != frame.KindRequest {
			return
		}
		switch h.Method {
		case methodHold:
			holding <- struct{}{}
		case methodEcho:
			r := frame.Header{Kind: frame.KindReply, CallID: h.CallID}
			payload := bytes.Clone(p)
			go func() { // answer after the reader has given up
				time.Sleep(100 * time.Millisecond)
				_ = c.Reply(&r, payload)
			}()
		}
	}, netpath.ServerConfig{})
	cl := dial(t, srv.Addr(), netpath.ClientConfig{})
	held := make(chan error, 1)
	go func() {
		short, stop := context.WithTimeout(context.Background(), 30*time.Millisecond)
		defer stop()
		h := frame.Header{Kind: frame.KindRequest, Method: methodHold}
		held <- cl.Call(short, &h, nil, nil)
	}()
	<-holding
	time.Sleep(5 * time.Millisecond) // let the held call start reading
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	const n = 4
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func() { errs <- echo(ctx, cl, []byte(fmt.Sprintf("late %d", i))) }()
	}
	if err := recvTimeout(t, held); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("held call: %v, want DeadlineExceeded", err)
	}
	for i := 0; i < n; i++ {
		if err := recvTimeout(t, errs); err != nil {
			t.Fatalf("call waiting when the reader gave up: %v", err)
		}
	}
}

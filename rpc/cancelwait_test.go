package rpc_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cellsubstrate/cell/rpc"
)

// A call canceled while another caller holds the request ring's producer (as one
// waiting for room in a full ring does) returns ErrCanceled at once: its cancel frame
// waits for the producer only briefly and is dropped after that, as it is when the ring
// is full. Before, it waited with Lock for as long as the holder kept the producer.
func TestCancelWhileProducerHeld(t *testing.T) {
	dir := testDir(t)
	p := startPeer(t, dir, peerConfig{workers: 2})
	defer p.stop(t)
	c := dial(t, dir, rpc.TransportSHM, rpc.PathSHM)
	defer c.Close()
	cl := c.Client()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := create(ctx, c, 7001, "wait") // the handler blocks until its context ends
		done <- err
	}()
	// Bounded: the call counts once its request is out.
	for end := time.Now().Add(10 * time.Second); cl.Stats().Calls == 0 && time.Now().Before(end); {
		time.Sleep(100 * time.Microsecond)
	}
	if cl.Stats().Calls == 0 {
		t.Fatal("the call's request never went out")
	}
	release := rpc.HoldProducer(cl)
	released := false
	defer func() {
		if !released {
			release()
		}
	}()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, rpc.ErrCanceled) {
			t.Fatalf("the canceled call returned %v, want ErrCanceled", err)
		}
	case <-time.After(10 * time.Second):
		released = true
		release()
		<-done
		t.Fatal("the canceled call was still waiting for the producer 10s after its cancel")
	}
	release()
	released = true
	// The connection still works: the producer lock was given back and handed on.
	if _, err := create(context.Background(), c, 7002, ""); err != nil {
		t.Fatalf("a call after the held producer: %v", err)
	}
}

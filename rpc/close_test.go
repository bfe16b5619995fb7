package rpc_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cellsubstrate/cell/examples/orders"
	"github.com/cellsubstrate/cell/rpc"
)

// Two goroutines close a shared-memory client while a call is in progress: both wait
// for it to end, and both must return once it does. The last call's End leaves one
// token for a waiting close; a second close waiting beside the first slept on forever.
func TestConcurrentCloseSHM(t *testing.T) {
	dir := testDir(t)
	p := startPeer(t, dir, peerConfig{})
	defer p.stop(t)
	c := dial(t, dir, rpc.TransportSHM, rpc.PathSHM)
	call, err := c.Client().Begin(context.Background(), orders.OrdersCreateOrder)
	if err != nil {
		t.Fatal(err)
	}
	var waiting atomic.Int32
	rpc.SetCloseWaitHook(func() { waiting.Add(1) })
	defer rpc.SetCloseWaitHook(nil)
	closed := make(chan error, 2)
	for range 2 {
		go func() { closed <- c.Close() }()
	}
	// Bounded: both closes wait for the call (the hook runs before each wait).
	for end := time.Now().Add(10 * time.Second); waiting.Load() < 2 && time.Now().Before(end); {
		time.Sleep(100 * time.Microsecond)
	}
	if waiting.Load() < 2 {
		t.Fatalf("%d closes waiting for the call in progress, want 2", waiting.Load())
	}
	call.End()
	for i := range 2 {
		select {
		case <-closed:
		case <-time.After(10 * time.Second):
			t.Fatalf("close %d of 2 did not return within 10s of the last call's End: lost wake-up", i+1)
		}
	}
}

package rpc_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cellsubstrate/cell/examples/orders"
	"github.com/cellsubstrate/cell/rpc"
)

// A caller waiting for the request ring's producer while another caller holds it must
// still end with its context. A solo call (Begin without Invoke) holds the producer; a
// second call takes the general path's lock and waits for the solo call; a third call,
// waiting for that lock, must return ErrDeadlineExceeded or ErrCanceled when its
// context ends, not when the producer comes free.
func TestProducerWaitEndsWithContext(t *testing.T) {
	dir := testDir(t)
	p := startPeer(t, dir, peerConfig{})
	defer p.stop(t)
	c := dial(t, dir, rpc.TransportSHM, rpc.PathSHM)
	defer c.Close()
	cl := c.Client()

	solo, err := cl.Begin(context.Background(), orders.OrdersCreateOrder)
	if err != nil {
		t.Fatal(err)
	}
	soloEnded := false
	endSolo := func() {
		if !soloEnded {
			soloEnded = true
			solo.End()
		}
	}
	defer endSolo()

	var waiting atomic.Int32
	rpc.SetProdWaitHook(func() { waiting.Add(1) })
	defer rpc.SetProdWaitHook(nil)
	holder := make(chan error, 1)
	go func() {
		call, err := cl.Begin(context.Background(), orders.OrdersCreateOrder)
		if err == nil {
			call.End()
		}
		holder <- err
	}()
	// Bounded: the holder takes the producer's lock, then waits for the solo call.
	for end := time.Now().Add(10 * time.Second); waiting.Load() == 0 && time.Now().Before(end); {
		time.Sleep(100 * time.Microsecond)
	}
	if waiting.Load() == 0 {
		t.Fatal("the second call never waited for the solo call's producer")
	}

	deadline, cancel1 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel1()
	canceled, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	cases := []struct {
		name string
		ctx  context.Context
		want error
	}{
		{"deadline", deadline, rpc.ErrDeadlineExceeded},
		{"cancel", canceled, rpc.ErrCanceled},
	}
	results := make([]chan error, len(cases))
	for i, tc := range cases {
		results[i] = make(chan error, 1)
		go func() {
			call, err := cl.Begin(tc.ctx, orders.OrdersCreateOrder)
			if err == nil {
				call.End()
			}
			results[i] <- err
		}()
	}
	time.Sleep(time.Millisecond) // not needed for correctness: lets the cancel find a waiter
	cancel2()
	stuck := make([]bool, len(cases))
	for i, tc := range cases {
		select {
		case err := <-results[i]:
			if !errors.Is(err, tc.want) {
				t.Errorf("%s: Begin waiting for the producer returned %v, want %v", tc.name, err, tc.want)
			}
		case <-time.After(10 * time.Second):
			stuck[i] = true
			t.Errorf("%s: Begin still waiting for the producer 10s after its context ended", tc.name)
		}
	}
	endSolo() // the holder gets the producer now
	select {
	case err := <-holder:
		if err != nil {
			t.Errorf("the call that held the producer's lock: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("the call that held the producer's lock never got the producer")
	}
	for i, tc := range cases { // those still waiting get the producer now
		if !stuck[i] {
			continue
		}
		select {
		case <-results[i]:
		case <-time.After(10 * time.Second):
			t.Errorf("%s: never returned", tc.name)
		}
	}
}

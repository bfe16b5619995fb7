package rpc

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"
)

// A warm zero-copy call allocates nothing, client and server together (both run in this
// process, and testing.AllocsPerRun counts every goroutine's allocations).
func TestZeroAllocCall(t *testing.T) {
	if raceEnabled {
		t.Skip("under -race sync.Pool drops items at random, so allocation counts mean nothing; the plain run checks them")
	}
	_, inst := startEcho(t)
	dir := inst.ControlPath[:len(inst.ControlPath)-len(inst.Control)-1]
	for _, tr := range []struct {
		name string
		t    Transport
	}{{"shm", TransportSHM}, {"unix", TransportUnix}, {"tcp", TransportTCP}} {
		t.Run(tr.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			c, err := Dial(ctx, &echoDesc, ClientOptions{Dir: dir, Transport: tr.t, Logger: discard})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			msg := []byte("zero allocations")
			var failed error
			call := func() {
				call, err := c.Begin(ctx, 0)
				if err != nil {
					failed = err
					return
				}
				rep, err := call.Invoke(call.B.CreateByteString(msg))
				if err != nil || !bytes.Contains(rep, msg) {
					failed = err
				}
				call.End()
			}
			for i := 0; i < 100; i++ {
				call()
			}
			allocs := testing.AllocsPerRun(2000, call)
			if failed != nil {
				t.Fatal(failed)
			}
			if allocs != 0 {
				t.Fatalf("%v allocations per call, want 0", allocs)
			}
		})
	}
}

// Replies bigger than the slot reserved for them (the first reply of a method reserves
// 256 bytes) are copied into a bigger one, and the next reservation grows; requests
// likewise. Every size arrives intact.
func TestSlotOverflow(t *testing.T) {
	_, inst := startEcho(t)
	dir := inst.ControlPath[:len(inst.ControlPath)-len(inst.Control)-1]
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := Dial(ctx, &echoDesc, ClientOptions{Dir: dir, Transport: TransportSHM, Logger: discard, RingSize: 256 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, n := range []int{10, 300, 10 << 10, 300, 100 << 10, 10} {
		msg := bytes.Repeat([]byte{byte(n)}, n)
		call, err := c.Begin(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := call.Invoke(call.B.CreateByteString(msg))
		if err != nil || !bytes.Contains(rep, msg) {
			t.Fatalf("%d bytes: %d-byte reply, %v", n, len(rep), err)
		}
		call.End()
	}
	// Larger than the ring's largest record: a clean error, and the connection lives on.
	call, err := c.Begin(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = call.Invoke(call.B.CreateByteString(make([]byte, 200<<10)))
	call.End()
	if !errors.Is(err, ErrResourceExhausted) {
		t.Fatalf("oversize request: %v, want ErrResourceExhausted", err)
	}
	call, _ = c.Begin(ctx, 0)
	if _, err := call.Invoke(call.B.CreateByteString([]byte("still alive"))); err != nil {
		t.Fatal(err)
	}
	call.End()
}

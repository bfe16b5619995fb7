package rpc_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/cellsubstrate/cell/examples/orders"
	"github.com/cellsubstrate/cell/rpc"
)

// Callers that often find the shared-memory connection idle make their calls on the
// solo path, and callers that begin while one runs join the general path: with callers
// that pause between calls, both paths and the hand-overs between them (a general call
// waiting for a solo call's request to be sent, for its reader role, abandoned calls on
// either path) happen many times. Every call is answered exactly once with its own
// answer, in both tiers, and the counters add up.
func TestSoloAndGeneralCallsMix(t *testing.T) {
	dir := testDir(t)
	for _, workers := range []int{0, 2} {
		p := startPeer(t, dir, peerConfig{workers: workers})
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			c := dial(t, dir, rpc.TransportSHM, rpc.PathSHM)
			defer c.Close()
			const callers, calls = 4, 300
			var wg sync.WaitGroup
			var mu sync.Mutex
			abandoned := 0
			for g := 0; g < callers; g++ {
				wg.Add(1)
				go func(g int) {
					defer wg.Done()
					for i := 0; i < calls; i++ {
						id := uint64(g)<<32 | uint64(i) + 1
						// Pause a varying while: sometimes nobody else is calling.
						for n := (g*7 + i*13) % 50; n > 0; n-- {
							runtime.Gosched()
						}
						if workers > 0 && (g+i)%25 == 0 {
							// Abandoned: the slow handler answers after the deadline; its
							// late answer must reach nobody.
							ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
							got, err := create(ctx, c, id, "slow")
							cancel()
							if errors.Is(err, rpc.ErrDeadlineExceeded) {
								mu.Lock()
								abandoned++
								mu.Unlock()
								continue
							}
							if err != nil || got != id {
								t.Errorf("caller %d call %d (slow): %#x, %v, want deadline exceeded or %#x", g, i, got, err, id)
								return
							}
							continue
						}
						var got uint64
						var err error
						if i%2 == 0 {
							got, err = create(context.Background(), c, id, "")
						} else {
							err = c.CreateOrderInPlace(context.Background(), func(b *flatbuffers.Builder) flatbuffers.UOffsetT {
								return orders.OrderBuild(b, &orders.OrderFields{Id: id, Symbol: "ACME"})
							}, func(rep orders.OrderId) error { got = rep.Id(); return nil })
						}
						if err != nil || got != id {
							t.Errorf("caller %d call %d: answer %#x, %v, want %#x", g, i, got, err, id)
							return
						}
					}
				}(g)
			}
			wg.Wait()
			if t.Failed() {
				return
			}
			// Both paths ran: the test would prove nothing of the hand-overs otherwise.
			if n := rpc.SoloCalls(c.Client()); n == 0 || n >= callers*calls {
				t.Errorf("%d of %d calls ran on the solo path, want some but not all", n, callers*calls)
			} else {
				t.Logf("%d of %d calls ran on the solo path", n, callers*calls)
			}
			mu.Lock()
			defer mu.Unlock()
			if s := c.Client().Stats(); s.Calls != callers*calls || s.Errors != uint64(abandoned) {
				t.Errorf("stats %+v, want %d calls and %d errors", s, callers*calls, abandoned)
			}
			// The connection still works after the late answers of abandoned calls.
			if got, err := create(context.Background(), c, 7, ""); err != nil || got != 7 {
				t.Errorf("after the mix: %#x, %v", got, err)
			}
		})
		p.stop(t)
	}
}

// Close while callers call, on the solo and the general path: every call returns its
// own answer or an unavailable error, Close returns, and calls after it fail at once.
func TestCloseWhileCalling(t *testing.T) {
	dir := testDir(t)
	p := startPeer(t, dir, peerConfig{})
	defer p.stop(t)
	c := dial(t, dir, rpc.TransportSHM, rpc.PathSHM)
	const callers = 4
	var wg sync.WaitGroup
	started := make(chan struct{}, callers)
	for g := 0; g < callers; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; ; i++ {
				if i == 10 {
					started <- struct{}{}
				}
				id := uint64(g)<<32 | uint64(i) + 1
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				got, err := create(ctx, c, id, "")
				cancel()
				if err != nil {
					if !errors.Is(err, rpc.ErrUnavailable) {
						t.Errorf("caller %d call %d: %v, want an unavailable error", g, i, err)
					}
					return
				}
				if got != id {
					t.Errorf("caller %d call %d: answer %#x, want %#x", g, i, got, id)
					return
				}
				for n := (g + i) % 5; n > 0; n-- {
					runtime.Gosched()
				}
			}
		}(g)
	}
	for g := 0; g < callers; g++ {
		<-started
	}
	if err := c.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	wg.Wait()
	if _, err := create(context.Background(), c, 1, ""); !errors.Is(err, rpc.ErrUnavailable) {
		t.Errorf("call after Close: %v, want an unavailable error", err)
	}
}

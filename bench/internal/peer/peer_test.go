package peer_test

import (
	"context"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/cellsubstrate/cell/bench/internal/harness"
	"github.com/cellsubstrate/cell/bench/internal/orders"
	"github.com/cellsubstrate/cell/bench/internal/peer"
)

func TestMain(m *testing.M) {
	peer.ChildMain()
	os.Exit(m.Run())
}

// Every row serves the order workload from a separate process: calls succeed
// (the client checks the reply id against the order), concurrently where the
// system multiplexes, and the server process stops when closed.
func TestEveryRowAcrossProcesses(t *testing.T) {
	for _, row := range peer.Rows() {
		t.Run(row.Name(), func(t *testing.T) {
			for _, size := range []int{64, 4096} {
				p, err := peer.Start(row, peer.Options{CPU: -1, Slots: 2, Size: size})
				if err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				c, err := row.System.Dial(ctx, p.Endpoint, orders.Sample(size))
				cancel()
				if err != nil {
					p.Close()
					t.Fatal(err)
				}
				for i := 0; i < 100; i++ {
					if err := c.Call(); err != nil {
						t.Fatalf("size %d call %d: %v", size, i, err)
					}
				}
				if peer.Multiplexed(row.System) {
					var wg sync.WaitGroup
					errs := make(chan error, 8)
					for g := 0; g < 8; g++ {
						wg.Add(1)
						go func() {
							defer wg.Done()
							for i := 0; i < 50; i++ {
								if err := c.Call(); err != nil {
									errs <- err
									return
								}
							}
						}()
					}
					wg.Wait()
					close(errs)
					for err := range errs {
						t.Errorf("concurrent call: %v", err)
					}
				}
				if err := c.Close(); err != nil {
					t.Errorf("close conn: %v", err)
				}
				pid := p.Pid()
				if err := p.Close(); err != nil {
					t.Errorf("close server: %v", err)
				}
				if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err == nil {
					t.Errorf("server process %d still exists after Close", pid)
				}
			}
		})
	}
}

// StartIdle runs a client process that holds its connections open until closed.
func TestIdleClientProcess(t *testing.T) {
	row := peer.Row{System: mustLookup(t, "floor-net"), Transport: "unix"}
	srv, err := peer.Start(row, peer.Options{CPU: -1, Slots: 5, Size: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cli, err := peer.StartIdle(row, srv.Endpoint, 5, -1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := harness.ProcessCPU(cli.Pid()); err != nil {
		t.Errorf("cpu of idle client: %v", err)
	}
	if err := cli.Close(); err != nil {
		t.Errorf("close idle client: %v", err)
	}
}

func TestShmFloorSlotsRunOut(t *testing.T) {
	row := peer.Row{System: mustLookup(t, "floor-futex"), Transport: "shm"}
	p, err := peer.Start(row, peer.Options{CPU: -1, Slots: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c, err := row.System.Dial(context.Background(), p.Endpoint, orders.Sample(64))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Call(); err != nil {
		t.Fatal(err)
	}
	if c2, err := row.System.Dial(context.Background(), p.Endpoint, orders.Sample(64)); err == nil {
		c2.Close()
		t.Error("a second connection got a slot the server does not serve")
	}
}

func TestLookup(t *testing.T) {
	if _, err := peer.Lookup("no-such-system"); err == nil {
		t.Error("Lookup found a system that does not exist")
	}
	seen := map[string]bool{}
	for _, r := range peer.Rows() {
		if seen[r.Name()] {
			t.Errorf("row %s listed twice", r.Name())
		}
		seen[r.Name()] = true
	}
	for _, want := range []string{"grpc/unix", "grpc/tcp", "grpc-flatbuffers/unix", "drpc/unix", "floor-spin/shm", "floor-futex/shm", "floor-net/unix", "floor-net/tcp"} {
		if !seen[want] {
			t.Errorf("no row %s", want)
		}
	}
}

func mustLookup(t *testing.T, name string) peer.System {
	s, err := peer.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

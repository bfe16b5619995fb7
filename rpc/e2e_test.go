package rpc_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cellsubstrate/cell/examples/orders"
	"github.com/cellsubstrate/cell/rpc"
)

// Every call from many concurrent callers, on every path, is answered exactly once, with
// its own answer, across two processes.
func TestConcurrentCallsExactlyOnce(t *testing.T) {
	dir := testDir(t)
	for _, workers := range []int{0, 4} {
		p := startPeer(t, dir, peerConfig{workers: workers})
		for _, tr := range transports {
			t.Run(fmt.Sprintf("%s/workers=%d", tr.name, workers), func(t *testing.T) {
				c := dial(t, dir, tr.t, tr.path)
				defer c.Close()
				const callers, calls = 8, 500
				var wg sync.WaitGroup
				errs := make(chan error, callers)
				for g := 0; g < callers; g++ {
					wg.Add(1)
					go func(g int) {
						defer wg.Done()
						ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
						defer cancel()
						for i := 0; i < calls; i++ {
							id := uint64(g)<<32 | uint64(i) + 1
							got, err := create(ctx, c, id, "")
							if err != nil {
								errs <- fmt.Errorf("caller %d call %d: %w", g, i, err)
								return
							}
							if got != id {
								errs <- fmt.Errorf("caller %d call %d: answer %#x, want %#x", g, i, got, id)
								return
							}
						}
					}(g)
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					t.Error(err)
				}
				if s := c.Client().Stats(); s.Calls != callers*calls || s.Errors != 0 {
					t.Errorf("stats %+v, want %d calls and no errors", s, callers*calls)
				}
			})
		}
		p.stop(t)
	}
}

// A deadline travels with the call: the handler's context ends with the caller's, the
// caller gets ErrDeadlineExceeded, and the connection keeps working.
func TestDeadlineEndsHandlerContext(t *testing.T) {
	dir := testDir(t)
	for _, workers := range []int{0, 2} {
		p := startPeer(t, dir, peerConfig{workers: workers})
		for i, tr := range transports {
			t.Run(fmt.Sprintf("%s/workers=%d", tr.name, workers), func(t *testing.T) {
				c := dial(t, dir, tr.t, tr.path)
				defer c.Close()
				id := uint64(1000 + i)
				ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
				defer cancel()
				_, err := create(ctx, c, id, "wait")
				if !errors.Is(err, rpc.ErrDeadlineExceeded) || !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("err = %v, want deadline exceeded", err)
				}
				if got := record(t, c, id); got != context.DeadlineExceeded.Error() {
					t.Fatalf("handler saw %q, want %q", got, context.DeadlineExceeded.Error())
				}
			})
		}
		p.stop(t)
	}
}

// Canceling a call (no deadline) sends a cancel frame: with a worker pool the handler's
// context ends at once. (Inline handlers read the cancel only after they return; see
// ServerOptions.Workers.)
func TestCancelEndsHandlerContext(t *testing.T) {
	dir := testDir(t)
	p := startPeer(t, dir, peerConfig{workers: 2})
	defer p.stop(t)
	for i, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			c := dial(t, dir, tr.t, tr.path)
			defer c.Close()
			id := uint64(2000 + i)
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(50*time.Millisecond, cancel)
			_, err := create(ctx, c, id, "wait")
			if !errors.Is(err, rpc.ErrCanceled) || !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want canceled", err)
			}
			if got := record(t, c, id); got != context.Canceled.Error() {
				t.Fatalf("handler saw %q, want %q", got, context.Canceled.Error())
			}
		})
	}
}

// A handler's panic is an ErrInternal reply; the server keeps serving.
func TestHandlerPanicIsAnError(t *testing.T) {
	dir := testDir(t)
	p := startPeer(t, dir, peerConfig{})
	defer p.stop(t)
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			c := dial(t, dir, tr.t, tr.path)
			defer c.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err := create(ctx, c, 1, "panic")
			var re *rpc.Error
			if !errors.Is(err, rpc.ErrInternal) || !errors.As(err, &re) || !re.Remote || !strings.Contains(re.Message, "CreateOrder") {
				t.Fatalf("err = %v, want a remote internal error naming the method", err)
			}
			if got, err := create(ctx, c, 7, ""); err != nil || got != 7 {
				t.Fatalf("after the panic: %d, %v", got, err)
			}
		})
	}
}

// openFDs counts this process's open file descriptors.
func openFDs(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// memfdMaps counts this process's mappings of memfd segments.
func memfdMaps(t *testing.T) int {
	b, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "memfd:")
}

// settle waits (bounded) until f() <= want, for counters that drop asynchronously.
func settle(f func() int, want int) int {
	deadline := time.Now().Add(5 * time.Second)
	n := f()
	for n > want && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		n = f()
	}
	return n
}

// A server killed with SIGKILL mid-call: the blocked caller gets ErrUnavailable well
// before its deadline, and closing the client leaves no fd, mapping or goroutine behind.
func TestServerKilledMidCall(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs /proc and shared memory (Linux)")
	}
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			dir := testDir(t)
			p := startPeer(t, dir, peerConfig{})
			fds, maps, gs := openFDs(t), memfdMaps(t), runtime.NumGoroutine()
			c := dial(t, dir, tr.t, tr.path)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if _, err := create(ctx, c, 1, ""); err != nil {
				t.Fatal(err)
			}
			time.AfterFunc(100*time.Millisecond, p.kill)
			start := time.Now()
			_, err := create(ctx, c, 2, "wait")
			if !errors.Is(err, rpc.ErrUnavailable) {
				t.Fatalf("err = %v, want ErrUnavailable", err)
			}
			if el := time.Since(start); el > 8*time.Second {
				t.Fatalf("the error took %v, the deadline was 10s", el)
			} else {
				t.Logf("the blocked caller got %v after %v (the kill came at 100ms)", err, el)
			}
			if _, err := create(ctx, c, 3, ""); err == nil {
				t.Fatal("a call on the dead connection succeeded")
			}
			c.Close()
			if n := settle(func() int { return openFDs(t) }, fds); n > fds {
				t.Errorf("%d fds open after close, %d before", n, fds)
			}
			if n := memfdMaps(t); n > maps {
				t.Errorf("%d memfd mappings after close, %d before", n, maps)
			}
			if n := settle(runtime.NumGoroutine, gs); n > gs {
				t.Errorf("%d goroutines after close, %d before", n, gs)
			}
		})
	}
}

// changed returns a copy of the Orders description with f applied to CreateOrder's
// request shape.
func changed(f func(s *rpc.Shape)) *rpc.ServiceDesc {
	d := orders.OrdersDesc
	d.Methods = append([]rpc.MethodDesc(nil), d.Methods...)
	m := &d.Methods[orders.OrdersCreateOrder]
	m.Request.Fields = append([]rpc.Field(nil), m.Request.Fields...)
	f(&m.Request)
	return &d
}

// A client built from a schema that changed a field's type is refused with an error
// naming the service, the method and both fingerprints; one that added a field works.
func TestSchemaCompatibility(t *testing.T) {
	dir := testDir(t)
	p := startPeer(t, dir, peerConfig{})
	defer p.stop(t)
	incompatible := changed(func(s *rpc.Shape) { s.Fields[3].Type = "ulong" }) // quantity: uint -> ulong
	added := changed(func(s *rpc.Shape) { s.Fields = append(s.Fields, rpc.Field{Path: "7", Name: "note", Type: "string"}) })
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err := rpc.Dial(ctx, incompatible, rpc.ClientOptions{Dir: dir, Transport: tr.t, Logger: quietLogger()})
			var ie *rpc.IncompatibleError
			if !errors.As(err, &ie) || !errors.Is(err, rpc.ErrIncompatible) {
				t.Fatalf("err = %v, want an *IncompatibleError", err)
			}
			local := incompatible.Methods[orders.OrdersCreateOrder].Fingerprint()
			remote := orders.OrdersDesc.Methods[orders.OrdersCreateOrder].Fingerprint()
			for _, want := range []string{"orders.Orders", "CreateOrder", local.String(), remote.String(), "quantity"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			c, err := rpc.Dial(ctx, added, rpc.ClientOptions{Dir: dir, Transport: tr.t, Logger: quietLogger()})
			if err != nil {
				t.Fatalf("compatible change refused: %v", err)
			}
			defer c.Close()
			if added.Methods[0].Fingerprint() == remote {
				t.Fatal("adding a field did not change the fingerprint")
			}
			call, err := c.Begin(ctx, orders.OrdersCreateOrder)
			if err != nil {
				t.Fatal(err)
			}
			defer call.End()
			req := &orders.OrderT{Id: 42}
			rep, err := call.Invoke(req.Pack(call.B))
			if err != nil {
				t.Fatal(err)
			}
			var id orders.OrderId
			if err := orders.ReadOrderId(rep, &id); err != nil || id.Id() != 42 {
				t.Fatalf("reply %d, %v", id.Id(), err)
			}
		})
	}
}

// Several servers and several clients live in one process, without interfering.
func TestTwoServersSeveralClientsOneProcess(t *testing.T) {
	dir := testDir(t)
	var srvs []*rpc.Server
	for i := 0; i < 2; i++ {
		srv, err := rpc.NewServer(rpc.ServerOptions{Dir: dir, Instance: fmt.Sprintf("s%d", i), TCPAddr: "127.0.0.1:0", Logger: quietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		if err := orders.RegisterOrdersInPlace(srv, newTestServer()); err != nil {
			t.Fatal(err)
		}
		if err := srv.Start(); err != nil {
			t.Fatal(err)
		}
		srvs = append(srvs, srv)
	}
	var clients []*orders.OrdersClient
	for i := 0; i < 6; i++ {
		tr := transports[i%len(transports)]
		want := fmt.Sprintf("s%d", i%2)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, err := orders.NewOrdersClient(ctx, rpc.ClientOptions{Dir: dir, Instance: want, Transport: tr.t, Logger: quietLogger()})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if c.Client().Instance() != want || c.Client().Path() != tr.path {
			t.Fatalf("client %d reached %s over %v, want %s over %v", i, c.Client().Instance(), c.Client().Path(), want, tr.path)
		}
		clients = append(clients, c)
	}
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Add(1)
		go func(i int, c *orders.OrdersClient) {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			for j := 0; j < 100; j++ {
				id := uint64(i*1000 + j + 1)
				if got, err := create(ctx, c, id, ""); err != nil || got != id {
					t.Errorf("client %d: %d, %v", i, got, err)
					return
				}
			}
		}(i, c)
	}
	wg.Wait()
	for _, c := range clients {
		c.Close()
	}
	for _, srv := range srvs {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := srv.Shutdown(ctx); err != nil {
			t.Error(err)
		}
		cancel()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := orders.NewOrdersClient(ctx, rpc.ClientOptions{Dir: dir, Logger: quietLogger()}); !errors.Is(err, rpc.ErrNoInstance) {
		t.Fatalf("after shutdown: %v, want ErrNoInstance", err)
	}
}

// A client that dials a netpath address moves to shared memory when the handshake shows
// the server on this host; asked for TCP only, it stays there.
func TestUpgradeFromAddress(t *testing.T) {
	dir := testDir(t)
	p := startPeer(t, dir, peerConfig{})
	defer p.stop(t)
	for _, tc := range []struct {
		t    rpc.Transport
		want rpc.Path
	}{{rpc.TransportAuto, rpc.PathSHM}, {rpc.TransportTCP, rpc.PathTCP}} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, err := orders.NewOrdersClient(ctx, rpc.ClientOptions{Addr: "tcp://" + p.tcp, Transport: tc.t, Logger: quietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Client().Path(); got != tc.want {
			t.Errorf("transport %d: path %v, want %v", tc.t, got, tc.want)
		}
		if id, err := create(ctx, c, 5, ""); err != nil || id != 5 {
			t.Errorf("call: %d, %v", id, err)
		}
		if s := c.Client().Stats(); s.Fallbacks != 0 {
			t.Errorf("fallbacks %d", s.Fallbacks)
		}
		c.Close()
		cancel()
	}
}

// When the server refuses shared memory, a client falls back to netpath, counts it, and
// says so in its path.
func TestFallbackCounted(t *testing.T) {
	dir := testDir(t)
	srv, err := rpc.NewServer(rpc.ServerOptions{Dir: dir, NoSHM: true, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if err := orders.RegisterOrdersInPlace(srv, newTestServer()); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := orders.NewOrdersClient(ctx, rpc.ClientOptions{Dir: dir, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if s := c.Client().Stats(); s.Path != rpc.PathUnix || s.Fallbacks != 1 {
		t.Fatalf("stats %+v, want path unix and one fallback", s)
	}
	if id, err := create(ctx, c, 9, ""); err != nil || id != 9 {
		t.Fatalf("call: %d, %v", id, err)
	}
	if _, err := orders.NewOrdersClient(ctx, rpc.ClientOptions{Dir: dir, Transport: rpc.TransportSHM, Logger: quietLogger()}); err == nil {
		t.Fatal("TransportSHM connected to a server that refuses shared memory")
	}
}

// Callers that give up (deadline) interleaved with callers that wait: on every path
// each waiting caller still gets exactly its own answer, and late answers to abandoned
// calls go nowhere. On shared memory this drives the reader hand-over: the reader
// leaves on its deadline while others wait, and orphaned replies are skipped.
func TestConcurrentWithAbandonedCalls(t *testing.T) {
	dir := testDir(t)
	p := startPeer(t, dir, peerConfig{workers: 4})
	defer p.stop(t)
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			c := dial(t, dir, tr.t, tr.path)
			defer c.Close()
			const callers, calls = 6, 60
			var wg sync.WaitGroup
			for g := 0; g < callers; g++ {
				wg.Add(1)
				go func(g int) {
					defer wg.Done()
					for i := 0; i < calls; i++ {
						id := uint64(g)<<32 | uint64(i) + 1
						if (g+i)%3 == 0 {
							ctx, cancel := context.WithTimeout(context.Background(), 2*time.Millisecond)
							start := time.Now()
							got, err := create(ctx, c, id, "slow")
							cancel()
							switch {
							case errors.Is(err, rpc.ErrDeadlineExceeded):
							case err == nil && got == id:
								// The answer came as the deadline passed and the caller saw
								// it first (a loaded machine can delay the timer): still its
								// own answer, exactly once.
								t.Logf("caller %d call %d: answered after %v despite a 2ms deadline", g, i, time.Since(start))
							default:
								t.Errorf("caller %d call %d: %#x, %v after %v, want deadline exceeded or %#x", g, i, got, err, time.Since(start), id)
								return
							}
							continue
						}
						ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
						got, err := create(ctx, c, id, "")
						cancel()
						if err != nil || got != id {
							t.Errorf("caller %d call %d: answer %#x, %v, want %#x", g, i, got, err, id)
							return
						}
					}
				}(g)
			}
			wg.Wait()
		})
	}
}

// A client killed with SIGKILL mid-call: the server notices at once (control socket
// EOF on shared memory, netpath's OnClose on sockets), cancels the call, and keeps no
// fd or goroutine of the connection (counted in this process, which is the server).
func TestClientKilledMidCall(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs /proc and shared memory (Linux)")
	}
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			dir := testDir(t)
			ts := newTestServer()
			srv, err := rpc.NewServer(rpc.ServerOptions{Dir: dir, TCPAddr: "127.0.0.1:0", Workers: 2, Logger: quietLogger()})
			if err != nil {
				t.Fatal(err)
			}
			if err := orders.RegisterOrdersInPlace(srv, ts); err != nil {
				t.Fatal(err)
			}
			if err := srv.Start(); err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			fds, gs := openFDs(t), runtime.NumGoroutine()
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			want := context.Canceled.Error()
			cmd.Env = append(os.Environ(), "CELL_RPC_TEST_PEER=client", "CELL_DIR="+dir,
				"CELL_RPC_TRANSPORT="+strconv.Itoa(int(tr.t)), "CELL_RPC_DEADLINE=30s")
			out, _ := cmd.StdoutPipe()
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			line, _ := bufio.NewReader(out).ReadString('\n')
			if line != "calling\n" {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("client peer said %q", line)
			}
			// Wait (bounded) until the handler runs, then kill the client.
			deadline := time.Now().Add(10 * time.Second)
			for ts.running() == 0 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			if ts.running() == 0 {
				t.Fatal("the call never reached the handler")
			}
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
			start := time.Now()
			for ts.running() > 0 && time.Since(start) < 10*time.Second {
				time.Sleep(time.Millisecond)
			}
			if ts.running() > 0 {
				t.Fatal("the handler's context did not end after the client died")
			}
			if got := ts.recordOf(1); got != want {
				t.Fatalf("handler saw %q, want %q", got, want)
			}
			t.Logf("handler context ended %v after the kill: %s", time.Since(start), want)
			if n := settle(func() int { return openFDs(t) }, fds); n > fds {
				t.Errorf("%d fds open after the client died, %d before it connected: %v", n, fds, fdTargets())
			}
			if n := settle(runtime.NumGoroutine, gs); n > gs {
				buf := make([]byte, 1<<16)
				t.Errorf("%d goroutines after the client died, %d before it connected:\n%s", n, gs, buf[:runtime.Stack(buf, true)])
			}
		})
	}
}

// fdTargets lists what this process's fds point to, for failure messages.
func fdTargets() []string {
	ents, _ := os.ReadDir("/proc/self/fd")
	var out []string
	for _, e := range ents {
		l, _ := os.Readlink("/proc/self/fd/" + e.Name())
		out = append(out, e.Name()+"->"+l)
	}
	return out
}

// Shutdown drains: calls running when it starts are answered; calls not yet started
// are refused with ErrUnavailable (they did not run, so retrying elsewhere is safe);
// the server then stops, and a later call fails with ErrUnavailable.
func TestShutdownDrains(t *testing.T) {
	for _, tr := range transports {
		for _, workers := range []int{0, 4} {
			t.Run(fmt.Sprintf("%s/workers=%d", tr.name, workers), func(t *testing.T) {
				dir := testDir(t)
				srv, err := rpc.NewServer(rpc.ServerOptions{Dir: dir, TCPAddr: "127.0.0.1:0", Workers: workers, Logger: quietLogger()})
				if err != nil {
					t.Fatal(err)
				}
				impl := newTestServer()
				if err := orders.RegisterOrdersInPlace(srv, impl); err != nil {
					t.Fatal(err)
				}
				if err := srv.Start(); err != nil {
					t.Fatal(err)
				}
				defer srv.Close()
				c := dial(t, dir, tr.t, tr.path)
				defer c.Close()
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				const n = 4
				errs := make(chan error, n)
				for i := 0; i < n; i++ {
					go func(i int) {
						id := uint64(i + 1)
						got, err := create(ctx, c, id, "slow")
						if err == nil && got != id {
							err = fmt.Errorf("answer %d, want %d", got, id)
						}
						errs <- err
					}(i)
				}
				// Shut down once a handler runs (not after a guessed delay): that call
				// must be answered.
				for impl.slowStarted() == 0 {
					if ctx.Err() != nil {
						t.Fatal("no call reached the server in 10s")
					}
					time.Sleep(100 * time.Microsecond)
				}
				if err := srv.Shutdown(ctx); err != nil {
					t.Fatalf("Shutdown: %v", err)
				}
				answered := 0
				for i := 0; i < n; i++ {
					switch err := <-errs; {
					case err == nil:
						answered++
					case !errors.Is(err, rpc.ErrUnavailable):
						t.Errorf("call in flight during Shutdown: %v", err)
					}
				}
				if answered == 0 {
					t.Error("Shutdown answered none of the calls that were running")
				}
				if _, err := create(ctx, c, 99, ""); !errors.Is(err, rpc.ErrUnavailable) {
					t.Fatalf("call after Shutdown: %v, want ErrUnavailable", err)
				}
			})
		}
	}
}

// Close is prompt: a call blocked on a server that does not answer fails with
// ErrUnavailable as soon as the client closes, not at its deadline.
func TestCloseWithCallBlocked(t *testing.T) {
	dir := testDir(t)
	p := startPeer(t, dir, peerConfig{})
	defer p.stop(t)
	for i, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			c := dial(t, dir, tr.t, tr.path)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			done := make(chan error, 1)
			go func() {
				_, err := create(ctx, c, uint64(3000+i), "wait")
				done <- err
			}()
			time.Sleep(50 * time.Millisecond)
			start := time.Now()
			closed := make(chan struct{})
			go func() { c.Close(); close(closed) }()
			// Were Close not prompt, the call would end by its deadline instead.
			if err := <-done; !errors.Is(err, rpc.ErrUnavailable) {
				t.Fatalf("blocked call: %v, want ErrUnavailable", err)
			}
			<-closed
			t.Logf("blocked call failed and Close returned %v after Close began", time.Since(start))
		})
	}
}

package rpc_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"github.com/cellsubstrate/cell/internal/affinity"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/cellsubstrate/cell/examples/orders"
	"github.com/cellsubstrate/cell/rpc"
)

// The cross-process tests and benchmarks run the server in a second process: this test
// binary re-executed with CELL_RPC_TEST_PEER=1 (see runPeer).
func TestMain(m *testing.M) {
	switch os.Getenv("CELL_RPC_TEST_PEER") {
	case "1":
		os.Exit(runPeer())
	case "client":
		os.Exit(runClientPeer())
	}
	os.Exit(m.Run())
}

// testServer is the Orders implementation the tests run. Its behaviour is chosen by the
// request's client_name:
//
//	""      echo: CreateOrder answers OrderId{id: request id}
//	"wait"  block until ctx ends, record ctx.Err() under the request id, return it
//	"panic" panic
//	"slow"  count the call as started, sleep 20ms, then echo
//
// GetOrder(id) answers an Order whose client_name is what "wait" recorded for id ("" if
// nothing yet).
type testServer struct {
	mu      sync.Mutex
	records map[uint64]string
	waiting int // "wait" handlers running
	slow    int // "slow" handlers started
}

func (s *testServer) slowStarted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.slow
}

func (s *testServer) running() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waiting
}

func (s *testServer) recordOf(id uint64) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.records[id]
}

func newTestServer() *testServer { return &testServer{records: map[uint64]string{}} }

func (s *testServer) CreateOrder(ctx context.Context, req orders.Order, b *flatbuffers.Builder) (flatbuffers.UOffsetT, error) {
	switch string(req.ClientName()) {
	case "wait":
		s.mu.Lock()
		s.waiting++
		s.mu.Unlock()
		<-ctx.Done()
		s.mu.Lock()
		s.records[req.Id()] = ctx.Err().Error()
		s.waiting--
		s.mu.Unlock()
		return 0, ctx.Err()
	case "panic":
		panic("test handler panics on purpose")
	case "slow":
		s.mu.Lock()
		s.slow++
		s.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	return orders.OrderIdBuild(b, &orders.OrderIdFields{Id: req.Id()}), nil
}

func (s *testServer) GetOrder(ctx context.Context, req orders.OrderId, b *flatbuffers.Builder) (flatbuffers.UOffsetT, error) {
	s.mu.Lock()
	rec := s.records[req.Id()]
	s.mu.Unlock()
	name := b.CreateString(rec)
	orders.OrderStart(b)
	orders.OrderAddId(b, req.Id())
	orders.OrderAddClientName(b, name)
	return orders.OrderEnd(b), nil
}

// quietLogger drops the logs of tests (gnet announces every listener; the panic test logs a stack on purpose).
func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError + 1}))
}

// runPeer is the server process: it serves until its stdin closes, then shuts down
// gracefully and exits 0.
func runPeer() int {
	if cpu, err := strconv.Atoi(os.Getenv("CELL_RPC_CPU")); err == nil {
		if _, err := affinity.Process(cpu); err != nil {
			fmt.Fprintln(os.Stderr, "peer: pin:", err)
			return 1
		}
	}
	workers, _ := strconv.Atoi(os.Getenv("CELL_RPC_WORKERS"))
	spin, _ := time.ParseDuration(os.Getenv("CELL_RPC_SPIN"))
	srv, err := rpc.NewServer(rpc.ServerOptions{
		Dir: os.Getenv("CELL_DIR"), TCPAddr: "127.0.0.1:0", Workers: workers, Spin: spin,
		Instance: os.Getenv("CELL_RPC_INSTANCE"), Logger: quietLogger(),
	})
	if err == nil {
		err = orders.RegisterOrdersInPlace(srv, newTestServer())
	}
	if err == nil {
		err = srv.Start()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "peer:", err)
		return 1
	}
	if path := os.Getenv("CELL_RPC_PEER_CPUPROFILE"); path != "" {
		// For profiling the server side of the benchmarks by hand.
		if f, err := os.Create(path + "." + strconv.Itoa(os.Getpid())); err == nil && pprof.StartCPUProfile(f) == nil {
			defer pprof.StopCPUProfile()
		}
	}
	fmt.Printf("ready %s\n", srv.TCPAddr())
	io.Copy(io.Discard, os.Stdin)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "peer shutdown:", err)
		return 1
	}
	return 0
}

// peer is a server process started by a test.
type peer struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	tcp   string
	dir   string
	done  chan error
}

type peerConfig struct {
	workers int
	spin    time.Duration
	cpu     int  // the CPU to pin the peer to, when pinned
	pinned  bool // set by benchmarks under CELL_BENCH_CPUS
}

// startPeer starts a server process registered in dir and waits until it serves.
func startPeer(tb testing.TB, dir string, cfg peerConfig) *peer {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "CELL_RPC_TEST_PEER=1", "CELL_DIR="+dir,
		"CELL_RPC_WORKERS="+strconv.Itoa(cfg.workers), "CELL_RPC_SPIN="+cfg.spin.String())
	if cfg.pinned {
		cmd.Env = append(cmd.Env, "CELL_RPC_CPU="+strconv.Itoa(cfg.cpu))
	}
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	p := &peer{cmd: cmd, stdin: stdin, dir: dir, done: make(chan error, 1)}
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- s
		io.Copy(io.Discard, out)
	}()
	select {
	case s := <-line:
		f := strings.Fields(s)
		if len(f) != 2 || f[0] != "ready" {
			cmd.Process.Kill()
			cmd.Wait()
			tb.Fatalf("peer did not start: %q", s)
		}
		p.tcp = f[1]
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		tb.Fatal("peer did not start within 20s")
	}
	go func() { p.done <- cmd.Wait() }()
	tb.Cleanup(func() { p.kill() })
	return p
}

// stop asks the peer to shut down gracefully and waits for it to exit cleanly.
func (p *peer) stop(tb testing.TB) {
	tb.Helper()
	p.stdin.Close()
	select {
	case err := <-p.done:
		p.done <- err
		if err != nil {
			tb.Fatalf("peer exited with %v", err)
		}
	case <-time.After(15 * time.Second):
		p.cmd.Process.Kill()
		tb.Fatal("peer did not stop within 15s")
	}
}

// kill sends SIGKILL (if the peer still runs) and reaps it.
func (p *peer) kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case err := <-p.done:
		p.done <- err
	case <-time.After(10 * time.Second):
	}
}

// transports are the paths every cross-process test runs on.
var transports = []struct {
	name string
	t    rpc.Transport
	path rpc.Path
}{
	{"shm", rpc.TransportSHM, rpc.PathSHM},
	{"unix", rpc.TransportUnix, rpc.PathUnix},
	{"tcp", rpc.TransportTCP, rpc.PathTCP},
}

// dial connects an Orders client over transport t and checks the path.
func dial(tb testing.TB, dir string, t rpc.Transport, want rpc.Path) *orders.OrdersClient {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := orders.NewOrdersClient(ctx, rpc.ClientOptions{Dir: dir, Transport: t, Logger: quietLogger()})
	if err != nil {
		tb.Fatalf("dial %v: %v", want, err)
	}
	if got := c.Client().Path(); got != want {
		c.Close()
		tb.Fatalf("path = %v, want %v", got, want)
	}
	return c
}

// create calls CreateOrder with id and client_name and returns the id answered.
func create(ctx context.Context, c *orders.OrdersClient, id uint64, name string) (uint64, error) {
	rep, err := c.CreateOrder(ctx, &orders.OrderT{Id: id, Symbol: "ACME", Quantity: 1, Price: 2, ClientName: name})
	if err != nil {
		return 0, err
	}
	return rep.Id, nil
}

// record polls GetOrder until the server recorded something for id (bounded).
func record(tb testing.TB, c *orders.OrdersClient, id uint64) string {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		o, err := c.GetOrder(ctx, &orders.OrderIdT{Id: id})
		cancel()
		if err != nil && !errors.Is(err, rpc.ErrDeadlineExceeded) {
			tb.Fatalf("GetOrder: %v", err)
		}
		if err != nil {
			tb.Logf("GetOrder: %v", err)
		}
		if err == nil && o.ClientName != "" {
			return o.ClientName
		}
		time.Sleep(5 * time.Millisecond)
	}
	tb.Fatalf("the server recorded nothing for call %d within 5s", id)
	return ""
}

// testDir returns a fresh registry directory (mode 0700, as the registry requires).
func testDir(tb testing.TB) string {
	tb.Helper()
	d := tb.TempDir() + "/cell"
	if err := os.Mkdir(d, 0o700); err != nil {
		tb.Fatal(err)
	}
	return d
}

// runClientPeer is a client process: it connects over CELL_RPC_TRANSPORT, prints
// "calling", and makes a call the server holds until the call's context ends (it is
// killed long before).
func runClientPeer() int {
	tr, _ := strconv.Atoi(os.Getenv("CELL_RPC_TRANSPORT"))
	d, err := time.ParseDuration(os.Getenv("CELL_RPC_DEADLINE"))
	if err != nil {
		d = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	c, err := orders.NewOrdersClient(ctx, rpc.ClientOptions{Dir: os.Getenv("CELL_DIR"), Transport: rpc.Transport(tr), Logger: quietLogger()})
	if err != nil {
		fmt.Fprintln(os.Stderr, "client peer:", err)
		return 1
	}
	fmt.Println("calling")
	_, err = create(ctx, c, 1, "wait")
	fmt.Fprintln(os.Stderr, "client peer: call returned:", err)
	return 1
}

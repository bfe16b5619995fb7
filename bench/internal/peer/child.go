package peer

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cellsubstrate/cell/bench/internal/harness"
	"github.com/cellsubstrate/cell/bench/internal/orders"
)

// Environment variables of the re-executed child.
const (
	envRole      = "CELLBENCH_ROLE" // "server" or "idle"
	envSystem    = "CELLBENCH_SYSTEM"
	envTransport = "CELLBENCH_TRANSPORT"
	envAddr      = "CELLBENCH_ADDR"
	envCPU       = "CELLBENCH_CPU"
	envSlots     = "CELLBENCH_SLOTS"
	envSize      = "CELLBENCH_SIZE"
	envShared    = "CELLBENCH_SHARED" // "1" when fd 3 is the shared memfd
	envConns     = "CELLBENCH_CONNS"  // idle client: connections to open
	envDir       = "CELLBENCH_DIR"    // the server's private directory
)

// Options place and size a server process.
type Options struct {
	// CPU is the vCPU the child pins itself to; -1 leaves it unpinned.
	CPU int
	// Slots is how many client connections the server must accept (default 1).
	Slots int
	// Size is the nominal order size (default 64).
	Size int
}

// Process is a child process started by Start or StartIdle.
type Process struct {
	// Endpoint is where clients connect (for a server) or connected (idle client).
	Endpoint Endpoint
	cmd      *exec.Cmd
	stdin    io.WriteCloser
	dir      string
}

// Pid is the child's process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Close ends the child (EOF on its stdin, then SIGKILL after a grace period) and
// removes its files. It is safe to call once.
func (p *Process) Close() error {
	p.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(3 * time.Second):
		_ = p.cmd.Process.Kill()
		err = <-done
	}
	if p.Endpoint.Shared != nil {
		p.Endpoint.Shared.Close()
	}
	if p.dir != "" {
		os.RemoveAll(p.dir)
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) && !ee.Exited() {
		return nil // killed by us after the grace period, or by the signal we sent
	}
	return err
}

// Start runs the server half of row r in a new process and waits until it is ready.
func Start(r Row, o Options) (*Process, error) {
	if o.Slots <= 0 {
		o.Slots = 1
	}
	if o.Size <= 0 {
		o.Size = 64
	}
	dir, err := os.MkdirTemp("", "cellbench-")
	if err != nil {
		return nil, err
	}
	ep := Endpoint{Transport: r.Transport, Slots: o.Slots, Size: o.Size, Dir: dir}
	switch r.Transport {
	case "tcp":
		ep.Addr = "127.0.0.1:0"
	default:
		ep.Addr = filepath.Join(dir, "s.sock")
	}
	if sm, ok := r.System.(SharedMemory); ok {
		f, err := newSharedFile(sm.SharedBytes(o.Slots))
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		ep.Shared = f
	}
	env := []string{envRole + "=server", envSystem + "=" + r.System.Name(),
		envTransport + "=" + r.Transport, envAddr + "=" + ep.Addr,
		envCPU + "=" + strconv.Itoa(o.CPU), envSlots + "=" + strconv.Itoa(o.Slots),
		envSize + "=" + strconv.Itoa(o.Size), envDir + "=" + dir}
	p, addr, err := spawn(env, ep.Shared, dir)
	if err != nil {
		if ep.Shared != nil {
			ep.Shared.Close()
		}
		return nil, fmt.Errorf("peer: start %s: %w", r.Name(), err)
	}
	ep.Addr = addr
	p.Endpoint = ep
	return p, nil
}

// StartIdle runs a client process that opens conns connections to the server
// srv (one call on each, so they are established) and then idles until closed.
func StartIdle(r Row, srv Endpoint, conns, cpu int) (*Process, error) {
	env := []string{envRole + "=idle", envSystem + "=" + r.System.Name(),
		envTransport + "=" + r.Transport, envAddr + "=" + srv.Addr,
		envCPU + "=" + strconv.Itoa(cpu), envSlots + "=" + strconv.Itoa(srv.Slots),
		envSize + "=" + strconv.Itoa(srv.Size), envConns + "=" + strconv.Itoa(conns)}
	p, _, err := spawn(env, srv.Shared, "")
	if err != nil {
		return nil, fmt.Errorf("peer: start idle client %s: %w", r.Name(), err)
	}
	p.Endpoint = srv
	p.Endpoint.Shared = nil // owned by the server's Process
	return p, nil
}

func spawn(env []string, shared *os.File, dir string) (*Process, string, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	cmd := exec.Command(exe, "-test.run=^$") // the flag keeps a test binary quiet if ChildMain is missing
	cmd.Env = append(os.Environ(), env...)
	cmd.Env = append(cmd.Env, "GOMAXPROCS=1")
	if shared != nil {
		cmd.ExtraFiles = []*os.File{shared}
		cmd.Env = append(cmd.Env, envShared+"=1")
	}
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = childAttr()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, "", err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	p := &Process{cmd: cmd, stdin: stdin, dir: dir}
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			line <- sc.Text()
		}
		close(line)
		io.Copy(io.Discard, stdout)
	}()
	select {
	case l, ok := <-line:
		if !ok || !strings.HasPrefix(l, "READY") {
			p.Close()
			return nil, "", fmt.Errorf("child did not get ready (said %q)", l)
		}
		return p, strings.TrimSpace(strings.TrimPrefix(l, "READY")), nil
	case <-time.After(20 * time.Second):
		p.Close()
		return nil, "", errors.New("child not ready after 20s")
	}
}

// ChildMain serves when this process was started by Start or StartIdle, and then
// exits; otherwise it returns at once. Call it first in TestMain and main.
func ChildMain() {
	role := os.Getenv(envRole)
	if role == "" {
		return
	}
	err := childMain(role)
	if err != nil {
		fmt.Fprintf(os.Stderr, "cellbench %s %s/%s: %v\n", role, os.Getenv(envSystem), os.Getenv(envTransport), err)
		os.Exit(1)
	}
	os.Exit(0)
}

func childMain(role string) error {
	sys, err := Lookup(os.Getenv(envSystem))
	if err != nil {
		return err
	}
	atoi := func(k string, def int) int {
		if v, err := strconv.Atoi(os.Getenv(k)); err == nil {
			return v
		}
		return def
	}
	if cpu := atoi(envCPU, -1); cpu >= 0 {
		if _, err := harness.PinProcess(cpu); err != nil {
			return err
		}
	}
	ep := Endpoint{Transport: os.Getenv(envTransport), Addr: os.Getenv(envAddr),
		Slots: atoi(envSlots, 1), Size: atoi(envSize, 64), Dir: os.Getenv(envDir)}
	if os.Getenv(envShared) == "1" {
		ep.Shared = os.NewFile(3, "shared")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { // the parent closes stdin (or dies): stop
		io.Copy(io.Discard, os.Stdin)
		cancel()
		time.Sleep(2 * time.Second)
		os.Exit(0)
	}()
	switch role {
	case "server":
		err := sys.Serve(ctx, ep, func(addr string) { fmt.Printf("READY %s\n", addr) })
		if ctx.Err() != nil {
			return nil
		}
		return err
	case "idle":
		return idleClient(ctx, sys, ep, atoi(envConns, 1))
	}
	return fmt.Errorf("unknown role %q", role)
}

func idleClient(ctx context.Context, sys System, ep Endpoint, n int) error {
	order := orders.Sample(ep.Size)
	conns := make([]Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := 0; i < n; i++ {
		c, err := sys.Dial(ctx, ep, order)
		if err != nil {
			return fmt.Errorf("dial %d: %w", i, err)
		}
		conns = append(conns, c)
		if err := c.Call(); err != nil {
			return fmt.Errorf("call on conn %d: %w", i, err)
		}
	}
	fmt.Println("READY")
	<-ctx.Done()
	return nil
}

// listen opens the listener for a net transport.
func listen(ep Endpoint) (net.Listener, error) {
	switch ep.Transport {
	case "unix", "shm":
		os.Remove(ep.Addr)
		return net.Listen("unix", ep.Addr)
	case "tcp":
		return net.Listen("tcp", ep.Addr)
	}
	return nil, fmt.Errorf("peer: no net transport %q", ep.Transport)
}

func dialNet(ctx context.Context, ep Endpoint) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, ep.Transport, ep.Addr)
}

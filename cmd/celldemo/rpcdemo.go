//go:build linux

package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// rpcDemo is the main job of `make demo`: it builds the orders example's server and
// client, starts the server as its own process, runs the client as another (which finds
// the service by name, shows the path it runs on, and measures calls on shared memory
// and on netpath), then stops the server with SIGTERM and checks it drained and exited
// cleanly. A second server, spinning before it parks, then serves the shared-memory
// spin measurement. Each server gets a fresh registry directory, so the demo finds its
// own server and leaves nothing behind.
//
// With taskset available, servers run on CPU serverCPU and clients on CPU clientCPU,
// the placement of the ring baselines that follow.
func rpcDemo(w io.Writer, calls, clientCPU, serverCPU int) error {
	tmp, err := os.MkdirTemp("", "celldemo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	fmt.Fprintln(w, "building examples/orders/server and examples/orders/client ...")
	for _, name := range []string{"server", "client"} {
		build := exec.Command("go", "build", "-o", filepath.Join(tmp, name), "github.com/cellsubstrate/cell/examples/orders/"+name)
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("go build %s: %w", name, err)
		}
	}
	d := &demo{w: w, tmp: tmp, clientCPU: clientCPU, serverCPU: serverCPU}
	if _, err := exec.LookPath("taskset"); err == nil {
		d.taskset = true
		fmt.Fprintf(w, "placement: servers on CPU %d, clients on CPU %d (set CELL_BENCH_CPUS=client,server)\n", serverCPU, clientCPU)
	} else {
		fmt.Fprintln(w, "placement: the scheduler's (taskset not found)")
	}
	n := strconv.Itoa(calls)
	fmt.Fprintf(w, "\n%d CreateOrder calls per path and tier, one in flight, an order of about 100 bytes each way;\n", calls)
	fmt.Fprintln(w, "zerocopy builds the request for the outbound slot and reads the reply in place, object uses flatc's object API.")

	fmt.Fprintln(w, "\n1. a server that parks at once when idle (no spinning), and a client that knows only the service name:")
	out, err := d.session("park", []string{"-tcp", "127.0.0.1:0"}, []string{"-latency", n})
	if err != nil {
		return err
	}
	if !strings.Contains(out, "path shm") {
		return fmt.Errorf("the client did not run on shared memory")
	}
	fmt.Fprintln(w, "\n2. both sides spin 50µs before parking (pays only with a core each):")
	if _, err := d.session("spin", []string{"-spin", "50us"}, []string{"-transport", "shm", "-spin", "50us", "-latency", n}); err != nil {
		return err
	}
	return nil
}

type demo struct {
	w                    io.Writer
	tmp                  string
	clientCPU, serverCPU int
	taskset              bool
}

// command returns bin with args, pinned to cpu when taskset is available.
func (d *demo) command(cpu int, bin string, args ...string) *exec.Cmd {
	bin = filepath.Join(d.tmp, bin)
	if d.taskset {
		return exec.Command("taskset", append([]string{"-c", strconv.Itoa(cpu), bin}, args...)...)
	}
	return exec.Command(bin, args...)
}

// session starts a server with srvArgs in a fresh registry directory, runs the client
// with cliArgs, relays both outputs, stops the server with SIGTERM and checks that it
// stopped cleanly. It returns the client's output.
func (d *demo) session(name string, srvArgs, cliArgs []string) (string, error) {
	dir := filepath.Join(d.tmp, "registry-"+name)
	if err := os.Mkdir(dir, 0o700); err != nil {
		return "", err
	}
	env := append(os.Environ(), "CELL_DIR="+dir)
	srv := d.command(d.serverCPU, "server", srvArgs...)
	srv.Env, srv.Stderr = env, os.Stderr
	out, err := srv.StdoutPipe()
	if err != nil {
		return "", err
	}
	if err := srv.Start(); err != nil {
		return "", err
	}
	defer srv.Process.Kill() // no-op once it exited
	lines := make(chan string, 4)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	select {
	case l, ok := <-lines:
		if !ok {
			return "", fmt.Errorf("server exited before serving")
		}
		fmt.Fprintf(d.w, "[server pid %d] %s\n", srv.Process.Pid, l)
	case <-time.After(20 * time.Second):
		return "", fmt.Errorf("server did not start within 20s")
	}

	cli := d.command(d.clientCPU, "client", cliArgs...)
	cli.Env, cli.Stderr = env, os.Stderr
	timer := time.AfterFunc(5*time.Minute, func() { cli.Process.Kill() })
	defer timer.Stop()
	res, err := cli.Output()
	for _, l := range strings.Split(strings.TrimRight(string(res), "\n"), "\n") {
		fmt.Fprintf(d.w, "[client pid %d] %s\n", cli.Process.Pid, l)
	}
	if err != nil {
		return "", fmt.Errorf("client: %w", err)
	}

	srv.Process.Signal(syscall.SIGTERM)
	stopped := false
	for l := range lines {
		fmt.Fprintf(d.w, "[server pid %d] %s\n", srv.Process.Pid, l)
		stopped = stopped || l == "server stopped"
	}
	if err := srv.Wait(); err != nil || !stopped {
		return "", fmt.Errorf("server did not stop cleanly: %v", err)
	}
	left, _ := os.ReadDir(filepath.Join(dir, "orders.Orders"))
	fmt.Fprintf(d.w, "server stopped by SIGTERM: drained, exit status 0, %d files left in its registry entry\n", len(left))
	return string(res), nil
}

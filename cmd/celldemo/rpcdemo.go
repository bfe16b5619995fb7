package main

import (
	"bufio"
	"context"
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
// cleanly. The registry directory is a fresh one, so the demo finds its own server and
// leaves nothing behind.
func rpcDemo(w io.Writer, calls int) error {
	tmp, err := os.MkdirTemp("", "celldemo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	dir := filepath.Join(tmp, "registry")
	if err := os.Mkdir(dir, 0o700); err != nil {
		return err
	}
	fmt.Fprintln(w, "building examples/orders/server and examples/orders/client ...")
	for _, name := range []string{"server", "client"} {
		build := exec.Command("go", "build", "-o", filepath.Join(tmp, name), "github.com/cellsubstrate/cell/examples/orders/"+name)
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("go build %s: %w", name, err)
		}
	}
	env := append(os.Environ(), "CELL_DIR="+dir)

	srv := exec.Command(filepath.Join(tmp, "server"), "-tcp", "127.0.0.1:0")
	srv.Env = env
	srv.Stderr = os.Stderr
	out, err := srv.StdoutPipe()
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		return err
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
			return fmt.Errorf("server exited before serving")
		}
		fmt.Fprintf(w, "[server pid %d] %s\n", srv.Process.Pid, l)
	case <-time.After(20 * time.Second):
		return fmt.Errorf("server did not start within 20s")
	}

	fmt.Fprintf(w, "\nrunning the client as another process; it knows only the service name (registry: %s)\n", dir)
	fmt.Fprintf(w, "%d CreateOrder calls per path and tier, one in flight, an order of about 100 bytes each way;\n", calls)
	fmt.Fprintln(w, "zerocopy builds the request in the outbound slot and reads the reply in place, object uses flatc's object API.")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cli := exec.CommandContext(ctx, filepath.Join(tmp, "client"), "-latency", strconv.Itoa(calls))
	cli.Env = env
	cli.Stderr = os.Stderr
	res, err := cli.Output()
	for _, l := range strings.Split(strings.TrimRight(string(res), "\n"), "\n") {
		fmt.Fprintf(w, "[client pid %d] %s\n", cli.Process.Pid, l)
	}
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	if !strings.Contains(string(res), "path shm") {
		return fmt.Errorf("the client did not run on shared memory")
	}

	fmt.Fprintln(w, "\nstopping the server with SIGTERM (it drains calls in flight, then exits)")
	srv.Process.Signal(syscall.SIGTERM)
	stopped := false
	for l := range lines {
		fmt.Fprintf(w, "[server pid %d] %s\n", srv.Process.Pid, l)
		stopped = stopped || l == "server stopped"
	}
	if err := srv.Wait(); err != nil || !stopped {
		return fmt.Errorf("server did not stop cleanly: %v", err)
	}
	left, _ := os.ReadDir(filepath.Join(dir, "orders.Orders"))
	fmt.Fprintf(w, "server exited 0; %d files left in its registry entry\n", len(left))
	return nil
}

package registry_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cellsubstrate/cell/internal/registry"
)

// childEnv makes the test binary act as a registered instance: "dir|service|id|mode".
// The child registers, prints "ready", then:
//
//	wait  - waits for stdin to close, then Closes its registration and exits 0
//	hang  - waits for stdin to close (the parent SIGKILLs it first) and exits 3
//	exit  - exits 0 at once without Close: the kernel drops its lock, its files stay
const childEnv = "CELL_REGISTRY_TEST_CHILD"

func runChild(spec string) int {
	parts := strings.Split(spec, "|")
	if len(parts) != 4 {
		fmt.Fprintln(os.Stderr, "bad child spec", spec)
		return 2
	}
	d, err := registry.Open(parts[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	r, err := d.Register(parts[1], registry.Info{Instance: parts[2], Protocol: 1, TCP: "127.0.0.1:1"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	fmt.Println("ready")
	if parts[3] == "exit" {
		return 0
	}
	// Bounded: a parent that vanished without closing stdin does not leave us behind.
	done := make(chan struct{})
	go func() { io.Copy(io.Discard, os.Stdin); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		return 4
	}
	if parts[3] == "hang" {
		return 3
	}
	if err := r.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	return 0
}

type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

// startChild runs the test binary as an instance of service with id in d, and returns
// once it has registered.
func startChild(t *testing.T, d *registry.Dir, service, id, mode string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+strings.Join([]string{d.Path(), service, id, mode}, "|"))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd, stdin}
	t.Cleanup(func() { c.cmd.Process.Kill(); c.cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "ready\n" {
		t.Fatalf("child %s: read %q, %v", id, line, err)
	}
	return c
}

func lookupByID(t *testing.T, d *registry.Dir, service string) (map[string]registry.Instance, map[string]registry.Skipped) {
	t.Helper()
	live, skipped, err := d.Lookup(service)
	if err != nil {
		t.Fatal(err)
	}
	lm := map[string]registry.Instance{}
	for _, in := range live {
		lm[in.Instance] = in
	}
	sm := map[string]registry.Skipped{}
	for _, s := range skipped {
		sm[s.Instance] = s
	}
	return lm, sm
}

func TestAcrossProcesses(t *testing.T) {
	d := openDir(t)
	killed := startChild(t, d, "svc", "killed", "hang")
	clean := startChild(t, d, "svc", "clean", "wait")
	exited := startChild(t, d, "svc", "exited", "exit")
	if err := exited.cmd.Wait(); err != nil {
		t.Fatalf("exiting child: %v", err)
	}

	live, skipped := lookupByID(t, d, "svc")
	if len(live) != 2 || live["killed"].PID != killed.cmd.Process.Pid || live["clean"].PID != clean.cmd.Process.Pid {
		t.Fatalf("live = %+v, want killed and clean with their pids", live)
	}
	if s, ok := skipped["exited"]; !ok || !s.Swept || !errors.Is(s.Err, registry.ErrDead) || len(skipped) != 1 {
		t.Fatalf("skipped = %+v, want exited swept as dead", skipped)
	}

	// SIGKILL: the kernel releases the lock; the next Lookup sweeps the entry.
	if err := killed.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := killed.cmd.Wait(); err == nil {
		t.Fatal("killed child exited cleanly")
	}
	live, skipped = lookupByID(t, d, "svc")
	if _, ok := live["killed"]; ok || len(live) != 1 {
		t.Fatalf("after SIGKILL live = %+v", live)
	}
	if s := skipped["killed"]; !s.Swept || !errors.Is(s.Err, registry.ErrDead) || len(skipped) != 1 {
		t.Fatalf("after SIGKILL skipped = %+v, want killed swept", skipped)
	}
	for _, name := range []string{"killed.json", "killed.lock", "exited.json", "exited.lock"} {
		if _, err := os.Lstat(filepath.Join(d.Path(), "svc", name)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s not swept: %v", name, err)
		}
	}
	// Idempotent: nothing more to sweep.
	live, skipped = lookupByID(t, d, "svc")
	if len(live) != 1 || len(skipped) != 0 {
		t.Fatalf("second Lookup: live %v skipped %v", live, skipped)
	}
	// A new process may take over the id of the killed one.
	again := startChild(t, d, "svc", "killed", "wait")
	live, _ = lookupByID(t, d, "svc")
	if live["killed"].PID != again.cmd.Process.Pid {
		t.Fatalf("re-registered id: %+v", live["killed"])
	}
	// And may not take a live one's.
	startFail := exec.Command(os.Args[0], "-test.run=^$")
	startFail.Env = append(os.Environ(), childEnv+"="+strings.Join([]string{d.Path(), "svc", "clean", "exit"}, "|"))
	if out, err := startFail.CombinedOutput(); err == nil || !strings.Contains(string(out), "already registered") {
		t.Fatalf("registering a live id from another process: %v, %s", err, out)
	}

	// Clean exits unregister.
	for _, c := range []*child{clean, again} {
		c.stdin.Close()
		if err := c.cmd.Wait(); err != nil {
			t.Fatalf("clean child: %v", err)
		}
	}
	live, skipped = lookupByID(t, d, "svc")
	if len(live) != 0 || len(skipped) != 0 {
		t.Fatalf("after clean exits: live %v skipped %v", live, skipped)
	}
	if _, err := d.Pick("svc"); !errors.Is(err, registry.ErrNoInstance) {
		t.Fatalf("Pick = %v, want ErrNoInstance", err)
	}
}

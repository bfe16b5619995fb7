package orders_test

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The example's server and client, built and run as two processes: the client finds
// the server by name on every path, creates an order and reads it back; the server
// stops cleanly on SIGTERM and leaves its registry entry empty.
func TestServerAndClientProcesses(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("shared memory and SO_PEERCRED need Linux")
	}
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	tmp := t.TempDir()
	for _, name := range []string{"server", "client"} {
		out, err := exec.Command(gobin, "build", "-o", filepath.Join(tmp, name), "./"+name).CombinedOutput()
		if err != nil {
			t.Fatalf("go build %s: %v\n%s", name, err, out)
		}
	}
	dir := filepath.Join(tmp, "registry")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "CELL_DIR="+dir)
	srv := exec.Command(filepath.Join(tmp, "server"), "-tcp", "127.0.0.1:0")
	srv.Env = env
	out, err := srv.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Process.Kill()
	lines := make(chan string, 4)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	select {
	case l := <-lines:
		if !strings.HasPrefix(l, "serving orders.Orders") {
			t.Fatalf("server said %q", l)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("server did not start")
	}
	for i, tr := range []string{"auto", "shm", "unix", "tcp"} {
		cli := exec.Command(filepath.Join(tmp, "client"), "-transport", tr)
		cli.Env = env
		res, err := cli.CombinedOutput()
		if err != nil {
			t.Fatalf("client -transport %s: %v\n%s", tr, err, res)
		}
		path := tr
		if tr == "auto" {
			path = "shm"
		}
		for _, want := range []string{"found orders.Orders", "path " + path, "Buy 10 ACME at 12345 for demo [example]", "order " + string(rune('1'+i)) + ":"} {
			if !strings.Contains(string(res), want) {
				t.Errorf("client -transport %s output lacks %q:\n%s", tr, want, res)
			}
		}
	}
	srv.Process.Signal(syscall.SIGTERM)
	var rest []string
	for l := range lines {
		rest = append(rest, l)
	}
	if err := srv.Wait(); err != nil {
		t.Fatalf("server exit: %v", err)
	}
	if len(rest) != 1 || rest[0] != "server stopped" {
		t.Fatalf("server said %q after SIGTERM", rest)
	}
	if left, _ := os.ReadDir(filepath.Join(dir, "orders.Orders")); len(left) != 0 {
		t.Errorf("registry entry not cleaned: %d files", len(left))
	}
}

package registry_test

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/cellsubstrate/cell/internal/registry"
)

func TestCheckPeerSameUser(t *testing.T) {
	d := openDir(t)
	r := register(t, d, "svc", registry.Info{})
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: r.ControlPath(), Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	inst, err := d.Pick("svc")
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: inst.ControlPath, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := ln.AcceptUnix()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, conn := range []*net.UnixConn{c, s} {
		cr, err := registry.CheckPeer(conn)
		if err != nil || int(cr.PID) != os.Getpid() || int(cr.UID) != os.Getuid() || int(cr.GID) != os.Getgid() {
			t.Fatalf("CheckPeer = %+v, %v; want pid %d uid %d gid %d", cr, err, os.Getpid(), os.Getuid(), os.Getgid())
		}
	}
}

// peerEnv makes the test binary drop to uid/gid 65534 and listen on the abstract Unix
// socket named by the variable, so the parent can connect to a peer of another user.
const peerEnv = "CELL_REGISTRY_TEST_PEER"

func runPeer(addr string) int {
	if err := syscall.Setgid(65534); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if err := syscall.Setuid(65534); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ln, err := net.Listen("unix", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	fmt.Println("ready")
	ln.(*net.UnixListener).SetDeadline(time.Now().Add(30 * time.Second))
	c, err := ln.Accept()
	if err != nil {
		return 3
	}
	c.Read(make([]byte, 1)) // until the parent closes
	return 0
}

func TestCheckPeerOtherUser(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to run a peer under another uid")
	}
	addr := fmt.Sprintf("@cell-registry-test-%d-%d", os.Getpid(), time.Now().UnixNano())
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), peerEnv+"="+addr)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "ready\n" {
		t.Fatalf("peer: %q, %v", line, err)
	}
	c, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: addr, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cr, err := registry.CheckPeer(c)
	var pe *registry.PeerUIDError
	if !errors.Is(err, registry.ErrPeerUID) || !errors.As(err, &pe) || cr.UID != 65534 || int(cr.PID) != cmd.Process.Pid {
		t.Fatalf("CheckPeer = %+v, %v; want ErrPeerUID for uid 65534 pid %d", cr, err, cmd.Process.Pid)
	}
}

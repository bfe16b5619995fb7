//go:build linux

package ring_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cellsubstrate/cell/ring"
	"golang.org/x/sys/unix"
)

// The test binary re-executes itself as the peer process: TestMain runs the role named
// by $CELL_RING_PEER instead of the tests. The peer's end of the control socket is fd 3.
const peerEnv = "CELL_RING_PEER"

func TestMain(m *testing.M) {
	if role := os.Getenv(peerEnv); role != "" {
		os.Exit(runPeer(role))
	}
	os.Exit(m.Run())
}

// peerConfig is the configuration both processes use in the cross-process tests.
var peerConfig = ring.Config{Size: 16384, HeartbeatInterval: 20 * time.Millisecond, HeartbeatTimeout: 5 * time.Second}

func runPeer(role string) int {
	ctl, err := net.FileConn(os.NewFile(3, "ctl"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "peer:", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cfg := peerConfig
	if os.Getenv("CELL_RING_PEER_DEFAULTS") != "" {
		cfg = ring.Config{Size: peerConfig.Size}
	}
	if s := os.Getenv("CELL_RING_PEER_SPIN"); s != "" {
		d, _ := time.ParseDuration(s)
		cfg.Spin = d
	}
	c, err := ring.Accept(ctx, ctl.(*net.UnixConn), cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "peer accept:", err)
		return 2
	}
	defer c.Close()
	in, out := c.Consumer(), c.Producer()
	switch role {
	case "echo": // echo every record until the connection goes down
		for {
			rec, err := in.Peek(ctx)
			if err != nil {
				return 0
			}
			if err := out.Write(ctx, rec); err != nil {
				return 0
			}
			in.Release()
		}
	case "stream": // write numbered records until killed
		buf := make([]byte, 256)
		for seq := uint64(0); ; seq++ {
			if err := out.Write(ctx, recordFor(buf, seq, 256)); err != nil {
				return 0
			}
		}
	case "sink": // never read; wait for the end
		<-c.Done()
		return 0
	case "hostile": // after a first record, write the values in $CELL_RING_HOSTILE into the segment, then idle
		if _, err := in.Peek(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "peer:", err)
			return 2
		}
		in.Release()
		if err := pokeAll(ring.SegmentOf(c), os.Getenv("CELL_RING_HOSTILE")); err != nil {
			fmt.Fprintln(os.Stderr, "peer:", err)
			return 2
		}
		fmt.Println("ready")
		<-c.Done()
		return 0
	case "bench":
		return benchPeer(ctx, c)
	}
	fmt.Fprintln(os.Stderr, "peer: unknown role", role)
	return 2
}

// peer is a running peer process and this side's Conn to it.
type peer struct {
	cmd    *exec.Cmd
	conn   *ring.Conn
	stdout *bufio.Reader
}

// startPeer runs the test binary as a peer with role and connects to it.
func startPeer(t testing.TB, role string, cfg ring.Config, env ...string) *peer {
	t.Helper()
	a, b := seqpacketPair(t)
	f, err := b.File()
	b.Close()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), peerEnv+"="+role), env...)
	if os.Getenv("GORACE") == "" {
		// The race runtime sleeps 1s at exit by default; the peer has nothing to wait for.
		cmd.Env = append(cmd.Env, "GORACE=atexit_sleep_ms=0")
	}
	cmd.ExtraFiles = []*os.File{f}
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	f.Close() // only the child holds its end now, so its death is our EOF
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := ring.Connect(ctx, a, cfg)
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal(err)
	}
	p := &peer{cmd: cmd, conn: c, stdout: bufio.NewReader(out)}
	t.Cleanup(p.stop)
	return p
}

// stop closes the connection and reaps the peer (killing it if it lingers).
func (p *peer) stop() {
	p.conn.Close()
	done := make(chan struct{})
	go func() { io.Copy(io.Discard, p.stdout); p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
}

// TestCrossProcessExactlyOnce pipelines records of random sizes through an echoing peer
// process and checks each comes back once, in order, intact.
func TestCrossProcessExactlyOnce(t *testing.T) {
	const n, maxLen = 100_000, 300
	p := startPeer(t, "echo", peerConfig)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		out := p.conn.Producer()
		buf := make([]byte, maxLen)
		for seq := uint64(0); seq < n; seq++ {
			if err := out.Write(ctx, recordFor(buf, seq, maxLen)); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	in := p.conn.Consumer()
	scratch := make([]byte, maxLen)
	for seq := uint64(0); seq < n; seq++ {
		rec, err := in.Peek(ctx)
		if err != nil {
			t.Fatalf("record %d: %v", seq, err)
		}
		checkRecord(t, rec, seq, maxLen, scratch)
		in.Release()
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// TestCrossProcessKill kills the peer with SIGKILL mid-stream: every record it committed
// arrives in order, then a blocked Peek returns ErrPeerDead well within the heartbeat
// timeout (the control socket's EOF tells at once), and Close leaves no fd or mapping.
func TestCrossProcessKill(t *testing.T) {
	fds0, maps0 := countFds(t), countMappings(t)
	p := startPeer(t, "stream", peerConfig)
	in := p.conn.Consumer()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	scratch := make([]byte, 256)
	seq := uint64(0)
	for ; seq < 2000; seq++ {
		rec, err := in.Peek(ctx)
		if err != nil {
			t.Fatal(err)
		}
		checkRecord(t, rec, seq, 256, scratch)
		in.Release()
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Bound the wait by the configured liveness timeout plus a margin for a loaded
	// machine: the error must be ErrPeerDead, never this deadline.
	dctx, dcancel := context.WithTimeout(ctx, peerConfig.HeartbeatTimeout+5*time.Second)
	defer dcancel()
	var err error
	for {
		var rec []byte
		rec, err = in.Peek(dctx)
		if err != nil {
			break
		}
		checkRecord(t, rec, seq, 256, scratch) // committed before the kill: still in order
		seq++
		in.Release()
	}
	var pde *ring.PeerDeadError
	if !errors.Is(err, ring.ErrPeerDead) || !errors.As(err, &pde) {
		t.Fatalf("after SIGKILL: %v, want ErrPeerDead", err)
	}
	if err := p.conn.Producer().TryWrite([]byte("x")); !errors.Is(err, ring.ErrPeerDead) {
		t.Fatalf("TryWrite after peer death: %v", err)
	}
	p.stop()
	if fds, maps := countFds(t), countMappings(t); fds != fds0 || maps != maps0 {
		t.Fatalf("after Close: %d fds, %d ring mappings; before: %d, %d", fds, maps, fds0, maps0)
	}
}

// TestCrossProcessFull fills the ring of a peer that never reads: TryWrite gets ErrFull,
// Write waits until its deadline and returns context.DeadlineExceeded.
func TestCrossProcessFull(t *testing.T) {
	p := startPeer(t, "sink", peerConfig)
	out := p.conn.Producer()
	rec := make([]byte, 120)
	n := 0
	for ; ; n++ {
		err := out.TryWrite(rec)
		if err == ring.ErrFull {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	// The ring holds records up to size-8 bytes: the 8-byte slot after the last record
	// is always the producer's, to mark it unwritten.
	if want := (peerConfig.Size - 8) / 128; n != want {
		t.Fatalf("ring took %d records of 120 bytes, want %d", n, want)
	}
	for i := 0; i < 128/8; i++ { // fill what is left with empty records (8 bytes each)
		if err := out.TryWrite(nil); err == ring.ErrFull {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := out.Write(ctx, rec); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Write on a full ring = %v, want DeadlineExceeded", err)
	}
	if _, err := out.Reserve(ctx, 8); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Reserve after the deadline = %v", err)
	}
}

func countFds(t testing.TB) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

func countMappings(t testing.TB) int {
	b, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "memfd:cell-ring")
}

// pokeAll applies "off:width:value,..." to the segment (little-endian stores).
func pokeAll(mem []byte, spec string) error {
	for _, w := range strings.Split(spec, ",") {
		parts := strings.Split(w, ":")
		if len(parts) != 3 {
			return fmt.Errorf("bad poke %q", w)
		}
		off, _ := strconv.Atoi(parts[0])
		width, _ := strconv.Atoi(parts[1])
		v, err := strconv.ParseUint(parts[2], 0, 64)
		if err != nil || off < 0 || off+width > len(mem) {
			return fmt.Errorf("bad poke %q", w)
		}
		for i := 0; i < width; i++ {
			mem[off+i] = byte(v >> (8 * i))
		}
	}
	return nil
}

var _ = unix.SOCK_SEQPACKET

// TestCrossProcessHung stops the peer with SIGSTOP: its process lives and its socket stays
// open, so only the heartbeat can tell; a blocked Peek returns ErrPeerDead ("heartbeat
// timeout") and does not hang past the timeout.
func TestCrossProcessHung(t *testing.T) {
	cfg := ring.Config{Size: 16384, HeartbeatInterval: 20 * time.Millisecond, HeartbeatTimeout: 300 * time.Millisecond}
	p := startPeer(t, "sink", cfg)
	if err := p.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	defer p.cmd.Process.Signal(syscall.SIGCONT)
	ctx, cancel := context.WithTimeout(context.Background(), cfg.HeartbeatTimeout+10*time.Second)
	defer cancel()
	_, err := p.conn.Consumer().Peek(ctx)
	var pde *ring.PeerDeadError
	if !errors.As(err, &pde) || !strings.Contains(pde.Reason, "heartbeat") {
		t.Fatalf("Peek with a stopped peer = %v, want a heartbeat timeout", err)
	}
	p.cmd.Process.Kill()
}

//go:build unix

package netpath_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/cellsubstrate/cell/internal/affinity"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cellsubstrate/cell/frame"
	"github.com/cellsubstrate/cell/netpath"
)

// peerEnv makes the test binary act as a server process (see runPeer) instead of
// running tests: the cross-process tests and benchmarks re-execute themselves.
const peerEnv = "NETPATH_TEST_PEER"

func TestMain(m *testing.M) {
	if dir := os.Getenv(peerEnv); dir != "" {
		runPeer(dir)
		return
	}
	os.Exit(m.Run())
}

// Methods understood by echoHandler.
const (
	methodEcho  = 1 // reply with the request payload
	methodHold  = 2 // never reply (the call waits for its deadline or the peer's death)
	methodError = 3 // reply with a KindError, code 42
	methodTrace = 4 // echo, with how the server waited for the request in the first 9 bytes
)

// echoHandler serves the test methods.
func echoHandler(c *netpath.Conn, h *frame.Header, payload []byte) {
	if h.Kind != frame.KindRequest {
		return
	}
	switch h.Method {
	case methodEcho:
		r := frame.Header{Kind: frame.KindReply, CallID: h.CallID}
		_ = c.Reply(&r, payload)
	case methodTrace:
		r := frame.Header{Kind: frame.KindReply, CallID: h.CallID}
		_ = c.ReplyBuild(&r, func(dst []byte) []byte {
			how, gap, spinGap := netpath.ConnTrace(c)
			dst = append(dst, how)
			dst = binary.LittleEndian.AppendUint64(dst, uint64(gap))
			dst = binary.LittleEndian.AppendUint64(dst, uint64(spinGap))
			return append(dst, payload[min(17, len(payload)):]...)
		})
	case methodError:
		r := frame.Header{Kind: frame.KindError, CallID: h.CallID, Aux: 42}
		_ = c.Reply(&r, []byte("no such thing"))
	}
}

// runPeer serves netpath (echoHandler) and a plain net echo server (fixed 64-byte
// frames) on a Unix socket and on TCP loopback, prints their addresses on one line and
// exits when stdin closes (the parent died or is done).
func runPeer(dir string) {
	must(pinFromEnv(1))
	if path := os.Getenv(peerProfileEnv); path != "" {
		// A CPU profile of the server process, written when it exits.
		f, err := os.Create(path)
		must(err)
		must(pprof.StartCPUProfile(f))
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	np1, err := netpath.Listen("unix://"+filepath.Join(dir, "np.sock"), echoHandler, netpath.ServerConfig{Logger: quiet})
	must(err)
	np2, err := netpath.Listen("tcp://127.0.0.1:0", echoHandler, netpath.ServerConfig{Logger: quiet})
	must(err)
	// The same servers with SpinWait off, for BenchmarkWake only (startPeerNoSpin), so
	// that other benchmarks' peer runs exactly the servers they measure.
	nospin := []string{"-", "-"}
	var extra []*netpath.Server
	if os.Getenv(peerNoSpinEnv) != "" {
		for i, addr := range []string{"unix://" + filepath.Join(dir, "np-nospin.sock"), "tcp://127.0.0.1:0"} {
			s, err := netpath.Listen(addr, echoHandler, netpath.ServerConfig{Logger: quiet, SpinWait: netpath.NoSpin})
			must(err)
			extra = append(extra, s)
			nospin[i] = s.Addr()
		}
	}
	nu, err := net.Listen("unix", filepath.Join(dir, "net.sock"))
	must(err)
	nt, err := net.Listen("tcp", "127.0.0.1:0")
	must(err)
	go serveNetEcho(nu)
	go serveNetEcho(nt)
	fmt.Printf("%s %s unix://%s tcp://%s %s %s\n", np1.Addr(), np2.Addr(), nu.Addr(), nt.Addr(), nospin[0], nospin[1])
	_, _ = io.Copy(io.Discard, os.Stdin)
	np1.Close()
	np2.Close()
	for _, s := range extra {
		s.Close()
	}
}

// peerProfileEnv, set to a file name, makes the peer server process write a CPU
// profile of its whole life there (go tool pprof <test binary> <file>):
// NETPATH_PEER_CPUPROFILE=/tmp/peer.prof go test -bench Pipelined ./netpath.
const peerProfileEnv = "NETPATH_PEER_CPUPROFILE"

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "peer:", err)
		os.Exit(2)
	}
}

// netFrame is the size of the frames the plain net baseline bounces.
const netFrame = 64

func serveNetEcho(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			buf := make([]byte, netFrame)
			for {
				if _, err := io.ReadFull(c, buf); err != nil {
					return
				}
				if _, err := c.Write(buf); err != nil {
					return
				}
			}
		}()
	}
}

// pinEnv, when set to "C,S" (two CPU numbers), pins this process (the client side) to
// CPU C and the peer server process to CPU S, for benchmarks with a stated placement:
// NETPATH_BENCH_PIN=0,1 go test -bench RTT ./netpath. Unset, nothing is pinned.
const pinEnv = "NETPATH_BENCH_PIN"

// pinFromEnv pins this process to the side'th CPU named in pinEnv, if it is set.
func pinFromEnv(side int) error {
	v := os.Getenv(pinEnv)
	if v == "" {
		return nil
	}
	f := strings.Split(v, ",")
	if len(f) != 2 {
		return fmt.Errorf("%s=%q: want two CPU numbers, client,server", pinEnv, v)
	}
	cpu, err := strconv.Atoi(strings.TrimSpace(f[side]))
	if err != nil {
		return fmt.Errorf("%s=%q: %v", pinEnv, v, err)
	}
	_, err = affinity.Process(cpu)
	return err
}

// peer is a server process started from this test binary.
type peer struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	// Addresses: netpath on unix and tcp, plain net echo on unix and tcp.
	npUnix, npTCP, netUnix, netTCP string
	// netpath servers with ServerConfig.SpinWait off ("-" unless startPeerNoSpin).
	npUnixNoSpin, npTCPNoSpin string
}

// peerNoSpinEnv asks the peer to also serve netpath with ServerConfig.SpinWait off.
const peerNoSpinEnv = "NETPATH_TEST_PEER_NOSPIN"

func startPeer(tb testing.TB) *peer { return startPeerEnv(tb) }

// startPeerNoSpin starts a peer that also serves netpath with SpinWait off
// (npUnixNoSpin, npTCPNoSpin).
func startPeerNoSpin(tb testing.TB) *peer { return startPeerEnv(tb, peerNoSpinEnv+"=1") }

func startPeerEnv(tb testing.TB, env ...string) *peer {
	tb.Helper()
	dir := tb.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), peerEnv+"="+dir), env...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	if err := pinFromEnv(0); err != nil {
		tb.Fatal(err)
	}
	p := &peer{cmd: cmd, stdin: stdin}
	tb.Cleanup(p.stop)
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		tb.Fatalf("peer did not start: %v", err)
	}
	f := strings.Fields(line)
	if len(f) != 6 {
		tb.Fatalf("peer said %q", line)
	}
	p.npUnix, p.npTCP, p.netUnix, p.netTCP = f[0], f[1], f[2], f[3]
	p.npUnixNoSpin, p.npTCPNoSpin = f[4], f[5]
	return p
}

func (p *peer) stop() {
	_ = p.stdin.Close()
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
}

// kill sends SIGKILL and reaps the process.
func (p *peer) kill() {
	_ = p.cmd.Process.Kill()
}

// logBuf is a goroutine-safe sink for a test's slog output.
type logBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newLogger(tb testing.TB) (*slog.Logger, *logBuf) {
	lb := &logBuf{}
	return slog.New(slog.NewTextHandler(lb, &slog.HandlerOptions{Level: slog.LevelWarn})), lb
}

// listen starts an in-process server on a fresh Unix socket.
func listen(tb testing.TB, h netpath.Handler, cfg netpath.ServerConfig) *netpath.Server {
	tb.Helper()
	if cfg.Logger == nil {
		cfg.Logger, _ = newLogger(tb)
	}
	s, err := netpath.Listen("unix://"+filepath.Join(tb.TempDir(), "s.sock"), h, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

func dial(tb testing.TB, addr string, cfg netpath.ClientConfig) *netpath.Client {
	tb.Helper()
	if cfg.Logger == nil {
		cfg.Logger, _ = newLogger(tb)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := netpath.Dial(ctx, addr, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// echo makes one echo call and checks the reply.
func echo(ctx context.Context, c *netpath.Client, msg []byte) error {
	var got []byte
	h := frame.Header{Kind: frame.KindRequest, Method: methodEcho}
	err := c.Call(ctx, &h, msg, func(_ *frame.Header, p []byte) error {
		got = append(got[:0], p...)
		return nil
	})
	if err != nil {
		return err
	}
	if string(got) != string(msg) {
		return fmt.Errorf("echo: sent %q, got %q", msg, got)
	}
	return nil
}

var errTimeout = errors.New("timed out")

func errorsIs(err, target error) bool { return errors.Is(err, target) }

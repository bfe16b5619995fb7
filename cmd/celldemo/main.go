//go:build linux

// Command celldemo is what `make demo` runs. First the main job, between real
// processes: it builds the orders example's server and client, starts the server as its
// own process, runs the client as another, which finds the service by name, runs on
// shared memory, and prints latency percentiles for many calls on shared memory and on
// netpath; then it stops the server cleanly (see rpcdemo.go). Then the baselines: cell's
// shared-memory ring between two real processes, beside the floors measured in the same
// run, a plain spin ping-pong and a plain futex ping-pong on one shared word between the
// same two processes.
//
// It re-executes itself as the peer process. Placement: this process on the first CPU of
// $CELL_BENCH_CPUS ("0,1"), the peer on the second; by default the first two CPUs the
// process may use. Each mode runs for at most -time or -n round trips.
package main

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"github.com/cellsubstrate/cell/internal/affinity"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/cellsubstrate/cell/futex"
	"github.com/cellsubstrate/cell/ring"
	"golang.org/x/sys/unix"
)

const (
	peerEnv = "CELLDEMO_PEER" // set to the mode in the re-executed peer
	cpuEnv  = "CELLDEMO_CPU"
	recSize = 64
	stop    = ^uint32(0)
)

var modes = []struct{ name, desc string }{
	{"spin/floor", "spin ping-pong on one shared word"},
	{"spin/ring", "ring, both sides spinning"},
	{"park/floor", "futex ping-pong on one shared word"},
	{"park/ring", "ring, both sides parking (Spin < 0)"},
}

func main() {
	if mode := os.Getenv(peerEnv); mode != "" {
		if err := peer(mode); err != nil {
			fmt.Fprintln(os.Stderr, "celldemo peer:", err)
			os.Exit(1)
		}
		return
	}
	n := flag.Int("n", 200_000, "most round trips per ring mode")
	per := flag.Duration("time", 2500*time.Millisecond, "most time per ring mode")
	calls := flag.Int("calls", 10_000, "calls per path and tier in the rpc demo")
	flag.Parse()
	self, other := cpus()
	if err := rpcDemo(os.Stdout, *calls, self, other); err != nil {
		fmt.Fprintln(os.Stderr, "celldemo:", err)
		os.Exit(1)
	}
	fmt.Printf("\nbaselines: cell ring demo: %d-byte records, one in flight, each way between two processes\n", recSize)
	fmt.Printf("placement: this process on CPU %d, peer on CPU %d (set CELL_BENCH_CPUS=a,b); %d CPUs, Go %s\n\n",
		self, other, runtime.NumCPU(), runtime.Version())
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "mode\tround trips\tp50\tp99\tp99.9\tmax\t")
	for _, m := range modes {
		h, err := run(m.name, *n, *per, self, other)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", m.name, err)
			os.Exit(1)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t\n", m.name, h.TotalCount(),
			us(h.ValueAtQuantile(50)), us(h.ValueAtQuantile(99)), us(h.ValueAtQuantile(99.9)), us(h.Max()))
	}
	tw.Flush()
	fmt.Println("\nfloor = the same exchange on one shared word, no ring: the cost of the hand-over itself.")
	fmt.Println("Times are round trips in µs. The machine may be shared: compare rows, not runs.")
}

func us(ns int64) string { return fmt.Sprintf("%.2f µs", float64(ns)/1e3) }

// run starts a peer for mode, connects, and measures up to n round trips within d.
func run(mode string, n int, d time.Duration, self, other int) (*hdrhistogram.Histogram, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	ours := os.NewFile(uintptr(fds[0]), "ctl")
	theirs := os.NewFile(uintptr(fds[1]), "ctl-peer")
	fc, err := net.FileConn(ours)
	ours.Close()
	if err != nil {
		theirs.Close()
		return nil, err
	}
	fl, err := newFloor() // one shared page for the floors, passed as fd 4
	if err != nil {
		theirs.Close()
		return nil, err
	}
	defer fl.close()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), peerEnv+"="+mode, cpuEnv+"="+strconv.Itoa(other))
	cmd.ExtraFiles = []*os.File{theirs, fl.file}
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		theirs.Close()
		return nil, err
	}
	theirs.Close()
	defer cmd.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := ring.Connect(ctx, fc.(*net.UnixConn), config(mode))
	if err != nil {
		cmd.Process.Kill()
		return nil, err
	}
	defer conn.Close()
	unpin := pin(self)
	defer unpin()
	out, in := conn.Producer(), conn.Consumer()
	if _, err := in.Peek(ctx); err != nil { // the peer is ready
		return nil, err
	}
	in.Release()
	h := hdrhistogram.New(1, int64(10*time.Second), 3)
	var src [recSize]byte
	end := time.Now().Add(d)
	bg := context.Background()
	for i, t0 := 1, time.Now(); i <= n && t0.Before(end); i, t0 = i+1, time.Now() {
		switch mode {
		case "spin/floor":
			atomic.StoreUint32(fl.ping, uint32(i))
			for atomic.LoadUint32(fl.pong) != uint32(i) {
			}
		case "park/floor":
			atomic.StoreUint32(fl.ping, uint32(i))
			futex.Wake(fl.ping, 1)
			for v := atomic.LoadUint32(fl.pong); v != uint32(i); v = atomic.LoadUint32(fl.pong) {
				futex.Wait(fl.pong, v, time.Second)
			}
		default:
			b, err := out.Reserve(bg, recSize)
			if err != nil {
				return nil, err
			}
			binary.LittleEndian.PutUint64(src[:], uint64(i))
			copy(b, src[:])
			out.Commit(recSize)
			r, err := in.Peek(bg)
			if err != nil {
				return nil, err
			}
			if len(r) != recSize || binary.LittleEndian.Uint64(r) != uint64(i) {
				return nil, fmt.Errorf("reply %d: wrong record", i)
			}
			in.Release()
		}
		h.RecordValue(int64(time.Since(t0)))
	}
	atomic.StoreUint32(fl.ping, stop)
	futex.Wake(fl.ping, 1)
	return h, nil
}

func config(mode string) ring.Config {
	if strings.HasPrefix(mode, "spin") {
		return ring.Config{Size: 64 << 10, Spin: time.Hour}
	}
	return ring.Config{Size: 64 << 10, Spin: -1}
}

// peer is the re-executed side: accept, map the floor page, then echo.
func peer(mode string) error {
	fc, err := net.FileConn(os.NewFile(3, "ctl"))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := ring.Accept(ctx, fc.(*net.UnixConn), config(mode))
	if err != nil {
		return err
	}
	defer conn.Close()
	if cpu, err := strconv.Atoi(os.Getenv(cpuEnv)); err == nil {
		pin(cpu)
	}
	in, out := conn.Consumer(), conn.Producer()
	fl, err := openFloor(os.NewFile(4, "floor"))
	if err != nil {
		return err
	}
	defer fl.close()
	if err := out.Write(ctx, []byte("ready")); err != nil {
		return err
	}
	bg := context.Background()
	switch mode {
	case "spin/floor":
		for last := uint32(0); ; {
			v := atomic.LoadUint32(fl.ping)
			if v == stop {
				return nil
			}
			if v != last {
				last = v
				atomic.StoreUint32(fl.pong, v)
			}
		}
	case "park/floor":
		for last := uint32(0); ; {
			v := atomic.LoadUint32(fl.ping)
			if v == stop || conn.Err() != nil {
				return nil
			}
			if v == last {
				futex.Wait(fl.ping, v, 100*time.Millisecond)
				continue
			}
			last = v
			atomic.StoreUint32(fl.pong, v)
			futex.Wake(fl.pong, 1)
		}
	}
	for {
		r, err := in.Peek(bg)
		if err != nil {
			return nil // the demo closed the connection
		}
		b, err := out.Reserve(bg, len(r))
		if err != nil {
			return nil
		}
		copy(b, r)
		out.Commit(len(r))
		in.Release()
	}
}

// cpus returns the CPUs for this process and the peer.
func cpus() (int, int) {
	if s := os.Getenv("CELL_BENCH_CPUS"); s != "" {
		if a, b, ok := strings.Cut(s, ","); ok {
			x, err1 := strconv.Atoi(a)
			y, err2 := strconv.Atoi(b)
			if err1 == nil && err2 == nil {
				return x, y
			}
		}
	}
	var set unix.CPUSet
	unix.SchedGetaffinity(0, &set)
	var got []int
	for i := 0; i < 1024 && len(got) < 2; i++ {
		if set.IsSet(i) {
			got = append(got, i)
		}
	}
	switch len(got) {
	case 0:
		return 0, 0
	case 1:
		return got[0], got[0]
	}
	return got[0], got[1]
}

// pin locks the calling goroutine to its thread and the thread to cpu, saying so on
// stderr when it cannot; the returned function undoes it.
func pin(cpu int) func() {
	restore, err := affinity.Thread(cpu)
	if err != nil {
		fmt.Fprintf(os.Stderr, "celldemo: cannot pin to CPU %d: %v\n", cpu, err)
		return func() {}
	}
	return restore
}

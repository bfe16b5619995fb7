//go:build unix

package netpath_test

import (
	"context"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/cellsubstrate/cell/frame"
	"github.com/cellsubstrate/cell/netpath"
)

// Placement for every benchmark here: the server is a separate process (this test
// binary re-executed, see runPeer); client and server are not pinned, so both share the
// machine's vCPUs as the scheduler decides. The plain net baseline and netpath run
// against the same server process, interleaved (unix/net, unix/netpath, tcp/net,
// tcp/netpath per -count round).

// rttPayload makes 64-byte frames: the 32-byte header plus 32 bytes of payload.
const rttPayload = netFrame - frame.HeaderSize

func newHist() *hdrhistogram.Histogram {
	return hdrhistogram.New(1, int64(10*time.Second), 3)
}

// report reports the percentiles of h; with NETPATH_BENCH_DETAIL set, also p90, p95
// and p98 (to see where the tail starts).
func report(b *testing.B, h *hdrhistogram.Histogram) {
	b.ReportMetric(float64(h.ValueAtQuantile(50)), "p50-ns")
	if os.Getenv("NETPATH_BENCH_DETAIL") != "" {
		b.ReportMetric(float64(h.ValueAtQuantile(90)), "p90-ns")
		b.ReportMetric(float64(h.ValueAtQuantile(95)), "p95-ns")
		b.ReportMetric(float64(h.ValueAtQuantile(98)), "p98-ns")
	}
	b.ReportMetric(float64(h.ValueAtQuantile(99)), "p99-ns")
	b.ReportMetric(float64(h.ValueAtQuantile(99.9)), "p999-ns")
	b.ReportMetric(float64(h.Max()), "max-ns")
}

// BenchmarkRTT: one 64-byte frame in flight, request and reply both written and read.
// net is a plain net.Conn ping-pong (write 64 bytes, io.ReadFull 64 bytes) against a
// goroutine-per-connection echo server; netpath is Client.Call against a netpath
// Server whose handler copies the request into its reply.
func BenchmarkRTT(b *testing.B) {
	p := startPeer(b)
	for _, tr := range []struct{ name, netAddr, npAddr string }{
		{"unix", p.netUnix, p.npUnix},
		{"tcp", p.netTCP, p.npTCP},
	} {
		b.Run(tr.name+"/net", func(b *testing.B) { benchNetRTT(b, tr.netAddr) })
		b.Run(tr.name+"/netpath", func(b *testing.B) { benchNetpathRTT(b, tr.npAddr, netpath.ClientConfig{}) })
	}
}

// BenchmarkServer isolates the server: the same plain net client (write a 64-byte
// request frame, io.ReadFull the 64-byte reply) against the plain net echo server and
// against the netpath server, in one process each, on both transports.
func BenchmarkServer(b *testing.B) {
	p := startPeer(b)
	for _, tr := range []struct{ name, netAddr, npAddr string }{
		{"unix", p.netUnix, p.npUnix},
		{"tcp", p.netTCP, p.npTCP},
	} {
		b.Run(tr.name+"/net", func(b *testing.B) { benchNetRTT(b, tr.netAddr) })
		b.Run(tr.name+"/netpath", func(b *testing.B) { benchNetRTT(b, tr.npAddr) })
	}
}

func benchNetRTT(b *testing.B, addr string) {
	network, address, _ := strings.Cut(addr, "://")
	c, err := net.Dial(network, address)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	h := frame.Header{Kind: frame.KindRequest, Method: methodEcho}
	req := frame.AppendHeader(make([]byte, 0, netFrame), &h, rttPayload)
	req = append(req, make([]byte, rttPayload)...)
	resp := make([]byte, netFrame)
	hist := newHist()
	one := func(i int) {
		req[netFrame-1] = byte(i)
		if _, err := c.Write(req); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, resp); err != nil {
			b.Fatal(err)
		}
		if resp[netFrame-1] != byte(i) {
			b.Fatal("wrong reply")
		}
	}
	for i := 0; i < 1000; i++ { // warm up
		one(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		one(i)
		_ = hist.RecordValue(int64(time.Since(t0)))
	}
	b.StopTimer()
	report(b, hist)
}

func benchNetpathRTT(b *testing.B, addr string, cfg netpath.ClientConfig) {
	cfg.Logger, _ = newLogger(b)
	cl, err := netpath.Dial(context.Background(), addr, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	payload := make([]byte, rttPayload)
	var got [rttPayload]byte
	reply := func(_ *frame.Header, p []byte) error {
		copy(got[:], p)
		return nil
	}
	ctx := context.Background()
	hist := newHist()
	one := func(i int) {
		payload[rttPayload-1] = byte(i)
		h := frame.Header{Kind: frame.KindRequest, Method: methodEcho}
		if err := cl.Call(ctx, &h, payload, reply); err != nil {
			b.Fatal(err)
		}
		if got[rttPayload-1] != byte(i) {
			b.Fatal("wrong reply")
		}
	}
	for i := 0; i < 1000; i++ {
		one(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		one(i)
		_ = hist.RecordValue(int64(time.Since(t0)))
	}
	b.StopTimer()
	report(b, hist)
}

// BenchmarkPipelined: 1, 16 or 256 calls in flight on one netpath connection over a
// Unix socket (closed loop: that many goroutines each calling back to back), 64-byte
// frames; frames/s counts requests answered per second.
func BenchmarkPipelined(b *testing.B) {
	p := startPeer(b)
	for _, k := range []int{1, 16, 256} {
		b.Run(strconv.Itoa(k), func(b *testing.B) { benchPipelined(b, p.npUnix, k) })
	}
}

// BenchmarkWake compares how the two sides wait, one 64-byte call in flight, server in
// another process, both transports, the plain net ping-pong first as the baseline.
// The client, reading its own reply, either blocks in read(2) at once (park, SpinWait
// NoSpin) or first retries a non-blocking read, yielding its thread between tries, for
// 20 or 50µs (the default); the server's event loop either spins between a
// connection's requests (srvspin, ServerConfig.SpinWait's default) or goes straight
// back to epoll_wait (srvpark). Run it unpinned and with NETPATH_BENCH_PIN=0,1: the
// answer depends on placement (see ClientConfig.SpinWait).
func BenchmarkWake(b *testing.B) {
	p := startPeerNoSpin(b)
	for _, tr := range []struct{ name, netAddr, npAddr, npNoSpin string }{
		{"unix", p.netUnix, p.npUnix, p.npUnixNoSpin},
		{"tcp", p.netTCP, p.npTCP, p.npTCPNoSpin},
	} {
		b.Run(tr.name+"/net", func(b *testing.B) { benchNetRTT(b, tr.netAddr) })
		for _, srv := range []struct{ name, addr string }{{"srvspin", tr.npAddr}, {"srvpark", tr.npNoSpin}} {
			for _, w := range []struct {
				name string
				spin time.Duration
			}{{"park", netpath.NoSpin}, {"spin20us", 20 * time.Microsecond}, {"spin50us", 50 * time.Microsecond}} {
				b.Run(tr.name+"/"+srv.name+"/"+w.name, func(b *testing.B) {
					benchNetpathRTT(b, srv.addr, netpath.ClientConfig{SpinWait: w.spin})
				})
			}
		}
	}
}

// BenchmarkCork compares write corking (the first writer yields once so that callers
// already runnable add their frames to its write) on and off, at 64 and 256 calls in
// flight (netpath corks only above 32 calls in flight).
func BenchmarkCork(b *testing.B) {
	p := startPeer(b)
	defer netpath.SetCork(true)
	for _, k := range []int{64, 256} {
		for _, on := range []bool{true, false} {
			name := strconv.Itoa(k) + "/off"
			if on {
				name = strconv.Itoa(k) + "/on"
			}
			b.Run(name, func(b *testing.B) {
				netpath.SetCork(on)
				benchPipelined(b, p.npUnix, k)
			})
		}
	}
}

func benchPipelined(b *testing.B, addr string, k int) {
	logger, _ := newLogger(b)
	cl, err := netpath.Dial(context.Background(), addr, netpath.ClientConfig{Logger: logger, MaxInFlight: 256})
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	ctx := context.Background()
	reply := func(_ *frame.Header, p []byte) error {
		if len(p) != rttPayload {
			return io.ErrShortBuffer
		}
		return nil
	}
	payload := make([]byte, rttPayload)
	var left atomic.Int64
	run := func(n int) {
		left.Store(int64(n))
		var wg sync.WaitGroup
		for g := 0; g < k; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for left.Add(-1) >= 0 {
					h := frame.Header{Kind: frame.KindRequest, Method: methodEcho}
					if err := cl.Call(ctx, &h, payload, reply); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
	}
	run(1000)
	b.ReportAllocs()
	b.ResetTimer()
	t0 := time.Now()
	run(b.N)
	el := time.Since(t0)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/el.Seconds(), "frames/s")
}

package rpc_test

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cellsubstrate/cell/rpc"
)

// cpuTime returns the user+system CPU time of process pid from /proc (clock ticks at
// 100 Hz, the Linux USER_HZ), or of this process when pid is 0.
func cpuTime(tb testing.TB, pid int) time.Duration {
	if pid == 0 {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			tb.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		tb.Fatal(err)
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// BenchmarkIdleConnection measures what an open, idle connection costs: one op is
// 100 ms with a connection open and no call, on shared memory (both sides parked, with
// the ring's heartbeat running) and on netpath. It reports the CPU time both processes
// used, as a share of one core (client-cpu-%, server-cpu-%); the baseline is the same
// two processes with no connection at all (the none case).
func BenchmarkIdleConnection(b *testing.B) {
	for _, tc := range []struct {
		name string
		t    rpc.Transport
		path rpc.Path
	}{{"none", 0, 0}, {"shm", rpc.TransportSHM, rpc.PathSHM}, {"unix", rpc.TransportUnix, rpc.PathUnix}} {
		b.Run(tc.name, func(b *testing.B) {
			dir := testDir(b)
			p := startPeer(b, dir, peerConfig{})
			defer p.stop(b)
			if tc.path != 0 {
				c := dial(b, dir, tc.t, tc.path)
				defer c.Close()
			}
			time.Sleep(50 * time.Millisecond) // let the handshake's goroutines settle
			self0, peer0 := cpuTime(b, 0), cpuTime(b, p.cmd.Process.Pid)
			start := time.Now()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				time.Sleep(100 * time.Millisecond)
			}
			b.StopTimer()
			el := time.Since(start)
			self, peer := cpuTime(b, 0)-self0, cpuTime(b, p.cmd.Process.Pid)-peer0
			b.ReportMetric(100*float64(self)/float64(el), "client-cpu-%")
			b.ReportMetric(100*float64(peer)/float64(el), "server-cpu-%")
		})
	}
}

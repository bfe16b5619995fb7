package harness_test

import (
	"strings"
	"testing"

	"github.com/cellsubstrate/cell/bench/internal/harness"
)

const benchOut = `goos: linux
goarch: amd64
pkg: github.com/cellsubstrate/cell/ring
cpu: Intel(R) Xeon(R) Processor
BenchmarkStream/chan-2         	 1000000	        25.10 ns/op	       0 B/op	       0 allocs/op
BenchmarkStream/chan-2         	 1000000	        27.50 ns/op	       0 B/op	       0 allocs/op
BenchmarkStream/chan-2         	 1000000	        24.00 ns/op	       0 B/op	       0 allocs/op
BenchmarkCrossProcessRTT/spin/floor-2     	  100000	       310 ns/op	       250.0 p50-ns	       400.0 p99-ns	      9000 p999-ns
--- BENCH: BenchmarkCrossProcessRTT/spin/floor-2
    ring_test.go:88: placement 0,1
BenchmarkCrossProcessRTT/spin/ring-2      	  100000	       350 ns/op	       270.0 p50-ns	       420.0 p99-ns	      9100 p999-ns	         0 wakes/op
PASS
ok  	github.com/cellsubstrate/cell/ring	12.3s
pkg: github.com/cellsubstrate/cell/frame
BenchmarkHeader	12345678	        3.5 ns/op
BenchmarkBroken-2 	 notanumber	 3 ns/op
`

func TestParseGoBench(t *testing.T) {
	lines := harness.ParseGoBench(strings.NewReader(benchOut))
	if len(lines) != 6 {
		t.Fatalf("%d lines, want 6: %+v", len(lines), lines)
	}
	l := lines[4]
	if l.Pkg != "github.com/cellsubstrate/cell/ring" || l.Name != "BenchmarkCrossProcessRTT/spin/ring" || l.Procs != 2 || l.N != 100000 {
		t.Errorf("line 4 = %+v", l)
	}
	if l.Metrics["p50-ns"] != 270 || l.Metrics["wakes/op"] != 0 || l.Metrics["p999-ns"] != 9100 {
		t.Errorf("metrics = %v", l.Metrics)
	}
	if got := strings.Join(l.Units, " "); got != "ns/op p50-ns p99-ns p999-ns wakes/op" {
		t.Errorf("units in order = %q", got)
	}
	h := lines[5]
	if h.Pkg != "github.com/cellsubstrate/cell/frame" || h.Name != "BenchmarkHeader" || h.Procs != 0 || h.Metrics["ns/op"] != 3.5 {
		t.Errorf("no-procs line = %+v", h)
	}
}

func TestBenchMedian(t *testing.T) {
	med := harness.BenchMedian(harness.ParseGoBench(strings.NewReader(benchOut)))
	if len(med) != 4 {
		t.Fatalf("%d groups, want 4", len(med))
	}
	c := med[0]
	if c.Name != "BenchmarkStream/chan" || c.N != 3 || c.Metrics["ns/op"] != 25.10 || c.Metrics["allocs/op"] != 0 {
		t.Errorf("chan median = %+v", c)
	}
	if med[1].Name != "BenchmarkCrossProcessRTT/spin/floor" || med[2].Name != "BenchmarkCrossProcessRTT/spin/ring" {
		t.Errorf("order not kept: %s, %s", med[1].Name, med[2].Name)
	}
}

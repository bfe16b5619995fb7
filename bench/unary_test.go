package bench_test

import (
	"os"
	"testing"

	"github.com/cellsubstrate/cell/bench/internal/harness"
	"github.com/cellsubstrate/cell/bench/internal/peer"
	"github.com/cellsubstrate/cell/bench/internal/suite"
)

func TestMain(m *testing.M) {
	peer.ChildMain() // serve and exit when re-executed as a benchmark's server
	os.Exit(m.Run())
}

// placement is CELLBENCH_PLACEMENT ("client,server") or separate vCPUs.
func placement(b *testing.B) suite.Placement {
	if v := os.Getenv("CELLBENCH_PLACEMENT"); v != "" {
		p, err := suite.ParsePlacement(v)
		if err != nil {
			b.Fatal(err)
		}
		return p
	}
	return suite.Separate()
}

// BenchmarkUnary is one 64-byte order call in flight, client and server in
// separate processes pinned to the placement's vCPUs, for every system and
// transport (<system>/<transport>). It reports the round trip's p50, p99 and
// p99.9 from an HDR histogram and the client process's allocs/op.
func BenchmarkUnary(b *testing.B) {
	p := placement(b)
	for _, row := range peer.Rows() {
		b.Run(row.Name(), func(b *testing.B) {
			s, err := suite.Open(row, p, 64, 1)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			b.Logf("placement: %s; %s", p, harness.ThisMachine())
			h := harness.NewHistogram()
			b.ReportAllocs()
			b.ResetTimer()
			if _, err := harness.ClosedLoop(h, harness.Limits{N: b.N}, s.Conns[0].Call); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			sum := harness.Summarize(h, 0)
			b.ReportMetric(sum.P50, "p50-ns")
			b.ReportMetric(sum.P99, "p99-ns")
			b.ReportMetric(sum.P999, "p999-ns")
		})
	}
}

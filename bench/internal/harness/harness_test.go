package harness_test

import (
	"errors"
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cellsubstrate/cell/bench/internal/harness"
)

func TestMedianOf(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{7, 7, 1, 100, 7}, 7},
	} {
		in := append([]float64(nil), c.in...)
		if got := harness.MedianOf(c.in); got != c.want {
			t.Errorf("MedianOf(%v) = %v, want %v", in, got, c.want)
		}
		for i := range in {
			if in[i] != c.in[i] {
				t.Errorf("MedianOf reordered its input: %v -> %v", in, c.in)
			}
		}
	}
	if !math.IsNaN(harness.MedianOf(nil)) {
		t.Error("MedianOf(nil) is not NaN")
	}
}

func TestMedianSummary(t *testing.T) {
	runs := []harness.Summary{
		{Count: 10, P50: 100, P99: 900, P999: 990, Max: 1000, Throughput: 5, Allocs: 2},
		{Count: 30, P50: 300, P99: 700, P999: 800, Max: 9000, Throughput: 1, Allocs: 4},
		{Count: 20, P50: 200, P99: 800, P999: 900, Max: 3000, Throughput: 3, Allocs: 3},
	}
	m := harness.Median(runs)
	want := harness.Summary{Count: 20, P50: 200, P99: 800, P999: 900, Max: 3000, Throughput: 3, Allocs: 3}
	if m != want {
		t.Errorf("Median = %+v, want %+v (field by field)", m, want)
	}
	if (harness.Median(nil) != harness.Summary{}) {
		t.Error("Median(nil) is not the zero Summary")
	}
}

func TestRatio(t *testing.T) {
	if r := harness.Ratio(300, 100); r != 3 {
		t.Errorf("Ratio(300, 100) = %v", r)
	}
	for _, c := range [][2]float64{{1, 0}, {1, -1}, {math.NaN(), 1}, {1, math.NaN()}, {-1, 1}} {
		if r := harness.Ratio(c[0], c[1]); !math.IsNaN(r) {
			t.Errorf("Ratio(%v, %v) = %v, want NaN", c[0], c[1], r)
		}
	}
}

func TestSummarize(t *testing.T) {
	h := harness.NewHistogram()
	for v := int64(1); v <= 1000; v++ {
		if err := h.RecordValue(v * 1000); err != nil {
			t.Fatal(err)
		}
	}
	s := harness.Summarize(h, 2*time.Second)
	near := func(name string, got, want float64) {
		if math.Abs(got-want) > want*0.002 {
			t.Errorf("%s = %v, want %v (±0.2%%)", name, got, want)
		}
	}
	near("P50", s.P50, 500_000)
	near("P99", s.P99, 990_000)
	near("P999", s.P999, 999_000)
	near("Max", s.Max, 1_000_000)
	if s.Count != 1000 || s.Throughput != 500 || s.Allocs != -1 {
		t.Errorf("Count %d Throughput %v Allocs %v, want 1000, 500, -1", s.Count, s.Throughput, s.Allocs)
	}
	if harness.Summarize(h, 0).Throughput != 0 {
		t.Error("Throughput set without a wall time")
	}
}

func TestClosedLoopCountsEveryCall(t *testing.T) {
	var n atomic.Int64
	h := harness.NewHistogram()
	if _, err := harness.ClosedLoop(h, harness.Limits{N: 1234}, func() error { n.Add(1); return nil }); err != nil {
		t.Fatal(err)
	}
	if n.Load() != 1234 || h.TotalCount() != 1234 {
		t.Errorf("%d calls, %d recorded, want 1234 each", n.Load(), h.TotalCount())
	}
}

func TestLoopsStopAtFirstError(t *testing.T) {
	boom := errors.New("boom")
	failOn := func(k int64) func() error {
		var n atomic.Int64
		return func() error {
			if n.Add(1) == k {
				return boom
			}
			return nil
		}
	}
	h := harness.NewHistogram()
	if _, err := harness.ClosedLoop(h, harness.Limits{N: 100}, failOn(7)); !errors.Is(err, boom) || h.TotalCount() != 6 {
		t.Errorf("ClosedLoop: err %v after %d recorded, want boom after 6", err, h.TotalCount())
	}
	// (The open loop's histogram may hold corrected values beyond the calls made,
	// so count calls.)
	if _, calls, err := harness.OpenLoop(harness.NewHistogram(), 1e6, harness.Limits{N: 100}, failOn(3)); !errors.Is(err, boom) || calls != 2 {
		t.Errorf("OpenLoop: err %v after %d calls, want boom after 2", err, calls)
	}
	calls := []func() error{failOn(5), func() error { return nil }}
	if _, _, err := harness.Pipelined(harness.Limits{N: 1 << 30, Duration: time.Minute}, calls); !errors.Is(err, boom) {
		t.Errorf("Pipelined: err %v, want boom (and no run to the limit)", err)
	}
}

func TestLimitsAreRequired(t *testing.T) {
	h := harness.NewHistogram()
	nop := func() error { return nil }
	if _, err := harness.ClosedLoop(h, harness.Limits{}, nop); err == nil {
		t.Error("ClosedLoop ran without limits")
	}
	if _, _, err := harness.OpenLoop(h, 10, harness.Limits{}, nop); err == nil {
		t.Error("OpenLoop ran without limits")
	}
	if _, _, err := harness.OpenLoop(h, 0, harness.Limits{N: 1}, nop); err == nil {
		t.Error("OpenLoop ran at rate 0")
	}
	if _, _, err := harness.Pipelined(harness.Limits{N: 1}, nil); err == nil {
		t.Error("Pipelined ran without callers")
	}
}

// A call slower than the schedule's interval stands for the calls the schedule
// would have issued meanwhile: the corrected histogram holds more values than
// calls were made. (The call sleeps 5 ms against a 1 ms interval; Sleep never
// returns early, so this does not depend on the machine's speed.)
func TestOpenLoopCorrectsCoordinatedOmission(t *testing.T) {
	h := harness.NewHistogram()
	n := 0
	_, calls, err := harness.OpenLoop(h, 1000, harness.Limits{N: 4}, func() error {
		n++
		time.Sleep(5 * time.Millisecond)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 || calls != 4 {
		t.Fatalf("%d calls made, %d reported, want 4", n, calls)
	}
	if h.TotalCount() < 4*5 {
		t.Errorf("corrected histogram holds %d values for 4 calls of >= 5 intervals each, want >= 20", h.TotalCount())
	}
}

func TestPipelinedSharesTheCount(t *testing.T) {
	var n atomic.Int64
	call := func() error { n.Add(1); return nil }
	h, _, err := harness.Pipelined(harness.Limits{N: 1600}, []func() error{call, call, call, call, call, call, call, call, call, call, call, call, call, call, call, call})
	if err != nil {
		t.Fatal(err)
	}
	if n.Load() != 1600 || h.TotalCount() != 1600 {
		t.Errorf("%d calls, %d recorded, want 1600", n.Load(), h.TotalCount())
	}
}

func TestParseCPUInfo(t *testing.T) {
	in := "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R)   Processor @ 2.10GHz\n\nprocessor\t: 1\nmodel name\t: Intel(R) Xeon(R) Processor @ 2.10GHz\n"
	model, n := harness.ParseCPUInfo(strings.NewReader(in))
	if model != "Intel(R) Xeon(R) Processor @ 2.10GHz" || n != 2 {
		t.Errorf("ParseCPUInfo = %q, %d", model, n)
	}
	m := harness.ThisMachine()
	if m.VCPUs < 1 || m.Go == "" || !strings.Contains(m.String(), m.Go) {
		t.Errorf("ThisMachine = %+v", m)
	}
}

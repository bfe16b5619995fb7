package harness

import (
	"math"
	"slices"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// NewHistogram returns a histogram for latencies from 1 ns to 100 s with three
// significant digits.
func NewHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(1, int64(100*time.Second), 3)
}

// Summary is what one run measured. Latencies are in nanoseconds.
type Summary struct {
	Count      int64   // round trips recorded
	P50        float64 // median latency
	P99        float64
	P999       float64
	Max        float64
	Mean       float64
	Throughput float64 // completed calls per second of wall time; 0 when not measured
	Allocs     float64 // heap allocations per call in the client process; -1 when not measured
}

// Summarize reads the percentiles of h; elapsed is the run's wall time (0 to leave
// Throughput unset).
func Summarize(h *hdrhistogram.Histogram, elapsed time.Duration) Summary {
	s := Summary{
		Count:  h.TotalCount(),
		P50:    float64(h.ValueAtQuantile(50)),
		P99:    float64(h.ValueAtQuantile(99)),
		P999:   float64(h.ValueAtQuantile(99.9)),
		Max:    float64(h.Max()),
		Mean:   h.Mean(),
		Allocs: -1,
	}
	if elapsed > 0 {
		s.Throughput = float64(s.Count) / elapsed.Seconds()
	}
	return s
}

// Median returns, field by field, the median of runs (the mean of the two middle
// values for an even count). It returns the zero Summary for no runs.
func Median(runs []Summary) Summary {
	if len(runs) == 0 {
		return Summary{}
	}
	pick := func(f func(Summary) float64) float64 {
		v := make([]float64, len(runs))
		for i, r := range runs {
			v[i] = f(r)
		}
		return MedianOf(v)
	}
	return Summary{
		Count:      int64(pick(func(s Summary) float64 { return float64(s.Count) })),
		P50:        pick(func(s Summary) float64 { return s.P50 }),
		P99:        pick(func(s Summary) float64 { return s.P99 }),
		P999:       pick(func(s Summary) float64 { return s.P999 }),
		Max:        pick(func(s Summary) float64 { return s.Max }),
		Mean:       pick(func(s Summary) float64 { return s.Mean }),
		Throughput: pick(func(s Summary) float64 { return s.Throughput }),
		Allocs:     pick(func(s Summary) float64 { return s.Allocs }),
	}
}

// MedianOf returns the median of v without reordering it; NaN for an empty v.
func MedianOf(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Ratio returns a/b, or NaN when either is missing (NaN, or b <= 0).
func Ratio(a, b float64) float64 {
	if math.IsNaN(a) || math.IsNaN(b) || b <= 0 || a < 0 {
		return math.NaN()
	}
	return a / b
}

// Histogram is the HDR histogram type the harness records into.
type Histogram = hdrhistogram.Histogram

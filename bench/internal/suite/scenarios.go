package suite

import (
	"fmt"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/cellsubstrate/cell/bench/internal/harness"
	"github.com/cellsubstrate/cell/bench/internal/peer"
)

// Run measures every scenario and returns the tables in report order.
func Run(cfg Config) (*Report, error) {
	if cfg.Runs <= 0 || cfg.Duration <= 0 {
		return nil, fmt.Errorf("suite: Runs and Duration must be positive")
	}
	rep := &Report{Machine: harness.ThisMachine(), Config: cfg, Started: time.Now()}
	sep, same := cfg.Separate, cfg.Same
	var u64 Table
	if cfg.want("unary") {
		u64 = closedTable(cfg, "unary-64B-separate", "Unary, 64 B order, one call in flight", 64, sep)
		rep.Tables = append(rep.Tables, u64)
		rep.Tables = append(rep.Tables,
			closedTable(cfg, "unary-4KB-separate", "Unary, 4 KB order, one call in flight", 4096, sep))
		if same != sep {
			rep.Tables = append(rep.Tables,
				closedTable(cfg, "unary-64B-same", "Unary, 64 B order, one call in flight, both on one vCPU", 64, same))
		}
	}
	if cfg.want("pipelined") {
		for _, k := range cfg.Depths {
			rep.Tables = append(rep.Tables, pipelinedTable(cfg, k, sep))
		}
	}
	if cfg.want("open") {
		rep.Tables = append(rep.Tables, slowTable(cfg, sep))
		rep.Tables = append(rep.Tables, openTable(cfg, "open-1000-separate",
			"Open loop, 1,000 calls/s, 64 B order", sep, func(Result) float64 { return 1000 }, nil))
		sat := map[string]float64{}
		for _, r := range u64.Results {
			sat[r.Row] = 0.8 * r.Median.Throughput
		}
		rep.Tables = append(rep.Tables, openTable(cfg, "open-saturation-separate",
			"Open loop near saturation (80% of each system's closed-loop rate), 64 B order", sep,
			func(r Result) float64 { return sat[r.Row] }, sat))
	}
	if cfg.want("idle") {
		rep.Tables = append(rep.Tables, idleTable(cfg, sep))
	}
	rep.Elapsed = time.Since(rep.Started)
	return rep, nil
}

// collect runs measure for every row, cfg.Runs times, interleaved across rows.
func collect(cfg Config, rows []peer.Row, skip func(peer.Row) string,
	measure func(peer.Row) (harness.Summary, *hdrhistogram.Histogram, int, error)) []Result {
	res := make([]Result, len(rows))
	for i, r := range rows {
		res[i] = Result{Row: r.Name(), System: r.System.Name()}
		if skip != nil {
			res[i].Skip = skip(r)
		}
	}
	for run := 0; run < cfg.Runs; run++ {
		for i, r := range rows {
			if res[i].Skip != "" || res[i].Err != "" {
				continue
			}
			sum, h, conns, err := measure(r)
			if err != nil {
				res[i].Err = err.Error()
				cfg.logf("  %-24s error: %v", r.Name(), err)
				continue
			}
			res[i].Runs = append(res[i].Runs, sum)
			res[i].Conns = conns
			if res[i].Hist == nil {
				res[i].Hist = harness.NewHistogram()
			}
			res[i].Hist.Merge(h)
			cfg.logf("  %-24s run %d: p50 %s p99 %s p99.9 %s max %s, %.0f calls/s, %.1f allocs/op",
				r.Name(), run+1, ns(sum.P50), ns(sum.P99), ns(sum.P999), ns(sum.Max), sum.Throughput, sum.Allocs)
		}
	}
	for i := range res {
		if len(res[i].Runs) > 0 {
			res[i].Median = harness.Median(res[i].Runs)
		}
	}
	return res
}

func ns(v float64) string { return time.Duration(v).String() }

func closedTable(cfg Config, id, title string, size int, p Placement) Table {
	cfg.logf("%s (%s)", title, p)
	t := Table{ID: id, Title: title, Placement: p, Kind: "latency",
		Work: fmt.Sprintf("closed loop, one call in flight; request: an order of about %d B (protobuf size), reply: an OrderId; the handler reads every field", size)}
	t.Results = collect(cfg, cfg.rows(), nil, func(r peer.Row) (harness.Summary, *hdrhistogram.Histogram, int, error) {
		s, err := Open(r, p, size, 1)
		if err != nil {
			return harness.Summary{}, nil, 0, err
		}
		defer s.Close()
		sum, h, err := s.ClosedRun(harness.Limits{Duration: cfg.Duration})
		return sum, h, 1, err
	})
	return t
}

func pipelinedTable(cfg Config, k int, p Placement) Table {
	title := fmt.Sprintf("Pipelined, %d in flight, 64 B order", k)
	cfg.logf("%s (%s)", title, p)
	t := Table{ID: fmt.Sprintf("pipelined-%d-separate", k), Title: title, Placement: p, Kind: "throughput",
		Work: fmt.Sprintf("%d callers (goroutines in the one client process) in a closed loop each: on one connection for systems that multiplex calls, on %d connections for those that carry one call at a time; a call's latency runs from its start to its return, so the time a caller waits to be scheduled between calls is not in it (throughput counts everything)", k, k)}
	skip := func(r peer.Row) string {
		if _, ok := r.System.(peer.SharedMemory); ok {
			return "one shared word carries one call at a time"
		}
		return ""
	}
	t.Results = collect(cfg, cfg.rows(), skip, func(r peer.Row) (harness.Summary, *hdrhistogram.Histogram, int, error) {
		conns := k
		if peer.Multiplexed(r.System) {
			conns = 1
		}
		s, err := Open(r, p, 64, conns)
		if err != nil {
			return harness.Summary{}, nil, 0, err
		}
		defer s.Close()
		sum, h, err := s.PipelinedRun(k, harness.Limits{Duration: cfg.Duration})
		return sum, h, conns, err
	})
	return t
}

func openTable(cfg Config, id, title string, p Placement, rate func(Result) float64, rates map[string]float64) Table {
	cfg.logf("%s (%s)", title, p)
	t := Table{ID: id, Title: title, Placement: p, Kind: "latency",
		Work: "open loop at a fixed rate, one call in flight on one connection; latency from each call's start, recorded with HdrHistogram's coordinated-omission correction (RecordCorrectedValue at the schedule's interval)"}
	skip := func(r peer.Row) string {
		if rates != nil && rates[r.Name()] <= 0 {
			return "no closed-loop rate to scale from"
		}
		return ""
	}
	t.Results = collect(cfg, cfg.rows(), skip, func(r peer.Row) (harness.Summary, *hdrhistogram.Histogram, int, error) {
		s, err := Open(r, p, 64, 1)
		if err != nil {
			return harness.Summary{}, nil, 0, err
		}
		defer s.Close()
		sum, h, err := s.OpenRun(rate(Result{Row: r.Name()}), harness.Limits{Duration: cfg.OpenDuration})
		return sum, h, 1, err
	})
	return t
}

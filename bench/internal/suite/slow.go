package suite

import (
	"fmt"
	"time"

	"github.com/cellsubstrate/cell/bench/internal/harness"
	"github.com/cellsubstrate/cell/bench/internal/peer"
)

// isSpinning reports whether a row's server burns its vCPU while idle (the spin
// floor): it cannot share the server vCPU with the other rows' servers.
func isSpinning(r peer.Row) bool { return r.System.Name() == "floor-spin" }

// slowTable is the 1 call/s scenario. Waiting 1 s per call for every row in turn
// would take rows×samples seconds, so every row's server runs at once (idle but
// for its own calls) and the rows take turns: sample i of row j is due at
// i s + j/rows s, so consecutive calls of one row are 1 s apart and calls of
// different rows never overlap, so no call waits behind another and no
// coordinated-omission correction is needed. Latency is from each call's start.
// One run; its few samples make p99 the max.
func slowTable(cfg Config, p Placement) Table {
	title := "Open loop, 1 call/s, 64 B order"
	cfg.logf("%s (%s)", title, p)
	t := Table{ID: "open-1-separate", Title: title, Placement: p, Kind: "latency",
		Work: fmt.Sprintf("%d calls 1 s apart on one idle connection per system (all systems' servers up at once, taking turns); latency from each call's start", cfg.SlowSamples)}
	rows := cfg.rows()
	t.Results = make([]Result, len(rows))
	var live []int
	sessions := make([]*Session, len(rows))
	defer func() {
		for i := len(sessions) - 1; i >= 0; i-- {
			if sessions[i] != nil {
				sessions[i].Close()
			}
		}
	}()
	for i, r := range rows {
		t.Results[i] = Result{Row: r.Name(), System: r.System.Name(), Conns: 1}
		if isSpinning(r) {
			t.Results[i].Skip = "a spinning server burns its vCPU and would slow every other server sharing it; at any rate its latency is its closed-loop latency"
			continue
		}
		s, err := Open(r, p, 64, 1)
		if err != nil {
			t.Results[i].Err = err.Error()
			continue
		}
		sessions[i] = s
		live = append(live, i)
		t.Results[i].Hist = harness.NewHistogram()
	}
	if len(live) == 0 {
		return t
	}
	slot := time.Second / time.Duration(len(live))
	start := time.Now().Add(100 * time.Millisecond)
	for n := 0; n < cfg.SlowSamples; n++ {
		for j, i := range live {
			if t.Results[i].Err != "" {
				continue
			}
			due := start.Add(time.Duration(n)*time.Second + time.Duration(j)*slot)
			harness.SleepUntil(due)
			t0 := time.Now()
			if err := sessions[i].Conns[0].Call(); err != nil {
				t.Results[i].Err = err.Error()
				continue
			}
			_ = t.Results[i].Hist.RecordValue(int64(time.Since(t0)))
		}
	}
	el := time.Since(start)
	for _, i := range live {
		if t.Results[i].Err != "" {
			continue
		}
		sum := harness.Summarize(t.Results[i].Hist, el)
		t.Results[i].Runs = []harness.Summary{sum}
		t.Results[i].Median = sum
		cfg.logf("  %-24s p50 %s p99 %s max %s", rows[i].Name(), ns(sum.P50), ns(sum.P99), ns(sum.Max))
	}
	return t
}

// idleTable measures the CPU that IdleConns idle connections cost: for every row
// at once, a server process and a client process holding IdleConns connections
// (each used for one call, then left idle); both processes' CPU time is read from
// /proc before and after IdleDuration.
func idleTable(cfg Config, p Placement) Table {
	title := fmt.Sprintf("CPU used by %d idle connections over %s", cfg.IdleConns, cfg.IdleDuration)
	cfg.logf("%s (%s)", title, p)
	t := Table{ID: "idle-separate", Title: title, Placement: p, Kind: "idle",
		Work: fmt.Sprintf("%d connections from one client process, each used for one call, then idle for %s; CPU = user+system time of the server and client processes (from /proc, 10 ms resolution) over the wall time, in percent of one core", cfg.IdleConns, cfg.IdleDuration)}
	rows := cfg.rows()
	t.Results = make([]Result, len(rows))
	type pair struct{ srv, cli *peerProcess }
	pairs := make([]pair, len(rows))
	defer func() {
		for _, pr := range pairs {
			if pr.cli != nil {
				pr.cli.Close()
			}
			if pr.srv != nil {
				pr.srv.Close()
			}
		}
	}()
	for i, r := range rows {
		t.Results[i] = Result{Row: r.Name(), System: r.System.Name(), Conns: cfg.IdleConns}
		if isSpinning(r) {
			t.Results[i].Skip = "a spinning waiter uses 100% of a core by construction"
			continue
		}
		srv, err := peer.Start(r, peer.Options{CPU: p.Server, Slots: cfg.IdleConns, Size: 64})
		if err != nil {
			t.Results[i].Err = err.Error()
			continue
		}
		pairs[i].srv = srv
		cli, err := peer.StartIdle(r, srv.Endpoint, cfg.IdleConns, p.Client)
		if err != nil {
			t.Results[i].Err = err.Error()
			continue
		}
		pairs[i].cli = cli
	}
	time.Sleep(time.Second) // let connection set-up settle
	type snap struct{ s, c time.Duration }
	before := make([]snap, len(rows))
	read := func(i int) (snap, error) {
		s, err := harness.ProcessCPU(pairs[i].srv.Pid())
		if err != nil {
			return snap{}, err
		}
		c, err := harness.ProcessCPU(pairs[i].cli.Pid())
		return snap{s, c}, err
	}
	t0 := time.Now()
	for i := range rows {
		if pairs[i].cli != nil {
			before[i], _ = read(i)
		}
	}
	time.Sleep(cfg.IdleDuration)
	wall := time.Since(t0)
	for i, r := range rows {
		if pairs[i].cli == nil {
			continue
		}
		after, err := read(i)
		if err != nil {
			t.Results[i].Err = err.Error()
			continue
		}
		res := &t.Results[i]
		res.CPUServer = 100 * float64(after.s-before[i].s) / float64(wall)
		res.CPUClient = 100 * float64(after.c-before[i].c) / float64(wall)
		res.CPU = res.CPUServer + res.CPUClient
		cfg.logf("  %-24s %.2f%% of a core (server %.2f%%, client %.2f%%)", r.Name(), res.CPU, res.CPUServer, res.CPUClient)
	}
	return t
}

type peerProcess = peer.Process

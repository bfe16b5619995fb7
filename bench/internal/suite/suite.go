// Package suite runs the bench's scenarios (issue 6 item 3) over every row of
// package peer and collects what benchmd writes into BENCHMARKS.md.
package suite

import (
	"fmt"
	"io"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/cellsubstrate/cell/bench/internal/harness"
	"github.com/cellsubstrate/cell/bench/internal/peer"
)

// Config sizes a suite run. The zero value is not valid: start from Default.
type Config struct {
	Separate, Same Placement
	// Runs is how many times each measurement is repeated (interleaved across
	// rows: A, B, C, A, B, C, …); tables show the median of the runs.
	Runs int
	// Duration bounds one closed-loop or pipelined run.
	Duration time.Duration
	// OpenDuration bounds one open-loop run at 1,000 calls/s or near saturation.
	OpenDuration time.Duration
	// SlowSamples is how many calls the 1 call/s run makes (one run).
	SlowSamples int
	// IdleConns and IdleDuration size the idle-CPU measurement.
	IdleConns    int
	IdleDuration time.Duration
	// Depths are the in-flight counts of the pipelined scenario.
	Depths []int
	// Rows restricts the systems (all when nil).
	Rows []peer.Row
	// Scenarios restricts the scenarios to those named: "unary", "pipelined",
	// "open", "idle" (all when nil). Near saturation needs "unary" for its rates.
	Scenarios []string
	// Log receives progress lines (nil: discarded).
	Log io.Writer
}

// Default is the configuration `make bench` uses: about six minutes for the bench
// module's scenarios on a 2-vCPU machine.
func Default() Config {
	return Config{
		Separate: Separate(), Same: Placement{0, 0},
		Runs: 3, Duration: time.Second, OpenDuration: time.Second,
		SlowSamples: 20, IdleConns: 100, IdleDuration: 10 * time.Second,
		Depths: []int{1, 16, 256},
	}
}

// Result is one row of one table.
type Result struct {
	Row    string // "<system>/<transport>"
	System string
	Median harness.Summary
	Runs   []harness.Summary
	// Hist merges every run's histogram (for the percentile plots); nil for rows
	// that did not run.
	Hist *hdrhistogram.Histogram
	// Skip, when set, says why the row did not run.
	Skip string
	// Conns is how many connections carried the calls.
	Conns int
	// CPU is the idle scenario's CPU use in percent of one core (server+client).
	CPU, CPUServer, CPUClient float64
	// Err is the error that stopped the row, if any.
	Err string
}

// Table is one scenario on one placement.
type Table struct {
	ID        string // file-name friendly, e.g. "unary-64B-separate"
	Title     string
	Work      string // what one call does, payload and load
	Placement Placement
	Kind      string // "latency", "throughput" or "idle"
	Results   []Result
}

// Report is everything one suite run measured.
type Report struct {
	Machine harness.Machine
	Config  Config
	Tables  []Table
	Started time.Time
	Elapsed time.Duration
}

func (c Config) rows() []peer.Row {
	if c.Rows != nil {
		return c.Rows
	}
	return peer.Rows()
}

func (c Config) want(scenario string) bool {
	if c.Scenarios == nil {
		return true
	}
	for _, s := range c.Scenarios {
		if s == scenario {
			return true
		}
	}
	return false
}

func (c Config) logf(format string, args ...any) {
	if c.Log != nil {
		fmt.Fprintf(c.Log, format+"\n", args...)
	}
}

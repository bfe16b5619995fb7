package suite

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/cellsubstrate/cell/bench/internal/harness"
	"github.com/cellsubstrate/cell/bench/internal/orders"
	"github.com/cellsubstrate/cell/bench/internal/peer"
)

// Placement fixes the vCPU of the client process and of the server process.
type Placement struct{ Client, Server int }

func (p Placement) String() string {
	if p.Client == p.Server {
		return fmt.Sprintf("same vCPU (client and server on vCPU %d)", p.Client)
	}
	return fmt.Sprintf("separate vCPUs (client on vCPU %d, server on vCPU %d)", p.Client, p.Server)
}

// Short is the placement as "client,server", the form taskset users know.
func (p Placement) Short() string { return fmt.Sprintf("%d,%d", p.Client, p.Server) }

// ParsePlacement reads "c,s".
func ParsePlacement(s string) (Placement, error) {
	var p Placement
	if _, err := fmt.Sscanf(s, "%d,%d", &p.Client, &p.Server); err != nil {
		return p, fmt.Errorf("placement %q: want \"client,server\" vCPU numbers: %w", s, err)
	}
	n := runtime.NumCPU()
	if p.Client < 0 || p.Server < 0 || p.Client >= n || p.Server >= n {
		return p, fmt.Errorf("placement %q: this machine has vCPUs 0..%d", s, n-1)
	}
	return p, nil
}

// Separate is the default placement: client on vCPU 0, server on vCPU 1 (both on
// vCPU 0 on a one-vCPU machine).
func Separate() Placement {
	if runtime.NumCPU() < 2 {
		return Placement{0, 0}
	}
	return Placement{0, 1}
}

// Session is one server process for a row and this process's client connections
// to it, with this process pinned to the client's vCPU until Close.
type Session struct {
	Row   peer.Row
	Proc  *peer.Process
	Conns []peer.Conn
	Order orders.Fields
	unpin func()
}

// Open pins this process to p.Client, starts the row's server on p.Server and
// opens conns connections to it, each warmed with a few calls.
func Open(row peer.Row, p Placement, size, conns int) (*Session, error) {
	unpin, err := harness.PinProcess(p.Client)
	if err != nil {
		return nil, err
	}
	s := &Session{Row: row, Order: orders.Sample(size), unpin: unpin}
	s.Proc, err = peer.Start(row, peer.Options{CPU: p.Server, Slots: conns, Size: size})
	if err != nil {
		unpin()
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i := 0; i < conns; i++ {
		c, err := row.System.Dial(ctx, s.Proc.Endpoint, s.Order)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("%s: dial: %w", row.Name(), err)
		}
		s.Conns = append(s.Conns, c)
		warm := 50
		if i > 0 {
			warm = 3
		}
		for j := 0; j < warm; j++ {
			if err := c.Call(); err != nil {
				s.Close()
				return nil, fmt.Errorf("%s: warm-up call: %w", row.Name(), err)
			}
		}
	}
	return s, nil
}

// Close closes the connections, stops the server and unpins this process.
func (s *Session) Close() error {
	var errs []error
	for _, c := range s.Conns {
		errs = append(errs, c.Close())
	}
	if s.Proc != nil {
		errs = append(errs, s.Proc.Close())
	}
	if s.unpin != nil {
		s.unpin()
	}
	return errors.Join(errs...)
}

// Warm makes calls on the first connection for d (or at least a few calls).
func (s *Session) Warm(d time.Duration) error {
	_, err := harness.ClosedLoop(harness.NewHistogram(), harness.Limits{N: 1 << 30, Duration: d}, s.Conns[0].Call)
	return err
}

// allocsSince returns heap allocations per call since m0.
func allocsSince(m0 *runtime.MemStats, calls int64) float64 {
	if calls <= 0 {
		return -1
	}
	var m1 runtime.MemStats
	runtime.ReadMemStats(&m1)
	return float64(m1.Mallocs-m0.Mallocs) / float64(calls)
}

// ClosedRun measures one closed-loop run on the first connection: one call in
// flight, lim calls or time. It returns the summary (with client allocs/op) and
// the histogram.
func (s *Session) ClosedRun(lim harness.Limits) (harness.Summary, *hdrhistogram.Histogram, error) {
	h := harness.NewHistogram()
	var m0 runtime.MemStats
	runtime.ReadMemStats(&m0)
	el, err := harness.ClosedLoop(h, lim, s.Conns[0].Call)
	sum := harness.Summarize(h, el)
	sum.Allocs = allocsSince(&m0, h.TotalCount())
	return sum, h, err
}

// OpenRun measures one open-loop run at rate calls/s on the first connection.
func (s *Session) OpenRun(rate float64, lim harness.Limits) (harness.Summary, *hdrhistogram.Histogram, error) {
	h := harness.NewHistogram()
	var m0 runtime.MemStats
	runtime.ReadMemStats(&m0)
	el, calls, err := harness.OpenLoop(h, rate, lim, s.Conns[0].Call)
	sum := harness.Summarize(h, el)
	// The corrected histogram holds more values than calls were made: rates and
	// allocations count real calls.
	sum.Throughput = float64(calls) / el.Seconds()
	sum.Allocs = allocsSince(&m0, int64(calls))
	return sum, h, err
}

// PipelinedRun runs k callers at once: k goroutines on one connection when the
// system multiplexes, else one goroutine per connection (the session must have
// been opened with k connections).
func (s *Session) PipelinedRun(k int, lim harness.Limits) (harness.Summary, *hdrhistogram.Histogram, error) {
	callers := make([]func() error, k)
	for i := range callers {
		if peer.Multiplexed(s.Row.System) {
			callers[i] = s.Conns[0].Call
		} else {
			callers[i] = s.Conns[i].Call
		}
	}
	var m0 runtime.MemStats
	runtime.ReadMemStats(&m0)
	h, el, err := harness.Pipelined(lim, callers)
	if h == nil {
		return harness.Summary{}, nil, err
	}
	sum := harness.Summarize(h, el)
	sum.Allocs = allocsSince(&m0, h.TotalCount())
	return sum, h, err
}

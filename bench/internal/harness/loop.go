package harness

import (
	"errors"
	"fmt"
	"sync"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Limits bound a run: it stops after N calls or after Duration, whichever comes
// first (a zero field does not limit; both zero is an error).
type Limits struct {
	N        int
	Duration time.Duration
}

func (l Limits) check() error {
	if l.N <= 0 && l.Duration <= 0 {
		return errors.New("harness: a run needs a call count or a duration")
	}
	return nil
}

// done reports whether a run that has made i calls since start is over. A run
// always makes its first call, however short its Duration.
func (l Limits) done(i int, start time.Time) bool {
	if l.N > 0 && i >= l.N {
		return true
	}
	if i == 0 {
		return false
	}
	// Reading the clock costs tens of ns; the caller reads it anyway for the latency.
	return l.Duration > 0 && time.Since(start) >= l.Duration
}

// ClosedLoop makes one call at a time, each as soon as the previous returned, and
// records each round trip into h. It returns the wall time spent, and stops at the
// first error.
func ClosedLoop(h *hdrhistogram.Histogram, lim Limits, call func() error) (time.Duration, error) {
	if err := lim.check(); err != nil {
		return 0, err
	}
	start := time.Now()
	for i := 0; !lim.done(i, start); i++ {
		t0 := time.Now()
		if err := call(); err != nil {
			return time.Since(start), fmt.Errorf("call %d: %w", i, err)
		}
		_ = h.RecordValue(int64(time.Since(t0)))
	}
	return time.Since(start), nil
}

// OpenLoop issues calls on a fixed schedule, rate per second, one in flight: call i
// is due at start+i/rate. A call that is due while the previous one is still
// running starts as soon as it returns. Each latency is measured from the call's
// actual start and recorded with HdrHistogram's coordinated-omission correction
// (RecordCorrectedValue with the schedule's interval): a call that took k
// intervals also stands for the k calls the schedule would have issued meanwhile.
// The driver's own lateness (a sleeping goroutine wakes up to hundreds of
// microseconds late on a VM) is not charged to the system under test. Between
// calls the driver sleeps (see SleepUntil), so the system sees an idle client.
//
// It returns the wall time and the number of calls made (the histogram holds more
// values than that when the correction added some).
func OpenLoop(h *hdrhistogram.Histogram, rate float64, lim Limits, call func() error) (time.Duration, int, error) {
	if err := lim.check(); err != nil {
		return 0, 0, err
	}
	if rate <= 0 {
		return 0, 0, errors.New("harness: open loop needs a positive rate")
	}
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	i := 0
	for ; !lim.done(i, start); i++ {
		SleepUntil(start.Add(time.Duration(i) * interval))
		t0 := time.Now()
		if err := call(); err != nil {
			return time.Since(start), i, fmt.Errorf("call %d: %w", i, err)
		}
		_ = h.RecordCorrectedValue(int64(time.Since(t0)), int64(interval))
	}
	return time.Since(start), i, nil
}

// Pipelined runs one goroutine per caller, each a closed loop, so len(callers)
// calls are in flight at once. It records every call into the returned histogram
// and returns the wall time. All callers stop at the limit (N counts calls across
// all of them) or at the first error.
func Pipelined(lim Limits, callers []func() error) (*hdrhistogram.Histogram, time.Duration, error) {
	if err := lim.check(); err != nil {
		return nil, 0, err
	}
	if len(callers) == 0 {
		return nil, 0, errors.New("harness: no callers")
	}
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
		hs    = make([]*hdrhistogram.Histogram, len(callers))
		stop  = make(chan struct{})
		once  sync.Once
	)
	per := 0
	if lim.N > 0 {
		per = (lim.N + len(callers) - 1) / len(callers)
	}
	start := time.Now()
	for i, c := range callers {
		hs[i] = NewHistogram()
		wg.Add(1)
		go func(h *hdrhistogram.Histogram, call func() error) {
			defer wg.Done()
			for j := 0; ; j++ {
				if per > 0 && j >= per {
					return
				}
				if lim.Duration > 0 && j > 0 && j%16 == 0 && time.Since(start) >= lim.Duration {
					return
				}
				select {
				case <-stop:
					return
				default:
				}
				t0 := time.Now()
				if err := call(); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					once.Do(func() { close(stop) })
					return
				}
				_ = h.RecordValue(int64(time.Since(t0)))
			}
		}(hs[i], c)
	}
	wg.Wait()
	elapsed := time.Since(start)
	all := NewHistogram()
	for _, h := range hs {
		all.Merge(h)
	}
	return all, elapsed, first
}

// SpinWindow is how long before a due time SleepUntil stops sleeping and spins:
// a timer wakes a sleeping goroutine tens to hundreds of microseconds late on a VM.
const SpinWindow = 200 * time.Microsecond

// SleepUntil returns at t: it sleeps until SpinWindow before t, then spins.
func SleepUntil(t time.Time) {
	d := time.Until(t)
	if d <= 0 {
		return
	}
	if d > SpinWindow {
		time.Sleep(d - SpinWindow)
	}
	for time.Now().Before(t) {
	}
}

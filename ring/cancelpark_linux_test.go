package ring

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// cancelBeforePark arms testHookPark so that, right before the blocking call's second
// park (its first ran its full parkSlice, so the ctx's AfterFunc is armed), ctx is
// cancelled and the AfterFunc's wake-up (a bump of the futex word seq) lands before the
// park reads seq. It returns a func that reports whether the hook ran.
func cancelBeforePark(t *testing.T, cancel context.CancelFunc, seq *uint32) func() bool {
	t.Helper()
	var parks, fired atomic.Int32
	testHookPark = func() {
		if parks.Add(1) != 2 {
			return
		}
		before := load32(seq)
		cancel()
		// Wait (bounded) for the AfterFunc, which runs in a goroutine of its own, to
		// make its wake-up.
		for end := time.Now().Add(5 * time.Second); load32(seq) == before && time.Now().Before(end); {
			time.Sleep(50 * time.Microsecond)
		}
		if load32(seq) == before {
			t.Error("the ctx's AfterFunc made no wake-up")
		}
		fired.Store(1)
	}
	t.Cleanup(func() { testHookPark = nil })
	return func() bool { return fired.Load() == 1 }
}

// TestCancelBeforePark replays a cancellation that lands between a blocked call's check
// of its ctx and its park: the ctx's AfterFunc bumps the futex word before the park reads
// it. The park then has only its condition's re-check (made after reading the word) to
// see the cancellation: without ctx in that condition it slept its whole parkLong (2 s)
// with its ctx done, the wake-up meant for it already spent. Parks ended by timeout are
// counted; only the first (parkSlice) may end so.
func TestCancelBeforePark(t *testing.T) {
	t.Run("Peek", func(t *testing.T) {
		p, err := NewPipe(Config{Size: 4096, Spin: -1})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		ctl, _ := p.seg.ring(0)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		fired := cancelBeforePark(t, cancel, word32(ctl, ctlDataSeq))
		if _, err := p.Consumer().Peek(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("Peek: %v, want context.Canceled", err)
		}
		if !fired() {
			t.Fatal("the hook never ran")
		}
		if s := p.Consumer().Stats(); s.Timeouts != 1 {
			t.Fatalf("%d parks ended by timeout, want 1 (the first slice): the cancellation's wake-up was lost", s.Timeouts)
		}
	})
	t.Run("Reserve", func(t *testing.T) {
		p, err := NewPipe(Config{Size: 4096, Spin: -1})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		prod := p.Producer()
		for {
			if _, err := prod.TryReserve(prod.MaxRecord()); err != nil {
				if err != ErrFull {
					t.Fatal(err)
				}
				break
			}
			prod.Commit(prod.MaxRecord())
		}
		ctl, _ := p.seg.ring(0)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		fired := cancelBeforePark(t, cancel, word32(ctl, ctlSpaceSeq))
		if _, err := prod.Reserve(ctx, prod.MaxRecord()); !errors.Is(err, context.Canceled) {
			t.Fatalf("Reserve: %v, want context.Canceled", err)
		}
		if !fired() {
			t.Fatal("the hook never ran")
		}
		if s := prod.Stats(); s.Timeouts != 1 {
			t.Fatalf("%d parks ended by timeout, want 1 (the first slice): the cancellation's wake-up was lost", s.Timeouts)
		}
	})
}

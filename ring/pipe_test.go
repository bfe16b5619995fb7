//go:build linux

package ring_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cellsubstrate/cell/ring"
)

func TestPipeBasic(t *testing.T) {
	p, err := ring.NewPipe(ring.Config{Size: 4096})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	prod, cons := p.Producer(), p.Consumer()
	if _, err := cons.TryPeek(); err != ring.ErrEmpty {
		t.Fatalf("TryPeek on empty = %v, want ErrEmpty", err)
	}
	if err := prod.TryWrite([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	rec, err := cons.TryPeek()
	if err != nil || string(rec) != "hello" {
		t.Fatalf("TryPeek = %q, %v", rec, err)
	}
	cons.Release()
	if _, err := prod.TryReserve(prod.MaxRecord() + 1); err != ring.ErrTooLarge {
		t.Fatalf("oversize reserve = %v", err)
	}
	// Fill until full, then drain and check order.
	n := 0
	for {
		err := prod.TryWrite(bytes.Repeat([]byte{byte(n)}, 100))
		if err == ring.ErrFull {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 4096/(8+104) {
		t.Fatalf("ring held %d 100-byte records, want %d", n, 4096/(8+104))
	}
	for i := 0; i < n; i++ {
		rec, err := cons.TryPeek()
		if err != nil || len(rec) != 100 || rec[0] != byte(i) {
			t.Fatalf("record %d: len %d, %v", i, len(rec), err)
		}
	}
	cons.Release()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := cons.Peek(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Peek on empty with deadline = %v", err)
	}
}

// A call parked longer than the first park slice is woken by its context's end, not by
// a later time-out: cancelling it after 250 ms ends it with at most one timed-out park
// (the first, 100 ms slice). Polling in 100 ms slices instead would show two or more.
func TestLongParkEndsOnCancel(t *testing.T) {
	p, err := ring.NewPipe(ring.Config{Size: 4096, Spin: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, side := range []string{"consumer", "producer"} {
		t.Run(side, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(250*time.Millisecond, cancel)
			var before, after uint64
			switch side {
			case "consumer":
				cons := p.Consumer()
				before = cons.Stats().Timeouts
				_, err = cons.Peek(ctx)
				after = cons.Stats().Timeouts
			case "producer":
				prod := p.Producer()
				for prod.TryWrite(make([]byte, 100)) == nil {
				}
				before = prod.Stats().Timeouts
				_, err = prod.Reserve(ctx, 100)
				after = prod.Stats().Timeouts
			}
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("blocked %s returned %v, want context.Canceled", side, err)
			}
			if n := after - before; n > 1 {
				t.Fatalf("blocked %s timed out %d times before seeing the cancel; want at most 1", side, n)
			}
		})
	}
}

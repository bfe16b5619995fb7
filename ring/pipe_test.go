//go:build linux

package ring_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
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

// A record is published by its own header, so the slot after every record must read
// "unwritten" before that record is visible: here a payload made of valid-looking
// record headers is read and released, then the ring wraps (with a pad record) so that
// the next record's slot falls inside that old payload. The consumer must see no
// record there until the producer writes one.
func TestOldPayloadIsNoRecord(t *testing.T) {
	p, err := ring.NewPipe(ring.Config{Size: 4096})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	prod, cons := p.Producer(), p.Consumer()
	fake := make([]byte, 2000)
	for i := 0; i+8 <= len(fake); i += 8 {
		binary.LittleEndian.PutUint64(fake[i:], 8|uint64(ring.KindData)<<32) // an 8-byte data record
	}
	for i, n := range []int{2000, 2000, 100} { // the third wraps: pad at 4016, record at 0
		if err := prod.TryWrite(fake[:n]); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
		rec, err := cons.TryPeek()
		if err != nil || !bytes.Equal(rec, fake[:n]) {
			t.Fatalf("record %d: %d bytes, %v", i, len(rec), err)
		}
		cons.Release()
	}
	// The next slot is at data offset 112, inside the first record's old payload.
	if rec, err := cons.TryPeek(); err != ring.ErrEmpty {
		t.Fatalf("TryPeek after the last record = %d bytes, %v; want ErrEmpty", len(rec), err)
	}
	if err := prod.TryWrite([]byte("next")); err != nil {
		t.Fatal(err)
	}
	if rec, err := cons.TryPeek(); err != nil || string(rec) != "next" {
		t.Fatalf("TryPeek = %q, %v", rec, err)
	}
}

// Staged records stay invisible until Flush, which publishes them all, in order, with
// one store; a record staged after a pad (the pad is then the first unpublished record)
// too.
func TestStageThenFlush(t *testing.T) {
	p, err := ring.NewPipe(ring.Config{Size: 4096})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	prod, cons := p.Producer(), p.Consumer()
	for round, sizes := range [][]int{{1, 2, 3}, {1500, 1500}, {1000, 8, 0}} { // round 2 starts with a pad
		for i, n := range sizes {
			b, err := prod.TryReserve(n)
			if err != nil {
				t.Fatalf("round %d reserve %d: %v", round, i, err)
			}
			for j := range b {
				b[j] = byte(round + i)
			}
			prod.Stage(n)
			if rec, err := cons.TryPeek(); err != ring.ErrEmpty {
				t.Fatalf("round %d: staged record visible: %d bytes, %v", round, len(rec), err)
			}
		}
		prod.Flush()
		for i, n := range sizes {
			rec, err := cons.TryPeek()
			if err != nil || len(rec) != n || (n > 0 && rec[n-1] != byte(round+i)) {
				t.Fatalf("round %d record %d: %d bytes, %v", round, i, len(rec), err)
			}
		}
		if _, err := cons.TryPeek(); err != ring.ErrEmpty {
			t.Fatalf("round %d: extra record: %v", round, err)
		}
		cons.Release()
	}
}

// TestNoLostWakeup streams records through a small ring where both sides park on the
// futex whenever they wait (no spin: full-barrier publication; with spin: publication
// without the barrier, the waiter fences before it parks). Parks last 2 s at a time
// (context.Background never ends), so a lost wake-up shows as a park that ended by its
// timeout: with the other side busy throughout, there must be none. Every record
// arrives once, in order.
func TestNoLostWakeup(t *testing.T) {
	n := 200_000
	if testing.Short() || raceEnabled {
		n = 20_000
	}
	for _, spin := range []time.Duration{-1, time.Microsecond} {
		t.Run(fmt.Sprintf("spin=%v", spin), func(t *testing.T) {
			p, err := ring.NewPipe(ring.Config{Size: 4096, Spin: spin})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			ctx := context.Background()
			prod, cons := p.Producer(), p.Consumer()
			errc := make(chan error, 1)
			go func() {
				var b [8]byte
				for i := 0; i < n; i++ {
					binary.LittleEndian.PutUint64(b[:], uint64(i))
					if err := prod.Write(ctx, b[:1+i%8]); err != nil {
						errc <- err
						return
					}
				}
				errc <- nil
			}()
			for i := 0; i < n; i++ {
				rec, err := cons.Peek(ctx)
				if err != nil {
					t.Fatal(err)
				}
				var b [8]byte
				binary.LittleEndian.PutUint64(b[:], uint64(i))
				if !bytes.Equal(rec, b[:1+i%8]) {
					t.Fatalf("record %d = %x", i, rec)
				}
				cons.Release()
			}
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
			ps, cs := prod.Stats(), cons.Stats()
			t.Logf("producer %+v, consumer %+v", ps, cs)
			if ps.Timeouts != 0 || cs.Timeouts != 0 {
				t.Fatalf("parks ended by timeout (lost wake-ups): producer %d, consumer %d", ps.Timeouts, cs.Timeouts)
			}
		})
	}
}

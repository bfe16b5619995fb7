//go:build linux

package ring_test

import (
	"context"
	"encoding/binary"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/cellsubstrate/cell/ring"
)

// recordFor returns the payload of record seq: its length comes from a PRNG seeded by
// seq, its first 8 bytes are seq, and every other byte is derived from seq and its index,
// so the reader can check length, order and content without shared state.
func recordFor(buf []byte, seq uint64, maxLen int) []byte {
	r := rand.New(rand.NewPCG(seq, 0x9e3779b97f4a7c15))
	n := 8 + r.IntN(maxLen-8+1)
	b := buf[:n]
	binary.LittleEndian.PutUint64(b, seq)
	for i := 8; i < n; i++ {
		b[i] = byte(seq) ^ byte(i)
	}
	return b
}

func checkRecord(t testing.TB, rec []byte, want uint64, maxLen int, scratch []byte) {
	t.Helper()
	exp := recordFor(scratch, want, maxLen)
	if len(rec) != len(exp) {
		t.Fatalf("record %d: length %d, want %d", want, len(rec), len(exp))
	}
	if got := binary.LittleEndian.Uint64(rec); got != want {
		t.Fatalf("record out of order: got seq %d, want %d", got, want)
	}
	for i := 8; i < len(rec); i++ {
		if rec[i] != exp[i] {
			t.Fatalf("record %d: byte %d = %d, want %d", want, i, rec[i], exp[i])
		}
	}
}

// TestExactlyOnceWrap streams 10^6 records of random sizes between two goroutines,
// starting the free-running positions just below 2^64 so the run crosses the wrap, and
// checks every record arrives once, in order, intact. Producer and consumer mix single
// and batched calls, and both block (the ring is small) so the futex path runs too.
func TestExactlyOnceWrap(t *testing.T) {
	n := uint64(1_000_000)
	if testing.Short() {
		n = 100_000
	}
	const maxLen = 200
	p, err := ring.NewPipeAt(ring.Config{Size: 8192, Spin: 2 * time.Microsecond}, ^uint64(0)-64*1024)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		prod := p.Producer()
		buf := make([]byte, maxLen)
		for seq := uint64(0); seq < n; seq++ {
			rec := recordFor(buf, seq, maxLen)
			b, err := prod.Reserve(ctx, len(rec))
			if err != nil {
				errc <- err
				return
			}
			copy(b, rec)
			if seq%7 < 4 {
				prod.Stage(len(rec)) // batched: published by a later Commit or Flush
			} else {
				prod.Commit(len(rec))
			}
		}
		prod.Flush()
		errc <- nil
	}()
	cons := p.Consumer()
	scratch := make([]byte, maxLen)
	batch := make([][]byte, 16)
	for seq := uint64(0); seq < n; {
		k, err := cons.PeekBatch(ctx, batch[:1+seq%16])
		if err != nil {
			t.Fatalf("at record %d: %v", seq, err)
		}
		for _, rec := range batch[:k] {
			checkRecord(t, rec, seq, maxLen, scratch)
			seq++
		}
		cons.Release()
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if _, err := cons.TryPeek(); err != ring.ErrEmpty {
		t.Fatalf("extra record after the last: %v", err)
	}
}

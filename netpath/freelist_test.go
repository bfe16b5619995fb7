package netpath

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Many goroutines take and return slots of a small freeList: no index is ever held by
// two at once, inUse matches, and every taker gets a slot in the end (a lost wake-up
// would leave one waiting past the deadline).
func TestFreeList(t *testing.T) {
	const slots, workers, rounds = 3, 16, 2000
	var f freeList
	f.init(slots)
	var held [slots]atomic.Int32
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	var taken atomic.Int64
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				i, err := f.get(ctx)
				if err != nil {
					t.Errorf("get: %v", err)
					return
				}
				if i >= slots || held[i].Add(1) != 1 {
					t.Errorf("slot %d handed out twice", i)
					return
				}
				if n := f.inUse(); n < 1 || n > slots {
					t.Errorf("inUse %d", n)
				}
				taken.Add(1)
				held[i].Add(-1)
				f.put(i)
			}
		}()
	}
	wg.Wait()
	if taken.Load() != workers*rounds {
		t.Fatalf("took %d slots, want %d", taken.Load(), workers*rounds)
	}
	if n := f.inUse(); n != 0 {
		t.Fatalf("inUse %d after every slot came back", n)
	}
	// Every slot is free again, each once.
	seen := map[uint32]bool{}
	for k := 0; k < slots; k++ {
		i, ok := f.tryGet()
		if !ok || seen[i] {
			t.Fatalf("slot %d (ok %v) after all were returned", i, ok)
		}
		seen[i] = true
	}
	if _, ok := f.tryGet(); ok {
		t.Fatal("more slots than were made")
	}
	// An empty list honours the context.
	short, cancelShort := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancelShort()
	if _, err := f.get(short); err == nil {
		t.Fatal("get on an empty list returned without a slot's return")
	}
}

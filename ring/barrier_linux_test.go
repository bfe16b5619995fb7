package ring

import (
	"runtime"
	"sync"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestStorePosBarrier checks that storePos is a full barrier before a later load, on
// shared memory outside the Go heap, in this build: the store-buffer litmus (each side
// stores its word with storePos, then loads the other's; both loading 0 means a store
// passed the load). The futex protocol needs it from the publishing side. Under the
// race detector atomic.StoreUint64 to such memory is a plain MOV, which this caught
// (hundreds of reorderings per million rounds on two idle vCPUs); a swap is a locked
// instruction in both builds. A reordering is a hardware event: the test can only
// catch it when both sides run at once, so it needs two CPUs and finds less on a
// loaded machine; it never fails without one.
func TestStorePosBarrier(t *testing.T) {
	if runtime.NumCPU() < 2 || runtime.GOMAXPROCS(0) < 2 {
		t.Skip("needs two CPUs: the two sides must run at once")
	}
	const rounds = 1 << 19
	words := 16 + 2*rounds
	mem, err := unix.Mmap(-1, 0, words*8, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_ANONYMOUS)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(mem)
	w := unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(mem))), words)
	xs, ys := w[16:16+rounds], w[16+rounds:]
	var r [2][rounds]uint8
	var stop [2]uint64 // heap words: a side that ran out of time tells the other
	end := time.Now().Add(2 * time.Second)
	var wg sync.WaitGroup
	side := func(k int, me, other *uint64, mine, theirs []uint64) {
		defer wg.Done()
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		for i := 1; i < rounds; i++ {
			// Meet the other side at round i, then store and load at once.
			store64(me, uint64(i))
			for n := 0; load64(other) < uint64(i); n++ {
				if n&1023 == 0 && (time.Now().After(end) || load64(&stop[1-k]) != 0) {
					store64(&stop[k], 1)
					return
				}
			}
			storePos(&mine[i], 1)
			r[k][i] = uint8(load64(&theirs[i]))
		}
	}
	wg.Add(2)
	go side(0, &w[0], &w[8], xs, ys)
	go side(1, &w[8], &w[0], ys, xs)
	wg.Wait()
	done := min(load64(&w[0]), load64(&w[8]))
	bad := 0
	for i := uint64(1); i < done; i++ {
		if r[0][i] == 0 && r[1][i] == 0 {
			bad++
		}
	}
	t.Logf("%d rounds", done)
	if bad > 0 {
		t.Fatalf("storePos: %d of %d rounds saw both loads pass the other side's store: not a full barrier", bad, done)
	}
}

package futex_test

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/cellsubstrate/cell/futex"
)

// flag is the condition the waiter waits for.
type flag struct{ v *uint32 }

func (f flag) Ready() bool { return atomic.LoadUint32(f.v) != 0 }

// An Event hands "data is ready" from a notifier to a waiter. In cell the three words
// live in shared memory and the two sides are two processes; here they are goroutines.
func ExampleEvent() {
	var seq, sleeping, data uint32
	var waiter, notifier futex.Event
	waiter.Init(&seq, &sleeping, 10*time.Microsecond) // spin 10µs, then park
	notifier.Init(&seq, &sleeping, 0)

	go func() {
		atomic.StoreUint32(&data, 1) // publish
		notifier.Notify()            // a syscall only if the waiter sleeps
	}()
	for {
		if ready, _ := waiter.Wait(flag{&data}, time.Second); ready {
			break
		}
	}
	fmt.Println("data ready:", atomic.LoadUint32(&data))
	// Output: data ready: 1
}

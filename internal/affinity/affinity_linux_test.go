package affinity_test

import (
	"os"
	"strconv"
	"testing"

	"github.com/cellsubstrate/cell/internal/affinity"
	"golang.org/x/sys/unix"
)

// Every thread ends on the asked CPU, and restore gives the old mask back.
func TestProcess(t *testing.T) {
	var before unix.CPUSet
	if err := unix.SchedGetaffinity(0, &before); err != nil {
		t.Fatal(err)
	}
	restore, err := affinity.Process(0)
	if err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		tid, _ := strconv.Atoi(e.Name())
		var set unix.CPUSet
		if err := unix.SchedGetaffinity(tid, &set); err != nil {
			continue // the thread exited
		}
		if set.Count() != 1 || !set.IsSet(0) {
			t.Errorf("thread %d: mask has %d CPUs (CPU 0 set: %v), want CPU 0 only", tid, set.Count(), set.IsSet(0))
		}
	}
	restore()
	var after unix.CPUSet
	if err := unix.SchedGetaffinity(0, &after); err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Fatalf("restore left mask with %d CPUs, had %d", after.Count(), before.Count())
	}
}

func TestThread(t *testing.T) {
	restore, err := affinity.Thread(0)
	if err != nil {
		t.Fatal(err)
	}
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		t.Fatal(err)
	}
	if set.Count() != 1 || !set.IsSet(0) {
		t.Fatalf("thread mask has %d CPUs, want CPU 0 only", set.Count())
	}
	restore()
	if _, err := affinity.Thread(1 << 20); err == nil {
		t.Fatal("pinning to a CPU that does not exist succeeded")
	}
}

func ExampleThread() {
	restore, err := affinity.Thread(0)
	if err != nil {
		return
	}
	defer restore()
	// ... the measured loop runs on CPU 0 ...
}

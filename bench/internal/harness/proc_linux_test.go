package harness

import (
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestParseProcStat(t *testing.T) {
	// pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime …
	line := "4242 (my (odd) prog) S 1 4242 4242 0 -1 4194560 500 0 0 0 250 130 0 0 20 0 3 0 100 1000 10"
	d, err := parseProcStat(line)
	if err != nil {
		t.Fatal(err)
	}
	if d != 3800*time.Millisecond {
		t.Errorf("cpu = %v, want 3.8s (380 ticks)", d)
	}
	for _, bad := range []string{"", "4242 prog S 1", "4242 (p) S 1 2 3 4 5 6 7 8 9 10 x y"} {
		if _, err := parseProcStat(bad); err == nil {
			t.Errorf("parseProcStat(%q) succeeded", bad)
		}
	}
	if _, err := ProcessCPU(os.Getpid()); err != nil {
		t.Errorf("ProcessCPU(self): %v", err)
	}
}

// masks returns the CPU count allowed to each thread of this process.
func masks(t *testing.T) map[int]int {
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	m := map[int]int{}
	for _, e := range ents {
		tid, _ := strconv.Atoi(e.Name())
		var set unix.CPUSet
		if unix.SchedGetaffinity(tid, &set) == nil {
			m[tid] = set.Count()
		}
	}
	return m
}

func TestPinProcessPinsEveryThreadAndRestores(t *testing.T) {
	var all unix.CPUSet
	if err := unix.SchedGetaffinity(0, &all); err != nil {
		t.Fatal(err)
	}
	restore, err := PinProcess(0)
	if err != nil {
		t.Fatal(err)
	}
	pinned := masks(t)
	if runtime.GOMAXPROCS(0) != 1 {
		t.Errorf("GOMAXPROCS %d while pinned, want 1", runtime.GOMAXPROCS(0))
	}
	restore()
	for tid, n := range pinned {
		if n != 1 {
			t.Errorf("thread %d allowed %d CPUs while pinned, want 1", tid, n)
		}
	}
	for tid, n := range masks(t) {
		if n != all.Count() {
			t.Errorf("thread %d allowed %d CPUs after restore, want %d", tid, n, all.Count())
		}
	}
}

package rpc_test

import (
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// pinProcess restricts every thread of this process (and so every thread it starts
// later, which inherit the mask) to the given CPUs, and returns the previous mask's
// restorer. It is how the benchmarks place client and server on CPUs of their own.
func pinProcess(cpus ...int) (restore func(), err error) {
	var old, set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		return nil, err
	}
	for _, c := range cpus {
		set.Set(c)
	}
	if err := setAll(&set); err != nil {
		return nil, err
	}
	return func() { setAll(&old) }, nil
}

func setAll(set *unix.CPUSet) error {
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return err
	}
	for _, e := range ents {
		tid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if err := unix.SchedSetaffinity(tid, set); err != nil && err != unix.ESRCH {
			return err
		}
	}
	return nil
}

// benchCPUs returns the placement asked for with CELL_BENCH_CPUS="client,server".
func benchCPUs() (client, server int, ok bool) {
	a, b, found := strings.Cut(os.Getenv("CELL_BENCH_CPUS"), ",")
	x, err1 := strconv.Atoi(a)
	y, err2 := strconv.Atoi(b)
	return x, y, found && err1 == nil && err2 == nil
}

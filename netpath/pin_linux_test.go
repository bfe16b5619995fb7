//go:build linux

package netpath_test

import (
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// pinProcess restricts every thread of this process to one CPU. Threads the runtime
// starts later inherit the mask from the thread that creates them.
func pinProcess(cpu int) error {
	var set unix.CPUSet
	set.Set(cpu)
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return err
	}
	for _, e := range ents {
		tid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if err := unix.SchedSetaffinity(tid, &set); err != nil {
			return err
		}
	}
	return nil
}

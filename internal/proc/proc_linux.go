package proc

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
)

// ErrNoProcess occurs when the process asked about does not exist (any longer).
var ErrNoProcess = errors.New("proc: no such process")

// StartTime returns the start time of process pid, in clock ticks since boot.
// It returns an error wrapping ErrNoProcess when pid does not exist.
func StartTime(pid int) (uint64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return 0, fmt.Errorf("%w: pid %d", ErrNoProcess, pid)
		}
		return 0, err
	}
	return parseStartTime(b)
}

// parseStartTime extracts field 22 from the text of /proc/PID/stat. The command name
// (field 2) is in parentheses and may itself contain spaces and parentheses, so fields are
// counted from the last ')'.
func parseStartTime(stat []byte) (uint64, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("proc: malformed stat: no ')'")
	}
	fields := strings.Fields(string(stat[i+1:]))
	// fields[0] is field 3 (state); field 22 is fields[19].
	if len(fields) < 20 {
		return 0, fmt.Errorf("proc: malformed stat: %d fields after comm", len(fields))
	}
	v, err := strconv.ParseUint(fields[19], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("proc: malformed stat start time: %w", err)
	}
	return v, nil
}

// Alive reports whether the process pid exists and started at startTime. A false result
// with a nil error means the process is gone or its pid now names another process.
func Alive(pid int, startTime uint64) (bool, error) {
	if pid <= 0 {
		return false, nil
	}
	st, err := StartTime(pid)
	if errors.Is(err, ErrNoProcess) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return st == startTime, nil
}

var selfOnce struct {
	sync.Once
	start uint64
	err   error
}

// SelfStartTime returns the start time of the calling process, computed once.
func SelfStartTime() (uint64, error) {
	selfOnce.Do(func() { selfOnce.start, selfOnce.err = StartTime(os.Getpid()) })
	return selfOnce.start, selfOnce.err
}

var bootOnce struct {
	sync.Once
	id  string
	err error
}

// BootID returns the host's boot id (/proc/sys/kernel/random/boot_id), which differs
// between hosts and between boots of one host. Two processes that read the same boot id
// run on the same kernel instance.
func BootID() (string, error) {
	bootOnce.Do(func() {
		b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
		if err != nil {
			bootOnce.err = err
			return
		}
		bootOnce.id = strings.TrimSpace(string(b))
		if bootOnce.id == "" {
			bootOnce.err = errors.New("proc: empty boot id")
		}
	})
	return bootOnce.id, bootOnce.err
}

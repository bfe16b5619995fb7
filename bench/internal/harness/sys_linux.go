package harness

import (
	"fmt"
	"github.com/cellsubstrate/cell/internal/affinity"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

func kernelRelease() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Release[:])
}

// PinProcess restricts every thread of this process to cpu, and GOMAXPROCS to 1,
// so the whole Go runtime (and threads it starts later, which inherit the mask)
// runs there. It returns a function that restores the previous mask and GOMAXPROCS.
func PinProcess(cpu int) (restore func(), err error) {
	unpin, err := affinity.Process(cpu)
	if err != nil {
		return nil, fmt.Errorf("harness: %w", err)
	}
	prev := runtime.GOMAXPROCS(1)
	return func() {
		unpin()
		runtime.GOMAXPROCS(prev)
	}, nil
}

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat; it is
// 100 on every Linux architecture Go supports.
const clockTicks = 100

// ProcessCPU returns the user plus system CPU time consumed so far by every thread
// of process pid, from /proc/<pid>/stat (10 ms resolution).
func ProcessCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, err
	}
	return parseProcStat(string(b))
}

func parseProcStat(s string) (time.Duration, error) {
	// The command name (field 2) is in parentheses and may contain spaces: split
	// after the last ')'. Fields 14 and 15 (utime, stime) are then at 11 and 12.
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("harness: malformed /proc stat %q", s)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("harness: short /proc stat %q", s)
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("harness: bad utime/stime in /proc stat %q", s)
	}
	return time.Duration(u+st) * time.Second / clockTicks, nil
}

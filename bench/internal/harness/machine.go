package harness

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
)

// Machine describes where a run happened.
type Machine struct {
	CPU    string // model name from /proc/cpuinfo
	VCPUs  int    // logical CPUs the OS reports
	Kernel string // uname release
	Go     string // runtime.Version()
	OS     string // GOOS/GOARCH
}

// String is the machine line printed above every table.
func (m Machine) String() string {
	return fmt.Sprintf("%s, %d vCPUs, %s kernel %s, %s", m.CPU, m.VCPUs, m.OS, m.Kernel, m.Go)
}

// ThisMachine reads the machine line of the running host. Fields it cannot read
// are "unknown".
func ThisMachine() Machine {
	m := Machine{CPU: "unknown", Kernel: "unknown", VCPUs: runtime.NumCPU(),
		Go: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		if c, n := ParseCPUInfo(f); c != "" {
			m.CPU = c
			if n > 0 {
				m.VCPUs = n
			}
		}
		f.Close()
	}
	if k := kernelRelease(); k != "" {
		m.Kernel = k
	}
	return m
}

// ParseCPUInfo returns the first "model name" in a /proc/cpuinfo text and the
// number of "processor" entries.
func ParseCPUInfo(r io.Reader) (model string, processors int) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "model name":
			if model == "" {
				model = strings.Join(strings.Fields(v), " ")
			}
		case "processor":
			processors++
		}
	}
	return model, processors
}

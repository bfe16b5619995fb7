//go:build !linux

package harness

import (
	"errors"
	"time"
)

func kernelRelease() string { return "" }

// PinProcess is Linux-only.
func PinProcess(cpu int) (restore func(), err error) { return nil, errors.ErrUnsupported }

// ProcessCPU is Linux-only.
func ProcessCPU(pid int) (time.Duration, error) { return 0, errors.ErrUnsupported }

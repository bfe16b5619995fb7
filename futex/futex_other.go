//go:build !linux

package futex

import (
	"errors"
	"runtime"
	"time"
)

// Wait is unsupported on this platform: it returns errors.ErrUnsupported.
func Wait(addr *uint32, val uint32, timeout time.Duration) error { return errors.ErrUnsupported }

// Wake is unsupported on this platform: it returns errors.ErrUnsupported.
func Wake(addr *uint32, n int) (int, error) { return 0, errors.ErrUnsupported }

func enableFence(f Fence) bool { return false }

func fence(f Fence) error { return errors.ErrUnsupported }

// yield lets another goroutine run (the Go scheduler's, as no thread yield is wired
// up on this platform).
func yield() { runtime.Gosched() }

//go:build !linux

package affinity

import "errors"

// Process is unsupported on this platform.
func Process(cpus ...int) (restore func(), err error) { return nil, errors.ErrUnsupported }

// Thread is unsupported on this platform.
func Thread(cpu int) (restore func(), err error) { return nil, errors.ErrUnsupported }

//go:build !linux

package proc

import "errors"

// ErrNoProcess occurs when the process asked about does not exist (any longer).
var ErrNoProcess = errors.New("proc: no such process")

// StartTime is unsupported on this platform.
func StartTime(pid int) (uint64, error) { return 0, errors.ErrUnsupported }

// Alive is unsupported on this platform.
func Alive(pid int, startTime uint64) (bool, error) { return false, errors.ErrUnsupported }

// SelfStartTime is unsupported on this platform.
func SelfStartTime() (uint64, error) { return 0, errors.ErrUnsupported }

// BootID is unsupported on this platform.
func BootID() (string, error) { return "", errors.ErrUnsupported }

//go:build unix && !linux

package netpath_test

import "errors"

// pinProcess is unsupported off Linux.
func pinProcess(cpu int) error { return errors.ErrUnsupported }

//go:build !linux

package rpc_test

import "errors"

func pinProcess(cpus ...int) (func(), error) { return nil, errors.ErrUnsupported }

func benchCPUs() (client, server int, ok bool) { return 0, 0, false }

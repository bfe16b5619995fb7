//go:build !linux

package main

import (
	"fmt"
	"os"
)

// The demo runs shared-memory rings between processes: memfd segments, futexes and
// SO_PEERCRED are Linux's.
func main() {
	fmt.Fprintln(os.Stderr, "celldemo: needs Linux (memfd, futex, SO_PEERCRED)")
	os.Exit(1)
}

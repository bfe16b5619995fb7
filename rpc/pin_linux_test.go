package rpc_test

import (
	"os"
	"strconv"
	"strings"
)

// benchCPUs returns the placement asked for with CELL_BENCH_CPUS="client,server".
func benchCPUs() (client, server int, ok bool) {
	a, b, found := strings.Cut(os.Getenv("CELL_BENCH_CPUS"), ",")
	x, err1 := strconv.Atoi(a)
	y, err2 := strconv.Atoi(b)
	return x, y, found && err1 == nil && err2 == nil
}

// Package peer holds the systems the bench compares (cell, gRPC-go, gRPC-go with
// FlatBuffers, drpc) and the physical floors (spin and futex ping-pong on one
// shared word, plain net ping-pong), all serving the same order workload from
// package orders, and the machinery that runs a server in a separate process.
//
// A System is an adapter of two halves: Serve runs in the server process, Dial in
// the client process. Adding a system is one type with those two methods and a
// line in Systems.
//
// Cross-process rule: the server always runs in its own process. Start re-executes
// the current binary (a test binary or benchmd) with CELLBENCH_ROLE=server; that
// binary must call ChildMain first thing (in TestMain or main), which serves and
// exits without returning. The child pins itself to its vCPU, prints one line
// "READY <addr>" on stdout once clients may connect, and exits when its stdin
// reaches EOF (the parent closes it, or dies: the child also has a parent-death
// signal).
//
// Concurrency: a Conn's Call may be called from many goroutines at once only when
// the System reports Multiplexed; otherwise one goroutine at a time.
package peer

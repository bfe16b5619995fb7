// Package bench compares cell with what a user would pick instead, in the same run
// on the same machine: gRPC-go (protobuf, and carrying FlatBuffers), storj drpc,
// and the physical floors (spin and futex ping-pong on one shared word, plain net
// ping-pong). Every system serves the same order (examples/orders/orders.fbs, and
// its protobuf twin internal/pb/orders.proto) with the same work: the handler
// reads every field and answers with an id derived from all of them, which the
// client checks. Client and server always run in separate processes (the test
// binary or benchmd re-executes itself as the server), each pinned with
// sched_setaffinity to its vCPU and run with GOMAXPROCS=1.
//
// Rows are named <system>/<transport>: cell/shm, cell/unix, cell/tcp,
// cell-park/shm (no spin), cell-object/shm (convenient tier), grpc/unix,
// grpc/tcp, grpc-flatbuffers/unix, drpc/unix, floor-spin/shm, floor-futex/shm,
// floor-net/unix, floor-net/tcp. Run one comparison with go test:
//
//	cd bench && go test -run '^$' -bench 'Unary/grpc/unix' -benchtime 2s
//
// BenchmarkUnary reports p50-ns, p99-ns and p999-ns from an HDR histogram and the
// client's allocs/op. CELLBENCH_PLACEMENT="client,server" picks the vCPUs
// (default "0,1"; "0,0" puts both on one vCPU).
//
// The whole suite, which rewrites ../BENCHMARKS.md and the SVG plots in plots/,
// is `make bench` (cmd/benchmd; -help lists the flags for longer or narrower runs).
// Layout: internal/orders is the workload, internal/peer the systems and the
// server processes, internal/harness the measuring (histograms, loops, medians,
// placement, CPU time, go test output parsing), internal/suite the scenarios,
// internal/report the Markdown and SVG writers.
//
// This is its own Go module so that the peers never enter the library's go.mod.
package bench

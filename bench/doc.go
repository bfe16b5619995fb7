// Package bench compares cell with what a user would pick instead, in the same run
// on the same machine: gRPC-go (protobuf, and carrying FlatBuffers), storj drpc,
// and the physical floors (spin and futex ping-pong on one shared word, plain net
// ping-pong). Every system serves the same order (examples/orders/orders.fbs, and
// its protobuf twin) with the same work, client and server in separate processes
// pinned to fixed vCPUs.
//
// Run one comparison with go test:
//
//	cd bench && go test -run '^$' -bench 'Unary/grpc/unix' -benchtime 2s
//
// CELLBENCH_PLACEMENT="client,server" picks the vCPUs (default "0,1"; "0,0" puts
// both on one vCPU). The whole suite, which rewrites ../BENCHMARKS.md, is
// `make bench` (cmd/benchmd).
//
// This is its own Go module so that the peers never enter the library's go.mod.
package bench

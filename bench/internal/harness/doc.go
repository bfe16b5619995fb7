// Package harness is the measuring half of the bench: HDR histograms of round
// trips, closed-loop and open-loop (fixed-rate, coordinated-omission corrected)
// drivers, medians over repeated runs, ratios, the machine line, CPU placement,
// per-process CPU time, a parser for `go test -bench` output, and the Markdown and
// SVG writers that turn results into BENCHMARKS.md.
//
// Nothing here knows about a particular RPC system: a round trip is a func() error.
// Latencies are nanoseconds from the monotonic clock. Every driver is bounded by a
// count and a duration, whichever comes first.
//
// Concurrency: a Histogram is owned by one goroutine at a time; the pipelined
// driver gives each in-flight caller its own and merges them at the end.
package harness

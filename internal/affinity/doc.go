// Package affinity pins processes and threads to CPUs, for the benchmarks and demos that
// must state where their two sides ran (BENCHMARKING.md: placement changes results by
// 10x).
//
// Linux applies sched_setaffinity per thread. Process walks /proc/self/task until no
// new thread shows up; threads the runtime starts later inherit the mask of the thread
// that creates them. Thread pins only the calling goroutine's thread, which it locks.
// Neither is for hot paths. Off Linux both return errors.ErrUnsupported.
package affinity

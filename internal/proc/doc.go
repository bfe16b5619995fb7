// Package proc reads the facts about processes that cell uses to tell a live peer from a
// dead one whose pid was reused: a process's start time (field 22 of /proc/PID/stat, in
// clock ticks since boot) and the host's boot id.
//
// A (pid, start time) pair names one process for the life of the host: the kernel never
// gives a pid to a new process while the old one exists, and a new process with the same
// pid starts later. Everything here is safe for concurrent use and allocation-light; none
// of it is on a hot path.
//
// Only Linux has /proc; elsewhere every function returns errors.ErrUnsupported.
package proc

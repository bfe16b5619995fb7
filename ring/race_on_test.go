//go:build race

package ring_test

// raceEnabled shortens the longest loops under the race detector, which slows them ~10x.
const raceEnabled = true

//go:build unix

package netpath

// SetCork turns write corking on or off; for the benchmark comparing the two.
func SetCork(on bool) { corkEnabled = on }

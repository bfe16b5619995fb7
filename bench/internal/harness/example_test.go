package harness_test

import (
	"fmt"

	"github.com/cellsubstrate/cell/bench/internal/harness"
)

// A closed loop records every round trip; repeated runs are summarized by their
// median, field by field.
func Example() {
	var runs []harness.Summary
	for run := 0; run < 3; run++ {
		h := harness.NewHistogram()
		calls := 0
		if _, err := harness.ClosedLoop(h, harness.Limits{N: 1000}, func() error { calls++; return nil }); err != nil {
			fmt.Println(err)
			return
		}
		runs = append(runs, harness.Summarize(h, 0))
	}
	m := harness.Median(runs)
	fmt.Println(m.Count, "round trips in the median run")
	// Output: 1000 round trips in the median run
}

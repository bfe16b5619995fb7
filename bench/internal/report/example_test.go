package report_test

import (
	"fmt"

	"github.com/cellsubstrate/cell/bench/internal/report"
)

func ExampleDur() {
	fmt.Println(report.Dur(189), report.Dur(1665), report.Dur(145663), report.Times(1665.0/189))
	// Output: 189 ns 1.67 µs 146 µs 8.81×
}

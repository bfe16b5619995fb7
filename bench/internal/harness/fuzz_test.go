package harness_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cellsubstrate/cell/bench/internal/harness"
)

// FuzzParseGoBench feeds arbitrary text to the parser: it never panics, and every
// line it accepts, printed back in go test's format, parses to the same result.
func FuzzParseGoBench(f *testing.F) {
	f.Add(benchOut)
	f.Add("BenchmarkX-8 10 1.5 ns/op 3 p50-ns\n")
	f.Add("pkg: a\nBenchmarkY 1 2 B/op\n")
	f.Fuzz(func(t *testing.T, in string) {
		for _, l := range harness.ParseGoBench(strings.NewReader(in)) {
			var b strings.Builder
			if l.Pkg != "" {
				fmt.Fprintf(&b, "pkg: %s\n", l.Pkg)
			}
			name := l.Name
			if l.Procs != 0 {
				name = fmt.Sprintf("%s-%d", name, l.Procs)
			}
			fmt.Fprintf(&b, "%s %d", name, l.N)
			for _, u := range l.Units {
				fmt.Fprintf(&b, " %v %s", l.Metrics[u], u)
			}
			again := harness.ParseGoBench(strings.NewReader(b.String() + "\n"))
			if len(again) != 1 {
				t.Fatalf("%q re-parsed to %d lines", b.String(), len(again))
			}
			g := again[0]
			if g.Name != l.Name || g.Procs != l.Procs || g.N != l.N || len(g.Units) != len(l.Units) {
				t.Fatalf("round trip changed %+v into %+v", l, g)
			}
			for _, u := range l.Units {
				if a, b := g.Metrics[u], l.Metrics[u]; a != b && !(a != a && b != b) {
					t.Fatalf("metric %s: %v became %v", u, b, a)
				}
			}
		}
	})
}

package harness

import (
	"bufio"
	"io"
	"slices"
	"strconv"
	"strings"
)

// BenchLine is one result line of `go test -bench` output.
type BenchLine struct {
	Pkg     string             // from the preceding "pkg:" line
	Name    string             // "BenchmarkX/sub", without the -GOMAXPROCS suffix
	Procs   int                // the -N suffix (0 when absent)
	N       int64              // iterations
	Metrics map[string]float64 // unit -> value: "ns/op", "allocs/op", "p50-ns", …
	Units   []string           // units in the order printed
}

// ParseGoBench reads `go test -bench` output (several packages, -count > 1 and
// interleaved log lines are fine) and returns the result lines in order. Lines
// that are not results are skipped.
func ParseGoBench(r io.Reader) []BenchLine {
	var out []BenchLine
	pkg := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimSpace(p)
			continue
		}
		if l, ok := parseBenchLine(line); ok {
			l.Pkg = pkg
			out = append(out, l)
		}
	}
	return out
}

func parseBenchLine(line string) (BenchLine, bool) {
	f := strings.Fields(line)
	if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
		return BenchLine{}, false
	}
	n, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return BenchLine{}, false
	}
	l := BenchLine{Name: f[0], N: n, Metrics: map[string]float64{}}
	// go test appends -GOMAXPROCS (at least 1) when it is not 1; anything else after the
	// last '-' (such as "-0" or "-+2") is part of the name.
	if i := strings.LastIndexByte(l.Name, '-'); i > 0 {
		if p, err := strconv.Atoi(l.Name[i+1:]); err == nil && p >= 1 && isDigits(l.Name[i+1:]) {
			l.Name, l.Procs = l.Name[:i], p
		}
	}
	for i := 2; i+1 < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return BenchLine{}, false
		}
		l.Metrics[f[i+1]] = v
		l.Units = append(l.Units, f[i+1])
	}
	return l, true
}

// BenchMedian groups lines by package and name (the -count repeats) and returns,
// per group in first-seen order, one line whose every metric is the median of the
// group's values, with N the number of repeats.
func BenchMedian(lines []BenchLine) []BenchLine {
	type key struct{ pkg, name string }
	var order []key
	groups := map[key][]BenchLine{}
	for _, l := range lines {
		k := key{l.Pkg, l.Name}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], l)
	}
	out := make([]BenchLine, 0, len(order))
	for _, k := range order {
		g := groups[k]
		m := BenchLine{Pkg: k.pkg, Name: k.name, Procs: g[0].Procs, N: int64(len(g)), Metrics: map[string]float64{}}
		for _, l := range g {
			for _, u := range l.Units {
				if !slices.Contains(m.Units, u) {
					m.Units = append(m.Units, u)
				}
			}
		}
		for _, u := range m.Units {
			var vs []float64
			for _, l := range g {
				if v, ok := l.Metrics[u]; ok {
					vs = append(vs, v)
				}
			}
			m.Metrics[u] = MedianOf(vs)
		}
		out = append(out, m)
	}
	return out
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

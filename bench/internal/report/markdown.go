// Package report turns what the suite measured into BENCHMARKS.md and its
// percentile plots (SVG, written here without a plotting dependency).
package report

import (
	"fmt"
	"math"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/cellsubstrate/cell/bench/internal/harness"
	"github.com/cellsubstrate/cell/bench/internal/suite"
)

// Options say how the page was produced and where its plots are.
type Options struct {
	// Command is the exact command that wrote the page.
	Command string
	// PlotLink is the plots directory as linked from the page (e.g. "bench/plots").
	PlotLink string
	// Plots lists, by table ID, the tables that have a plot file.
	Plots map[string]bool
	// Date stamps the page.
	Date time.Time
	// Elapsed is the whole command's wall time (the suite's when zero).
	Elapsed time.Duration
}

// Dur prints nanoseconds with three significant digits and a unit.
func Dur(ns float64) string {
	if math.IsNaN(ns) || ns <= 0 {
		return "–"
	}
	unit, div := "ns", 1.0
	switch {
	case ns >= 1e9:
		unit, div = "s", 1e9
	case ns >= 1e6:
		unit, div = "ms", 1e6
	case ns >= 1e3:
		unit, div = "µs", 1e3
	}
	return sig3(ns/div) + " " + unit
}

// sig3 prints v (>= 0) with three significant digits and no exponent.
func sig3(v float64) string {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Sprintf("%.0f", v)
	}
	d := 2 - int(math.Floor(math.Log10(v)))
	if d < 0 {
		d = 0
	}
	return fmt.Sprintf("%.*f", d, v)
}

// Times prints a ratio as "12.3×" ("–" when undefined).
func Times(r float64) string {
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return "–"
	}
	return sig3(r) + "×"
}

// Count prints a rate or count with thousands separators.
func Count(v float64) string {
	if math.IsNaN(v) || v <= 0 {
		return "–"
	}
	s := fmt.Sprintf("%.0f", v)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func allocs(v float64) string {
	if v < 0 || math.IsNaN(v) {
		return "–"
	}
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

// GRPCBaseline names the gRPC row a row is compared with: gRPC-go with protobuf
// on the same transport, or over a Unix socket for shared memory.
func GRPCBaseline(row string) string {
	_, tr, _ := strings.Cut(row, "/")
	if tr == "tcp" {
		return "grpc/tcp"
	}
	return "grpc/unix"
}

// FloorBaseline names the floor a row is compared with: the spin ping-pong for
// shared memory (the futex ping-pong for the futex floor and for systems named
// "-park", which never spin), the plain net ping-pong on the same socket type
// otherwise.
func FloorBaseline(row string) string {
	sys, tr, _ := strings.Cut(row, "/")
	if tr == "shm" {
		if strings.HasSuffix(sys, "-park") || sys == "floor-futex" {
			return "floor-futex/shm"
		}
		return "floor-spin/shm"
	}
	return "floor-net/" + tr
}

func find(t suite.Table, row string) *suite.Result {
	for i := range t.Results {
		if t.Results[i].Row == row && len(t.Results[i].Runs) > 0 {
			return &t.Results[i]
		}
	}
	return nil
}

// ratio of a metric between row r and the named baseline row of t. When the spin
// floor did not run in t (it cannot share a vCPU with idle servers), shared-memory
// rows fall back to the futex floor.
func ratio(t suite.Table, r suite.Result, base string, f func(harness.Summary) float64) float64 {
	b := find(t, base)
	if b == nil && base == "floor-spin/shm" {
		b = find(t, "floor-futex/shm")
	}
	if b == nil || len(r.Runs) == 0 {
		return math.NaN()
	}
	return harness.Ratio(f(r.Median), f(b.Median))
}

func p50(s harness.Summary) float64  { return s.P50 }
func tput(s harness.Summary) float64 { return s.Throughput }

// WriteTable renders one scenario table in Markdown.
func WriteTable(b *strings.Builder, t suite.Table, runs int, o Options) {
	fmt.Fprintf(b, "## %s\n\n", t.Title)
	fmt.Fprintf(b, "Placement: %s. Work: %s.", t.Placement, t.Work)
	if t.Kind != "idle" && len(t.Results) > 0 && len(t.Results[0].Runs) > 1 {
		fmt.Fprintf(b, " Each figure is the median of %d runs.", runs)
	}
	b.WriteString("\n\n")
	switch t.Kind {
	case "idle":
		b.WriteString("| system/transport | connections | CPU, % of one core | server | client |\n|---|---:|---:|---:|---:|\n")
		for _, r := range t.Results {
			if r.Skip != "" || r.Err != "" {
				fmt.Fprintf(b, "| %s | %d | %s | | |\n", r.Row, r.Conns, note(r))
				continue
			}
			fmt.Fprintf(b, "| %s | %d | %.2f | %.2f | %.2f |\n", r.Row, r.Conns, r.CPU, r.CPUServer, r.CPUClient)
		}
	case "throughput":
		b.WriteString("| system/transport | conns | calls/s | p50 | p99 | p99.9 | max | allocs/op | calls/s ÷ gRPC | calls/s ÷ floor |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, r := range t.Results {
			if len(r.Runs) == 0 {
				fmt.Fprintf(b, "| %s | | %s | | | | | | | |\n", r.Row, note(r))
				continue
			}
			m := r.Median
			fmt.Fprintf(b, "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.Row, r.Conns, Count(m.Throughput),
				Dur(m.P50), Dur(m.P99), Dur(m.P999), Dur(m.Max), allocs(m.Allocs),
				Times(ratio(t, r, GRPCBaseline(r.Row), tput)), Times(ratio(t, r, FloorBaseline(r.Row), tput)))
		}
	default:
		b.WriteString("| system/transport | p50 | p99 | p99.9 | max | calls/s | allocs/op | p50 ÷ gRPC | p50 ÷ floor |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, r := range t.Results {
			if len(r.Runs) == 0 {
				fmt.Fprintf(b, "| %s | %s | | | | | | | |\n", r.Row, note(r))
				continue
			}
			m := r.Median
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.Row,
				Dur(m.P50), Dur(m.P99), Dur(m.P999), Dur(m.Max), Count(m.Throughput), allocs(m.Allocs),
				Times(ratio(t, r, GRPCBaseline(r.Row), p50)), Times(ratio(t, r, FloorBaseline(r.Row), p50)))
		}
	}
	b.WriteString("\n")
	if o.Plots[t.ID] {
		fmt.Fprintf(b, "![%s](%s)\n\n", t.Title, path.Join(o.PlotLink, t.ID+".svg"))
	}
}

func note(r suite.Result) string {
	if r.Skip != "" {
		return "n/a: " + r.Skip
	}
	return "failed: " + strings.ReplaceAll(r.Err, "|", "/")
}

// Page renders the whole of BENCHMARKS.md.
func Page(rep *suite.Report, gobench []suite.GoBench, o Options) string {
	var b strings.Builder
	b.WriteString("# Benchmarks\n\n")
	fmt.Fprintf(&b, "Written by `make bench` on %s; every number on this page comes from that run. Do not edit by hand.\n\n",
		o.Date.UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "- Machine: %s\n", rep.Machine)
	took := o.Elapsed
	if took == 0 {
		took = rep.Elapsed
	}
	fmt.Fprintf(&b, "- Command: `%s` (took %s)\n", o.Command, took.Round(time.Second))
	c := rep.Config
	fmt.Fprintf(&b, "- Client and server are always separate processes, each pinned (sched_setaffinity on every thread, GOMAXPROCS=1) to its vCPU: %s unless a table says otherwise.\n", c.Separate)
	fmt.Fprintf(&b, "- Closed-loop and pipelined runs last %s, open-loop runs %s; each is repeated %d times, interleaved across systems (A, B, C, A, B, C, …), and tables show the median run. Latencies come from HDR histograms (1 ns to 100 s, 3 significant digits); open-loop latencies are recorded with coordinated-omission correction (RecordCorrectedValue at the schedule's interval). allocs/op counts the client process's heap allocations per call.\n", c.Duration, c.OpenDuration, c.Runs)
	b.WriteString("- Systems: `cell` is cell's generated Orders client and server in the zero-copy tier, waiters spinning up to 50 µs on shared memory before parking; `cell-park` the same with no spin (every wake-up a futex wake); `cell-object` cell's convenient tier (flatc object-API types packed and unpacked on each call, both sides) on shared memory, spinning as `cell`; `grpc` gRPC-go with protobuf; `grpc-flatbuffers` gRPC-go carrying the same FlatBuffers tables as cell, checked by the same generated verifiers; `drpc` storj drpc with protobuf; `floor-spin` and `floor-futex` a plain spin or futex ping-pong on one shared word between the two processes (no payload); `floor-net` a plain `net` ping-pong moving as many bytes as gRPC's protobuf request and reply.\n")
	b.WriteString("- Ratios: `÷ gRPC` is against gRPC-go with protobuf on the same transport (over a Unix socket for shared memory); `÷ floor` against the plain spin ping-pong for shared memory (the futex ping-pong for `cell-park` and `floor-futex`, and where the spin floor did not run) and the plain net ping-pong on the same socket type. Below 1× is faster (latency) or lower (throughput).\n\n")
	if len(rep.Tables) > 0 {
		writeHeadline(&b, rep.Tables[0])
	}
	for _, t := range rep.Tables {
		WriteTable(&b, t, c.Runs, o)
	}
	if len(gobench) > 0 {
		b.WriteString("## The library's own benchmarks\n\n")
		b.WriteString("Run by the same command in the root module; figures are medians over the repeats, and each benchmark is compared with the baseline its package measures beside it (the sibling sub-benchmark named floor, chan, net or baseline). Placement is each benchmark's own (see its package).\n\n")
		for _, g := range gobench {
			writeGoBench(&b, g)
		}
	}
	return b.String()
}

func writeHeadline(b *strings.Builder, t suite.Table) {
	fmt.Fprintf(b, "## Headline: %s\n\n", strings.ToLower(t.Title[:1])+t.Title[1:])
	b.WriteString(Headline(t))
	b.WriteString("\n")
}

// Headline is the short table of a latency scenario (p50, p99 and the two ratios
// per row), with its placement: what the README's first screen shows.
func Headline(t suite.Table) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %s.\n\n| system/transport | p50 | p99 | p50 ÷ gRPC | p50 ÷ floor |\n|---|---:|---:|---:|---:|\n", t.Title, t.Placement)
	for _, r := range t.Results {
		if len(r.Runs) == 0 {
			continue
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", r.Row, Dur(r.Median.P50), Dur(r.Median.P99),
			Times(ratio(t, r, GRPCBaseline(r.Row), p50)), Times(ratio(t, r, FloorBaseline(r.Row), p50)))
	}
	return b.String()
}

// Markers delimit the region of a README that ReplaceHeadline rewrites.
const (
	HeadlineStart = "<!-- benchmd:headline:start -->"
	HeadlineEnd   = "<!-- benchmd:headline:end -->"
)

// ReplaceHeadline returns doc with the text between HeadlineStart and HeadlineEnd
// replaced by headline, and whether both markers were found in order.
func ReplaceHeadline(doc, headline string) (string, bool) {
	i := strings.Index(doc, HeadlineStart)
	if i < 0 {
		return doc, false
	}
	j := strings.Index(doc[i:], HeadlineEnd)
	if j < 0 {
		return doc, false
	}
	j += i
	return doc[:i+len(HeadlineStart)] + "\n" + headline + doc[j:], true
}

// baselineNames are the last name elements the root module's benchmarks give
// their baselines: spin/floor beside spin/ring, chan beside batch1, net beside
// netpath, baseline-binary beside encode+parse.
var baselineNames = []string{"floor", "chan", "baseline", "net"}

// isBaseline reports whether a benchmark's last name element names a baseline.
func isBaseline(last string) bool {
	for _, s := range baselineNames {
		if last == s || strings.HasPrefix(last, s+"-") || strings.HasSuffix(last, "-"+s) {
			return true
		}
	}
	return false
}

// baselineOf returns the sibling benchmark a line is compared with: the one in
// the same parent whose last name element names a baseline (isBaseline).
func baselineOf(lines []harness.BenchLine, l harness.BenchLine) *harness.BenchLine {
	parent := l.Name[:max(strings.LastIndexByte(l.Name, '/'), 0)]
	if parent == "" {
		return nil
	}
	for i := range lines {
		o := &lines[i]
		if o.Pkg != l.Pkg || o.Name == l.Name || !strings.HasPrefix(o.Name, parent+"/") {
			continue
		}
		if last := o.Name[len(parent)+1:]; !strings.Contains(last, "/") && isBaseline(last) {
			return o
		}
	}
	return nil
}

func writeGoBench(b *strings.Builder, g suite.GoBench) {
	fmt.Fprintf(b, "### %s\n\n`%s` (took %s)\n\n", g.Pkg, g.Command, g.Elapsed.Round(time.Second))
	if g.Err != "" {
		fmt.Fprintf(b, "The run failed: %s.\n\n", g.Err)
	}
	if len(g.Lines) == 0 {
		b.WriteString("No benchmark results.\n\n")
		return
	}
	main := []string{"ns/op", "p50-ns", "p99-ns", "p999-ns", "allocs/op"}
	var extra []string
	seen := map[string]bool{}
	for _, l := range g.Lines {
		for _, u := range l.Units {
			if !seen[u] && !contains(main, u) && u != "B/op" {
				seen[u] = true
				extra = append(extra, u)
			}
		}
	}
	sort.Strings(extra)
	b.WriteString("| benchmark | ns/op | p50 | p99 | p99.9 | allocs/op | vs baseline (ns/op, p50) |")
	for _, u := range extra {
		fmt.Fprintf(b, " %s |", u)
	}
	b.WriteString("\n|---|---:|---:|---:|---:|---:|---|")
	for range extra {
		b.WriteString("---:|")
	}
	b.WriteString("\n")
	for _, l := range g.Lines {
		name := strings.TrimPrefix(l.Name, "Benchmark")
		if pkg := strings.TrimPrefix(l.Pkg, "github.com/cellsubstrate/cell/"); pkg != g.Pkg && pkg != "" {
			name = pkg + ": " + name
		}
		get := func(u string) (float64, bool) { v, ok := l.Metrics[u]; return v, ok }
		cell := func(u string, f func(float64) string) string {
			if v, ok := get(u); ok {
				return f(v)
			}
			return ""
		}
		vs := ""
		if base := baselineOf(g.Lines, l); base != nil {
			vs = fmt.Sprintf("%s: %s", base.Name[strings.LastIndexByte(base.Name, '/')+1:],
				Times(harness.Ratio(l.Metrics["ns/op"], base.Metrics["ns/op"])))
			if a, ok := l.Metrics["p50-ns"]; ok {
				vs += ", " + Times(harness.Ratio(a, base.Metrics["p50-ns"]))
			}
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s |", name, cell("ns/op", Dur), cell("p50-ns", Dur),
			cell("p99-ns", Dur), cell("p999-ns", Dur), cell("allocs/op", allocs), vs)
		for _, u := range extra {
			fmt.Fprintf(b, " %s |", cell(u, func(v float64) string { return strings.TrimSuffix(sig3(v), ".00") }))
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

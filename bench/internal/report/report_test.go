package report_test

import (
	"encoding/xml"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/cellsubstrate/cell/bench/internal/harness"
	"github.com/cellsubstrate/cell/bench/internal/report"
	"github.com/cellsubstrate/cell/bench/internal/suite"
)

func TestFormats(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{report.Dur(210), "210 ns"},
		{report.Dur(1234), "1.23 µs"},
		{report.Dur(145663), "146 µs"},
		{report.Dur(2.5e6), "2.50 ms"},
		{report.Dur(3e9), "3.00 s"},
		{report.Dur(0), "–"},
		{report.Dur(math.NaN()), "–"},
		{report.Times(3), "3.00×"},
		{report.Times(123.4), "123×"},
		{report.Times(0.0015), "0.00150×"},
		{report.Times(math.NaN()), "–"},
		{report.Count(1234567), "1,234,567"},
		{report.Count(999), "999"},
		{report.Count(0), "–"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestBaselines(t *testing.T) {
	for row, want := range map[string][2]string{
		"cell/shm":              {"grpc/unix", "floor-spin/shm"},
		"cell/unix":             {"grpc/unix", "floor-net/unix"},
		"cell/tcp":              {"grpc/tcp", "floor-net/tcp"},
		"grpc-flatbuffers/unix": {"grpc/unix", "floor-net/unix"},
		"cell-park/shm":         {"grpc/unix", "floor-futex/shm"},
		"floor-futex/shm":       {"grpc/unix", "floor-futex/shm"},
	} {
		if g, f := report.GRPCBaseline(row), report.FloorBaseline(row); g != want[0] || f != want[1] {
			t.Errorf("%s: baselines %s, %s; want %s, %s", row, g, f, want[0], want[1])
		}
	}
}

func hist(values ...int64) *harness.Histogram {
	h := harness.NewHistogram()
	for _, v := range values {
		h.RecordValue(v)
	}
	return h
}

func result(row string, p50, tput float64) suite.Result {
	s := harness.Summary{Count: 100, P50: p50, P99: 2 * p50, P999: 3 * p50, Max: 4 * p50, Throughput: tput, Allocs: 2}
	sys, _, _ := strings.Cut(row, "/")
	return suite.Result{Row: row, System: sys, Median: s, Runs: []harness.Summary{s}, Conns: 1,
		Hist: hist(int64(p50), int64(2*p50), int64(4*p50))}
}

func sampleReport() *suite.Report {
	cfg := suite.Default()
	lat := suite.Table{ID: "unary-64B-separate", Title: "Unary, 64 B order", Kind: "latency", Placement: suite.Placement{Client: 0, Server: 1}, Work: "w",
		Results: []suite.Result{
			result("cell/shm", 500, 2e6),
			result("grpc/unix", 100_000, 1e4),
			result("floor-spin/shm", 250, 4e6),
			{Row: "floor-futex/shm", Skip: "not today"},
			{Row: "drpc/unix", Err: "dial | failed"},
		}}
	tp := suite.Table{ID: "pipelined-16-separate", Title: "Pipelined", Kind: "throughput", Placement: suite.Placement{Client: 0, Server: 1},
		Results: []suite.Result{result("grpc/unix", 1000, 30000), result("floor-net/unix", 100, 120000)}}
	idle := suite.Table{ID: "idle-separate", Title: "Idle", Kind: "idle", Placement: suite.Placement{Client: 0, Server: 1},
		Results: []suite.Result{{Row: "grpc/unix", Conns: 100, CPU: 0.25, CPUServer: 0.1, CPUClient: 0.15}}}
	return &suite.Report{Machine: harness.Machine{CPU: "Test CPU", VCPUs: 2, Kernel: "6.1", Go: "go1.26", OS: "linux/amd64"},
		Config: cfg, Tables: []suite.Table{lat, tp, idle}, Elapsed: time.Minute}
}

func TestPage(t *testing.T) {
	gb := []suite.GoBench{{Pkg: "ring", Command: "go test -bench . ./ring/...", Lines: harness.BenchMedian(harness.ParseGoBench(strings.NewReader(
		"pkg: github.com/cellsubstrate/cell/ring\n" +
			"BenchmarkRTT/spin/floor-2 100 300 ns/op 250 p50-ns 400 p99-ns 900 p999-ns 0 allocs/op\n" +
			"BenchmarkRTT/spin/ring-2 100 450 ns/op 375 p50-ns 500 p99-ns 990 p999-ns 0 allocs/op 0.5 wakes/op\n")))}}
	page := report.Page(sampleReport(), gb, report.Options{Command: "make bench", PlotLink: "bench/plots",
		Plots: map[string]bool{"unary-64B-separate": true}, Date: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)})
	for _, want := range []string{
		"Test CPU, 2 vCPUs, linux/amd64 kernel 6.1, go1.26",
		"`make bench`",
		"separate vCPUs (client on vCPU 0, server on vCPU 1)",
		// cell/shm: p50 500 ns = 0.005× gRPC's 100 µs and 2× the spin floor's 250 ns.
		"| cell/shm | 500 ns | 1.00 µs | 1.50 µs | 2.00 µs | 2,000,000 | 2 | 0.00500× | 2.00× |",
		"| floor-futex/shm | n/a: not today |",
		"| drpc/unix | failed: dial / failed |",
		"![Unary, 64 B order](bench/plots/unary-64B-separate.svg)",
		// throughput ratios: 30,000 ÷ 120,000 against the net floor.
		"| grpc/unix | 1 | 30,000 | 1.00 µs | 2.00 µs | 3.00 µs | 4.00 µs | 2 | 1.00× | 0.250× |",
		"| grpc/unix | 100 | 0.25 | 0.10 | 0.15 |",
		"### ring",
		"| RTT/spin/ring | 450 ns | 375 ns | 500 ns | 990 ns | 0 | floor: 1.50×, 1.50× | 0.500 |",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "pipelined-16-separate.svg") {
		t.Error("page links a plot that was not drawn")
	}
	if t.Failed() {
		t.Log(page)
	}
}

func TestPercentileSVGIsWellFormed(t *testing.T) {
	var b strings.Builder
	err := report.WritePercentileSVG(&b, "a <title> & more", []report.Series{
		{Name: "grpc/unix", Hist: hist(100_000, 120_000, 900_000, 5_000_000)},
		{Name: "floor-spin/shm", Hist: hist(200, 250, 300, 40_000)},
		{Name: "empty", Hist: harness.NewHistogram()},
	})
	if err != nil {
		t.Fatal(err)
	}
	svg := b.String()
	d := xml.NewDecoder(strings.NewReader(svg))
	polylines := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "polyline" {
			polylines++
		}
	}
	if polylines != 2 {
		t.Errorf("%d lines drawn, want 2 (the empty series is left out)", polylines)
	}
	for _, want := range []string{"grpc/unix", "floor-spin/shm", "100ns", "10ms", "0%", "90%", "a &lt;title&gt; &amp; more"} {
		if !strings.Contains(svg, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	if err := report.WritePercentileSVG(io.Discard, "none", nil); err == nil {
		t.Error("an empty plot was drawn")
	}
}

func TestReplaceHeadline(t *testing.T) {
	doc := "# cell\n\nintro\n" + report.HeadlineStart + "\nold table\n" + report.HeadlineEnd + "\nrest\n"
	got, ok := report.ReplaceHeadline(doc, "| new |\n")
	want := "# cell\n\nintro\n" + report.HeadlineStart + "\n| new |\n" + report.HeadlineEnd + "\nrest\n"
	if !ok || got != want {
		t.Errorf("ReplaceHeadline = %q, %v; want %q", got, ok, want)
	}
	for _, bad := range []string{"no markers", report.HeadlineEnd + " " + report.HeadlineStart, report.HeadlineStart + " only"} {
		if got, ok := report.ReplaceHeadline(bad, "x"); ok || got != bad {
			t.Errorf("ReplaceHeadline(%q) = %q, %v; want it unchanged", bad, got, ok)
		}
	}
	h := report.Headline(sampleReport().Tables[0])
	if !strings.Contains(h, "| cell/shm | 500 ns | 1.00 µs | 0.00500× | 2.00× |") || !strings.Contains(h, "separate vCPUs") {
		t.Errorf("Headline = %q", h)
	}
}

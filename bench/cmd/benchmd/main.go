// Command benchmd runs the bench suite and the root module's own benchmarks and
// rewrites BENCHMARKS.md and its percentile plots from what they measured.
//
//	cd bench && go run ./cmd/benchmd -out ../BENCHMARKS.md   # what `make bench` runs
//
// The defaults take about ten minutes on a 2-vCPU machine; -runs, -duration and
// -count buy steadier figures for longer runs. Servers are this binary re-executed
// (peer.ChildMain).
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cellsubstrate/cell/bench/internal/peer"
	"github.com/cellsubstrate/cell/bench/internal/report"
	"github.com/cellsubstrate/cell/bench/internal/suite"
)

func main() {
	peer.ChildMain() // a re-executed server or idle client never returns from here
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "benchmd:", err)
		os.Exit(1)
	}
}

func run() error {
	start := time.Now()
	def := suite.Default()
	var (
		out       = flag.String("out", "../BENCHMARKS.md", "the Markdown file to rewrite")
		readme    = flag.String("readme", "", "a README whose headline region (between "+report.HeadlineStart+" and "+report.HeadlineEnd+") is rewritten with the headline table")
		plots     = flag.String("plots", "plots", "directory for the SVG percentile plots (its *.svg are rewritten)")
		runs      = flag.Int("runs", def.Runs, "repeats of every measurement; tables show the median")
		dur       = flag.Duration("duration", def.Duration, "length of one closed-loop or pipelined run")
		openDur   = flag.Duration("open-duration", def.OpenDuration, "length of one open-loop run (1,000 calls/s and near saturation)")
		slow      = flag.Int("slow-samples", def.SlowSamples, "calls in the 1 call/s run")
		idleConns = flag.Int("idle-conns", def.IdleConns, "connections in the idle-CPU measurement")
		idleDur   = flag.Duration("idle", def.IdleDuration, "length of the idle-CPU measurement")
		place     = flag.String("placement", def.Separate.Short(), "client,server vCPUs of the main placement")
		same      = flag.String("same", def.Same.Short(), "client,server vCPUs of the same-vCPU variant (equal to -placement to skip it)")
		rows      = flag.String("rows", "", "comma-separated <system>/<transport> rows to run (default all)")
		scenarios = flag.String("scenarios", "", "comma-separated scenarios to run: unary, pipelined, open, idle (default all)")
		root      = flag.String("root", "..", "the root module, whose packages' own benchmarks are run too")
		pkgs      = flag.String("pkgs", "ring,futex,frame,netpath,rpc,internal/testschema", "root-module package trees whose benchmarks are run (those that exist)")
		count     = flag.Int("count", 3, "go test -count for the root module's benchmarks")
		benchtime = flag.String("benchtime", "300ms", "go test -benchtime for the root module's benchmarks")
		gotimeout = flag.Duration("gotimeout", 5*time.Minute, "go test -timeout per root-module package tree")
		noSuite   = flag.Bool("no-suite", false, "skip the bench module's scenarios")
		noRoot    = flag.Bool("no-root", false, "skip the root module's benchmarks")
	)
	flag.Parse()
	cfg := def
	cfg.Runs, cfg.Duration, cfg.OpenDuration, cfg.SlowSamples = *runs, *dur, *openDur, *slow
	cfg.IdleConns, cfg.IdleDuration = *idleConns, *idleDur
	cfg.Log = os.Stderr
	var err error
	if cfg.Separate, err = suite.ParsePlacement(*place); err != nil {
		return err
	}
	if cfg.Same, err = suite.ParsePlacement(*same); err != nil {
		return err
	}
	if *rows != "" {
		for _, name := range strings.Split(*rows, ",") {
			r, err := findRow(strings.TrimSpace(name))
			if err != nil {
				return err
			}
			cfg.Rows = append(cfg.Rows, r)
		}
	}
	if *scenarios != "" {
		for _, s := range strings.Split(*scenarios, ",") {
			switch s = strings.TrimSpace(s); s {
			case "unary", "pipelined", "open", "idle":
				cfg.Scenarios = append(cfg.Scenarios, s)
			default:
				return fmt.Errorf("no scenario %q (want unary, pipelined, open or idle)", s)
			}
		}
	}
	command := "make bench"
	if len(os.Args) > 1 {
		command = "cd bench && go run ./cmd/benchmd " + strings.Join(os.Args[1:], " ")
	}

	var gobench []suite.GoBench
	if !*noRoot {
		for _, p := range strings.Split(*pkgs, ",") {
			p = strings.TrimSpace(p)
			if p == "" || !suite.HasBenchmarks(filepath.Join(*root, p)) {
				continue
			}
			fmt.Fprintf(os.Stderr, "root module: %s\n", p)
			gobench = append(gobench, suite.RunGoBench(*root, p, *count, *benchtime, *gotimeout, os.Stderr))
		}
	}
	rep := &suite.Report{Config: cfg, Started: time.Now()}
	if !*noSuite {
		if rep, err = suite.Run(cfg); err != nil {
			return err
		}
	} else {
		rep.Machine = suiteMachine()
	}

	if err := os.MkdirAll(*plots, 0o755); err != nil {
		return err
	}
	drawn, err := writePlots(*plots, rep)
	if err != nil {
		return err
	}
	absOut, _ := filepath.Abs(*out)
	absPlots, _ := filepath.Abs(*plots)
	link, err := filepath.Rel(filepath.Dir(absOut), absPlots)
	if err != nil {
		link = absPlots
	}
	page := report.Page(rep, gobench, report.Options{Command: command, PlotLink: filepath.ToSlash(link),
		Plots: drawn, Date: time.Now(), Elapsed: time.Since(start)})
	if err := os.WriteFile(*out, []byte(page), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote %s and %d plots in %s\n", *out, len(drawn), *plots)
	if *readme != "" && len(rep.Tables) > 0 {
		doc, err := os.ReadFile(*readme)
		if err != nil {
			return err
		}
		note := fmt.Sprintf("\nMeasured by `make bench` on %s (%s); all figures in [BENCHMARKS.md](BENCHMARKS.md).\n", rep.Machine, time.Now().UTC().Format("2006-01-02"))
		updated, ok := report.ReplaceHeadline(string(doc), report.Headline(rep.Tables[0])+note)
		if !ok {
			return fmt.Errorf("%s has no %s … %s region", *readme, report.HeadlineStart, report.HeadlineEnd)
		}
		if err := os.WriteFile(*readme, []byte(updated), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "rewrote the headline in %s\n", *readme)
	}
	return nil
}

func findRow(name string) (peer.Row, error) {
	for _, r := range peer.Rows() {
		if r.Name() == name {
			return r, nil
		}
	}
	return peer.Row{}, fmt.Errorf("no row %q", name)
}

// writePlots draws one SVG per latency or throughput table and removes the SVGs
// of tables this run did not produce.
func writePlots(dir string, rep *suite.Report) (map[string]bool, error) {
	drawn := map[string]bool{}
	for _, t := range rep.Tables {
		if t.Kind == "idle" {
			continue
		}
		var series []report.Series
		for _, r := range t.Results {
			if r.Hist != nil && r.Hist.TotalCount() > 0 {
				series = append(series, report.Series{Name: r.Row, Hist: r.Hist})
			}
		}
		if len(series) == 0 {
			continue
		}
		f, err := os.Create(filepath.Join(dir, t.ID+".svg"))
		if err != nil {
			return nil, err
		}
		err = report.WritePercentileSVG(f, t.Title+" (vCPUs "+t.Placement.Short()+")", series)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, err
		}
		drawn[t.ID] = true
	}
	old, _ := filepath.Glob(filepath.Join(dir, "*.svg"))
	for _, p := range old {
		if !drawn[strings.TrimSuffix(filepath.Base(p), ".svg")] {
			os.Remove(p)
		}
	}
	return drawn, nil
}

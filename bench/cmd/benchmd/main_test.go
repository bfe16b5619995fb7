package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cellsubstrate/cell/bench/internal/harness"
	"github.com/cellsubstrate/cell/bench/internal/suite"
)

// writePlots draws one SVG per latency or throughput table with data, none for
// idle tables, and removes SVGs this run did not draw.
func TestWritePlots(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, "old-table.svg")
	if err := os.WriteFile(stale, []byte("<svg/>"), 0o644); err != nil {
		t.Fatal(err)
	}
	h := harness.NewHistogram()
	for v := int64(1000); v < 100000; v += 1000 {
		h.RecordValue(v)
	}
	rep := &suite.Report{Tables: []suite.Table{
		{ID: "unary-64B-separate", Title: "Unary", Kind: "latency", Results: []suite.Result{{Row: "grpc/unix", Hist: h}}},
		{ID: "pipelined-1-separate", Title: "Pipelined", Kind: "throughput", Results: []suite.Result{{Row: "x/shm", Skip: "n/a"}}},
		{ID: "idle-separate", Title: "Idle", Kind: "idle", Results: []suite.Result{{Row: "grpc/unix", Hist: h}}},
	}}
	drawn, err := writePlots(dir, rep)
	if err != nil {
		t.Fatal(err)
	}
	if len(drawn) != 1 || !drawn["unary-64B-separate"] {
		t.Errorf("drawn = %v, want only unary-64B-separate", drawn)
	}
	b, err := os.ReadFile(filepath.Join(dir, "unary-64B-separate.svg"))
	if err != nil || !strings.Contains(string(b), "grpc/unix") {
		t.Errorf("plot missing or without its series: %v", err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Error("a stale plot was left behind")
	}
}

func TestFindRow(t *testing.T) {
	if r, err := findRow("grpc/unix"); err != nil || r.Name() != "grpc/unix" {
		t.Errorf("findRow(grpc/unix) = %v, %v", r.Name(), err)
	}
	if _, err := findRow("grpc/shm"); err == nil {
		t.Error("findRow accepted a row that does not exist")
	}
}

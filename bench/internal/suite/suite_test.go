package suite_test

import (
	"os"
	"testing"
	"time"

	"github.com/cellsubstrate/cell/bench/internal/peer"
	"github.com/cellsubstrate/cell/bench/internal/suite"
)

func TestMain(m *testing.M) {
	peer.ChildMain()
	os.Exit(m.Run())
}

func TestParsePlacement(t *testing.T) {
	p, err := suite.ParsePlacement("0,0")
	if err != nil || p != (suite.Placement{Client: 0, Server: 0}) {
		t.Errorf("ParsePlacement(0,0) = %v, %v", p, err)
	}
	for _, bad := range []string{"", "0", "a,b", "0,9999", "-1,0"} {
		if _, err := suite.ParsePlacement(bad); err == nil {
			t.Errorf("ParsePlacement(%q) accepted", bad)
		}
	}
	if s := (suite.Placement{Client: 0, Server: 1}).String(); s != "separate vCPUs (client on vCPU 0, server on vCPU 1)" {
		t.Errorf("String = %q", s)
	}
}

// A miniature suite over two rows: every scenario produces its table with a
// result (or a stated reason) for every row, and medians over the runs.
func TestRunMiniature(t *testing.T) {
	var rows []peer.Row
	for _, r := range peer.Rows() {
		if n := r.Name(); n == "floor-net/unix" || n == "floor-futex/shm" {
			rows = append(rows, r)
		}
	}
	cfg := suite.Default()
	cfg.Rows, cfg.Runs = rows, 2
	cfg.Duration, cfg.OpenDuration = 30*time.Millisecond, 30*time.Millisecond
	cfg.SlowSamples, cfg.IdleConns, cfg.IdleDuration = 2, 3, 100*time.Millisecond
	cfg.Depths = []int{4}
	rep, err := suite.Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, tb := range rep.Tables {
		ids[tb.ID] = true
		if len(tb.Results) != len(rows) {
			t.Errorf("%s: %d results, want %d", tb.ID, len(tb.Results), len(rows))
		}
		for _, r := range tb.Results {
			if r.Err != "" {
				t.Errorf("%s %s: %s", tb.ID, r.Row, r.Err)
			}
			switch {
			case r.Skip != "":
			case tb.Kind == "idle":
				if r.Conns != 3 || r.CPU < 0 {
					t.Errorf("%s %s: %+v", tb.ID, r.Row, r)
				}
			default:
				if len(r.Runs) == 0 || r.Median.Count == 0 || r.Median.P50 <= 0 || r.Hist == nil {
					t.Errorf("%s %s: no measurement: %+v", tb.ID, r.Row, r.Median)
				}
			}
		}
	}
	for _, want := range []string{"unary-64B-separate", "unary-4KB-separate", "pipelined-4-separate", "open-1-separate",
		"open-1000-separate", "open-saturation-separate", "idle-separate"} {
		if !ids[want] {
			t.Errorf("no table %s", want)
		}
	}
}

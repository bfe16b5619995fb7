package suite

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/cellsubstrate/cell/bench/internal/harness"
)

// GoBench is what `go test -bench` measured in one package tree of the root module.
type GoBench struct {
	Pkg     string              // directory under the root, e.g. "ring"
	Command string              // the exact command, run in the root
	Lines   []harness.BenchLine // medians over -count repeats
	Err     string              // why the run failed, if it did
	Elapsed time.Duration
}

// HasBenchmarks reports whether dir (recursively) has a _test.go file declaring a
// Benchmark function.
func HasBenchmarks(dir string) bool {
	found := false
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || found {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err == nil && bytes.Contains(b, []byte("\nfunc Benchmark")) {
			found = true
		}
		return nil
	})
	return found
}

// RunGoBench runs the benchmarks of root/pkg/... with `go test` and parses them.
// log receives the raw output as it comes.
func RunGoBench(root, pkg string, count int, benchtime string, timeout time.Duration, log io.Writer) GoBench {
	args := []string{"test", "-run", "^$", "-bench", ".", "-count", fmt.Sprint(count),
		"-benchtime", benchtime, "-timeout", timeout.String(), "./" + pkg + "/..."}
	g := GoBench{Pkg: pkg, Command: "go " + quoteArgs(args)}
	ctx, cancel := context.WithTimeout(context.Background(), timeout+30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	var out bytes.Buffer
	w := io.Writer(&out)
	if log != nil {
		w = io.MultiWriter(&out, log)
	}
	cmd.Stdout, cmd.Stderr = w, w
	t0 := time.Now()
	err := cmd.Run()
	g.Elapsed = time.Since(t0)
	g.Lines = harness.BenchMedian(harness.ParseGoBench(&out))
	if err != nil {
		g.Err = fmt.Sprintf("%v (%d result lines parsed)", err, len(g.Lines))
	}
	return g
}

func quoteArgs(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, "^$ *?") {
			a = "'" + a + "'"
		}
		q[i] = a
	}
	return strings.Join(q, " ")
}

package schema

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ErrFlatc occurs when flatc is missing or rejects the schema.
var ErrFlatc = errors.New("schema: flatc failed")

// CompileOptions configure Compile. The zero value runs "flatc" from $PATH.
type CompileOptions struct {
	// Flatc is the flatc binary; "" means "flatc" looked up in $PATH.
	Flatc string
	// IncludeDirs are passed to flatc as -I, in order.
	IncludeDirs []string
}

// Compile runs flatc on the .fbs file at path, writing its binary schema to a
// temporary directory, and loads the result. Declaration file names in the model are
// relative to the directory holding path ("//orders.fbs"), and MainFile names path, so
// generators can tell the schema's own declarations from included ones.
func Compile(ctx context.Context, path string, opt CompileOptions) (*Schema, error) {
	bfbs, err := CompileBinary(ctx, path, opt)
	if err != nil {
		return nil, err
	}
	s, err := Load(bfbs)
	if err != nil {
		return nil, err
	}
	s.MainFile = "//" + filepath.Base(path)
	return s, nil
}

// CompileBinary runs `flatc -b --schema --bfbs-builtins --bfbs-comments` on path and
// returns the binary schema bytes.
func CompileBinary(ctx context.Context, path string, opt CompileOptions) ([]byte, error) {
	flatc := opt.Flatc
	if flatc == "" {
		flatc = "flatc"
	}
	tmp, err := os.MkdirTemp("", "cellgen-bfbs-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	args := []string{"-b", "--schema", "--bfbs-builtins", "--bfbs-comments",
		"--bfbs-filenames", filepath.Dir(path), "-o", tmp}
	for _, d := range opt.IncludeDirs {
		args = append(args, "-I", d)
	}
	args = append(args, path)
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, flatc, args...)
	cmd.Stdout = &stderr
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%w: %s %s: %v: %s", ErrFlatc, flatc, strings.Join(args, " "), err,
			strings.TrimSpace(stderr.String()))
	}
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)) + ".bfbs"
	return os.ReadFile(filepath.Join(tmp, name))
}

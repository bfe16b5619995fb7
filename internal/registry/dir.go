package registry

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
)

// Dir is one registry directory. Several Dirs (for the same or different paths) may live
// in one process; a Dir holds no open files. A Dir is safe for concurrent use.
type Dir struct {
	path string
	next atomic.Uint64 // round-robin position for Pick
}

// DefaultPath returns the registry directory this process would use: $CELL_DIR when set,
// else $XDG_RUNTIME_DIR/cell when XDG_RUNTIME_DIR is an absolute path, else
// cell-<uid> under os.TempDir(). It does not touch the file system.
func DefaultPath() (string, error) {
	if p := os.Getenv("CELL_DIR"); p != "" {
		return filepath.Abs(p)
	}
	if x := os.Getenv("XDG_RUNTIME_DIR"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "cell"), nil
	}
	return filepath.Join(os.TempDir(), "cell-"+strconv.Itoa(os.Getuid())), nil
}

// OpenDefault opens the directory named by DefaultPath.
func OpenDefault() (*Dir, error) {
	p, err := DefaultPath()
	if err != nil {
		return nil, err
	}
	return Open(p)
}

// Open returns the registry directory at path, creating it (and missing parents) with
// mode 0700 when it does not exist. It refuses, with an *UnsafeDirError, a path that is a
// symbolic link or not a directory, a directory owned by another user, and one that group
// or others may access: in a shared temp directory another user could have created it
// first to watch or spoof registrations.
func Open(path string) (*Dir, error) {
	if path == "" {
		return nil, errors.New("registry: empty directory path")
	}
	path, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(path, 0o700); err != nil {
			return nil, fmt.Errorf("registry: create directory: %w", err)
		}
	}
	if err := checkDir(path); err != nil {
		return nil, err
	}
	return &Dir{path: path}, nil
}

// checkDir applies Open's trust rules to path.
func checkDir(path string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return err
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return &UnsafeDirError{path, "is a symbolic link"}
	case !fi.IsDir():
		return &UnsafeDirError{path, "not a directory"}
	case fi.Mode().Perm()&0o077 != 0:
		return &UnsafeDirError{path, fmt.Sprintf("mode %#o lets group or others in, want 0700", fi.Mode().Perm())}
	}
	uid, err := ownerUID(fi)
	if err != nil {
		return err
	}
	if uid != os.Getuid() {
		return &UnsafeDirError{path, fmt.Sprintf("owned by uid %d, not by us (uid %d)", uid, os.Getuid())}
	}
	return nil
}

// Path returns the absolute path of the directory.
func (d *Dir) Path() string { return d.path }

// String returns the path.
func (d *Dir) String() string { return d.path }

func (d *Dir) serviceDir(service string) string { return filepath.Join(d.path, service) }

func (d *Dir) lockPath(service, id string) string {
	return filepath.Join(d.path, service, id+".lock")
}

func (d *Dir) descPath(service, id string) string {
	return filepath.Join(d.path, service, id+".json")
}

func (d *Dir) tempPath(service, id string) string {
	return filepath.Join(d.path, service, "."+id+".tmp")
}

// socketRel chooses the socket name for (service, id, suffix): the natural name when its
// absolute path fits in a Unix socket address, else the short name.
func (d *Dir) socketRel(service, id, suffix string) (string, error) {
	rel := primaryRel(service, id, suffix)
	if len(d.path)+1+len(rel) <= maxSocketPath {
		return rel, nil
	}
	rel = shortRel(service, id, suffix)
	if len(d.path)+1+len(rel) <= maxSocketPath {
		return rel, nil
	}
	return "", fmt.Errorf("%w: directory %s leaves no room for a %d-byte socket name (limit %d bytes)",
		ErrPathTooLong, d.path, len(rel), maxSocketPath)
}

// abs returns the absolute path of a name relative to the directory.
func (d *Dir) abs(rel string) string { return d.path + "/" + rel }

// mkdirPrivate creates dir with mode 0700 if it is missing and checks it is a directory
// (not a link) afterwards.
func mkdirPrivate(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return &UnsafeDirError{dir, "not a directory"}
	}
	return nil
}

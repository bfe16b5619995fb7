package registry_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cellsubstrate/cell/internal/proc"
	"github.com/cellsubstrate/cell/internal/registry"
)

// deadPID returns the pid of a process that has exited and been reaped.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

// plantDead writes the files a crashed instance leaves behind: a valid descriptor naming
// a dead process, and a lock file nobody holds.
func plantDead(t *testing.T, d *registry.Dir, service, id string, pid int) {
	t.Helper()
	boot, err := proc.BootID()
	if err != nil {
		t.Fatal(err)
	}
	desc := registry.Descriptor{Version: registry.FormatVersion, Service: service, Instance: id,
		PID: pid, StartTime: 12345, BootID: boot, Control: service + "/" + id + ".ctl"}
	b, err := desc.Encode()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(d.Path(), service)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, id+".json"), b)
	write(t, filepath.Join(dir, id+".lock"), nil)
	write(t, filepath.Join(dir, id+".ctl"), nil) // stands in for the dead socket
}

// Several sweepers (each with its own Dir, as separate processes would have) race over
// the same dead entries: each entry is swept exactly once and nothing is left.
func TestConcurrentSweepers(t *testing.T) {
	const entries, sweepers = 40, 8
	d := openDir(t)
	pid := deadPID(t)
	for i := range entries {
		plantDead(t, d, "svc", fmt.Sprintf("dead%02d", i), pid)
	}
	swept := make([][]registry.Skipped, sweepers)
	var wg sync.WaitGroup
	for g := range sweepers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dg, err := registry.Open(d.Path())
			if err != nil {
				t.Error(err)
				return
			}
			for range 3 {
				live, skipped, err := dg.Lookup("svc")
				if err != nil || len(live) != 0 {
					t.Errorf("Lookup: live %v, err %v", live, err)
				}
				for _, s := range skipped {
					if s.Swept {
						swept[g] = append(swept[g], s)
					} else if !errors.Is(s.Err, registry.ErrStale) && !errors.Is(s.Err, registry.ErrNotPublished) {
						// Another sweeper holding the lock for a moment looks like a stale
						// or unpublished holder; anything else is a bug.
						t.Errorf("unexpected skip %+v", s)
					}
				}
			}
		}()
	}
	wg.Wait()
	count := map[string]int{}
	for _, ss := range swept {
		for _, s := range ss {
			if !errors.Is(s.Err, registry.ErrDead) {
				t.Errorf("swept entry with reason %v", s.Err)
			}
			count[s.Instance]++
		}
	}
	if len(count) != entries {
		t.Errorf("%d entries swept, want %d", len(count), entries)
	}
	for id, n := range count {
		if n != 1 {
			t.Errorf("entry %s swept %d times", id, n)
		}
	}
	if ents, _ := os.ReadDir(filepath.Join(d.Path(), "svc")); len(ents) != 0 {
		t.Errorf("left after sweeping: %v", ents)
	}
}

// Sweepers race registrations that reuse the ids of dead entries: every registration
// succeeds and stays live (its files are never deleted), every other dead entry goes.
func TestSweepersRaceRegistrations(t *testing.T) {
	const entries, sweepers = 30, 4
	d := openDir(t)
	pid := deadPID(t)
	for i := range entries {
		plantDead(t, d, "svc", fmt.Sprintf("id%02d", i), pid)
	}
	var wg sync.WaitGroup
	regs := make([]*registry.Registration, entries)
	for i := 0; i < entries; i += 2 { // even ids are taken over by new instances
		wg.Add(1)
		go func() {
			defer wg.Done()
			di, err := registry.Open(d.Path())
			if err != nil {
				t.Error(err)
				return
			}
			r, err := di.Register("svc", registry.Info{Instance: fmt.Sprintf("id%02d", i), Protocol: uint32(i)})
			if err != nil {
				t.Errorf("Register id%02d: %v", i, err)
				return
			}
			regs[i] = r
		}()
	}
	for range sweepers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dg, err := registry.Open(d.Path())
			if err != nil {
				t.Error(err)
				return
			}
			for range 5 {
				if _, _, err := dg.Lookup("svc"); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	t.Cleanup(func() {
		for _, r := range regs {
			if r != nil {
				r.Close()
			}
		}
	})
	live, skipped, err := d.Lookup("svc")
	if err != nil {
		t.Fatal(err)
	}
	if len(live) != entries/2 {
		t.Fatalf("%d live after the race, want %d (skipped %+v)", len(live), entries/2, skipped)
	}
	for _, in := range live {
		var i int
		fmt.Sscanf(in.Instance, "id%02d", &i)
		if i%2 != 0 || in.PID != os.Getpid() || in.Protocol != uint32(i) {
			t.Errorf("live %+v is not a new registration", in)
		}
	}
	for _, s := range skipped {
		if !s.Swept {
			t.Errorf("after the race: unexpected skip %+v", s)
		}
	}
	if _, skipped, _ := d.Lookup("svc"); len(skipped) != 0 {
		t.Errorf("third Lookup still skips %+v", skipped)
	}
}

// Registrations come and go on a few ids, two contenders per id, while sweepers run:
// at most one registration holds an id at any time, and a registered instance always
// finds itself live (no sweeper deleted its files).
func TestChurn(t *testing.T) {
	const ids, contenders, rounds, sweepers = 4, 2, 15, 3
	d := openDir(t)
	var holders [ids]atomic.Int32
	var wins [ids]atomic.Int32
	var wg sync.WaitGroup
	for id := range ids {
		for range contenders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				dc, err := registry.Open(d.Path())
				if err != nil {
					t.Error(err)
					return
				}
				name := fmt.Sprintf("c%d", id)
				for range rounds {
					r, err := dc.Register("svc", registry.Info{Instance: name})
					if errors.Is(err, registry.ErrInstanceExists) {
						continue
					}
					if err != nil {
						t.Error(err)
						return
					}
					wins[id].Add(1)
					if n := holders[id].Add(1); n != 1 {
						t.Errorf("%d holders of %s at once", n, name)
					}
					live, _, err := dc.Lookup("svc")
					found := false
					for _, in := range live {
						found = found || in.Instance == name && in.PID == os.Getpid()
					}
					if err != nil || !found {
						t.Errorf("registered %s does not find itself live: %v", name, err)
					}
					holders[id].Add(-1)
					if err := r.Close(); err != nil {
						t.Error(err)
					}
				}
			}()
		}
	}
	for range sweepers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 30 {
				if _, _, err := d.Lookup("svc"); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	for id := range ids {
		if wins[id].Load() == 0 { // the first contender to try found the id free
			t.Errorf("no registration of c%d succeeded", id)
		}
	}
	if ents, _ := os.ReadDir(filepath.Join(d.Path(), "svc")); len(ents) != 0 {
		t.Errorf("left after churn: %v", ents)
	}
}

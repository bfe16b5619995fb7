package proc

import (
	"errors"
	"os"
	"os/exec"
	"testing"
)

func TestParseStartTime(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want uint64
		ok   bool
	}{
		{"plain", "1 (sh) S 0 1 1 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0 4242 1 2", 4242, true},
		{"comm with spaces and parens", "7 (a) b (c)) R 0 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 99 1", 99, true},
		{"no paren", "1 sh S 0", 0, false},
		{"too short", "1 (sh) S 0 1", 0, false},
		{"not a number", "1 (sh) S 0 1 1 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0 x 1", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseStartTime([]byte(tc.in))
			if (err == nil) != tc.ok || got != tc.want {
				t.Fatalf("parseStartTime(%q) = %d, %v; want %d, ok=%v", tc.in, got, err, tc.want, tc.ok)
			}
		})
	}
}

func TestAlive(t *testing.T) {
	self, err := SelfStartTime()
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := Alive(os.Getpid(), self); !ok || err != nil {
		t.Fatalf("Alive(self) = %v, %v", ok, err)
	}
	if ok, _ := Alive(os.Getpid(), self+1); ok {
		t.Fatal("Alive with a wrong start time reported true")
	}
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid // reaped: gone
	if _, err := StartTime(pid); !errors.Is(err, ErrNoProcess) {
		t.Fatalf("StartTime(dead) err = %v, want ErrNoProcess", err)
	}
	if ok, err := Alive(pid, 1); ok || err != nil {
		t.Fatalf("Alive(dead) = %v, %v", ok, err)
	}
	id, err := BootID()
	if err != nil || len(id) < 16 {
		t.Fatalf("BootID() = %q, %v", id, err)
	}
}

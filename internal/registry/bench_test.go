package registry_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/cellsubstrate/cell/internal/registry"
)

// BenchmarkLookup measures Lookup of a service with 4 live instances (each lookup takes
// and tests 4 flocks, reads and validates 4 descriptors, and checks 4 processes in /proc)
// beside a baseline that only lists the directory and decodes the descriptors with plain
// json.Unmarshal: no locks, no liveness, no validation.
func BenchmarkLookup(b *testing.B) {
	const instances = 4
	d := openDir(b)
	for i := range instances {
		register(b, d, "orders", registry.Info{Instance: fmt.Sprintf("i%d", i), Protocol: 1, TCP: "127.0.0.1:9000",
			Methods: []registry.Method{{Name: "CreateOrder", Fingerprint: 1}, {Name: "GetOrder", Fingerprint: 2}}})
	}
	b.Run("registry", func(b *testing.B) {
		measure(b, func() int {
			live, _, err := d.Lookup("orders")
			if err != nil {
				b.Fatal(err)
			}
			return len(live)
		})
	})
	b.Run("baseline-readdir-unmarshal", func(b *testing.B) {
		dir := filepath.Join(d.Path(), "orders")
		measure(b, func() int {
			ents, err := os.ReadDir(dir)
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for _, e := range ents {
				if !strings.HasSuffix(e.Name(), ".json") {
					continue
				}
				raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
				if err != nil {
					b.Fatal(err)
				}
				var desc plainDescriptor
				if err := json.Unmarshal(raw, &desc); err != nil {
					b.Fatal(err)
				}
				n++
			}
			return n
		})
	})
}

// plainDescriptor mirrors Descriptor without its strict method decoder.
type plainDescriptor struct {
	Version   int    `json:"v"`
	Service   string `json:"service"`
	Instance  string `json:"instance"`
	PID       int    `json:"pid"`
	StartTime uint64 `json:"start"`
	BootID    string `json:"boot"`
	Protocol  uint32 `json:"protocol"`
	Schema    string `json:"schema"`
	Methods   []struct {
		Name        string `json:"name"`
		Fingerprint uint64 `json:"fp"`
	} `json:"methods"`
	Control string `json:"control"`
	Unix    string `json:"unix"`
	TCP     string `json:"tcp"`
}

// measure runs op b.N times, checks it saw every instance, and reports HDR percentiles
// of its duration.
func measure(b *testing.B, op func() int) {
	h := hdrhistogram.New(1, int64(10*time.Second), 3)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		if n := op(); n != 4 {
			b.Fatalf("found %d instances, want 4", n)
		}
		h.RecordValue(int64(time.Since(t0)))
	}
	b.StopTimer()
	b.ReportMetric(float64(h.ValueAtQuantile(50)), "p50-ns")
	b.ReportMetric(float64(h.ValueAtQuantile(99)), "p99-ns")
	b.ReportMetric(float64(h.ValueAtQuantile(99.9)), "p999-ns")
}

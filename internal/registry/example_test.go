package registry_test

import (
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/cellsubstrate/cell/internal/registry"
)

func Example() {
	tmp, err := os.MkdirTemp("", "cell-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)

	// A server process: open the directory (normally registry.OpenDefault) and register.
	dir, err := registry.Open(filepath.Join(tmp, "cell"))
	if err != nil {
		log.Fatal(err)
	}
	reg, err := dir.Register("orders", registry.Info{
		Instance: "primary",
		Protocol: 1,
		Methods:  []registry.Method{{Name: "CreateOrder", Fingerprint: 0x9e3779b97f4a7c15}},
	})
	if err != nil {
		log.Fatal(err)
	}
	// ... the rpc server listens on reg.ControlPath() ...

	// A client process: find a live instance by name.
	inst, err := dir.Pick("orders")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(inst.Service, inst.Instance, inst.Methods[0].Name, inst.ControlPath == reg.ControlPath())

	// After Close (or the server's death) the service has no instance.
	reg.Close()
	_, err = dir.Pick("orders")
	fmt.Println(errors.Is(err, registry.ErrNoInstance))
	// Output:
	// orders primary CreateOrder true
	// true
}

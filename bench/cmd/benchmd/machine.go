package main

import "github.com/cellsubstrate/cell/bench/internal/harness"

func suiteMachine() harness.Machine { return harness.ThisMachine() }

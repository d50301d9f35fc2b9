// Command inprocess is the lab's target for the runtime's own settings: it
// sets GOMAXPROCS, the memory limit and the GC percent in-process (as
// automaxprocs, automemlimit or the service itself would), then prints what
// the runtime says about itself, which is the oracle the tests compare
// Gopherscope's reading of /proc/PID/mem with. Built in variants (cgo, PIE,
// stripped, ...) it is also the lab's Go-detection target.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"
)

var (
	maxprocs  = flag.Int("maxprocs", 0, "runtime.GOMAXPROCS(n) when n > 0")
	memlimit  = flag.Int64("memlimit", -1, "debug.SetMemoryLimit(n) when n >= 0")
	gcpercent = flag.Int("gcpercent", -2, "debug.SetGCPercent(n) when n >= -1 (-1 turns the GC off)")
)

// cgoNote is set by cgo.go when the binary is built with cgo.
var cgoNote = "0"

func main() {
	flag.Parse()
	if *maxprocs > 0 {
		runtime.GOMAXPROCS(*maxprocs)
	}
	if *memlimit >= 0 {
		debug.SetMemoryLimit(*memlimit)
	}
	if *gcpercent >= -1 {
		debug.SetGCPercent(*gcpercent)
	}
	// Read back through the runtime's own API: a negative limit reads without setting;
	// SetGCPercent returns the previous value, which is put straight back.
	procs := runtime.GOMAXPROCS(0)
	limit := debug.SetMemoryLimit(-1)
	percent := debug.SetGCPercent(100)
	debug.SetGCPercent(percent)
	fmt.Printf("SELF gomaxprocs=%d memlimit=%d gcpercent=%d cgo=%s\n", procs, limit, percent, cgoNote)
	fmt.Printf("PID=%d\n", os.Getpid())
	fmt.Println("READY")

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
}

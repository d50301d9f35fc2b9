// Command service is the lab's Go target: a small HTTP service with
// net/http/pprof whose goroutine count, allocation rate, live heap and OS
// thread count are set by flags, so captures have known shapes.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

var (
	pprofAddr  = flag.String("pprof", "127.0.0.1:0", "listen address for net/http/pprof (empty: none)")
	goroutines = flag.Int("goroutines", 100, "idle goroutines parked on a channel")
	allocRate  = flag.Int("alloc-rate", 1<<20, "garbage allocated per second, bytes")
	heapMiB    = flag.Int("heap", 8, "retained live heap, MiB")
	threads    = flag.Int("threads", 0, "goroutines locked to their own OS thread and blocked")
	tickGap    = flag.Bool("tick-gap", true, "record the largest gap between 1 ms ticks at /debug/maxgap")
	stall      = flag.String("stall", "", "a URL path prefix whose requests never get an answer (to test client timeouts)")
	mappings   = flag.Int("mappings", 0, "extra single-page anonymous mappings with alternating protections, so they stay separate VMAs")
	leak       = flag.Int("leak", 0, "goroutines parked forever on one channel receive in leakedWorker: a leak signature once they have waited a minute")
	release    = flag.Duration("release-every", 0, "drop 32 MiB once, then return freed memory to the OS this often (debug.FreeOSMemory): with GODEBUG=madvdontneed=0 it shows as LazyFree")
	bursts     = flag.Int("bursts", 0, "goroutines that each compute for 20 ms every 100 ms, side by side when GOMAXPROCS allows: a bursty load that a CPU quota throttles")
	busy       = flag.Int("busy", 0, "pairs of goroutines doing traceable work: channel ping-pong, garbage, syscalls, sleeps, plus periodic ReadMemStats and GOMAXPROCS changes")
)

var (
	retained [][]byte
	sink     atomic.Value
	maxGapNs atomic.Int64
	mu       sync.Mutex
)

func main() {
	flag.Parse()
	block := make(chan struct{})

	retained = make([][]byte, 0, *heapMiB)
	for i := 0; i < *heapMiB; i++ {
		b := make([]byte, 1<<20)
		for j := range b {
			b[j] = byte(i + j)
		}
		retained = append(retained, b)
	}

	for i := 0; i < *goroutines; i++ {
		switch i % 4 {
		case 0:
			go func() { <-block }()
		case 1:
			go func() {
				select {
				case <-block:
				case <-time.After(24 * time.Hour):
				}
			}()
		case 2:
			go func() {
				for {
					time.Sleep(time.Hour)
				}
			}()
		case 3:
			go func() {
				mu.Lock()
				mu.Unlock()
				<-block
			}()
		}
	}

	if *mappings > 0 {
		makeMappings(*mappings)
	}

	for i := 0; i < *threads; i++ {
		go func() {
			runtime.LockOSThread()
			<-block
		}()
	}

	if *allocRate > 0 {
		go allocate(*allocRate)
	}
	if *busy > 0 {
		startBusy(*busy)
	}
	for i := 0; i < *bursts; i++ {
		go burst()
	}
	for i := 0; i < *leak; i++ {
		go leakedWorker(block)
	}
	if *release > 0 {
		go releaseMemory(*release)
	}
	if *tickGap {
		go measureTicks()
	}

	http.HandleFunc("/debug/maxgap", func(w http.ResponseWriter, r *http.Request) {
		// reset=1 returns the gap seen so far and starts a new measurement.
		gap := maxGapNs.Load()
		if r.URL.Query().Get("reset") == "1" {
			gap = maxGapNs.Swap(0)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]int64{"maxGapNs": gap})
	})

	var srv *http.Server
	if *pprofAddr != "" {
		ln, err := net.Listen("tcp", *pprofAddr)
		if err != nil {
			fmt.Fprintln(os.Stderr, "listen:", err)
			os.Exit(1)
		}
		var handler http.Handler = http.DefaultServeMux
		if *stall != "" {
			prefix := *stall
			handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasPrefix(r.URL.Path, prefix) {
					<-r.Context().Done()
					return
				}
				http.DefaultServeMux.ServeHTTP(w, r)
			})
		}
		srv = &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: handler}
		go func() { _ = srv.Serve(ln) }()
		fmt.Printf("PPROF_ADDR=%s\n", ln.Addr().String())
	}
	fmt.Printf("PID=%d\n", os.Getpid())
	fmt.Println("READY")

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	if srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}
	close(block)
}

// allocate produces garbage at a steady rate so the GC runs.
func allocate(bytesPerSec int) {
	const step = 10 * time.Millisecond
	per := bytesPerSec / 100
	if per < 64 {
		per = 64
	}
	t := time.NewTicker(step)
	defer t.Stop()
	for range t.C {
		for n := 0; n < per; n += 4096 {
			sink.Store(make([]byte, 4096))
		}
	}
}

// measureTicks records the largest gap between 1 ms ticks: a stack tool that
// stops the process shows up here as a gap as long as the pause.
func measureTicks() {
	last := time.Now()
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	for now := range t.C {
		gap := now.Sub(last).Nanoseconds()
		if gap > maxGapNs.Load() {
			maxGapNs.Store(gap)
		}
		last = now
	}
}

// makeMappings maps one page at a time, alternating read-only and read-write
// so the kernel cannot merge neighbours: each becomes its own line in smaps.
func makeMappings(n int) {
	page := os.Getpagesize()
	for i := 0; i < n; i++ {
		prot := syscall.PROT_READ
		if i%2 == 1 {
			prot |= syscall.PROT_WRITE
		}
		b, err := syscall.Mmap(-1, 0, page, prot, syscall.MAP_PRIVATE|syscall.MAP_ANON)
		if err != nil {
			fmt.Fprintln(os.Stderr, "mmap:", err)
			return
		}
		if prot&syscall.PROT_WRITE != 0 {
			b[0] = 1
		}
		mapped = append(mapped, b)
	}
}

var mapped [][]byte

// startBusy gives an execution trace every kind of evidence: goroutines that
// block and unblock each other, allocate (so GC runs and assists), make real
// syscalls and sleep; and stop-the-world pauses for reasons other than GC.
func startBusy(pairs int) {
	devnull, err := os.OpenFile("/dev/null", os.O_WRONLY, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, "busy:", err)
		os.Exit(1)
	}
	for i := 0; i < pairs; i++ {
		ping, pong := make(chan []byte), make(chan []byte)
		worker := func(in <-chan []byte, out chan<- []byte, first bool) {
			if first {
				out <- make([]byte, 64)
			}
			for n := 0; ; n++ {
				b := <-in
				garbage := make([]byte, 32<<10)
				garbage[n%len(garbage)] = b[0]
				if n%16 == 0 {
					_, _ = devnull.Write(garbage[:1])
				}
				if n%256 == 0 {
					time.Sleep(100 * time.Microsecond)
				}
				out <- garbage[:64]
			}
		}
		go worker(ping, pong, true)
		go worker(pong, ping, false)
	}
	go func() {
		var ms runtime.MemStats
		procs := runtime.GOMAXPROCS(0)
		for n := 0; ; n++ {
			time.Sleep(200 * time.Millisecond)
			runtime.ReadMemStats(&ms)
			if n%2 == 1 {
				// Alternate between the value in effect and one more: each change stops the world.
				if runtime.GOMAXPROCS(0) == procs {
					runtime.GOMAXPROCS(procs + 1)
				} else {
					runtime.GOMAXPROCS(procs)
				}
			}
		}
	}()
}

// releaseMemory frees a burst of garbage and hands the pages back to the OS,
// so the way the runtime returns memory (MADV_DONTNEED or MADV_FREE) shows in smaps.
func releaseMemory(every time.Duration) {
	// 32 MiB touched once and dropped: the first FreeOSMemory releases it. Later rounds only
	// release what the rest of the program has freed since; allocating the 32 MiB again each
	// round re-touched the released pages, and a capture that read smaps in that window saw no
	// LazyFree at all.
	keep := make([][]byte, 0, 32)
	for i := 0; i < 32; i++ {
		b := make([]byte, 1<<20)
		for j := 0; j < len(b); j += 4096 {
			b[j] = 1
		}
		keep = append(keep, b)
	}
	keep = nil
	_ = keep
	for {
		debug.FreeOSMemory()
		time.Sleep(every)
	}
}

var burstSink atomic.Uint64

// burst computes for 20 ms (wall clock, so longer while throttled) every 100 ms, as a request handler would.
func burst() {
	x := uint64(1)
	for {
		start := time.Now()
		for time.Since(start) < 20*time.Millisecond {
			for i := 0; i < 10000; i++ {
				x = x*6364136223846793005 + 1442695040888963407
			}
		}
		burstSink.Store(x)
		time.Sleep(80 * time.Millisecond)
	}
}

// leakedWorker waits for work that never comes, as a goroutine whose
// sender forgot it would.
func leakedWorker(work <-chan struct{}) {
	<-work
}

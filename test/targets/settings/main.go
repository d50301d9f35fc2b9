// Command settings is the lab's target for effective runtime settings: a
// small HTTP service whose GOMAXPROCS, GOMEMLIMIT and GOGC are set the ways
// real services set them (the environment, go.uber.org/automaxprocs,
// github.com/KimMachineGun/automemlimit, or explicit runtime calls), and which
// says what it runs with through client_golang's /metrics, expvar and its log.
// The oracle endpoint (-oracle) serves the same metrics at a path no capture
// looks at, so a test can hide /metrics from Gopherscope and still ask the
// target what it runs with.
package main

import (
	_ "expvar"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/KimMachineGun/automemlimit/memlimit"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/automaxprocs/maxprocs"
)

var (
	addr         = flag.String("addr", "127.0.0.1:0", "listen address for pprof, expvar and the metrics endpoints")
	metricsPath  = flag.String("metrics", "/metrics", "path of client_golang's Prometheus endpoint (empty: none)")
	oraclePath   = flag.String("oracle", "/oracle/metrics", "the same metrics at a path captures do not look at (empty: none)")
	metricsMode  = flag.String("metrics-mode", "real", "what the -metrics path serves: real, huge (endless lines), hang (a header, then nothing), lie (malformed and impossible values)")
	autoMaxProcs = flag.Bool("automaxprocs", false, "call maxprocs.Set at start, as importing go.uber.org/automaxprocs does")
	autoMemLimit = flag.Bool("automemlimit", false, "call memlimit.Set at start, as importing github.com/KimMachineGun/automemlimit does")
	setProcs     = flag.Int("set-gomaxprocs", 0, "call runtime.GOMAXPROCS(N) at start (0: no call)")
	setMemLimit  = flag.Int64("set-memlimit", -1, "call debug.SetMemoryLimit(N bytes) at start (-1: no call)")
	setGCPercent = flag.Int("set-gcpercent", -2, "call debug.SetGCPercent(N) at start (-1 is off; -2: no call)")
	heapMiB      = flag.Int("heap", 4, "retained live heap, MiB")
)

var retained [][]byte

func main() {
	flag.Parse()
	if *autoMaxProcs {
		if _, err := maxprocs.Set(maxprocs.Logger(log.Printf)); err != nil {
			log.Printf("maxprocs: %v", err)
		}
	}
	if *autoMemLimit {
		if _, err := memlimit.Set(memlimit.WithLogger(slog.Default())); err != nil {
			log.Printf("memlimit: %v", err)
		}
	}
	if *setProcs > 0 {
		runtime.GOMAXPROCS(*setProcs)
	}
	if *setMemLimit >= 0 {
		debug.SetMemoryLimit(*setMemLimit)
	}
	if *setGCPercent != -2 {
		debug.SetGCPercent(*setGCPercent)
	}
	for i := 0; i < *heapMiB; i++ {
		retained = append(retained, make([]byte, 1<<20))
	}

	if *oraclePath != "" {
		http.Handle(*oraclePath, promhttp.Handler())
	}
	if *metricsPath != "" {
		switch *metricsMode {
		case "real":
			http.Handle(*metricsPath, promhttp.Handler())
		case "huge":
			http.HandleFunc(*metricsPath, huge)
		case "hang":
			http.HandleFunc(*metricsPath, hang)
		case "lie":
			http.HandleFunc(*metricsPath, lie)
		default:
			log.Fatalf("unknown -metrics-mode %q", *metricsMode)
		}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	go func() { _ = http.Serve(ln, nil) }()
	fmt.Printf("PPROF_ADDR=%s\n", ln.Addr().String())
	fmt.Printf("SETTINGS gomaxprocs=%d gomemlimit=%d gogc=%d\n", runtime.GOMAXPROCS(0), debug.SetMemoryLimit(-1), gcPercent())
	fmt.Println("READY")

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
}

// gcPercent reads GOGC without changing it: SetGCPercent returns the old value.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// huge writes metric lines until the client goes away.
func huge(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	line := []byte("# TYPE filler_total counter\n")
	if _, err := w.Write(line); err != nil {
		return
	}
	row := []byte(strings.Repeat("x", 100))
	for i := 0; ; i++ {
		if _, err := fmt.Fprintf(w, "filler_total{n=\"%d\",pad=\"%s\"} %d\n", i, row, i); err != nil {
			return
		}
	}
}

// hang answers with a header and one line, then holds the connection open.
func hang(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	fmt.Fprintln(w, "# HELP go_sched_gomaxprocs_threads The current runtime.GOMAXPROCS setting, or the number of operating system threads that can execute user-level Go code simultaneously. Sourced from /sched/gomaxprocs:threads.")
	w.(http.Flusher).Flush()
	select {
	case <-r.Context().Done():
	case <-time.After(10 * time.Minute):
	}
}

// lie serves impossible settings and malformed lines beside well-formed ones.
func lie(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	fmt.Fprint(w, `# HELP go_sched_gomaxprocs_threads The current runtime.GOMAXPROCS setting.
# TYPE go_sched_gomaxprocs_threads gauge
go_sched_gomaxprocs_threads -3
# TYPE go_gc_gogc_percent gauge
go_gc_gogc_percent 100
go_gc_gogc_percent 50
# TYPE go_gc_gomemlimit_bytes gauge
go_gc_gomemlimit_bytes{broken="yes 1e6
go_gc_gomemlimit_bytes NaN
`)
}

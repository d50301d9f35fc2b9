// Command cgomalloc is the lab's cgo target: a Go HTTP service with
// net/http/pprof whose C code mallocs and frees in many threads at once, so
// glibc makes its per-thread malloc arenas (64 MiB-aligned heaps, a rw-p
// head and a ---p tail) next to the Go heap arenas, and keeps large blocks
// that glibc serves with mmap. Go code calls into C from several locked
// threads too, as a cgo service under load does.
package main

/*
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// churn keeps up to 256 live blocks of 64 B to 8 KiB in this thread, replacing
// one every 200 µs: enough contention that glibc gives each thread its own arena.
static void *churn(void *arg) {
	unsigned int seed = (unsigned int)(long)arg;
	void *keep[256] = {0};
	for (;;) {
		int i = rand_r(&seed) % 256;
		free(keep[i]);
		size_t size = 64 + rand_r(&seed) % 8192;
		keep[i] = malloc(size);
		if (keep[i]) memset(keep[i], 1, size);
		usleep(200);
	}
	return NULL;
}

static int start_churn(int n) {
	for (int i = 0; i < n; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, churn, (void *)(long)(i + 1)) != 0) return -1;
		pthread_detach(t);
	}
	return 0;
}

// keep_big mallocs n blocks of size bytes and touches them: above glibc's mmap
// threshold each is a mapping of its own.
static void **big;
static int keep_big(int n, size_t size) {
	big = calloc(n, sizeof(void *));
	for (int i = 0; i < n; i++) {
		big[i] = malloc(size);
		if (!big[i]) return -1;
		memset(big[i], 2, size);
	}
	return 0;
}
*/
import "C"

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/signal"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

var (
	pprofAddr  = flag.String("pprof", "127.0.0.1:0", "listen address for net/http/pprof")
	cThreads   = flag.Int("c-threads", 8, "C threads (pthread_create) churning malloc/free")
	goCallers  = flag.Int("go-callers", 4, "goroutines locked to their OS thread calling C.malloc/C.free in a loop")
	bigBlocks  = flag.Int("c-big", 4, "C blocks of -c-big-kib kept live (mmapped by glibc)")
	bigKiB     = flag.Int("c-big-kib", 1024, "size of each kept C block, KiB")
	heapMiB    = flag.Int("heap", 16, "retained live Go heap, MiB")
	goroutines = flag.Int("goroutines", 50, "idle goroutines")
	allocRate  = flag.Int("alloc-rate", 1<<20, "Go garbage allocated per second, bytes")
)

var (
	retained [][]byte
	sink     atomic.Value
)

func main() {
	flag.Parse()
	block := make(chan struct{})
	for i := 0; i < *heapMiB; i++ {
		b := make([]byte, 1<<20)
		for j := range b {
			b[j] = byte(i + j)
		}
		retained = append(retained, b)
	}
	for i := 0; i < *goroutines; i++ {
		go func() { <-block }()
	}
	if C.start_churn(C.int(*cThreads)) != 0 {
		fmt.Fprintln(os.Stderr, "pthread_create failed")
		os.Exit(1)
	}
	if *bigBlocks > 0 && C.keep_big(C.int(*bigBlocks), C.size_t(*bigKiB)<<10) != 0 {
		fmt.Fprintln(os.Stderr, "malloc of the big blocks failed")
		os.Exit(1)
	}
	for i := 0; i < *goCallers; i++ {
		go func() {
			runtime.LockOSThread()
			for n := 0; ; n++ {
				size := C.size_t(256 + n%4096)
				p := C.malloc(size)
				C.memset(p, 3, size)
				C.free(unsafe.Pointer(p))
				time.Sleep(time.Millisecond)
			}
		}()
	}
	if *allocRate > 0 {
		go func() {
			per := *allocRate / 100
			for range time.Tick(10 * time.Millisecond) {
				for n := 0; n < per; n += 4096 {
					sink.Store(make([]byte, 4096))
				}
			}
		}()
	}
	ln, err := net.Listen("tcp", *pprofAddr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		os.Exit(1)
	}
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	fmt.Printf("PPROF_ADDR=%s\n", ln.Addr().String())
	fmt.Printf("PID=%d\n", os.Getpid())
	fmt.Println("READY")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	close(block)
}

// Parses a goroutine dump with DataDog/gostackparse and maruel/panicparse,
// the two Go peers, and prints JSON timings for bench/goroutine-dump.ts.
// Each peer reads the file itself; parse+group for panicparse is
// ScanSnapshot then Aggregate (its "similar stacks" buckets).
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"github.com/DataDog/gostackparse"
	"github.com/maruel/panicparse/v2/stack"
)

type result struct {
	Tool       string  `json:"tool"`
	Goroutines int     `json:"goroutines"`
	Groups     int     `json:"groups"`
	Ms         float64 `json:"ms"`
}

func best(n int, f func() result) result {
	var r result
	for i := 0; i < n; i++ {
		runtime.GC()
		x := f()
		if i == 0 || x.Ms < r.Ms {
			r = x
		}
	}
	return r
}

func main() {
	path := os.Args[1]
	out := []result{
		best(3, func() result {
			t0 := time.Now()
			f, err := os.Open(path)
			if err != nil {
				panic(err)
			}
			defer f.Close()
			gs, _ := gostackparse.Parse(f)
			// gostackparse does not group; group by state and stack as we do, for a like-for-like time.
			groups := map[string]int{}
			for _, g := range gs {
				key := g.State
				for _, fr := range g.Stack {
					key += "\n" + fr.Func + " " + fr.File + fmt.Sprint(fr.Line)
				}
				if g.CreatedBy != nil {
					key += "\n" + g.CreatedBy.Func
				}
				groups[key]++
			}
			return result{"gostackparse", len(gs), len(groups), float64(time.Since(t0).Microseconds()) / 1000}
		}),
		best(3, func() result {
			t0 := time.Now()
			f, err := os.Open(path)
			if err != nil {
				panic(err)
			}
			defer f.Close()
			opts := &stack.Opts{LocalGOROOT: runtime.GOROOT()}
			snap, _, err := stack.ScanSnapshot(f, io.Discard, opts)
			if err != nil && err != io.EOF {
				panic(err)
			}
			agg := snap.Aggregate(stack.AnyPointer)
			return result{"panicparse", len(snap.Goroutines), len(agg.Buckets), float64(time.Since(t0).Microseconds()) / 1000}
		}),
	}
	_ = json.NewEncoder(os.Stdout).Encode(out)
}

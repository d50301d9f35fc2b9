// This file is not built on its own: test/lab/traceOracle.ts overlays it into
// the standard library's internal/trace (go test -overlay), the package behind
// `go tool trace`, to ask Go's own mutator utilization (MutatorUtilizationV2,
// what the MMU page draws) about our trace fixtures. It prints one JSON line
// per file named in GOPHERSCOPE_TRACES (comma-separated): the share of time the
// utilization function gives to GC stop-the-world pauses and to mark assists,
// each measured alone, from the first GOMAXPROCS metric to the last event.
//
// Mark workers are not asked: on Go 1.22+ traces the function counts a
// worker's P twice on each restart (once at GoStart, once at its GoLabel) and
// releases it once, so its GC share only grows.
package trace

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

func TestGopherscopeMMU(t *testing.T) {
	files := os.Getenv("GOPHERSCOPE_TRACES")
	if files == "" {
		t.Skip("GOPHERSCOPE_TRACES not set")
	}
	enc := json.NewEncoder(os.Stdout)
	for _, file := range strings.Split(files, ",") {
		f, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		r, err := NewReader(f)
		if err != nil {
			t.Fatal(file, err)
		}
		var evs []Event
		for {
			ev, err := r.ReadEvent()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(file, err)
			}
			evs = append(evs, ev)
		}
		f.Close()
		last := int64(evs[len(evs)-1].Time())
		// 1 - mean utilization over [first point, last event]; the function is a step function.
		gcShare := func(flags UtilFlags) (float64, int64) {
			u := MutatorUtilizationV2(evs, flags)[0]
			var area float64
			for i, p := range u {
				end := last
				if i+1 < len(u) {
					end = u[i+1].Time
				}
				area += p.Util * float64(end-p.Time)
			}
			return 1 - area/float64(last-u[0].Time), u[0].Time
		}
		stw, from := gcShare(UtilSTW)
		assist, _ := gcShare(UtilAssist)
		_ = enc.Encode(map[string]any{"file": file, "fromNs": from, "toNs": last, "gcStw": stw, "assist": assist})
	}
}

// Command trace is the oracle for Gopherscope's execution trace engine: it
// reads a trace with Go's own reader (golang.org/x/exp/trace, the exported
// copy of the standard library's internal/trace) and prints, as JSON, the
// facts our summary must reproduce: event counts by kind, generations, GC
// cycles and stop-the-world ranges with their durations, metrics, CPU samples.
//
//	go run . FILE
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"golang.org/x/exp/trace"
)

type rangeOut struct {
	Name       string `json:"name"`
	StartNs    int64  `json:"startNs"`
	DurationNs int64  `json:"durationNs"`
}

type metricOut struct {
	Count int    `json:"count"`
	Last  uint64 `json:"last"`
	Min   uint64 `json:"min"`
	Max   uint64 `json:"max"`
}

type summary struct {
	Events       int                   `json:"events"`
	ByKind       map[string]int        `json:"byKind"`
	Generations  int                   `json:"generations"`
	FirstNs      int64                 `json:"firstNs"`
	LastNs       int64                 `json:"lastNs"`
	GCs          []rangeOut            `json:"gcs"`
	STWs         []rangeOut            `json:"stws"`
	Metrics      map[string]*metricOut `json:"metrics"`
	StackSamples int                   `json:"stackSamples"`
	ReadMs       float64               `json:"readMs"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: trace FILE")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer f.Close()
	started := time.Now()
	r, err := trace.NewReader(f)
	if err != nil {
		fmt.Fprintln(os.Stderr, "header:", err)
		os.Exit(1)
	}
	s := summary{ByKind: map[string]int{}, Metrics: map[string]*metricOut{}, GCs: []rangeOut{}, STWs: []rangeOut{}}
	// Open ranges: GC is global; stop-the-world is per goroutine (its scope), keyed by that.
	gcOpen := int64(-1)
	stwOpen := map[trace.GoID]rangeOut{}
	first := true
	for {
		ev, err := r.ReadEvent()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "read:", err)
			os.Exit(1)
		}
		t := int64(ev.Time())
		if first {
			s.FirstNs = t
			first = false
		}
		s.LastNs = t
		s.Events++
		s.ByKind[ev.Kind().String()]++
		switch ev.Kind() {
		case trace.EventSync:
			s.Generations++
		case trace.EventStackSample:
			s.StackSamples++
		case trace.EventMetric:
			m := ev.Metric()
			v := m.Value.Uint64()
			o := s.Metrics[m.Name]
			if o == nil {
				o = &metricOut{Min: v, Max: v}
				s.Metrics[m.Name] = o
			}
			o.Count++
			o.Last = v
			if v < o.Min {
				o.Min = v
			}
			if v > o.Max {
				o.Max = v
			}
		case trace.EventRangeBegin:
			rg := ev.Range()
			if rg.Name == "GC concurrent mark phase" {
				gcOpen = t
			} else if strings.HasPrefix(rg.Name, "stop-the-world") {
				stwOpen[ev.Goroutine()] = rangeOut{Name: rg.Name, StartNs: t}
			}
		case trace.EventRangeEnd:
			rg := ev.Range()
			if rg.Name == "GC concurrent mark phase" && gcOpen >= 0 {
				s.GCs = append(s.GCs, rangeOut{Name: rg.Name, StartNs: gcOpen, DurationNs: t - gcOpen})
				gcOpen = -1
			} else if strings.HasPrefix(rg.Name, "stop-the-world") {
				if o, ok := stwOpen[ev.Goroutine()]; ok {
					o.DurationNs = t - o.StartNs
					s.STWs = append(s.STWs, o)
					delete(stwOpen, ev.Goroutine())
				}
			}
		}
	}
	// The final Sync closes the trace; generations are the syncs before it.
	s.Generations--
	sort.Slice(s.STWs, func(i, j int) bool { return s.STWs[i].StartNs < s.STWs[j].StartNs })
	s.ReadMs = float64(time.Since(started).Microseconds()) / 1000
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	_ = enc.Encode(s)
}

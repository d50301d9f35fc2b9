// Command trace is the oracle for Gopherscope's execution trace engine: it
// reads a trace with Go's own reader (golang.org/x/exp/trace, the exported
// copy of the standard library's internal/trace) and prints, as JSON, the
// facts our summary must reproduce: event counts by kind, generations, GC
// cycles and stop-the-world ranges with their durations, mark assists and
// syscalls (with those already running when the trace starts or still running
// when it ends marked partial, as the reader reports them), GC CPU time,
// metrics, CPU samples.
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
	// "start" when the range was already active when the trace began (the reader
	// synthesises a RangeActive for it), "end" when it was still open at the last
	// event, "both", or absent.
	Partial string `json:"partial,omitempty"`
}

type metricOut struct {
	Count int    `json:"count"`
	Last  uint64 `json:"last"`
	Min   uint64 `json:"min"`
	Max   uint64 `json:"max"`
}

// intervalsOut counts per-goroutine intervals (mark assists, syscalls).
type intervalsOut struct {
	Count int `json:"count"`
	// Already running at the first event, or still running at the last one (a
	// partial interval counts once even when it is both).
	Partial int   `json:"partial"`
	TotalNs int64 `json:"totalNs"`
}

// gcCPUOut is GC CPU time as the runtime accounts it for MemStats.GCCPUFraction
// (mgc.go, mstats.go: assists, dedicated and fractional mark workers, and GC
// stop-the-world pauses times GOMAXPROCS; idle mark workers are not counted),
// measured from the trace: at each instant, all of GOMAXPROCS while a GC
// stop-the-world pause is in progress, else the number of goroutines executing
// as a dedicated or fractional mark worker or inside a mark assist (at most
// GOMAXPROCS). Time before the first GOMAXPROCS metric is not counted.
type gcCPUOut struct {
	CPUNs       int64 `json:"cpuNs"`
	AvailableNs int64 `json:"availableNs"`
	// Executing time, per kind.
	WorkerNs     int64   `json:"workerNs"`
	IdleWorkerNs int64   `json:"idleWorkerNs"`
	AssistNs     int64   `json:"assistNs"`
	Fraction     float64 `json:"fraction"`
}

type summary struct {
	Events       int                   `json:"events"`
	ByKind       map[string]int        `json:"byKind"`
	Generations  int                   `json:"generations"`
	FirstNs      int64                 `json:"firstNs"`
	LastNs       int64                 `json:"lastNs"`
	GCs          []rangeOut            `json:"gcs"`
	STWs         []rangeOut            `json:"stws"`
	Assists      intervalsOut          `json:"assists"`
	Syscalls     intervalsOut          `json:"syscalls"`
	GCCPU        gcCPUOut              `json:"gcCpu"`
	Metrics      map[string]*metricOut `json:"metrics"`
	StackSamples int                   `json:"stackSamples"`
	ReadMs       float64               `json:"readMs"`
}

const (
	notWorker = iota
	markWorker
	idleWorker
)

// goroutine is what the oracle tracks per goroutine.
type goroutine struct {
	executing bool
	// The mark worker label of its current run (the runtime labels each start).
	worker int
	// Start of the current mark assist or syscall, -1 for none, and whether it
	// began before the trace.
	assistAt, syscallAt           int64
	assistPartial, syscallPartial bool
	// Since when it has counted towards GC CPU (or idle worker time), -1 for not.
	busyAt int64
	busy   int
}

type oracle struct {
	s          summary
	gs         map[trace.GoID]*goroutine
	gomaxprocs int64
	gcSTW      int
	gcBusy     int64
	lastT      int64
	syncs      int
}

func (o *oracle) g(id trace.GoID) *goroutine {
	g := o.gs[id]
	if g == nil {
		g = &goroutine{assistAt: -1, syscallAt: -1, busyAt: -1}
		o.gs[id] = g
	}
	return g
}

// advance integrates GOMAXPROCS and GC CPU over time up to t.
func (o *oracle) advance(t int64) {
	if o.gomaxprocs > 0 {
		dt := t - o.lastT
		o.s.GCCPU.AvailableNs += dt * o.gomaxprocs
		rate := o.gcBusy
		if o.gcSTW > 0 || rate > o.gomaxprocs {
			rate = o.gomaxprocs
		}
		o.s.GCCPU.CPUNs += dt * rate
	}
	o.lastT = t
}

// update recomputes whether g counts as GC CPU (or idle mark work) at t.
func (o *oracle) update(g *goroutine, t int64) {
	want := notWorker
	if g.executing {
		if g.worker == markWorker || g.assistAt >= 0 {
			want = markWorker
		} else if g.worker == idleWorker {
			want = idleWorker
		}
	}
	if want == g.busy {
		return
	}
	if g.busy != notWorker {
		d := t - g.busyAt
		switch {
		case g.busy == idleWorker:
			o.s.GCCPU.IdleWorkerNs += d
		case g.worker == markWorker:
			o.s.GCCPU.WorkerNs += d
		default:
			o.s.GCCPU.AssistNs += d
		}
		if g.busy == markWorker {
			o.gcBusy--
		}
	}
	g.busy, g.busyAt = want, t
	if want == markWorker {
		o.gcBusy++
	}
}

func isGCSTW(name string) bool {
	return strings.HasPrefix(name, "stop-the-world") && strings.Contains(name, "GC")
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
	o := &oracle{gs: map[trace.GoID]*goroutine{}}
	s := &o.s
	s.ByKind, s.Metrics, s.GCs, s.STWs = map[string]int{}, map[string]*metricOut{}, []rangeOut{}, []rangeOut{}
	// Open ranges: GC is global; stop-the-world is per goroutine (its scope), keyed by that.
	var gcOpen *rangeOut
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
			o.lastT = t
			first = false
		}
		o.advance(t)
		s.LastNs = t
		s.Events++
		s.ByKind[ev.Kind().String()]++
		// RangeActive and goroutine statuses in the first generation describe what
		// was already under way when the trace started; later ones restate it.
		initial := o.syncs <= 1
		switch ev.Kind() {
		case trace.EventSync:
			s.Generations++
			o.syncs++
		case trace.EventStackSample:
			s.StackSamples++
		case trace.EventMetric:
			m := ev.Metric()
			v := m.Value.Uint64()
			if m.Name == "/sched/gomaxprocs:threads" {
				o.gomaxprocs = int64(v)
			}
			mo := s.Metrics[m.Name]
			if mo == nil {
				mo = &metricOut{Min: v, Max: v}
				s.Metrics[m.Name] = mo
			}
			mo.Count++
			mo.Last = v
			if v < mo.Min {
				mo.Min = v
			}
			if v > mo.Max {
				mo.Max = v
			}
		case trace.EventLabel:
			l := ev.Label()
			if l.Resource.Kind == trace.ResourceGoroutine && strings.HasPrefix(l.Label, "GC (") {
				g := o.g(l.Resource.Goroutine())
				g.worker = markWorker
				if l.Label == "GC (idle)" {
					g.worker = idleWorker
				}
				o.update(g, t)
			}
		case trace.EventStateTransition:
			st := ev.StateTransition()
			if st.Resource.Kind != trace.ResourceGoroutine {
				break
			}
			from, to := st.Goroutine()
			g := o.g(st.Resource.Goroutine())
			if !from.Executing() && to.Executing() {
				// A new run: a mark worker's label, if any, follows.
				g.worker = notWorker
			}
			g.executing = to.Executing()
			if to == trace.GoSyscall && from != trace.GoSyscall {
				g.syscallAt, g.syscallPartial = t, from == trace.GoUndetermined
			} else if from == trace.GoSyscall && to != trace.GoSyscall && g.syscallAt >= 0 {
				s.Syscalls.Count++
				s.Syscalls.TotalNs += t - g.syscallAt
				if g.syscallPartial {
					s.Syscalls.Partial++
				}
				g.syscallAt = -1
			}
			o.update(g, t)
			if to == trace.GoNotExist {
				delete(o.gs, st.Resource.Goroutine())
			}
		case trace.EventRangeActive, trace.EventRangeBegin:
			rg := ev.Range()
			partial := ev.Kind() == trace.EventRangeActive
			if partial && !initial {
				break
			}
			switch {
			case rg.Name == "GC concurrent mark phase":
				if gcOpen == nil {
					gcOpen = &rangeOut{Name: rg.Name, StartNs: t}
					if partial {
						gcOpen.Partial = "start"
					}
				}
			case rg.Name == "GC mark assist":
				g := o.g(rg.Scope.Goroutine())
				if g.assistAt < 0 {
					g.assistAt, g.assistPartial = t, partial
					o.update(g, t)
				}
			case strings.HasPrefix(rg.Name, "stop-the-world"):
				stwOpen[ev.Goroutine()] = rangeOut{Name: rg.Name, StartNs: t}
				if isGCSTW(rg.Name) {
					o.gcSTW++
				}
			}
		case trace.EventRangeEnd:
			rg := ev.Range()
			switch {
			case rg.Name == "GC concurrent mark phase" && gcOpen != nil:
				gcOpen.DurationNs = t - gcOpen.StartNs
				s.GCs = append(s.GCs, *gcOpen)
				gcOpen = nil
			case rg.Name == "GC mark assist":
				g := o.g(rg.Scope.Goroutine())
				if g.assistAt >= 0 {
					s.Assists.Count++
					s.Assists.TotalNs += t - g.assistAt
					if g.assistPartial {
						s.Assists.Partial++
					}
					g.assistAt = -1
					o.update(g, t)
				}
			case strings.HasPrefix(rg.Name, "stop-the-world"):
				if so, ok := stwOpen[ev.Goroutine()]; ok {
					so.DurationNs = t - so.StartNs
					s.STWs = append(s.STWs, so)
					delete(stwOpen, ev.Goroutine())
					if isGCSTW(so.Name) {
						o.gcSTW--
					}
				}
			}
		}
	}
	// What is still running at the last event is counted up to it, marked partial.
	end := s.LastNs
	if gcOpen != nil {
		gcOpen.DurationNs = end - gcOpen.StartNs
		if gcOpen.Partial == "start" {
			gcOpen.Partial = "both"
		} else {
			gcOpen.Partial = "end"
		}
		s.GCs = append(s.GCs, *gcOpen)
	}
	for _, g := range o.gs {
		if g.assistAt >= 0 {
			s.Assists.Count++
			s.Assists.Partial++
			s.Assists.TotalNs += end - g.assistAt
		}
		if g.syscallAt >= 0 {
			s.Syscalls.Count++
			s.Syscalls.Partial++
			s.Syscalls.TotalNs += end - g.syscallAt
		}
		g.executing = false
		o.update(g, end)
	}
	if s.GCCPU.AvailableNs > 0 {
		s.GCCPU.Fraction = float64(s.GCCPU.CPUNs) / float64(s.GCCPU.AvailableNs)
	}
	// The final Sync closes the trace; generations are the syncs before it.
	s.Generations--
	sort.Slice(s.STWs, func(i, j int) bool { return s.STWs[i].StartNs < s.STWs[j].StartNs })
	s.ReadMs = float64(time.Since(started).Microseconds()) / 1000
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	_ = enc.Encode(s)
}

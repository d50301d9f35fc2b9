// Command dwarf is the oracle for Gopherscope's ELF and DWARF readers: Go's
// own debug/elf, debug/dwarf and debug/buildinfo read a binary and print, as
// JSON, what Gopherscope must find in it: the sections, the runtime symbols,
// the build ID, the build info, and from the DWARF the addresses of
// runtime.gomaxprocs and runtime.gcController and the offsets of the
// integers behind gcController.gcPercent and gcController.memoryLimit.
package main

import (
	"bytes"
	"debug/buildinfo"
	"debug/dwarf"
	"debug/elf"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
)

type section struct {
	Name   string `json:"name"`
	Type   uint32 `json:"type"`
	Flags  uint64 `json:"flags"`
	Addr   uint64 `json:"addr"`
	Offset uint64 `json:"offset"`
	Size   uint64 `json:"size"`
}

type symbol struct {
	Value uint64 `json:"value"`
	Size  uint64 `json:"size"`
}

type field struct {
	Offset int64 `json:"offset"`
	Size   int64 `json:"size"`
}

type layout struct {
	Gomaxprocs   *uint64 `json:"gomaxprocs"`
	GcController *uint64 `json:"gcController"`
	GcPercent    *field  `json:"gcPercent"`
	MemoryLimit  *field  `json:"memoryLimit"`
}

type out struct {
	Sections  []section         `json:"sections"`
	Symbols   map[string]symbol `json:"symbols"`
	BuildID   string            `json:"buildId"`
	GoVersion string            `json:"goVersion"`
	Main      string            `json:"mainPath"`
	Dwarf     *layout           `json:"dwarf"`
	DwarfErr  string            `json:"dwarfError,omitempty"`
	Entry     uint64            `json:"entry"`
	Type      string            `json:"type"`
}

func main() {
	res := map[string]out{}
	for _, path := range os.Args[1:] {
		o, err := read(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, path, err)
			os.Exit(1)
		}
		res[path] = o
	}
	_ = json.NewEncoder(os.Stdout).Encode(res)
}

func read(path string) (out, error) {
	var o out
	f, err := elf.Open(path)
	if err != nil {
		return o, err
	}
	defer f.Close()
	o.Entry = f.Entry
	o.Type = f.Type.String()
	o.Symbols = map[string]symbol{}
	for _, s := range f.Sections {
		o.Sections = append(o.Sections, section{s.Name, uint32(s.Type), uint64(s.Flags), s.Addr, s.Offset, s.FileSize})
	}
	if syms, err := f.Symbols(); err == nil {
		for _, s := range syms {
			if s.Name == "runtime.gomaxprocs" || s.Name == "runtime.gcController" {
				o.Symbols[s.Name] = symbol{s.Value, s.Size}
			}
		}
	}
	if s := f.Section(".note.go.buildid"); s != nil {
		if b, err := s.Data(); err == nil && len(b) > 16 {
			n := binary.LittleEndian.Uint32(b[0:4])
			d := binary.LittleEndian.Uint32(b[4:8])
			start := 12 + (n+3)&^3
			o.BuildID = "go:" + string(bytes.TrimRight(b[start:start+d], "\x00"))
		}
	}
	if bi, err := buildinfo.ReadFile(path); err == nil {
		o.GoVersion = bi.GoVersion
		o.Main = bi.Path
	}
	d, err := f.DWARF()
	if err != nil {
		o.DwarfErr = err.Error()
		return o, nil
	}
	l, err := runtimeLayout(d)
	if err != nil {
		o.DwarfErr = err.Error()
	}
	o.Dwarf = l
	return o, nil
}

func runtimeLayout(d *dwarf.Data) (*layout, error) {
	l := &layout{}
	r := d.Reader()
	var ctlType dwarf.Offset
	for {
		e, err := r.Next()
		if err != nil {
			return l, err
		}
		if e == nil {
			break
		}
		if e.Tag != dwarf.TagVariable {
			continue
		}
		name, _ := e.Val(dwarf.AttrName).(string)
		if name != "runtime.gomaxprocs" && name != "runtime.gcController" {
			continue
		}
		loc, _ := e.Val(dwarf.AttrLocation).([]byte)
		if len(loc) != 9 || loc[0] != 0x03 {
			return l, fmt.Errorf("%s: location %x is not DW_OP_addr", name, loc)
		}
		addr := binary.LittleEndian.Uint64(loc[1:])
		if name == "runtime.gomaxprocs" {
			l.Gomaxprocs = &addr
		} else {
			l.GcController = &addr
			ctlType, _ = e.Val(dwarf.AttrType).(dwarf.Offset)
		}
	}
	if ctlType == 0 {
		return l, fmt.Errorf("no runtime.gcController")
	}
	t, err := d.Type(ctlType)
	if err != nil {
		return l, err
	}
	for {
		td, ok := t.(*dwarf.TypedefType)
		if !ok {
			break
		}
		t = td.Type
	}
	st, ok := t.(*dwarf.StructType)
	if !ok {
		return l, fmt.Errorf("runtime.gcController is a %T", t)
	}
	for _, f := range st.Field {
		if f.Name != "gcPercent" && f.Name != "memoryLimit" {
			continue
		}
		fl := &field{Offset: f.ByteOffset, Size: f.Type.Size()}
		if inner, ok := f.Type.(*dwarf.StructType); ok {
			for _, g := range inner.Field {
				if g.Name == "value" {
					fl = &field{Offset: f.ByteOffset + g.ByteOffset, Size: g.Type.Size()}
				}
			}
		}
		if f.Name == "gcPercent" {
			l.GcPercent = fl
		} else {
			l.MemoryLimit = fl
		}
	}
	return l, nil
}

//go:build cgo

package main

// static const char *gs_note(void) { return "1"; }
import "C"

func init() { cgoNote = C.GoString(C.gs_note()) }

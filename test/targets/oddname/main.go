// Command oddname is a lab target whose process name and command line carry
// terminal control sequences, as a hostile or careless host can show them:
// GS_ODDNAME_ARGV0 re-executes the program under that argv[0], and
// GS_ODDNAME_COMM is written to /proc/self/comm (one write, so newlines and
// escapes reach the kernel as they are). It prints READY and waits.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if argv0 := os.Getenv("GS_ODDNAME_ARGV0"); argv0 != "" && os.Args[0] != argv0 {
		self, err := os.Executable()
		if err == nil {
			err = syscall.Exec(self, append([]string{argv0}, os.Args[1:]...), os.Environ())
		}
		fmt.Fprintln(os.Stderr, "re-exec:", err)
		os.Exit(1)
	}
	if comm := os.Getenv("GS_ODDNAME_COMM"); comm != "" {
		if err := os.WriteFile("/proc/self/comm", []byte(comm), 0); err != nil {
			fmt.Fprintln(os.Stderr, "comm:", err)
			os.Exit(1)
		}
	}
	fmt.Printf("PID=%d\n", os.Getpid())
	fmt.Println("READY")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
}

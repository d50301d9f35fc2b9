/**
 * What a capture does to the target, stated before it runs: the UI shows
 * these next to each option, so the cost of anything that pauses the
 * process is known and can be switched off.
 */
/**
 * Tried in this order. eu-stack comes first because it holds the target the
 * shortest time (bench/stack-pause.ts: about 3–5 ms against 190–520 ms for
 * gdb at 50–500 threads); pstack and gstack next; gdb -batch is the fallback.
 */
export const STACK_TOOLS = ['eu-stack', 'pstack', 'gstack', 'gdb'] as const;
export type StackTool = (typeof STACK_TOOLS)[number];

/**
 * Forwarders that carry a TCP stream into another network namespace (`nsenter -t PID -n`), tried
 * in this order; Gopherscope installs none of them. socat passes a half-close through; busybox nc
 * is on most minimal hosts; bash's /dev/tcp needs only bash and cat.
 */
export const FORWARDERS = ['socat', 'busybox-nc', 'bash'] as const;
export type Forwarder = (typeof FORWARDERS)[number];

export const CAPTURE_COSTS = {
  fast: 'Reads /proc, /sys and cgroup files in one SSH command. The target is not paused.',
  stacks:
    'Native stacks attach with ptrace and stop every thread of the process until the tool finishes: typically tens to a few hundred milliseconds with eu-stack, a second or more with gdb on large processes. Bounded by a 30 s timeout.',
  goroutines: 'goroutine?debug=2 stops the world for the length of the dump (milliseconds for thousands of goroutines).',
  heap: 'heap?debug=1 and the profiles read data the runtime already keeps; no pause beyond a brief lock.',
  cpuProfile: 'A CPU profile samples at 100 Hz for the chosen seconds: about 1–5% CPU while it runs.',
  processMemory:
    "Reads GOMAXPROCS, the memory limit and GOGC from the runtime's variables in /proc/PID/mem: a plain read, the process is not paused. Finding them reads the binary's DWARF (or symbols) over SSH, usually a few MB, at most 64 MiB, stopped as soon as the runtime's entries are found.",
  netns:
    'A process in another network namespace (a container) is reached through `nsenter -t PID -n` and a forwarder the host already has (socat, busybox nc, or bash): one short-lived process on the host per request, run as root or with sudo -n. Nothing is installed.',
  memProbes:
    "Memory probes read the first 48 bytes of up to 128 anonymous mappings through /proc/PID/mem, to tell glibc malloc heaps from Go heap arenas: a plain read, the target is not stopped. Needs root or the process's user (sudo -n when set up). 30 s per round.",
  trace: 'An execution trace costs roughly 1–2% CPU while it runs and produces several MB per second on a busy service.',
} as const;

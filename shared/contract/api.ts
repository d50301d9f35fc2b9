/**
 * The one typed contract between the renderer (or the CLI) and the backend.
 *
 * Every call is `method(input) -> Promise<output>`; every push from the
 * backend is an event. Both transports (Electron IPC and browser-mode
 * WebSocket) carry exactly these names and validate payloads with these
 * schemas at the boundary, so a renderer bug or a hostile page cannot hand
 * the backend a shape it did not expect.
 */
import { z } from 'zod';
import { FORWARDERS, STACK_TOOLS } from '../capture/plan';

// ---------- shared shapes ----------

export const HostId = z.string().regex(/^[a-z0-9-]{1,64}$/);

/** A hostname or IP literal we are willing to hand to ssh2; nothing shell-like. */
export const Hostname = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9._:\-[\]]+$/, 'hostname may contain letters, digits, dot, dash, colon and brackets only');

export const UserName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._][A-Za-z0-9._-]*$/, 'user name may contain letters, digits, dot, dash and underscore only');

export const Port = z.number().int().min(1).max(65535);
export const Pid = z.number().int().min(1).max(4_194_304);

/** OpenSSH's StrictHostKeyChecking: ask (default) prompts for unknown keys, yes refuses them, accept-new records them; all refuse changed keys. */
export const StrictHostKeyChecking = z.enum(['ask', 'yes', 'accept-new']);
export type StrictHostKeyChecking = z.infer<typeof StrictHostKeyChecking>;

/** One ProxyJump hop, [user@]host[:port], as ssh writes it. */
export const JumpSpec = z
  .string()
  .max(300)
  .regex(/^(?:[A-Za-z0-9._][A-Za-z0-9._-]*@)?(?:[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/, 'a jump hop is [user@]host[:port]');

export const HostInput = z.object({
  label: z.string().min(1).max(100),
  hostname: Hostname,
  port: Port.default(22),
  user: UserName,
  identityFile: z.string().min(1).max(4096).optional(),
  /** ProxyJump chain, first hop first. */
  jump: z.array(JumpSpec).max(8).default([]),
  strictHostKeyChecking: StrictHostKeyChecking.default('ask'),
  identitiesOnly: z.boolean().default(false),
  /** Privileged reads go through `sudo -n` (never a password, never a tty). */
  useSudo: z.boolean().default(false),
});
export type HostInput = z.input<typeof HostInput>;

export const Host = z.object({
  id: HostId,
  label: z.string(),
  hostname: z.string(),
  port: z.number(),
  user: z.string(),
  identityFile: z.string().optional(),
  jump: z.array(z.string()),
  strictHostKeyChecking: StrictHostKeyChecking,
  identitiesOnly: z.boolean(),
  useSudo: z.boolean(),
  createdAt: z.string(),
});
export type Host = z.infer<typeof Host>;

/** What the UI needs to let a person decide whether to trust a host key. */
export const HostKeyInfo = z.object({
  keyType: z.string(),
  /** OpenSSH style: "SHA256:" + unpadded base64 of sha256(key blob). */
  fingerprint: z.string(),
  /** The raw public key blob, base64; sent back verbatim by hosts.trustKey. */
  keyBase64: z.string(),
});
export type HostKeyInfo = z.infer<typeof HostKeyInfo>;

export const ConnectionState = z.enum(['disconnected', 'connecting', 'connected', 'failed']);
export type ConnectionState = z.infer<typeof ConnectionState>;

export const ConnectResult = z.discriminatedUnion('status', [
  z.object({ status: z.literal('connected'), hostId: HostId, fingerprint: z.string() }),
  z.object({
    status: z.literal('unknown-host-key'),
    hostId: HostId,
    presented: HostKeyInfo,
    /** The hop whose key this is, host:port; the target itself or a jump host. */
    hop: z.string().optional(),
    /** False under StrictHostKeyChecking=yes: the key must be added to known_hosts outside Gopherscope. */
    canTrust: z.boolean().optional(),
    notes: z.array(z.string()).optional(),
  }),
  z.object({
    status: z.literal('changed-host-key'),
    hostId: HostId,
    presented: HostKeyInfo,
    expected: z.array(z.object({ keyType: z.string(), fingerprint: z.string(), source: z.string() })),
    hop: z.string().optional(),
  }),
  z.object({ status: z.literal('revoked-host-key'), hostId: HostId, presented: HostKeyInfo, source: z.string(), hop: z.string().optional() }),
]);
export type ConnectResult = z.infer<typeof ConnectResult>;

export const GoMark = z.object({
  /** 'go' = build info found; 'not-go' = readable ELF without it; 'unknown' = could not read the binary. */
  kind: z.enum(['go', 'not-go', 'unknown']),
  goVersion: z.string().optional(),
  mainModule: z.string().optional(),
  /** The main module's version from the build info (`(devel)` for a build outside a module download). */
  mainVersion: z.string().optional(),
  reason: z.string(),
});
export type GoMark = z.infer<typeof GoMark>;

export const ProcessInfo = z.object({
  pid: z.number(),
  ppid: z.number(),
  user: z.string(),
  uid: z.number(),
  comm: z.string(),
  command: z.string(),
  rssKiB: z.number().nullable(),
  threads: z.number().nullable(),
  go: GoMark,
  /** A kernel thread (PF_KTHREAD, or a child of kthreadd): it has no user memory or executable to capture. */
  kernelThread: z.boolean().optional(),
  /** GOMAXPROCS, GOMEMLIMIT, GOGC, GODEBUG, GOTRACEBACK as set in the environment (Go processes; only these keys are kept). */
  goEnv: z.record(z.string(), z.string()).optional(),
  /** The cgroup the process's memory is accounted to. */
  cgroupPath: z.string().optional(),
  container: z.object({ runtime: z.string(), id: z.string().nullable(), podUid: z.string().nullable(), qos: z.string().nullable(), cgroupPath: z.string() }).nullable().optional(),
});
export type ProcessInfo = z.infer<typeof ProcessInfo>;

export const ProcessList = z.object({
  processes: z.array(ProcessInfo),
  /** Null when every process was read; else why the list is partial (a timeout under load, a cancel, a cap): a process may be missing from it. */
  partial: z.string().nullable(),
});
export type ProcessList = z.infer<typeof ProcessList>;

export const ArtifactStatus = z.enum(['ok', 'failed', 'skipped', 'truncated']);
export type ArtifactStatus = z.infer<typeof ArtifactStatus>;

export const ArtifactMeta = z.object({
  id: z.string(),
  sessionId: z.string(),
  name: z.string(),
  status: ArtifactStatus,
  reason: z.string().nullable(),
  sizeBytes: z.number(),
  durationMs: z.number().nullable(),
  sha256: z.string().nullable(),
});
export type ArtifactMeta = z.infer<typeof ArtifactMeta>;

export const SessionStatus = z.enum(['capturing', 'complete', 'partial', 'failed']);
export type SessionStatus = z.infer<typeof SessionStatus>;

export const SessionSummary = z.object({
  id: z.string(),
  hostId: z.string().nullable(),
  hostLabel: z.string(),
  pid: z.number(),
  processName: z.string(),
  goVersion: z.string().nullable(),
  status: SessionStatus,
  statusReason: z.string().nullable(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  artifactCount: z.number(),
  notes: z.string(),
  tags: z.array(z.string()),
});
export type SessionSummary = z.infer<typeof SessionSummary>;

export const RedactionRecord = z.object({
  artifact: z.string(),
  key: z.string(),
  rule: z.string(),
});
export type RedactionRecord = z.infer<typeof RedactionRecord>;

export const SessionDetail = SessionSummary.extend({
  artifacts: z.array(ArtifactMeta),
  redactions: z.array(RedactionRecord),
});
export type SessionDetail = z.infer<typeof SessionDetail>;

export const ImportedHost = z.object({
  alias: z.string(),
  hostname: z.string(),
  port: z.number(),
  user: z.string().optional(),
  identityFiles: z.array(z.string()),
  identitiesOnly: z.boolean(),
  proxyJump: z.array(z.string()),
  strictHostKeyChecking: z.string().optional(),
  unsupported: z.array(z.string()),
});
export type ImportedHost = z.infer<typeof ImportedHost>;

export const SudoProbe = z.object({
  /** Passwordless sudo works for every command Gopherscope needs. */
  ok: z.boolean(),
  user: z.string(),
  checks: z.array(z.object({ command: z.string(), allowed: z.boolean(), message: z.string() })),
  summary: z.string(),
});
export type SudoProbe = z.infer<typeof SudoProbe>;

/**
 * What a file chosen in a dialog is for. The desktop app's main process opens the dialog and keeps
 * the path; the renderer gets an opaque handle (FILE_HANDLE_PREFIX + random) that stands for it,
 * good for one call of the one method the purpose names. The renderer never names a path.
 */
export const FilePurpose = z.enum(['export-bundle', 'import-bundle', 'ssh-config', 'identity-file']);
export type FilePurpose = z.infer<typeof FilePurpose>;
export const FILE_HANDLE_PREFIX = 'gs-file:';

/** The tag the shipped sample incident carries in the library. */
export const DEMO_TAG = 'demo';

/** Chosen by the page for one import, so it can tell its own bundles.progress events apart. */
export const TransferId = z.string().regex(/^[A-Za-z0-9-]{1,64}$/);

/** The file name a session's bundle is offered under, in the save dialog and as a download. */
export function bundleFileName(sessionId: string): string {
  return `gopherscope-${sessionId.replace(/[^A-Za-z0-9-]/g, '_')}.tar.gz`;
}

// ---------- methods ----------

const Empty = z.object({}).strict();

export const methods = {
  'hosts.list': { input: Empty, output: z.array(Host) },
  'hosts.add': { input: HostInput, output: Host },
  'hosts.remove': { input: z.object({ hostId: HostId }), output: z.object({ removed: z.boolean() }) },
  /** Trust exactly the key the user was shown; the backend re-checks it against the live host on next connect. */
  'hosts.trustKey': {
    input: z.object({ hostId: HostId, keyBase64: z.string().min(16).max(8192), hop: z.string().max(300).optional() }),
    output: z.object({ fingerprint: z.string() }),
  },
  'ssh.connect': { input: z.object({ hostId: HostId }), output: ConnectResult },
  'ssh.disconnect': { input: z.object({ hostId: HostId }), output: z.object({ ok: z.boolean() }) },
  /** The live state of every host's connection, for a view that opens after the ssh.state events went by. */
  'ssh.states': { input: z.object({}).strict(), output: z.array(z.object({ hostId: z.string(), state: ConnectionState, reason: z.string().nullable() })) },
  'processes.list': { input: z.object({ hostId: HostId }), output: ProcessList },
  'capture.start': {
    input: z.object({
      hostId: HostId,
      pid: Pid,
      /** Optional CPU profile through pprof, in seconds. */
      cpuProfileSeconds: z.number().int().min(1).max(300).optional(),
      /** Optional execution trace through pprof, in seconds. */
      traceSeconds: z.number().min(0.1).max(120).optional(),
      /** Stop the trace download here and mark it truncated (default 256 MiB). */
      traceCapBytes: z
        .number()
        .int()
        .min(64 * 1024)
        .max(16 * 1024 * 1024 * 1024)
        .optional(),
      /** The pprof port on the host's loopback, when discovery cannot find it. */
      pprofPort: Port.optional(),
      /** Native stacks pause the target (see CAPTURE_COSTS.stacks); on by default, can be switched off. */
      stacks: z.boolean().default(true),
      /** Stack tools to consider, in order; default STACK_TOOLS (eu-stack, pstack, gstack, gdb). */
      stackTools: z.array(z.enum(STACK_TOOLS)).min(1).max(4).optional(),
      /** Read GOMAXPROCS, the memory limit and GOGC from the Go process's memory (see CAPTURE_COSTS.processMemory); on by default. */
      processMemory: z.boolean().default(true),
      /** Forwarders allowed into a process's own network namespace, in order; default FORWARDERS (socat, busybox nc, bash). */
      forwarders: z.array(z.enum(FORWARDERS)).min(1).max(3).optional(),
      /** Read the first bytes of candidate anonymous mappings through /proc/PID/mem (CAPTURE_COSTS.memProbes); on by default. */
      memProbes: z.boolean().default(true),
    }),
    output: z.object({ captureId: z.string(), sessionId: z.string() }),
  },
  'capture.cancel': { input: z.object({ captureId: z.string() }), output: z.object({ cancelled: z.boolean() }) },
  'sshConfig.read': {
    input: z.object({ path: z.string().min(1).max(4096).optional() }),
    output: z.object({ path: z.string(), hosts: z.array(ImportedHost), warnings: z.array(z.string()) }),
  },
  /** Answers an auth.prompt event; null answers cancel it. */
  'auth.respond': {
    input: z.object({ promptId: z.string().min(1).max(64), answers: z.array(z.string().max(4096)).max(16).nullable(), remember: z.boolean().default(false) }),
    output: z.object({ accepted: z.boolean() }),
  },
  'sudo.probe': { input: z.object({ hostId: HostId }), output: SudoProbe },
  'terminal.open': {
    input: z.object({ hostId: HostId, cols: z.number().int().min(2).max(1000), rows: z.number().int().min(2).max(1000) }),
    output: z.object({ terminalId: z.string() }),
  },
  'terminal.input': { input: z.object({ terminalId: z.string().min(1).max(64), data: z.string().max(1024 * 1024) }), output: z.object({ ok: z.boolean() }) },
  'terminal.resize': {
    input: z.object({ terminalId: z.string().min(1).max(64), cols: z.number().int().min(2).max(1000), rows: z.number().int().min(2).max(1000) }),
    output: z.object({ ok: z.boolean() }),
  },
  /** Flow control: the renderer reports characters it has written to the screen. */
  'terminal.ack': {
    input: z.object({
      terminalId: z.string().min(1).max(64),
      chars: z
        .number()
        .int()
        .min(0)
        .max(1 << 30),
    }),
    output: z.object({ ok: z.boolean() }),
  },
  'terminal.close': { input: z.object({ terminalId: z.string().min(1).max(64) }), output: z.object({ ok: z.boolean() }) },
  /** Flow-control counters of an open terminal: characters sent and not yet acknowledged (now and at most), whether its channel is paused and how often it was, characters sent in all. */
  'terminal.flow': {
    input: z.object({ terminalId: z.string().min(1).max(64) }),
    output: z.object({ unacked: z.number().int(), maxUnacked: z.number().int(), paused: z.boolean(), pauses: z.number().int(), chars: z.number().int() }),
  },
  'sessions.list': {
    input: z
      .object({
        host: z.string().max(200).optional(),
        process: z.string().max(200).optional(),
        tag: z.string().max(100).optional(),
        /** Matched against notes, host, process and Go version. */
        text: z.string().max(200).optional(),
        /** ISO timestamps bounding startedAt. */
        from: z.string().max(40).optional(),
        to: z.string().max(40).optional(),
        limit: z.number().int().min(1).max(10_000).default(1000),
      })
      .strict(),
    output: z.array(SessionSummary),
  },
  'sessions.update': {
    input: z.object({
      sessionId: z.string().min(1).max(64),
      notes: z.string().max(100_000).optional(),
      tags: z
        .array(
          z
            .string()
            .min(1)
            .max(100)
            .regex(/^[^,]+$/),
        )
        .max(50)
        .optional(),
    }),
    output: SessionSummary,
  },
  /** Writes one bundle file (manifest with sha256 per artifact, plus the artifacts) on the backend's machine. */
  'sessions.export': { input: z.object({ sessionId: z.string().min(1).max(64), path: z.string().min(1).max(4096) }), output: z.object({ path: z.string(), bytes: z.number(), artifacts: z.number() }) },
  /** transferId names this import in its bundles.progress events. */
  'sessions.import': { input: z.object({ path: z.string().min(1).max(4096), transferId: TransferId.optional() }), output: z.object({ sessionId: z.string(), alreadyPresent: z.boolean() }) },
  /** Opens the desktop app's file dialog; handle is null when the user cancelled. Browser mode and the CLI have no dialog and refuse. */
  'files.pick': {
    input: z
      .object({
        purpose: FilePurpose,
        suggestedName: z
          .string()
          .min(1)
          .max(200)
          .regex(/^[^/\\\0]+$/, 'a file name, not a path')
          .optional(),
      })
      .strict(),
    output: z.object({ handle: z.string().nullable(), name: z.string() }),
  },
  'sessions.open': { input: z.object({ sessionId: z.string().min(1).max(64) }), output: SessionDetail },
  /**
   * Imports the sample incident that ships with the app (a file the host process knows; the page names
   * none) into the library, tagged DEMO_TAG, and returns its session; a second call finds it there.
   */
  'demo.open': { input: Empty, output: z.object({ sessionId: z.string(), alreadyPresent: z.boolean() }) },
  'artifacts.read': {
    // 'base64' for binary artifacts (pprof, traces): text is then the bytes in base64.
    // `offset` reads a later part: large artifacts are read in chunks (a 600 MB trace, a 70 MB smaps).
    // 'gzip-base64' gzips the bytes first: /proc text shrinks 10-50x, which is what crosses the wire.
    input: z.object({
      artifactId: z.string().min(1).max(64),
      maxBytes: z
        .number()
        .int()
        .min(1)
        .max(64 * 1024 * 1024)
        .optional(),
      encoding: z.enum(['text', 'base64', 'gzip-base64']).optional(),
      offset: z.number().int().min(0).optional(),
    }),
    output: z.object({ text: z.string(), sizeBytes: z.number(), truncated: z.boolean(), encoding: z.enum(['text', 'base64', 'gzip-base64']) }),
  },
  /** Whether Go is installed where the backend runs, for "open with go tool trace". */
  'tools.goTrace.status': { input: z.object({}).strict(), output: z.object({ available: z.boolean(), goVersion: z.string().nullable(), reason: z.string().nullable() }) },
  /** The first step of "open with go tool trace": Go 1.25 and later compile the trace tool on its first use (then it is cached). */
  'tools.goTrace.build': { input: z.object({}).strict(), output: z.object({ goVersion: z.string(), durationMs: z.number() }) },
  /** Runs go tool trace on a stored trace and returns its loopback address; the desktop app opens it (`opened`), browser mode shows a link (Go's own browser opening is off). */
  'tools.goTrace.open': { input: z.object({ artifactId: z.string().min(1).max(64) }), output: z.object({ url: z.string(), goVersion: z.string(), opened: z.boolean() }) },
  /** Stops the go tool trace viewers of these artifacts (the session view closes them when it closes). */
  'tools.goTrace.close': { input: z.object({ artifactIds: z.array(z.string().min(1).max(64)).max(64) }), output: z.object({ stopped: z.number() }) },
} as const;

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export type MethodInput<M extends MethodName> = z.input<Methods[M]['input']>;
export type MethodOutput<M extends MethodName> = z.infer<Methods[M]['output']>;

// ---------- events ----------

export const events = {
  'capture.progress': z.object({
    captureId: z.string(),
    sessionId: z.string(),
    step: z.string(),
    done: z.number(),
    total: z.number(),
    /** The timed fetches running now (CPU profile, execution trace), each with the time left of its sampling window. */
    timers: z.array(z.object({ name: z.string(), remainingMs: z.number() })).optional(),
  }),
  'capture.finished': z.object({
    captureId: z.string(),
    sessionId: z.string(),
    status: SessionStatus,
    reason: z.string().nullable(),
  }),
  'ssh.state': z.object({ hostId: z.string(), state: ConnectionState, reason: z.string().nullable() }),
  /** The backend needs a secret to authenticate; answer with auth.respond. */
  'auth.prompt': z.object({
    promptId: z.string(),
    hostId: z.string(),
    hop: z.string(),
    kind: z.enum(['passphrase', 'password', 'keyboard-interactive']),
    title: z.string(),
    instructions: z.string(),
    prompts: z.array(z.object({ prompt: z.string(), echo: z.boolean() })),
    /** Whether "remember" can work here, and why not when it cannot. */
    canRemember: z.boolean(),
    rememberNote: z.string(),
  }),
  /** A bundle on its way in: 'upload' while browser mode receives the file, 'import' while the backend reads and checks it; total is null when not known. */
  'bundles.progress': z.object({ transferId: z.string(), phase: z.enum(['upload', 'import']), done: z.number(), total: z.number().nullable() }),
  'terminal.data': z.object({ terminalId: z.string(), data: z.string() }),
  'terminal.exit': z.object({ terminalId: z.string(), code: z.number().nullable(), reason: z.string() }),
} as const;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<E extends EventName> = z.infer<Events[E]>;

export const methodNames = Object.keys(methods) as MethodName[];
export const eventNames = Object.keys(events) as EventName[];

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(methods, name);
}
export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(events, name);
}

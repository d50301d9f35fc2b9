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

export const HostInput = z.object({
  label: z.string().min(1).max(100),
  hostname: Hostname,
  port: Port.default(22),
  user: UserName,
  identityFile: z.string().min(1).max(4096).optional(),
});
export type HostInput = z.input<typeof HostInput>;

export const Host = z.object({
  id: HostId,
  label: z.string(),
  hostname: z.string(),
  port: z.number(),
  user: z.string(),
  identityFile: z.string().optional(),
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
  z.object({ status: z.literal('unknown-host-key'), hostId: HostId, presented: HostKeyInfo }),
  z.object({
    status: z.literal('changed-host-key'),
    hostId: HostId,
    presented: HostKeyInfo,
    expected: z.array(z.object({ keyType: z.string(), fingerprint: z.string(), source: z.string() })),
  }),
  z.object({ status: z.literal('revoked-host-key'), hostId: HostId, presented: HostKeyInfo, source: z.string() }),
]);
export type ConnectResult = z.infer<typeof ConnectResult>;

export const GoMark = z.object({
  /** 'go' = build info found; 'not-go' = readable ELF without it; 'unknown' = could not read the binary. */
  kind: z.enum(['go', 'not-go', 'unknown']),
  goVersion: z.string().optional(),
  mainModule: z.string().optional(),
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
});
export type ProcessInfo = z.infer<typeof ProcessInfo>;

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

// ---------- methods ----------

const Empty = z.object({}).strict();

export const methods = {
  'hosts.list': { input: Empty, output: z.array(Host) },
  'hosts.add': { input: HostInput, output: Host },
  'hosts.remove': { input: z.object({ hostId: HostId }), output: z.object({ removed: z.boolean() }) },
  /** Trust exactly the key the user was shown; the backend re-checks it against the live host on next connect. */
  'hosts.trustKey': {
    input: z.object({ hostId: HostId, keyBase64: z.string().min(16).max(8192) }),
    output: z.object({ fingerprint: z.string() }),
  },
  'ssh.connect': { input: z.object({ hostId: HostId }), output: ConnectResult },
  'ssh.disconnect': { input: z.object({ hostId: HostId }), output: z.object({ ok: z.boolean() }) },
  'processes.list': { input: z.object({ hostId: HostId }), output: z.array(ProcessInfo) },
  'capture.start': {
    input: z.object({ hostId: HostId, pid: Pid }),
    output: z.object({ captureId: z.string(), sessionId: z.string() }),
  },
  'capture.cancel': { input: z.object({ captureId: z.string() }), output: z.object({ cancelled: z.boolean() }) },
  'sessions.list': { input: Empty, output: z.array(SessionSummary) },
  'sessions.open': { input: z.object({ sessionId: z.string().min(1).max(64) }), output: SessionDetail },
  'artifacts.read': {
    input: z.object({ artifactId: z.string().min(1).max(64), maxBytes: z.number().int().min(1).max(64 * 1024 * 1024).optional() }),
    output: z.object({ text: z.string(), sizeBytes: z.number(), truncated: z.boolean() }),
  },
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
  }),
  'capture.finished': z.object({
    captureId: z.string(),
    sessionId: z.string(),
    status: SessionStatus,
    reason: z.string().nullable(),
  }),
  'ssh.state': z.object({ hostId: z.string(), state: ConnectionState, reason: z.string().nullable() }),
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

/**
 * Which container a process runs in, read from its /proc/PID/cgroup paths:
 * docker (/docker/<id>, docker-<id>.scope), containerd (cri-containerd-<id>,
 * /containerd/…), cri-o (crio-<id>), and Kubernetes pods (kubepods… with the
 * pod UID). Paths differ between cgroupfs and systemd drivers and between
 * v1 and v2, so each shape is matched on its own.
 */
export interface ContainerIdentity {
  readonly runtime: 'docker' | 'containerd' | 'cri-o' | 'podman' | 'lxc' | 'unknown';
  readonly id: string | null;
  /** Kubernetes pod UID, when the path is under kubepods. */
  readonly podUid: string | null;
  /** Kubernetes QoS class from the slice name: guaranteed, burstable or besteffort. */
  readonly qos: string | null;
  readonly cgroupPath: string;
}

const ID = '([0-9a-f]{64})';
/** A pod UID: a UUID (dashes under cgroupfs, underscores in systemd slice names), or a static pod's 32-hex hash. */
const POD = /kubepods.*?pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12}|[0-9a-f]{32})(?![0-9a-f])/;

// The most specific shape first: a runtime named in the path beats a bare ID under kubepods.
const RUNTIMES: ReadonlyArray<readonly [ContainerIdentity['runtime'], RegExp]> = [
  // systemd driver: crio-<id>.scope (crio-conmon-<id>.scope is the monitor beside it)
  ['cri-o', new RegExp(`crio-(?:conmon-)?${ID}`)],
  // systemd driver: cri-containerd-<id>.scope; a systemd-style cgroupsPath taken literally: …slice:cri-containerd:<id>
  ['containerd', new RegExp(`cri-containerd[-:]${ID}`)],
  // systemd driver (docker, or dockershim under kubepods), rootful or rootless
  ['docker', new RegExp(`docker-${ID}\\.scope`)],
  // cgroupfs driver
  ['docker', new RegExp(`/docker/${ID}`)],
  // podman: machine.slice/libpod-<id>.scope (rootful), user@UID.service/…/libpod-<id>.scope (rootless), /libpod_parent/libpod-<id> (cgroupfs)
  ['podman', new RegExp(`libpod-(?:conmon-)?${ID}`)],
  // nerdctl with systemd
  ['containerd', new RegExp(`nerdctl-${ID}\\.scope`)],
  ['containerd', new RegExp(`/containerd/.*?${ID}`)],
  ['lxc', /\/lxc(?:\.payload)?[./]([^/]+)/],
];

export function containerOf(cgroupText: string): ContainerIdentity | null {
  const paths = cgroupText
    .split('\n')
    .map((l) => /^\d+:[^:]*:(.*)$/.exec(l.trim())?.[1])
    .filter((p): p is string => p !== undefined && p !== '/');
  for (const path of paths) {
    const pod = POD.exec(path);
    const podUid = pod ? formatPodUid(pod[1]!) : null;
    // Guaranteed pods sit directly under kubepods; the other classes have their own slice.
    const qos = pod ? (/kubepods[-./](besteffort|burstable)/.exec(path)?.[1] ?? 'guaranteed') : null;
    for (const [runtime, re] of RUNTIMES) {
      const m = re.exec(path);
      if (m) return { runtime, id: m[1]!, podUid, qos, cgroupPath: path };
    }
    if (pod) {
      // cgroupfs driver: /kubepods/<qos>/pod<uid>/<id>, the runtime is not in the path.
      const last = /([0-9a-f]{64})(?:\.scope)?$/.exec(path);
      return { runtime: 'unknown', id: last?.[1] ?? null, podUid, qos, cgroupPath: path };
    }
  }
  return null;
}

function formatPodUid(raw: string): string {
  return raw.replace(/_/g, '-');
}

/**
 * The Go runtime settings a process was started with, from its environ (NUL-separated), and
 * AUTOMEMLIMIT, which github.com/KimMachineGun/automemlimit reads for its ratio (or "off").
 */
export const GO_ENV_KEYS = ['GOMAXPROCS', 'GOMEMLIMIT', 'GOGC', 'GODEBUG', 'GOTRACEBACK', 'AUTOMEMLIMIT'] as const;

export function goEnvOf(environ: string): Partial<Record<(typeof GO_ENV_KEYS)[number], string>> {
  const out: Partial<Record<(typeof GO_ENV_KEYS)[number], string>> = {};
  for (const entry of environ.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq <= 0) continue;
    const k = entry.slice(0, eq);
    if ((GO_ENV_KEYS as readonly string[]).includes(k)) out[k as (typeof GO_ENV_KEYS)[number]] = entry.slice(eq + 1);
  }
  return out;
}

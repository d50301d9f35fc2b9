/**
 * The container a session's process ran in and how its loopback was reached, from
 * meta/discovery.json (written at capture from /proc/PID/cgroup and the network namespace probe).
 * The process list and the Overview show the same words through `containerLabel`.
 */
import { NAMES } from '../artifacts/registry';
import { artifactText, type ArtifactFiles } from './artifactContent';

export interface ContainerFacts {
  readonly runtime: string;
  readonly id: string | null;
  readonly podUid: string | null;
  readonly qos: string | null;
  readonly cgroupPath: string;
}

/** How the process's own loopback (pprof, metrics) was reached at capture. */
export type NetworkFacts =
  | { readonly route: 'direct'; readonly note: string | null; readonly description: string }
  | { readonly route: 'netns'; readonly netns: string; readonly forwarder: string; readonly sudo: boolean; readonly description: string }
  | { readonly route: 'refused'; readonly reason: string };

export interface ContainerSummary {
  /** null: the cgroup path is not one a container runtime writes (or it was not read). */
  readonly container: ContainerFacts | null;
  readonly cgroupPath: string | null;
  /** null: no pprof step ran (not Go, or an older capture). */
  readonly network: NetworkFacts | null;
  readonly source: typeof NAMES.discovery;
}

/** "containerd 0123456789ab, pod 4b1c2d3e-…, QoS burstable" */
export function containerLabel(c: ContainerFacts): string {
  const parts = [`${c.runtime === 'unknown' ? 'container (runtime not in the cgroup path)' : c.runtime}${c.id ? ` ${c.id.slice(0, 12)}` : ''}`];
  if (c.podUid) parts.push(`pod ${c.podUid}`);
  if (c.qos) parts.push(`QoS ${c.qos}`);
  return parts.join(', ');
}

function isNetwork(v: unknown): v is NetworkFacts {
  if (!v || typeof v !== 'object') return false;
  const r = (v as { route?: unknown }).route;
  return r === 'direct' || r === 'netns' || r === 'refused';
}

export function containerSummary(files: ArtifactFiles): ContainerSummary | null {
  const text = artifactText(files[NAMES.discovery]);
  if (!text) return null;
  let meta: { container?: unknown; cgroupPath?: unknown; network?: unknown };
  try {
    meta = JSON.parse(text) as typeof meta;
  } catch {
    return null;
  }
  const c = meta.container as Partial<ContainerFacts> | null | undefined;
  const container =
    c && typeof c.runtime === 'string' && typeof c.cgroupPath === 'string' ? { runtime: c.runtime, id: c.id ?? null, podUid: c.podUid ?? null, qos: c.qos ?? null, cgroupPath: c.cgroupPath } : null;
  return { container, cgroupPath: typeof meta.cgroupPath === 'string' ? meta.cgroupPath : null, network: isNetwork(meta.network) ? meta.network : null, source: NAMES.discovery };
}

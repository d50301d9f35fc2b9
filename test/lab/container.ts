/**
 * Containers made of real kernel namespaces, without a container runtime: `unshare` gives the
 * service its own PID, network and mount namespaces (a fresh /proc, a loopback of its own and
 * nothing else), inside a lab cgroup with real memory and CPU limits that it joins before its first
 * instruction. The host sees it under its host PID, as a node runs a Kubernetes pod.
 *
 * The test reaches the container's loopback on its own, not through Gopherscope's code:
 * `connectInto` runs `nsenter --net` with Node as the forwarder, one process per connection.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readlinkSync, rmdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { request } from 'node:http';
import { Duplex } from 'node:stream';
import { createCgroup, type CgroupOptions, type LabCgroup } from './cgroup';
import { onTeardown, stopChild } from './teardown';

export interface ContainerOptions extends CgroupOptions {
  readonly binary: string;
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** The service is up when its output (stdout and stderr) matches this. */
  readonly ready: RegExp;
  readonly readyTimeoutMs?: number;
  /**
   * Place the cgroup where a kubelet with the systemd driver and containerd would:
   * …/kubepods.slice/kubepods-<qos>.slice/kubepods-<qos>-pod<uid>.slice/cri-containerd-<id>.scope
   * (under the lab's own folder), so the container shows as a Kubernetes pod.
   */
  readonly kubePod?: { readonly qos: 'burstable' | 'besteffort' | 'guaranteed'; readonly podUid: string; readonly containerId: string };
}

export interface LabContainer {
  /** The service's PID on the host (PID 1 inside its PID namespace). */
  readonly pid: number;
  /** readlink /proc/PID/ns/net, e.g. net:[4026532176]. */
  readonly netns: string;
  readonly cgroup: LabCgroup;
  /** Everything the service printed so far (stdout and stderr, interleaved as they came; capped). */
  output(): string;
  /** A TCP stream to 127.0.0.1:port inside the container's network namespace. */
  connectInto(port: number): Promise<Duplex>;
  /** GET http://127.0.0.1:port/path inside the container, as the service's own oracle. */
  get(port: number, path: string, opts?: { timeoutMs?: number }): Promise<{ status: number; body: string }>;
  stop(): Promise<void>;
}

// The shell joins the cgroup, then becomes unshare, whose child (PID 1 of the new PID namespace,
// with its own /proc) brings the loopback up and execs the service. Paths come from the
// environment, never from the command text.
const JOIN_AND_UNSHARE = [
  'for f in $GS_LAB_CGROUP_PROCS; do echo $$ > "$f" || exit 97; done; unset GS_LAB_CGROUP_PROCS',
  'exec unshare --pid --net --mount --fork --kill-child --mount-proc sh -c \'ip link set lo up || exit 98; exec "$@"\' sh "$@"',
].join('\n');

const FORWARD_JS =
  "const s=require('net').connect(Number(process.argv[1]),'127.0.0.1');process.stdin.pipe(s);s.pipe(process.stdout);s.on('error',e=>{process.stderr.write(String(e.message));process.exit(1)});s.on('close',()=>process.exit(0))";

function childOf(pid: number): number | null {
  try {
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return kids.length > 0 ? Number(kids[0]) : null;
  } catch {
    return null;
  }
}

function kubeCgroupName(k: NonNullable<ContainerOptions['kubePod']>): string {
  if (!/^[0-9a-f-]{36}$/.test(k.podUid) || !/^[0-9a-f]{64}$/.test(k.containerId)) throw new Error('a pod UID and a 64-hex container ID are needed');
  const uid = k.podUid.replace(/-/g, '_');
  const qosSlices = k.qos === 'guaranteed' ? [] : [`kubepods-${k.qos}.slice`];
  const pod = k.qos === 'guaranteed' ? `kubepods-pod${uid}.slice` : `kubepods-${k.qos}-pod${uid}.slice`;
  return ['kubepods.slice', ...qosSlices, pod, `cri-containerd-${k.containerId}.scope`].join('/');
}

/** Removes the empty folders a nested cgroup name left between the lab's folder and the leaf. */
function removeParents(cgroup: LabCgroup, depth: number): void {
  for (const leaf of Object.values(cgroup.paths)) {
    let dir = leaf;
    for (let i = 0; i < depth; i++) {
      dir = dirname(dir);
      try {
        rmdirSync(dir);
      } catch {
        break;
      }
    }
  }
}

export async function startContainer(opts: ContainerOptions): Promise<LabContainer> {
  const unique = `gs-ctr-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  const name = opts.kubePod ? `${unique}/${kubeCgroupName(opts.kubePod)}` : unique;
  const depth = name.split('/').length - 1;
  const created = await createCgroup({ ...opts, name });
  const cgroup: LabCgroup = {
    ...created,
    async destroy() {
      await created.destroy();
      removeParents(created, depth);
    },
  };
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', HOME: process.env.HOME ?? '/root', ...opts.env, GS_LAB_CGROUP_PROCS: cgroup.procsFiles.join(' ') };
  const child: ChildProcess = spawn('/bin/sh', ['-c', JOIN_AND_UNSHARE, 'sh', opts.binary, ...(opts.args ?? [])], { env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => {
    if (out.length < 4 << 20) out += d.toString('utf8');
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const unregister = onTeardown(`container ${child.pid}`, () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const fail = async (msg: string) => {
    await stopChild(child, 500).catch(() => undefined);
    unregister();
    await cgroup.destroy();
    return new Error(msg);
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${opts.binary} not ready within ${opts.readyTimeoutMs ?? 60_000} ms; its output: ${out.slice(-3000)}`)), opts.readyTimeoutMs ?? 60_000);
      const check = () => {
        if (opts.ready.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', check);
      child.stderr!.on('data', check);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(
          new Error(
            `${opts.binary} exited with ${code} before it was ready${code === 97 ? ' (could not join the cgroup)' : code === 98 ? ' (could not bring up the loopback: is iproute2 installed?)' : ''}: ${out.slice(-3000)}`,
          ),
        );
      });
    });
  } catch (err) {
    throw await fail((err as Error).message);
  }
  const pid = childOf(child.pid!);
  if (pid === null) throw await fail(`unshare ${child.pid} has no child process`);
  const netns = readlinkSync(`/proc/${pid}/ns/net`);
  if (netns === readlinkSync('/proc/self/ns/net')) throw await fail('the service shares the host network namespace');

  const connectInto = (port: number): Promise<Duplex> =>
    new Promise((resolve, reject) => {
      const fwd = spawn('nsenter', [`--net=/proc/${pid}/ns/net`, '--', process.execPath, '-e', FORWARD_JS, String(port)], { stdio: ['pipe', 'pipe', 'pipe'] });
      let err = '';
      fwd.stderr!.on('data', (d) => (err += d));
      fwd.once('error', reject);
      fwd.once('spawn', () => {
        const stream = Duplex.from({ writable: fwd.stdin!, readable: fwd.stdout! });
        stream.on('close', () => fwd.kill('SIGKILL'));
        // Whoever uses the stream sees its errors (an HTTP client listens); a late one must not crash the test.
        stream.on('error', () => undefined);
        fwd.once('exit', (code) => {
          if (code !== 0 && err) stream.destroy(new Error(`forwarder into ${netns} port ${port}: ${err.trim()}`));
        });
        resolve(stream);
      });
    });

  const get = async (port: number, path: string, o: { timeoutMs?: number } = {}) => {
    const sock = await connectInto(port);
    return new Promise<{ status: number; body: string }>((resolve, reject) => {
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new Error(`GET ${path} on port ${port} inside ${netns}: no answer within ${o.timeoutMs ?? 20_000} ms`));
      }, o.timeoutMs ?? 20_000);
      const req = request({ createConnection: () => sock as never, host: '127.0.0.1', port, path, headers: { Host: `127.0.0.1:${port}`, Connection: 'close' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          clearTimeout(timer);
          sock.destroy();
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        });
      });
      req.on('error', (e) => {
        clearTimeout(timer);
        sock.destroy();
        reject(e);
      });
      req.end();
    });
  };

  return {
    pid,
    netns,
    cgroup,
    output: () => out,
    connectInto,
    get,
    async stop() {
      await stopChild(child, 2000);
      unregister();
      await cgroup.destroy();
    },
  };
}

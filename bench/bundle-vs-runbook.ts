/**
 * Whole bundle, side by side in one run against the same Go target in a
 * cgroup, both over a warm connection:
 *   ours:     one capture (fast items in one round trip, eu-stack, goroutine dump, heap and the
 *             other pprof profiles through tunnels, all stored with checksums in SQLite + blobs);
 *   runbook:  a shell runbook doing the same reads with OpenSSH over a ControlMaster connection,
 *             one `ssh host cat FILE` per item (threads and every cgroup level included), eu-stack,
 *             and curl on the host for the goroutine dump and the heap.
 *
 *   npm run build && node --import tsx bench/bundle-vs-runbook.ts
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleProcessFiles, bundleSystemFiles, CGROUP_FILES } from '../shared/artifacts/registry';
import { createBackend } from '../electron/core/backend';
import { inProcessApi } from '../electron/core/inProcess';
import { createLab } from '../test/lab/lab';

const PROCESS_FILES = bundleProcessFiles();
const SYSTEM_FILES = bundleSystemFiles();

const t00 = Date.now();
const step = (what: string) => console.error(`[${((Date.now() - t00) / 1000).toFixed(1)} s] ${what}`);
// Async, never spawnSync: the lab's sshd logs to a pipe this process drains, and a blocked event loop would stall sshd.
function run(cmd: string, args: readonly string[], timeoutMs: number): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString('utf8')).slice(-4000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stderr });
    });
  });
}
const lab = await createLab();
step('lab ready');
const dir = mkdtempSync(join(tmpdir(), 'gs-bench-bundle-'));
try {
  const t = await lab.startGoService({ memoryMaxBytes: 512 * 1024 * 1024, cpuQuotaUs: 100_000, cpuPeriodUs: 100_000, args: ['-goroutines', '2000', '-threads', '30'] });
  step(`target ${t.pid} ready`);
  const kh = join(dir, 'kh');
  writeFileSync(kh, `[127.0.0.1]:${lab.sshd.port} ${lab.sshd.hostPublicKeyLine}\n`);
  const port = t.pprofAddr!.split(':')[1];

  // ---- the runbook ----
  const out = join(dir, 'runbook-out');
  const ssh = `ssh -n -o ControlMaster=auto -o ControlPath=${dir}/cm-%C -o ControlPersist=120 -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=${kh} -i ${lab.sshd.clientKeyPath} -p ${lab.sshd.port} ${lab.sshd.user}@127.0.0.1`;
  const P = `/proc/${t.pid}`;
  const runbook = [
    'set -u',
    `mkdir -p ${out}`,
    `SSH="${ssh}"`,
    'n=0; get() { n=$((n+1)); $SSH "cat $1" > "$OUT/$n" 2>/dev/null; }',
    `OUT=${out}`,
    '$SSH uname -a > "$OUT/uname"',
    ...SYSTEM_FILES.map(([, path]) => `get ${path}`),
    'get /proc/sched_debug',
    ...PROCESS_FILES.map(([f]) => `get ${P}/${f}`),
    `$SSH "ls -l ${P}/fd" > "$OUT/fd" 2>/dev/null`,
    `for tid in $($SSH "ls ${P}/task"); do for f in comm stat sched; do get ${P}/task/$tid/$f; done; done`,
    // every cgroup level, for each hierarchy line of /proc/PID/cgroup
    `$SSH "cat ${P}/cgroup" | while IFS=: read -r id ctrls path; do`,
    '  if [ -z "$ctrls" ]; then root=/sys/fs/cgroup/unified; [ -n "$($SSH "ls /sys/fs/cgroup/cgroup.controllers 2>/dev/null")" ] && root=/sys/fs/cgroup; else case ",$ctrls," in *,memory,*) root=/sys/fs/cgroup/memory;; *,cpu,*) root=/sys/fs/cgroup/cpu;; *,cpuset,*) root=/sys/fs/cgroup/cpuset;; *,pids,*) root=/sys/fs/cgroup/pids;; *) continue;; esac; fi',
    '  d="$root$path"; d=${d%/}',
    '  while :; do',
    `    for f in ${CGROUP_FILES.join(' ')}; do get "$d/$f" < /dev/null; done`,
    '    [ "$d" = "$root" ] && break; d=${d%/*}; [ -z "$d" ] && break',
    '  done',
    'done',
    `$SSH "eu-stack -p ${t.pid}" > "$OUT/stacks" 2>&1 || true`,
    `$SSH "curl -s 'http://127.0.0.1:${port}/debug/pprof/goroutine?debug=2'" > "$OUT/goroutines"`,
    `$SSH "curl -s 'http://127.0.0.1:${port}/debug/pprof/heap?debug=1'" > "$OUT/heap"`,
  ].join('\n');
  writeFileSync(join(dir, 'runbook.sh'), runbook);
  const warm = await run('sh', ['-c', `${ssh} -f -N 2>/dev/null`], 20_000); // start and warm the master connection
  if (warm.status !== 0) throw new Error(`could not start the OpenSSH master connection: ${warm.stderr}`);
  step('master connection up; running the runbook');
  const r0 = process.hrtime.bigint();
  const rb = await run('bash', [join(dir, 'runbook.sh')], 600_000);
  const runbookMs = Number(process.hrtime.bigint() - r0) / 1e6;
  if (rb.status !== 0) throw new Error(`runbook failed with status ${rb.status}: ${rb.stderr.slice(-2000)}`);
  const runbookFiles = readdirSync(out).length;
  await run('sh', ['-c', `${ssh} -O exit 2>/dev/null`], 10_000);

  step('runbook done');
  // ---- ours ----
  const backend = await createBackend({ dataDir: join(dir, 'data'), userKnownHostsFile: kh, agentSocket: '' });
  const api = inProcessApi(backend);
  try {
    const host = await api.call('hosts.add', { label: 'bench', hostname: '127.0.0.1', port: lab.sshd.port, user: lab.sshd.user, identityFile: lab.sshd.clientKeyPath });
    await api.call('ssh.connect', { hostId: host.id }); // warm, like the ControlMaster
    await api.call('processes.list', { hostId: host.id });
    const o0 = process.hrtime.bigint();
    const { captureId, sessionId } = await api.call('capture.start', { hostId: host.id, pid: t.pid, stacks: true, stackTools: ['eu-stack'] });
    await new Promise<void>((resolve) => api.on('capture.finished', (f) => f.captureId === captureId && resolve()));
    const oursMs = Number(process.hrtime.bigint() - o0) / 1e6;
    const s = await api.call('sessions.open', { sessionId });
    const goroutines = readFileSync(join(out, 'goroutines'), 'utf8').match(/^goroutine \d+/gm)?.length ?? 0;
    console.log(`whole bundle (fast items + stacks + goroutines + heap), target with ${goroutines} goroutines and ~30 locked threads, one run on 2 noisy cores:`);
    console.log(`  shell runbook, OpenSSH ControlMaster: ${runbookMs.toFixed(0)} ms for ${runbookFiles} files`);
    console.log(`  Gopherscope capture:                 ${oursMs.toFixed(0)} ms for ${s.artifacts.length} artifacts (${s.status}), stored with checksums`);
    console.log(`  ratio runbook/ours: ${(runbookMs / oursMs).toFixed(2)}x faster (goal: at least 2x)`);
  } finally {
    await backend.close();
  }
} finally {
  await lab.cleanup();
}

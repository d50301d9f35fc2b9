/**
 * A file's chunks read ahead by a worker thread into a ring of shared buffers, for a parser on
 * this thread that would otherwise stop for every read.
 *
 * Reading a 70 MB smaps from the page cache is about 4.5 ms of copying on this thread, a sixth of
 * its parse. A second thread that does only the reads needs no compiled code to be fast, so unlike
 * a second parser it does not compete with the engine's compiler for the other core while the
 * parser warms up (see the reverted two-part parse, b151fdb).
 *
 * Until the worker has started (the first large read in a process), chunks are read here, as
 * fileChunks does; the worker takes over from the next chunk once it is ready.
 */
import { Worker } from 'node:worker_threads';
import { FILE_CHUNK, fileChunks } from './fileChunks';

/** Below this, a file is read on this thread: a handful of reads are not worth a hand-over. */
export const READ_AHEAD_MIN_BYTES = 16 * 1024 * 1024;
/** An even number: the worker fills them two at a time. */
const RING_SLOTS = 4;
const SLOT_BYTES = FILE_CHUNK;
/** How long to wait for one chunk before giving the worker up and reading here. */
const CHUNK_WAIT_MS = 10_000;

// The control words, an Int32Array over a SharedArrayBuffer the two threads share.
/** 1 once the worker is listening for jobs. */
const READY = 0;
/** The job the worker is to run: this thread moves it on to stop one (a job sent earlier is then skipped). */
const JOB = 1;
/** The job the worker is running, 0 between jobs: once it is not a stopped job's, that job writes nothing more. */
const RUNNING = 2;
/** Slot k's word is at FIRST_SLOT + k: FREE, FAILED, or the length read into it (0 at the end). */
const FIRST_SLOT = 3;
const FREE = -1;
const FAILED = -2;

/** What the worker is sent: read [start, end) of fd (the process's descriptor) into the ring, slot after slot. */
interface ReadJob {
  readonly id: number;
  readonly fd: number;
  readonly start: number;
  readonly end: number;
}

const counts = { byWorker: 0, here: 0 };

/** Chunks read so far in this process by the worker and on this thread, for the bench and tests. */
export function readAheadCounts(): { readonly byWorker: number; readonly here: number } {
  return { ...counts };
}

/**
 * The chunks of [start, end) of fd in order, like fileChunks: each view is valid until the caller
 * asks for the next. `sizeHint` (the bytes to read, when known) decides whether a worker helps.
 */
export function* readAheadChunks(fd: number, opts: { start?: number; end?: number; sizeHint?: number } = {}): Generator<Uint8Array, void, undefined> {
  const end = opts.end ?? Infinity;
  let at = opts.start ?? 0;
  const reader = (opts.sizeHint ?? 0) >= READ_AHEAD_MIN_BYTES ? readerThread() : null;
  // Read here until the worker is ready (it starts on the first large read in a process), and
  // all along while another read holds the ring (two files read side by side).
  const ringFree = () => reader !== null && !reader.busy && Atomics.load(reader.control, READY) === 1;
  if (!ringFree()) {
    const here = fileChunks(fd, { start: at, end });
    try {
      while (!ringFree()) {
        const next = here.next();
        if (next.done) return;
        at += next.value.length;
        counts.here++;
        yield next.value;
      }
    } finally {
      here.return();
    }
  }
  if (at >= end) return;
  yield* fromRing(reader!, fd, at, end);
}

function* fromRing(reader: ReaderThread, fd: number, start: number, end: number): Generator<Uint8Array, void, undefined> {
  const { control, slots } = reader;
  let at = start;
  reader.busy = true;
  control.fill(FREE, FIRST_SLOT);
  const id = (Atomics.load(control, JOB) % 0x7fffffff) + 1;
  Atomics.store(control, JOB, id);
  reader.worker.postMessage({ id, fd, start, end } satisfies ReadJob);
  let finished = false;
  try {
    for (let k = 0; ; k = (k + 1) % RING_SLOTS) {
      const word = FIRST_SLOT + k;
      const deadline = performance.now() + CHUNK_WAIT_MS;
      let got = Atomics.load(control, word);
      while (got === FREE && performance.now() < deadline) {
        Atomics.wait(control, word, FREE, 100);
        got = Atomics.load(control, word);
      }
      if (got === 0) {
        finished = true;
        return;
      }
      if (got < 0) break;
      at += got;
      counts.byWorker++;
      yield slots[k]!.subarray(0, got);
      Atomics.store(control, word, FREE);
      // The worker waits for slots two at a time (see WORKER_SOURCE): waking it is a system call
      // and a wake-up of the other core, worth doing once per two slots.
      if (k % 2 === 1) Atomics.notify(control, word);
    }
  } finally {
    if (!finished) stopJob(reader, id);
    reader.busy = false;
  }
  // The worker failed a read, or stalled: read the rest here, which gives the read's own error.
  if (!finished) yield* fileChunks(fd, { start: at, end });
}

/**
 * Stops job `id` and waits until the worker has left it (then it writes no slot); gives the worker
 * up if it does not. The worker notes a job as running before it checks that the job is still the
 * one to run, and this thread moves the job on before it looks: one of the two sees the other.
 */
function stopJob(reader: ReaderThread, id: number): void {
  Atomics.store(reader.control, JOB, (id % 0x7fffffff) + 1);
  for (let k = 0; k < RING_SLOTS; k++) Atomics.notify(reader.control, FIRST_SLOT + k);
  const deadline = performance.now() + CHUNK_WAIT_MS;
  while (Atomics.load(reader.control, RUNNING) === id) {
    if (performance.now() > deadline) return abandonReader();
    Atomics.wait(reader.control, RUNNING, id, 100);
  }
}

interface ReaderThread {
  readonly worker: Worker;
  readonly control: Int32Array;
  readonly slots: readonly Uint8Array[];
  /** While a read takes its chunks from the ring. */
  busy: boolean;
}

let reader: ReaderThread | null | undefined;

/** The worker and its ring, started on the first large read and kept (it does not hold the process open); null where none can run. */
function readerThread(): ReaderThread | null {
  if (reader !== undefined) return reader;
  const ring = new SharedArrayBuffer(RING_SLOTS * SLOT_BYTES);
  const control = new Int32Array(new SharedArrayBuffer(4 * (FIRST_SLOT + RING_SLOTS)));
  let worker: Worker;
  try {
    worker = startWorker(ring, control);
  } catch {
    // No threads here (a runtime without them): every read is done on this thread.
    return (reader = null);
  }
  worker.unref();
  // Seen only when this thread is idle, between reads: the next read is then done here.
  worker.on('error', abandonReader);
  worker.on('exit', abandonReader);
  const slots = Array.from({ length: RING_SLOTS }, (_, k) => new Uint8Array(ring, k * SLOT_BYTES, SLOT_BYTES));
  return (reader = { worker, control, slots, busy: false });
}

function abandonReader(): void {
  const r = reader;
  reader = null;
  void r?.worker.terminate();
}

/**
 * The worker's code, as source: plain JavaScript that needs no module of ours, so the same worker
 * starts the same way from TypeScript run by tsx (the CLI), from an esbuild bundle (the bench, the
 * Electron main process) and from tests, and is ready about 25 ms after it is asked for. It reads
 * each job's bytes into the ring's slots in turn, each as soon as the reading thread has freed it,
 * until the end or until the job is no longer the one to run.
 */
const WORKER_SOURCE = `
const { readSync } = require('node:fs');
const { parentPort, workerData } = require('node:worker_threads');
const { ring, control, layout: L } = workerData;
const slots = Array.from({ length: L.slots }, (_, k) => new Uint8Array(ring, k * L.slotBytes, L.slotBytes));
parentPort.on('message', (job) => {
  // Noted as running before the job is checked: see stopJob.
  Atomics.store(control, L.running, job.id);
  const current = () => Atomics.load(control, L.job) === job.id;
  try {
    let at = job.start;
    for (let k = 0; current(); k = (k + 1) % L.slots) {
      const word = L.firstSlot + k;
      // Slots are filled two at a time: the second of a pair is freed after the first, so once it
      // is free both are, and the reading thread wakes this one once per pair.
      if (k % 2 === 0) {
        const second = word + 1;
        for (let v = Atomics.load(control, second); v !== L.free && current(); v = Atomics.load(control, second)) Atomics.wait(control, second, v, 100);
      }
      if (!current()) return;
      let got;
      try {
        got = at < job.end ? readSync(job.fd, slots[k], 0, Math.min(L.slotBytes, job.end - at), at) : 0;
      } catch {
        // The reading thread then reads from here itself, and meets the error there.
        got = L.failed;
      }
      Atomics.store(control, word, got);
      Atomics.notify(control, word);
      if (got <= 0) return;
      at += got;
    }
  } finally {
    Atomics.store(control, L.running, 0);
    Atomics.notify(control, L.running);
  }
});
Atomics.store(control, L.ready, 1);
`;

function startWorker(ring: SharedArrayBuffer, control: Int32Array): Worker {
  const layout = { slots: RING_SLOTS, slotBytes: SLOT_BYTES, ready: READY, job: JOB, running: RUNNING, firstSlot: FIRST_SLOT, free: FREE, failed: FAILED };
  return new Worker(WORKER_SOURCE, { eval: true, workerData: { ring, control, layout } });
}

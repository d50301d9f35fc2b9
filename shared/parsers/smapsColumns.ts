/**
 * The columns smaps.ts fills as it reads, grown by doubling, and trimmed into a MemoryMaps at the
 * end. A row's header fields are written by one method, writeRow; its counters one cell at a time
 * (setCell, or the reader's fast path straight into `counters`).
 *
 * Zero needs no write: offsets, inodes and names are 0 for most mappings of a process with many
 * (anonymous memory), and most counters are 0 in most mappings. Such a column is made only on its
 * first value other than 0, so its fresh pages are never faulted in, and at the end one array of
 * zeros stands for every column never made.
 */
import { bigCounterKey, counterAbsent, decodeCounter, type CounterColumn, type MemoryMaps } from './smapsModel';

/** A column not made yet: it holds only zeros so far. */
const NO_COLUMN = new Uint32Array(0);
export const NO_COUNTERS: CounterColumn = new Uint16Array(0);
const NO_F64 = new Float64Array(0);

/** Bytes per mapping in smaps (about 700 on recent kernels): a low guess, so rows are rarely short. */
const SMAPS_BYTES_PER_MAPPING = 600;

/** The columns of a MemoryMaps that the store fills; the reader adds the lists their indexes point into. */
export type MappingColumnsModel = Pick<MemoryMaps, 'count' | 'start' | 'end' | 'offset' | 'inode' | 'sizeKiB' | 'line' | 'perms' | 'dev' | 'name' | 'vmFlags' | 'counters' | 'bigCounters'>;

export class MappingColumns {
  private capacity = 0;
  /** Rows written so far; the last one may still be taking its counters and VmFlags. */
  rows = 0;
  start = new Float64Array(0);
  end = new Float64Array(0);
  private offset = NO_F64;
  private inode = NO_F64;
  sizeKiB = new Float64Array(0);
  private lineOf = new Uint32Array(0);
  private perms = new Uint8Array(0);
  private dev = new Uint32Array(0);
  private name = NO_COLUMN;
  vmFlags = new Uint32Array(0);
  /**
   * One counter column per name, grown with the other columns. A column is made (16 bits wide)
   * when it first needs a value other than 0 or an absent mark: until then it is NO_COUNTERS.
   * Entries start as 0, so a 0 is never written.
   */
  readonly counters: CounterColumn[] = [];
  readonly bigCounters = new Map<number, number>();
  /** Rows expected from the input seen so far, to grow rarely. */
  private rowHint: number;

  constructor(expectedBytes: number) {
    this.rowHint = Math.max(1024, Math.ceil(expectedBytes / SMAPS_BYTES_PER_MAPPING) + 1);
    // Sized now rather than on the first row: the engine gathers type information only from a
    // function's first few calls on, and a path taken only on the first (growing from nothing)
    // would then be unknown to the code it compiles, which every new parser would throw away.
    this.grow();
  }

  /** `bytes` more input is coming: room for the rows it likely holds is made in one step when needed. */
  expect(bytes: number): void {
    this.rowHint = Math.max(this.rowHint, this.rows + ((bytes / SMAPS_BYTES_PER_MAPPING) | 0));
  }

  /**
   * A new row with its header's fields; its size from the addresses until its Size: counter says
   * (takeSize). The only place rows are added. Small, so that the engine inlines it into the
   * reader's header paths and the doubles are not boxed for the call.
   */
  writeRow(start: number, end: number, perms: number, offset: number, dev: number, inode: number, name: number, line: number): number {
    if (this.rows === this.capacity) this.grow();
    const at = this.rows++;
    this.start[at] = start;
    this.end[at] = end;
    this.sizeKiB[at] = Math.floor((end - start) / 1024);
    this.perms[at] = perms;
    this.dev[at] = dev;
    // The columns start as zeros: a zero is not written, so a column of them is never faulted in.
    if (offset !== 0) this.offsets()[at] = offset;
    if (inode !== 0) this.inodes()[at] = inode;
    if (name !== 0) this.names()[at] = name;
    this.lineOf[at] = Math.min(line, 0xffffffff);
    return at;
  }

  private grow(): void {
    const capacity = (this.capacity = Math.max(this.rowHint, this.capacity * 2));
    const rows = this.rows;
    const f64 = (a: Float64Array) => {
      const b = new Float64Array(capacity);
      b.set(a.subarray(0, rows));
      return b;
    };
    const u32 = (a: Uint32Array) => {
      const b = new Uint32Array(capacity);
      b.set(a.subarray(0, rows));
      return b;
    };
    this.start = f64(this.start);
    this.end = f64(this.end);
    if (this.offset !== NO_F64) this.offset = f64(this.offset);
    if (this.inode !== NO_F64) this.inode = f64(this.inode);
    this.sizeKiB = f64(this.sizeKiB);
    this.lineOf = u32(this.lineOf);
    const p = new Uint8Array(capacity);
    p.set(this.perms.subarray(0, rows));
    this.perms = p;
    this.dev = u32(this.dev);
    if (this.name !== NO_COLUMN) this.name = u32(this.name);
    this.vmFlags = u32(this.vmFlags);
    for (let c = 0; c < this.counters.length; c++) {
      const column = this.counters[c]!;
      if (column === NO_COUNTERS) continue;
      const grown = column.BYTES_PER_ELEMENT === 2 ? new Uint16Array(capacity) : new Uint32Array(capacity);
      grown.set(column.subarray(0, rows));
      this.counters[c] = grown;
    }
  }

  private offsets(): Float64Array {
    if (this.offset === NO_F64) this.offset = new Float64Array(this.capacity);
    return this.offset;
  }

  private inodes(): Float64Array {
    if (this.inode === NO_F64) this.inode = new Float64Array(this.capacity);
    return this.inode;
  }

  private names(): Uint32Array {
    if (this.name === NO_COLUMN) this.name = new Uint32Array(this.capacity);
    return this.name;
  }

  /** Counter column `c`, made now (16 bits wide) if it was not yet. */
  private columnOf(c: number): CounterColumn {
    let column = this.counters[c]!;
    if (column === NO_COUNTERS) column = this.counters[c] = new Uint16Array(this.capacity);
    return column;
  }

  /** A new counter column; the rows before the last one lack it. */
  addCounter(): void {
    const c = this.counters.length;
    this.counters.push(NO_COUNTERS);
    if (this.rows > 1) {
      const column = this.columnOf(c);
      column.fill(counterAbsent(column), 0, this.rows - 1);
    }
  }

  /**
   * Mapping `row`'s counter `c` := v, widening the column to 32 bits when v does not fit 16, and
   * keeping in bigCounters what does not fit 32.
   */
  setCell(c: number, row: number, v: number): void {
    let column = this.columnOf(c);
    const fits32 = Number.isInteger(v) && v >= 0 && v < 0xfffffffe;
    if (fits32 && v >= 0xfffe && column.BYTES_PER_ELEMENT === 2) column = this.widen(c);
    if (fits32) {
      column[row] = v;
      this.bigCounters.delete(bigCounterKey(row, c));
    } else {
      column[row] = counterAbsent(column) + 1;
      this.bigCounters.set(bigCounterKey(row, c), v);
    }
  }

  /** Mapping `row` lacks counter `c`. */
  markAbsent(c: number, row: number): void {
    const column = this.columnOf(c);
    column[row] = counterAbsent(column);
  }

  /** Counter column `c` made 32 bits wide, its rows so far carried over with their marks. */
  private widen(c: number): Uint32Array {
    const narrow = this.counters[c]!;
    const wide = new Uint32Array(this.capacity);
    for (let r = 0; r < this.rows; r++) {
      const v = narrow[r]!;
      wide[r] = v < 0xfffe ? v : v - 0xfffe + 0xfffffffe;
    }
    this.counters[c] = wide;
    return wide;
  }

  /** Mapping `row`'s size from its counter in column `c` (Size:), when it has one. */
  takeSize(row: number, c: number): void {
    const sizes = this.counters[c]!;
    const size = sizes === NO_COUNTERS ? 0 : decodeCounter(sizes[row]!, counterAbsent(sizes), row, c, this.bigCounters);
    if (size !== undefined) this.sizeKiB[row] = size;
  }

  /** The columns trimmed to the rows written; keeping slack only when small, as trimming copies. */
  finish(): MappingColumnsModel {
    const rows = this.rows;
    const trim = <T extends Float64Array | Uint32Array | Uint8Array>(a: T): T => (a.length - rows > rows ? (a.slice(0, rows) as T) : (a.subarray(0, rows) as T));
    // Columns never made are zeros: one array of them stands for each that is.
    let zerosF64: Float64Array | null = null;
    const f64 = (a: Float64Array) => (a !== NO_F64 ? trim(a) : (zerosF64 ??= new Float64Array(rows)));
    let zeros16: Uint16Array | null = null;
    return {
      count: rows,
      start: trim(this.start),
      end: trim(this.end),
      offset: f64(this.offset),
      inode: f64(this.inode),
      sizeKiB: trim(this.sizeKiB),
      line: trim(this.lineOf),
      perms: trim(this.perms),
      dev: trim(this.dev),
      name: this.name !== NO_COLUMN ? trim(this.name) : new Uint32Array(rows),
      vmFlags: trim(this.vmFlags),
      counters: this.counters.map((c) => (c !== NO_COUNTERS ? (c.length - rows > rows ? c.slice(0, rows) : c.subarray(0, rows)) : (zeros16 ??= new Uint16Array(rows)))),
      bigCounters: this.bigCounters,
    };
  }
}

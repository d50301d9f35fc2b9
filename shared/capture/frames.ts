/**
 * The framed stream our remote POSIX sh collector prints. Artifact bodies are
 * base64 (whose alphabet has no '@'), and every control line carries a
 * per-capture random nonce, so no file content — however hostile — can forge
 * a frame boundary.
 *
 *   @@GS1 <nonce> BEGIN <name>
 *   <base64 lines>
 *   @@GS1 <nonce> END <name> rc=<n>
 *   @@GS1 <nonce> ERR <name> <base64 of the first 300 bytes of stderr>
 *   @@GS1 <nonce> SKIP <name> <base64 reason>   (not read, on purpose, and why)
 *   @@GS1 <nonce> GONE            (the target process does not exist)
 *   @@GS1 <nonce> DONE
 *
 * The parser is incremental (feed it chunks as they arrive) and bounded: each
 * body is capped and any line longer than a base64 line can be is cut.
 */
import { decodeBase64 } from '../util/base64';
import { decodeUtf8 } from '../util/utf8';

export type FrameEvent =
  | { readonly kind: 'begin'; readonly name: string }
  | { readonly kind: 'data'; readonly name: string; readonly bytes: Uint8Array }
  | { readonly kind: 'end'; readonly name: string; readonly rc: number; readonly truncated: boolean; readonly size: number }
  | { readonly kind: 'stderr'; readonly name: string; readonly text: string }
  | { readonly kind: 'skip'; readonly name: string; readonly reason: string }
  | { readonly kind: 'gone' }
  | { readonly kind: 'done' }
  | { readonly kind: 'noise'; readonly line: string };

const MAX_LINE = 64 * 1024;
const NAME_RE = /^[a-z0-9_./-]{1,128}$/;

export class FrameParser {
  private pending = '';
  private current: { name: string; size: number; cap: number; truncated: boolean } | undefined;
  private readonly prefix: string;

  /** capFor returns how many decoded bytes of an artifact to keep; the rest is counted as truncated. */
  constructor(nonce: string, private readonly capFor: (name: string) => number) {
    this.prefix = `@@GS1 ${nonce} `;
  }

  feed(chunk: string, emit: (e: FrameEvent) => void): void {
    let text = this.pending + chunk;
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      this.line(text.slice(start, nl), emit);
      start = nl + 1;
    }
    text = text.slice(start);
    if (text.length > MAX_LINE) {
      // No base64 or control line is this long: treat as noise and resynchronise at the next newline.
      emit({ kind: 'noise', line: text.slice(0, 200) });
      text = '';
    }
    this.pending = text;
  }

  /** Call at end of stream; returns the name of an artifact left open, if any. */
  finish(emit: (e: FrameEvent) => void): string | undefined {
    if (this.pending.length > 0) this.line(this.pending, emit);
    this.pending = '';
    return this.current?.name;
  }

  private line(line: string, emit: (e: FrameEvent) => void): void {
    if (line.startsWith(this.prefix)) {
      const rest = line.slice(this.prefix.length).split(' ');
      const verb = rest[0];
      const name = rest[1] ?? '';
      if (verb === 'BEGIN' && NAME_RE.test(name)) {
        this.current = { name, size: 0, cap: this.capFor(name), truncated: false };
        emit({ kind: 'begin', name });
        return;
      }
      if (verb === 'END' && this.current && this.current.name === name) {
        const rc = Number((rest[2] ?? '').replace(/^rc=/, ''));
        emit({ kind: 'end', name, rc: Number.isFinite(rc) ? rc : -1, truncated: this.current.truncated, size: this.current.size });
        this.current = undefined;
        return;
      }
      if (verb === 'ERR' && NAME_RE.test(name)) {
        const { bytes } = decodeBase64(rest[2] ?? '');
        emit({ kind: 'stderr', name, text: decodeUtf8(bytes).trim() });
        return;
      }
      if (verb === 'SKIP' && NAME_RE.test(name)) {
        const { bytes } = decodeBase64(rest[2] ?? '');
        emit({ kind: 'skip', name, reason: decodeUtf8(bytes).trim() });
        return;
      }
      if (verb === 'GONE') return emit({ kind: 'gone' });
      if (verb === 'DONE') return emit({ kind: 'done' });
      emit({ kind: 'noise', line: line.slice(0, 200) });
      return;
    }
    const cur = this.current;
    if (!cur) {
      if (line.trim().length > 0) emit({ kind: 'noise', line: line.slice(0, 200) });
      return;
    }
    if (line.length === 0) return;
    const { bytes, badAt } = decodeBase64(line);
    if (badAt >= 0) {
      emit({ kind: 'noise', line: line.slice(0, 200) });
      return;
    }
    const room = cur.cap - cur.size;
    if (room <= 0) {
      if (bytes.length > 0) cur.truncated = true;
      return;
    }
    const keep = bytes.length > room ? bytes.subarray(0, room) : bytes;
    if (keep.length < bytes.length) cur.truncated = true;
    cur.size += keep.length;
    if (keep.length > 0) emit({ kind: 'data', name: cur.name, bytes: keep });
  }
}

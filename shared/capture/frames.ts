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
 * body is capped, any line longer than a base64 line can be is cut, and a
 * stream names at most MAX_ARTIFACTS artifacts.
 *
 * The host chooses the names, so they are checked here, before anything can
 * be stored: a name that is not a valid artifact name (an empty, `.` or `..`
 * segment, absolute, too long), or one already sent in this stream, is
 * refused with the reason and its body skipped.
 */
import { decodeBase64 } from '../util/base64';
import { decodeUtf8 } from '../util/utf8';
import { artifactNameProblem } from './artifactName';

export type FrameEvent =
  | { readonly kind: 'begin'; readonly name: string }
  | { readonly kind: 'data'; readonly name: string; readonly bytes: Uint8Array }
  | { readonly kind: 'end'; readonly name: string; readonly rc: number; readonly truncated: boolean; readonly size: number }
  | { readonly kind: 'stderr'; readonly name: string; readonly text: string }
  | { readonly kind: 'skip'; readonly name: string; readonly reason: string }
  | { readonly kind: 'refused'; readonly reason: string }
  | { readonly kind: 'gone' }
  | { readonly kind: 'done' }
  | { readonly kind: 'noise'; readonly line: string };

const MAX_LINE = 64 * 1024;
const MAX_NAME = 128;
/** Names remembered to refuse a second copy: more than any host's process list or thread table gives. */
export const MAX_ARTIFACTS = 200_000;

const shown = (name: string) => JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);

export class FrameParser {
  private pending = '';
  private current: { name: string; size: number; cap: number; truncated: boolean; refused: boolean } | undefined;
  private readonly seen = new Set<string>();
  private readonly prefix: string;

  /** capFor returns how many decoded bytes of an artifact to keep; the rest is counted as truncated. */
  constructor(
    nonce: string,
    private readonly capFor: (name: string) => number,
  ) {
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

  /** Why an artifact of this name is not taken, or null. */
  private refusal(name: string): string | null {
    const problem = name.length > MAX_NAME ? `it is longer than ${MAX_NAME} characters` : artifactNameProblem(name);
    if (problem !== null) return `${shown(name)} is not a valid artifact name (${problem})`;
    if (this.seen.has(name)) return `${name} was sent twice; the second copy was not stored`;
    if (this.seen.size >= MAX_ARTIFACTS) return `more than ${MAX_ARTIFACTS} artifacts in one stream; ${name} and the rest were not stored`;
    return null;
  }

  private line(line: string, emit: (e: FrameEvent) => void): void {
    if (line.startsWith(this.prefix)) {
      const rest = line.slice(this.prefix.length).split(' ');
      const verb = rest[0];
      const name = rest[1] ?? '';
      if (verb === 'BEGIN' || verb === 'SKIP') {
        const refusal = this.refusal(name);
        if (refusal !== null) {
          emit({ kind: 'refused', reason: refusal });
          if (verb === 'BEGIN') this.current = { name, size: 0, cap: 0, truncated: false, refused: true };
          return;
        }
        this.seen.add(name);
        if (verb === 'BEGIN') {
          this.current = { name, size: 0, cap: this.capFor(name), truncated: false, refused: false };
          emit({ kind: 'begin', name });
        } else {
          const { bytes } = decodeBase64(rest[2] ?? '');
          emit({ kind: 'skip', name, reason: decodeUtf8(bytes).trim() });
        }
        return;
      }
      if (verb === 'END' && this.current && this.current.name === name) {
        const rc = Number((rest[2] ?? '').replace(/^rc=/, ''));
        if (!this.current.refused) emit({ kind: 'end', name, rc: Number.isFinite(rc) ? rc : -1, truncated: this.current.truncated, size: this.current.size });
        this.current = undefined;
        return;
      }
      if (verb === 'ERR' && name.length <= MAX_NAME && artifactNameProblem(name) === null) {
        const { bytes } = decodeBase64(rest[2] ?? '');
        emit({ kind: 'stderr', name, text: decodeUtf8(bytes).trim() });
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
    if (line.length === 0 || cur.refused) return;
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

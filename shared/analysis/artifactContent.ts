/**
 * An artifact's content as analysis gets it: text, bytes, or bytes in pieces. A large artifact
 * crosses the wire as gzip members, one per range read, and the views worker inflates them one by
 * one; the pieces are handed on as they are, not joined into one buffer, so the worker never holds
 * the inflated artifact twice (joining 68 MiB also cost 25-28 ms).
 */
import { utf8Decoder } from '../util/utf8';

export type ArtifactContent = string | Uint8Array | readonly Uint8Array[];
/** Artifact name → content. */
export type ArtifactFiles = Readonly<Record<string, ArtifactContent>>;

/** Pseudo-artifact listing artifacts that were read only in part, one per line. */
export const TRUNCATED = 'meta/view-truncated';

/** The content as text; bytes are decoded as UTF-8, pieces in order (a character may span two). */
export function artifactText(v: ArtifactContent | undefined): string | undefined {
  if (v === undefined || typeof v === 'string') return v;
  const pieces = v instanceof Uint8Array ? [v] : v;
  const decoder = utf8Decoder();
  let out = '';
  for (let i = 0; i < pieces.length; i++) out += decoder.decode(pieces[i], { stream: i < pieces.length - 1 });
  return out;
}

/** Binary content as its pieces (one for a single buffer); undefined for text or nothing. */
export function artifactChunks(v: ArtifactContent | undefined): readonly Uint8Array[] | undefined {
  if (v === undefined || typeof v === 'string') return undefined;
  return v instanceof Uint8Array ? [v] : v;
}

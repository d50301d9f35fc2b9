/**
 * UTF-8 decoding through the WHATWG TextDecoder every runtime we target
 * provides (browsers, workers, Node). It is not part of ECMAScript, so
 * shared/'s ES-only lib does not declare it; we reach it through globalThis
 * with just the surface we use, instead of pulling DOM or Node types in.
 */
export interface Utf8Decoder {
  decode(input?: Uint8Array, options?: { stream?: boolean }): string;
}

type DecoderCtor = new (label?: string, options?: { fatal?: boolean }) => Utf8Decoder;

export function utf8Decoder(): Utf8Decoder {
  const Ctor = (globalThis as unknown as { TextDecoder?: DecoderCtor }).TextDecoder;
  if (!Ctor) throw new Error('this runtime has no TextDecoder');
  return new Ctor('utf-8', { fatal: false });
}

let shared: Utf8Decoder | undefined;
export function decodeUtf8(bytes: Uint8Array): string {
  shared ??= utf8Decoder();
  return shared.decode(bytes);
}

type EncoderCtor = new () => { encode(input: string): Uint8Array };
let encoder: { encode(input: string): Uint8Array } | undefined;
export function encodeUtf8(text: string): Uint8Array {
  if (!encoder) {
    const Ctor = (globalThis as unknown as { TextEncoder?: EncoderCtor }).TextEncoder;
    if (!Ctor) throw new Error('this runtime has no TextEncoder');
    encoder = new Ctor();
  }
  return encoder.encode(text);
}

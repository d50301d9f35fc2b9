/** Base64 decoding without Buffer or atob, so shared/ stays runtime-free. Whitespace is skipped; other junk is an error. */
const TABLE = new Int16Array(256).fill(-1);
'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.split('').forEach((c, i) => {
  TABLE[c.charCodeAt(0)] = i;
});

export function decodeBase64(text: string): { bytes: Uint8Array; badAt: number } {
  const out = new Uint8Array(Math.floor((text.length * 3) / 4) + 3);
  let n = 0;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x3d /* = */) break;
    if (c === 0x0a || c === 0x0d || c === 0x20 || c === 0x09) continue;
    const v = c < 256 ? TABLE[c]! : -1;
    if (v < 0) return { bytes: out.subarray(0, n), badAt: i };
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (acc >> bits) & 0xff;
    }
  }
  return { bytes: out.subarray(0, n), badAt: -1 };
}

const ENC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
export function encodeBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]!;
    const b = bytes[i + 1];
    const c = bytes[i + 2];
    s += ENC[a >> 2]! + ENC[((a & 3) << 4) | ((b ?? 0) >> 4)]!;
    s += b === undefined ? '=' : ENC[((b & 15) << 2) | ((c ?? 0) >> 6)]!;
    s += c === undefined ? '=' : ENC[c & 63]!;
  }
  return s;
}

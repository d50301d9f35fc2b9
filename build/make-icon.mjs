#!/usr/bin/env node
// Draws the app icon, a Go-blue disc with a white magnifier ring, into build/resources (or the
// folder given as the first argument): icon.png (512×512, Linux), icon.icns (macOS: 512 and 256
// PNGs in ic09/ic08 entries) and icon.ico (Windows: 256, 48, 32 and 16 PNG entries). Written with
// zlib only, so packaging needs no image tools and no network; build/packaging.test.mjs checks the
// committed files are what this script draws.
import { deflateSync } from 'node:zlib';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** RGBA rows with a filter byte each, the shapes scaled from the 512-pixel design. */
function pixels(n) {
  const s = n / 512;
  const px = Buffer.alloc(n * (n * 4 + 1));
  for (let y = 0; y < n; y++) {
    px[y * (n * 4 + 1)] = 0;
    for (let x = 0; x < n; x++) {
      const o = y * (n * 4 + 1) + 1 + x * 4;
      const [X, Y] = [(x + 0.5) / s - 0.5, (y + 0.5) / s - 0.5];
      const d = Math.hypot(X - 256, Y - 256);
      const ring = Math.hypot(X - 230, Y - 230);
      const handle = Math.abs(X - Y) < 22 && X > 300 && X < 400;
      let c = [0, 0, 0, 0];
      if (d < 240) c = [0, 173, 216, 255];
      if ((ring > 90 && ring < 122) || handle) c = [255, 255, 255, 255];
      px.set(c, o);
    }
  }
  return px;
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type), data]);
  const c = Buffer.alloc(4);
  c.writeUInt32BE(crc(td));
  return Buffer.concat([len, td, c]);
};

export function png(n) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(n, 0);
  ihdr.writeUInt32BE(n, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(pixels(n), { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

/** Apple's icns: 'icns', total length, then (type, length, PNG) entries. */
export function icns(entries) {
  const parts = entries.map(([type, data]) => {
    const h = Buffer.alloc(8);
    h.write(type, 0, 'latin1');
    h.writeUInt32BE(data.length + 8, 4);
    return Buffer.concat([h, data]);
  });
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'latin1');
  head.writeUInt32BE(8 + parts.reduce((a, p) => a + p.length, 0), 4);
  return Buffer.concat([head, ...parts]);
}

/** Windows ICO with PNG-compressed images (a size of 256 is written as 0). */
export function ico(images) {
  const head = Buffer.alloc(6);
  head.writeUInt16LE(0, 0);
  head.writeUInt16LE(1, 2);
  head.writeUInt16LE(images.length, 4);
  let offset = 6 + 16 * images.length;
  const dir = images.map(([n, data]) => {
    const e = Buffer.alloc(16);
    e[0] = n >= 256 ? 0 : n;
    e[1] = n >= 256 ? 0 : n;
    e.writeUInt16LE(1, 4);
    e.writeUInt16LE(32, 6);
    e.writeUInt32LE(data.length, 8);
    e.writeUInt32LE(offset, 12);
    offset += data.length;
    return e;
  });
  return Buffer.concat([head, ...dir, ...images.map(([, d]) => d)]);
}

export function drawIcons(outDir) {
  mkdirSync(outDir, { recursive: true });
  const [p512, p256] = [png(512), png(256)];
  writeFileSync(join(outDir, 'icon.png'), p512);
  writeFileSync(
    join(outDir, 'icon.icns'),
    icns([
      ['ic09', p512],
      ['ic08', p256],
    ]),
  );
  writeFileSync(
    join(outDir, 'icon.ico'),
    ico([
      [256, p256],
      [48, png(48)],
      [32, png(32)],
      [16, png(16)],
    ]),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) drawIcons(resolve(process.argv[2] ?? new URL('./resources/', import.meta.url).pathname));

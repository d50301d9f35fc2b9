#!/usr/bin/env node
// Draws build/resources/icon.png (512×512): a Go-blue disc with a white
// magnifier ring. Written with zlib only, so packaging needs no image tools.
import { deflateSync } from 'node:zlib';
import { writeFileSync, mkdirSync } from 'node:fs';

const N = 512;
const px = Buffer.alloc(N * (N * 4 + 1));
for (let y = 0; y < N; y++) {
  px[y * (N * 4 + 1)] = 0;
  for (let x = 0; x < N; x++) {
    const o = y * (N * 4 + 1) + 1 + x * 4;
    const d = Math.hypot(x - 256, y - 256);
    const ring = Math.hypot(x - 230, y - 230);
    const handle = Math.abs(x - y) < 22 && x > 300 && x < 400;
    let c = [0, 0, 0, 0];
    if (d < 240) c = [0, 173, 216, 255];
    if ((ring > 90 && ring < 122) || handle) c = [255, 255, 255, 255];
    px.set(c, o);
  }
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
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(N, 0);
ihdr.writeUInt32BE(N, 4);
ihdr.set([8, 6, 0, 0, 0], 8);
const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(px)), chunk('IEND', Buffer.alloc(0))]);
mkdirSync(new URL('./resources/', import.meta.url), { recursive: true });
writeFileSync(new URL('./resources/icon.png', import.meta.url), png);

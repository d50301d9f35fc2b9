/**
 * What the app's pages are served with, by Electron's app:// protocol (main.ts) and by browser
 * mode (serve/server.ts) alike: one CSP and one MIME map, so the two cannot drift apart.
 */
import { extname } from 'node:path';

export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

const MIME_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

/** The Content-Type for a served file, by its extension; anything unknown is opaque bytes. */
export function contentTypeOf(file: string): string {
  return MIME_TYPES[extname(file)] ?? 'application/octet-stream';
}

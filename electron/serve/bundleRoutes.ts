/**
 * Browser mode's two routes for session bundles, behind the same /t/<token>/ as the rest
 * (server.ts checks the token and the Host header before these run). The page never names a path
 * on this machine: a download is a bundle the existing export writes to a temp file in the data
 * folder and streams back; an upload is streamed to a temp file there under a size cap and given to
 * the existing import. Temp files have random names, are opened with O_EXCL and are removed however
 * the request ends, so a refused or broken upload leaves nothing behind.
 *
 *   GET  bundles/<sessionId>.tar.gz         the session's bundle, as a download
 *   POST bundles/import?transfer=ID&name=N  the body is a bundle; the reply is the contract's Reply
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, unlink } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { bundleFileName, TransferId, type EventName, type EventPayload } from '../../shared/contract/api';
import { dispatch } from '../../shared/contract/dispatch';
import type { ApiErrorData, Reply } from '../../shared/contract/errors';
import type { Backend } from '../core/backendTypes';

/** The largest upload accepted by default: well past any real capture's bundle, short of filling a disk by accident. */
export const DEFAULT_MAX_UPLOAD = 4 * 1024 * 1024 * 1024;
/** Uploads received at once; more wait for none of them and are refused. */
const MAX_CONCURRENT_UPLOADS = 2;
const PROGRESS_EVERY = 1024 * 1024;
const SESSION_ID = /^[A-Za-z0-9-]{1,64}$/;

export interface BundleRoutes {
  /** Handles the request when `rest` (the path after /t/<token>) is one of the routes; false otherwise. */
  handle(req: IncomingMessage, res: ServerResponse, rest: string, url: URL): Promise<boolean>;
}

const STATUS: Partial<Record<ApiErrorData['code'], number>> = { 'invalid-input': 400, 'not-found': 404, storage: 500, internal: 500 };

function sendJson(res: ServerResponse, status: number, reply: Reply<unknown>): void {
  const body = JSON.stringify(reply);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    'Cache-Control': 'no-store',
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(body);
}

function refuse(res: ServerResponse, status: number, error: ApiErrorData): void {
  // The rest of a refused body is not read: close the connection rather than drain it.
  res.setHeader('Connection', 'close');
  sendJson(res, status, { ok: false, error });
}

/** A name for messages only (the uploaded file's own name), never used as a path. */
function shownName(raw: string | null): string {
  const name = (raw ?? '').replace(/[\0-\x1f\x7f/\\]/g, '_').slice(0, 200);
  return name || 'the uploaded file';
}

export function bundleRoutes(backend: Backend, opts: { readonly maxUploadBytes?: number; readonly emit: <E extends EventName>(event: E, payload: EventPayload<E>) => void }): BundleRoutes {
  const maxUpload = opts.maxUploadBytes ?? DEFAULT_MAX_UPLOAD;
  const dir = join(backend.dataDir, 'transfers');
  let uploads = 0;
  const tempFile = async (ext: string) => {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return join(dir, `${randomBytes(12).toString('hex')}${ext}`);
  };

  async function download(res: ServerResponse, sessionId: string): Promise<void> {
    const tmp = await tempFile('.tar.gz');
    const reply = await dispatch(backend.handlers, 'sessions.export', { sessionId, path: tmp });
    if (!reply.ok) {
      await unlink(tmp).catch(() => undefined);
      const body = `${reply.error.message}${reply.error.hint ? `\n${reply.error.hint}` : ''}`;
      res.writeHead(STATUS[reply.error.code] ?? 500, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' }).end(body);
      return;
    }
    // The page may have gone while the bundle was written: then nothing will close this response later.
    if (res.destroyed || res.socket?.destroyed !== false) {
      await unlink(tmp).catch(() => undefined);
      return;
    }
    const { bytes } = reply.value as { bytes: number };
    res.writeHead(200, {
      'Content-Type': 'application/gzip',
      'Content-Length': String(bytes),
      'Content-Disposition': `attachment; filename="${bundleFileName(sessionId)}"`,
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
      'X-Content-Type-Options': 'nosniff',
    });
    // The file is removed once sent, or once the download is abandoned.
    const done = () => void unlink(tmp).catch(() => undefined);
    res.once('close', done);
    createReadStream(tmp)
      .on('error', () => res.destroy())
      .pipe(res);
  }

  async function upload(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const name = shownName(url.searchParams.get('name'));
    const transfer = TransferId.safeParse(url.searchParams.get('transfer') ?? randomBytes(8).toString('hex'));
    if (!transfer.success) return refuse(res, 400, { code: 'invalid-input', message: 'transfer: letters, digits and dashes, at most 64' });
    const transferId = transfer.data;
    const lengthHeader = req.headers['content-length'];
    const declared = lengthHeader === undefined ? null : Number(lengthHeader);
    if (declared !== null && !Number.isSafeInteger(declared)) return refuse(res, 400, { code: 'invalid-input', message: 'Content-Length is not a number' });
    const tooLarge: ApiErrorData = {
      code: 'invalid-input',
      message: `${name} is larger than the ${maxUpload} bytes browser mode accepts.`,
      hint: 'Import it with the CLI instead: `gopherscope import FILE`.',
    };
    if (declared !== null && declared > maxUpload) return refuse(res, 413, tooLarge);
    if (uploads >= MAX_CONCURRENT_UPLOADS) return refuse(res, 429, { code: 'invalid-input', message: 'Another import is still running.', hint: 'Try again when it has finished.' });
    uploads++;
    let tmp: string | null = null;
    let answer: { status: number; reply: Reply<unknown> };
    try {
      tmp = await tempFile('.upload');
      answer = await receiveAndImport(req, tmp, name, transferId, declared, tooLarge);
    } finally {
      uploads--;
      // Gone before the page hears the answer: nothing of the upload stays, imported or not.
      if (tmp !== null) await unlink(tmp).catch(() => undefined);
    }
    if (!answer.reply.ok) res.setHeader('Connection', 'close');
    sendJson(res, answer.status, answer.reply);
  }

  async function receiveAndImport(
    req: IncomingMessage,
    tmp: string,
    name: string,
    transferId: string,
    declared: number | null,
    tooLarge: ApiErrorData,
  ): Promise<{ status: number; reply: Reply<unknown> }> {
    const failed = (status: number, error: ApiErrorData) => ({ status, reply: { ok: false as const, error } });
    let received = 0;
    let told = 0;
    let over = false;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, next) {
        received += chunk.length;
        if (received > maxUpload) {
          over = true;
          return next(new Error('too large'));
        }
        if (received - told >= PROGRESS_EVERY) opts.emit('bundles.progress', { transferId, phase: 'upload', done: (told = received), total: declared });
        next(null, chunk);
      },
    });
    try {
      await pipeline(req, meter, createWriteStream(tmp, { flags: 'wx', mode: 0o600 }));
    } catch (err) {
      if (over) return failed(413, tooLarge);
      return failed(400, { code: 'invalid-input', message: `The upload of ${name} did not complete: ${(err as Error).message}`, hint: 'Nothing was imported. Try again.' });
    }
    if (declared !== null && received !== declared)
      return failed(400, { code: 'invalid-input', message: `The upload of ${name} ended after ${received} of ${declared} bytes.`, hint: 'Nothing was imported. Try again.' });
    opts.emit('bundles.progress', { transferId, phase: 'upload', done: received, total: received });
    const reply = await dispatch(backend.handlers, 'sessions.import', { path: tmp, transferId });
    if (reply.ok) return { status: 200, reply };
    // The temp file's path means nothing to the person who uploaded: name their file instead.
    const message = reply.error.message.split(tmp).join(name);
    const error = { ...reply.error, message: message.includes(name) ? message : `${name}: ${message}` };
    return failed(STATUS[error.code] ?? 500, error);
  }

  return {
    async handle(req, res, rest, url) {
      const dl = /^\/bundles\/([^/]+)\.tar\.gz$/.exec(rest);
      if (dl) {
        if (req.method !== 'GET') res.writeHead(405, { Allow: 'GET' }).end();
        else if (!SESSION_ID.test(dl[1]!)) res.writeHead(404).end();
        else await download(res, dl[1]!);
        return true;
      }
      if (rest === '/bundles/import') {
        if (req.method !== 'POST') {
          res.writeHead(405, { Allow: 'POST' }).end();
          return true;
        }
        // The token already keeps other pages out; a request another page's script sends carries its own Origin.
        const origin = req.headers.origin;
        if (origin !== undefined && origin !== `http://${req.headers.host}`) {
          refuse(res, 403, { code: 'invalid-input', message: 'An upload from another origin was refused.' });
          return true;
        }
        await upload(req, res, url);
        return true;
      }
      return false;
    },
  };
}

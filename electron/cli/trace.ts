/**
 * `gopherscope trace FILE [--json] [--perfetto OUT.json]`: summarizes a Go
 * execution trace with the same streaming engine the app uses, reading the
 * file a megabyte at a time (a 600 MB trace never sits in memory), and
 * optionally writes a Perfetto / chrome://tracing JSON in the same pass.
 * A broken trace prints what came before the damage and where it is.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { PerfettoExporter } from '../../shared/trace/perfetto';
import { createTraceReader, teeSinks, type TraceSink } from '../../shared/trace/reader';
import { formatTraceSummary } from '../../shared/trace/report';
import { TraceSummarizer } from '../../shared/trace/summary';

export interface TraceOutcome {
  readonly code: 0 | 1;
  readonly stdout: string;
  readonly stderr: string;
}

/** Waits when the output stream asks to, so a huge export is written at disk speed, not buffered. */
async function drain(out: WriteStream): Promise<void> {
  if (out.writableNeedDrain) await new Promise<void>((r) => out.once('drain', () => r()));
}

export async function traceFile(file: string, opts: { json?: boolean; perfetto?: string; onProgress?: (read: number, size: number) => void }): Promise<TraceOutcome> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    return { code: 1, stdout: '', stderr: `${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}` };
  }
  const summarizer = new TraceSummarizer();
  const out = opts.perfetto ? createWriteStream(opts.perfetto) : null;
  const exporter = out ? new PerfettoExporter((text) => out.write(text)) : null;
  const sink: TraceSink = exporter ? teeSinks(summarizer, exporter) : summarizer;
  const reader = createTraceReader(sink);
  try {
    const { size } = await fh.stat();
    const buf = Buffer.allocUnsafe(1 << 20);
    let read = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      reader.push(buf.subarray(0, bytesRead));
      read += bytesRead;
      opts.onProgress?.(read, size);
      if (out) await drain(out);
    }
  } finally {
    await fh.close();
  }
  const done = reader.finish();
  if (exporter && out) {
    exporter.end();
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
  const summary = summarizer.summary(done);
  const error = done.ok
    ? null
    : `${file}: at byte ${done.error.offset}: ${done.error.message}${summary.events > 0 ? ` (the summary covers the ${summary.generations} complete generations before it)` : ''}`;
  const stdout = opts.json ? `${JSON.stringify({ ok: done.ok, ...(done.ok ? {} : { error: done.error }), summary }, null, 1)}\n` : formatTraceSummary(summary);
  return {
    code: done.ok ? 0 : 1,
    stdout: summary.events > 0 || opts.json ? stdout : '',
    stderr: [error, opts.perfetto && done.ok ? `wrote ${opts.perfetto}: open it at https://ui.perfetto.dev` : null].filter(Boolean).join('\n'),
  };
}

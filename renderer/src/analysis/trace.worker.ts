/// <reference lib="webworker" />
/**
 * The trace timeline off the UI thread: the trace arrives in chunks and is
 * read as it comes (never assembled), giving the summary and the overview;
 * later, the bytes of a few generations give the detail of a time window.
 */
import { buildTimelineDetail, createTimelineReader, timelineBuffers } from '../../../shared/trace/timeline';
import type { TraceWorkerRequest, TraceWorkerResponse } from './traceClient';

const scope = self as unknown as { onmessage: ((e: MessageEvent<TraceWorkerRequest>) => void) | null; postMessage(m: TraceWorkerResponse, transfer?: Transferable[]): void };

let reader = createTimelineReader();
let received = 0;

scope.onmessage = (e) => {
  const req = e.data;
  try {
    if (req.type === 'chunk') {
      reader.push(req.bytes);
      received += req.bytes.length;
      scope.postMessage({ type: 'ack', bytes: received });
    } else if (req.type === 'finish') {
      const overview = reader.finish();
      reader = createTimelineReader();
      received = 0;
      scope.postMessage({ type: 'overview', overview }, timelineBuffers(overview));
    } else {
      const detail = buildTimelineDetail([req.header, req.body], req.fromNs, req.toNs);
      scope.postMessage({ type: 'detail', id: req.id, detail }, timelineBuffers(detail));
    }
  } catch (err) {
    // The reader reports bad input as data; this is a bug, said as such.
    scope.postMessage({ type: 'error', message: `the trace worker failed: ${(err as Error).message}` });
  }
};

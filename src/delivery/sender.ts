/**
 * Sends one request with undici over keep-alive pools. Redirects are not followed,
 * headers and body time out separately (a timed-out socket is destroyed, not reused),
 * and the SSRF guard runs again at connect time.
 */
import { Agent, errors, util, type Dispatcher } from 'undici';
import { flattenHeaders } from '../core/headers.js';
import { waitAtMost } from '../core/timeout.js';
import { guardedConnector } from './ssrf.js';
import type { OutboundRequest } from './request.js';

/** Stored response bodies are cut to this many bytes. */
export const MAX_STORED_BODY = 4096;

export interface SendResult {
  statusCode?: number;
  headers?: Record<string, string>;
  body?: string;
  durationMs: number;
  errorKind?: 'timeout' | 'connection' | 'ssrf' | 'invalid';
  error?: string;
}

export interface Sender {
  send(req: OutboundRequest, timeoutMs: number): Promise<SendResult>;
  close(graceMs?: number): Promise<void>;
}

/**
 * How long a new connection may take (DNS, TCP, TLS). A webhook's `timeout` starts once the
 * request is on a connection, so an attempt lasts at most this plus the timeout.
 */
export const CONNECT_TIMEOUT_MS = 10_000;

export function createSender(opts: { allowPrivate: boolean; connectTimeoutMs?: number }): Sender {
  const agent = new Agent({
    connect: guardedConnector(opts.allowPrivate, { timeout: opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS }),
    keepAliveTimeout: 30_000,
    pipelining: 1,
  });
  const target = targetCache();
  return {
    async send(req, timeoutMs) {
      const started = performance.now();
      try {
        const opts: Dispatcher.DispatchOptions = {
          ...target(req.url),
          method: req.method as Dispatcher.HttpMethod,
          headers: req.headers,
          body: req.body,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        };
        const res = await new Promise<CappedResponse>((resolve, reject) => agent.dispatch(opts, new CappedResponse(MAX_STORED_BODY, started + timeoutMs, resolve, reject)));
        return {
          statusCode: res.statusCode,
          headers: flattenHeaders(util.parseHeaders(res.rawHeaders)),
          body: res.text(),
          durationMs: Math.round(performance.now() - started),
        };
      } catch (err) {
        return { ...classifyError(err), durationMs: Math.round(performance.now() - started) };
      }
    },
    /** Waits for in-flight requests at most `graceMs`, then drops their sockets. */
    async close(graceMs = 2000) {
      await waitAtMost(graceMs, agent.close());
      await agent.destroy().catch(() => {});
    },
  };
}

/** How many URLs' parsed origin and path a sender keeps (an endpoint's URL is the same on every delivery). */
const TARGETS_KEPT = 1000;

/**
 * A URL's origin and path, as undici's `request(url, …)` would derive them, parsed once per
 * URL: `request` parses the URL string again on every call (a WHATWG URL and a copy of the
 * options each time). Same errors for a bad URL: ERR_INVALID_URL, or undici's invalid
 * argument for a protocol other than http(s).
 */
function targetCache() {
  const kept = new Map<string, { origin: string; path: string }>();
  return (url: string) => {
    let t = kept.get(url);
    if (!t) {
      const u = new URL(url);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new errors.InvalidArgumentError('Invalid URL protocol: the URL must start with `http:` or `https:`.');
      t = { origin: u.origin, path: u.pathname + u.search };
      if (kept.size >= TARGETS_KEPT) kept.delete(kept.keys().next().value!);
      kept.set(url, t);
    }
    return t;
  };
}

/**
 * A response read straight from undici's dispatcher, not through `request()`'s body stream
 * (a Readable, an AsyncResource and four listeners per delivery: 5–8 µs of CPU per request,
 * bench/experiments/sender-ab): keeps
 * the first `max` bytes, stops reading (and drops the connection) past 16 × `max`, and
 * fails a body still arriving at `deadline` (`bodyTimeout` restarts on every chunk, so a
 * trickling body is held to the attempt's deadline here).
 */
class CappedResponse implements Dispatcher.DispatchHandler {
  statusCode = 0;
  rawHeaders: Buffer[] = [];
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private settled = false;
  private abort: ((err?: Error) => void) | undefined;

  constructor(
    private readonly max: number,
    private readonly deadline: number,
    private readonly resolve: (r: CappedResponse) => void,
    private readonly reject: (err: Error) => void,
  ) {}

  /** The kept bytes as text (a character cut at the end of the kept bytes is replaced). */
  text(): string {
    return this.chunks.length === 1 ? this.chunks[0]!.toString('utf8') : Buffer.concat(this.chunks).toString('utf8');
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abort = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    // 1xx (informational) answers come before the response itself.
    if (statusCode >= 200) {
      this.statusCode = statusCode;
      this.rawHeaders = rawHeaders;
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.settled) return false;
    if (performance.now() > this.deadline) {
      this.settle(Object.assign(new Error('the response body took longer than the timeout'), { code: 'UND_ERR_BODY_TIMEOUT' }));
      this.abort?.();
      return false;
    }
    if (this.size < this.max) this.chunks.push(chunk.subarray(0, this.max - this.size));
    this.size += chunk.length;
    if (this.size >= this.max * 16) {
      // Enough of an endless or huge body: answer with what is kept, drop the connection.
      this.settle();
      this.abort?.();
      return false;
    }
    return true;
  }

  onComplete(): void {
    this.settle();
  }

  onError(err: Error): void {
    this.settle(err);
  }

  /** Answers once: with the response, or with `err`; whatever undici reports after that is ignored. */
  private settle(err?: Error) {
    if (this.settled) return;
    this.settled = true;
    if (err) this.reject(err);
    else this.resolve(this);
  }
}

function classifyError(err: unknown): Pick<SendResult, 'errorKind' | 'error'> {
  const e = err as { code?: string; message?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code ?? '';
  const message = e.message ?? String(err);
  if (code === 'ESSRF') return { errorKind: 'ssrf', error: message };
  if (/TIMEOUT|ETIMEDOUT/.test(code) || (err as Error)?.name === 'TimeoutError') return { errorKind: 'timeout', error: `timed out: ${message}` };
  if (code === 'ERR_INVALID_URL' || code === 'UND_ERR_INVALID_ARG' || code === 'ERR_INVALID_ARG_TYPE') {
    return { errorKind: 'invalid', error: message };
  }
  return { errorKind: 'connection', error: `${code || 'error'}: ${message}` };
}

/**
 * Sends one request with undici over keep-alive pools. Redirects are not followed,
 * headers and body time out separately (a timed-out socket is destroyed, not reused),
 * and the SSRF guard runs again at connect time.
 */
import { Agent, errors, type Dispatcher } from 'undici';
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
        const res = await agent.request({
          ...target(req.url),
          method: req.method,
          headers: req.headers,
          body: req.body,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        });
        // bodyTimeout restarts on every chunk, so a trickling body is also held to the attempt's deadline.
        const body = await readCapped(res.body, MAX_STORED_BODY, started + timeoutMs);
        return {
          statusCode: res.statusCode,
          headers: flattenHeaders(res.headers),
          body,
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
 * Keeps the first `max` bytes, then stops reading and drops the rest of the stream.
 * (Read by events: an async iterator over the body cost about 2.5 µs more per request.)
 */
function readCapped(body: Dispatcher.ResponseData['body'], max: number, deadline: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const done = (err?: Error) => {
      if (settled) return;
      settled = true;
      if (err) reject(err);
      else resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'));
    };
    body.on('data', (buf: Buffer) => {
      if (performance.now() > deadline) {
        body.destroy();
        return done(Object.assign(new Error('the response body took longer than the timeout'), { code: 'UND_ERR_BODY_TIMEOUT' }));
      }
      if (size < max) chunks.push(buf.subarray(0, max - size));
      size += buf.length;
      if (size >= max * 16) {
        body.destroy();
        done();
      }
    });
    body.on('end', () => done());
    body.on('error', done);
    // Closed without an end or an error: never a wait without end.
    body.on('close', () => settled || done(new Error('the response body was cut off')));
  });
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

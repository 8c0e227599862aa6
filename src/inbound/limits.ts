/**
 * Per-source rate limit and CORS answers. Pure apart from the in-memory bucket map;
 * the clock is handed in.
 */
import type { RateLimit } from '../store/sources.js';
import { isHeaderName } from '../core/headers.js';

/**
 * Token bucket per source: `requests` may burst at once, then they come back at
 * `requests / perSeconds` a second. Per process: with several API processes each one
 * allows the full rate (a shared store via REDIS_URL is the way to a global limit).
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number; limit: string }>();

  /** Takes a token; answers 0 when allowed, else the seconds until one is back. */
  take(key: string, rule: RateLimit, nowMs: number): number {
    const capacity = rule.requests;
    const perMs = rule.requests / (rule.perSeconds * 1000);
    const limit = `${rule.requests}/${rule.perSeconds}`;
    let b = this.buckets.get(key);
    // A changed rule starts a full bucket rather than carrying over the old arithmetic.
    if (!b || b.limit !== limit) {
      b = { tokens: capacity, at: nowMs, limit };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(capacity, b.tokens + (nowMs - b.at) * perMs);
    b.at = nowMs;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / perMs / 1000));
  }
}

/** What to answer a browser; `headers` go on every answer, errors included (so the browser can read the message). */
export type CorsDecision =
  /** No Origin header, or no CORS list: nothing to add, nothing to refuse. */
  | { kind: 'none'; headers: Record<string, string> }
  | { kind: 'allowed'; headers: Record<string, string> }
  | { kind: 'refused'; origin: string; headers: Record<string, string> };

const normalizeOrigin = (o: string) => o.trim().replace(/\/+$/, '').toLowerCase();

/**
 * CORS for a list of allowed origins (`scheme://host[:port]`, compared without case or a
 * trailing slash) or `["*"]`, which answers `*` to everyone. The one CORS decision of
 * inbound sources and the meetings app.
 */
export function corsFor(allowedOrigins: string[], origin: string | undefined): CorsDecision {
  const expose = { 'Access-Control-Expose-Headers': 'Retry-After' };
  if (allowedOrigins.includes('*')) return { kind: 'allowed', headers: { 'Access-Control-Allow-Origin': '*', ...expose } };
  if (!origin || allowedOrigins.length === 0) return { kind: 'none', headers: {} };
  if (allowedOrigins.some((o) => normalizeOrigin(o) === normalizeOrigin(origin))) {
    return { kind: 'allowed', headers: { 'Access-Control-Allow-Origin': origin, Vary: 'Origin', ...expose } };
  }
  return { kind: 'refused', origin, headers: { Vary: 'Origin' } };
}

/**
 * Preflight answer headers. `Content-Type` is always allowed (a browser sending JSON
 * needs it); other headers the browser asks for (e.g. a signature header) are echoed.
 */
export function preflightHeaders(allowed: Record<string, string>, requestedHeaders: string | undefined): Record<string, string> {
  const extra = (requestedHeaders ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h && isHeaderName(h) && h.toLowerCase() !== 'content-type');
  return {
    ...allowed,
    'Access-Control-Allow-Methods': 'POST, OPTIONS',
    'Access-Control-Allow-Headers': ['Content-Type', ...new Set(extra)].join(', '),
    'Access-Control-Max-Age': '600',
  };
}

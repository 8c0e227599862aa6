/**
 * Per-source rate limit and CORS answers. Pure apart from the in-memory bucket map;
 * the clock is handed in.
 */
import type { RateLimit, Source } from '../store/sources.js';

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

  forget(key: string): void {
    this.buckets.delete(key);
  }
}

export type CorsDecision =
  /** No Origin header, or the source has no CORS list: nothing to add, nothing to refuse. */
  | { kind: 'none' }
  | { kind: 'allowed'; headers: Record<string, string> }
  | { kind: 'refused'; origin: string };

export function corsFor(source: Pick<Source, 'allowedOrigins'>, origin: string | undefined): CorsDecision {
  if (!origin || source.allowedOrigins.length === 0) return { kind: 'none' };
  if (source.allowedOrigins.includes('*')) {
    return { kind: 'allowed', headers: { 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': 'Retry-After' } };
  }
  if (source.allowedOrigins.some((o) => o.toLowerCase() === origin.toLowerCase())) {
    return {
      kind: 'allowed',
      headers: { 'Access-Control-Allow-Origin': origin, Vary: 'Origin', 'Access-Control-Expose-Headers': 'Retry-After' },
    };
  }
  return { kind: 'refused', origin };
}

/**
 * Preflight answer headers. `Content-Type` is always allowed (a browser sending JSON
 * needs it); other headers the browser asks for (e.g. a signature header) are echoed.
 */
export function preflightHeaders(allowed: Record<string, string>, requestedHeaders: string | undefined): Record<string, string> {
  const extra = (requestedHeaders ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h && /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(h) && h.toLowerCase() !== 'content-type');
  return {
    ...allowed,
    'Access-Control-Allow-Methods': 'POST, OPTIONS',
    'Access-Control-Allow-Headers': ['Content-Type', ...new Set(extra)].join(', '),
    'Access-Control-Max-Age': '600',
  };
}

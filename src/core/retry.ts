// Retry schedule and outcome classification (SPEC §4.3). Pure: randomness and the
// current time are passed in so schedules are testable.

export interface RetryPolicy {
  /** Retries after the first attempt. 0 = one attempt only (seed 003). Default: 3 */
  maxRetries: number;
  /** Delay before the first retry, ms. Default: 1000 */
  retryDelay: number;
  /** Each further retry waits this many times longer. Default: 2 */
  backoffMultiplier: number;
  /** Cap on any single delay (also caps Retry-After), ms. Default: 30000 */
  maxRetryDelay: number;
}

/** Seed 001: retries after 1 s, 2 s, 4 s; never more than 30 s. */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxRetries: 3,
  retryDelay: 1000,
  backoffMultiplier: 2,
  maxRetryDelay: 30000,
});

/**
 * Delay in ms before attempt `attemptNumber + 1`, where `attemptNumber` attempts were
 * already made (≥ 1): `min(retryDelay · multiplier^(n-1), maxRetryDelay)` spread by at
 * most ±`jitter` (a fraction) so a burst of failures does not retry in lockstep.
 * The result stays within [0, maxRetryDelay].
 */
export function retryDelayMs(
  policy: RetryPolicy,
  attemptNumber: number,
  random: () => number,
  jitter = 0.2,
): number {
  const n = Math.max(1, Math.floor(attemptNumber));
  const cap = Math.max(0, policy.maxRetryDelay);
  if (policy.retryDelay <= 0) return 0;
  // multiplier^(n-1) may overflow to Infinity for large n; min() then yields the cap.
  const base = Math.min(policy.retryDelay * Math.pow(Math.max(1, policy.backoffMultiplier), n - 1), cap);
  const j = Math.min(Math.max(jitter, 0), 1);
  const r = random();
  const factor = 1 + j * (2 * (Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0.5) - 1);
  return Math.round(Math.min(Math.max(base * factor, 0), cap));
}

/**
 * Combine the backoff delay with a server's `Retry-After` (ms): wait at least what the
 * server asked, never beyond maxRetryDelay (SPEC: honoured up to maxRetryDelay).
 */
export function delayWithRetryAfter(policy: RetryPolicy, backoffMs: number, retryAfterMs: number | undefined): number {
  if (retryAfterMs === undefined) return backoffMs;
  return Math.min(Math.max(backoffMs, retryAfterMs), Math.max(0, policy.maxRetryDelay));
}

/** Whether another attempt is allowed after `attemptsMade` attempts (1 + maxRetries in all). */
export function shouldRetry(policy: RetryPolicy, attemptsMade: number): boolean {
  return attemptsMade < 1 + Math.max(0, Math.floor(policy.maxRetries));
}

/**
 * `Retry-After` → ms from `nowMs`. Accepts delay-seconds (digits only, per RFC 9110)
 * or an HTTP-date. Undefined when missing, unparsable, or in the past.
 */
export function parseRetryAfter(header: string | string[] | undefined, nowMs: number): number | undefined {
  const raw = Array.isArray(header) ? header[0] : header;
  if (raw === undefined) return undefined;
  const value = raw.trim();
  if (value === '') return undefined;
  if (/^\d+$/.test(value)) {
    const ms = Number(value) * 1000;
    return Number.isFinite(ms) ? ms : undefined;
  }
  // Date.parse is lenient (it accepts bare numbers like "-5"); an HTTP-date always has a
  // weekday/month name, so require letters before trusting it.
  if (!/[A-Za-z]/.test(value)) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  const ms = at - nowMs;
  return ms >= 0 ? ms : undefined;
}

export type OutcomeReason =
  | 'timeout'
  | 'connection'
  | 'http_5xx'
  | 'http_4xx'
  | 'http_429'
  | 'http_3xx'
  | 'gone'
  | 'ssrf'
  | 'invalid';

export interface Outcome {
  ok: boolean;
  /** The worker decides reschedule vs fail from this field alone. */
  retryable: boolean;
  /** Also the `X-{P}-Retry-Reason` value for the next attempt. */
  reason?: OutcomeReason;
  /** 410 Gone: the receiver asked us to stop; the webhook should be disabled. */
  disable?: boolean;
}

export interface AttemptResult {
  statusCode?: number;
  errorKind?: 'timeout' | 'connection' | 'ssrf' | 'invalid';
}

export function classifyOutcome(result: AttemptResult): Outcome {
  const { statusCode, errorKind } = result;
  if (errorKind === 'timeout' || errorKind === 'connection') return { ok: false, retryable: true, reason: errorKind };
  // A blocked target or a malformed request fails the same way on every try.
  if (errorKind === 'ssrf' || errorKind === 'invalid') return { ok: false, retryable: false, reason: errorKind };
  // No status and no error kind: the request never completed — treat like a dropped connection.
  if (statusCode === undefined) return { ok: false, retryable: true, reason: 'connection' };

  if (statusCode >= 200 && statusCode < 300) return { ok: true, retryable: false };
  if (statusCode === 410) return { ok: false, retryable: false, reason: 'gone', disable: true };
  if (statusCode === 429) return { ok: false, retryable: true, reason: 'http_429' };
  // Seed 001 retries every non-2xx (its Retry-Reason list includes http_4xx), so a 4xx —
  // often a receiver deploy/config glitch — is retried too, within the same budget.
  if (statusCode >= 400 && statusCode < 500) return { ok: false, retryable: true, reason: 'http_4xx' };
  // Redirects are never followed (a redirect could point at a private address and
  // would bypass the SSRF check). A 3xx is a failure; it is retried because a receiver
  // mid-migration may stop redirecting, and the budget bounds the cost.
  if (statusCode >= 300 && statusCode < 400) return { ok: false, retryable: true, reason: 'http_3xx' };
  // 5xx, and anything non-standard (1xx as final, ≥ 600), counts as a server-side failure.
  return { ok: false, retryable: true, reason: 'http_5xx' };
}

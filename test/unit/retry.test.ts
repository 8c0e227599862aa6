import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RETRY_POLICY,
  classifyOutcome,
  delayWithRetryAfter,
  parseRetryAfter,
  retryDelayMs,
  shouldRetry,
} from '../../src/core/retry.js';

const mid = () => 0.5; // jitter factor exactly 1

describe('retryDelayMs', () => {
  it('follows seed 001 with no jitter: 1 s, 2 s, 4 s', () => {
    expect([1, 2, 3].map((n) => retryDelayMs(DEFAULT_RETRY_POLICY, n, Math.random, 0))).toEqual([1000, 2000, 4000]);
    expect([1, 2, 3].map((n) => retryDelayMs(DEFAULT_RETRY_POLICY, n, mid))).toEqual([1000, 2000, 4000]);
  });

  it('caps at maxRetryDelay, also for huge attempt numbers', () => {
    expect(retryDelayMs(DEFAULT_RETRY_POLICY, 6, mid)).toBe(30000); // 32 s → 30 s
    expect(retryDelayMs(DEFAULT_RETRY_POLICY, 5000, () => 0.999)).toBe(30000);
    expect(retryDelayMs(DEFAULT_RETRY_POLICY, 5000, () => 0)).toBe(24000);
  });

  it('keeps jitter within ±20 %', () => {
    expect(retryDelayMs(DEFAULT_RETRY_POLICY, 2, () => 0)).toBe(1600);
    expect(retryDelayMs(DEFAULT_RETRY_POLICY, 2, () => 0.9999999)).toBe(2400);
    for (let i = 0; i < 500; i++) {
      const d = retryDelayMs(DEFAULT_RETRY_POLICY, 3, Math.random);
      expect(d).toBeGreaterThanOrEqual(3200);
      expect(d).toBeLessThanOrEqual(4800);
    }
  });

  it('never goes negative or past the cap', () => {
    const p = { ...DEFAULT_RETRY_POLICY, maxRetryDelay: 1500 };
    expect(retryDelayMs(p, 1, () => 0.99, 0.9)).toBeLessThanOrEqual(1500);
    expect(retryDelayMs(p, 1, () => 0, 5)).toBe(0);
    expect(retryDelayMs({ ...p, retryDelay: 0 }, 3, mid)).toBe(0);
  });
});

describe('delayWithRetryAfter', () => {
  it('waits at least Retry-After, up to maxRetryDelay', () => {
    expect(delayWithRetryAfter(DEFAULT_RETRY_POLICY, 1000, undefined)).toBe(1000);
    expect(delayWithRetryAfter(DEFAULT_RETRY_POLICY, 1000, 5000)).toBe(5000);
    expect(delayWithRetryAfter(DEFAULT_RETRY_POLICY, 4000, 1000)).toBe(4000);
    expect(delayWithRetryAfter(DEFAULT_RETRY_POLICY, 1000, 3_600_000)).toBe(30000);
  });
});

describe('shouldRetry', () => {
  it('allows 1 + maxRetries attempts', () => {
    expect([1, 2, 3, 4].map((n) => shouldRetry(DEFAULT_RETRY_POLICY, n))).toEqual([true, true, true, false]);
  });
  it('maxRetries 0 means one attempt only', () => {
    const p = { ...DEFAULT_RETRY_POLICY, maxRetries: 0 };
    expect(shouldRetry(p, 0)).toBe(true);
    expect(shouldRetry(p, 1)).toBe(false);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2024-01-01T12:00:00Z');
  it('reads seconds', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter(['5', '9'], now)).toBe(5000);
  });
  it('reads an HTTP-date relative to now', () => {
    expect(parseRetryAfter('Mon, 01 Jan 2024 12:00:30 GMT', now)).toBe(30_000);
  });
  it('rejects garbage, negatives and past dates', () => {
    for (const v of [undefined, '', 'soon', '-5', '1.5', '1e3', 'Mon, 01 Jan 2024 11:59:00 GMT', []]) {
      expect(parseRetryAfter(v as string | string[] | undefined, now)).toBeUndefined();
    }
  });
});

describe('classifyOutcome', () => {
  it.each([
    [{ statusCode: 200 }, { ok: true, retryable: false }],
    [{ statusCode: 204 }, { ok: true, retryable: false }],
    [{ statusCode: 410 }, { ok: false, retryable: false, reason: 'gone', disable: true }],
    [{ statusCode: 429 }, { ok: false, retryable: true, reason: 'http_429' }],
    [{ statusCode: 400 }, { ok: false, retryable: true, reason: 'http_4xx' }],
    [{ statusCode: 404 }, { ok: false, retryable: true, reason: 'http_4xx' }],
    [{ statusCode: 500 }, { ok: false, retryable: true, reason: 'http_5xx' }],
    [{ statusCode: 503 }, { ok: false, retryable: true, reason: 'http_5xx' }],
    [{ statusCode: 301 }, { ok: false, retryable: true, reason: 'http_3xx' }],
    [{ statusCode: 307 }, { ok: false, retryable: true, reason: 'http_3xx' }],
    [{ errorKind: 'timeout' }, { ok: false, retryable: true, reason: 'timeout' }],
    [{ errorKind: 'connection' }, { ok: false, retryable: true, reason: 'connection' }],
    [{ errorKind: 'ssrf' }, { ok: false, retryable: false, reason: 'ssrf' }],
    [{ errorKind: 'invalid' }, { ok: false, retryable: false, reason: 'invalid' }],
    [{}, { ok: false, retryable: true, reason: 'connection' }],
  ] as const)('%o → %o', (input, expected) => {
    expect(classifyOutcome(input)).toEqual(expected);
  });
});

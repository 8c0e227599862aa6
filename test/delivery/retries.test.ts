import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers/server.js';
import { receiverPool, waitForDelivery, withServer } from '../helpers/fixtures.js';

let s: TestServer;
withServer((x) => (s = x));
const receiver = receiverPool();

// Each test's webhook listens on its own channel, so earlier tests' webhooks stay out of the way.
let channel = '';
async function webhook(url: string, extra: Record<string, unknown> = {}) {
  channel = `c${Math.random().toString(36).slice(2)}`;
  const r = await s.api('POST', '/v1/webhooks', { body: { url, events: ['message.created'], channels: [channel], ...extra } });
  expect(r.status).toBe(201);
  return r.body.data;
}

async function publish(data: unknown = { n: 1 }) {
  const r = await s.api('POST', '/v1/events', { body: { type: 'message.created', data, channels: [channel] } });
  expect(r.status).toBe(202);
  expect(r.body.data.deliveries).toHaveLength(1);
  return r.body.data;
}

/** One attempt to `url` (webhook timeout `timeoutMs`, no retries) ends failed with `reason` within `withinMs` of the publish. */
async function failsWithin(url: string, timeoutMs: number, reason: string, withinMs: number): Promise<void> {
  await webhook(url, { timeout: timeoutMs, retryPolicy: { maxRetries: 0 } });
  const t0 = Date.now();
  const ev = await publish();
  const d = await waitForDelivery(s, ev.deliveries[0].id, 'failed');
  expect(d.attemptLog[0].retryReason).toBe(reason);
  expect(Date.now() - t0).toBeLessThan(withinMs);
}

/** A raw HTTP server on loopback, for answers the receiver helper cannot give (a cut-off or trickled body); closed, connections and all, after `fn`. */
async function withRawServer(handler: http.RequestListener, fn: (origin: string) => Promise<void>): Promise<void> {
  const srv = http.createServer(handler);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  try {
    await fn(`http://127.0.0.1:${(srv.address() as AddressInfo).port}`);
  } finally {
    srv.closeAllConnections();
    srv.close();
  }
}

describe('retries (seed 001 policy)', () => {
  it('fails 3 times then succeeds: attempts at ≈0, 1, 2, 4 s with retry headers; the log shows 4 attempts, delivered', async () => {
    const rcv = await receiver((_r, i) => (i < 3 ? { status: 500, body: 'boom' } : { status: 200, body: 'OK' }));
    const w = await webhook(rcv.url);
    const t0 = Date.now();
    const ev = await publish();
    const got = await rcv.waitFor(4, 15_000);
    const offsets = got.map((r) => (r.at - t0) / 1000);
    // Delays 1 s, 2 s, 4 s with at most ±20 % jitter, each fired within 250 ms.
    expect(offsets[0]).toBeLessThan(0.5);
    const gaps = [offsets[1] - offsets[0], offsets[2] - offsets[1], offsets[3] - offsets[2]];
    [1, 2, 4].forEach((expected, i) => {
      expect(gaps[i]).toBeGreaterThanOrEqual(expected * 0.8 - 0.05);
      expect(gaps[i]).toBeLessThanOrEqual(expected * 1.2 + 0.25);
    });
    const ids = new Set(got.map((r) => r.headers['x-hookbridge-delivery']));
    expect(ids.size).toBe(1);
    expect(got[0].headers['x-hookbridge-retry-count']).toBeUndefined();
    expect(got.slice(1).map((r) => r.headers['x-hookbridge-retry-count'])).toEqual(['1', '2', '3']);
    expect(got.slice(1).map((r) => r.headers['x-hookbridge-retry-reason'])).toEqual(['http_5xx', 'http_5xx', 'http_5xx']);
    // Retry-After: seconds until the next try should this one fail; none on the last attempt.
    expect(Number(got[1].headers['x-hookbridge-retry-after'])).toBeGreaterThanOrEqual(2 * 0.8 - 0.5);
    expect(got[3].headers['x-hookbridge-retry-after']).toBeUndefined();
    // The same body bytes on every attempt.
    expect(new Set(got.map((r) => r.body)).size).toBe(1);

    const d = await waitForDelivery(s, ev.deliveries[0].id, 'delivered');
    expect(d.attempts).toBe(4);
    const logs = await s.api('GET', `/v1/webhooks/${w.id}/logs`);
    expect(logs.status).toBe(200);
    const rec = logs.body.data.find((l: any) => l.id === ev.deliveries[0].id);
    expect(rec).toMatchObject({ eventId: ev.id, eventType: 'message.created', status: 'delivered', attempts: 4, response: { statusCode: 200, body: 'OK' } });
    expect(typeof rec.responseTime).toBe('number');
    expect(Date.parse(rec.deliveredAt)).toBeGreaterThan(t0);
    const detail = await s.api('GET', `/v1/webhooks/${w.id}/logs/${rec.id}`);
    const attempts = detail.body.data.attemptLog;
    expect(attempts.map((a: any) => a.response.statusCode)).toEqual([500, 500, 500, 200]);
    expect(attempts[0].response.body).toBe('boom');
    expect(attempts[0].request.headers['X-Hookbridge-Signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(JSON.parse(attempts[0].request.body).id).toBe(ev.id);
    expect(attempts.slice(0, 3).map((a: any) => a.retryReason)).toEqual(['http_5xx', 'http_5xx', 'http_5xx']);
  }, 30_000);

  it('maxRetries 0 means one attempt only, then failed', async () => {
    const rcv = await receiver(() => ({ status: 503, body: 'down' }));
    await webhook(rcv.url, { retryPolicy: { maxRetries: 0 } });
    const ev = await publish();
    const d = await waitForDelivery(s, ev.deliveries[0].id, 'failed');
    await new Promise((r) => setTimeout(r, 1500));
    expect(rcv.requests).toHaveLength(1);
    expect(d.attempts).toBe(1);
    expect(d.statusCode ?? d.response.statusCode).toBe(503);
  });

  it('honours Retry-After on 429 up to maxRetryDelay', async () => {
    const rcv = await receiver((_r, i) => (i === 0 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 }));
    await webhook(rcv.url, { retryPolicy: { maxRetries: 1, retryDelay: 100, maxRetryDelay: 5000 } });
    await publish();
    const got = await rcv.waitFor(2, 10_000);
    const gap = got[1].at - got[0].at;
    expect(gap).toBeGreaterThanOrEqual(950);
    expect(gap).toBeLessThan(1600);
    expect(got[1].headers['x-hookbridge-retry-reason']).toBe('http_429');
  });
});

describe('outcomes', () => {
  it('a timeout ends failed with reason timeout', async () => {
    const rcv = await receiver(() => 'hang');
    await webhook(rcv.url, { timeout: 300, retryPolicy: { maxRetries: 0 } });
    const ev = await publish();
    const d = await waitForDelivery(s, ev.deliveries[0].id, 'failed');
    expect(d.error).toMatch(/timed out/i);
    expect(d.attemptLog[0].retryReason).toBe('timeout');
    expect(d.attemptLog[0].duration).toBeGreaterThanOrEqual(250);
  });

  it('a large answer: its first 4096 bytes are stored, the delivery succeeds', async () => {
    const rcv = await receiver(() => ({ status: 200, body: 'a'.repeat(4000) + 'é'.repeat(1000) + 'z'.repeat(300_000) }));
    await webhook(rcv.url, { retryPolicy: { maxRetries: 0 } });
    const ev = await publish();
    const d = await waitForDelivery(s, ev.deliveries[0].id, 'delivered');
    const body: string = d.attemptLog[0].response.body;
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(4096);
    expect(body.startsWith('a'.repeat(4000) + 'é'.repeat(40))).toBe(true);
    expect(body).not.toContain('z');
  });

  it('an answer cut off mid-body fails the attempt as a connection error, not a hang', async () => {
    const cutOff: http.RequestListener = (_req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('x'.repeat(100), () => res.socket?.destroy());
    };
    await withRawServer(cutOff, async (origin) => {
      await failsWithin(`${origin}/cut`, 5000, 'connection', 4000);
    });
  });

  it('a body trickled slower than the timeout ends as a timeout (the deadline covers the whole attempt)', async () => {
    const timers = new Set<NodeJS.Timeout>();
    const trickle: http.RequestListener = (_req, res) => {
      res.writeHead(200);
      const t = setInterval(() => res.write('.'), 100);
      timers.add(t);
      setTimeout(() => {
        clearInterval(t);
        res.end();
      }, 3000).unref();
    };
    try {
      await withRawServer(trickle, async (origin) => {
        await failsWithin(`${origin}/slow`, 500, 'timeout', 2500);
      });
    } finally {
      timers.forEach(clearInterval);
    }
  });

  it('a refused connection is retried with reason connection, then failed', async () => {
    const rcv = await receiver(() => ({ status: 200 }));
    const url = rcv.url;
    await rcv.close();
    await webhook(url, { retryPolicy: { maxRetries: 1, retryDelay: 100 } });
    const ev = await publish();
    const d = await waitForDelivery(s, ev.deliveries[0].id, 'failed');
    expect(d.attempts).toBe(2);
    expect(d.attemptLog.map((a: any) => a.retryReason)).toEqual(['connection', 'connection']);
    expect(d.error).toMatch(/ECONNREFUSED/);
  });

  it('a 3xx is a failure and the redirect is not followed', async () => {
    const target = await receiver(() => ({ status: 200 }));
    const rcv = await receiver(() => ({ status: 302, headers: { location: `${target.url}/elsewhere` } }));
    await webhook(rcv.url, { retryPolicy: { maxRetries: 0 } });
    const ev = await publish();
    const d = await waitForDelivery(s, ev.deliveries[0].id, 'failed');
    expect(d.attemptLog[0].response.statusCode).toBe(302);
    expect(target.requests).toHaveLength(0);
  });

  it('410 Gone disables the webhook at once and records webhook.disabled', async () => {
    const rcv = await receiver(() => ({ status: 410, body: 'gone' }));
    const w = await webhook(rcv.url);
    const ev = await publish();
    const d = await waitForDelivery(s, ev.deliveries[0].id, 'failed');
    expect(d.attempts).toBe(1);
    const after = await s.api('GET', `/v1/webhooks/${w.id}`);
    expect(after.body.data.active).toBe(false);
    expect(after.body.data.disabledReason).toMatch(/410/);
    const events = await s.api('GET', '/v1/events?type=webhook.disabled');
    expect(events.body.data.some((e: any) => e.data.webhookId === w.id)).toBe(true);
    // Disabled: events published now do not reach it.
    const later = await s.api('POST', '/v1/events', { body: { type: 'message.created', data: {}, channels: [channel] } });
    expect(later.body.data.deliveries).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 300));
    expect(rcv.requests).toHaveLength(1);
  });
});

/**
 * Read endpoints the dashboard adds to the API: statistics over time (per webhook and per
 * event type), the list of per-space webhooks, and replay of a bounded window.
 */
import { describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers/server.js';
import { channel, receiverPool, waitForDelivery, withServer } from '../helpers/fixtures.js';
import { expectError, expectOk } from '../api/_support.js';

let s: TestServer;
withServer((x) => (s = x));
const receiver = receiverPool();

describe('GET /v1/stats/series', () => {
  it('buckets deliveries and attempt latencies: success rate and p50/p95/p99 per bucket, per webhook and per event type', async () => {
    const rcv = await receiver((r) => (JSON.parse(r.body).data.fail ? { status: 503 } : { status: 200, delayMs: 20 }));
    const ch = channel(s);
    const w = await ch.webhook(rcv.url, { events: ['message.created', 'message.deleted'], retryPolicy: { maxRetries: 0 } });
    const start = new Date(Date.now() - 1000).toISOString();
    const evs = [await ch.publish({ n: 1 }), await ch.publish({ n: 2 }), await ch.publish({ n: 3 }, 'message.deleted'), await ch.publish({ fail: true })];
    for (const [i, e] of evs.entries()) await waitForDelivery(s, e.deliveries[0].id, i === 3 ? 'failed' : 'delivered');
    const end = new Date(Date.now() + 1000).toISOString();

    const all = expectOk(await s.api('GET', `/v1/stats/series?webhookId=${w.id}&startDate=${start}&endDate=${end}&buckets=4`));
    expect(all).toMatchObject({ webhookId: w.id, eventType: null, points: expect.any(Array) });
    expect(all.points).toHaveLength(4);
    expect(all.bucketSeconds * 4 * 1000).toBeGreaterThanOrEqual(Date.parse(end) - Date.parse(start));
    const sum = (k: 'total' | 'successful' | 'failed' | 'attempts') => all.points.reduce((a: number, p: any) => a + p[k], 0);
    expect({ total: sum('total'), successful: sum('successful'), failed: sum('failed'), attempts: sum('attempts') }).toEqual({ total: 4, successful: 3, failed: 1, attempts: 4 });
    for (const p of all.points.filter((p: any) => p.total > 0)) expect(p.successRate).toBeCloseTo(p.successful / (p.successful + p.failed), 3);
    // Attempts count in the bucket of their own time, deliveries in that of their creation: a
    // delivery made just before a bucket's end has its attempt in the next one (PostgreSQL CI).
    const timed = all.points.filter((p: any) => p.attempts > 0);
    for (const p of timed) expect(p.responseTimes.p99).toBeGreaterThanOrEqual(p.responseTimes.p50);
    expect(Math.max(...timed.map((p: any) => p.responseTimes.p99))).toBeGreaterThanOrEqual(20);
    for (const p of all.points.filter((p: any) => p.attempts === 0)) expect(p.responseTimes).toBeNull();
    for (const p of all.points.filter((p: any) => p.total === 0)) expect(p.successRate).toBeNull();

    const deleted = expectOk(await s.api('GET', `/v1/stats/series?webhookId=${w.id}&eventType=message.deleted&startDate=${start}&endDate=${end}&buckets=1`));
    expect(deleted.points[0]).toMatchObject({ total: 1, successful: 1, failed: 0, successRate: 1, attempts: 1 });

    // Without a webhook: every webhook of the project, so at least these four.
    const project = expectOk(await s.api('GET', `/v1/stats/series?startDate=${start}&endDate=${end}&buckets=1`));
    expect(project.points[0].total).toBeGreaterThanOrEqual(4);
  });

  it('bad input is a 400 or 404 in the envelope', async () => {
    expectError(await s.api('GET', '/v1/stats/series?startDate=yesterday'), 400, 'VALIDATION_ERROR');
    expectError(await s.api('GET', '/v1/stats/series?startDate=2024-02-01&endDate=2024-01-01'), 400, 'VALIDATION_ERROR');
    expectError(await s.api('GET', '/v1/stats/series?buckets=0'), 400, 'VALIDATION_ERROR');
    expectError(await s.api('GET', '/v1/stats/series?buckets=501'), 400, 'VALIDATION_ERROR');
    expectError(await s.api('GET', '/v1/stats/series?webhookId=wh_nope'), 404, 'NOT_FOUND');
    expectError(await s.api('GET', '/v1/stats/series', { token: null }), 401, 'UNAUTHORIZED');
  });
});

describe('GET /v1/spaces', () => {
  it('lists the per-space webhooks (never their secrets), which GET /v1/webhooks leaves out', async () => {
    const before = expectOk(await s.api('GET', '/v1/spaces')).length;
    const made = await s.api('POST', '/v1/spaces/room-42/webhook', { body: { url: 'https://example.com/ld' } });
    expect(made.status, made.text).toBe(200);
    const res = await s.api('GET', '/v1/spaces');
    const list = expectOk(res);
    expect(list).toHaveLength(before + 1);
    const row = list.find((r: any) => r.spaceId === 'room-42');
    expect(row).toMatchObject({ spaceId: 'room-42', url: 'https://example.com/ld', isActive: true, webhookId: expect.stringMatching(/^wh_/) });
    expect(res.text).not.toContain(made.body.secret);
    expect(res.body.pagination).toMatchObject({ total: before + 1 });
    // Its deliveries are read through the usual webhook log.
    expectOk(await s.api('GET', `/v1/webhooks/${row.webhookId}/logs`));
  });
});

describe('POST /v1/webhooks/{id}/replay with until', () => {
  it('replays only the window [since, until)', async () => {
    let up = false;
    const rcv = await receiver(() => (up ? { status: 200 } : { status: 500 }));
    const ch = channel(s);
    const w = await ch.webhook(rcv.url, { retryPolicy: { maxRetries: 0 } });
    const early = await ch.publish({ n: 1 });
    await waitForDelivery(s, early.deliveries[0].id, 'failed');
    await new Promise((r) => setTimeout(r, 30));
    const cut = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 30));
    const late = await ch.publish({ n: 2 });
    await waitForDelivery(s, late.deliveries[0].id, 'failed');
    up = true;
    const since = new Date(Date.now() - 60_000).toISOString();
    const r = expectOk(await s.api('POST', `/v1/webhooks/${w.id}/replay`, { body: { since, until: cut } }), 202);
    expect(r).toMatchObject({ requeued: 1, created: 0, until: cut });
    await waitForDelivery(s, early.deliveries[0].id, 'delivered');
    expect(expectOk(await s.api('GET', `/v1/deliveries/${late.deliveries[0].id}`)).status).toBe('failed');

    for (const until of ['soon', since]) {
      const err = expectError(await s.api('POST', `/v1/webhooks/${w.id}/replay`, { body: { since, until } }), 422, 'VALIDATION_ERROR');
      expect(err.details[0].field).toBe('until');
    }
  });
});

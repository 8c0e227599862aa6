import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { CONNECT_TIMEOUT_MS } from '../../src/delivery/sender.js';
import type { TestServer } from '../helpers/server.js';
import { channel, receiverPool, waitForDelivery, withServer } from '../helpers/fixtures.js';
import { worstSecond } from '../helpers/receiver.js';

let s: TestServer;
withServer((x) => (s = x));
const receiver = receiverPool();

describe('test send, logs and stats', () => {
  it('POST /test sends to this webhook only and answers with the attempt result', async () => {
    const rcv = await receiver(() => ({ status: 201, body: 'created!' }));
    const other = await receiver();
    const ch = channel(s);
    const w = await ch.webhook(rcv.url);
    await ch.webhook(other.url);
    const r = await s.api('POST', `/v1/webhooks/${w.id}/test`, {
      body: { eventType: 'message.created', data: { id: 'test_msg_123', content: 'Test message' } },
    });
    expect(r.status).toBe(200);
    expect(r.body.data).toMatchObject({ status: 'delivered', success: true, attempt: { statusCode: 201, body: 'created!' } });
    expect(rcv.requests).toHaveLength(1);
    expect(JSON.parse(rcv.requests[0].body).data).toEqual({ id: 'test_msg_123', content: 'Test message' });
    expect(other.requests).toHaveLength(0);
    const bad = await s.api('POST', `/v1/webhooks/${w.id}/test`, { body: { eventType: 'no.such.event' } });
    expect(bad.status).toBe(422);
  });

  it('POST /test to a host whose handshake hangs answers with the failed attempt once the connection gives up, whatever the webhook timeout', async () => {
    // Accepts TCP connections and never says a word: the TLS handshake of https:// never ends.
    const silent = net.createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const sockets = new Set<net.Socket>();
    silent.on('connection', (c) => sockets.add(c));
    try {
      const port = (silent.address() as net.AddressInfo).port;
      const w = await channel(s).webhook(`https://127.0.0.1:${port}/hook`, { timeout: 100, retryPolicy: { maxRetries: 0 } });
      const started = Date.now();
      const r = await s.api('POST', `/v1/webhooks/${w.id}/test`, { body: { eventType: 'message.created', data: { n: 1 } } });
      expect(r.status, r.text).toBe(200);
      // It was "attempt": null after 5.1 s (timeout + 5 s), while the attempt was still connecting.
      expect(r.body.data).toMatchObject({ status: 'failed', success: false, attempt: { statusCode: null } });
      expect(r.body.data.attempt.error).toMatch(/connect/i);
      expect(Date.now() - started).toBeGreaterThanOrEqual(CONNECT_TIMEOUT_MS - 500);
    } finally {
      for (const c of sockets) c.destroy();
      silent.close();
    }
  }, 30_000);

  it('POST /test to an inactive webhook is a 409 saying so, and records no delivery', async () => {
    const rcv = await receiver();
    const ch = channel(s);
    const w = await ch.webhook(rcv.url, { active: false });
    const r = await s.api('POST', `/v1/webhooks/${w.id}/test`, { body: { eventType: 'message.created', data: { n: 1 } } });
    expect({ status: r.status, code: r.body.error?.code }).toEqual({ status: 409, code: 'CONFLICT' });
    expect(r.body.success).toBe(false);
    expect(r.body.error.message).toMatch(/inactive/);
    expect(r.body.error.message).toMatch(/"active": true/);
    expect((await s.api('GET', `/v1/deliveries?webhookId=${w.id}`)).body.pagination.total).toBe(0);
    expect((await s.api('GET', `/v1/deliveries?status=failed&webhookId=${w.id}`)).body.pagination.total).toBe(0);
    expect((await s.api('GET', `/v1/webhooks/${w.id}/logs`)).body.pagination.total).toBe(0);
    expect(rcv.requests).toHaveLength(0);
    // Once active again, the test send goes through.
    expect((await s.api('PUT', `/v1/webhooks/${w.id}`, { body: { active: true } })).status).toBe(200);
    const again = await s.api('POST', `/v1/webhooks/${w.id}/test`, { body: { eventType: 'message.created', data: { n: 2 } } });
    expect(again.body.data).toMatchObject({ status: 'delivered', success: true });
    expect(rcv.requests).toHaveLength(1);
  });

  it('logs paginate newest first and filter by status; stats answer the seed 001 shape', async () => {
    const rcv = await receiver((r) => (JSON.parse(r.body).data.ok ? { status: 200 } : { status: 500, body: 'nope' }));
    const ch = channel(s);
    const w = await ch.webhook(rcv.url, { retryPolicy: { maxRetries: 0 } });
    const evs = [];
    for (const ok of [true, true, true, false]) evs.push(await ch.publish({ ok }));
    await waitForDelivery(s, evs[3].deliveries[0].id, 'failed');
    for (const e of evs.slice(0, 3)) await waitForDelivery(s, e.deliveries[0].id, 'delivered');

    const page1 = await s.api('GET', `/v1/webhooks/${w.id}/logs?limit=2&offset=0`);
    expect(page1.body.pagination).toEqual({ total: 4, limit: 2, offset: 0, hasMore: true });
    expect(page1.body.data[0].eventId).toBe(evs[3].id);
    const failed = await s.api('GET', `/v1/webhooks/${w.id}/logs?status=failed`);
    expect(failed.body.data).toHaveLength(1);
    expect(failed.body.data[0]).toMatchObject({ status: 'failed', attempts: 1, response: { statusCode: 500, body: 'nope' } });

    const today = new Date().toISOString().slice(0, 10);
    const tomorrow = new Date(Date.now() + 86400_000).toISOString().slice(0, 10);
    const st = await s.api('GET', `/v1/webhooks/${w.id}/stats?startDate=${today}&endDate=${tomorrow}`);
    expect(st.status).toBe(200);
    expect(st.body.data).toMatchObject({
      webhookId: w.id,
      period: { startDate: `${today}T00:00:00Z`, endDate: `${tomorrow}T00:00:00Z` },
      delivery: { total: 4, successful: 3, failed: 1, successRate: 0.75 },
      events: { 'message.created': 4 },
    });
    const rt = st.body.data.responseTimes;
    expect(Object.keys(rt).sort()).toEqual(['average', 'p50', 'p95', 'p99']);
    expect(rt.p99).toBeGreaterThanOrEqual(rt.p50);
    const badRange = await s.api('GET', `/v1/webhooks/${w.id}/stats?startDate=tomorrow`);
    expect(badRange.status).toBe(400);
    expect(badRange.body.success).toBe(false);
  });
});

describe('errors view, retry and replay', () => {
  it('GET /v1/deliveries?status=failed lists failures with webhook name, and retry redelivers', async () => {
    let up = false;
    const rcv = await receiver(() => (up ? { status: 200 } : { status: 502, body: 'bad gateway' }));
    const ch = channel(s);
    const w = await ch.webhook(rcv.url, { name: 'CRM sync', retryPolicy: { maxRetries: 0 } });
    const ev = await ch.publish();
    const dlv = ev.deliveries[0].id;
    await waitForDelivery(s, dlv, 'failed');
    const errs = await s.api('GET', `/v1/deliveries?status=failed&webhookId=${w.id}`);
    expect(errs.body.data).toHaveLength(1);
    expect(errs.body.data[0]).toMatchObject({ id: dlv, webhookName: 'CRM sync', eventType: 'message.created', statusCode: 502, status: 'failed' });
    expect(errs.body.data[0].error).toMatch(/502/);
    expect(Date.parse(errs.body.data[0].createdAt)).not.toBeNaN();

    up = true;
    const retry = await s.api('POST', `/v1/deliveries/${dlv}/retry`);
    expect(retry.status).toBe(202);
    const done = await waitForDelivery(s, dlv, 'delivered');
    expect(done.attempts).toBe(2);
    expect(rcv.requests).toHaveLength(2);
    expect((await s.api('POST', '/v1/deliveries/dlv_nope/retry')).status).toBe(404);
  });

  it('a delivery in a worker\'s hands is due now, not at the end of its lease', async () => {
    const rcv = await receiver(() => ({ status: 200, delayMs: 1500 }));
    const ch = channel(s);
    await ch.webhook(rcv.url);
    const ev = await ch.publish({ n: 1 });
    await rcv.waitFor(1); // the request arrived; its answer comes 1.5 s later
    const d = (await s.api('GET', `/v1/deliveries/${ev.deliveries[0].id}`)).body.data;
    expect(d.status).toBe('pending');
    expect(Date.parse(d.nextAttemptAt)).toBeLessThanOrEqual(Date.now());
    await waitForDelivery(s, ev.deliveries[0].id, 'delivered');
  });

  it('a delivered delivery sent again: deliveredAt is empty while it is pending, then the new time', async () => {
    const rcv = await receiver((_req, i) => ({ status: 200, delayMs: i === 0 ? 0 : 1500 }));
    const ch = channel(s);
    await ch.webhook(rcv.url);
    const ev = await ch.publish({ n: 1 });
    const id = ev.deliveries[0].id;
    const first = Date.parse((await waitForDelivery(s, id, 'delivered')).deliveredAt);
    expect((await s.api('POST', `/v1/deliveries/${id}/retry`)).status).toBe(202);
    await rcv.waitFor(2); // the second request arrived; its answer comes 1.5 s later
    const pending = (await s.api('GET', `/v1/deliveries/${id}`)).body.data;
    expect(pending).toMatchObject({ status: 'pending', deliveredAt: null });
    const again = await waitForDelivery(s, id, 'delivered');
    expect(Date.parse(again.deliveredAt)).toBeGreaterThan(first);
  });

  it('a retry that comes due after its webhook was turned off fails without a request, and its log shows none', async () => {
    const rcv = await receiver(() => ({ status: 500 }));
    const ch = channel(s);
    const w = await ch.webhook(rcv.url, { retryPolicy: { maxRetries: 3, retryDelay: 400 } });
    const ev = await ch.publish({ n: 1 });
    await rcv.waitFor(1);
    await s.api('PUT', `/v1/webhooks/${w.id}`, { body: { active: false } });
    const d = await waitForDelivery(s, ev.deliveries[0].id, 'failed');
    expect(rcv.requests).toHaveLength(1);
    const last = d.attemptLog.at(-1);
    expect(last.error).toBe('webhook is inactive');
    expect(last.response).toBeNull();
    // No request was made: no body either (not the event's payload).
    expect(last.request.body).toBe('');
  });

  it('replay sends failed deliveries again and events missed while the webhook was inactive', async () => {
    let up = false;
    const rcv = await receiver(() => (up ? { status: 200 } : { status: 500 }));
    const ch = channel(s);
    const since = new Date(Date.now() - 1000).toISOString();
    const w = await ch.webhook(rcv.url, { retryPolicy: { maxRetries: 0 } });
    const failedEv = await ch.publish({ n: 1 });
    await waitForDelivery(s, failedEv.deliveries[0].id, 'failed');
    await s.api('PUT', `/v1/webhooks/${w.id}`, { body: { active: false } });
    const missed = await ch.publish({ n: 2 });
    expect(missed.deliveries).toHaveLength(0);
    await s.api('PUT', `/v1/webhooks/${w.id}`, { body: { active: true } });
    up = true;
    const r = await s.api('POST', `/v1/webhooks/${w.id}/replay`, { body: { since } });
    expect(r.status).toBe(202);
    expect(r.body.data).toMatchObject({ requeued: 1, created: 1 });
    await rcv.waitFor(3);
    const ids = rcv.requests.slice(1).map((q) => JSON.parse(q.body).id).sort();
    expect(ids).toEqual([failedEv.id, missed.id].sort());
    const again = await s.api('POST', `/v1/webhooks/${w.id}/replay`, { body: { since: 'not a date' } });
    expect(again.status).toBe(422);
  });

  it('replay never sends events from before the webhook existed, nor test sends (which are not in the event log); until bounds the window', async () => {
    const rcvA = await receiver(() => ({ status: 200 }));
    const rcvB = await receiver(() => ({ status: 200 }));
    // B has no channel filter, so every message.updated of the project is its to match.
    const type = 'message.updated';
    const publish = async (data: unknown) => {
      const r = await s.api('POST', '/v1/events', { body: { type, data } });
      expect(r.status).toBe(202);
      return r.body.data;
    };
    const ch = channel(s);
    const a = await ch.webhook(rcvA.url);
    const before = await publish({ n: 'before B' });
    const test = await s.api('POST', `/v1/webhooks/${a.id}/test`, { body: { eventType: type, data: { n: 'test send' } } });
    expect(test.status).toBe(200);
    const log = (await s.api('GET', `/v1/events?type=${type}&limit=1000`)).body.data.map((e: any) => e.id);
    expect(log).toContain(before.id);
    expect(log).not.toContain(test.body.data.eventId);

    await new Promise((r) => setTimeout(r, 5));
    const b = (await s.api('POST', '/v1/webhooks', { body: { url: rcvB.url, events: [type], active: false } })).body.data;
    const missed1 = await publish({ n: 'missed 1' });
    await new Promise((r) => setTimeout(r, 10));
    const until = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 10));
    const missed2 = await publish({ n: 'missed 2' });
    await s.api('PUT', `/v1/webhooks/${b.id}`, { body: { active: true } });

    const since = new Date(Date.now() - 3600_000).toISOString();
    const first = await s.api('POST', `/v1/webhooks/${b.id}/replay`, { body: { since, until } });
    expect(first.status).toBe(202);
    expect(first.body.data).toMatchObject({ requeued: 0, created: 1, status: 'failed' });
    await rcvB.waitFor(1);
    const rest = await s.api('POST', `/v1/webhooks/${b.id}/replay`, { body: { since } });
    expect(rest.body.data).toMatchObject({ created: 1 });
    await rcvB.waitFor(2);
    await new Promise((r) => setTimeout(r, 300));
    expect(rcvB.requests.map((q) => JSON.parse(q.body).id)).toEqual([missed1.id, missed2.id]);
    // A test send that failed is not replayed either.
    const rcvC = await receiver(() => ({ status: 500 }));
    const c = (await s.api('POST', '/v1/webhooks', { body: { url: rcvC.url, events: [type], retryPolicy: { maxRetries: 0 } } })).body.data;
    expect((await s.api('POST', `/v1/webhooks/${c.id}/test`, { body: { eventType: type, data: {} } })).body.data.status).toBe('failed');
    const none = await s.api('POST', `/v1/webhooks/${c.id}/replay`, { body: { since } });
    expect(none.body.data).toMatchObject({ requeued: 0, created: 0 });
    await new Promise((r) => setTimeout(r, 300));
    expect(rcvC.requests).toHaveLength(1);

    const bad = await s.api('POST', `/v1/webhooks/${b.id}/replay`, { body: { since: until, until: since } });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details[0].field).toBe('until');
  });
});

describe('per-endpoint lanes', () => {
  it('respects maxConcurrency, and a slow endpoint does not delay a fast one', async () => {
    const slow = await receiver(() => ({ status: 200, delayMs: 300 }));
    const fast = await receiver();
    const slowCh = channel(s);
    await slowCh.webhook(slow.url, { maxConcurrency: 2 });
    const fastCh = channel(s);
    await fastCh.webhook(fast.url);
    for (let i = 0; i < 8; i++) await slowCh.publish({ i });
    const t0 = Date.now();
    await fastCh.publish({ fast: true });
    await fast.waitFor(1, 5000);
    expect(Date.now() - t0).toBeLessThan(500);
    await slow.waitFor(8, 10_000);
    expect(slow.peakInFlight).toBeLessThanOrEqual(2);
    // 8 requests, 2 at a time, 300 ms each: at least ~1.2 s from first to last.
    expect(slow.requests[7].at - slow.requests[0].at).toBeGreaterThanOrEqual(800);
  });

  it('rateLimit: the endpoint never sees more than rateLimit requests in any one second, even one held up on the way', async () => {
    // The 5th request sits unread at the receiver for 600 ms, as one held up on the way
    // would: it must still count against the limit until it is answered.
    const rcv = await receiver(undefined, (n) => (n === 4 ? 600 : 0));
    const ch = channel(s);
    const since = new Date(Date.now() - 1000).toISOString();
    // Publish while inactive, then replay: all 15 deliveries become due at the same moment.
    const w = await ch.webhook(rcv.url, { rateLimit: 5, active: false });
    for (let i = 0; i < 15; i++) await ch.publish({ i });
    await s.api('PUT', `/v1/webhooks/${w.id}`, { body: { active: true } });
    const r = await s.api('POST', `/v1/webhooks/${w.id}/replay`, { body: { since } });
    expect(r.body.data.created).toBe(15);
    const at = (await rcv.waitFor(15, 15_000)).map((q) => q.at).sort((a, b) => a - b);
    const worst = worstSecond(at);
    expect(worst.count, `arrivals around the worst second: ${worst.around}`).toBeLessThanOrEqual(5);
    // The limit is used, not just respected: three seconds' worth, in about three seconds.
    expect(at.at(-1)! - at[0]!).toBeGreaterThanOrEqual(2000);
    expect(at.at(-1)! - at[0]!).toBeLessThan(6000);
  });
});
